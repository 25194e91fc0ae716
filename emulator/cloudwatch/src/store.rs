//! The metrics of one account in one region: a series per (namespace, name,
//! dimensions), raw values kept so that statistics and percentiles are exact.

use std::collections::BTreeMap;

use serde::Serialize;

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
}

/// What one PutMetricData datum carried.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Sample {
    /// One value (`Value`), or values with counts (`Values`/`Counts`).
    Values { values: Vec<f64>, counts: Vec<f64> },
    /// Pre-aggregated `StatisticValues`.
    Statistics { sample_count: f64, sum: f64, minimum: f64, maximum: f64 },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Datapoint {
    /// Epoch milliseconds of the datum's timestamp.
    pub timestamp_ms: i64,
    pub sample: Sample,
    pub unit: Option<String>,
    /// 1 (high resolution) or 60.
    pub storage_resolution: u8,
}

#[derive(Debug, Default, Serialize)]
pub struct Series {
    pub points: Vec<Datapoint>,
    /// When data was last put (epoch ms), for `RecentlyActive` and the two-week listing window.
    pub last_put_ms: i64,
}

#[derive(Debug, Default, Serialize)]
pub struct MetricStore {
    #[serde(serialize_with = "series_as_list")]
    pub series: BTreeMap<MetricKey, Series>,
}

fn series_as_list<S: serde::Serializer>(map: &BTreeMap<MetricKey, Series>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(map.len()))?;
    for (key, series) in map {
        seq.serialize_element(&serde_json::json!({
            "Namespace": key.namespace,
            "MetricName": key.name,
            "Dimensions": key.dimensions.iter().map(|(n, v)| serde_json::json!({"Name": n, "Value": v})).collect::<Vec<_>>(),
            "Datapoints": series.points.len(),
        }))?;
    }
    seq.end()
}

impl MetricStore {
    pub fn put(&mut self, key: MetricKey, point: Datapoint, now_ms: i64) {
        let series = self.series.entry(key).or_default();
        // Keep points in timestamp order; data mostly arrives in order, so this is an append.
        let at = series.points.partition_point(|p| p.timestamp_ms <= point.timestamp_ms);
        series.points.insert(at, point);
        series.last_put_ms = series.last_put_ms.max(now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(t: i64, v: f64) -> Datapoint {
        Datapoint {
            timestamp_ms: t,
            sample: Sample::Values { values: vec![v], counts: vec![1.0] },
            unit: None,
            storage_resolution: 60,
        }
    }

    #[test]
    fn dimension_order_does_not_matter_and_points_stay_sorted() {
        let mut store = MetricStore::default();
        let a = MetricKey::new("App", "Latency", vec![("b".into(), "2".into()), ("a".into(), "1".into())]);
        let b = MetricKey::new("App", "Latency", vec![("a".into(), "1".into()), ("b".into(), "2".into())]);
        assert_eq!(a, b);
        store.put(a, point(2000, 2.0), 10);
        store.put(b, point(1000, 1.0), 20);
        let series = store.series.values().next().unwrap();
        assert_eq!(series.points.iter().map(|p| p.timestamp_ms).collect::<Vec<_>>(), vec![1000, 2000]);
        assert_eq!(series.last_put_ms, 20);
    }
}
