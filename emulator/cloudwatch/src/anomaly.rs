//! Anomaly detectors: records of which metric (or metric math) a model is kept for.
//! The band itself is computed by `ANOMALY_DETECTION_BAND` from the metric's history
//! (see [`crate::metric_data`]).

use std::collections::BTreeMap;

use base64::Engine as _;
use nimbus_core::{ApiError, RequestContext};
use serde::{Deserialize, Serialize};

use crate::generated::dto::{
    AnomalyDetector, DeleteAnomalyDetectorInput, DeleteAnomalyDetectorOutput, DescribeAnomalyDetectorsInput,
    DescribeAnomalyDetectorsOutput, Dimension, MetricDataQuery, PutAnomalyDetectorInput, PutAnomalyDetectorOutput,
    SingleMetricAnomalyDetector,
};
use crate::metric_data::Engine;
use crate::statistics::Stat;
use crate::store::{MetricKey, MetricStore};
use crate::CwState;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Detector {
    pub id: String,
    pub detector: AnomalyDetector,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Detectors {
    /// By identity (metric and stat, or the metric math queries).
    pub by_key: BTreeMap<String, Detector>,
}

fn combination(message: &str) -> ApiError {
    ApiError::client("InvalidParameterCombination", message)
}

/// A detector's identity key, with its single-metric or metric-math definition.
type Identity = (String, Option<SingleMetricAnomalyDetector>, Option<Vec<MetricDataQuery>>);

/// The single-metric detector a request names, from either its flat fields or
/// `SingleMetricAnomalyDetector`; or the metric math one.
fn identity(
    namespace: &Option<String>,
    metric_name: &Option<String>,
    dimensions: &Option<Vec<Dimension>>,
    stat: &Option<String>,
    single: &Option<SingleMetricAnomalyDetector>,
    math: &Option<crate::generated::dto::MetricMathAnomalyDetector>,
) -> Result<Identity, ApiError> {
    let flat = namespace.is_some() || metric_name.is_some() || dimensions.is_some() || stat.is_some();
    match (flat, single, math) {
        (true, Some(_), _) | (true, _, Some(_)) => Err(combination(
            "SingleMetricAnomalyDetector and MetricMathAnomalyDetector cannot be combined with Namespace, MetricName, Dimensions or Stat.",
        )),
        (false, Some(_), Some(_)) => {
            Err(combination("SingleMetricAnomalyDetector and MetricMathAnomalyDetector are mutually exclusive."))
        }
        (_, None, Some(m)) => {
            let queries = m.metric_data_queries.clone().unwrap_or_default();
            if queries.is_empty() {
                return Err(ApiError::missing_parameter("The parameter MetricMathAnomalyDetector.MetricDataQueries is required."));
            }
            let key = format!("math:{}", serde_json::to_string(&queries).unwrap_or_default());
            Ok((key, None, Some(queries)))
        }
        (_, single, None) => {
            let s = single.clone().unwrap_or(SingleMetricAnomalyDetector {
                account_id: None,
                namespace: namespace.clone(),
                metric_name: metric_name.clone(),
                dimensions: dimensions.clone(),
                stat: stat.clone(),
            });
            let (Some(ns), Some(name), Some(st)) = (&s.namespace, &s.metric_name, &s.stat) else {
                return Err(ApiError::missing_parameter("The parameters Namespace, MetricName and Stat are required."));
            };
            if Stat::parse(st).is_none() {
                return Err(ApiError::invalid_parameter_value(format!("The value {st} for parameter Stat is invalid.")));
            }
            let mut dims: Vec<(String, String)> =
                s.dimensions.iter().flatten().map(|d| (d.name.clone(), d.value.clone())).collect();
            dims.sort();
            let key = format!("single:{}", serde_json::to_string(&(ns, name, &dims, st)).unwrap_or_default());
            Ok((key, Some(s), None))
        }
    }
}

fn detector_id(key: &str) -> String {
    // Stable per identity, shaped like AWS's ids.
    let digest = key.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
    format!("{:016x}{:016x}", digest, digest.rotate_left(17) ^ 0x9e3779b97f4a7c15)
}

pub fn put_anomaly_detector(
    cw: &mut CwState,
    ctx: &RequestContext,
    input: PutAnomalyDetectorInput,
) -> Result<PutAnomalyDetectorOutput, ApiError> {
    let (state, store) = (&mut cw.anomaly_detectors, &cw.metrics);
    let (key, single, math) = identity(
        &input.namespace,
        &input.metric_name,
        &input.dimensions,
        &input.stat,
        &input.single_metric_anomaly_detector,
        &input.metric_math_anomaly_detector,
    )?;
    if let Some(queries) = &math {
        let now = ctx.now.timestamp_millis();
        Engine::new(store, queries, "MetricMathAnomalyDetector.MetricDataQueries", now - 60_000, now, now)?;
        if queries.iter().filter(|q| q.return_data != Some(false)).count() != 1 {
            return Err(ApiError::invalid_parameter_value(
                "Exactly one element of the MetricDataQueries list should return data.",
            ));
        }
    }
    if let Some(c) = &input.configuration {
        if c.excluded_time_ranges.iter().flatten().any(|r| r.start_time.0 >= r.end_time.0) {
            return Err(ApiError::invalid_parameter_value(
                "The start time of an excluded time range must be before its end time.",
            ));
        }
        if c.excluded_time_ranges.as_ref().is_some_and(|r| r.len() > 10) {
            return Err(ApiError::invalid_parameter_value("You can exclude at most 10 time ranges."));
        }
    }
    let id = detector_id(&key);
    let detector = AnomalyDetector {
        anomaly_detector_id: Some(id.clone()),
        namespace: single.as_ref().and_then(|s| s.namespace.clone()),
        metric_name: single.as_ref().and_then(|s| s.metric_name.clone()),
        dimensions: single.as_ref().map(|s| s.dimensions.clone().unwrap_or_default()),
        stat: single.as_ref().and_then(|s| s.stat.clone()),
        configuration: Some(input.configuration.clone().unwrap_or_default()),
        state_value: None,
        metric_characteristics: Some(input.metric_characteristics.clone().unwrap_or_default()),
        single_metric_anomaly_detector: single,
        metric_math_anomaly_detector: math
            .map(|q| crate::generated::dto::MetricMathAnomalyDetector { metric_data_queries: Some(q) }),
    };
    state.by_key.insert(key, Detector { id: id.clone(), detector });
    Ok(PutAnomalyDetectorOutput { anomaly_detector_id: Some(id) })
}

/// PENDING_TRAINING until the metric has data in the last two weeks, then TRAINED.
fn state_of(d: &AnomalyDetector, store: &MetricStore, now_ms: i64) -> &'static str {
    let Some(single) = &d.single_metric_anomaly_detector else { return "TRAINED" };
    let key = MetricKey::new(
        single.namespace.as_deref().unwrap_or_default(),
        single.metric_name.as_deref().unwrap_or_default(),
        single.dimensions.iter().flatten().map(|x| (x.name.clone(), x.value.clone())).collect(),
    );
    match store.get(&key) {
        Some(s) if s.last_put_ms >= now_ms - 14 * 86_400_000 => "TRAINED",
        _ => "PENDING_TRAINING",
    }
}

pub fn describe_anomaly_detectors(
    cw: &CwState,
    ctx: &RequestContext,
    input: DescribeAnomalyDetectorsInput,
) -> Result<DescribeAnomalyDetectorsOutput, ApiError> {
    let (state, store) = (&cw.anomaly_detectors, &cw.metrics);
    let now_ms = ctx.now.timestamp_millis();
    let max = input.max_results.map_or(100, |m| m.max(1) as usize);
    let offset = match &input.next_token {
        None => 0,
        Some(t) => base64::engine::general_purpose::STANDARD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("nimbus-anomaly:").and_then(|n| n.parse().ok()))
            .ok_or_else(|| ApiError::client("InvalidNextToken", format!("The NextToken '{t}' is invalid.")))?,
    };
    let types = input.anomaly_detector_types.clone().unwrap_or_default();
    let matching: Vec<AnomalyDetector> = state
        .by_key
        .values()
        .filter(|d| input.anomaly_detector_ids.as_ref().is_none_or(|ids| ids.is_empty() || ids.contains(&d.id)))
        .map(|d| &d.detector)
        .filter(|d| {
            let single = d.single_metric_anomaly_detector.as_ref();
            let kind = if single.is_some() { "SINGLE_METRIC" } else { "METRIC_MATH" };
            (types.is_empty() || types.iter().any(|t| t == kind))
                && input.namespace.as_ref().is_none_or(|n| single.and_then(|s| s.namespace.as_ref()) == Some(n))
                && input.metric_name.as_ref().is_none_or(|n| single.and_then(|s| s.metric_name.as_ref()) == Some(n))
                && input
                    .dimensions
                    .iter()
                    .flatten()
                    .all(|want| single.and_then(|s| s.dimensions.as_ref()).is_some_and(|dims| dims.contains(want)))
        })
        .map(|d| AnomalyDetector { state_value: Some(state_of(d, store, now_ms).to_string()), ..d.clone() })
        .collect();
    let more = offset + max < matching.len();
    Ok(DescribeAnomalyDetectorsOutput {
        anomaly_detectors: Some(matching.into_iter().skip(offset).take(max).collect()),
        next_token: more
            .then(|| base64::engine::general_purpose::STANDARD.encode(format!("nimbus-anomaly:{}", offset + max))),
    })
}

pub fn delete_anomaly_detector(
    cw: &mut CwState,
    _ctx: &RequestContext,
    input: DeleteAnomalyDetectorInput,
) -> Result<DeleteAnomalyDetectorOutput, ApiError> {
    let state = &mut cw.anomaly_detectors;
    let key = match &input.anomaly_detector_id {
        Some(id) => state.by_key.iter().find(|(_, d)| &d.id == id).map(|(k, _)| k.clone()),
        None => Some(
            identity(
                &input.namespace,
                &input.metric_name,
                &input.dimensions,
                &input.stat,
                &input.single_metric_anomaly_detector,
                &input.metric_math_anomaly_detector,
            )?
            .0,
        ),
    };
    match key.and_then(|k| state.by_key.remove(&k)) {
        Some(_) => Ok(DeleteAnomalyDetectorOutput::default()),
        None => Err(ApiError::new("ResourceNotFoundException", "The anomaly detection model does not exist.", 404)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_describe_delete() {
        let mut d = CwState::default();
        let ctx = RequestContext::for_tests();
        let dims = Some(vec![Dimension { name: "Host".into(), value: "a".into() }]);
        let flat = PutAnomalyDetectorInput {
            namespace: Some("App".into()),
            metric_name: Some("Latency".into()),
            dimensions: dims.clone(),
            stat: Some("Average".into()),
            ..Default::default()
        };
        let id = put_anomaly_detector(&mut d, &ctx, flat.clone()).unwrap().anomaly_detector_id.unwrap();
        // The same detector again (the nested form): same id, still one.
        let nested = PutAnomalyDetectorInput {
            single_metric_anomaly_detector: Some(SingleMetricAnomalyDetector {
                namespace: Some("App".into()),
                metric_name: Some("Latency".into()),
                dimensions: dims,
                stat: Some("Average".into()),
                account_id: None,
            }),
            ..Default::default()
        };
        assert_eq!(put_anomaly_detector(&mut d, &ctx, nested).unwrap().anomaly_detector_id.unwrap(), id);
        let out = describe_anomaly_detectors(&d, &ctx, DescribeAnomalyDetectorsInput::default()).unwrap();
        let all = out.anomaly_detectors.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].state_value.as_deref(), Some("PENDING_TRAINING"));
        assert_eq!(all[0].metric_name.as_deref(), Some("Latency"));
        let mut both = flat.clone();
        both.single_metric_anomaly_detector = Some(SingleMetricAnomalyDetector::default());
        assert_eq!(put_anomaly_detector(&mut d, &ctx, both).unwrap_err().code, "InvalidParameterCombination");
        delete_anomaly_detector(
            &mut d,
            &ctx,
            DeleteAnomalyDetectorInput {
                namespace: flat.namespace,
                metric_name: flat.metric_name,
                dimensions: flat.dimensions,
                stat: flat.stat,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(d.anomaly_detectors.by_key.is_empty());
        let err = delete_anomaly_detector(
            &mut d,
            &ctx,
            DeleteAnomalyDetectorInput { anomaly_detector_id: Some(id), ..Default::default() },
        )
        .unwrap_err();
        assert_eq!(err.code, "ResourceNotFoundException");
    }
}
