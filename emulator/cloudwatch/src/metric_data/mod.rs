//! GetMetricData: MetricStat queries, metric math expressions (SEARCH included) and
//! Metrics Insights queries over one time window. The same [`Engine`] evaluates the
//! metric math of alarms.
//!
//! - `engine`: the [`Engine`] that parses and evaluates a request's queries;
//! - `labels`: dynamic labels (`${PROP('Dim.InstanceId')}`, `${MAX}` ...).

mod engine;
mod labels;
#[cfg(test)]
mod tests;

pub use engine::Engine;
pub use labels::dynamic_label;

use base64::Engine as _;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{GetMetricDataInput, GetMetricDataOutput, MetricDataResult};
use crate::math::Value;
use crate::CwState;

use self::engine::Returned;

/// GetMetricData's default (and largest) page.
const MAX_DATAPOINTS: usize = 100_800;
/// A SEARCH or Metrics Insights query returns at most this many time series.
pub(super) const MAX_SERIES: usize = 500;
/// SEARCH and Metrics Insights see metrics with data in the last two weeks.
pub(super) const SEARCH_HORIZON_MS: i64 = 14 * 86_400_000;

pub(crate) fn validation(message: impl Into<String>) -> ApiError {
    ApiError::client("ValidationError", message)
}

fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("nimbus-get-metric-data:{offset}"))
}

fn decode_token(token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(token).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix("nimbus-get-metric-data:")?.parse().ok()
}

pub fn get_metric_data(
    state: &CwState,
    ctx: &RequestContext,
    input: GetMetricDataInput,
) -> Result<GetMetricDataOutput, ApiError> {
    let store = &state.metrics;
    let queries = &input.metric_data_queries;
    if queries.is_empty() {
        return Err(ApiError::missing_parameter("The parameter MetricDataQueries is required."));
    }
    if queries.len() > 500 {
        return Err(validation("The collection MetricDataQueries must not have a size greater than 500."));
    }
    let (start_ms, end_ms) = (input.start_time.0.timestamp_millis(), input.end_time.0.timestamp_millis());
    crate::metrics::check_time_range(start_ms, end_ms, "ValidationError")?;
    let max = match input.max_datapoints {
        None => MAX_DATAPOINTS,
        Some(n) if n > 0 => (n as usize).min(MAX_DATAPOINTS),
        Some(n) => return Err(validation(format!("The value {n} for parameter MaxDatapoints is invalid."))),
    };
    let offset = match input.next_token.as_deref() {
        None => 0,
        Some(t) => decode_token(t)
            .ok_or_else(|| ApiError::client("InvalidNextToken", format!("The NextToken '{t}' is invalid.")))?,
    };
    let ascending = input.scan_by.as_deref() == Some("TimestampAscending");
    let mut engine = Engine::new(store, queries, "MetricDataQueries", start_ms, end_ms, ctx.now.timestamp_millis())?;

    // Every returned series, in request order.
    let mut results: Vec<Returned> = Vec::new();
    for q in engine.returned() {
        let value = engine.value(&q.id)?;
        let (series, is_array) = match value {
            Value::Series(s) => (vec![s], false),
            Value::Array(a) => (a, true),
            other => {
                return Err(validation(format!(
                "Error in expression {}: The expression must return a time series or an array of time series, not {}.",
                q.id,
                other.kind()
            )))
            }
        };
        for s in series {
            let default = if is_array {
                match q.label.as_deref() {
                    Some(l) if !l.is_empty() && !l.contains("${") => format!("{l} {}", s.label),
                    _ => s.label.clone(),
                }
            } else {
                s.label.clone()
            };
            let label = match q.label.as_deref() {
                Some(l) if l.contains("${") => dynamic_label(l, &s, &s.label),
                _ => default,
            };
            let mut points = s.points;
            if !ascending {
                points.reverse();
            }
            results.push((q.id.clone(), label, points));
        }
    }

    // One page of at most `max` datapoints, starting `offset` datapoints in.
    let total: usize = results.iter().map(|r| r.2.len()).sum();
    let mut skip = offset;
    let mut room = max;
    let mut out = Vec::with_capacity(results.len());
    for (id, label, points) in results {
        let from = skip.min(points.len());
        skip -= from;
        let take = room.min(points.len() - from);
        room -= take;
        let page = &points[from..from + take];
        let complete = from + take == points.len();
        out.push(MetricDataResult {
            id: Some(id),
            label: Some(label),
            timestamps: Some(page.iter().filter_map(|(t, _)| Timestamp::from_epoch_millis(*t)).collect()),
            values: Some(page.iter().map(|(_, v)| *v).collect()),
            status_code: Some(if complete { "Complete" } else { "PartialData" }.to_string()),
            messages: Some(Vec::new()),
        });
    }
    let consumed = offset + max;
    Ok(GetMetricDataOutput {
        metric_data_results: Some(out),
        next_token: (consumed < total).then(|| encode_token(consumed)),
        messages: Some(Vec::new()),
    })
}
