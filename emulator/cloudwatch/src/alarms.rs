//! Metric and composite alarms: their configuration, state and history, and the
//! operations on them. The evaluation on the clock is in [`crate::evaluation`].

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::composite::{self, Rule};
use crate::evaluation::{self, json_time, Effects};
use crate::generated::dto::{
    AlarmHistoryItem, CompositeAlarm, DeleteAlarmsInput, DescribeAlarmHistoryInput, DescribeAlarmHistoryOutput,
    DescribeAlarmsForMetricInput, DescribeAlarmsForMetricOutput, DescribeAlarmsInput, DescribeAlarmsOutput, Dimension,
    DisableAlarmActionsInput, EnableAlarmActionsInput, MetricAlarm, PutCompositeAlarmInput, PutMetricAlarmInput,
    SetAlarmStateInput,
};
use crate::metric_data::{validation, Engine};
use crate::statistics::Stat;
use crate::store::{unit_index, MetricStore};
use crate::CwState;

pub const OK: &str = "OK";
pub const ALARM: &str = "ALARM";
pub const INSUFFICIENT_DATA: &str = "INSUFFICIENT_DATA";

/// Alarm history is kept for two weeks.
const HISTORY_MS: i64 = 14 * 86_400_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricConfig {
    /// The PutMetricAlarm request, less its tags.
    pub input: PutMetricAlarmInput,
}

#[derive(Debug, Clone, Serialize)]
pub struct CompositeConfig {
    pub input: PutCompositeAlarmInput,
    #[serde(skip)]
    pub rule: Rule,
}

/// A snapshot keeps the rule's text only; it is parsed again when read back.
impl<'de> Deserialize<'de> for CompositeConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Stored {
            input: PutCompositeAlarmInput,
        }
        let Stored { input } = Stored::deserialize(d)?;
        let rule = composite::parse(&input.alarm_rule).map_err(serde::de::Error::custom)?;
        Ok(CompositeConfig { input, rule })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Kind {
    Metric(Box<MetricConfig>),
    Composite(Box<CompositeConfig>),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alarm {
    pub name: String,
    pub arn: String,
    pub kind: Kind,
    pub actions_enabled: bool,
    #[serde(deserialize_with = "crate::snapshot::known")]
    pub state: crate::snapshot::Known,
    pub reason: String,
    pub reason_data: Option<String>,
    pub state_updated_ms: i64,
    pub state_transitioned_ms: i64,
    pub configuration_updated_ms: i64,
    /// Metric alarms: the next evaluation (epoch ms on nimbus's clock).
    pub next_eval_ms: i64,
    /// Composite alarms: why actions were suppressed, when they were.
    pub actions_suppressed: Option<(String, String)>,
}

impl Alarm {
    pub fn alarm_type(&self) -> &'static str {
        match self.kind {
            Kind::Metric(_) => "MetricAlarm",
            Kind::Composite(_) => "CompositeAlarm",
        }
    }

    pub fn actions_for(&self, state: &str) -> Vec<String> {
        let (ok, alarm, insufficient) = match &self.kind {
            Kind::Metric(m) => (&m.input.ok_actions, &m.input.alarm_actions, &m.input.insufficient_data_actions),
            Kind::Composite(c) => (&c.input.ok_actions, &c.input.alarm_actions, &c.input.insufficient_data_actions),
        };
        let list = match state {
            OK => ok,
            ALARM => alarm,
            _ => insufficient,
        };
        list.clone().unwrap_or_default()
    }

    fn all_actions(&self) -> Vec<String> {
        [OK, ALARM, INSUFFICIENT_DATA].iter().flat_map(|s| self.actions_for(s)).collect()
    }

    pub fn description(&self) -> Option<String> {
        match &self.kind {
            Kind::Metric(m) => m.input.alarm_description.clone(),
            Kind::Composite(c) => c.input.alarm_description.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryItem {
    pub alarm_name: String,
    #[serde(deserialize_with = "crate::snapshot::known")]
    pub alarm_type: crate::snapshot::Known,
    pub timestamp_ms: i64,
    #[serde(deserialize_with = "crate::snapshot::known")]
    pub item_type: crate::snapshot::Known,
    pub summary: String,
    pub data: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AlarmStore {
    pub alarms: BTreeMap<String, Alarm>,
    pub history: Vec<HistoryItem>,
}

impl AlarmStore {
    pub fn record(&mut self, item: HistoryItem) {
        // Forget history older than the retention, in bulk, now and then.
        if self.history.len() > 4096 && self.history.len().is_power_of_two() {
            let horizon = item.timestamp_ms - HISTORY_MS;
            self.history.retain(|h| h.timestamp_ms >= horizon);
        }
        self.history.push(item);
    }

    /// Composite alarms whose rule names this alarm.
    pub fn parents_of(&self, name: &str) -> Vec<String> {
        self.alarms
            .values()
            .filter(|a| matches!(&a.kind, Kind::Composite(c) if c.rule.alarms().contains(name)))
            .map(|a| a.name.clone())
            .collect()
    }
}

pub fn alarm_arn(ctx: &RequestContext, name: &str) -> String {
    format!("arn:aws:cloudwatch:{}:{}:alarm:{}", ctx.region, ctx.account(), name)
}

fn ts(ms: i64) -> Option<Timestamp> {
    Timestamp::from_epoch_millis(ms)
}

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
fn record_configuration(store: &mut AlarmStore, alarm: &Alarm, before: Option<&Alarm>, action: &str, now_ms: i64) {
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

const OPERATORS: [&str; 7] = [
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];

pub fn is_band_operator(op: &str) -> bool {
    OPERATORS[4..].contains(&op)
}

fn must_not(field: &str) -> ApiError {
    validation(format!("{field} should not be set if list of Metrics is set."))
}

/// Checks a PutMetricAlarm request as CloudWatch does.
fn check_metric_alarm(store: &MetricStore, input: &PutMetricAlarmInput, now_ms: i64) -> Result<(), ApiError> {
    if input.evaluation_criteria.is_some() || input.evaluation_interval.is_some() {
        return Err(validation("PromQL alarms (EvaluationCriteria) are not supported by nimbus."));
    }
    let Some(n) = input.evaluation_periods else {
        return Err(validation("EvaluationPeriods must not be null"));
    };
    let Some(op) = input.comparison_operator.as_deref() else {
        return Err(validation("ComparisonOperator must not be null"));
    };
    if !OPERATORS.contains(&op) {
        return Err(ApiError::invalid_parameter_value(format!(
            "The value {op} for parameter ComparisonOperator is invalid."
        )));
    }
    if let Some(m) = input.datapoints_to_alarm {
        if m > n {
            return Err(validation("DatapointsToAlarm must be less than or equal to EvaluationPeriods"));
        }
    }
    if let Some(t) = input.treat_missing_data.as_deref() {
        if !["breaching", "notBreaching", "ignore", "missing"].contains(&t) {
            return Err(ApiError::invalid_parameter_value(format!(
                "The value {t} for parameter TreatMissingData is invalid. Valid values are: breaching, notBreaching, ignore, missing."
            )));
        }
    }
    if let Some(e) = input.evaluate_low_sample_count_percentile.as_deref() {
        if !["evaluate", "ignore"].contains(&e) {
            return Err(ApiError::invalid_parameter_value(format!(
                "The value {e} for parameter EvaluateLowSampleCountPercentile is invalid. Valid values are: evaluate, ignore."
            )));
        }
    }
    let band = is_band_operator(op);
    match (&input.threshold_metric_id, input.threshold) {
        (Some(_), Some(_)) => return Err(validation("Threshold and ThresholdMetricId cannot both be set")),
        (None, None) if !band => return Err(validation("Threshold must not be null")),
        (None, _) if band => {
            return Err(validation(format!("ThresholdMetricId must be set when ComparisonOperator is {op}")))
        }
        (Some(_), None) if !band => {
            return Err(validation(format!("ThresholdMetricId cannot be used with ComparisonOperator {op}")))
        }
        _ => {}
    }
    let period = match &input.metrics {
        Some(metrics) => {
            for (field, set) in [
                ("MetricName", input.metric_name.is_some()),
                ("Namespace", input.namespace.is_some()),
                ("Dimensions", input.dimensions.as_ref().is_some_and(|d| !d.is_empty())),
                ("Period", input.period.is_some()),
                ("Unit", input.unit.is_some()),
                ("Statistic", input.statistic.is_some()),
                ("ExtendedStatistic", input.extended_statistic.is_some()),
            ] {
                if set {
                    return Err(must_not(field));
                }
            }
            if metrics.is_empty() {
                return Err(validation("Invalid metrics list"));
            }
            // The band of an anomaly alarm may return data too; the watched query is the other.
            let watched: Vec<_> =
                metrics.iter().filter(|q| Some(&q.id) != input.threshold_metric_id.as_ref()).collect();
            if watched.iter().filter(|q| q.return_data.unwrap_or(true)).count() != 1
                && watched.iter().filter(|q| q.return_data == Some(true)).count() != 1
            {
                return Err(validation("Exactly one element of the metrics list should return data."));
            }
            if metrics.len() > 10 + usize::from(band) {
                return Err(validation("The metrics list can contain as many as 10 metrics."));
            }
            if metrics.iter().any(|q| q.expression.as_deref().is_some_and(|e| e.contains("SEARCH("))) {
                return Err(validation("SEARCH is not supported on Metric Alarms."));
            }
            let engine = Engine::new(store, metrics, "Metrics", now_ms - 60_000, now_ms, now_ms)
                .map_err(|e| validation(format!("Invalid metrics list: {}", e.message)))?;
            let ret = returned_id(input).unwrap_or_default();
            if let Some(t) = &input.threshold_metric_id {
                if !metrics.iter().any(|q| &q.id == t) {
                    return Err(validation(format!(
                        "ThresholdMetricId {t} does not match the Id of a metric in the Metrics list"
                    )));
                }
                if !metrics.iter().any(|q| {
                    &q.id == t && q.expression.as_deref().is_some_and(|e| e.contains("ANOMALY_DETECTION_BAND"))
                }) {
                    return Err(validation(format!(
                        "The ThresholdMetricId {t} must be an ANOMALY_DETECTION_BAND expression"
                    )));
                }
            }
            let periods: BTreeSet<i64> =
                metrics.iter().filter_map(|q| q.metric_stat.as_ref().map(|m| i64::from(m.period))).collect();
            if periods.len() > 1 {
                return Err(validation("All metrics in an alarm must have the same period."));
            }
            engine.period_of_id(&ret).unwrap_or(60)
        }
        None => {
            if input.metric_name.is_none() {
                return Err(validation("MetricName must not be null"));
            }
            if input.namespace.is_none() {
                return Err(validation("Namespace must not be null"));
            }
            match (&input.statistic, &input.extended_statistic) {
                (Some(_), Some(_)) => {
                    return Err(ApiError::client(
                        "InvalidParameterCombination",
                        "The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both.",
                    ))
                }
                (None, None) => {
                    return Err(validation("The parameter Statistic or the parameter ExtendedStatistic must be specified."))
                }
                (None, Some(e)) => {
                    if Stat::parse(e).filter(|s| !s.is_standard()).is_none() {
                        return Err(ApiError::invalid_parameter_value(format!(
                            "The value {e} for parameter ExtendedStatistic is invalid."
                        )));
                    }
                }
                (Some(_), None) => {}
            }
            if band {
                return Err(validation("An alarm on an anomaly detection band must use the Metrics list"));
            }
            if let Some(u) = &input.unit {
                if unit_index(u).is_none() {
                    return Err(ApiError::invalid_parameter_value(format!(
                        "The value {u} for parameter Unit is invalid."
                    )));
                }
            }
            let Some(p) = input.period else { return Err(validation("Period must not be null")) };
            i64::from(p)
        }
    };
    if !(matches!(period, 10 | 20 | 30) || (period >= 60 && period % 60 == 0)) {
        return Err(ApiError::invalid_parameter_value("The parameter Period must be 10, 20, 30 or a multiple of 60."));
    }
    let total = period * i64::from(n);
    if period < 3600 && total > 86_400 {
        return Err(validation(
            "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400).",
        ));
    }
    if total > 604_800 {
        return Err(validation(
            "Metrics cannot be checked across more than a week (EvaluationPeriods * Period must be <= 604800).",
        ));
    }
    Ok(())
}

/// The id of the query a metric-math alarm watches.
pub fn returned_id(input: &PutMetricAlarmInput) -> Option<String> {
    let metrics: Vec<_> =
        input.metrics.as_ref()?.iter().filter(|q| Some(&q.id) != input.threshold_metric_id.as_ref()).collect();
    metrics
        .iter()
        .find(|q| q.return_data == Some(true))
        .or_else(|| {
            let defaults: Vec<_> = metrics.iter().filter(|q| q.return_data.is_none()).collect();
            (defaults.len() == 1).then(|| defaults[0])
        })
        .map(|q| q.id.clone())
}

/// The alarm's period in seconds.
pub fn alarm_period(input: &PutMetricAlarmInput) -> i64 {
    if let Some(p) = input.period {
        return i64::from(p);
    }
    let ret = returned_id(input);
    let metrics = input.metrics.as_deref().unwrap_or_default();
    metrics
        .iter()
        .find(|q| Some(&q.id) == ret.as_ref())
        .and_then(|q| q.metric_stat.as_ref().map(|m| i64::from(m.period)).or(q.period.map(i64::from)))
        .or_else(|| metrics.iter().find_map(|q| q.metric_stat.as_ref().map(|m| i64::from(m.period))))
        .unwrap_or(60)
}

fn tag_map(tags: &Option<Vec<crate::generated::dto::Tag>>) -> Vec<(String, String)> {
    tags.iter().flatten().map(|t| (t.key.clone(), t.value.clone())).collect()
}

pub fn put_metric_alarm(
    state: &mut CwState,
    ctx: &RequestContext,
    mut input: PutMetricAlarmInput,
) -> Result<(), ApiError> {
    let now_ms = ctx.now.timestamp_millis();
    check_metric_alarm(&state.metrics, &input, now_ms)?;
    if let Some(existing) = state.alarms.alarms.get(&input.alarm_name) {
        if matches!(existing.kind, Kind::Composite(_)) {
            return Err(validation(format!(
                "The alarm {} is a composite alarm; it cannot be changed into a metric alarm.",
                input.alarm_name
            )));
        }
    }
    let tags = input.tags.take();
    let name = input.alarm_name.clone();
    let period = alarm_period(&input);
    let next_eval_ms = evaluation::next_tick(now_ms, period);
    let before = state.alarms.alarms.get(&name).cloned();
    let alarm = match &before {
        Some(old) => Alarm {
            kind: Kind::Metric(Box::new(MetricConfig { input: input.clone() })),
            actions_enabled: input.actions_enabled.unwrap_or(true),
            configuration_updated_ms: now_ms,
            next_eval_ms,
            ..old.clone()
        },
        None => Alarm {
            name: name.clone(),
            arn: alarm_arn(ctx, &name),
            actions_enabled: input.actions_enabled.unwrap_or(true),
            kind: Kind::Metric(Box::new(MetricConfig { input: input.clone() })),
            state: INSUFFICIENT_DATA,
            reason: "Unchecked: Initial alarm creation".into(),
            reason_data: None,
            state_updated_ms: now_ms,
            state_transitioned_ms: now_ms,
            configuration_updated_ms: now_ms,
            next_eval_ms,
            actions_suppressed: None,
        },
    };
    record_configuration(
        &mut state.alarms,
        &alarm,
        before.as_ref(),
        if before.is_some() { "Update" } else { "Create" },
        now_ms,
    );
    if before.is_none() {
        state.tags.set(&alarm.arn, tag_map(&tags));
    }
    state.alarms.alarms.insert(name, alarm);
    Ok(())
}

pub fn put_composite_alarm(
    state: &mut CwState,
    ctx: &RequestContext,
    mut input: PutCompositeAlarmInput,
    effects: &mut Effects,
) -> Result<(), ApiError> {
    let now_ms = ctx.now.timestamp_millis();
    if input.alarm_rule.trim() != input.alarm_rule {
        return Err(validation("AlarmRule must not contain leading or trailing whitespace or be null"));
    }
    let rule = composite::parse(&input.alarm_rule)
        .map_err(|m| validation(format!("Error in AlarmRule [{}]: {m}.", input.alarm_rule)))?;
    let names = rule.alarms();
    if names.len() > 100 {
        return Err(validation("The alarm rule of a composite alarm can refer to at most 100 alarms."));
    }
    let missing: Vec<&str> =
        names.iter().filter(|n| !state.alarms.alarms.contains_key(n.as_str())).map(String::as_str).collect();
    if !missing.is_empty() {
        return Err(validation(format!(
            "Could not save the composite alarm as alarms [{}] in the alarm rule do not exist",
            missing.join(", ")
        )));
    }
    if names.contains(&input.alarm_name) {
        return Err(validation(format!("The alarm rule of {} refers to the alarm itself.", input.alarm_name)));
    }
    if let Some(s) = &input.actions_suppressor {
        let s = composite::name_of(s);
        if !state.alarms.alarms.contains_key(s) {
            return Err(validation(format!("The actions suppressor alarm {s} does not exist.")));
        }
        if input.actions_suppressor_wait_period.is_none() || input.actions_suppressor_extension_period.is_none() {
            return Err(validation(
                "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are required when ActionsSuppressor is set.",
            ));
        }
    }
    if let Some(existing) = state.alarms.alarms.get(&input.alarm_name) {
        if matches!(existing.kind, Kind::Metric(_)) {
            return Err(validation(format!(
                "The alarm {} is a metric alarm; it cannot be changed into a composite alarm.",
                input.alarm_name
            )));
        }
    }
    for action in input.alarm_actions.iter().chain(&input.ok_actions).chain(&input.insufficient_data_actions).flatten()
    {
        if action.starts_with("arn:aws:automate:") || action.starts_with("arn:aws:autoscaling:") {
            return Err(validation(format!("Composite alarms cannot perform the action {action}.")));
        }
    }
    let tags = input.tags.take();
    let name = input.alarm_name.clone();
    let before = state.alarms.alarms.get(&name).cloned();
    let config = CompositeConfig { input: input.clone(), rule };
    let alarm = match &before {
        Some(old) => Alarm {
            kind: Kind::Composite(Box::new(config)),
            actions_enabled: input.actions_enabled.unwrap_or(true),
            configuration_updated_ms: now_ms,
            ..old.clone()
        },
        None => Alarm {
            name: name.clone(),
            arn: alarm_arn(ctx, &name),
            actions_enabled: input.actions_enabled.unwrap_or(true),
            kind: Kind::Composite(Box::new(config)),
            state: INSUFFICIENT_DATA,
            reason: "Unchecked: Initial alarm creation".into(),
            reason_data: None,
            state_updated_ms: now_ms,
            state_transitioned_ms: now_ms,
            configuration_updated_ms: now_ms,
            next_eval_ms: i64::MAX,
            actions_suppressed: None,
        },
    };
    record_configuration(
        &mut state.alarms,
        &alarm,
        before.as_ref(),
        if before.is_some() { "Update" } else { "Create" },
        now_ms,
    );
    if before.is_none() {
        state.tags.set(&alarm.arn, tag_map(&tags));
    }
    state.alarms.alarms.insert(name.clone(), alarm);
    // A composite alarm is evaluated as soon as it is created or updated.
    evaluation::evaluate_composite(state, &name, now_ms, None, effects);
    Ok(())
}

fn metric_alarm_out(a: &Alarm) -> Option<MetricAlarm> {
    let Kind::Metric(m) = &a.kind else { return None };
    let i = &m.input;
    Some(MetricAlarm {
        alarm_name: Some(a.name.clone()),
        alarm_arn: Some(a.arn.clone()),
        alarm_description: i.alarm_description.clone(),
        alarm_configuration_updated_timestamp: ts(a.configuration_updated_ms),
        actions_enabled: Some(a.actions_enabled),
        ok_actions: Some(i.ok_actions.clone().unwrap_or_default()),
        alarm_actions: Some(i.alarm_actions.clone().unwrap_or_default()),
        insufficient_data_actions: Some(i.insufficient_data_actions.clone().unwrap_or_default()),
        state_value: Some(a.state.to_string()),
        state_reason: Some(a.reason.clone()),
        state_reason_data: a.reason_data.clone(),
        state_updated_timestamp: ts(a.state_updated_ms),
        state_transitioned_timestamp: ts(a.state_transitioned_ms),
        metric_name: i.metric_name.clone(),
        namespace: i.namespace.clone(),
        statistic: i.statistic.clone(),
        extended_statistic: i.extended_statistic.clone(),
        dimensions: Some(i.dimensions.clone().unwrap_or_default()),
        period: i.period,
        unit: i.unit.clone(),
        evaluation_periods: i.evaluation_periods,
        datapoints_to_alarm: i.datapoints_to_alarm,
        threshold: i.threshold,
        comparison_operator: i.comparison_operator.clone(),
        treat_missing_data: i.treat_missing_data.clone(),
        evaluate_low_sample_count_percentile: i.evaluate_low_sample_count_percentile.clone(),
        metrics: i.metrics.clone(),
        threshold_metric_id: i.threshold_metric_id.clone(),
        ..Default::default()
    })
}

fn composite_alarm_out(a: &Alarm) -> Option<CompositeAlarm> {
    let Kind::Composite(c) = &a.kind else { return None };
    let i = &c.input;
    Some(CompositeAlarm {
        actions_enabled: Some(a.actions_enabled),
        alarm_actions: Some(i.alarm_actions.clone().unwrap_or_default()),
        alarm_arn: Some(a.arn.clone()),
        alarm_configuration_updated_timestamp: ts(a.configuration_updated_ms),
        alarm_description: i.alarm_description.clone(),
        alarm_name: Some(a.name.clone()),
        alarm_rule: Some(i.alarm_rule.clone()),
        insufficient_data_actions: Some(i.insufficient_data_actions.clone().unwrap_or_default()),
        ok_actions: Some(i.ok_actions.clone().unwrap_or_default()),
        state_reason: Some(a.reason.clone()),
        state_reason_data: a.reason_data.clone(),
        state_updated_timestamp: ts(a.state_updated_ms),
        state_value: Some(a.state.to_string()),
        state_transitioned_timestamp: ts(a.state_transitioned_ms),
        actions_suppressed_by: a.actions_suppressed.as_ref().map(|s| s.0.clone()),
        actions_suppressed_reason: a.actions_suppressed.as_ref().map(|s| s.1.clone()),
        actions_suppressor: i.actions_suppressor.clone(),
        actions_suppressor_wait_period: i.actions_suppressor_wait_period,
        actions_suppressor_extension_period: i.actions_suppressor_extension_period,
        ..Default::default()
    })
}

fn encode_token(kind: &str, offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("nimbus-{kind}:{offset}"))
}

fn decode_token(kind: &str, token: &str) -> Result<usize, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(&format!("nimbus-{kind}:")).and_then(|n| n.parse().ok()))
        .ok_or_else(|| ApiError::client("InvalidNextToken", format!("The NextToken '{token}' is invalid.")))
}

pub fn describe_alarms(
    state: &CwState,
    _ctx: &RequestContext,
    input: DescribeAlarmsInput,
) -> Result<DescribeAlarmsOutput, ApiError> {
    let store = &state.alarms;
    let family = input.children_of_alarm_name.is_some() || input.parents_of_alarm_name.is_some();
    if input.children_of_alarm_name.is_some() && input.parents_of_alarm_name.is_some() {
        return Err(validation("ChildrenOfAlarmName and ParentsOfAlarmName cannot be used together."));
    }
    if family
        && (input.alarm_names.is_some()
            || input.alarm_name_prefix.is_some()
            || input.alarm_types.is_some()
            || input.state_value.is_some()
            || input.action_prefix.is_some())
    {
        let which = if input.children_of_alarm_name.is_some() { "ChildrenOfAlarmName" } else { "ParentsOfAlarmName" };
        return Err(validation(format!(
            "If you specify {which}, you cannot specify any other parameters except MaxRecords and NextToken."
        )));
    }
    if input.alarm_names.as_ref().is_some_and(|n| !n.is_empty()) && input.alarm_name_prefix.is_some() {
        return Err(ApiError::client(
            "InvalidParameterCombination",
            "AlarmNamePrefix and AlarmNames.member are mutually exclusive",
        ));
    }
    let max = input.max_records.map_or(50, |m| m as usize);
    let offset = match &input.next_token {
        Some(t) => decode_token("describe-alarms", t)?,
        None => 0,
    };
    let types: Vec<String> = input.alarm_types.clone().unwrap_or_else(|| vec!["MetricAlarm".into()]);
    let selected: Vec<&Alarm> = if let Some(parent) = &input.children_of_alarm_name {
        match store.alarms.get(parent).map(|a| &a.kind) {
            Some(Kind::Composite(c)) => c.rule.alarms().iter().filter_map(|n| store.alarms.get(n)).collect(),
            _ => Vec::new(),
        }
    } else if let Some(child) = &input.parents_of_alarm_name {
        store.parents_of(child).iter().filter_map(|n| store.alarms.get(n)).collect()
    } else {
        store
            .alarms
            .values()
            .filter(|a| family || types.iter().any(|t| t == a.alarm_type()))
            .filter(|a| input.alarm_names.as_ref().is_none_or(|n| n.is_empty() || n.contains(&a.name)))
            .filter(|a| input.alarm_name_prefix.as_ref().is_none_or(|p| a.name.starts_with(p.as_str())))
            .filter(|a| input.state_value.as_deref().is_none_or(|s| s == a.state))
            .filter(|a| {
                input.action_prefix.as_ref().is_none_or(|p| a.all_actions().iter().any(|x| x.starts_with(p.as_str())))
            })
            .collect()
    };
    // Metric alarms first, then composite ones, paged together.
    let mut ordered: Vec<&Alarm> = selected.iter().copied().filter(|a| matches!(a.kind, Kind::Metric(_))).collect();
    ordered.extend(selected.iter().copied().filter(|a| matches!(a.kind, Kind::Composite(_))));
    let page: Vec<&Alarm> = ordered.iter().copied().skip(offset).take(max).collect();
    let more = offset + page.len() < ordered.len();
    let slim = |a: &Alarm| -> (Option<MetricAlarm>, Option<CompositeAlarm>) {
        // Children: name, ARN, state, state timestamp; parents: name and ARN.
        let state = input.children_of_alarm_name.is_some();
        match a.kind {
            Kind::Metric(_) => (
                Some(MetricAlarm {
                    alarm_name: Some(a.name.clone()),
                    alarm_arn: Some(a.arn.clone()),
                    state_value: state.then(|| a.state.to_string()),
                    state_updated_timestamp: if state { ts(a.state_updated_ms) } else { None },
                    ..Default::default()
                }),
                None,
            ),
            Kind::Composite(_) => (
                None,
                Some(CompositeAlarm {
                    alarm_name: Some(a.name.clone()),
                    alarm_arn: Some(a.arn.clone()),
                    state_value: state.then(|| a.state.to_string()),
                    state_updated_timestamp: if state { ts(a.state_updated_ms) } else { None },
                    ..Default::default()
                }),
            ),
        }
    };
    let mut metric_alarms = Vec::new();
    let mut composite_alarms = Vec::new();
    for a in page {
        let (m, c) = if family { slim(a) } else { (metric_alarm_out(a), composite_alarm_out(a)) };
        metric_alarms.extend(m);
        composite_alarms.extend(c);
    }
    Ok(DescribeAlarmsOutput {
        metric_alarms: Some(metric_alarms),
        composite_alarms: Some(composite_alarms),
        log_alarms: None,
        next_token: more.then(|| encode_token("describe-alarms", offset + max)),
    })
}

pub fn describe_alarms_for_metric(
    state: &CwState,
    _ctx: &RequestContext,
    input: DescribeAlarmsForMetricInput,
) -> Result<DescribeAlarmsForMetricOutput, ApiError> {
    let store = &state.alarms;
    let mut want: Vec<(String, String)> =
        input.dimensions.iter().flatten().map(|d| (d.name.clone(), d.value.clone())).collect();
    want.sort();
    let alarms = store
        .alarms
        .values()
        .filter(|a| {
            let Kind::Metric(m) = &a.kind else { return false };
            let i = &m.input;
            let mut dims: Vec<(String, String)> =
                i.dimensions.iter().flatten().map(|d| (d.name.clone(), d.value.clone())).collect();
            dims.sort();
            i.metrics.is_none()
                && i.metric_name.as_deref() == Some(input.metric_name.as_str())
                && i.namespace.as_deref() == Some(input.namespace.as_str())
                && dims == want
                && input.statistic.as_ref().is_none_or(|s| i.statistic.as_ref() == Some(s))
                && input.extended_statistic.as_ref().is_none_or(|s| i.extended_statistic.as_ref() == Some(s))
                && input.period.is_none_or(|p| i.period == Some(p))
                && input.unit.as_ref().is_none_or(|u| i.unit.as_ref() == Some(u))
        })
        .filter_map(metric_alarm_out)
        .collect();
    Ok(DescribeAlarmsForMetricOutput { metric_alarms: Some(alarms) })
}

pub fn delete_alarms(state: &mut CwState, ctx: &RequestContext, input: DeleteAlarmsInput) -> Result<(), ApiError> {
    let now_ms = ctx.now.timestamp_millis();
    let names: BTreeSet<&str> = input.alarm_names.iter().map(String::as_str).collect();
    let composites = names
        .iter()
        .filter(|n| matches!(state.alarms.alarms.get(**n).map(|a| &a.kind), Some(Kind::Composite(_))))
        .count();
    if composites > 1 {
        return Err(validation("You can delete at most one composite alarm in one DeleteAlarms request."));
    }
    for name in &names {
        let parents: Vec<String> =
            state.alarms.parents_of(name).into_iter().filter(|p| !names.contains(p.as_str())).collect();
        if !parents.is_empty() {
            return Err(validation(format!("Cannot delete {name} as there are composite alarm(s) depending on it.")));
        }
    }
    for name in names {
        if let Some(alarm) = state.alarms.alarms.remove(name) {
            record_configuration(&mut state.alarms, &alarm, None, "Delete", now_ms);
            state.tags.remove(&alarm.arn);
        }
    }
    Ok(())
}

pub fn set_actions_enabled(store: &mut AlarmStore, names: &[String], enabled: bool) {
    for name in names {
        if let Some(a) = store.alarms.get_mut(name) {
            a.actions_enabled = enabled;
        }
    }
}

pub fn enable_alarm_actions(
    state: &mut CwState,
    _ctx: &RequestContext,
    input: EnableAlarmActionsInput,
) -> Result<(), ApiError> {
    let store = &mut state.alarms;
    set_actions_enabled(store, &input.alarm_names, true);
    Ok(())
}

pub fn disable_alarm_actions(
    state: &mut CwState,
    _ctx: &RequestContext,
    input: DisableAlarmActionsInput,
) -> Result<(), ApiError> {
    let store = &mut state.alarms;
    set_actions_enabled(store, &input.alarm_names, false);
    Ok(())
}

pub fn set_alarm_state(
    state: &mut CwState,
    ctx: &RequestContext,
    input: SetAlarmStateInput,
    effects: &mut Effects,
) -> Result<(), ApiError> {
    let now_ms = ctx.now.timestamp_millis();
    if !state.alarms.alarms.contains_key(&input.alarm_name) {
        return Err(
            ApiError::client("ResourceNotFound", format!("Alarm {} not found", input.alarm_name)).with_status(404)
        );
    }
    let new_state = match input.state_value.as_str() {
        OK => OK,
        ALARM => ALARM,
        INSUFFICIENT_DATA => INSUFFICIENT_DATA,
        other => {
            return Err(ApiError::invalid_parameter_value(format!(
                "The value {other} for parameter StateValue is invalid."
            )))
        }
    };
    if let Some(data) = &input.state_reason_data {
        if serde_json::from_str::<Value>(data).is_err() {
            return Err(ApiError::client("InvalidFormat", "StateReasonData was not syntactically valid JSON"));
        }
    }
    evaluation::transition(
        state,
        &input.alarm_name,
        new_state,
        input.state_reason,
        input.state_reason_data,
        now_ms,
        effects,
    );
    Ok(())
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
