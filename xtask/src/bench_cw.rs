//! CloudWatch workloads of `cargo xtask bench` (figures, never assertions):
//!
//! - `put-metric-data`: PutMetricData (awsQuery and JSON 1.0, 1,000 datapoints a
//!   request, signed) replayed on keep-alive connections: datapoints stored per second.
//! - `cw-memory`: one million datapoints put into one metric over the last 24 hours;
//!   resident memory along the way (the marginal figure, between 500,000 and 1,000,000
//!   points, leaves out the fixed cost of the request path) and the store's own count
//!   of the bytes it holds: bytes per stored point.
//! - `get-metric-statistics` and `get-metric-data`: latency of queries over that million
//!   points (24 hours at a 60-second period: 1,440 datapoints per answer).

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use nimbus_core::sigv4::{self, RequestParts};

use crate::bench::{ms, Nimbus};
use crate::load;
use crate::Result;

const POINTS: usize = 1_000_000;
const PER_REQUEST: usize = 1000;

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn form(params: &[(String, String)]) -> String {
    params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

pub(crate) fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A PutMetricData body with `PER_REQUEST` datapoints; `first` is the index of the first
/// one, used for its value and (with `timestamps`, start and step) its timestamp.
pub(crate) fn put_body(metric: &str, first: usize, timestamps: Option<(i64, i64)>) -> String {
    put_body_n(metric, first, PER_REQUEST, timestamps)
}

/// `put_body` with `count` datapoints.
pub(crate) fn put_body_n(metric: &str, first: usize, count: usize, timestamps: Option<(i64, i64)>) -> String {
    let mut p: Vec<(String, String)> = vec![
        ("Action".into(), "PutMetricData".into()),
        ("Version".into(), "2010-08-01".into()),
        ("Namespace".into(), "Bench/App".into()),
    ];
    for i in 0..count {
        let n = i + 1;
        let k = first + i;
        p.push((format!("MetricData.member.{n}.MetricName"), metric.into()));
        p.push((format!("MetricData.member.{n}.Value"), format!("{}", (k % 997) as f64 * 0.5)));
        p.push((format!("MetricData.member.{n}.Unit"), "Milliseconds".into()));
        p.push((format!("MetricData.member.{n}.Dimensions.member.1.Name"), "Service".into()));
        p.push((format!("MetricData.member.{n}.Dimensions.member.1.Value"), "api".into()));
        if let Some((start, step)) = timestamps {
            p.push((format!("MetricData.member.{n}.Timestamp"), iso(start + k as i64 * step)));
        }
    }
    form(&p)
}

fn send(addr: SocketAddr, conn: &mut TcpStream, body: &str) -> Result<Vec<u8>> {
    // Read-only requests are answered from a signed query form.
    let (status, resp) =
        load::exchange(conn, &load::signed_form(addr, "monitoring", body)).map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&resp).chars().take(400).collect::<String>()));
    }
    Ok(resp)
}

/// The bytes of one signed JSON 1.0 CloudWatch POST.
pub(crate) fn signed_json(addr: SocketAddr, operation: &str, body: &str) -> Vec<u8> {
    let host = addr.to_string();
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let ctype = "application/x-amz-json-1.0";
    let target = format!("GraniteServiceVersion20100801.{operation}");
    let headers: Vec<(&str, &[u8])> = vec![
        ("content-type", ctype.as_bytes()),
        ("host", host.as_bytes()),
        ("x-amz-date", date.as_bytes()),
        ("x-amz-target", target.as_bytes()),
    ];
    let parts = RequestParts { method: "POST", raw_path: "/", raw_query: "", headers: &headers, body: body.as_bytes() };
    let auth = sigv4::sign_authorization(
        &parts,
        "test",
        "test",
        &date,
        "us-east-1",
        "monitoring",
        &["content-type", "host", "x-amz-date", "x-amz-target"],
    );
    let mut out = format!(
        "POST / HTTP/1.1\r\nhost: {host}\r\ncontent-type: {ctype}\r\nx-amz-date: {date}\r\nx-amz-target: {target}\r\nauthorization: {auth}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

fn put_json(metric: &str) -> String {
    let data: Vec<serde_json::Value> = (0..PER_REQUEST)
        .map(|k| {
            serde_json::json!({"MetricName": metric, "Value": (k % 997) as f64 * 0.5, "Unit": "Milliseconds",
                               "Dimensions": [{"Name": "Service", "Value": "api"}]})
        })
        .collect();
    serde_json::json!({"Namespace": "Bench/App", "MetricData": data}).to_string()
}

pub fn put_metric_data() -> Result {
    let (n, _) = Nimbus::start()?;
    let query = load::signed_form(n.addr, "monitoring", &put_body("Throughput", 0, None));
    let json = signed_json(n.addr, "PutMetricData", &put_json("Throughput"));
    println!("\nput-metric-data: PutMetricData, {PER_REQUEST} datapoints a request, replayed for 5 s");
    println!("  protocol  body       connections  requests/s  datapoints/s      p50       p99");
    for (protocol, request) in [("awsQuery", &query), ("JSON 1.0", &json)] {
        for connections in [1, 2] {
            let s = load::run(n.addr, request, connections, Duration::from_secs(5));
            println!(
                "  {protocol:<8}  {:>4} KiB  {connections:>11}  {:>10.0}  {:>12.0}  {:>6.2} ms  {:>6.2} ms{}",
                request.len() / 1024,
                s.rps(),
                s.rps() * PER_REQUEST as f64,
                ms(s.percentile(0.5)),
                ms(s.percentile(0.99)),
                if s.errors > 0 { format!("  ({} errors)", s.errors) } else { String::new() }
            );
        }
    }
    Ok(())
}

/// The points and bytes the store says it holds, from `/_nimbus/state`.
pub(crate) fn store_bytes(addr: SocketAddr) -> Result<(u64, u64)> {
    let mut conn = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    let (_, body) =
        load::exchange(&mut conn, b"GET /_nimbus/state HTTP/1.1\r\nhost: x\r\n\r\n").map_err(|e| e.to_string())?;
    let state: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let mut points = 0;
    let mut bytes = 0;
    for regions in state["monitoring"].as_object().into_iter().flat_map(|a| a.values()) {
        for region in regions.as_object().into_iter().flat_map(|r| r.values()) {
            for series in region["series"].as_array().into_iter().flatten() {
                points += series["Datapoints"].as_u64().unwrap_or(0);
                bytes += series["Bytes"].as_u64().unwrap_or(0);
            }
        }
    }
    Ok((points, bytes))
}

/// A nimbus holding one million datapoints of `Bench/App Latency Service=api` spread over
/// the 24 hours before `now`; prints the memory figures.
fn loaded() -> Result<(Nimbus, i64)> {
    let (n, _) = Nimbus::start()?;
    std::thread::sleep(Duration::from_millis(200));
    let before = n.rss_mib().unwrap_or(0.0);
    let now = chrono::Utc::now().timestamp_millis();
    let end = now - now.rem_euclid(60_000);
    let start = end - 86_400_000;
    let step = 86_400_000 / POINTS as i64; // 86 ms
    let mut conn = TcpStream::connect(n.addr).map_err(|e| e.to_string())?;
    conn.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut sending = Duration::ZERO;
    let mut half = 0.0;
    for r in 0..POINTS / PER_REQUEST {
        let request =
            load::signed_form(n.addr, "monitoring", &put_body("Latency", r * PER_REQUEST, Some((start, step))));
        let t = Instant::now();
        let (status, body) = load::exchange(&mut conn, &request).map_err(|e| e.to_string())?;
        sending += t.elapsed();
        if status != 200 {
            return Err(format!("PutMetricData: HTTP {status}: {}", String::from_utf8_lossy(&body)));
        }
        if r + 1 == POINTS / PER_REQUEST / 2 {
            std::thread::sleep(Duration::from_millis(200));
            half = n.rss_mib().unwrap_or(0.0);
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    let after = n.rss_mib().unwrap_or(0.0);
    let (points, bytes) = store_bytes(n.addr)?;
    println!(
        "\ncw-memory: {points} datapoints (timestamps 86 ms apart over 24 h) put by {} awsQuery requests in {:.1} s of request time: {:.0} datapoints/s",
        POINTS / PER_REQUEST,
        sending.as_secs_f64(),
        POINTS as f64 / sending.as_secs_f64()
    );
    println!(
        "  resident memory {before:.1} MiB -> {half:.1} MiB (500,000 points) -> {after:.1} MiB: {:.1} bytes a point overall, {:.1} marginal",
        (after - before) * 1024.0 * 1024.0 / POINTS as f64,
        (after - half) * 1024.0 * 1024.0 / (POINTS / 2) as f64
    );
    println!(
        "  the store's own count: {bytes} bytes for {points} points, {:.1} bytes a point (16-byte points, vectors grown by a quarter)",
        bytes as f64 / points.max(1) as f64
    );
    Ok((n, end))
}

fn latency(n: &Nimbus, label: &str, body: &str, check: &str) -> Result {
    let mut conn = TcpStream::connect(n.addr).map_err(|e| e.to_string())?;
    let first = send(n.addr, &mut conn, body)?;
    let text = String::from_utf8_lossy(&first);
    if !text.contains(check) {
        return Err(format!("{label}: the answer lacks {check}: {}", text.chars().take(600).collect::<String>()));
    }
    let request = load::signed_form(n.addr, "monitoring", body);
    let s = load::run(n.addr, &request, 1, Duration::from_secs(5));
    println!(
        "  {label:<44} {:>7.1} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} KiB answer)",
        s.rps(),
        ms(s.percentile(0.5)),
        ms(s.percentile(0.99)),
        first.len() / 1024
    );
    Ok(())
}

pub fn queries(which: &[&str], all: bool) -> Result {
    let (n, end) = loaded()?;
    let start = end - 86_400_000;
    let window = |p: &mut Vec<(String, String)>| {
        p.push(("StartTime".into(), iso(start)));
        p.push(("EndTime".into(), iso(end)));
    };
    if all || which.contains(&"get-metric-statistics") {
        println!("\nget-metric-statistics: 24 h at 60 s over the 1,000,000 points (1,440 datapoints answered), 1 connection, 5 s");
        let base = |extra: &[(&str, &str)]| {
            let mut p: Vec<(String, String)> = vec![
                ("Action".into(), "GetMetricStatistics".into()),
                ("Version".into(), "2010-08-01".into()),
                ("Namespace".into(), "Bench/App".into()),
                ("MetricName".into(), "Latency".into()),
                ("Dimensions.member.1.Name".into(), "Service".into()),
                ("Dimensions.member.1.Value".into(), "api".into()),
                ("Period".into(), "60".into()),
            ];
            window(&mut p);
            p.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            form(&p)
        };
        latency(
            &n,
            "SampleCount, Sum, Average, Minimum, Maximum",
            &base(&[
                ("Statistics.member.1", "SampleCount"),
                ("Statistics.member.2", "Sum"),
                ("Statistics.member.3", "Average"),
                ("Statistics.member.4", "Minimum"),
                ("Statistics.member.5", "Maximum"),
            ]),
            "<SampleCount>",
        )?;
        latency(
            &n,
            "p50, p99, tm90, IQM (exact, from raw values)",
            &base(&[
                ("ExtendedStatistics.member.1", "p50"),
                ("ExtendedStatistics.member.2", "p99"),
                ("ExtendedStatistics.member.3", "tm90"),
                ("ExtendedStatistics.member.4", "IQM"),
            ]),
            "<ExtendedStatistics>",
        )?;
    }
    if all || which.contains(&"get-metric-data") {
        println!("\nget-metric-data: 24 h at 60 s over the 1,000,000 points, 1 connection, 5 s");
        let query = |id: &str, stat: &str, n: usize, p: &mut Vec<(String, String)>, ret: bool| {
            let m = format!("MetricDataQueries.member.{n}");
            p.push((format!("{m}.Id"), id.into()));
            p.push((format!("{m}.MetricStat.Metric.Namespace"), "Bench/App".into()));
            p.push((format!("{m}.MetricStat.Metric.MetricName"), "Latency".into()));
            p.push((format!("{m}.MetricStat.Metric.Dimensions.member.1.Name"), "Service".into()));
            p.push((format!("{m}.MetricStat.Metric.Dimensions.member.1.Value"), "api".into()));
            p.push((format!("{m}.MetricStat.Period"), "60".into()));
            p.push((format!("{m}.MetricStat.Stat"), stat.into()));
            p.push((format!("{m}.ReturnData"), ret.to_string()));
        };
        let header = || -> Vec<(String, String)> {
            let mut p = vec![("Action".into(), "GetMetricData".into()), ("Version".into(), "2010-08-01".into())];
            window(&mut p);
            p
        };
        let mut p = header();
        query("m1", "Average", 1, &mut p, true);
        latency(&n, "MetricStat Average", &form(&p), "<MetricDataResults>")?;
        let mut p = header();
        query("m1", "p99", 1, &mut p, true);
        latency(&n, "MetricStat p99", &form(&p), "<MetricDataResults>")?;
        let mut p = header();
        query("m1", "Average", 1, &mut p, false);
        query("m2", "Maximum", 2, &mut p, false);
        p.push(("MetricDataQueries.member.3.Id".into(), "e1".into()));
        p.push(("MetricDataQueries.member.3.Expression".into(), "FILL(m2 - m1, 0) * 100 / MAX(m2)".into()));
        latency(&n, "two MetricStats + math (FILL, MAX)", &form(&p), "<Id>e1</Id>")?;
    }
    Ok(())
}
