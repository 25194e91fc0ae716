//! Reading a series by period: the part GetMetricStatistics, GetMetricData and the
//! alarm evaluation share.

use std::collections::BTreeMap;

use crate::statistics::Agg;
use crate::store::{retention, Series};

/// `unit` key of the aggregates when units are not told apart.
pub const ANY_UNIT: u8 = u8::MAX;

/// The periods AWS accepts for metric data: 1, 5, 10, 20, 30 or a multiple of 60.
pub fn valid_period(period: i64) -> bool {
    matches!(period, 1 | 5 | 10 | 20 | 30) || (period >= 60 && period % 60 == 0)
}

/// StartTime as CloudWatch rounds it: to a multiple of the period for sub-minute
/// periods; otherwise down to the minute when less than 15 days old, to 5 minutes when
/// less than 63 days old, to the hour beyond.
pub fn round_start(start_ms: i64, now_ms: i64, period_s: i64) -> i64 {
    let unit = if period_s < 60 {
        period_s * 1000
    } else {
        let age = now_ms - start_ms;
        if age > retention::FIVE_MINUTE_TIER_MS {
            3_600_000
        } else if age > retention::MINUTE_TIER_MS {
            300_000
        } else {
            60_000
        }
    };
    start_ms - start_ms.rem_euclid(unit)
}

/// Whether data of this age can be read at this period: data older than 3 hours only at
/// multiples of 60 s, older than 15 days at multiples of 300 s, older than 63 days at
/// multiples of 3600 s ("no data points in that time range is returned" otherwise).
pub fn period_reaches(age_ms: i64, period_s: i64) -> bool {
    let needed = retention::resolution_for_age(age_ms) / 1000;
    period_s % needed == 0
}

/// Aggregates a series per period over `[start_ms, end_ms)`: period `k` covers
/// `[start + k·period, start + (k+1)·period)` and exists while its start is before
/// `end_ms`. A standard-resolution point counts at the start of its minute, a
/// high-resolution one at its second. With `unit`, only points of that unit count;
/// with `split_units`, each unit is aggregated apart (GetMetricStatistics without a
/// Unit), else all under [`ANY_UNIT`]. `collect` keeps raw values for extended
/// statistics. Keys are (period start ms, unit).
#[allow(clippy::too_many_arguments)]
pub fn periods(
    series: &Series,
    start_ms: i64,
    end_ms: i64,
    period_s: i64,
    unit: Option<u8>,
    split_units: bool,
    collect: bool,
    now_ms: i64,
) -> BTreeMap<(i64, u8), Agg> {
    let period_ms = period_s * 1000;
    let mut out: BTreeMap<(i64, u8), Agg> = BTreeMap::new();
    if period_ms <= 0 || end_ms <= start_ms {
        return out;
    }
    let count = (end_ms - start_ms + period_ms - 1) / period_ms;
    let last_end = start_ms + count * period_ms;
    // A standard point up to a minute later still counts at its minute's start.
    let mut cached: Option<((i64, u8), Agg)> = None;
    for p in series.range(start_ms, last_end + 60_000) {
        if unit.is_some_and(|u| u != p.unit) {
            continue;
        }
        let t = p.time_ms();
        let effective = if p.high_res() { t - t.rem_euclid(1000) } else { t - t.rem_euclid(60_000) };
        if effective < start_ms || effective >= last_end {
            continue;
        }
        let bucket = start_ms + (effective - start_ms) / period_ms * period_ms;
        if !period_reaches(now_ms - bucket, period_s) {
            continue;
        }
        let key = (bucket, if split_units { p.unit } else { ANY_UNIT });
        match &mut cached {
            Some((k, agg)) if *k == key => agg.add(series.sample(p)),
            _ => {
                if let Some((k, agg)) = cached.take() {
                    match out.get_mut(&k) {
                        Some(existing) => existing.merge(&agg),
                        None => {
                            out.insert(k, agg);
                        }
                    }
                }
                let mut agg = out.remove(&key).unwrap_or_else(|| Agg::new(collect));
                agg.add(series.sample(p));
                cached = Some((key, agg));
            }
        }
    }
    if let Some((k, agg)) = cached {
        out.insert(k, agg);
    }
    out
}

/// `16666` -> `16,666`, as CloudWatch writes counts in messages.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statistics::Stat;
    use crate::store::{NewSample, UNIT_NONE};

    #[test]
    fn rounding_of_start_times() {
        let now = 100 * 86_400_000;
        let t = now - 3_600_000 + 34_000; // ..:00:34, an hour ago
        assert_eq!(round_start(t, now, 60), t - 34_000);
        assert_eq!(round_start(t + 23_000, now, 10), t + 16_000);
        let old = now - 20 * 86_400_000 + 154_000; // 2 min 34 s into a 5-minute interval
        assert_eq!(round_start(old, now, 300), old - 154_000);
        let older = now - 70 * 86_400_000 + 754_000;
        assert_eq!(round_start(older, now, 3600), older - 754_000);
    }

    #[test]
    fn periods_bucket_by_resolution_and_unit() {
        let now = 1_000 * 86_400_000;
        let start = now - 600_000;
        let mut s = Series::default();
        s.push(start + 5_000, UNIT_NONE, false, NewSample::One(1.0)); // counts at start
        s.push(start + 65_000, 14, true, NewSample::One(2.0)); // high res, at +65 s
        s.push(start + 119_999, UNIT_NONE, false, NewSample::One(4.0)); // counts at +60 s
        let mut by_minute = periods(&s, start, start + 180_000, 60, None, false, false, now);
        let sums: Vec<(i64, f64)> =
            by_minute.iter_mut().map(|((t, _), a)| (*t - start, a.get(&Stat::Sum).unwrap())).collect();
        assert_eq!(sums, vec![(0, 1.0), (60_000, 6.0)]);
        let split = periods(&s, start, start + 180_000, 60, None, true, false, now);
        assert_eq!(
            split.keys().map(|(t, u)| (*t - start, *u)).collect::<Vec<_>>(),
            vec![(0, UNIT_NONE), (60_000, 14), (60_000, UNIT_NONE)]
        );
        let tens = periods(&s, start, start + 180_000, 10, None, false, false, now);
        assert_eq!(tens.keys().map(|(t, _)| *t - start).collect::<Vec<_>>(), vec![0, 60_000]);
        let count = periods(&s, start, start + 180_000, 60, Some(14), false, false, now);
        assert_eq!(count.len(), 1);
    }

    #[test]
    fn old_data_needs_a_coarse_period() {
        assert!(period_reaches(1000, 10));
        assert!(!period_reaches(4 * 3_600_000, 10));
        assert!(period_reaches(4 * 3_600_000, 120));
        assert!(!period_reaches(20 * 86_400_000, 60));
        assert!(period_reaches(20 * 86_400_000, 600));
        assert!(!period_reaches(70 * 86_400_000, 600));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(16666), "16,666");
        assert_eq!(thousands(1440), "1,440");
        assert_eq!(thousands(100), "100");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
