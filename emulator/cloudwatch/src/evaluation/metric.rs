//! A metric alarm's evaluation at one tick: its range of datapoints and the verdict.

use crate::alarms::{self, Alarm, Kind, ALARM, INSUFFICIENT_DATA, OK};
use crate::generated::dto::PutMetricAlarmInput;
use crate::math::Value as MathValue;
use crate::metric_data::Engine;
use crate::query::periods;
use crate::statistics::{Extended, Stat};
use crate::store::{unit_index, MetricKey, MetricStore};

use super::decide::{breaches, decide, Decision, Dp, Treat};
use super::reason::{crossing_reason, plural, reason_data, was};

/// The alarm at one evaluation: what it watches, and the datapoints of its range.
pub(super) struct Evaluated {
    pub(super) dps: Vec<Dp>,
    pub(super) n: usize,
    pub(super) m: usize,
    pub(super) explicit_m: bool,
    pub(super) period: i64,
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

/// Evaluates a metric alarm at `t`: the new state with its reason and data, or None
/// when the state stays; and whether every datapoint of the range was missing.
pub(super) fn evaluate_metric(
    store: &MetricStore,
    alarm: &Alarm,
    t: i64,
) -> (Option<(&'static str, String, String)>, bool) {
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
pub(super) fn next_data_after(store: &MetricStore, input: &PutMetricAlarmInput, from: i64) -> Option<i64> {
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
