//! The metrics of one account in one region: a series per (namespace, name,
//! dimensions), raw values kept so that statistics and percentiles are exact.
//!
//! - `series`: one metric's points in time-ordered chunks, so a write costs the same
//!   whether the series holds ten points or ten million and whatever order data comes in;
//!   a stored point is 16 bytes ([`Point`]): the value, the timestamp (epoch seconds and
//!   milliseconds), the unit and two flags. A datum that carried more than one value
//!   (`Values`/`Counts`) or a `StatisticValues` set keeps that in a side table of its
//!   series, and its point holds the index.
//! - `retention`: old points rolled up into AWS's coarser retention tiers.
//! - `stored`: the store as `--state-dir` snapshots keep it.

mod series;
mod stored;

pub mod retention;

use std::collections::BTreeMap;

use serde::Serialize;

pub use series::{NewSample, Sample, Series};
pub use stored::StoredMetrics;

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

/// A datum for [`MetricStore::put_all`]: time (epoch ms), unit, high resolution, sample.
pub type NewPoint = (i64, u8, bool, NewSample);

impl MetricStore {
    #[cfg(test)]
    pub fn put(&mut self, key: MetricKey, time_ms: i64, unit: u8, high_res: bool, sample: NewSample, now_ms: i64) {
        let series = match self.series.get_mut(&key) {
            Some(s) => s,
            None => self.series.entry(key).or_default(),
        };
        series.push(time_ms, unit, high_res, sample);
        series.last_put_ms = series.last_put_ms.max(now_ms);
    }

    /// Puts points of one metric.
    pub fn put_all(&mut self, key: MetricKey, points: Vec<NewPoint>, now_ms: i64) {
        let series = match self.series.get_mut(&key) {
            Some(s) => s,
            None => self.series.entry(key).or_default(),
        };
        for (time_ms, unit, high_res, sample) in points {
            series.push(time_ms, unit, high_res, sample);
        }
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
    use super::series::Point;
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
        assert_eq!(series.points().map(|p| p.time_ms()).collect::<Vec<_>>(), vec![1000, 2000]);
        assert_eq!(series.last_put_ms, 20);
    }

    #[test]
    fn a_point_is_sixteen_bytes_and_sets_live_aside() {
        assert_eq!(std::mem::size_of::<Point>(), 16);
        let mut s = Series::default();
        s.push(1_500, 3, true, NewSample::Weighted(vec![(1.0, 2.0), (3.0, 1.0)]));
        s.push(2_000, 3, false, NewSample::Stats { count: 2.0, sum: 4.0, min: 1.0, max: 3.0 });
        s.push(2_500, 3, false, NewSample::Weighted(vec![(7.0, 1.0)]));
        let p: Vec<&Point> = s.points().collect();
        assert_eq!(s.sample(p[0]), Sample::Weighted(&[(1.0, 2.0), (3.0, 1.0)]));
        assert_eq!(s.sample(p[1]), Sample::Stats { count: 2.0, sum: 4.0, min: 1.0, max: 3.0 });
        assert_eq!(s.sample(p[2]), Sample::One(7.0));
        assert!(p[0].high_res() && !p[1].high_res());
        assert_eq!(p[0].time_ms(), 1_500);
        assert_eq!(s.range(1_500, 2_500).count(), 2);
    }
}
