//! PutMetricAlarm: a metric alarm, checked as CloudWatch checks it.

use std::collections::BTreeSet;

use nimbus_core::{ApiError, RequestContext};

use crate::evaluation;
use crate::generated::dto::PutMetricAlarmInput;
use crate::metric_data::{validation, Engine};
use crate::statistics::Stat;
use crate::store::{unit_index, MetricStore};
use crate::CwState;

use super::{store_put_alarm, Kind, MetricConfig};

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

pub fn put_metric_alarm(
    state: &mut CwState,
    ctx: &RequestContext,
    mut input: PutMetricAlarmInput,
) -> Result<(), ApiError> {
    let now_ms = ctx.now.timestamp_millis();
    check_metric_alarm(&state.metrics, &input, now_ms)?;
    if let Some(existing) = state.alarms.alarms.get(&input.alarm_name) {
        if !matches!(existing.kind, Kind::Metric(_)) {
            return Err(validation(format!(
                "The alarm {} is a {}; it cannot be changed into a metric alarm.",
                input.alarm_name,
                if matches!(existing.kind, Kind::Log(_)) { "log alarm" } else { "composite alarm" }
            )));
        }
    }
    let tags = input.tags.take();
    let name = input.alarm_name.clone();
    let period = alarm_period(&input);
    let next_eval_ms = evaluation::next_tick(now_ms, period);
    let kind = Kind::Metric(Box::new(MetricConfig { input: input.clone() }));
    let enabled = input.actions_enabled.unwrap_or(true);
    store_put_alarm(state, ctx, (&name, kind), enabled, Some(next_eval_ms), &tags, now_ms);
    Ok(())
}
