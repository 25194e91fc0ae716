//! The metrics of one account in one region: a series per (namespace, name,
//! dimensions), raw values kept so that statistics and percentiles are exact.
//!
//! A stored point is 16 bytes ([`Point`]): the value, the timestamp (epoch seconds and
//! milliseconds), the unit and two flags. A datum that carried more than one value
//! (`Values`/`Counts`) or a `StatisticValues` set keeps that in a side table of its
//! series, and its point holds the index. Old points are rolled up into AWS's coarser
//! retention tiers by [`Series::roll_up`].

use std::collections::BTreeMap;

use serde::Serialize;

/// CloudWatch's units (the model's `StandardUnit`), in the model's order. A point stores
/// the index; data put without a unit has the unit `None`.
pub const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];
pub const UNIT_NONE: u8 = 26;

pub fn unit_index(name: &str) -> Option<u8> {
    UNITS.iter().position(|u| *u == name).map(|i| i as u8)
}

pub fn unit_name(index: u8) -> &'static str {
    UNITS.get(usize::from(index)).copied().unwrap_or("None")
}

/// A metric's identity; dimensions sorted by name, as CloudWatch treats them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct MetricKey {
    pub namespace: String,
    pub name: String,
    pub dimensions: Vec<(String, String)>,
}

impl MetricKey {
    pub fn new(namespace: &str, name: &str, mut dimensions: Vec<(String, String)>) -> Self {
        dimensions.sort();
        MetricKey { namespace: namespace.to_string(), name: name.to_string(), dimensions }
    }

    pub fn dimension(&self, name: &str) -> Option<&str> {
        self.dimensions.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// The point was put with `StorageResolution` 1 (and has not been rolled up yet).
pub const HIGH_RES: u8 = 1;
/// `value` is the index of a [`Set`] in the series' side table.
pub const IN_SET: u8 = 2;

/// One stored datum: 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The value, or (with [`IN_SET`]) the side-table index as `f64` bits.
    pub value: f64,
    /// Epoch seconds.
    pub secs: u32,
    /// Milliseconds within the second.
    pub millis: u16,
    /// Index into [`UNITS`].
    pub unit: u8,
    pub flags: u8,
}

impl Point {
    pub fn time_ms(&self) -> i64 {
        i64::from(self.secs) * 1000 + i64::from(self.millis)
    }

    pub fn high_res(&self) -> bool {
        self.flags & HIGH_RES != 0
    }
}

/// What a datum carried when it was more than one value.
#[derive(Debug, Clone, PartialEq)]
pub enum Set {
    /// `Values` with their `Counts`.
    Weighted(Box<[(f64, f64)]>),
    /// `StatisticValues`, or points rolled up into a coarser retention tier.
    Stats { count: f64, sum: f64, min: f64, max: f64 },
}

/// A datum as the statistics see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sample<'a> {
    One(f64),
    Weighted(&'a [(f64, f64)]),
    Stats { count: f64, sum: f64, min: f64, max: f64 },
}

/// What PutMetricData hands the store for one datum.
#[derive(Debug, Clone, PartialEq)]
pub enum NewSample {
    One(f64),
    Weighted(Vec<(f64, f64)>),
    Stats { count: f64, sum: f64, min: f64, max: f64 },
}

#[derive(Debug, Default)]
pub struct Series {
    points: Vec<Point>,
    sets: Vec<Set>,
    /// When data was last put (epoch ms), for `RecentlyActive` and the two-week listing window.
    pub last_put_ms: i64,
    /// When (nimbus clock, epoch ms) the series was last rolled up.
    rolled_at_ms: i64,
}

impl Series {
    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn points(&self) -> &[Point] {
        &self.points
    }

    /// The points with `start_ms <= time < end_ms`, in time order.
    pub fn range(&self, start_ms: i64, end_ms: i64) -> &[Point] {
        let from = self.points.partition_point(|p| p.time_ms() < start_ms);
        let to = self.points.partition_point(|p| p.time_ms() < end_ms);
        &self.points[from..to.max(from)]
    }

    /// The first point at or after `ms`.
    pub fn first_at_or_after(&self, ms: i64) -> Option<&Point> {
        self.points.get(self.points.partition_point(|p| p.time_ms() < ms))
    }

    pub fn sample(&self, point: &Point) -> Sample<'_> {
        if point.flags & IN_SET == 0 {
            return Sample::One(point.value);
        }
        match self.sets.get(point.value.to_bits() as usize) {
            Some(Set::Weighted(values)) => Sample::Weighted(values),
            Some(Set::Stats { count, sum, min, max }) => {
                Sample::Stats { count: *count, sum: *sum, min: *min, max: *max }
            }
            None => Sample::Stats { count: 0.0, sum: 0.0, min: 0.0, max: 0.0 },
        }
    }

    pub fn push(&mut self, time_ms: i64, unit: u8, high_res: bool, sample: NewSample) {
        let mut flags = if high_res { HIGH_RES } else { 0 };
        let value = match sample {
            NewSample::One(v) => v,
            NewSample::Weighted(values) if values.len() == 1 && values[0].1 == 1.0 => values[0].0,
            NewSample::Weighted(values) => {
                flags |= IN_SET;
                self.add_set(Set::Weighted(values.into_boxed_slice()))
            }
            NewSample::Stats { count, sum, min, max } => {
                flags |= IN_SET;
                self.add_set(Set::Stats { count, sum, min, max })
            }
        };
        let secs = time_ms.div_euclid(1000).clamp(0, i64::from(u32::MAX)) as u32;
        let millis = time_ms.rem_euclid(1000) as u16;
        let point = Point { value, secs, millis, unit, flags };
        // Data mostly arrives in time order, so this is an append.
        let at = self.points.partition_point(|p| p.time_ms() <= point.time_ms());
        if self.points.len() == self.points.capacity() {
            // Grow by a quarter rather than doubling: less slack per stored point.
            let extra = (self.points.len() / 4).max(16);
            self.points.reserve_exact(extra);
        }
        self.points.insert(at, point);
    }

    fn add_set(&mut self, set: Set) -> f64 {
        self.sets.push(set);
        f64::from_bits((self.sets.len() - 1) as u64)
    }

    /// Rolls up points as AWS's retention tiers do (see [`retention`]); `now_ms` is the
    /// clock. Cheap when nothing has aged into a new tier since the last call.
    pub fn roll_up(&mut self, now_ms: i64) {
        if self.points.is_empty() {
            return;
        }
        // At most once a minute of clock time, and only when the oldest point is old
        // enough for a tier boundary to matter.
        if now_ms - self.rolled_at_ms < 60_000 || self.points[0].time_ms() > now_ms - retention::HIGH_RES_MS {
            return;
        }
        retention::roll_up(self, now_ms);
        self.rolled_at_ms = now_ms;
    }

    /// Bytes this series holds for its points (capacity, side table included), for the
    /// memory figures.
    pub fn heap_bytes(&self) -> usize {
        self.points.capacity() * std::mem::size_of::<Point>()
            + self.sets.capacity() * std::mem::size_of::<Set>()
            + self
                .sets
                .iter()
                .map(|s| match s {
                    Set::Weighted(v) => v.len() * 16,
                    Set::Stats { .. } => 0,
                })
                .sum::<usize>()
    }
}

pub mod retention {
    //! AWS's retention tiers: 1-second data for 3 hours, 60-second data for 15 days,
    //! 5-minute data for 63 days, 1-hour data for 455 days. Older points are rolled up:
    //! high-resolution points older than 3 hours become standard-resolution points of
    //! their minute (their raw values are kept, so minute statistics and percentiles stay
    //! exact); points older than 15 days are merged per unit into one statistic set per
    //! 5 minutes, older than 63 days into one per hour; older than 455 days are dropped.

    use super::{NewSample, Point, Sample, Series, HIGH_RES};

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

    pub(super) fn roll_up(series: &mut Series, now_ms: i64) {
        let old = std::mem::take(&mut series.points);
        let sets = std::mem::take(&mut series.sets);
        let source = Series { points: old, sets, last_put_ms: 0, rolled_at_ms: 0 };
        let mut out = Series::default();
        out.points.reserve_exact(source.points.len());
        // Aggregates being built: (bucket start, unit) -> stats, flushed in time order.
        let mut pending: Vec<(i64, u8, f64, f64, f64, f64)> = Vec::new();
        let flush = |out: &mut Series, pending: &mut Vec<(i64, u8, f64, f64, f64, f64)>| {
            pending.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
            for (t, unit, count, sum, min, max) in pending.drain(..) {
                out.push(t, unit, false, NewSample::Stats { count, sum, min, max });
            }
        };
        let mut current_bucket: Option<i64> = None;
        for p in &source.points {
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
                let sample = match source.sample(p) {
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
            let (count, sum, min, max) = match source.sample(p) {
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
        out.points.shrink_to_fit();
        series.points = out.points;
        series.sets = out.sets;
    }

    #[allow(dead_code)]
    fn _size_check() {
        const _: () = assert!(std::mem::size_of::<Point>() == 16);
    }
}

#[derive(Debug, Default)]
pub struct MetricStore {
    pub series: BTreeMap<MetricKey, Series>,
    /// When (nimbus clock, epoch ms) the store was last rolled up.
    rolled_at_ms: i64,
}

impl Serialize for MetricStore {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.series.len()))?;
        for (key, series) in &self.series {
            seq.serialize_element(&serde_json::json!({
                "Namespace": key.namespace,
                "MetricName": key.name,
                "Dimensions": key.dimensions.iter().map(|(n, v)| serde_json::json!({"Name": n, "Value": v})).collect::<Vec<_>>(),
                "Datapoints": series.len(),
                "Bytes": series.heap_bytes(),
            }))?;
        }
        seq.end()
    }
}

impl MetricStore {
    pub fn put(&mut self, key: MetricKey, time_ms: i64, unit: u8, high_res: bool, sample: NewSample, now_ms: i64) {
        let series = match self.series.get_mut(&key) {
            Some(s) => s,
            None => self.series.entry(key).or_default(),
        };
        series.push(time_ms, unit, high_res, sample);
        series.last_put_ms = series.last_put_ms.max(now_ms);
    }

    pub fn get(&self, key: &MetricKey) -> Option<&Series> {
        self.series.get(key)
    }

    /// Rolls every series up to its retention tier and forgets series left empty; at
    /// most once a minute of clock time.
    pub fn roll_up(&mut self, now_ms: i64) {
        if now_ms - self.rolled_at_ms < 60_000 {
            return;
        }
        self.rolled_at_ms = now_ms;
        self.series.retain(|_, s| {
            s.roll_up(now_ms);
            !s.is_empty() || s.last_put_ms >= now_ms - retention::DROP_AFTER_MS
        });
    }

    pub fn points(&self) -> usize {
        self.series.values().map(Series::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimension_order_does_not_matter_and_points_stay_sorted() {
        let mut store = MetricStore::default();
        let a = MetricKey::new("App", "Latency", vec![("b".into(), "2".into()), ("a".into(), "1".into())]);
        let b = MetricKey::new("App", "Latency", vec![("a".into(), "1".into()), ("b".into(), "2".into())]);
        assert_eq!(a, b);
        store.put(a, 2000, UNIT_NONE, false, NewSample::One(2.0), 10);
        store.put(b, 1000, UNIT_NONE, false, NewSample::One(1.0), 20);
        let series = store.series.values().next().unwrap();
        assert_eq!(series.points().iter().map(|p| p.time_ms()).collect::<Vec<_>>(), vec![1000, 2000]);
        assert_eq!(series.last_put_ms, 20);
    }

    #[test]
    fn a_point_is_sixteen_bytes_and_sets_live_aside() {
        assert_eq!(std::mem::size_of::<Point>(), 16);
        let mut s = Series::default();
        s.push(1_500, 3, true, NewSample::Weighted(vec![(1.0, 2.0), (3.0, 1.0)]));
        s.push(2_000, 3, false, NewSample::Stats { count: 2.0, sum: 4.0, min: 1.0, max: 3.0 });
        s.push(2_500, 3, false, NewSample::Weighted(vec![(7.0, 1.0)]));
        let p = s.points();
        assert_eq!(s.sample(&p[0]), Sample::Weighted(&[(1.0, 2.0), (3.0, 1.0)]));
        assert_eq!(s.sample(&p[1]), Sample::Stats { count: 2.0, sum: 4.0, min: 1.0, max: 3.0 });
        assert_eq!(s.sample(&p[2]), Sample::One(7.0));
        assert!(p[0].high_res() && !p[1].high_res());
        assert_eq!(p[0].time_ms(), 1_500);
        assert_eq!(s.range(1_500, 2_500).len(), 2);
    }

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
        let got: Vec<(i64, Sample<'_>, bool)> =
            s.points().iter().map(|p| (p.time_ms(), s.sample(p), p.high_res())).collect();
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
}

/// A series as a snapshot keeps it: every point and side-table set, exactly.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct StoredSeries {
    pub namespace: String,
    pub name: String,
    pub dimensions: Vec<(String, String)>,
    /// `(epoch seconds, milliseconds, unit, flags, value)`; with [`IN_SET`] the value is
    /// the index of the set.
    pub points: Vec<(u32, u16, u8, u8, f64)>,
    pub sets: Vec<StoredSet>,
    pub last_put_ms: i64,
    pub rolled_at_ms: i64,
}

#[derive(Debug, Serialize, serde::Deserialize)]
pub enum StoredSet {
    Weighted(Vec<(f64, f64)>),
    Stats { count: f64, sum: f64, min: f64, max: f64 },
}

#[derive(Debug, Serialize, serde::Deserialize)]
pub struct StoredMetrics {
    pub series: Vec<StoredSeries>,
    pub rolled_at_ms: i64,
}

impl MetricStore {
    /// Everything the store holds, for `--state-dir` snapshots (its `Serialize` is the
    /// summary `/_nimbus/state` shows).
    pub fn to_stored(&self) -> StoredMetrics {
        let series = self
            .series
            .iter()
            .map(|(key, s)| StoredSeries {
                namespace: key.namespace.clone(),
                name: key.name.clone(),
                dimensions: key.dimensions.clone(),
                points: s
                    .points
                    .iter()
                    .map(|p| {
                        let value = if p.flags & IN_SET != 0 { p.value.to_bits() as f64 } else { p.value };
                        (p.secs, p.millis, p.unit, p.flags, value)
                    })
                    .collect(),
                sets: s
                    .sets
                    .iter()
                    .map(|set| match set {
                        Set::Weighted(v) => StoredSet::Weighted(v.to_vec()),
                        Set::Stats { count, sum, min, max } => {
                            StoredSet::Stats { count: *count, sum: *sum, min: *min, max: *max }
                        }
                    })
                    .collect(),
                last_put_ms: s.last_put_ms,
                rolled_at_ms: s.rolled_at_ms,
            })
            .collect();
        StoredMetrics { series, rolled_at_ms: self.rolled_at_ms }
    }

    pub fn from_stored(stored: StoredMetrics) -> Result<Self, String> {
        let mut store = MetricStore { series: BTreeMap::new(), rolled_at_ms: stored.rolled_at_ms };
        for s in stored.series {
            let sets: Vec<Set> = s
                .sets
                .into_iter()
                .map(|set| match set {
                    StoredSet::Weighted(v) => Set::Weighted(v.into_boxed_slice()),
                    StoredSet::Stats { count, sum, min, max } => Set::Stats { count, sum, min, max },
                })
                .collect();
            let mut points = Vec::with_capacity(s.points.len());
            for (secs, millis, unit, flags, value) in s.points {
                let value = if flags & IN_SET != 0 {
                    let index = value as u64;
                    if value < 0.0 || index as usize >= sets.len() {
                        return Err(format!("{}/{}: a point names a missing set", s.namespace, s.name));
                    }
                    f64::from_bits(index)
                } else {
                    value
                };
                points.push(Point { value, secs, millis, unit, flags });
            }
            if points.windows(2).any(|w| w[0].time_ms() > w[1].time_ms()) {
                return Err(format!("{}/{}: points out of time order", s.namespace, s.name));
            }
            let key = MetricKey::new(&s.namespace, &s.name, s.dimensions);
            store.series.insert(key, Series { points, sets, last_put_ms: s.last_put_ms, rolled_at_ms: s.rolled_at_ms });
        }
        Ok(store)
    }
}
