//! Alarm evaluation on nimbus's clock, without a background thread: every request for
//! a partition first runs the evaluations that were due up to `now` ([`catch_up`]), each
//! at the instant it would have run, so state changes and history carry the timestamps
//! they would have had.
//!
//! - A metric alarm with a period of a minute or more is evaluated every minute, on the
//!   minute; a 10-, 20- or 30-second alarm every 10 seconds. The evaluation at `T` looks
//!   at the periods ending at `T`: datapoint k covers `[T-(k+1)·P, T-k·P)`.
//! - It retrieves an evaluation range of N+2 datapoints (N = EvaluationPeriods), as in
//!   AWS's documented example (N = 3, range 5), and decides as AWS documents:
//!   the N newest when none is missing; else the N most recent real datapoints when
//!   there are that many; else the real ones plus missing ones treated as
//!   TreatMissingData says (missing/ignore fill nothing: some non-breaching datapoint
//!   means OK, and with only breaching ones the alarm goes to ALARM when the oldest of
//!   them in the last N is at least M old — the "premature alarm" rule — and otherwise
//!   keeps its state); all missing: INSUFFICIENT_DATA, unchanged, ALARM or OK.
//! - Composite alarms are evaluated when created or updated and whenever an alarm their
//!   rule names changes state.
//! - While every datapoint of the range is missing and nothing changes, evaluations
//!   would repeat the same answer: the next one is moved to the first tick that can see
//!   new data, which keeps catching up after a long clock jump cheap.

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use crate::alarms::{self, is_band_operator, Alarm, HistoryItem, Kind, ALARM, INSUFFICIENT_DATA, OK};
use crate::generated::dto::PutMetricAlarmInput;
use crate::math::Value as MathValue;
use crate::metric_data::Engine;
use crate::query::periods;
use crate::statistics::{Extended, Stat};
use crate::store::{unit_index, MetricKey, MetricStore};
use crate::CwState;

/// An EC2 action (`arn:aws:automate:<region>:ec2:stop|terminate|reboot|recover`) an
/// alarm took; run by the EC2 hook after the CloudWatch lock is released.
#[derive(Debug, Clone, PartialEq)]
pub struct Ec2Action {
    pub alarm_name: String,
    pub alarm_type: &'static str,
    pub action_arn: String,
    /// `stop`, `terminate`, `reboot` or `recover`.
    pub action: String,
    /// The alarm's `InstanceId` dimension.
    pub instance_id: Option<String>,
    pub at_ms: i64,
}

/// What an evaluation leaves to do outside the lock.
#[derive(Debug, Default)]
pub struct Effects {
    pub ec2: Vec<Ec2Action>,
}

/// `2024-10-26T19:00:38.853+0000`, as alarm JSON writes times.
pub fn json_time(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default().format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// `26/10/24 18:59:00`, as StateReason writes datapoint times.
fn reason_time(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default().format("%d/%m/%y %H:%M:%S").to_string()
}

/// `Sunday 30 October, 2022 20:47:35 UTC`, as composite reasons write times.
fn long_time(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default().format("%A %d %B, %Y %H:%M:%S UTC").to_string()
}

/// A number as Java's `Double.toString` writes it (`95.0`, `0.0175`, `1.0E7`), which
/// is how CloudWatch's reasons write values.
pub fn java_double(v: f64) -> String {
    if v == 0.0 {
        return "0.0".into();
    }
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    if (1e-3..1e7).contains(&a) {
        let s = format!("{v}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let exp = a.log10().floor() as i32;
        let mut mantissa = v / 10f64.powi(exp);
        let mut exp = exp;
        if mantissa.abs() >= 10.0 {
            mantissa /= 10.0;
            exp += 1;
        }
        let m = format!("{mantissa}");
        let m = if m.contains('.') { m } else { format!("{m}.0") };
        format!("{m}E{exp}")
    }
}

/// The first evaluation tick strictly after `ms` for an alarm of this period.
pub fn next_tick(ms: i64, period_s: i64) -> i64 {
    let step = step_ms(period_s);
    (ms.div_euclid(step) + 1) * step
}

fn step_ms(period_s: i64) -> i64 {
    if period_s < 60 {
        10_000
    } else {
        60_000
    }
}

/// One datapoint of an evaluation range.
#[derive(Debug, Clone, PartialEq)]
struct Dp {
    t: i64,
    value: Option<f64>,
    sample_count: Option<f64>,
    breaching: Option<bool>,
    low_samples: bool,
    band: Option<(f64, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Treat {
    Missing,
    Ignore,
    Breaching,
    NotBreaching,
}

impl Treat {
    fn of(input: &PutMetricAlarmInput) -> Treat {
        match input.treat_missing_data.as_deref() {
            Some("breaching") => Treat::Breaching,
            Some("notBreaching") => Treat::NotBreaching,
            Some("ignore") => Treat::Ignore,
            _ => Treat::Missing,
        }
    }
}

/// How an evaluation decided.
#[derive(Debug, Clone, PartialEq)]
enum Decision {
    /// Real datapoints decided (indexes into the range, newest first).
    Real { alarm: bool, used: Vec<usize> },
    /// Real datapoints plus `filled` missing ones treated as breaching or not.
    Filled { alarm: bool, used: Vec<usize>, filled: usize, breaching: bool },
    /// Every datapoint is missing.
    AllMissing(Treat),
    /// Only breaching datapoints, too few, but old enough: ALARM.
    Premature { used: Vec<usize> },
    /// The state stays.
    Retain,
}

fn decide(dps: &[Dp], n: usize, m: usize, treat: Treat) -> Decision {
    let recent = &dps[..n.min(dps.len())];
    let breaching_in = |idx: &[usize]| idx.iter().filter(|i| dps[**i].breaching == Some(true)).count();
    if recent.len() == n && recent.iter().all(|d| d.breaching.is_some()) {
        let used: Vec<usize> = (0..n).collect();
        return Decision::Real { alarm: breaching_in(&used) >= m, used };
    }
    let real: Vec<usize> = (0..dps.len()).filter(|i| dps[*i].breaching.is_some()).collect();
    if real.len() >= n {
        let used = real[..n].to_vec();
        return Decision::Real { alarm: breaching_in(&used) >= m, used };
    }
    if real.is_empty() {
        return Decision::AllMissing(treat);
    }
    let filled = n - real.len();
    let breaching = breaching_in(&real);
    match treat {
        Treat::Breaching => Decision::Filled { alarm: breaching + filled >= m, used: real, filled, breaching: true },
        Treat::NotBreaching => Decision::Filled { alarm: breaching >= m, used: real, filled, breaching: false },
        Treat::Missing | Treat::Ignore => {
            if breaching >= m {
                return Decision::Real { alarm: true, used: real };
            }
            if breaching < real.len() {
                return Decision::Real { alarm: false, used: real };
            }
            // Only breaching datapoints: the premature-alarm rule.
            let oldest = recent.iter().rposition(|d| d.breaching == Some(true));
            match oldest {
                Some(j) if j + 1 >= m && treat == Treat::Missing => Decision::Premature { used: real },
                _ => Decision::Retain,
            }
        }
    }
}

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

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn was(n: usize) -> &'static str {
    if n == 1 {
        "was"
    } else {
        "were"
    }
}

/// The alarm at one evaluation: what it watches, and the datapoints of its range.
struct Evaluated {
    dps: Vec<Dp>,
    n: usize,
    m: usize,
    explicit_m: bool,
    period: i64,
}

fn breaches(op: &str, v: f64, threshold: Option<f64>, band: Option<(f64, f64)>) -> Option<bool> {
    if is_band_operator(op) {
        let (upper, lower) = band?;
        return Some(match op {
            "LessThanLowerThreshold" => v < lower,
            "GreaterThanUpperThreshold" => v > upper,
            _ => v < lower || v > upper,
        });
    }
    let t = threshold?;
    Some(match op {
        "GreaterThanOrEqualToThreshold" => v >= t,
        "GreaterThanThreshold" => v > t,
        "LessThanThreshold" => v < t,
        _ => v <= t,
    })
}

/// The datapoints of the evaluation range ending at `t`, newest first.
fn datapoints(store: &MetricStore, input: &PutMetricAlarmInput, t: i64) -> Option<Evaluated> {
    let n = input.evaluation_periods.unwrap_or(1).max(1) as usize;
    let m = input.datapoints_to_alarm.map_or(n, |m| m.max(1) as usize);
    let period = alarms::alarm_period(input);
    let range = n + 2;
    let start = t - range as i64 * period * 1000;
    let op = input.comparison_operator.as_deref().unwrap_or("GreaterThanThreshold");
    let mut dps: Vec<Dp> = (0..range)
        .map(|k| Dp {
            t: t - (k as i64 + 1) * period * 1000,
            value: None,
            sample_count: None,
            breaching: None,
            low_samples: false,
            band: None,
        })
        .collect();
    let slot = |ts: i64| -> Option<usize> {
        let k = (t - ts) / (period * 1000) - 1;
        (0..range as i64).contains(&k).then_some(k as usize)
    };
    match &input.metrics {
        None => {
            let stat = Stat::parse(input.statistic.as_deref().or(input.extended_statistic.as_deref())?)?;
            let dims: Vec<(String, String)> =
                input.dimensions.iter().flatten().map(|d| (d.name.clone(), d.value.clone())).collect();
            let key = MetricKey::new(input.namespace.as_deref()?, input.metric_name.as_deref()?, dims);
            let unit = input.unit.as_deref().and_then(unit_index);
            if let Some(series) = store.get(&key) {
                let percentile = match stat {
                    Stat::Ext(Extended::Percentile(p)) => Some(p),
                    _ => None,
                };
                for ((bucket, _), mut agg) in periods(series, start, t, period, unit, false, !stat.is_standard(), t) {
                    let Some(k) = slot(bucket) else { continue };
                    let value = agg.get(&stat);
                    dps[k].value = value;
                    dps[k].sample_count = Some(agg.count);
                    dps[k].low_samples = percentile.is_some_and(|p| agg.low_sample_count(p));
                }
            }
        }
        Some(metrics) => {
            let ret = alarms::returned_id(input)?;
            let mut engine = Engine::new(store, metrics, "Metrics", start, t, t).ok()?.exact();
            let series = match engine.value(&ret).ok()? {
                MathValue::Series(s) => s,
                _ => return Some(Evaluated { dps, n, m, explicit_m: input.datapoints_to_alarm.is_some(), period }),
            };
            for (ts, v) in &series.points {
                if let Some(k) = slot(*ts) {
                    dps[k].value = Some(*v);
                }
            }
            if let Some(band_id) = &input.threshold_metric_id {
                if let Ok(MathValue::Array(band)) = engine.value(band_id) {
                    if let [upper, lower] = band.as_slice() {
                        for d in dps.iter_mut() {
                            if let (Some(u), Some(l)) = (upper.get(d.t), lower.get(d.t)) {
                                d.band = Some((u, l));
                            }
                        }
                    }
                }
            }
        }
    }
    for d in dps.iter_mut() {
        d.breaching = d.value.and_then(|v| breaches(op, v, input.threshold, d.band));
    }
    Some(Evaluated { dps, n, m, explicit_m: input.datapoints_to_alarm.is_some(), period })
}

/// The StateReason of a threshold decision (`alarm`: toward ALARM).
fn crossing_reason(input: &PutMetricAlarmInput, e: &Evaluated, crossing: &[&Dp], alarm: bool) -> String {
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
fn reason_data(input: &PutMetricAlarmInput, e: &Evaluated, t: i64, used: &[&Dp], listed: &[&Dp]) -> String {
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

/// Evaluates a metric alarm at `t`: the new state with its reason and data, or None
/// when the state stays; and whether every datapoint of the range was missing.
fn evaluate_metric(store: &MetricStore, alarm: &Alarm, t: i64) -> (Option<(&'static str, String, String)>, bool) {
    let Kind::Metric(config) = &alarm.kind else { return (None, false) };
    let input = &config.input;
    let Some(e) = datapoints(store, input, t) else { return (None, false) };
    let all_missing = e.dps.iter().all(|d| d.value.is_none());
    let decision = decide(&e.dps, e.n, e.m, Treat::of(input));
    let low_ignored = input.evaluate_low_sample_count_percentile.as_deref() == Some("ignore");
    let dp = |i: &usize| &e.dps[*i];
    // A percentile alarm set to ignore low sample counts keeps its state while a
    // datapoint it would use has too few samples.
    let low = match &decision {
        Decision::Real { used, .. } | Decision::Filled { used, .. } | Decision::Premature { used } => {
            low_ignored && used.iter().any(|i| e.dps[*i].low_samples)
        }
        _ => false,
    };
    let result = match decision {
        _ if low => None,
        Decision::Retain => None,
        Decision::Real { alarm: is_alarm, used } => {
            let used_dps: Vec<&Dp> = used.iter().map(dp).collect();
            let crossing: Vec<&Dp> = used_dps.iter().copied().filter(|d| d.breaching == Some(is_alarm)).collect();
            let needed = if is_alarm { e.m } else { e.n - e.m + 1 };
            let listed: Vec<&Dp> = crossing.iter().copied().take(needed).collect();
            let state = if is_alarm { ALARM } else { OK };
            Some((
                state,
                crossing_reason(input, &e, &crossing, is_alarm),
                reason_data(input, &e, t, &used_dps, &listed),
            ))
        }
        Decision::Premature { used } => {
            let used_dps: Vec<&Dp> = used.iter().map(dp).collect();
            Some((ALARM, crossing_reason(input, &e, &used_dps, true), reason_data(input, &e, t, &used_dps, &used_dps)))
        }
        Decision::Filled { alarm: is_alarm, used, filled, breaching } => {
            let used_dps: Vec<&Dp> = used.iter().map(dp).collect();
            let missing: Vec<&Dp> = e.dps[..e.n].iter().filter(|d| d.value.is_none()).take(filled).collect();
            let reason = format!(
                "Threshold Crossed: {} {} received for {} and {} {} treated as [{}].",
                plural(used.len(), "datapoint", "datapoints"),
                was(used.len()),
                plural(e.n, "period", "periods"),
                plural(filled, "missing datapoint", "missing datapoints"),
                was(filled),
                if breaching { "Breaching" } else { "NonBreaching" }
            );
            let mut listed = used_dps.clone();
            listed.extend(missing);
            listed.sort_by_key(|d| std::cmp::Reverse(d.t));
            Some((if is_alarm { ALARM } else { OK }, reason, reason_data(input, &e, t, &used_dps, &listed)))
        }
        Decision::AllMissing(treat) => {
            let listed: Vec<&Dp> = e.dps[..e.n].iter().collect();
            let data = reason_data(input, &e, t, &[], &listed);
            match treat {
                Treat::Ignore => None,
                Treat::Missing => Some((
                    INSUFFICIENT_DATA,
                    format!("Insufficient Data: {} {} unknown.", plural(e.n, "datapoint", "datapoints"), was(e.n)),
                    data,
                )),
                Treat::Breaching | Treat::NotBreaching => Some((
                    if treat == Treat::Breaching { ALARM } else { OK },
                    format!(
                        "Threshold Crossed: no datapoints were received for {} and {} {} treated as [{}].",
                        plural(e.n, "period", "periods"),
                        plural(e.n, "missing datapoint", "missing datapoints"),
                        was(e.n),
                        if treat == Treat::Breaching { "Breaching" } else { "NonBreaching" }
                    ),
                    data,
                )),
            }
        }
    };
    (result, all_missing)
}

/// The earliest time new data could enter an alarm's range: the first stored point at
/// or after `from` of any metric the alarm reads.
fn next_data_after(store: &MetricStore, input: &PutMetricAlarmInput, from: i64) -> Option<i64> {
    let keys: Vec<MetricKey> = match &input.metrics {
        None => vec![MetricKey::new(
            input.namespace.as_deref().unwrap_or_default(),
            input.metric_name.as_deref().unwrap_or_default(),
            input.dimensions.iter().flatten().map(|d| (d.name.clone(), d.value.clone())).collect(),
        )],
        Some(metrics) => metrics
            .iter()
            .filter_map(|q| q.metric_stat.as_ref())
            .map(|ms| {
                MetricKey::new(
                    ms.metric.namespace.as_deref().unwrap_or_default(),
                    ms.metric.metric_name.as_deref().unwrap_or_default(),
                    ms.metric.dimensions.iter().flatten().map(|d| (d.name.clone(), d.value.clone())).collect(),
                )
            })
            .collect(),
    };
    keys.iter().filter_map(|k| store.get(k)?.first_at_or_after(from).map(|p| p.time_ms())).min()
}

/// Runs every evaluation due up to `now_ms`.
pub fn catch_up(state: &mut CwState, now_ms: i64, effects: &mut Effects) {
    state.metrics.roll_up(now_ms);
    let mut queue: BTreeSet<(i64, String)> = state
        .alarms
        .alarms
        .values()
        .filter(|a| matches!(a.kind, Kind::Metric(_)) && a.next_eval_ms <= now_ms)
        .map(|a| (a.next_eval_ms, a.name.clone()))
        .collect();
    while let Some((t, name)) = queue.pop_first() {
        let Some(alarm) = state.alarms.alarms.get(&name) else { continue };
        let Kind::Metric(config) = &alarm.kind else { continue };
        let period = alarms::alarm_period(&config.input);
        let (result, all_missing) = evaluate_metric(&state.metrics, alarm, t);
        let mut changed = false;
        if let Some((new_state, reason, data)) = result {
            if new_state != alarm.state {
                changed = true;
                transition(state, &name, new_state, reason, Some(data), t, effects);
            }
        }
        let Some(alarm) = state.alarms.alarms.get(&name) else { continue };
        let Kind::Metric(config) = &alarm.kind else { continue };
        let mut next = t + step_ms(period);
        if all_missing && !changed {
            let n = config.input.evaluation_periods.unwrap_or(1).max(1) as i64;
            let from = t - (n + 2) * period * 1000;
            next = match next_data_after(&state.metrics, &config.input, from) {
                // A standard-resolution point counts at its minute's start.
                Some(p) => next.max(next_tick(p - p.rem_euclid(60_000), period)),
                None => next.max(next_tick(now_ms, period)),
            };
        }
        if let Some(a) = state.alarms.alarms.get_mut(&name) {
            a.next_eval_ms = next;
        }
        if next <= now_ms {
            queue.insert((next, name));
        }
    }
}

/// Moves an alarm to a new state at `at_ms`: history, actions, then the composite
/// alarms that watch it.
pub fn transition(
    state: &mut CwState,
    name: &str,
    new_state: &'static str,
    reason: String,
    reason_data: Option<String>,
    at_ms: i64,
    effects: &mut Effects,
) {
    transition_depth(state, name, new_state, reason, reason_data, at_ms, effects, 0);
}

#[allow(clippy::too_many_arguments)]
fn transition_depth(
    state: &mut CwState,
    name: &str,
    new_state: &'static str,
    reason: String,
    reason_data: Option<String>,
    at_ms: i64,
    effects: &mut Effects,
    depth: usize,
) {
    let Some(alarm) = state.alarms.alarms.get_mut(name) else { return };
    let old_state = alarm.state;
    let old_reason = std::mem::replace(&mut alarm.reason, reason.clone());
    let old_data = std::mem::replace(&mut alarm.reason_data, reason_data.clone());
    alarm.state = new_state;
    alarm.state_updated_ms = at_ms;
    if old_state == new_state {
        return;
    }
    alarm.state_transitioned_ms = at_ms;
    let snapshot = alarm.clone();
    let state_json = |value: &str, reason: &str, data: &Option<String>| {
        let mut o = serde_json::Map::new();
        o.insert("stateValue".into(), json!(value));
        o.insert("stateReason".into(), json!(reason));
        if let Some(d) = data {
            o.insert("stateReasonData".into(), serde_json::from_str(d).unwrap_or(json!(d)));
        }
        Value::Object(o)
    };
    state.alarms.record(HistoryItem {
        alarm_name: name.to_string(),
        alarm_type: snapshot.alarm_type(),
        timestamp_ms: at_ms,
        item_type: "StateUpdate",
        summary: format!("Alarm updated from {old_state} to {new_state}"),
        data: json!({
            "version": "1.0",
            "oldState": state_json(old_state, &old_reason, &old_data),
            "newState": state_json(new_state, &reason, &reason_data),
        })
        .to_string(),
    });
    run_actions(state, &snapshot, old_state, at_ms, effects);
    if depth < 16 {
        for parent in state.alarms.parents_of(name) {
            evaluate_composite_depth(state, &parent, at_ms, Some(name), effects, depth + 1);
        }
    }
}

fn run_actions(state: &mut CwState, alarm: &Alarm, old_state: &str, at_ms: i64, effects: &mut Effects) {
    if !alarm.actions_enabled {
        return;
    }
    if let Kind::Composite(c) = &alarm.kind {
        if let Some(s) = &c.input.actions_suppressor {
            let s = crate::composite::name_of(s);
            if state.alarms.alarms.get(s).is_some_and(|a| a.state == ALARM) {
                let why = (String::from("Alarm"), format!("Alarm {s} is in ALARM state"));
                if let Some(a) = state.alarms.alarms.get_mut(&alarm.name) {
                    a.actions_suppressed = Some(why);
                }
                return;
            }
        }
    }
    for arn in alarm.actions_for(alarm.state) {
        if let Some(action) = ec2_action(&arn) {
            let instance_id = match &alarm.kind {
                Kind::Metric(m) => {
                    m.input.dimensions.iter().flatten().find(|d| d.name == "InstanceId").map(|d| d.value.clone())
                }
                Kind::Composite(_) => None,
            };
            effects.ec2.push(Ec2Action {
                alarm_name: alarm.name.clone(),
                alarm_type: alarm.alarm_type(),
                action_arn: arn.clone(),
                action,
                instance_id,
                at_ms,
            });
            continue;
        }
        let message = json!({
            "AlarmName": alarm.name,
            "AlarmDescription": alarm.description(),
            "AWSAccountId": alarm.arn.split(':').nth(4).unwrap_or_default(),
            "NewStateValue": alarm.state,
            "NewStateReason": alarm.reason,
            "StateChangeTime": json_time(at_ms),
            "Region": alarm.arn.split(':').nth(3).unwrap_or_default(),
            "AlarmArn": alarm.arn,
            "OldStateValue": old_state,
        });
        state.alarms.record(HistoryItem {
            alarm_name: alarm.name.clone(),
            alarm_type: alarm.alarm_type(),
            timestamp_ms: at_ms,
            item_type: "Action",
            summary: format!("Successfully executed action {arn}"),
            data: json!({
                "actionState": "Succeeded",
                "stateUpdateTimestamp": at_ms,
                "notificationResource": arn,
                "publishedMessage": json!({"default": message.to_string()}).to_string(),
            })
            .to_string(),
        });
    }
}

/// `arn:aws:automate:us-east-1:ec2:stop` -> `stop` (and the SWF forms).
pub fn ec2_action(arn: &str) -> Option<String> {
    if let Some(rest) = arn.strip_prefix("arn:aws:automate:") {
        let action = rest.split(':').nth(2)?;
        return ["stop", "terminate", "reboot", "recover"].contains(&action).then(|| action.to_string());
    }
    if arn.starts_with("arn:aws:swf:") && arn.contains("AWS_EC2.InstanceId.") {
        let action = arn.split("AWS_EC2.InstanceId.").nth(1)?.split('/').next()?.to_ascii_lowercase();
        return ["stop", "terminate", "reboot", "recover"].contains(&action.as_str()).then_some(action);
    }
    None
}

/// Records the outcome of an EC2 action in the alarm's history.
pub fn record_ec2_outcome(state: &mut CwState, action: &Ec2Action, outcome: Result<(), String>) {
    let (summary, data) = match outcome {
        Ok(()) => (
            format!("Successfully executed action {}", action.action_arn),
            json!({"actionState": "Succeeded", "stateUpdateTimestamp": action.at_ms, "notificationResource": action.action_arn}),
        ),
        Err(e) => (
            format!("Failed to execute action {}. Received error: \"{e}\"", action.action_arn),
            json!({"actionState": "Failed", "stateUpdateTimestamp": action.at_ms, "notificationResource": action.action_arn, "error": e}),
        ),
    };
    state.alarms.record(HistoryItem {
        alarm_name: action.alarm_name.clone(),
        alarm_type: action.alarm_type,
        timestamp_ms: action.at_ms,
        item_type: "Action",
        summary,
        data: data.to_string(),
    });
}

/// Re-evaluates a composite alarm's rule at `at_ms`; `trigger` is the child that changed.
pub fn evaluate_composite(state: &mut CwState, name: &str, at_ms: i64, trigger: Option<&str>, effects: &mut Effects) {
    evaluate_composite_depth(state, name, at_ms, trigger, effects, 0);
}

fn evaluate_composite_depth(
    state: &mut CwState,
    name: &str,
    at_ms: i64,
    trigger: Option<&str>,
    effects: &mut Effects,
    depth: usize,
) {
    let Some(alarm) = state.alarms.alarms.get(name) else { return };
    let Kind::Composite(c) = &alarm.kind else { return };
    let alarms = &state.alarms.alarms;
    let state_of = |n: &str| alarms.get(n).map(|a| a.state.to_string());
    let is_alarm = c.rule.eval(&state_of);
    let new_state = if is_alarm { ALARM } else { OK };
    if new_state == alarm.state {
        return;
    }
    let children: Vec<&Alarm> = c.rule.alarms().iter().filter_map(|n| alarms.get(n)).collect();
    let listed: Vec<&Alarm> = if is_alarm {
        let mut satisfied = BTreeSet::new();
        c.rule.satisfied(&state_of, &mut satisfied);
        children.iter().copied().filter(|a| satisfied.contains(&a.name)).collect()
    } else {
        children.clone()
    };
    let cause = trigger
        .and_then(|t| alarms.get(t))
        .or_else(|| children.iter().copied().max_by_key(|a| a.state_transitioned_ms));
    let reason = match cause {
        Some(a) => format!("{} transitioned to {} at {}", a.arn, a.state, long_time(a.state_transitioned_ms)),
        None => {
            format!("The alarm rule {} evaluated to {}", c.input.alarm_rule, if is_alarm { "TRUE" } else { "FALSE" })
        }
    };
    let data = json!({
        "triggeringAlarms": listed
            .iter()
            .map(|a| json!({"arn": a.arn, "state": {"value": a.state, "timestamp": json_time(a.state_transitioned_ms)}}))
            .collect::<Vec<_>>()
    })
    .to_string();
    transition_depth(state, name, new_state, reason, Some(data), at_ms, effects, depth);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dps(pattern: &str) -> Vec<Dp> {
        // Oldest first, as AWS's tables write them: 0 non-breaching, X breaching, - missing.
        pattern
            .split_whitespace()
            .rev()
            .enumerate()
            .map(|(i, c)| Dp {
                t: -(i as i64),
                value: (c != "-").then_some(1.0),
                sample_count: None,
                breaching: match c {
                    "X" => Some(true),
                    "0" => Some(false),
                    _ => None,
                },
                low_samples: false,
                band: None,
            })
            .collect()
    }

    fn outcome(pattern: &str, m: usize, treat: Treat) -> &'static str {
        match decide(&dps(pattern), 3, m, treat) {
            Decision::Real { alarm: true, .. } | Decision::Filled { alarm: true, .. } | Decision::Premature { .. } => {
                "ALARM"
            }
            Decision::Real { alarm: false, .. } | Decision::Filled { alarm: false, .. } => "OK",
            Decision::AllMissing(Treat::Missing) => "INSUFFICIENT_DATA",
            Decision::AllMissing(Treat::Breaching) => "ALARM",
            Decision::AllMissing(Treat::NotBreaching) => "OK",
            Decision::AllMissing(Treat::Ignore) | Decision::Retain => "retain",
        }
    }

    fn row(pattern: &str, m: usize) -> [&'static str; 4] {
        [Treat::Missing, Treat::Ignore, Treat::Breaching, Treat::NotBreaching].map(|t| outcome(pattern, m, t))
    }

    #[test]
    fn aws_table_three_of_three() {
        // "How alarm state is evaluated when data is missing", first table (M = N = 3).
        assert_eq!(row("0 - X - X", 3), ["OK", "OK", "OK", "OK"]);
        assert_eq!(row("0 - - - -", 3), ["OK", "OK", "OK", "OK"]);
        assert_eq!(row("- - - - -", 3), ["INSUFFICIENT_DATA", "retain", "ALARM", "OK"]);
        assert_eq!(row("0 X X - X", 3), ["ALARM", "ALARM", "ALARM", "ALARM"]);
        assert_eq!(row("- - X - -", 3), ["ALARM", "retain", "ALARM", "OK"]);
    }

    #[test]
    fn aws_table_two_of_three() {
        // The second table (M = 2, N = 3).
        assert_eq!(row("0 - X - X", 2), ["ALARM", "ALARM", "ALARM", "ALARM"]);
        assert_eq!(row("0 0 X 0 X", 2), ["ALARM", "ALARM", "ALARM", "ALARM"]);
        assert_eq!(row("0 - X - -", 2), ["OK", "OK", "ALARM", "OK"]);
        assert_eq!(row("- - - - 0", 2), ["OK", "OK", "ALARM", "OK"]);
        assert_eq!(row("- - - X -", 2), ["ALARM", "retain", "ALARM", "OK"]);
    }

    #[test]
    fn premature_alarms_are_avoided() {
        // "- - - - X" and "- - - X -" with M = 3 do not go to ALARM yet.
        assert_eq!(outcome("- - - - X", 3, Treat::Missing), "retain");
        assert_eq!(outcome("- - - X -", 3, Treat::Missing), "retain");
    }

    #[test]
    fn numbers_and_times_as_cloudwatch_writes_them() {
        assert_eq!(java_double(95.0), "95.0");
        assert_eq!(java_double(0.01758096118768056), "0.01758096118768056");
        assert_eq!(java_double(1141.0), "1141.0");
        assert_eq!(java_double(1.0e7), "1.0E7");
        assert_eq!(java_double(-2.5e-5), "-2.5E-5");
        assert_eq!(java_double(0.0), "0.0");
        let t = 1_732_638_660_000; // 2024-11-26T16:31:00Z
        assert_eq!(reason_time(t), "26/11/24 16:31:00");
        assert_eq!(json_time(t + 853), "2024-11-26T16:31:00.853+0000");
        assert_eq!(long_time(t), "Tuesday 26 November, 2024 16:31:00 UTC");
        assert_eq!(next_tick(t, 60), t + 60_000);
        assert_eq!(next_tick(t + 1, 300), t + 60_000);
        assert_eq!(next_tick(t + 12_000, 10), t + 20_000);
        assert_eq!(ec2_action("arn:aws:automate:us-east-1:ec2:stop").as_deref(), Some("stop"));
        assert_eq!(
            ec2_action("arn:aws:swf:us-east-1:123456789012:action/actions/AWS_EC2.InstanceId.Reboot/1.0").as_deref(),
            Some("reboot")
        );
        assert_eq!(ec2_action("arn:aws:sns:us-east-1:123456789012:topic"), None);
    }
}
