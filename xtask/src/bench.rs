//! `cargo xtask bench [startup | describe-subnets | run-instances | describe-instances | put-metric-data |
//! put-metric-data-20 | read-path | cw-memory | get-metric-statistics | get-metric-data | compare | soak | state-dir |
//! instances]`: figures, never
//! assertions (the instance workloads are in `bench_compute`, the CloudWatch ones in
//! `bench_cw`, nimbus against moto in `bench_compare`, the memory soak in `bench_soak`).
//!
//! - `startup`: time from exec of a release `nimbus` to its first answered
//!   `/_nimbus/health`, and its resident memory right after.
//! - `describe-subnets`: DescribeSubnets with a tag filter over 1,000 subnets, signed,
//!   on keep-alive connections: requests per second and latency percentiles.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::load;
use crate::{root, Result};

pub fn run(args: &[String]) -> Result {
    let root = root();
    if cfg!(debug_assertions) {
        // The load generator signs every request: a debug build of it would share the
        // two cores badly with the server under test. Run the bench from a release xtask.
        let status = Command::new("cargo")
            .args(["run", "--release", "--quiet", "--package", "xtask", "--", "bench"])
            .args(args)
            .current_dir(&root)
            .status()
            .map_err(|e| e.to_string())?;
        return if status.success() { Ok(()) } else { Err("the release bench failed".into()) };
    }
    // NIMBUS_BENCH_BIN names the nimbus to measure (another build): nothing to build then.
    if std::env::var_os("NIMBUS_BENCH_BIN").is_none() {
        let status = Command::new("cargo")
            .args(["build", "--release", "--quiet", "--bin", "nimbus"])
            .current_dir(&root)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("cargo build --release failed".into());
        }
    }
    let which: Vec<&str> = args.iter().map(String::as_str).filter(|a| !a.starts_with("--")).collect();
    let all = which.is_empty();
    println!("machine: {} cores, {}", std::thread::available_parallelism().map_or(0, |n| n.get()), kernel());
    if all || which.contains(&"startup") {
        startup(args)?;
    }
    if all || which.contains(&"describe-subnets") {
        describe_subnets()?;
    }
    if all || which.iter().any(|w| ["run-instances", "describe-instances"].contains(w)) {
        crate::bench_compute::instances(&which, all)?;
    }
    // Not part of "all": they install moto or take minutes.
    if which.iter().any(|w| ["compare", "vs-moto"].contains(w)) {
        crate::bench_compare::compare()?;
    }
    if all || which.contains(&"read-path") {
        crate::bench_read::read_path()?;
    }
    if which.contains(&"instances") {
        crate::bench_runtime::instances()?;
    }
    if which.contains(&"state-dir") {
        crate::bench_persist::state_dir()?;
    }
    if which.contains(&"soak") {
        crate::bench_soak::soak(args)?;
    }
    if all || which.contains(&"put-metric-data") {
        crate::bench_cw::put_metric_data()?;
    }
    if all || which.contains(&"put-metric-data-20") {
        crate::bench_cw_put::put_metric_data_20()?;
    }
    if all || which.iter().any(|w| ["cw-memory", "get-metric-statistics", "get-metric-data"].contains(w)) {
        crate::bench_cw::queries(&which, all)?;
    }
    Ok(())
}

fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| format!("Linux {}", s.trim())).unwrap_or_default()
}

pub(crate) struct Nimbus {
    child: Child,
    pub(crate) addr: SocketAddr,
}

impl Nimbus {
    pub(crate) fn start() -> Result<(Nimbus, Duration)> {
        Nimbus::start_with(&[])
    }

    /// A release nimbus on a free port, with extra command-line options.
    pub(crate) fn start_with(extra: &[&str]) -> Result<(Nimbus, Duration)> {
        // NIMBUS_BENCH_BIN runs another build (one with symbols, for a profiler).
        let bin = std::env::var_os("NIMBUS_BENCH_BIN").map(std::path::PathBuf::from).unwrap_or_else(|| {
            // Where cargo built it: CARGO_TARGET_DIR (relative to the root) if set.
            let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), |d| root().join(d));
            target.join("release/nimbus")
        });
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        let child = Command::new(&bin)
            .args(["--port", &port.to_string(), "--log", "warn"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut n = Nimbus { child, addr };
        loop {
            if health(addr) {
                return Ok((n, started.elapsed()));
            }
            if started.elapsed() > Duration::from_secs(5) {
                let _ = n.child.kill();
                return Err("nimbus did not answer within 5 s".into());
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    pub(crate) fn rss_mib(&self) -> Option<f64> {
        self.mem().map(|m| m.rss_mib())
    }

    pub(crate) fn mem(&self) -> Option<crate::procmem::Mem> {
        crate::procmem::read(self.child.id())
    }
}

impl Nimbus {
    /// SIGKILL: no clean shutdown.
    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Nimbus {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}

fn health(addr: SocketAddr) -> bool {
    response_head(addr, "/_nimbus/health", Duration::from_secs(1)).is_some_and(|h| h.starts_with(b"HTTP/1.1 200"))
}

/// The first bytes (up to 16) answered to a one-shot `GET path`, or `None` when nothing
/// answers: how the benches wait for a server to come up.
pub(crate) fn response_head(addr: SocketAddr, path: &str, timeout: Duration) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(50)).ok()?;
    let _ = s.set_read_timeout(Some(timeout));
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).ok()?;
    let mut buf = [0u8; 16];
    let n = s.read(&mut buf).ok()?;
    Some(buf[..n].to_vec())
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn startup(args: &[String]) -> Result {
    let runs: usize = args.iter().find_map(|a| a.strip_prefix("--runs=")).and_then(|n| n.parse().ok()).unwrap_or(20);
    let mut times = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..runs {
        let (n, t) = Nimbus::start()?;
        times.push(t);
        rss.extend(n.rss_mib());
    }
    times.sort();
    rss.sort_by(f64::total_cmp);
    println!("\nstartup: exec to first /_nimbus/health answer, {runs} runs (release build)");
    println!(
        "  min {:.1} ms  median {:.1} ms  max {:.1} ms",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
    if !rss.is_empty() {
        println!("  resident memory just after start: median {:.1} MiB", rss[rss.len() / 2]);
    }
    Ok(())
}

/// The text of the first `<tag>` element in an XML body.
pub(crate) fn xml_value(body: &[u8], tag: &str) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let start = text.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = text[start..].find('<')? + start;
    Some(text[start..end].to_string())
}

pub(crate) fn ec2(addr: SocketAddr, body: &str) -> Result<Vec<u8>> {
    let (status, resp) = load::call(addr, &load::signed_form(addr, "ec2", body)).map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("{body}: HTTP {status}: {}", String::from_utf8_lossy(&resp)));
    }
    Ok(resp)
}

fn describe_subnets() -> Result {
    let (n, _) = Nimbus::start()?;
    let v = "Version=2016-11-15";
    let vpc = ec2(n.addr, &format!("Action=CreateVpc&{v}&CidrBlock=10.0.0.0%2F16"))?;
    let vpc_id = xml_value(&vpc, "vpcId").ok_or("CreateVpc answered no vpcId")?;
    let setup = Instant::now();
    for i in 0..1000u32 {
        let cidr = format!("10.0.{}.{}%2F28", i / 16, (i % 16) * 16);
        let tier = if i % 2 == 0 { "web" } else { "db" };
        ec2(
            n.addr,
            &format!(
                "Action=CreateSubnet&{v}&VpcId={vpc_id}&CidrBlock={cidr}&TagSpecification.1.ResourceType=subnet&TagSpecification.1.Tag.1.Key=Tier&TagSpecification.1.Tag.1.Value={tier}&TagSpecification.1.Tag.2.Key=Name&TagSpecification.1.Tag.2.Value=s-{i:04}"
            ),
        )?;
    }
    let setup = setup.elapsed();
    println!(
        "\ndescribe-subnets: 1,000 subnets created in {:.0} ms ({:.2} ms each); RSS {:.1} MiB",
        ms(setup),
        ms(setup) / 1000.0,
        n.rss_mib().unwrap_or(0.0)
    );
    for (label, filter) in [
        ("tag:Tier=web", "Filter.1.Name=tag%3ATier&Filter.1.Value.1=web"),
        ("tag:Name=s-0500", "Filter.1.Name=tag%3AName&Filter.1.Value.1=s-0500"),
    ] {
        let query = format!("Action=DescribeSubnets&{v}&{filter}&Filter.2.Name=vpc-id&Filter.2.Value.1={vpc_id}");
        let request = load::signed_form(n.addr, "ec2", &query);
        let (_, body) = load::call(n.addr, &request).map_err(|e| e.to_string())?;
        let matched = String::from_utf8_lossy(&body).matches("<subnetId>").count();
        println!("  DescribeSubnets {label} -> {matched} subnet(s), {} KiB of XML", body.len() / 1024);
        for connections in [1, 8] {
            let stats = load::run(n.addr, &request, connections, Duration::from_secs(5));
            println!(
                "    {connections} connection(s), 5 s: {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
                stats.rps(),
                ms(stats.percentile(0.5)),
                ms(stats.percentile(0.99)),
                stats.errors
            );
        }
    }
    Ok(())
}
