//! `cargo xtask bench state-dir`: what `--state-dir` costs (figures, never assertions).
//!
//! The same signed CreateTags (one tag overwritten on the default VPC: every request is a
//! journaled mutation, the state stays the same size) replayed at 1 and 16 connections
//! against a nimbus in memory and one with `--state-dir`: requests per second and
//! latency, where the difference is the journal's fsync (grouped across connections).
//! Then the journaled nimbus is killed with SIGKILL and started again on its directory:
//! the time to its first answer is the journal's replay.

use std::time::{Duration, Instant};

use crate::bench::{ec2, ms, xml_value, Nimbus};
use crate::load;
use crate::Result;

const V: &str = "Version=2016-11-15";

pub fn state_dir() -> Result {
    let secs: u64 = std::env::var("NIMBUS_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let dir = std::env::temp_dir().join(format!("nimbus-bench-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = dir.to_string_lossy().into_owned();
    println!("\nstate-dir: CreateTags on the default VPC, {secs} s a measurement; journal in {}", dir.display());
    println!("| nimbus | connections | requests/s | p50 | p99 |");
    println!("|---|---|---|---|---|");
    let mut journaled_requests = 0;
    for (label, extra) in [("in memory", vec![]), ("--state-dir", vec!["--state-dir", dir_arg.as_str()])] {
        let (n, _) = Nimbus::start_with(&extra)?;
        let vpcs = ec2(n.addr, &format!("Action=DescribeVpcs&{V}"))?;
        let vpc = xml_value(&vpcs, "vpcId").ok_or("DescribeVpcs answered no vpcId")?;
        let body = format!("Action=CreateTags&{V}&ResourceId.1={vpc}&Tag.1.Key=bench&Tag.1.Value=same");
        let request = load::signed_form(n.addr, "ec2", &body);
        for connections in [1, 16] {
            let stats = load::run(n.addr, &request, connections, Duration::from_secs(secs));
            if stats.errors > 0 {
                return Err(format!("{label}: {} errors, first: {:?}", stats.errors, stats.first_error));
            }
            if !extra.is_empty() {
                journaled_requests += stats.requests;
            }
            println!(
                "| {label} | {connections} | {:.0} | {:.2} ms | {:.2} ms |",
                stats.rps(),
                ms(stats.percentile(0.50)),
                ms(stats.percentile(0.99))
            );
        }
        if !extra.is_empty() {
            let journal = std::fs::metadata(dir.join("journal.jsonl")).map(|m| m.len()).unwrap_or(0);
            n.kill();
            let started = Instant::now();
            let (again, _) = Nimbus::start_with(&extra)?;
            let recovered = started.elapsed();
            let tags = ec2(again.addr, &format!("Action=DescribeTags&{V}&Filter.1.Name=key&Filter.1.Value.1=bench"))?;
            if xml_value(&tags, "value").as_deref() != Some("same") {
                return Err("the tag did not survive kill -9".into());
            }
            println!(
                "\nkill -9, then start on the directory: first answer after {:.0} ms, replaying {journaled_requests} journaled requests ({:.1} MiB of journal)",
                ms(recovered),
                journal as f64 / (1024.0 * 1024.0)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
