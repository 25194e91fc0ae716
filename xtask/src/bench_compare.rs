//! `compare` (also `vs-moto`): the same workload against nimbus and against moto's server
//! in one run, on the same machine: requests per second, p50 and p99 for each server and
//! the nimbus/moto ratio; time from exec to the first answer; resident memory idle, with
//! the state loaded, and after the load. nimbus verifies every SigV4 signature; moto reads
//! but does not verify them.
//!
//! Both servers get the same state through the API first (the default VPC; 1,000 tagged
//! instances by 10 RunInstances of 100; 10,000 datapoints of one metric over the last
//! hour), then each workload replays one signed request on keep-alive connections for
//! `NIMBUS_BENCH_SECS` (default 5) at each of `NIMBUS_BENCH_CONNECTIONS` (default `1,64`),
//! nimbus first, then moto (`NIMBUS_COMPARE_ONLY`, label prefixes separated by commas,
//! picks some workloads). A workload is checked with one untimed request on each server
//! first; a server that fails it, or answers any timed request with anything but 200,
//! gets no ratio.

use std::net::SocketAddr;
use std::time::Duration;

use crate::bench::{ms, Nimbus};
use crate::bench_cw::put_body_n;
use crate::bench_fixture::{self as fixture, call, Loaded, V};
use crate::load::{self, Stats};
use crate::moto::{self, Moto};
use crate::procmem::Mem;
use crate::Result;

/// Datapoints in each PutMetricData of the PutMetricData workload.
const PUT_POINTS: usize = 20;

struct Workload {
    label: &'static str,
    service: &'static str,
    body: String,
    /// An element the answer must hold (checked once, untimed); `None`: any 200.
    marker: Option<&'static str>,
    /// Launches instances: give it a subnet of its own, made just before it runs.
    launches: bool,
}

/// The workloads, in the order they run; writes last, so reads see the loaded state only.
/// RunInstances launches one instance a request and terminates none: the instance count
/// grows for as long as it runs (nimbus gets a quota large enough, and the workload a
/// /16 subnet of its own in a new VPC, made just before it runs).
fn workloads(l: &Loaded) -> Vec<Workload> {
    let image = &l.image_id;
    vec![
        Workload {
            label: "DescribeVpcs",
            service: "ec2",
            body: format!("Action=DescribeVpcs&{V}"),
            marker: Some("vpcId"),
            launches: false,
        },
        Workload {
            label: "DescribeInstances tag:Batch (100 of 1,000)",
            service: "ec2",
            body: format!("Action=DescribeInstances&{V}&Filter.1.Name=tag%3ABatch&Filter.1.Value.1=b-05"),
            marker: Some("instanceId"),
            launches: false,
        },
        Workload {
            label: "GetMetricData Average, 60 of 10,000 pts",
            service: "monitoring",
            body: fixture::get_metric_data(l.window),
            marker: Some("MetricDataResults"),
            launches: false,
        },
        Workload {
            label: "PutMetricData 20 datapoints (awsQuery)",
            service: "monitoring",
            body: put_body_n("Throughput", 0, PUT_POINTS, None),
            marker: None,
            launches: false,
        },
        Workload {
            label: "RunInstances MaxCount=1",
            service: "ec2",
            body: format!(
                "Action=RunInstances&{V}&ImageId={image}&InstanceType=t3.micro&MinCount=1&MaxCount=1&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Batch&TagSpecification.1.Tag.1.Value=run"
            ),
            marker: Some("instanceId"),
            launches: true,
        },
    ]
}

fn env_secs() -> Duration {
    let secs: f64 = std::env::var("NIMBUS_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    Duration::from_secs_f64(secs)
}

fn env_connections() -> Vec<usize> {
    std::env::var("NIMBUS_BENCH_CONNECTIONS")
        .ok()
        .map(|s| s.split(',').filter_map(|c| c.trim().parse().ok()).collect::<Vec<usize>>())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| vec![1, 64])
}

/// One server's result for one workload at one connection count.
enum Outcome {
    /// The figures, and the size of the checked answer in bytes.
    Measured(Stats, usize),
    /// The untimed check failed: why.
    Failed(String),
}

fn check(addr: SocketAddr, w: &Workload) -> std::result::Result<usize, String> {
    let body = call(addr, w.service, &w.body)?;
    if let Some(m) = w.marker {
        if !String::from_utf8_lossy(&body).contains(&format!("<{m}>")) {
            let text: String = String::from_utf8_lossy(&body).chars().take(300).collect();
            return Err(format!("the answer has no <{m}>: {text}"));
        }
    }
    Ok(body.len())
}

fn measure(addr: SocketAddr, w: &Workload, connections: usize, secs: Duration) -> Outcome {
    match check(addr, w) {
        Ok(size) => {
            Outcome::Measured(load::run(addr, &load::signed_form(addr, w.service, &w.body), connections, secs), size)
        }
        Err(e) => Outcome::Failed(e),
    }
}

fn cells(o: &Outcome) -> String {
    match o {
        Outcome::Measured(s, _) => {
            format!("{:>9.0} {:>8.2} {:>8.2} {:>6}", s.rps(), ms(s.percentile(0.5)), ms(s.percentile(0.99)), s.errors)
        }
        Outcome::Failed(_) => format!("{:>9} {:>8} {:>8} {:>6}", "failed", "-", "-", "-"),
    }
}

fn clean(o: &Outcome) -> Option<f64> {
    match o {
        Outcome::Measured(s, _) if s.errors == 0 && s.requests > 0 => Some(s.rps()),
        _ => None,
    }
}

fn notes(who: &str, o: &Outcome) -> Option<String> {
    match o {
        Outcome::Failed(e) => Some(format!("{who} failed the check: {e}")),
        Outcome::Measured(s, _) if s.errors > 0 => Some(format!(
            "{who}: {} errors next to {} answers; first: {}",
            s.errors,
            s.requests,
            s.first_error.as_deref().unwrap_or("?")
        )),
        _ => None,
    }
}

fn mem_line(label: &str, n: Option<Mem>, m: Option<Mem>) {
    let f = |x: Option<Mem>| x.map_or("?".to_string(), |x| format!("{:.1} MiB (peak {:.1})", x.rss_mib(), x.hwm_mib()));
    println!("  {label:<36} nimbus {:<24} moto {}", f(n), f(m));
}

pub fn compare() -> Result {
    let secs = env_secs();
    let conns = env_connections();
    // Start-up: a few fresh nimbus processes (median), then the one measured.
    let mut starts = Vec::new();
    for _ in 0..5 {
        starts.push(Nimbus::start()?.1);
    }
    let (nimbus, first) = Nimbus::start_with(&["--ec2-instance-quota", "10000000"])?;
    starts.push(first);
    starts.sort();
    let (moto, moto_start) = Moto::start()?;
    std::thread::sleep(Duration::from_secs(1));
    let idle = (nimbus.mem(), moto.mem());

    println!(
        "\ncompare: nimbus (SigV4 verified) vs moto {} (not verified); {:.0} s a measurement, connections {:?}",
        moto::version().unwrap_or_else(|| "?".into()),
        secs.as_secs_f64(),
        conns
    );
    println!(
        "  exec to first answer: nimbus median {:.1} ms (min {:.1}, max {:.1}; 6 starts, GET /_nimbus/health); moto {:.0} ms (GET /, any status)",
        ms(starts[starts.len() / 2]),
        ms(starts[0]),
        ms(starts[starts.len() - 1]),
        ms(moto_start)
    );
    let batches = 1000 / fixture::BATCH;
    let ln = fixture::load(nimbus.addr, batches)?;
    let lm = fixture::load(moto.addr, batches)?;
    for (who, l) in [("nimbus", &ln), ("moto  ", &lm)] {
        println!(
            "  state loaded into {who}: {} instances in {:.0} ms, {} datapoints in {:.0} ms",
            l.instance_ids.len(),
            ms(l.ec2_time),
            fixture::METRIC_REQUESTS * 1000,
            ms(l.metric_time)
        );
    }
    let loaded = (nimbus.mem(), moto.mem());

    println!(
        "\n  {:<42} {:>5} | {:>9} {:>8} {:>8} {:>6} | {:>9} {:>8} {:>8} {:>6} | nimbus/moto",
        "workload", "conns", "nimbus/s", "p50 ms", "p99 ms", "errors", "moto/s", "p50 ms", "p99 ms", "errors"
    );
    let (mut wn, mut wm) = (workloads(&ln), workloads(&lm));
    // NIMBUS_COMPARE_ONLY=DescribeVpcs,RunInstances: only the workloads whose labels start so.
    if let Ok(only) = std::env::var("NIMBUS_COMPARE_ONLY") {
        let keep = |w: &Workload| only.split(',').any(|o| !o.is_empty() && w.label.starts_with(o.trim()));
        wn.retain(keep);
        wm.retain(keep);
    }
    let mut after_reads = (None, None);
    for (n_w, m_w) in wn.iter_mut().zip(&mut wm) {
        if n_w.launches {
            after_reads = (nimbus.mem(), moto.mem());
            n_w.body += &format!("&SubnetId={}", fixture::big_subnet(nimbus.addr)?);
            m_w.body += &format!("&SubnetId={}", fixture::big_subnet(moto.addr)?);
        }
        for (i, &c) in conns.iter().enumerate() {
            let n = measure(nimbus.addr, n_w, c, secs);
            let m = measure(moto.addr, m_w, c, secs);
            if i == 0 {
                let size = |o: &Outcome| match o {
                    Outcome::Measured(_, b) => format!("{:.1} KiB", *b as f64 / 1024.0),
                    Outcome::Failed(_) => "-".into(),
                };
                println!("  {}: answers of nimbus {}, moto {}", n_w.label, size(&n), size(&m));
            }
            let ratio = match (clean(&n), clean(&m)) {
                (Some(a), Some(b)) => format!("{:>8.1}x", a / b),
                (None, _) => "n/a: nimbus errors".into(),
                (_, None) => "n/a: moto failed".into(),
            };
            println!("  {:<42} {c:>5} | {} | {} | {ratio}", n_w.label, cells(&n), cells(&m));
            for note in [notes("nimbus", &n), notes("moto", &m)].into_iter().flatten() {
                println!("      {note}");
            }
        }
    }
    println!("\n  resident memory (VmRSS, peak VmHWM since exec):");
    mem_line("idle, 1 s after start", idle.0, idle.1);
    mem_line("state loaded", loaded.0, loaded.1);
    if after_reads.0.is_some() {
        mem_line("after the read and metric workloads", after_reads.0, after_reads.1);
        mem_line("after RunInstances too", nimbus.mem(), moto.mem());
    } else {
        mem_line("after the workloads", nimbus.mem(), moto.mem());
    }
    Ok(())
}
