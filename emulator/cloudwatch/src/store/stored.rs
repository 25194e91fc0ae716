//! The store as `--state-dir` snapshots and `nimbus state export` keep it: every series
//! with its points in time order and its side table, exactly. The format does not depend
//! on how a series is laid out in memory.

use std::collections::BTreeMap;

use serde::Serialize;

use super::series::{Point, Series, Set, IN_SET};
use super::{MetricKey, MetricStore};

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
                    .points()
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
            if s.points.windows(2).any(|w| (w[0].0, w[0].1) > (w[1].0, w[1].1)) {
                return Err(format!("{}/{}: points out of time order", s.namespace, s.name));
            }
            let mut series = Series::default();
            series.sets = sets;
            series.last_put_ms = s.last_put_ms;
            series.rolled_at_ms = s.rolled_at_ms;
            for (secs, millis, unit, flags, value) in s.points {
                let value = if flags & IN_SET != 0 {
                    let index = value as u64;
                    if value < 0.0 || index as usize >= series.sets.len() {
                        return Err(format!("{}/{}: a point names a missing set", s.namespace, s.name));
                    }
                    f64::from_bits(index)
                } else {
                    value
                };
                // In time order: every point is an append.
                series.insert(Point { value, secs, millis, unit, flags });
            }
            let key = MetricKey::new(&s.namespace, &s.name, s.dimensions);
            store.series.insert(key, series);
        }
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{NewSample, UNIT_NONE};
    use super::*;

    #[test]
    fn a_snapshot_keeps_every_point_in_order_and_is_refused_out_of_order() {
        let mut store = MetricStore::default();
        let key = MetricKey::new("App", "Latency", vec![]);
        // Out of order and replayed, across several chunks.
        for i in 0..3000i64 {
            let t = (i * 7919) % 2000 * 1000;
            store.put(key.clone(), t, UNIT_NONE, i % 2 == 0, NewSample::One(i as f64), 5);
        }
        store.put(key.clone(), 1000, 14, false, NewSample::Weighted(vec![(1.0, 2.0), (3.0, 1.0)]), 5);
        let stored = serde_json::to_value(store.to_stored()).unwrap();
        let again = MetricStore::from_stored(serde_json::from_value(stored.clone()).unwrap()).unwrap();
        again.series[&key].check();
        assert_eq!(serde_json::to_value(again.to_stored()).unwrap(), stored);
        let points = stored["series"][0]["points"].as_array().unwrap();
        assert_eq!(points.len(), 3001);
        // (secs, millis, unit, flags, value), in time order.
        assert_eq!(points[0], serde_json::json!([0, 0, UNIT_NONE, 1, 0.0]));

        let mut bad = stored;
        bad["series"][0]["points"].as_array_mut().unwrap().swap(0, 2000);
        let err = MetricStore::from_stored(serde_json::from_value(bad).unwrap()).unwrap_err();
        assert!(err.contains("out of time order"), "{err}");
    }
}
