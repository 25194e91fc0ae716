//! Alarm history: what ConfigurationUpdate items record, and DescribeAlarmHistory.

use nimbus_core::{ApiError, RequestContext};
use serde_json::{json, Value};

use crate::evaluation::json_time;
use crate::generated::dto::{AlarmHistoryItem, DescribeAlarmHistoryInput, DescribeAlarmHistoryOutput, Dimension};
use crate::CwState;

use super::{
    decode_token, encode_token, ts, Alarm, AlarmStore, HistoryItem, Kind, ALARM, HISTORY_MS, INSUFFICIENT_DATA, OK,
};

fn dims_json(dims: &Option<Vec<Dimension>>) -> Value {
    json!(dims.iter().flatten().map(|d| json!({"value": d.value, "name": d.name})).collect::<Vec<_>>())
}

/// The alarm as a ConfigurationUpdate history item describes it.
fn history_config(alarm: &Alarm) -> Value {
    let mut v = serde_json::Map::new();
    v.insert("alarmName".into(), json!(alarm.name));
    v.insert("alarmDescription".into(), json!(alarm.description().unwrap_or_default()));
    v.insert("alarmArn".into(), json!(alarm.arn));
    v.insert("alarmConfigurationUpdatedTimestamp".into(), json!(json_time(alarm.configuration_updated_ms)));
    match &alarm.kind {
        Kind::Metric(m) => {
            let i = &m.input;
            let mut put = |k: &str, val: Value| {
                if !val.is_null() {
                    v.insert(k.into(), val);
                }
            };
            put("namespace", json!(i.namespace));
            put("metricName", json!(i.metric_name));
            put("statistic", json!(i.statistic));
            put("extendedStatistic", json!(i.extended_statistic));
            put("period", json!(i.period));
            if i.metrics.is_none() {
                put("dimensions", dims_json(&i.dimensions));
            }
            put("unit", json!(i.unit));
            put("threshold", json!(i.threshold));
            put("thresholdMetricId", json!(i.threshold_metric_id));
            put("comparisonOperator", json!(i.comparison_operator));
            put("evaluationPeriods", json!(i.evaluation_periods));
            put("datapointsToAlarm", json!(i.datapoints_to_alarm));
            put("treatMissingData", json!(i.treat_missing_data));
            put("evaluateLowSampleCountPercentile", json!(i.evaluate_low_sample_count_percentile));
            if let Some(metrics) = &i.metrics {
                put("metrics", serde_json::to_value(metrics).unwrap_or_default());
            }
        }
        Kind::Composite(c) => {
            v.insert("alarmRule".into(), json!(c.input.alarm_rule));
        }
        Kind::Log(l) => {
            let i = &l.input;
            v.insert(
                "scheduledQueryConfiguration".into(),
                serde_json::to_value(&i.scheduled_query_configuration).unwrap_or_default(),
            );
            v.insert("queryResultsToEvaluate".into(), json!(i.query_results_to_evaluate));
            v.insert("queryResultsToAlarm".into(), json!(i.query_results_to_alarm));
            v.insert("threshold".into(), json!(i.threshold));
            v.insert("comparisonOperator".into(), json!(i.comparison_operator));
            if let Some(t) = &i.treat_missing_data {
                v.insert("treatMissingData".into(), json!(t));
            }
        }
    }
    v.insert("stateValue".into(), json!(alarm.state));
    v.insert("stateUpdatedTimestamp".into(), json!(json_time(alarm.state_updated_ms)));
    v.insert("actionsEnabled".into(), json!(alarm.actions_enabled));
    v.insert("alarmActions".into(), json!(alarm.actions_for(ALARM)));
    v.insert("insufficientDataActions".into(), json!(alarm.actions_for(INSUFFICIENT_DATA)));
    v.insert("okactions".into(), json!(alarm.actions_for(OK)));
    Value::Object(v)
}

/// Records a ConfigurationUpdate item: `Create`, `Update` or `Delete`.
pub(super) fn record_configuration(
    store: &mut AlarmStore,
    alarm: &Alarm,
    before: Option<&Alarm>,
    action: &str,
    now_ms: i64,
) {
    let (summary, data) = match (action, before) {
        ("Create", _) => (
            format!("Alarm \"{}\" created", alarm.name),
            json!({"version": "1.0", "type": "Create", "createdAlarm": history_config(alarm)}),
        ),
        ("Update", Some(old)) => (
            format!("Alarm \"{}\" updated", alarm.name),
            json!({"version": "1.0", "type": "Update", "updatedAlarm": history_config(alarm), "originalAlarm": history_config(old)}),
        ),
        _ => (
            format!("Alarm \"{}\" deleted", alarm.name),
            json!({"version": "1.0", "type": "Delete", "deletedAlarm": history_config(alarm)}),
        ),
    };
    store.record(HistoryItem {
        alarm_name: alarm.name.clone(),
        alarm_type: alarm.alarm_type(),
        timestamp_ms: now_ms,
        item_type: "ConfigurationUpdate",
        summary,
        data: data.to_string(),
    });
}

pub fn describe_alarm_history(
    state: &CwState,
    ctx: &RequestContext,
    input: DescribeAlarmHistoryInput,
) -> Result<DescribeAlarmHistoryOutput, ApiError> {
    let store = &state.alarms;
    let now_ms = ctx.now.timestamp_millis();
    let max = input.max_records.map_or(100, |m| m as usize);
    let offset = match &input.next_token {
        Some(t) => decode_token("alarm-history", t)?,
        None => 0,
    };
    let types: Vec<String> = input.alarm_types.clone().unwrap_or_else(|| vec!["MetricAlarm".into()]);
    let start = input.start_date.map(|t| t.0.timestamp_millis());
    let end = input.end_date.map(|t| t.0.timestamp_millis());
    let mut items: Vec<&HistoryItem> = store
        .history
        .iter()
        .filter(|h| h.timestamp_ms >= now_ms - HISTORY_MS)
        .filter(|h| match &input.alarm_name {
            Some(n) => &h.alarm_name == n,
            None => types.iter().any(|t| t == h.alarm_type),
        })
        .filter(|h| input.history_item_type.as_deref().is_none_or(|t| t == h.item_type))
        .filter(|h| start.is_none_or(|s| h.timestamp_ms >= s) && end.is_none_or(|e| h.timestamp_ms <= e))
        .collect();
    // Stable: items of one instant stay in the order they happened.
    items.sort_by_key(|h| h.timestamp_ms);
    if input.scan_by.as_deref() != Some("TimestampAscending") {
        items.reverse();
    }
    let more = offset + max < items.len();
    let page = items
        .into_iter()
        .skip(offset)
        .take(max)
        .map(|h| AlarmHistoryItem {
            alarm_name: Some(h.alarm_name.clone()),
            alarm_type: Some(h.alarm_type.to_string()),
            timestamp: ts(h.timestamp_ms),
            history_item_type: Some(h.item_type.to_string()),
            history_summary: Some(h.summary.clone()),
            history_data: Some(h.data.clone()),
            ..Default::default()
        })
        .collect();
    Ok(DescribeAlarmHistoryOutput {
        alarm_history_items: Some(page),
        next_token: more.then(|| encode_token("alarm-history", offset + max)),
    })
}
