//! StateReason and StateReasonData of a metric alarm's evaluation.

use serde_json::{json, Value};

use crate::alarms::is_band_operator;
use crate::generated::dto::PutMetricAlarmInput;

use super::decide::Dp;
use super::format::{java_double, json_time, reason_time};
use super::metric::Evaluated;

fn operator_text(op: &str) -> &'static str {
    match op {
        "GreaterThanOrEqualToThreshold" => "greater than or equal to",
        "GreaterThanThreshold" => "greater than",
        "LessThanThreshold" => "less than",
        "LessThanOrEqualToThreshold" => "less than or equal to",
        "LessThanLowerThreshold" => "less than",
        "GreaterThanUpperThreshold" => "greater than",
        _ => "less than",
    }
}

pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(super) fn was(n: usize) -> &'static str {
    if n == 1 {
        "was"
    } else {
        "were"
    }
}

/// The StateReason of a threshold decision (`alarm`: toward ALARM).
pub(super) fn crossing_reason(input: &PutMetricAlarmInput, e: &Evaluated, crossing: &[&Dp], alarm: bool) -> String {
    let op = input.comparison_operator.as_deref().unwrap_or("GreaterThanThreshold");
    let k = crossing.len();
    let not = if alarm { "" } else { "not " };
    let list = |items: &[&Dp]| {
        items
            .iter()
            .map(|d| format!("{} ({})", java_double(d.value.unwrap_or(f64::NAN)), reason_time(d.t)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (head, comparison) = if is_band_operator(op) {
        let uppers: Vec<String> = crossing.iter().filter_map(|d| d.band.map(|b| java_double(b.0))).collect();
        let lowers: Vec<String> = crossing.iter().filter_map(|d| d.band.map(|b| java_double(b.1))).collect();
        let c = match op {
            "LessThanLowerThreshold" => format!("{not}less than the lower thresholds [{}]", lowers.join(", ")),
            "GreaterThanUpperThreshold" => format!("{not}greater than the upper thresholds [{}]", uppers.join(", ")),
            _ => format!(
                "{not}less than the lower thresholds [{}] or greater than the upper thresholds [{}]",
                lowers.join(", "),
                uppers.join(", ")
            ),
        };
        ("Thresholds Crossed", c)
    } else {
        (
            "Threshold Crossed",
            format!("{not}{} the threshold ({})", operator_text(op), java_double(input.threshold.unwrap_or(0.0))),
        )
    };
    let minimum = if alarm {
        format!(" (minimum {} for OK -> ALARM transition)", plural(e.m, "datapoint", "datapoints"))
    } else {
        format!(" (minimum {} for ALARM -> OK transition)", plural(e.n - e.m + 1, "datapoint", "datapoints"))
    };
    let counted = if e.explicit_m {
        format!("{k} out of the last {} datapoints", e.n)
    } else {
        plural(k, "datapoint", "datapoints")
    };
    let suffix = if e.explicit_m { minimum.as_str() } else { "" };
    if k < 5 {
        format!("{head}: {counted} [{}] {} {comparison}{suffix}.", list(crossing), was(k))
    } else {
        format!(
            "{head}: {counted} were {comparison}. The most recent datapoints which crossed the threshold: [{}]{suffix}.",
            list(&crossing[..5])
        )
    }
}

fn stat_name(input: &PutMetricAlarmInput) -> Option<String> {
    input.statistic.clone().or_else(|| input.extended_statistic.clone())
}

/// StateReasonData, as CloudWatch writes it.
pub(super) fn reason_data(input: &PutMetricAlarmInput, e: &Evaluated, t: i64, used: &[&Dp], listed: &[&Dp]) -> String {
    let mut v = serde_json::Map::new();
    v.insert("version".into(), json!("1.0"));
    v.insert("queryDate".into(), json!(json_time(t)));
    if let Some(oldest) = used.iter().map(|d| d.t).min() {
        v.insert("startDate".into(), json!(json_time(oldest)));
    }
    if let Some(u) = &input.unit {
        v.insert("unit".into(), json!(u));
    }
    if let Some(s) = stat_name(input) {
        v.insert("statistic".into(), json!(s));
    }
    v.insert("period".into(), json!(e.period));
    let mut recent: Vec<&&Dp> = used.iter().collect();
    recent.sort_by_key(|d| d.t);
    v.insert("recentDatapoints".into(), json!(recent.iter().filter_map(|d| d.value).collect::<Vec<f64>>()));
    if let Some(th) = input.threshold {
        v.insert("threshold".into(), json!(th));
    }
    if input.threshold_metric_id.is_some() {
        v.insert(
            "recentLowerThresholds".into(),
            json!(recent.iter().filter_map(|d| d.band.map(|b| b.1)).collect::<Vec<f64>>()),
        );
        v.insert(
            "recentUpperThresholds".into(),
            json!(recent.iter().filter_map(|d| d.band.map(|b| b.0)).collect::<Vec<f64>>()),
        );
    }
    let evaluated: Vec<Value> = listed
        .iter()
        .map(|d| match d.value {
            Some(value) => {
                let mut o = serde_json::Map::new();
                o.insert("timestamp".into(), json!(json_time(d.t)));
                if let Some(c) = d.sample_count {
                    o.insert("sampleCount".into(), json!(c));
                }
                o.insert("value".into(), json!(value));
                Value::Object(o)
            }
            None => json!({"timestamp": json_time(d.t)}),
        })
        .collect();
    v.insert("evaluatedDatapoints".into(), Value::Array(evaluated));
    Value::Object(v).to_string()
}
