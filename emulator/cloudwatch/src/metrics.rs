//! PutMetricData and ListMetrics.

use base64::Engine as _;
use chrono::Duration;
use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{Dimension, ListMetricsInput, ListMetricsOutput, Metric, MetricDatum, PutMetricDataInput};
use crate::store::{Datapoint, MetricKey, MetricStore, Sample};

/// ListMetrics answers at most this many metrics a page, as AWS does.
const LIST_PAGE: usize = 500;
/// Metrics without new data for two weeks drop out of ListMetrics.
const LISTED_FOR: Duration = Duration::days(14);

fn invalid(message: String) -> ApiError {
    ApiError::invalid_parameter_value(message)
}

/// Everything wrong with one datum, checked before anything is stored so that a
/// request is applied whole or not at all.
fn sample_of(datum: &MetricDatum, path: &str) -> Result<Sample, ApiError> {
    let has_values = datum.values.as_ref().is_some_and(|v| !v.is_empty());
    let given = [datum.value.is_some(), datum.statistic_values.is_some(), has_values];
    if given.iter().filter(|g| **g).count() > 1 {
        let names = ["Value", "StatisticValues", "Values"];
        let both: Vec<String> =
            names.iter().zip(given).filter(|(_, g)| *g).map(|(n, _)| format!("{path}.{n}")).collect();
        return Err(ApiError::client(
            "InvalidParameterCombination",
            format!("The parameters {} are mutually exclusive and you have specified both.", both.join(" and ")),
        ));
    }
    if let Some(v) = datum.value {
        return Ok(Sample::Values { values: vec![v], counts: vec![1.0] });
    }
    if let Some(s) = &datum.statistic_values {
        if s.sample_count <= 0.0 {
            return Err(invalid(format!(
                "The value {} for parameter {path}.StatisticValues.SampleCount is invalid.",
                s.sample_count
            )));
        }
        if s.minimum > s.maximum {
            return Err(invalid(format!(
                "The parameter {path}.StatisticValues.Maximum must be greater than or equal to {path}.StatisticValues.Minimum."
            )));
        }
        return Ok(Sample::Statistics {
            sample_count: s.sample_count,
            sum: s.sum,
            minimum: s.minimum,
            maximum: s.maximum,
        });
    }
    if has_values {
        let values = datum.values.clone().unwrap_or_default();
        if values.len() > 150 {
            return Err(invalid(format!("The collection {path}.Values must not have a size greater than 150.")));
        }
        let counts = match &datum.counts {
            Some(c) if !c.is_empty() => {
                if c.len() != values.len() {
                    return Err(invalid(format!(
                        "The parameters {path}.Values and {path}.Counts must be of the same size."
                    )));
                }
                if let Some(bad) = c.iter().find(|c| **c < 0.0) {
                    return Err(invalid(format!("The value {bad} for parameter {path}.Counts is invalid.")));
                }
                c.clone()
            }
            _ => vec![1.0; values.len()],
        };
        return Ok(Sample::Values { values, counts });
    }
    Err(ApiError::missing_parameter(format!(
        "The parameter {path}.Value, {path}.Values or {path}.StatisticValues is required."
    )))
}

pub fn put_metric_data(
    store: &mut MetricStore,
    ctx: &RequestContext,
    input: PutMetricDataInput,
) -> Result<(), ApiError> {
    if input.namespace.starts_with("AWS/") {
        return Err(invalid(format!("The value {} for parameter Namespace is invalid.", input.namespace)));
    }
    let mut data: Vec<(String, &MetricDatum)> = Vec::new();
    for (i, d) in input.metric_data.iter().flatten().enumerate() {
        data.push((format!("MetricData.member.{}", i + 1), d));
    }
    for (i, e) in input.entity_metric_data.iter().flatten().enumerate() {
        for (j, d) in e.metric_data.iter().flatten().enumerate() {
            data.push((format!("EntityMetricData.member.{}.MetricData.member.{}", i + 1, j + 1), d));
        }
    }
    if data.is_empty() {
        return Err(ApiError::missing_parameter("The parameter MetricData is required."));
    }
    if data.len() > 1000 {
        return Err(invalid("The collection MetricData must not have a size greater than 1000.".into()));
    }

    let now_ms = ctx.now.timestamp_millis();
    let oldest = (ctx.now - Duration::weeks(2)).timestamp_millis();
    let newest = (ctx.now + Duration::hours(2)).timestamp_millis();
    let mut accepted = Vec::with_capacity(data.len());
    for (path, datum) in data {
        let sample = sample_of(datum, &path)?;
        let timestamp_ms = datum.timestamp.map_or(now_ms, |t| t.0.timestamp_millis());
        if timestamp_ms < oldest || timestamp_ms > newest {
            return Err(invalid(format!(
                "The parameter {path}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future."
            )));
        }
        let storage_resolution = match datum.storage_resolution {
            None | Some(60) => 60,
            Some(1) => 1,
            Some(other) => {
                return Err(invalid(format!("The value {other} for parameter {path}.StorageResolution is invalid.")));
            }
        };
        let dims = datum.dimensions.clone().unwrap_or_default();
        let mut seen = std::collections::BTreeSet::new();
        for d in &dims {
            if !seen.insert(d.name.as_str()) {
                return Err(invalid(format!(
                    "No metric may have duplicate dimension names. The dimension {} is duplicated in {path}.Dimensions.",
                    d.name
                )));
            }
        }
        let key =
            MetricKey::new(&input.namespace, &datum.metric_name, dims.into_iter().map(|d| (d.name, d.value)).collect());
        accepted.push((key, Datapoint { timestamp_ms, sample, unit: datum.unit.clone(), storage_resolution }));
    }
    for (key, point) in accepted {
        store.put(key, point, now_ms);
    }
    Ok(())
}

pub fn list_metrics(
    store: &MetricStore,
    ctx: &RequestContext,
    input: ListMetricsInput,
) -> Result<ListMetricsOutput, ApiError> {
    let recent_since = match input.recently_active.as_deref() {
        None => None,
        Some("PT3H") => Some((ctx.now - Duration::hours(3)).timestamp_millis()),
        Some(other) => return Err(invalid(format!("The value {other} for parameter RecentlyActive is invalid."))),
    };
    let listed_since = (ctx.now - LISTED_FOR).timestamp_millis();
    let filters = input.dimensions.unwrap_or_default();
    let matching = store.series.iter().filter(|(key, series)| {
        input.namespace.as_ref().is_none_or(|n| *n == key.namespace)
            && input.metric_name.as_ref().is_none_or(|n| *n == key.name)
            && filters.iter().all(|f| {
                key.dimensions.iter().any(|(n, v)| *n == f.name && f.value.as_ref().is_none_or(|want| want == v))
            })
            && series.last_put_ms >= listed_since
            && recent_since.is_none_or(|since| series.last_put_ms >= since)
    });

    let start = match input.next_token.as_deref() {
        None => 0,
        Some(token) => decode_token(token)
            .ok_or_else(|| ApiError::client("InvalidNextToken", format!("The NextToken '{token}' is invalid.")))?,
    };
    let mut page: Vec<Metric> = Vec::new();
    let mut more = false;
    for (key, _) in matching.skip(start) {
        if page.len() == LIST_PAGE {
            more = true;
            break;
        }
        page.push(Metric {
            namespace: Some(key.namespace.clone()),
            metric_name: Some(key.name.clone()),
            dimensions: Some(
                key.dimensions.iter().map(|(n, v)| Dimension { name: n.clone(), value: v.clone() }).collect(),
            ),
        });
    }
    let owning_accounts =
        (input.include_linked_accounts == Some(true)).then(|| vec![ctx.account().to_string(); page.len()]);
    Ok(ListMetricsOutput {
        next_token: more.then(|| encode_token(start + LIST_PAGE)),
        metrics: Some(page),
        owning_accounts,
    })
}

fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("nimbus-list-metrics:{offset}"))
}

fn decode_token(token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(token).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix("nimbus-list-metrics:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::{DimensionFilter, StatisticSet};
    use nimbus_core::types::Timestamp;

    fn datum(name: &str, value: f64, dims: &[(&str, &str)]) -> MetricDatum {
        MetricDatum {
            metric_name: name.into(),
            value: Some(value),
            dimensions: Some(
                dims.iter().map(|(n, v)| Dimension { name: n.to_string(), value: v.to_string() }).collect(),
            ),
            ..Default::default()
        }
    }

    fn put(store: &mut MetricStore, ctx: &RequestContext, ns: &str, data: Vec<MetricDatum>) -> Result<(), ApiError> {
        put_metric_data(
            store,
            ctx,
            PutMetricDataInput { namespace: ns.into(), metric_data: Some(data), ..Default::default() },
        )
    }

    #[test]
    fn put_then_list_by_namespace_name_and_dimension() {
        let ctx = RequestContext::for_tests();
        let mut store = MetricStore::default();
        put(
            &mut store,
            &ctx,
            "App",
            vec![
                datum("Latency", 1.0, &[("Service", "api")]),
                datum("Latency", 2.0, &[("Service", "web")]),
                datum("Errors", 0.0, &[]),
            ],
        )
        .unwrap();
        put(&mut store, &ctx, "Other", vec![datum("Latency", 1.0, &[])]).unwrap();
        let list = |input: ListMetricsInput| list_metrics(&store, &ctx, input).unwrap().metrics.unwrap();
        assert_eq!(list(ListMetricsInput::default()).len(), 4);
        assert_eq!(list(ListMetricsInput { namespace: Some("App".into()), ..Default::default() }).len(), 3);
        assert_eq!(
            list(ListMetricsInput {
                metric_name: Some("Latency".into()),
                namespace: Some("App".into()),
                ..Default::default()
            })
            .len(),
            2
        );
        let by_dim = list(ListMetricsInput {
            dimensions: Some(vec![DimensionFilter { name: "Service".into(), value: Some("web".into()) }]),
            ..Default::default()
        });
        assert_eq!(by_dim.len(), 1);
        assert_eq!(by_dim[0].dimensions.as_ref().unwrap()[0].value, "web");
        let name_only = list(ListMetricsInput {
            dimensions: Some(vec![DimensionFilter { name: "Service".into(), value: None }]),
            ..Default::default()
        });
        assert_eq!(name_only.len(), 2);
    }

    #[test]
    fn invalid_requests_store_nothing() {
        let ctx = RequestContext::for_tests();
        let mut store = MetricStore::default();
        let mut both = datum("A", 1.0, &[]);
        both.statistic_values = Some(StatisticSet { sample_count: 1.0, sum: 1.0, minimum: 1.0, maximum: 1.0 });
        let err = put(&mut store, &ctx, "App", vec![datum("Ok", 1.0, &[]), both]).unwrap_err();
        assert_eq!(err.code, "InvalidParameterCombination");
        assert!(store.series.is_empty(), "a refused request must not be half-applied");

        let err = put(&mut store, &ctx, "AWS/EC2", vec![datum("A", 1.0, &[])]).unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");

        let mut old = datum("A", 1.0, &[]);
        old.timestamp = Some(Timestamp(ctx.now - Duration::days(15)));
        assert_eq!(put(&mut store, &ctx, "App", vec![old]).unwrap_err().code, "InvalidParameterValue");

        let mut mismatched = datum("A", 1.0, &[]);
        mismatched.value = None;
        mismatched.values = Some(vec![1.0, 2.0]);
        mismatched.counts = Some(vec![1.0]);
        assert_eq!(put(&mut store, &ctx, "App", vec![mismatched]).unwrap_err().code, "InvalidParameterValue");

        let dup = datum("A", 1.0, &[("d", "1"), ("d", "2")]);
        assert_eq!(put(&mut store, &ctx, "App", vec![dup]).unwrap_err().code, "InvalidParameterValue");

        let err =
            put_metric_data(&mut store, &ctx, PutMetricDataInput { namespace: "App".into(), ..Default::default() })
                .unwrap_err();
        assert_eq!(err.code, "MissingParameter");
        assert!(store.series.is_empty());
    }

    #[test]
    fn list_metrics_pages_by_500() {
        let ctx = RequestContext::for_tests();
        let mut store = MetricStore::default();
        let data: Vec<MetricDatum> = (0..600).map(|i| datum(&format!("M{i:04}"), 1.0, &[])).collect();
        put(&mut store, &ctx, "App", data).unwrap();
        let first = list_metrics(&store, &ctx, ListMetricsInput::default()).unwrap();
        assert_eq!(first.metrics.as_ref().unwrap().len(), 500);
        let token = first.next_token.expect("a second page");
        let second =
            list_metrics(&store, &ctx, ListMetricsInput { next_token: Some(token), ..Default::default() }).unwrap();
        assert_eq!(second.metrics.unwrap().len(), 100);
        assert!(second.next_token.is_none());
        let err =
            list_metrics(&store, &ctx, ListMetricsInput { next_token: Some("garbage".into()), ..Default::default() })
                .unwrap_err();
        assert_eq!(err.code, "InvalidNextToken");
    }

    #[test]
    fn recently_active_means_the_last_three_hours() {
        let mut ctx = RequestContext::for_tests();
        let mut store = MetricStore::default();
        put(&mut store, &ctx, "App", vec![datum("Old", 1.0, &[])]).unwrap();
        ctx.now += Duration::hours(4);
        put(&mut store, &ctx, "App", vec![datum("New", 1.0, &[])]).unwrap();
        let out =
            list_metrics(&store, &ctx, ListMetricsInput { recently_active: Some("PT3H".into()), ..Default::default() })
                .unwrap();
        let names: Vec<_> = out.metrics.unwrap().into_iter().filter_map(|m| m.metric_name).collect();
        assert_eq!(names, vec!["New"]);
    }
}
