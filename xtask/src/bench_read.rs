//! `cargo xtask bench read-path` (issue 14): nimbus's signed reads and its writes under
//! concurrency, each row next to a bare hyper server measured in the same run
//! (`bare_hyper`: the same request bytes in, a fixed 690-byte body out), so that a row's
//! ratio holds on a machine shared with other work.
//!
//! Rows, each one signed request replayed on keep-alive connections (`load::run`) for
//! `NIMBUS_BENCH_SECS` (default 5): bare hyper at 16 and 64 connections; DescribeVpcs
//! (SigV4 verified, the default VPC) at 16 and 64; DescribeInstances with no filter over
//! 200 and over 1,000 instances at 16; RunInstances of one instance at 64. Requests per
//! second, p50/p99/p99.9 and the ratio to bare hyper at the same connection count;
//! nimbus's resident memory before and after. `NIMBUS_READ_ROWS=vpcs,instances,run`
//! picks rows (bare hyper always runs).

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::bench::{ms, response_head, Nimbus};
use crate::bench_fixture::{big_subnet, call, BATCH, V};
use crate::load::{self, Stats};
use crate::Result;

struct BareHyper {
    child: Child,
    addr: SocketAddr,
}

impl BareHyper {
    fn start() -> Result<BareHyper> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let child = Command::new(exe)
            .args(["bare-hyper", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let server = BareHyper { child, addr: SocketAddr::from(([127, 0, 0, 1], port)) };
        let started = Instant::now();
        while response_head(server.addr, "/", Duration::from_secs(1)).is_none() {
            if started.elapsed() > Duration::from_secs(5) {
                return Err("the bare hyper server did not answer within 5 s".into());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(server)
    }
}

impl Drop for BareHyper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn secs() -> Duration {
    Duration::from_secs_f64(std::env::var("NIMBUS_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0))
}

fn wanted(row: &str) -> bool {
    std::env::var("NIMBUS_READ_ROWS").map_or(true, |rows| rows.split(',').any(|r| r.trim() == row))
}

fn row(label: &str, connections: usize, s: &Stats, reference: Option<f64>, size: usize) {
    let ratio = reference.map_or("-".to_string(), |r| format!("{:.2}", s.rps() / r));
    let errors = if s.errors > 0 {
        format!("  {} errors, first: {}", s.errors, s.first_error.as_deref().unwrap_or("?"))
    } else {
        String::new()
    };
    println!(
        "  {label:<40} {connections:>5} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>6} {:>8.1}{errors}",
        s.rps(),
        ms(s.percentile(0.5)),
        ms(s.percentile(0.99)),
        ms(s.percentile(0.999)),
        ratio,
        size as f64 / 1024.0,
    );
}

/// Checks `body` once untimed, then replays it: the stats and the answer's size.
fn measure(addr: SocketAddr, service: &str, body: &str, connections: usize) -> Result<(Stats, usize)> {
    let size = call(addr, service, body)?.len();
    Ok((load::run(addr, &load::signed_form(addr, service, body), connections, secs()), size))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn launch(addr: SocketAddr, image: &str, batches: std::ops::Range<usize>) -> Result {
    for b in batches {
        call(
            addr,
            "ec2",
            &format!(
                "Action=RunInstances&{V}&ImageId={image}&InstanceType=t3.micro&MinCount={BATCH}&MaxCount={BATCH}&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Batch&TagSpecification.1.Tag.1.Value=b-{b:02}"
            ),
        )?;
    }
    Ok(())
}

pub fn read_path() -> Result {
    let secs = secs();
    println!(
        "\nread-path: nimbus (SigV4 verified) against a bare hyper server (fixed {}-byte body), {:.0} s a row; load average before: {}",
        crate::bare_hyper::BODY_LEN,
        secs.as_secs_f64(),
        load_average()
    );
    println!(
        "  {:<40} {:>5} {:>9} {:>8} {:>8} {:>8} {:>6} {:>8}",
        "workload", "conns", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "ratio", "KiB"
    );
    let (nimbus, _) = Nimbus::start_with(&["--ec2-instance-quota", "10000000"])?;
    let addr = nimbus.addr;
    let vpcs = format!("Action=DescribeVpcs&{V}");
    // Creates the default VPC before anything is measured or any memory read.
    call(addr, "ec2", &vpcs)?;
    let before = nimbus.mem();

    let hyper = BareHyper::start()?;
    let mut reference = std::collections::HashMap::new();
    for c in [16, 64] {
        // The same request bytes nimbus gets: hyper reads the same head and body.
        let request = load::signed_form(hyper.addr, "ec2", &vpcs);
        let s = load::run(hyper.addr, &request, c, secs);
        row("bare hyper, fixed body", c, &s, None, crate::bare_hyper::BODY_LEN);
        reference.insert(c, s.rps());
    }
    drop(hyper);

    if wanted("vpcs") {
        for c in [16, 64] {
            let (s, size) = measure(addr, "ec2", &vpcs, c)?;
            row("DescribeVpcs, SigV4 verified", c, &s, reference.get(&c).copied(), size);
        }
    }
    if wanted("instances") {
        let images = call(addr, "ec2", &format!("Action=DescribeImages&{V}&Owner.1=amazon"))?;
        let image = crate::bench::xml_value(&images, "imageId").ok_or("DescribeImages answered no image")?;
        let all = format!("Action=DescribeInstances&{V}");
        for (total, label) in [(200, "DescribeInstances, 200 instances"), (1000, "DescribeInstances, 1,000 instances")]
        {
            let have = if total == 200 { 0 } else { 2 };
            launch(addr, &image, have..total / BATCH)?;
            let (s, size) = measure(addr, "ec2", &all, 16)?;
            row(label, 16, &s, reference.get(&16).copied(), size);
        }
    }
    if wanted("run") {
        let images = call(addr, "ec2", &format!("Action=DescribeImages&{V}&Owner.1=amazon"))?;
        let image = crate::bench::xml_value(&images, "imageId").ok_or("DescribeImages answered no image")?;
        let subnet = big_subnet(addr)?;
        let body = format!(
            "Action=RunInstances&{V}&ImageId={image}&InstanceType=t3.micro&MinCount=1&MaxCount=1&SubnetId={subnet}"
        );
        let (s, size) = measure(addr, "ec2", &body, 64)?;
        row("RunInstances, one instance", 64, &s, reference.get(&64).copied(), size);
    }
    let f = |m: Option<crate::procmem::Mem>| m.map_or("?".into(), |m| format!("{:.1} MiB", m.rss_mib()));
    println!(
        "  nimbus RSS: {} before the rows, {} after; load average after: {}",
        f(before),
        f(nimbus.mem()),
        load_average()
    );
    Ok(())
}
