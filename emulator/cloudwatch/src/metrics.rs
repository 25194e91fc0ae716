//! PutMetricData, ListMetrics and GetMetricStatistics.

use base64::Engine as _;
use chrono::Duration;
use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    Datapoint, Dimension, GetMetricStatisticsInput, GetMetricStatisticsOutput, ListMetricsInput, ListMetricsOutput,
    Metric, MetricDatum, PutMetricDataInput,
};
use crate::query::{self, thousands};
use crate::statistics::Stat;
use crate::store::{unit_index, unit_name, MetricKey, NewPoint, NewSample, UNIT_NONE};
use crate::CwState;

/// ListMetrics answers at most this many metrics a page, as AWS does.
const LIST_PAGE: usize = 500;
/// Metrics without new data for two weeks drop out of ListMetrics.
const LISTED_FOR: Duration = Duration::days(14);

fn invalid(message: String) -> ApiError {
    ApiError::invalid_parameter_value(message)
}

/// Everything wrong with one datum, checked before anything is stored so that a
/// request is applied whole or not at all.
fn sample_of(datum: &MetricDatum, path: DatumPath) -> Result<NewSample, ApiError> {
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
        check_value(v, format_args!("{path}.Value"))?;
        return Ok(NewSample::One(v));
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
        for (v, name) in
            [(s.sample_count, "SampleCount"), (s.sum, "Sum"), (s.minimum, "Minimum"), (s.maximum, "Maximum")]
        {
            check_value(v, format_args!("{path}.StatisticValues.{name}"))?;
        }
        return Ok(NewSample::Stats { count: s.sample_count, sum: s.sum, min: s.minimum, max: s.maximum });
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
        for v in &values {
            check_value(*v, format_args!("{path}.Values"))?;
        }
        return Ok(NewSample::Weighted(values.into_iter().zip(counts).collect()));
    }
    Err(ApiError::missing_parameter(format!(
        "The parameter {path}.Value, {path}.Values or {path}.StatisticValues is required."
    )))
}

/// CloudWatch accepts values between -2^360 and 2^360 whose magnitude is not below
/// 2^-260 (zero aside); NaN and the infinities are refused.
fn check_value(v: f64, path: std::fmt::Arguments<'_>) -> Result<(), ApiError> {
    let magnitude = v.abs();
    if !v.is_finite() || magnitude > 2f64.powi(360) || (magnitude != 0.0 && magnitude < 2f64.powi(-260)) {
        return Err(invalid(format!("The value {v} for parameter {path} is invalid.")));
    }
    Ok(())
}

/// Where a datum sits in the request, as CloudWatch names it in messages (formatted
/// only when one is written).
#[derive(Clone, Copy)]
enum DatumPath {
    Plain(usize),
    Entity(usize, usize),
}

impl std::fmt::Display for DatumPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatumPath::Plain(i) => write!(f, "MetricData.member.{i}"),
            DatumPath::Entity(i, j) => write!(f, "EntityMetricData.member.{i}.MetricData.member.{j}"),
        }
    }
}

pub fn put_metric_data(state: &mut CwState, ctx: &RequestContext, input: PutMetricDataInput) -> Result<(), ApiError> {
    if input.namespace.starts_with("AWS/") {
        return Err(invalid(format!("The value {} for parameter Namespace is invalid.", input.namespace)));
    }
    store_metric_data(state, ctx, input)
}

/// PutMetricData's checks and storage without the refusal of `AWS/` namespaces: what
/// AWS's own services publish (nimbus's instance runtime: `AWS/EC2`).
pub fn store_metric_data(state: &mut CwState, ctx: &RequestContext, input: PutMetricDataInput) -> Result<(), ApiError> {
    let store = &mut state.metrics;
    let mut data: Vec<(DatumPath, &MetricDatum)> = Vec::new();
    for (i, d) in input.metric_data.iter().flatten().enumerate() {
        data.push((DatumPath::Plain(i + 1), d));
    }
    for (i, e) in input.entity_metric_data.iter().flatten().enumerate() {
        for (j, d) in e.metric_data.iter().flatten().enumerate() {
            data.push((DatumPath::Entity(i + 1, j + 1), d));
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
    // Data of one metric usually comes together: each run of data of one metric shares
    // one key (and one lookup of its series).
    let mut runs: Vec<(MetricKey, Vec<NewPoint>)> = Vec::new();
    let mut previous: Option<&MetricDatum> = None;
    for (path, datum) in data {
        let sample = sample_of(datum, path)?;
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
        let dims = datum.dimensions.as_deref().unwrap_or_default();
        if let Some(d) =
            dims.iter().enumerate().find(|(i, d)| dims[..*i].iter().any(|e| e.name == d.name)).map(|(_, d)| d)
        {
            return Err(invalid(format!(
                "No metric may have duplicate dimension names. The dimension {} is duplicated in {path}.Dimensions.",
                d.name
            )));
        }
        let unit = match datum.unit.as_deref() {
            None => UNIT_NONE,
            Some(u) => {
                unit_index(u).ok_or_else(|| invalid(format!("The value {u} for parameter {path}.Unit is invalid.")))?
            }
        };
        let point = (timestamp_ms, unit, storage_resolution == 1, sample);
        match previous {
            Some(p) if p.metric_name == datum.metric_name && p.dimensions == datum.dimensions => {
                if let Some((_, points)) = runs.last_mut() {
                    points.push(point);
                }
            }
            _ => {
                let key = MetricKey::new(
                    &input.namespace,
                    &datum.metric_name,
                    dims.iter().map(|d| (d.name.clone(), d.value.clone())).collect(),
                );
                runs.push((key, vec![point]));
            }
        }
        previous = Some(datum);
    }
    // Older points move to their retention tier as the clock goes.
    store.roll_up(now_ms);
    for (key, points) in runs {
        store.put_all(key, points, now_ms);
    }
    Ok(())
}

pub fn list_metrics(
    state: &CwState,
    ctx: &RequestContext,
    input: ListMetricsInput,
) -> Result<ListMetricsOutput, ApiError> {
    let store = &state.metrics;
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

/// The StartTime/EndTime checks GetMetricStatistics and GetMetricData share; `code` is
/// the error code the operation answers them with.
pub(crate) fn check_time_range(start_ms: i64, end_ms: i64, code: &str) -> Result<(), ApiError> {
    if start_ms == end_ms {
        return Err(ApiError::client(code, "The parameter StartTime must not equal parameter EndTime."));
    }
    if start_ms > end_ms {
        return Err(ApiError::client(code, "The parameter EndTime must be greater than StartTime."));
    }
    Ok(())
}

fn dimensions_of(dimensions: &Option<Vec<Dimension>>) -> Vec<(String, String)> {
    dimensions.iter().flatten().map(|d| (d.name.clone(), d.value.clone())).collect()
}

pub fn get_metric_statistics(
    state: &CwState,
    ctx: &RequestContext,
    input: GetMetricStatisticsInput,
) -> Result<GetMetricStatisticsOutput, ApiError> {
    let store = &state.metrics;
    let standard = input.statistics.clone().unwrap_or_default();
    let extended = input.extended_statistics.clone().unwrap_or_default();
    if standard.is_empty() == extended.is_empty() {
        return Err(ApiError::client(
            "InvalidParameterCombination",
            "Must specify either Statistics or ExtendedStatistics, but not both.",
        ));
    }
    let mut stats: Vec<(String, Stat)> = Vec::new();
    for (i, name) in standard.iter().enumerate() {
        match Stat::parse(name).filter(Stat::is_standard) {
            Some(s) => stats.push((name.clone(), s)),
            None => {
                return Err(invalid(format!("The value {name} for parameter Statistics.member.{} is invalid.", i + 1)))
            }
        }
    }
    for (i, name) in extended.iter().enumerate() {
        match Stat::parse(name).filter(|s| !s.is_standard()) {
            Some(s) => stats.push((name.clone(), s)),
            None => {
                return Err(invalid(format!(
                    "The value {name} for parameter ExtendedStatistics.member.{} is invalid.",
                    i + 1
                )))
            }
        }
    }
    let period = i64::from(input.period);
    if !query::valid_period(period) {
        return Err(invalid("The parameter Period must be a multiple of 60.".into()));
    }
    let (start_ms, end_ms) = (input.start_time.0.timestamp_millis(), input.end_time.0.timestamp_millis());
    check_time_range(start_ms, end_ms, "InvalidParameterValue")?;
    let now_ms = ctx.now.timestamp_millis();
    let start_ms = query::round_start(start_ms, now_ms, period);
    let period_ms = period * 1000;
    let requested = (end_ms - start_ms + period_ms - 1) / period_ms;
    if requested > 1440 {
        return Err(ApiError::client(
            "InvalidParameterCombination",
            format!(
                "You have requested up to {} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
                thousands(requested)
            ),
        ));
    }
    let unit = match input.unit.as_deref() {
        None => None,
        Some(u) => Some(unit_index(u).ok_or_else(|| invalid(format!("The value {u} for parameter Unit is invalid.")))?),
    };
    let key = MetricKey::new(&input.namespace, &input.metric_name, dimensions_of(&input.dimensions));
    let mut datapoints = Vec::new();
    if let Some(series) = store.get(&key) {
        let collect = !extended.is_empty();
        let buckets = query::periods(series, start_ms, end_ms, period, unit, unit.is_none(), collect, now_ms);
        for ((t, u), mut agg) in buckets {
            let mut dp = Datapoint {
                timestamp: nimbus_core::types::Timestamp::from_epoch_millis(t),
                unit: Some(unit_name(unit.unwrap_or(u)).to_string()),
                ..Default::default()
            };
            let mut ext = std::collections::BTreeMap::new();
            for (name, stat) in &stats {
                let v = agg.get(stat);
                match stat {
                    Stat::SampleCount => dp.sample_count = v,
                    Stat::Average => dp.average = v,
                    Stat::Sum => dp.sum = v,
                    Stat::Minimum => dp.minimum = v,
                    Stat::Maximum => dp.maximum = v,
                    Stat::Ext(_) => {
                        if let Some(v) = v {
                            ext.insert(name.clone(), v);
                        }
                    }
                }
            }
            if collect {
                dp.extended_statistics = Some(ext);
            }
            datapoints.push(dp);
        }
    }
    Ok(GetMetricStatisticsOutput { label: Some(input.metric_name), datapoints: Some(datapoints) })
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

    fn put(store: &mut CwState, ctx: &RequestContext, ns: &str, data: Vec<MetricDatum>) -> Result<(), ApiError> {
        put_metric_data(
            store,
            ctx,
            PutMetricDataInput { namespace: ns.into(), metric_data: Some(data), ..Default::default() },
        )
    }

    #[test]
    fn put_then_list_by_namespace_name_and_dimension() {
        let ctx = RequestContext::for_tests();
        let mut store = CwState::default();
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
        let mut store = CwState::default();
        let mut both = datum("A", 1.0, &[]);
        both.statistic_values = Some(StatisticSet { sample_count: 1.0, sum: 1.0, minimum: 1.0, maximum: 1.0 });
        let err = put(&mut store, &ctx, "App", vec![datum("Ok", 1.0, &[]), both]).unwrap_err();
        assert_eq!(err.code, "InvalidParameterCombination");
        assert!(store.metrics.series.is_empty(), "a refused request must not be half-applied");

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
        assert!(store.metrics.series.is_empty());
    }

    #[test]
    fn list_metrics_pages_by_500() {
        let ctx = RequestContext::for_tests();
        let mut store = CwState::default();
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
        let mut store = CwState::default();
        put(&mut store, &ctx, "App", vec![datum("Old", 1.0, &[])]).unwrap();
        ctx.now += Duration::hours(4);
        put(&mut store, &ctx, "App", vec![datum("New", 1.0, &[])]).unwrap();
        let out =
            list_metrics(&store, &ctx, ListMetricsInput { recently_active: Some("PT3H".into()), ..Default::default() })
                .unwrap();
        let names: Vec<_> = out.metrics.unwrap().into_iter().filter_map(|m| m.metric_name).collect();
        assert_eq!(names, vec!["New"]);
    }

    fn gms(
        store: &CwState,
        ctx: &RequestContext,
        f: impl FnOnce(&mut GetMetricStatisticsInput),
    ) -> Result<GetMetricStatisticsOutput, ApiError> {
        let mut input = GetMetricStatisticsInput {
            namespace: "App".into(),
            metric_name: "Latency".into(),
            start_time: Timestamp(ctx.now - Duration::minutes(10)),
            end_time: Timestamp(ctx.now),
            period: 60,
            statistics: Some(vec![
                "Sum".into(),
                "SampleCount".into(),
                "Average".into(),
                "Minimum".into(),
                "Maximum".into(),
            ]),
            ..Default::default()
        };
        f(&mut input);
        get_metric_statistics(store, ctx, input)
    }

    #[test]
    fn get_metric_statistics_by_minute_and_unit() {
        let mut ctx = RequestContext::for_tests();
        ctx.now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(); // a whole minute
        let mut store = CwState::default();
        let at = |secs: i64, v: f64, unit: Option<&str>| MetricDatum {
            metric_name: "Latency".into(),
            value: Some(v),
            unit: unit.map(str::to_string),
            timestamp: Some(Timestamp(ctx.now - Duration::seconds(secs))),
            ..Default::default()
        };
        // Minute -5: 1..=20 ms; minute -3: 7 and 9 ms plus one Count datum.
        let mut data: Vec<MetricDatum> =
            (1..=20).map(|v| at(300 - v, f64::from(v as i32), Some("Milliseconds"))).collect();
        data.push(at(170, 7.0, Some("Milliseconds")));
        data.push(at(130, 9.0, Some("Milliseconds")));
        data.push(at(150, 1.0, Some("Count")));
        put(&mut store, &ctx, "App", data).unwrap();

        let out = gms(&store, &ctx, |_| {}).unwrap();
        assert_eq!(out.label.as_deref(), Some("Latency"));
        let dps = out.datapoints.unwrap();
        let got: Vec<(i64, &str, f64, f64, f64, f64, f64)> = dps
            .iter()
            .map(|d| {
                (
                    d.timestamp.unwrap().0.timestamp() - 1_800_000_000,
                    d.unit.as_deref().unwrap(),
                    d.sum.unwrap(),
                    d.sample_count.unwrap(),
                    d.average.unwrap(),
                    d.minimum.unwrap(),
                    d.maximum.unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (-300, "Milliseconds", 210.0, 20.0, 10.5, 1.0, 20.0),
                (-180, "Milliseconds", 16.0, 2.0, 8.0, 7.0, 9.0),
                (-180, "Count", 1.0, 1.0, 1.0, 1.0, 1.0),
            ]
        );

        let out = gms(&store, &ctx, |i| {
            i.statistics = None;
            i.extended_statistics = Some(vec!["p50".into(), "p95".into(), "tm90".into(), "IQM".into()]);
            i.unit = Some("Milliseconds".into());
            i.period = 600;
        })
        .unwrap();
        let dps = out.datapoints.unwrap();
        assert_eq!(dps.len(), 1);
        // 1..=20 plus 7 and 9: 22 values.
        let ext = dps[0].extended_statistics.clone().unwrap();
        // Sorted: 1..=6, 7, 7, 8, 9, 9, 10..=20; p50 is the 11th.
        assert_eq!(ext["p50"], 9.0);
        assert_eq!(ext["p95"], 19.0);
        // tm90 keeps ranks 0..20 (ceil(19.8)): all but 19 and 20 -> (226 - 39)/20.
        assert_eq!(ext["tm90"], 187.0 / 20.0);
        // IQM: ranks 5..17 (floor 5.5, ceil 16.5): sorted 1..6,7,7,8,9,9,10..20 -> values at 5..=16.
        let mut sorted: Vec<f64> = (1..=20).map(f64::from).chain([7.0, 9.0]).collect();
        sorted.sort_by(f64::total_cmp);
        let iqm: f64 = sorted[5..17].iter().sum::<f64>() / 12.0;
        assert_eq!(ext["IQM"], iqm);
        assert!(dps[0].sum.is_none());

        let err = gms(&store, &ctx, |i| i.extended_statistics = Some(vec!["p50".into()])).unwrap_err();
        assert_eq!(err.code, "InvalidParameterCombination");
        let err = gms(&store, &ctx, |i| i.statistics = None).unwrap_err();
        assert_eq!(err.code, "InvalidParameterCombination");
        let err = gms(&store, &ctx, |i| i.period = 90).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.message.as_str()),
            ("InvalidParameterValue", "The parameter Period must be a multiple of 60.")
        );
        let err = gms(&store, &ctx, |i| {
            i.period = 1;
            i.start_time = Timestamp(ctx.now - Duration::seconds(1441));
        })
        .unwrap_err();
        assert_eq!(err.code, "InvalidParameterCombination");
        assert!(
            err.message.starts_with("You have requested up to 1,441 datapoints, which exceeds the limit of 1,440."),
            "{}",
            err.message
        );
        let err = gms(&store, &ctx, |i| i.end_time = i.start_time).unwrap_err();
        assert_eq!(err.message, "The parameter StartTime must not equal parameter EndTime.");
        let err = gms(&store, &ctx, |i| {
            i.statistics = None;
            i.extended_statistics = Some(vec!["p101".into()]);
        })
        .unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        // A unit nothing was put with: no datapoints.
        let out = gms(&store, &ctx, |i| i.unit = Some("Bytes".into())).unwrap();
        assert!(out.datapoints.unwrap().is_empty());
    }
}
