//! Instance workloads of `cargo xtask bench` (figures, never assertions):
//!
//! - `run-instances`: RunInstances with MinCount = MaxCount = 100 (t3.micro, one subnet,
//!   tags), one request after another: latency per request and instances per second.
//! - `describe-instances`: the same requests go on to 10,000 instances; then
//!   DescribeInstances with a filter is replayed on keep-alive connections: requests per
//!   second and latency percentiles, for a filter matching 100 instances and one matching 1.

use std::time::{Duration, Instant};

use crate::bench::{ec2, ms, xml_value, Nimbus};
use crate::load;
use crate::Result;

const V: &str = "Version=2016-11-15";
const BATCH: usize = 100;
const TOTAL: usize = 10_000;

pub fn instances(which: &[&str], all: bool) -> Result {
    let describe = all || which.contains(&"describe-instances");
    let (n, _) = Nimbus::start_with(&["--ec2-instance-quota", "20000"])?;
    let vpc = ec2(n.addr, &format!("Action=CreateVpc&{V}&CidrBlock=10.0.0.0%2F16"))?;
    let vpc_id = xml_value(&vpc, "vpcId").ok_or("CreateVpc answered no vpcId")?;
    let subnet = ec2(n.addr, &format!("Action=CreateSubnet&{V}&VpcId={vpc_id}&CidrBlock=10.0.0.0%2F17"))?;
    let subnet_id = xml_value(&subnet, "subnetId").ok_or("CreateSubnet answered no subnetId")?;
    let images = ec2(
        n.addr,
        &format!(
            "Action=DescribeImages&{V}&Owner.1=amazon&Filter.1.Name=architecture&Filter.1.Value.1=x86_64&Filter.2.Name=name&Filter.2.Value.1=al2023-ami-2023*"
        ),
    )?;
    let image_id = xml_value(&images, "imageId").ok_or("no Amazon Linux 2023 image in the catalogue")?;

    let batches = if describe { TOTAL / BATCH } else { 20 };
    let mut latencies = Vec::with_capacity(batches);
    let started = Instant::now();
    for b in 0..batches {
        let body = format!(
            "Action=RunInstances&{V}&ImageId={image_id}&InstanceType=t3.micro&MinCount={BATCH}&MaxCount={BATCH}&SubnetId={subnet_id}&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Batch&TagSpecification.1.Tag.1.Value=b-{b:03}&TagSpecification.1.Tag.2.Key=Role&TagSpecification.1.Tag.2.Value=web"
        );
        let t = Instant::now();
        let answer = ec2(n.addr, &body)?;
        latencies.push(t.elapsed());
        let launched = String::from_utf8_lossy(&answer).matches("<instanceId>").count();
        if launched != BATCH {
            return Err(format!("RunInstances launched {launched} instances, not {BATCH}"));
        }
    }
    let elapsed = started.elapsed();
    let mut sorted = latencies.clone();
    sorted.sort();
    println!(
        "\nrun-instances: {batches} x RunInstances MaxCount={BATCH} (t3.micro, tagged): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {:.0} instances/s; RSS {:.1} MiB with {} instances",
        ms(sorted[sorted.len() / 2]),
        ms(sorted[(sorted.len() * 99 / 100).min(sorted.len() - 1)]),
        ms(sorted[sorted.len() - 1]),
        (batches * BATCH) as f64 / elapsed.as_secs_f64(),
        n.rss_mib().unwrap_or(0.0),
        batches * BATCH,
    );
    println!(
        "  first request {:.1} ms, last {:.1} ms (does the cost grow with the instances already there?)",
        ms(latencies[0]),
        ms(latencies[latencies.len() - 1])
    );
    if !describe {
        return Ok(());
    }

    let one = ec2(
        n.addr,
        &format!("Action=DescribeInstances&{V}&Filter.1.Name=tag%3ABatch&Filter.1.Value.1=b-042&MaxResults=5"),
    )?;
    let ip = xml_value(&one, "privateIpAddress").ok_or("no private address")?;
    for (label, filter) in [
        ("tag:Batch=b-042 + instance-state-name", "Filter.1.Name=tag%3ABatch&Filter.1.Value.1=b-042&Filter.2.Name=instance-state-name&Filter.2.Value.1=pending&Filter.2.Value.2=running".to_string()),
        ("private-ip-address", format!("Filter.1.Name=private-ip-address&Filter.1.Value.1={ip}")),
    ] {
        let query = format!("Action=DescribeInstances&{V}&{filter}");
        let request = load::signed_form(n.addr, "ec2", &query);
        let (_, body) = load::call(n.addr, &request).map_err(|e| e.to_string())?;
        let matched = String::from_utf8_lossy(&body).matches("<instanceId>").count();
        println!(
            "  DescribeInstances {label} over {TOTAL} instances -> {matched} instance(s), {} KiB of XML",
            body.len() / 1024
        );
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
    println!("  RSS after the queries: {:.1} MiB", n.rss_mib().unwrap_or(0.0));
    Ok(())
}
