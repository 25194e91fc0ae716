//! AWS's retention tiers: 1-second data for 3 hours, 60-second data for 15 days,
//! 5-minute data for 63 days, 1-hour data for 455 days. Older points are rolled up:
//! high-resolution points older than 3 hours become standard-resolution points of
//! their minute (their raw values are kept, so minute statistics and percentiles stay
//! exact); points older than 15 days are merged per unit into one statistic set per
//! 5 minutes, older than 63 days into one per hour; older than 455 days are dropped.

use super::series::{NewSample, Sample, Series, HIGH_RES};

pub const HIGH_RES_MS: i64 = 3 * 3600 * 1000;
pub const MINUTE_TIER_MS: i64 = 15 * 86_400 * 1000;
pub const FIVE_MINUTE_TIER_MS: i64 = 63 * 86_400 * 1000;
pub const DROP_AFTER_MS: i64 = 455 * 86_400 * 1000;

/// The resolution (ms) data of this age is kept at.
pub fn resolution_for_age(age_ms: i64) -> i64 {
    if age_ms > FIVE_MINUTE_TIER_MS {
        3_600_000
    } else if age_ms > MINUTE_TIER_MS {
        300_000
    } else if age_ms > HIGH_RES_MS {
        60_000
    } else {
        1000
    }
}

/// An aggregate being built: (bucket start, unit, count, sum, min, max).
type Pending = (i64, u8, f64, f64, f64, f64);

pub(super) fn roll_up(series: &mut Series, now_ms: i64) {
    let mut out = Series::default();
    // Aggregates being built, flushed in time order.
    let mut pending: Vec<Pending> = Vec::new();
    let flush = |out: &mut Series, pending: &mut Vec<Pending>| {
        pending.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        for (t, unit, count, sum, min, max) in pending.drain(..) {
            out.push(t, unit, false, NewSample::Stats { count, sum, min, max });
        }
    };
    let mut current_bucket: Option<i64> = None;
    for p in series.points() {
        let t = p.time_ms();
        let age = now_ms - t;
        if age > DROP_AFTER_MS {
            continue;
        }
        let resolution = resolution_for_age(age);
        if resolution <= 60_000 {
            if current_bucket.is_some() {
                flush(&mut out, &mut pending);
                current_bucket = None;
            }
            let sample = match series.sample(p) {
                Sample::One(v) => NewSample::One(v),
                Sample::Weighted(v) => NewSample::Weighted(v.to_vec()),
                Sample::Stats { count, sum, min, max } => NewSample::Stats { count, sum, min, max },
            };
            let (t, high_res) = if resolution == 60_000 && p.flags & HIGH_RES != 0 {
                (t - t.rem_euclid(60_000), false)
            } else {
                (t, p.high_res())
            };
            out.push(t, p.unit, high_res, sample);
            continue;
        }
        let bucket = t - t.rem_euclid(resolution);
        if current_bucket.is_some_and(|b| b != bucket) {
            flush(&mut out, &mut pending);
        }
        current_bucket = Some(bucket);
        let (count, sum, min, max) = match series.sample(p) {
            Sample::One(v) => (1.0, v, v, v),
            Sample::Weighted(values) => {
                values.iter().fold((0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY), |(c, s, lo, hi), (v, n)| {
                    (c + n, s + v * n, lo.min(*v), hi.max(*v))
                })
            }
            Sample::Stats { count, sum, min, max } => (count, sum, min, max),
        };
        match pending.iter_mut().find(|e| e.0 == bucket && e.1 == p.unit) {
            Some(e) => {
                e.2 += count;
                e.3 += sum;
                e.4 = e.4.min(min);
                e.5 = e.5.max(max);
            }
            None => pending.push((bucket, p.unit, count, sum, min, max)),
        }
    }
    flush(&mut out, &mut pending);
    series.take_points_from(out);
}

#[cfg(test)]
mod tests {
    use super::super::series::{NewSample, Sample, Series};
    use super::super::UNIT_NONE;

    #[test]
    fn roll_up_follows_the_retention_tiers() {
        let day: i64 = 86_400_000;
        let now = 500 * day;
        let mut s = Series::default();
        // High resolution, 4 hours old, at :07.5 and :42 of one minute.
        let four_hours = now - 4 * 3_600_000;
        let minute = four_hours - four_hours.rem_euclid(60_000);
        s.push(minute + 7_500, UNIT_NONE, true, NewSample::One(1.0));
        s.push(minute + 42_000, UNIT_NONE, true, NewSample::One(3.0));
        // 20 days old: two points in one 5-minute bucket, one unit each side.
        let old = now - 20 * day;
        let bucket = old - old.rem_euclid(300_000);
        s.push(bucket + 10_000, UNIT_NONE, false, NewSample::One(2.0));
        s.push(bucket + 70_000, UNIT_NONE, false, NewSample::Weighted(vec![(4.0, 3.0)]));
        s.push(bucket + 80_000, 14, false, NewSample::One(9.0));
        // 500 days old: dropped.
        s.push(now - 460 * day, UNIT_NONE, false, NewSample::One(5.0));
        // Fresh, high resolution: untouched.
        s.push(now - 1000, UNIT_NONE, true, NewSample::One(8.0));
        s.roll_up(now);
        s.check();
        let got: Vec<(i64, Sample<'_>, bool)> = s.points().map(|p| (p.time_ms(), s.sample(p), p.high_res())).collect();
        assert_eq!(
            got,
            vec![
                (bucket, Sample::Stats { count: 1.0, sum: 9.0, min: 9.0, max: 9.0 }, false),
                (bucket, Sample::Stats { count: 4.0, sum: 14.0, min: 2.0, max: 4.0 }, false),
                (minute, Sample::One(1.0), false),
                (minute, Sample::One(3.0), false),
                (now - 1000, Sample::One(8.0), true),
            ]
        );
    }

    /// Standard-resolution data younger than fifteen days has nothing to roll up: the
    /// series is left as it is (a roll-up rebuilds it, which costs its whole length).
    #[test]
    fn young_standard_data_is_not_rebuilt() {
        let day: i64 = 86_400_000;
        let now = 500 * day;
        let mut s = Series::default();
        for i in 0..1000 {
            s.push(now - day + i * 60_000, UNIT_NONE, false, NewSample::One(1.0));
        }
        s.push(now - 1000, UNIT_NONE, true, NewSample::One(1.0));
        s.roll_up(now);
        assert_eq!(s.rolled_at_ms, 0, "nothing aged into another tier");
        s.roll_up(now + 4 * 3_600_000);
        assert_eq!(s.rolled_at_ms, now + 4 * 3_600_000, "the high-resolution point turned three hours old");
        assert!(s.points().all(|p| !p.high_res()));
        s.roll_up(now + 5 * 3_600_000);
        assert_eq!(s.rolled_at_ms, now + 4 * 3_600_000);
    }

    /// A roll-up over many chunks gives what it gives over one.
    #[test]
    fn roll_up_across_chunks() {
        let day: i64 = 86_400_000;
        let now = 500 * day;
        let mut s = Series::default();
        // Two days of 20-second high-resolution data, 20 days ago, then an hour of fresh.
        let old = now - 20 * day;
        for i in 0..(2 * 86_400 / 20) {
            s.push(old + i * 20_000, UNIT_NONE, true, NewSample::One((i % 7) as f64));
        }
        for i in 0..180 {
            s.push(now - 3_600_000 + i * 20_000, UNIT_NONE, true, NewSample::One(1.0));
        }
        s.roll_up(now);
        s.check();
        // 5-minute buckets of 15 points each (576 of them), then the fresh points.
        assert_eq!(s.len(), 576 + 180);
        let total: f64 = s
            .points()
            .take(576)
            .map(|p| match s.sample(p) {
                Sample::Stats { count, .. } => count,
                _ => 0.0,
            })
            .sum();
        assert_eq!(total, 8640.0);
    }
}
