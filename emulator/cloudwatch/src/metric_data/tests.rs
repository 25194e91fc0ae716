use super::*;
use crate::generated::dto::{Dimension, Metric, MetricDataQuery, MetricStat};
use crate::store::{MetricKey, NewSample, UNIT_NONE};

const NOW: i64 = 1_800_000_000_000;
const M: i64 = 60_000;

fn store() -> CwState {
    let mut s = CwState::default();
    let key = |name: &str, host: &str| MetricKey::new("App", name, vec![("Host".to_string(), host.to_string())]);
    // Errors and Requests for host a over minutes -5..-1, Requests for host b.
    for (i, (errors, requests)) in [(1.0, 10.0), (2.0, 20.0), (0.0, 0.0), (3.0, 30.0), (5.0, 50.0)].iter().enumerate() {
        let t = NOW - (5 - i as i64) * M + 1_000;
        s.metrics.put(key("Errors", "a"), t, UNIT_NONE, false, NewSample::One(*errors), NOW);
        s.metrics.put(key("Requests", "a"), t, UNIT_NONE, false, NewSample::One(*requests), NOW);
        s.metrics.put(key("Requests", "b"), t, UNIT_NONE, false, NewSample::One(1.0), NOW);
    }
    s
}

fn stat(id: &str, name: &str, host: &str, stat: &str) -> MetricDataQuery {
    MetricDataQuery {
        id: id.into(),
        metric_stat: Some(MetricStat {
            metric: Metric {
                namespace: Some("App".into()),
                metric_name: Some(name.into()),
                dimensions: Some(vec![Dimension { name: "Host".into(), value: host.into() }]),
            },
            period: 60,
            stat: stat.into(),
            unit: None,
        }),
        ..Default::default()
    }
}

fn expr(id: &str, e: &str) -> MetricDataQuery {
    MetricDataQuery { id: id.into(), expression: Some(e.into()), ..Default::default() }
}

fn run(
    queries: Vec<MetricDataQuery>,
    f: impl FnOnce(&mut GetMetricDataInput),
) -> Result<GetMetricDataOutput, ApiError> {
    let mut ctx = RequestContext::for_tests();
    ctx.now = chrono::DateTime::from_timestamp_millis(NOW).unwrap();
    let mut input = GetMetricDataInput {
        metric_data_queries: queries,
        start_time: Timestamp::from_epoch_millis(NOW - 10 * M).unwrap(),
        end_time: Timestamp::from_epoch_millis(NOW).unwrap(),
        scan_by: Some("TimestampAscending".into()),
        ..Default::default()
    };
    f(&mut input);
    get_metric_data(&store(), &ctx, input)
}

fn series(out: &GetMetricDataOutput) -> Vec<Returned> {
    out.metric_data_results
        .iter()
        .flatten()
        .map(|r| {
            let pts = r
                .timestamps
                .iter()
                .flatten()
                .zip(r.values.iter().flatten())
                .map(|(t, v)| ((t.0.timestamp_millis() - NOW) / M, *v))
                .collect();
            (r.id.clone().unwrap(), r.label.clone().unwrap(), pts)
        })
        .collect()
}

#[test]
fn error_rate_with_math() {
    let mut errors = stat("errors", "Errors", "a", "Sum");
    errors.return_data = Some(false);
    let mut requests = stat("requests", "Requests", "a", "Sum");
    requests.return_data = Some(false);
    let mut rate = expr("rate", "100 * errors / requests");
    rate.label = Some("Error rate".into());
    let out = run(vec![errors, requests, rate], |_| {}).unwrap();
    // Minute -3 had 0/0: dropped.
    assert_eq!(
        series(&out),
        vec![("rate".to_string(), "Error rate".to_string(), vec![(-5, 10.0), (-4, 10.0), (-2, 10.0), (-1, 10.0)])]
    );
    assert!(out.next_token.is_none());
}

#[test]
fn metric_stat_labels_order_and_pages() {
    let out = run(vec![stat("m1", "Requests", "a", "Sum")], |i| i.scan_by = None).unwrap();
    assert_eq!(
        series(&out),
        vec![(
            "m1".to_string(),
            "Requests".to_string(),
            vec![(-1, 50.0), (-2, 30.0), (-3, 0.0), (-4, 20.0), (-5, 10.0)]
        )]
    );
    let mut q = vec![stat("m1", "Requests", "a", "Sum"), stat("m2", "Requests", "b", "Sum")];
    q[1].label = Some("${PROP('Dim.Host')} max ${MAX}".into());
    let first = run(q.clone(), |i| i.max_datapoints = Some(7)).unwrap();
    let s = series(&first);
    assert_eq!(s[0].2.len(), 5);
    assert_eq!(s[1].2.len(), 2);
    assert_eq!(s[1].1, "b max 1");
    assert_eq!(first.metric_data_results.as_ref().unwrap()[1].status_code.as_deref(), Some("PartialData"));
    let token = first.next_token.clone().expect("a second page");
    let second = run(q, |i| {
        i.max_datapoints = Some(7);
        i.next_token = Some(token);
    })
    .unwrap();
    let s = series(&second);
    assert_eq!((s[0].2.len(), s[1].2.len()), (0, 3));
    assert!(second.next_token.is_none());
}

#[test]
fn search_metrics_and_insights() {
    let out = run(vec![expr("s", "SEARCH('{App,Host} MetricName=\"Requests\"', 'Sum', 60)")], |_| {}).unwrap();
    let s = series(&out);
    assert_eq!(s.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(), vec!["a", "b"]);
    assert_eq!(s[1].2, vec![(-5, 1.0), (-4, 1.0), (-3, 1.0), (-2, 1.0), (-1, 1.0)]);
    let out = run(vec![expr("total", "SUM(SEARCH('Requests', 'Sum', 60))")], |_| {}).unwrap();
    assert_eq!(series(&out)[0].2, vec![(-5, 11.0), (-4, 21.0), (-3, 1.0), (-2, 31.0), (-1, 51.0)]);
    let mut insights =
        expr("q", "SELECT SUM(Requests) FROM SCHEMA(App, Host) GROUP BY Host ORDER BY SUM() DESC LIMIT 1");
    insights.period = Some(300);
    let out = run(vec![insights], |_| {}).unwrap();
    // Minutes -5..-1 fall in the 5-minute periods starting at -10 and -5.
    assert_eq!(series(&out), vec![("q".to_string(), "a".to_string(), vec![(-5, 110.0)])]);
    let out = run(
        vec![stat("m1", "Requests", "a", "Sum"), stat("m2", "Requests", "b", "Sum"), expr("e", "METRICS() * 2")],
        |i| {
            i.metric_data_queries[0].return_data = Some(false);
            i.metric_data_queries[1].return_data = Some(false);
        },
    )
    .unwrap();
    let s = series(&out);
    assert_eq!(s.len(), 2);
    assert_eq!((s[0].0.as_str(), s[1].1.as_str()), ("e", "Requests"));
    assert_eq!(s[1].2[0], (-5, 2.0));
}

#[test]
fn aws_errors() {
    let err =
        run(vec![stat("M1", "Requests", "a", "Sum"), stat("2x", "Requests", "a", "Average")], |_| {}).unwrap_err();
    assert_eq!(err.code, "ValidationError");
    assert_eq!(
        err.message,
        "The value M1 for parameter MetricDataQueries.member.1.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.\n\
         The value 2x for parameter MetricDataQueries.member.2.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$."
    );
    let err = run(vec![stat("m1", "Requests", "a", "Avg")], |_| {}).unwrap_err();
    assert_eq!(
        err.message,
        "The value Avg for parameter MetricDataQueries.member.1.MetricStat.Stat is not a valid statistic."
    );
    let err = run(vec![stat("m1", "Requests", "a", "Sum"), stat("m1", "Errors", "a", "Sum")], |_| {}).unwrap_err();
    assert_eq!(err.message, "The values for parameter id in MetricDataQueries are not unique.");
    let err = run(vec![expr("e1", "m9 + 1")], |_| {}).unwrap_err();
    assert_eq!(err.message, "Error in expression e1: Unrecognized metric or expression id m9.");
    let err = run(vec![expr("e1", "(1 +")], |_| {}).unwrap_err();
    assert_eq!(err.message, "Error in expression e1: The expression ended unexpectedly.");
    let err = run(vec![stat("m1", "Requests", "a", "Sum"), expr("e1", "SUM(m1)")], |_| {}).unwrap_err();
    assert!(err.message.contains("must return a time series"), "{}", err.message);
    let err = run(vec![expr("a1", "b1"), expr("b1", "a1")], |_| {}).unwrap_err();
    assert!(err.message.contains("Circular dependency"), "{}", err.message);
    let err = run(vec![stat("m1", "Requests", "a", "Sum")], |i| i.end_time = i.start_time).unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.message.as_str()),
        ("ValidationError", "The parameter StartTime must not equal parameter EndTime.")
    );
    let err = run(vec![stat("m1", "Requests", "a", "Sum")], |i| i.next_token = Some("x".into())).unwrap_err();
    assert_eq!(err.code, "InvalidNextToken");
    let err = run(vec![expr("q", "SELECT AVG(x) FROM y")], |_| {}).unwrap_err();
    assert!(err.message.contains("Period is a required field"), "{}", err.message);
}
