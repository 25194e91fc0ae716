//! `cargo xtask bench put-metric-data-20`: PutMetricData as applications send it, 20
//! datapoints of one metric a request over JSON 1.0, signed, on keep-alive connections,
//! with the timestamps coming
//!
//! - `in order`: no Timestamp, so nimbus stamps each datum on arrival;
//! - `out of order`: 20 random times (millisecond precision) in the last 24 hours, from a
//!   pool of 1,024 different signed requests that the connections send in turn;
//! - `replayed`: one request with 20 fixed timestamps, sent again and again;
//!
//! at 1, 64 and 256 connections into an empty series, and at 64 connections into a
//! series preloaded with 1,000,000 points over the last 24 hours. Each row runs on a
//! fresh nimbus: requests/s, p50/p99/p99.9, resident memory before and after, and the
//! points the store holds at the end with the bytes it counts for them.
//! `NIMBUS_BENCH_SECS` sets each row's length (default 5); `NIMBUS_PUT_ROWS` picks rows,
//! e.g. `out-of-order@64+1M,replayed@256` (order, connections, `+1M` for the preloaded
//! series), to run one under a profiler.

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use crate::bench::{ms, Nimbus};
use crate::bench_cw::{put_body, signed_json, store_bytes};
use crate::load;
use crate::Result;

const PER_REQUEST: usize = 20;
const POOL: usize = 1024;
const PRELOAD: usize = 1_000_000;

#[derive(Clone, Copy, PartialEq)]
enum Timestamps {
    InOrder,
    OutOfOrder,
    Replayed,
}

impl Timestamps {
    fn slug(self) -> &'static str {
        match self {
            Timestamps::InOrder => "in-order",
            Timestamps::OutOfOrder => "out-of-order",
            Timestamps::Replayed => "replayed",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Timestamps::InOrder => "in order",
            Timestamps::OutOfOrder => "out of order",
            Timestamps::Replayed => "replayed",
        }
    }
}

/// SplitMix64, for the random timestamps (the same every run).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

/// A JSON 1.0 PutMetricData body of 20 datapoints of `Bench/App Latency Service=api`;
/// `timestamps` are epoch milliseconds (none: stamped on arrival).
fn body(first: usize, timestamps: Option<&[i64]>) -> String {
    let data: Vec<serde_json::Value> = (0..PER_REQUEST)
        .map(|i| {
            let mut d = serde_json::json!({"MetricName": "Latency", "Value": ((first + i) % 997) as f64 * 0.5,
                                           "Unit": "Milliseconds", "Dimensions": [{"Name": "Service", "Value": "api"}]});
            if let Some(ts) = timestamps {
                d["Timestamp"] = serde_json::json!(ts[i] as f64 / 1000.0);
            }
            d
        })
        .collect();
    serde_json::json!({"Namespace": "Bench/App", "MetricData": data}).to_string()
}

/// The signed requests a row sends.
fn requests(addr: SocketAddr, timestamps: Timestamps) -> Vec<Vec<u8>> {
    let now = chrono::Utc::now().timestamp_millis();
    match timestamps {
        Timestamps::InOrder => vec![signed_json(addr, "PutMetricData", &body(0, None))],
        Timestamps::Replayed => {
            let ts: Vec<i64> = (0..PER_REQUEST as i64).map(|i| now - 3_600_000 + i * 3000).collect();
            vec![signed_json(addr, "PutMetricData", &body(0, Some(&ts)))]
        }
        Timestamps::OutOfOrder => {
            let mut rng = Rng(0x5eed);
            (0..POOL)
                .map(|r| {
                    let ts: Vec<i64> =
                        (0..PER_REQUEST).map(|_| now - 86_400_000 + rng.below(86_400_000) as i64).collect();
                    signed_json(addr, "PutMetricData", &body(r * PER_REQUEST, Some(&ts)))
                })
                .collect()
        }
    }
}

/// Puts 1,000,000 points into the benchmark's series, 86 ms apart over the last 24 hours.
fn preload(n: &Nimbus) -> Result {
    let now = chrono::Utc::now().timestamp_millis();
    let start = now - 86_400_000;
    let step = 86_400_000 / PRELOAD as i64;
    let mut conn = TcpStream::connect(n.addr).map_err(|e| e.to_string())?;
    conn.set_nodelay(true).map_err(|e| e.to_string())?;
    for r in 0..PRELOAD / 1000 {
        let request = load::signed_form(n.addr, "monitoring", &put_body("Latency", r * 1000, Some((start, step))));
        let (status, body) = load::exchange(&mut conn, &request).map_err(|e| e.to_string())?;
        if status != 200 {
            return Err(format!("PutMetricData: HTTP {status}: {}", String::from_utf8_lossy(&body)));
        }
    }
    Ok(())
}

fn row(timestamps: Timestamps, connections: usize, preloaded: bool, secs: f64) -> Result {
    let (n, _) = Nimbus::start()?;
    if preloaded {
        preload(&n)?;
    }
    std::thread::sleep(Duration::from_millis(200));
    let (points_before, _) = store_bytes(n.addr)?;
    let before = n.rss_mib().unwrap_or(0.0);
    let pool = Arc::new(requests(n.addr, timestamps));
    let s = load::run_pool(n.addr, pool, connections, Duration::from_secs_f64(secs));
    std::thread::sleep(Duration::from_millis(200));
    let after = n.rss_mib().unwrap_or(0.0);
    let (points, bytes) = store_bytes(n.addr)?;
    println!(
        "  {:<12} {:>9}  {connections:>5}  {:>8.0}  {:>7.2} ms {:>7.2} ms {:>7.2} ms  {:>6.1} -> {:>6.1} MiB  {:>9}  {:>5.1}{}",
        timestamps.label(),
        points_before,
        s.rps(),
        ms(s.percentile(0.5)),
        ms(s.percentile(0.99)),
        ms(s.percentile(0.999)),
        before,
        after,
        points,
        bytes as f64 / points.max(1) as f64,
        match &s.first_error {
            Some(e) => format!("  ({} errors, first: {e})", s.errors),
            None => String::new(),
        }
    );
    Ok(())
}

pub fn put_metric_data_20() -> Result {
    let secs: f64 = std::env::var("NIMBUS_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    println!(
        "\nput-metric-data-20: PutMetricData, JSON 1.0, {PER_REQUEST} datapoints of one metric a request, {secs} s a row, a fresh nimbus each"
    );
    println!(
        "  timestamps   series at start  conns  requests/s      p50        p99       p99.9     resident memory         points  B/point"
    );
    let only: Option<Vec<String>> =
        std::env::var("NIMBUS_PUT_ROWS").ok().map(|v| v.split(',').map(str::to_string).collect());
    let mut rows = Vec::new();
    for order in [Timestamps::InOrder, Timestamps::OutOfOrder, Timestamps::Replayed] {
        for connections in [1, 64, 256] {
            rows.push((order, connections, false));
        }
    }
    for order in [Timestamps::InOrder, Timestamps::OutOfOrder, Timestamps::Replayed] {
        rows.push((order, 64, true));
    }
    for (order, connections, preloaded) in rows {
        let name = format!("{}@{connections}{}", order.slug(), if preloaded { "+1M" } else { "" });
        if only.as_ref().is_none_or(|o| o.contains(&name)) {
            row(order, connections, preloaded, secs)?;
        }
    }
    Ok(())
}
