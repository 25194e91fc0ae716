//! CloudWatch's core cases over Smithy RPC v2 CBOR, the same as the Python suite's
//! (conformance-tests/python/test_cloudwatch.py): statistics against hand-computed values,
//! metric math, an alarm on nimbus's driven clock, a composite alarm and a dashboard.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, HistoryItemType, Metric, MetricDataQuery, MetricDatum, MetricStat,
    ScanBy, StandardUnit, StateValue, Statistic,
};
use aws_smithy_types::DateTime;

use crate::support::{Ctx, Opts, Recorder};
use crate::{unique, CaseResult};

macro_rules! ensure_eq {
    ($what:expr, $got:expr, $want:expr) => {{
        let got = $got;
        let want = $want;
        if got != want {
            return Err(format!("{}: got {:?}, want {:?}", $what, got, want));
        }
    }};
}

macro_rules! ok {
    ($what:expr, $call:expr) => {
        match $call.await {
            Ok(out) => out,
            Err(e) => return Err(format!("{} failed: {}", $what, crate::support::describe_sdk_error(&e))),
        }
    };
}

/// `POST /_nimbus/clock` or `GET`: nimbus's clock, in epoch seconds.
fn clock(ctx: &Ctx, advance: Option<u64>) -> Result<f64, String> {
    let mut s = TcpStream::connect(("127.0.0.1", ctx.port)).map_err(|e| format!("admin connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let req = match advance {
        Some(secs) => {
            let body = format!("{{\"advanceSeconds\": {secs}}}");
            format!(
                "POST /_nimbus/clock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        }
        None => "GET /_nimbus/clock HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_string(),
    };
    s.write_all(req.as_bytes()).map_err(|e| format!("admin write: {e}"))?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(|e| format!("admin read: {e}"))?;
    // {"now": "2026-11-26T18:00:00.123+00:00", ...}
    let now = out.split("\"now\":").nth(1).and_then(|r| r.split('"').nth(1)).ok_or(format!("admin answer: {out}"))?;
    let t = chrono_like_parse(now).ok_or(format!("admin time {now}"))?;
    Ok(t)
}

/// `2026-11-26T18:00:00.123456789+00:00` -> epoch seconds (UTC offsets only).
fn chrono_like_parse(s: &str) -> Option<f64> {
    let (date, rest) = s.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = rest.trim_end_matches("+00:00").trim_end_matches('Z');
    let mut t = time.split(':');
    let (hh, mm) = (t.next()?.parse::<i64>().ok()?, t.next()?.parse::<i64>().ok()?);
    let ss: f64 = t.next()?.parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + hh * 3600 + mm * 60) as f64 + ss)
}

fn nimbus_minute(ctx: &Ctx) -> Result<i64, String> {
    let now = clock(ctx, None)? as i64;
    Ok(now - now.rem_euclid(60))
}

fn datum(name: &str, value: f64, at: i64, unit: StandardUnit) -> MetricDatum {
    MetricDatum::builder().metric_name(name).value(value).timestamp(DateTime::from_secs(at)).unit(unit).build()
}

pub async fn statistics(ctx: Arc<Ctx>) -> CaseResult {
    let recorder = Recorder::default();
    let cw = ctx.cloudwatch(&Opts { recorder: Some(recorder.clone()), ..Opts::default() }).await;
    let ns = unique("Conformance/Rust/Stats");
    let base = nimbus_minute(&ctx)? - 600;
    let mut put = cw.put_metric_data().namespace(&ns);
    for v in 1..=20 {
        put = put.metric_data(datum("Latency", f64::from(v), base + i64::from(v), StandardUnit::Milliseconds));
    }
    ok!("PutMetricData", put.send());
    let out = ok!(
        "GetMetricStatistics",
        cw.get_metric_statistics()
            .namespace(&ns)
            .metric_name("Latency")
            .start_time(DateTime::from_secs(base))
            .end_time(DateTime::from_secs(base + 60))
            .period(60)
            .statistics(Statistic::SampleCount)
            .statistics(Statistic::Sum)
            .statistics(Statistic::Average)
            .statistics(Statistic::Minimum)
            .statistics(Statistic::Maximum)
            .send()
    );
    let dp = out.datapoints().first().ok_or("no datapoint")?;
    ensure_eq!(
        "standard statistics",
        (dp.sample_count(), dp.sum(), dp.average(), dp.minimum(), dp.maximum(), dp.unit().map(|u| u.as_str())),
        (Some(20.0), Some(210.0), Some(10.5), Some(1.0), Some(20.0), Some("Milliseconds"))
    );
    let out = ok!(
        "GetMetricStatistics (extended)",
        cw.get_metric_statistics()
            .namespace(&ns)
            .metric_name("Latency")
            .start_time(DateTime::from_secs(base))
            .end_time(DateTime::from_secs(base + 60))
            .period(60)
            .extended_statistics("p50")
            .extended_statistics("p95")
            .extended_statistics("tm90")
            .extended_statistics("IQM")
            .send()
    );
    let ext = out.datapoints().first().and_then(|d| d.extended_statistics()).ok_or("no extended statistics")?;
    let mut got: Vec<(String, f64)> = ext.iter().map(|(k, v)| (k.clone(), *v)).collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    ensure_eq!(
        "extended statistics",
        got,
        vec![("IQM".to_string(), 10.5), ("p50".into(), 10.0), ("p95".into(), 19.0), ("tm90".into(), 9.5)]
    );
    let err = cw
        .get_metric_statistics()
        .namespace(&ns)
        .metric_name("Latency")
        .start_time(DateTime::from_secs(base))
        .end_time(DateTime::from_secs(base + 60))
        .period(90)
        .statistics(Statistic::Sum)
        .send()
        .await
        .err()
        .ok_or("Period 90 was accepted")?;
    ensure_eq!("Period 90", err.code(), Some("InvalidParameterValue"));
    ensure_eq!("Period 90 message", err.message(), Some("The parameter Period must be a multiple of 60."));
    let exchanges = recorder.take();
    ensure_eq!(
        "every exchange in RPC v2 CBOR",
        exchanges.iter().all(|x| x.response_smithy_protocol.as_deref() == Some("rpc-v2-cbor")),
        true
    );
    Ok(())
}

fn stat_query(id: &str, ns: &str, name: &str, returned: bool) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(id)
        .return_data(returned)
        .metric_stat(
            MetricStat::builder()
                .metric(Metric::builder().namespace(ns).metric_name(name).build())
                .period(60)
                .stat("Sum")
                .build(),
        )
        .build()
}

pub async fn metric_math(ctx: Arc<Ctx>) -> CaseResult {
    let cw = ctx.cloudwatch(&Opts::default()).await;
    let ns = unique("Conformance/Rust/Math");
    let base = nimbus_minute(&ctx)? - 600;
    let mut put = cw.put_metric_data().namespace(&ns);
    for (i, (errors, requests)) in [(1.0, 10.0), (2.0, 20.0), (0.0, 0.0), (3.0, 30.0)].iter().enumerate() {
        let at = base + 60 * i as i64 + 5;
        put = put.metric_data(datum("Errors", *errors, at, StandardUnit::Count));
        put = put.metric_data(datum("Requests", *requests, at, StandardUnit::Count));
    }
    ok!("PutMetricData", put.send());
    let out = ok!(
        "GetMetricData",
        cw.get_metric_data()
            .metric_data_queries(stat_query("errors", &ns, "Errors", false))
            .metric_data_queries(stat_query("requests", &ns, "Requests", false))
            .metric_data_queries(
                MetricDataQuery::builder().id("rate").expression("100 * errors / requests").label("Error rate").build()
            )
            .metric_data_queries(MetricDataQuery::builder().id("total").expression("RUNNING_SUM(errors)").build())
            .start_time(DateTime::from_secs(base))
            .end_time(DateTime::from_secs(base + 240))
            .scan_by(ScanBy::TimestampAscending)
            .send()
    );
    let results: Vec<(String, String, Vec<(i64, f64)>)> = out
        .metric_data_results()
        .iter()
        .map(|r| {
            let points = r.timestamps().iter().zip(r.values()).map(|(t, v)| ((t.secs() - base) / 60, *v)).collect();
            (r.id().unwrap_or_default().to_string(), r.label().unwrap_or_default().to_string(), points)
        })
        .collect();
    ensure_eq!(
        "metric math results",
        results,
        vec![
            ("rate".to_string(), "Error rate".to_string(), vec![(0, 10.0), (1, 10.0), (3, 10.0)]),
            ("total".to_string(), "total".to_string(), vec![(0, 1.0), (1, 3.0), (2, 3.0), (3, 6.0)]),
        ]
    );
    let err = cw
        .get_metric_data()
        .metric_data_queries(MetricDataQuery::builder().id("e1").expression("m9 * 2").build())
        .start_time(DateTime::from_secs(base))
        .end_time(DateTime::from_secs(base + 240))
        .send()
        .await
        .err()
        .ok_or("an unknown id was accepted")?;
    ensure_eq!(
        "unknown id",
        (err.code(), err.message()),
        (Some("ValidationError"), Some("Error in expression e1: Unrecognized metric or expression id m9."))
    );
    Ok(())
}

pub async fn alarm_on_driven_clock(ctx: Arc<Ctx>) -> CaseResult {
    let cw = ctx.cloudwatch(&Opts::default()).await;
    let ns = unique("Conformance/Rust/Alarm");
    let name = unique("rust-alarm").replace('/', "-");
    ok!(
        "PutMetricAlarm",
        cw.put_metric_alarm()
            .alarm_name(&name)
            .namespace(&ns)
            .metric_name("Latency")
            .statistic(Statistic::Average)
            .period(60)
            .evaluation_periods(1)
            .threshold(90.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .treat_missing_data("notBreaching")
            .send()
    );
    let state = |out: &aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput| {
        out.metric_alarms().first().and_then(|a| a.state_value().map(|s| s.as_str().to_string()))
    };
    let out = ok!("DescribeAlarms", cw.describe_alarms().alarm_names(&name).send());
    ensure_eq!("initial state", state(&out), Some("INSUFFICIENT_DATA".to_string()));
    ok!(
        "PutMetricData 50",
        cw.put_metric_data()
            .namespace(&ns)
            .metric_data(MetricDatum::builder().metric_name("Latency").value(50.0).build())
            .send()
    );
    clock(&ctx, Some(60))?;
    let out = ok!("DescribeAlarms", cw.describe_alarms().alarm_names(&name).send());
    ensure_eq!("after a good datapoint", state(&out), Some("OK".to_string()));
    ok!(
        "PutMetricData 95",
        cw.put_metric_data()
            .namespace(&ns)
            .metric_data(MetricDatum::builder().metric_name("Latency").value(95.0).build())
            .send()
    );
    clock(&ctx, Some(60))?;
    let out = ok!("DescribeAlarms", cw.describe_alarms().alarm_names(&name).send());
    ensure_eq!("after a breaching datapoint", state(&out), Some("ALARM".to_string()));
    let reason = out.metric_alarms()[0].state_reason().unwrap_or_default().to_string();
    if !(reason.starts_with("Threshold Crossed: 1 datapoint [95.0 (")
        && reason.ends_with(")] was greater than the threshold (90.0)."))
    {
        return Err(format!("StateReason: {reason}"));
    }
    clock(&ctx, Some(300))?;
    let out = ok!("DescribeAlarms", cw.describe_alarms().alarm_names(&name).send());
    ensure_eq!("after the data stopped (notBreaching)", state(&out), Some("OK".to_string()));
    let history = ok!(
        "DescribeAlarmHistory",
        cw.describe_alarm_history()
            .alarm_name(&name)
            .history_item_type(HistoryItemType::StateUpdate)
            .scan_by(ScanBy::TimestampAscending)
            .send()
    );
    let summaries: Vec<&str> = history.alarm_history_items().iter().filter_map(|h| h.history_summary()).collect();
    ensure_eq!(
        "state history",
        summaries,
        vec![
            "Alarm updated from INSUFFICIENT_DATA to OK",
            "Alarm updated from OK to ALARM",
            "Alarm updated from ALARM to OK"
        ]
    );
    ok!("DeleteAlarms", cw.delete_alarms().alarm_names(&name).send());
    Ok(())
}

pub async fn composite_and_dashboard(ctx: Arc<Ctx>) -> CaseResult {
    let cw = ctx.cloudwatch(&Opts::default()).await;
    let child = unique("rust-child").replace('/', "-");
    let parent = unique("rust-parent").replace('/', "-");
    ok!(
        "PutMetricAlarm",
        cw.put_metric_alarm()
            .alarm_name(&child)
            .namespace("Conformance/Rust")
            .metric_name("Nothing")
            .dimensions(Dimension::builder().name("Host").value("h").build())
            .statistic(Statistic::Sum)
            .period(60)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .send()
    );
    ok!(
        "PutCompositeAlarm",
        cw.put_composite_alarm().alarm_name(&parent).alarm_rule(format!("ALARM(\"{child}\")")).send()
    );
    ok!(
        "SetAlarmState",
        cw.set_alarm_state().alarm_name(&child).state_value(StateValue::Alarm).state_reason("testing").send()
    );
    let out =
        ok!("DescribeAlarms", cw.describe_alarms().alarm_names(&parent).alarm_types(AlarmType::CompositeAlarm).send());
    let c = out.composite_alarms().first().ok_or("no composite alarm")?;
    ensure_eq!("composite state", c.state_value().map(|s| s.as_str()), Some("ALARM"));
    let rule = format!("ALARM(\"{child}\")");
    ensure_eq!("composite rule", c.alarm_rule(), Some(rule.as_str()));
    let err =
        cw.delete_alarms().alarm_names(&child).send().await.err().ok_or("deleting a child of a composite succeeded")?;
    ensure_eq!("delete a child", err.code(), Some("ValidationError"));
    ok!("DeleteAlarms (composite)", cw.delete_alarms().alarm_names(&parent).send());
    ok!("DeleteAlarms (child)", cw.delete_alarms().alarm_names(&child).send());

    let dashboard = unique("rust-dash").replace('/', "-");
    let body = r#"{"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":3,"properties":{"markdown":"nimbus"}}]}"#;
    let out = ok!("PutDashboard", cw.put_dashboard().dashboard_name(&dashboard).dashboard_body(body).send());
    ensure_eq!("validation messages", out.dashboard_validation_messages().len(), 0);
    let got = ok!("GetDashboard", cw.get_dashboard().dashboard_name(&dashboard).send());
    ensure_eq!("dashboard body", got.dashboard_body(), Some(body));
    let err = cw
        .put_dashboard()
        .dashboard_name(&dashboard)
        .dashboard_body(r#"{"widgets":[{"type":"text","width":30,"properties":{}}]}"#)
        .send()
        .await
        .err()
        .ok_or("an invalid dashboard was accepted")?;
    ensure_eq!("invalid dashboard", err.code(), Some("InvalidParameterInput"));
    match err.into_service_error() {
        aws_sdk_cloudwatch::operation::put_dashboard::PutDashboardError::DashboardInvalidInputError(e) => {
            let paths: Vec<&str> = e.dashboard_validation_messages().iter().filter_map(|m| m.data_path()).collect();
            ensure_eq!("validation message paths", paths, vec!["/widgets/0/width", "/widgets/0/properties"]);
        }
        other => return Err(format!("want DashboardInvalidInputError, got {other:?}")),
    }
    ok!("DeleteDashboards", cw.delete_dashboards().dashboard_names(&dashboard).send());
    Ok(())
}
