//! CloudWatch's state as `--state-dir` snapshots and `nimbus state export` keep it.

use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::store::{MetricStore, StoredMetrics};
use crate::CwState;

/// The fixed strings some records hold as `&'static str`: states, alarm and history
/// item types.
const KNOWN: &[&str] = &[
    "OK",
    "ALARM",
    "INSUFFICIENT_DATA",
    "MetricAlarm",
    "CompositeAlarm",
    "LogAlarm",
    "StateUpdate",
    "ConfigurationUpdate",
    "Action",
    "running",
    "stopped",
];

/// `&'static str` under another name: serde borrows fields written `&str` from the
/// input, which a snapshot read from a file cannot lend.
pub type Known = &'static str;

pub fn known<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let s = String::deserialize(d)?;
    KNOWN.iter().find(|k| **k == s).copied().ok_or_else(|| serde::de::Error::custom(format!("unexpected value {s:?}")))
}

pub fn save(state: &CwState) -> Result<Value, String> {
    let value = |v: Result<Value, serde_json::Error>| v.map_err(|e| e.to_string());
    Ok(json!({
        "metrics": value(serde_json::to_value(state.metrics.to_stored()))?,
        "alarms": value(serde_json::to_value(&state.alarms))?,
        "tags": value(serde_json::to_value(&state.tags))?,
        "anomaly_detectors": value(serde_json::to_value(&state.anomaly_detectors))?,
        "records": value(serde_json::to_value(&state.records))?,
        "query_definitions": value(serde_json::to_value(&state.query_definitions))?,
        "enrichment": value(serde_json::to_value(&state.enrichment))?,
        "dataset": value(serde_json::to_value(&state.dataset))?,
        "resource_metrics": value(serde_json::to_value(&state.resource_metrics))?,
    }))
}

pub fn load(mut v: Value) -> Result<CwState, String> {
    fn field<T: serde::de::DeserializeOwned>(v: &mut Value, name: &str) -> Result<T, String> {
        serde_json::from_value(v.get_mut(name).map(Value::take).unwrap_or(Value::Null))
            .map_err(|e| format!("{name}: {e}"))
    }
    /// A part that snapshots written before it existed do not have.
    fn newer<T: serde::de::DeserializeOwned + Default>(v: &mut Value, name: &str) -> Result<T, String> {
        match v.get_mut(name).map(Value::take) {
            None | Some(Value::Null) => Ok(T::default()),
            Some(part) => serde_json::from_value(part).map_err(|e| format!("{name}: {e}")),
        }
    }
    let metrics: StoredMetrics = field(&mut v, "metrics")?;
    Ok(CwState {
        metrics: MetricStore::from_stored(metrics)?,
        alarms: field(&mut v, "alarms")?,
        tags: field(&mut v, "tags")?,
        anomaly_detectors: field(&mut v, "anomaly_detectors")?,
        records: field(&mut v, "records")?,
        query_definitions: newer(&mut v, "query_definitions")?,
        enrichment: newer(&mut v, "enrichment")?,
        dataset: newer(&mut v, "dataset")?,
        resource_metrics: newer(&mut v, "resource_metrics")?,
    })
}
