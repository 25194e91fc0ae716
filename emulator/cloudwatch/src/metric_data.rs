//! GetMetricData: MetricStat queries, metric math expressions (SEARCH included) and
//! Metrics Insights queries over one time window. The same [`Engine`] evaluates the
//! metric math of alarms.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use base64::Engine as _;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{GetMetricDataInput, GetMetricDataOutput, MetricDataQuery, MetricDataResult};
use crate::math::{self, insights, search::Search, Env, Expr, Meta, Series, Value};
use crate::query::{self, periods};
use crate::statistics::{Agg, Stat};
use crate::store::{unit_index, MetricKey, MetricStore};
use crate::CwState;

/// GetMetricData's default (and largest) page.
const MAX_DATAPOINTS: usize = 100_800;
/// A SEARCH or Metrics Insights query returns at most this many time series.
const MAX_SERIES: usize = 500;
/// SEARCH and Metrics Insights see metrics with data in the last two weeks.
const SEARCH_HORIZON_MS: i64 = 14 * 86_400_000;

pub(crate) fn validation(message: impl Into<String>) -> ApiError {
    ApiError::client("ValidationError", message)
}

enum Parsed {
    Stat(Stat),
    Math(Expr),
    Insights(insights::Query),
}

/// Evaluates the queries of one request (or one alarm evaluation) over a window.
pub struct Engine<'a> {
    store: &'a MetricStore,
    queries: &'a [MetricDataQuery],
    parsed: Vec<Parsed>,
    index: HashMap<&'a str, usize>,
    start_ms: i64,
    end_ms: i64,
    now_ms: i64,
    memo: HashMap<usize, Value>,
    busy: HashSet<usize>,
    default_period: i64,
    /// Round StartTime as GetMetricData does (alarms evaluate exact windows).
    round: bool,
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl<'a> Engine<'a> {
    /// Checks and parses the queries; `prefix` names them in messages
    /// (`MetricDataQueries` or `Metrics`).
    pub fn new(
        store: &'a MetricStore,
        queries: &'a [MetricDataQuery],
        prefix: &str,
        start_ms: i64,
        end_ms: i64,
        now_ms: i64,
    ) -> Result<Self, ApiError> {
        let mut problems = Vec::new();
        let mut index = HashMap::new();
        let mut parsed = Vec::with_capacity(queries.len());
        let mut insights_queries = 0;
        for (i, q) in queries.iter().enumerate() {
            let n = i + 1;
            if !valid_id(&q.id) {
                problems.push(format!(
                    "The value {} for parameter {prefix}.member.{n}.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.",
                    q.id
                ));
            }
            if index.insert(q.id.as_str(), i).is_some() {
                return Err(validation(format!("The values for parameter id in {prefix} are not unique.")));
            }
            match (&q.metric_stat, &q.expression) {
                (Some(_), Some(_)) => {
                    return Err(validation(format!(
                        "The parameters {prefix}.member.{n}.Expression and {prefix}.member.{n}.MetricStat are mutually exclusive and you have specified both."
                    )))
                }
                (None, None) => {
                    return Err(validation(format!(
                        "The parameter {prefix}.member.{n}.Expression or {prefix}.member.{n}.MetricStat is required."
                    )))
                }
                (Some(ms), None) => {
                    if !query::valid_period(i64::from(ms.period)) {
                        problems.push(format!(
                            "The parameter {prefix}.member.{n}.MetricStat.Period must be 1, 5, 10, 20, 30 or a multiple of 60."
                        ));
                    }
                    if let Some(u) = &ms.unit {
                        if unit_index(u).is_none() {
                            problems.push(format!("The value {u} for parameter {prefix}.member.{n}.MetricStat.Unit is invalid."));
                        }
                    }
                    match Stat::parse(&ms.stat) {
                        Some(s) => parsed.push(Parsed::Stat(s)),
                        None => {
                            problems.push(format!(
                                "The value {} for parameter {prefix}.member.{n}.MetricStat.Stat is not a valid statistic.",
                                ms.stat
                            ));
                            parsed.push(Parsed::Stat(Stat::Sum));
                        }
                    }
                }
                (None, Some(e)) => {
                    if let Some(p) = q.period {
                        if !query::valid_period(i64::from(p)) {
                            problems.push(format!(
                                "The parameter {prefix}.member.{n}.Period must be 1, 5, 10, 20, 30 or a multiple of 60."
                            ));
                        }
                    }
                    if insights::is_query(e) {
                        insights_queries += 1;
                        if insights_queries > 1 {
                            return Err(validation("Only one Metrics Insights query is allowed per request."));
                        }
                        if q.period.is_none() {
                            return Err(validation(format!(
                                "Error in expression {}: Period is a required field when using a Metrics Insights query.",
                                q.id
                            )));
                        }
                        let parsed_query = insights::parse(e).map_err(|m| {
                            validation(format!("Error in expression {}: The Metrics Insights query has {m}.", q.id))
                        })?;
                        parsed.push(Parsed::Insights(parsed_query));
                    } else {
                        let expr = math::parse(e)
                            .map_err(|m| validation(format!("Error in expression {}: {m}.", q.id)))?;
                        parsed.push(Parsed::Math(expr));
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(validation(problems.join("\n")));
        }
        // References to ids that do not exist.
        for (q, p) in queries.iter().zip(&parsed) {
            if let Parsed::Math(e) = p {
                let mut ids = Vec::new();
                e.ids(&mut ids);
                if let Some(missing) = ids.iter().find(|id| !index.contains_key(id.as_str())) {
                    return Err(validation(format!(
                        "Error in expression {}: Unrecognized metric or expression id {missing}.",
                        q.id
                    )));
                }
            }
        }
        let default_period = queries
            .iter()
            .filter_map(|q| q.metric_stat.as_ref().map(|m| i64::from(m.period)))
            .min()
            .or_else(|| queries.iter().filter_map(|q| q.period.map(i64::from)).min())
            .unwrap_or(60);
        Ok(Engine {
            store,
            queries,
            parsed,
            index,
            start_ms,
            end_ms,
            now_ms,
            memo: HashMap::new(),
            busy: HashSet::new(),
            default_period,
            round: true,
        })
    }

    /// Evaluates over exactly `[start, end)`, without GetMetricData's rounding (alarms).
    pub fn exact(mut self) -> Self {
        self.round = false;
        self
    }

    /// The period (s) of the query with this id.
    pub fn period_of_id(&self, id: &str) -> Option<i64> {
        self.index.get(id).map(|i| self.period_of(*i))
    }

    fn period_of(&self, i: usize) -> i64 {
        let q = &self.queries[i];
        q.metric_stat.as_ref().map(|m| i64::from(m.period)).or(q.period.map(i64::from)).unwrap_or(self.default_period)
    }

    fn start_for(&self, period: i64) -> i64 {
        if self.round {
            query::round_start(self.start_ms, self.now_ms, period)
        } else {
            self.start_ms
        }
    }

    /// Aggregates of one metric over the window, per period.
    pub fn metric_periods(
        &self,
        key: &MetricKey,
        period: i64,
        unit: Option<u8>,
        collect: bool,
    ) -> BTreeMap<(i64, u8), Agg> {
        match self.store.get(key) {
            Some(series) => {
                periods(series, self.start_for(period), self.end_ms, period, unit, false, collect, self.now_ms)
            }
            None => BTreeMap::new(),
        }
    }

    fn metric_series(&self, i: usize) -> Series {
        let q = &self.queries[i];
        let ms = q.metric_stat.as_ref().expect("a MetricStat query");
        let Parsed::Stat(stat) = &self.parsed[i] else { unreachable!("MetricStat queries parse to a Stat") };
        let period = i64::from(ms.period);
        let dims: Vec<(String, String)> =
            ms.metric.dimensions.iter().flatten().map(|d| (d.name.clone(), d.value.clone())).collect();
        let name = ms.metric.metric_name.clone().unwrap_or_default();
        let namespace = ms.metric.namespace.clone().unwrap_or_default();
        let key = MetricKey::new(&namespace, &name, dims.clone());
        let unit = ms.unit.as_deref().and_then(unit_index);
        let points = self
            .metric_periods(&key, period, unit, !stat.is_standard())
            .into_iter()
            .filter_map(|((t, _), mut agg)| agg.get(stat).map(|v| (t, v)))
            .collect();
        Series {
            label: q.label.clone().unwrap_or_else(|| name.clone()),
            points,
            period,
            meta: Some(Arc::new(Meta { namespace, name, dimensions: dims, stat: ms.stat.clone(), period })),
        }
    }

    /// The value of query `i` (memoised; cycles are refused).
    fn value_of(&mut self, i: usize) -> Result<Value, String> {
        if let Some(v) = self.memo.get(&i) {
            return Ok(v.clone());
        }
        if !self.busy.insert(i) {
            return Err(format!("Circular dependency involving {}", self.queries[i].id));
        }
        let v = match &self.parsed[i] {
            Parsed::Stat(_) => Value::Series(self.metric_series(i)),
            Parsed::Insights(q) => {
                let q = q.clone();
                self.insights(&q, self.period_of(i))?
            }
            Parsed::Math(e) => {
                let e = e.clone();
                let period = self.period_of(i);
                let mut env = ExprEnv { engine: self, period };
                let mut v = math::evaluate(&e, &mut env)?;
                // An expression's own single result is labelled by its query.
                if let Value::Series(s) = &mut v {
                    s.label = self.queries[i].label.clone().unwrap_or_else(|| self.queries[i].id.clone());
                    s.meta = None;
                }
                v
            }
        };
        self.busy.remove(&i);
        self.memo.insert(i, v.clone());
        Ok(v)
    }

    /// The value of the query with this id; math errors are `ValidationError`s naming it.
    pub fn value(&mut self, id: &str) -> Result<Value, ApiError> {
        let Some(&i) = self.index.get(id) else {
            return Err(validation(format!("Unrecognized metric or expression id {id}.")));
        };
        self.value_of(i).map_err(|m| validation(format!("Error in expression {id}: {m}.")))
    }

    fn search(
        &mut self,
        text: &str,
        stat: &str,
        period: Option<i64>,
        fallback_period: i64,
    ) -> Result<Vec<Series>, String> {
        let search = Search::parse(text)?;
        let stat_parsed =
            Stat::parse(stat).ok_or_else(|| format!("Invalid statistic {stat} in the search expression"))?;
        let period = period.unwrap_or(fallback_period);
        if !query::valid_period(period) {
            return Err(format!("Invalid period {period} in the search expression"));
        }
        let since = self.now_ms - SEARCH_HORIZON_MS;
        let keys: Vec<MetricKey> = self
            .store
            .series
            .iter()
            .filter(|(k, s)| s.last_put_ms >= since && search.matches(k))
            .take(MAX_SERIES)
            .map(|(k, _)| k.clone())
            .collect();
        let names: HashSet<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        let several_names = names.len() > 1;
        let mut out = Vec::with_capacity(keys.len());
        for key in &keys {
            let points = self
                .metric_periods(key, period, None, !stat_parsed.is_standard())
                .into_iter()
                .filter_map(|((t, _), mut agg)| agg.get(&stat_parsed).map(|v| (t, v)))
                .collect();
            let mut parts: Vec<&str> = key.dimensions.iter().map(|(_, v)| v.as_str()).collect();
            if parts.is_empty() || several_names {
                parts.push(&key.name);
            }
            out.push(Series {
                label: parts.join(" "),
                points,
                period,
                meta: Some(Arc::new(Meta {
                    namespace: key.namespace.clone(),
                    name: key.name.clone(),
                    dimensions: key.dimensions.clone(),
                    stat: stat.to_string(),
                    period,
                })),
            });
        }
        Ok(out)
    }

    fn insights(&mut self, q: &insights::Query, period: i64) -> Result<Value, String> {
        let since = self.now_ms - SEARCH_HORIZON_MS;
        let stat = Stat::parse(q.func.stat()).expect("a standard statistic");
        let mut groups: BTreeMap<Vec<String>, BTreeMap<i64, Agg>> = BTreeMap::new();
        let start = self.start_for(period);
        for (key, series) in &self.store.series {
            if series.last_put_ms < since || !q.matches(key) {
                continue;
            }
            let group = groups.entry(q.group(key)).or_default();
            for ((t, _), agg) in periods(series, start, self.end_ms, period, None, false, false, self.now_ms) {
                match group.get_mut(&t) {
                    Some(existing) => existing.merge(&agg),
                    None => {
                        group.insert(t, agg);
                    }
                }
            }
        }
        let mut out: Vec<Series> = groups
            .into_iter()
            .map(|(labels, by_time)| {
                let points = by_time.into_iter().filter_map(|(t, mut a)| a.get(&stat).map(|v| (t, v))).collect();
                Series::new(labels.join(" "), period, points)
            })
            .collect();
        if let Some((f, desc)) = &q.order_by {
            let key = |s: &Series| {
                let values: Vec<f64> = s.values().collect();
                let n = values.len() as f64;
                match f.summary() {
                    "AVG" => (n > 0.0).then(|| values.iter().sum::<f64>() / n),
                    "DATAPOINT_COUNT" => Some(n),
                    "MAX" => values.iter().copied().reduce(f64::max),
                    "MIN" => values.iter().copied().reduce(f64::min),
                    _ => Some(values.iter().sum()),
                }
            };
            out.sort_by(|a, b| {
                let (x, y) = (key(a).unwrap_or(f64::NAN), key(b).unwrap_or(f64::NAN));
                if *desc {
                    y.total_cmp(&x)
                } else {
                    x.total_cmp(&y)
                }
            });
        }
        out.truncate(q.limit.min(MAX_SERIES));
        if q.group_by.is_empty() {
            let mut s = out.pop().unwrap_or_else(|| Series::new("", period, Vec::new()));
            s.label = String::new();
            return Ok(Value::Series(s));
        }
        Ok(Value::Array(out))
    }

    /// The anomaly detection band of a series (nimbus's model; AWS trains a seasonal
    /// one): at each timestamp, the mean of the metric's values over the two weeks
    /// before it, plus or minus `width` standard deviations. Timestamps with fewer than
    /// two earlier values have no band.
    fn band(&self, s: &Series, width: f64) -> (Series, Series) {
        let first = s.points.first().map_or(self.end_ms, |p| p.0);
        let history: Vec<(i64, f64)> = match &s.meta {
            Some(meta) => {
                let key = MetricKey::new(&meta.namespace, &meta.name, meta.dimensions.clone());
                let stat = Stat::parse(&meta.stat).unwrap_or(Stat::Average);
                let start = first - SEARCH_HORIZON_MS;
                let start = start - start.rem_euclid(meta.period * 1000) + first.rem_euclid(meta.period * 1000);
                match self.store.get(&key) {
                    Some(series) => {
                        periods(series, start, self.end_ms, meta.period, None, false, !stat.is_standard(), self.now_ms)
                            .into_iter()
                            .filter_map(|((t, _), mut a)| a.get(&stat).map(|v| (t, v)))
                            .collect()
                    }
                    None => Vec::new(),
                }
            }
            None => s.points.clone(),
        };
        let (mut upper, mut lower) = (Vec::new(), Vec::new());
        let (mut from, mut to) = (0, 0);
        let (mut sum, mut sumsq) = (0.0, 0.0);
        for (t, _) in &s.points {
            while to < history.len() && history[to].0 < *t {
                sum += history[to].1;
                sumsq += history[to].1 * history[to].1;
                to += 1;
            }
            while from < to && history[from].0 < t - SEARCH_HORIZON_MS {
                sum -= history[from].1;
                sumsq -= history[from].1 * history[from].1;
                from += 1;
            }
            let n = (to - from) as f64;
            if n < 2.0 {
                continue;
            }
            let mean = sum / n;
            let sd = (sumsq / n - mean * mean).max(0.0).sqrt();
            upper.push((*t, mean + width * sd));
            lower.push((*t, mean - width * sd));
        }
        (Series::new(s.label.clone(), s.period, upper), Series::new(s.label.clone(), s.period, lower))
    }

    /// The ids to return, in request order, with their ReturnData.
    pub fn returned(&self) -> Vec<&'a MetricDataQuery> {
        self.queries.iter().filter(|q| q.return_data != Some(false)).collect()
    }
}

/// One returned time series: query id, label, points.
type Returned = (String, String, Vec<(i64, f64)>);

struct ExprEnv<'e, 'a> {
    engine: &'e mut Engine<'a>,
    period: i64,
}

impl Env for ExprEnv<'_, '_> {
    fn resolve(&mut self, id: &str) -> Result<Value, String> {
        let i = *self.engine.index.get(id).ok_or_else(|| format!("Unrecognized metric or expression id {id}"))?;
        self.engine.value_of(i)
    }

    fn metrics(&mut self, filter: &str) -> Result<Vec<Series>, String> {
        let ids: Vec<usize> = (0..self.engine.queries.len())
            .filter(|i| self.engine.queries[*i].metric_stat.is_some() && self.engine.queries[*i].id.contains(filter))
            .collect();
        let mut out = Vec::new();
        for i in ids {
            if let Value::Series(s) = self.engine.value_of(i)? {
                out.push(s);
            }
        }
        Ok(out)
    }

    fn search(&mut self, query: &str, stat: &str, period: Option<i64>) -> Result<Vec<Series>, String> {
        self.engine.search(query, stat, period, self.period)
    }

    fn band(&mut self, series: &Series, width: f64) -> Result<(Series, Series), String> {
        Ok(self.engine.band(series, width))
    }

    fn window(&self) -> (i64, i64) {
        (self.engine.start_for(self.period), self.engine.end_ms)
    }

    fn period(&self) -> i64 {
        self.period
    }
}

/// `${PROP('Dim.InstanceId')}`, `${LABEL}`, `${MAX}` ... in a label, as CloudWatch's
/// dynamic labels.
pub fn dynamic_label(label: &str, series: &Series, default_label: &str) -> String {
    if !label.contains("${") {
        return label.to_string();
    }
    let values: Vec<f64> = series.values().collect();
    let number = |v: Option<f64>| v.map(format_number).unwrap_or_default();
    let mut out = String::new();
    let mut rest = label;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let token = &rest[start + 2..start + end];
        let meta = series.meta.as_deref();
        let replacement = match token {
            "LABEL" => default_label.to_string(),
            "AVG" => number((!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)),
            "MAX" => number(values.iter().copied().reduce(f64::max)),
            "MIN" => number(values.iter().copied().reduce(f64::min)),
            "SUM" => number(Some(values.iter().sum())),
            "FIRST" => number(series.points.first().map(|p| p.1)),
            "LAST" => number(series.points.last().map(|p| p.1)),
            "DATAPOINT_COUNT" => values.len().to_string(),
            prop if prop.starts_with("PROP(") => {
                let name =
                    prop.trim_start_matches("PROP(").trim_end_matches(')').trim_matches(|c| c == '\'' || c == '"');
                match (name, meta) {
                    ("MetricName", Some(m)) => m.name.clone(),
                    ("Namespace", Some(m)) => m.namespace.clone(),
                    ("Stat", Some(m)) => m.stat.clone(),
                    ("Period", _) => series.period.to_string(),
                    (dim, Some(m)) if dim.starts_with("Dim.") => {
                        m.dimensions.iter().find(|(n, _)| n == &dim[4..]).map(|(_, v)| v.clone()).unwrap_or_default()
                    }
                    _ => String::new(),
                }
            }
            _ => format!("${{{token}}}"),
        };
        out.push_str(&replacement);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::{Dimension, Metric, MetricStat};
    use crate::store::{NewSample, UNIT_NONE};

    const NOW: i64 = 1_800_000_000_000;
    const M: i64 = 60_000;

    fn store() -> CwState {
        let mut s = CwState::default();
        let key = |name: &str, host: &str| MetricKey::new("App", name, vec![("Host".to_string(), host.to_string())]);
        // Errors and Requests for host a over minutes -5..-1, Requests for host b.
        for (i, (errors, requests)) in
            [(1.0, 10.0), (2.0, 20.0), (0.0, 0.0), (3.0, 30.0), (5.0, 50.0)].iter().enumerate()
        {
            let t = NOW - (5 - i as i64) * M + 1_000;
            s.metrics.put(key("Errors", "a"), t, UNIT_NONE, false, NewSample::One(*errors), NOW);
            s.metrics.put(key("Requests", "a"), t, UNIT_NONE, false, NewSample::One(*requests), NOW);
            s.metrics.put(key("Requests", "b"), t, UNIT_NONE, false, NewSample::One(1.0), NOW);
        }
        s
    }

    fn stat(id: &str, name: &str, host: &str, stat: &str) -> MetricDataQuery {
        MetricDataQuery {
            id: id.into(),
            metric_stat: Some(MetricStat {
                metric: Metric {
                    namespace: Some("App".into()),
                    metric_name: Some(name.into()),
                    dimensions: Some(vec![Dimension { name: "Host".into(), value: host.into() }]),
                },
                period: 60,
                stat: stat.into(),
                unit: None,
            }),
            ..Default::default()
        }
    }

    fn expr(id: &str, e: &str) -> MetricDataQuery {
        MetricDataQuery { id: id.into(), expression: Some(e.into()), ..Default::default() }
    }

    fn run(
        queries: Vec<MetricDataQuery>,
        f: impl FnOnce(&mut GetMetricDataInput),
    ) -> Result<GetMetricDataOutput, ApiError> {
        let mut ctx = RequestContext::for_tests();
        ctx.now = chrono::DateTime::from_timestamp_millis(NOW).unwrap();
        let mut input = GetMetricDataInput {
            metric_data_queries: queries,
            start_time: Timestamp::from_epoch_millis(NOW - 10 * M).unwrap(),
            end_time: Timestamp::from_epoch_millis(NOW).unwrap(),
            scan_by: Some("TimestampAscending".into()),
            ..Default::default()
        };
        f(&mut input);
        get_metric_data(&store(), &ctx, input)
    }

    fn series(out: &GetMetricDataOutput) -> Vec<Returned> {
        out.metric_data_results
            .iter()
            .flatten()
            .map(|r| {
                let pts = r
                    .timestamps
                    .iter()
                    .flatten()
                    .zip(r.values.iter().flatten())
                    .map(|(t, v)| ((t.0.timestamp_millis() - NOW) / M, *v))
                    .collect();
                (r.id.clone().unwrap(), r.label.clone().unwrap(), pts)
            })
            .collect()
    }

    #[test]
    fn error_rate_with_math() {
        let mut errors = stat("errors", "Errors", "a", "Sum");
        errors.return_data = Some(false);
        let mut requests = stat("requests", "Requests", "a", "Sum");
        requests.return_data = Some(false);
        let mut rate = expr("rate", "100 * errors / requests");
        rate.label = Some("Error rate".into());
        let out = run(vec![errors, requests, rate], |_| {}).unwrap();
        // Minute -3 had 0/0: dropped.
        assert_eq!(
            series(&out),
            vec![("rate".to_string(), "Error rate".to_string(), vec![(-5, 10.0), (-4, 10.0), (-2, 10.0), (-1, 10.0)])]
        );
        assert!(out.next_token.is_none());
    }

    #[test]
    fn metric_stat_labels_order_and_pages() {
        let out = run(vec![stat("m1", "Requests", "a", "Sum")], |i| i.scan_by = None).unwrap();
        assert_eq!(
            series(&out),
            vec![(
                "m1".to_string(),
                "Requests".to_string(),
                vec![(-1, 50.0), (-2, 30.0), (-3, 0.0), (-4, 20.0), (-5, 10.0)]
            )]
        );
        let mut q = vec![stat("m1", "Requests", "a", "Sum"), stat("m2", "Requests", "b", "Sum")];
        q[1].label = Some("${PROP('Dim.Host')} max ${MAX}".into());
        let first = run(q.clone(), |i| i.max_datapoints = Some(7)).unwrap();
        let s = series(&first);
        assert_eq!(s[0].2.len(), 5);
        assert_eq!(s[1].2.len(), 2);
        assert_eq!(s[1].1, "b max 1");
        assert_eq!(first.metric_data_results.as_ref().unwrap()[1].status_code.as_deref(), Some("PartialData"));
        let token = first.next_token.clone().expect("a second page");
        let second = run(q, |i| {
            i.max_datapoints = Some(7);
            i.next_token = Some(token);
        })
        .unwrap();
        let s = series(&second);
        assert_eq!((s[0].2.len(), s[1].2.len()), (0, 3));
        assert!(second.next_token.is_none());
    }

    #[test]
    fn search_metrics_and_insights() {
        let out = run(vec![expr("s", "SEARCH('{App,Host} MetricName=\"Requests\"', 'Sum', 60)")], |_| {}).unwrap();
        let s = series(&out);
        assert_eq!(s.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(s[1].2, vec![(-5, 1.0), (-4, 1.0), (-3, 1.0), (-2, 1.0), (-1, 1.0)]);
        let out = run(vec![expr("total", "SUM(SEARCH('Requests', 'Sum', 60))")], |_| {}).unwrap();
        assert_eq!(series(&out)[0].2, vec![(-5, 11.0), (-4, 21.0), (-3, 1.0), (-2, 31.0), (-1, 51.0)]);
        let mut insights =
            expr("q", "SELECT SUM(Requests) FROM SCHEMA(App, Host) GROUP BY Host ORDER BY SUM() DESC LIMIT 1");
        insights.period = Some(300);
        let out = run(vec![insights], |_| {}).unwrap();
        // Minutes -5..-1 fall in the 5-minute periods starting at -10 and -5.
        assert_eq!(series(&out), vec![("q".to_string(), "a".to_string(), vec![(-5, 110.0)])]);
        let out = run(
            vec![stat("m1", "Requests", "a", "Sum"), stat("m2", "Requests", "b", "Sum"), expr("e", "METRICS() * 2")],
            |i| {
                i.metric_data_queries[0].return_data = Some(false);
                i.metric_data_queries[1].return_data = Some(false);
            },
        )
        .unwrap();
        let s = series(&out);
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].0.as_str(), s[1].1.as_str()), ("e", "Requests"));
        assert_eq!(s[1].2[0], (-5, 2.0));
    }

    #[test]
    fn aws_errors() {
        let err =
            run(vec![stat("M1", "Requests", "a", "Sum"), stat("2x", "Requests", "a", "Average")], |_| {}).unwrap_err();
        assert_eq!(err.code, "ValidationError");
        assert_eq!(
            err.message,
            "The value M1 for parameter MetricDataQueries.member.1.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.\n\
             The value 2x for parameter MetricDataQueries.member.2.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$."
        );
        let err = run(vec![stat("m1", "Requests", "a", "Avg")], |_| {}).unwrap_err();
        assert_eq!(
            err.message,
            "The value Avg for parameter MetricDataQueries.member.1.MetricStat.Stat is not a valid statistic."
        );
        let err = run(vec![stat("m1", "Requests", "a", "Sum"), stat("m1", "Errors", "a", "Sum")], |_| {}).unwrap_err();
        assert_eq!(err.message, "The values for parameter id in MetricDataQueries are not unique.");
        let err = run(vec![expr("e1", "m9 + 1")], |_| {}).unwrap_err();
        assert_eq!(err.message, "Error in expression e1: Unrecognized metric or expression id m9.");
        let err = run(vec![expr("e1", "(1 +")], |_| {}).unwrap_err();
        assert_eq!(err.message, "Error in expression e1: The expression ended unexpectedly.");
        let err = run(vec![stat("m1", "Requests", "a", "Sum"), expr("e1", "SUM(m1)")], |_| {}).unwrap_err();
        assert!(err.message.contains("must return a time series"), "{}", err.message);
        let err = run(vec![expr("a1", "b1"), expr("b1", "a1")], |_| {}).unwrap_err();
        assert!(err.message.contains("Circular dependency"), "{}", err.message);
        let err = run(vec![stat("m1", "Requests", "a", "Sum")], |i| i.end_time = i.start_time).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.message.as_str()),
            ("ValidationError", "The parameter StartTime must not equal parameter EndTime.")
        );
        let err = run(vec![stat("m1", "Requests", "a", "Sum")], |i| i.next_token = Some("x".into())).unwrap_err();
        assert_eq!(err.code, "InvalidNextToken");
        let err = run(vec![expr("q", "SELECT AVG(x) FROM y")], |_| {}).unwrap_err();
        assert!(err.message.contains("Period is a required field"), "{}", err.message);
    }
}
