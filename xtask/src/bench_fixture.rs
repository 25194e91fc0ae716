//! The state the comparison and soak benchmarks load into a server, and the request
//! bodies they replay. Everything goes through the public API (signed awsQuery requests),
//! so the same calls load nimbus and moto alike.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::bench::xml_value;
use crate::bench_cw::{form, iso, put_body};
use crate::load;
use crate::Result;

pub const V: &str = "Version=2016-11-15";
/// Instances loaded: `BATCHES` RunInstances of `BATCH`, tagged `Batch=b-NN`.
pub const BATCH: usize = 100;
/// The metric loaded for GetMetricData: `METRIC_REQUESTS` PutMetricData of 1,000 points.
pub const METRIC_REQUESTS: usize = 10;

/// One signed call that must answer 200; the body, or the status and the start of the answer.
pub fn call(addr: SocketAddr, service: &str, body: &str) -> Result<Vec<u8>> {
    let (status, resp) = load::call(addr, &load::signed_form(addr, service, body)).map_err(|e| e.to_string())?;
    if status != 200 {
        let text: String = String::from_utf8_lossy(&resp).chars().take(300).collect();
        let action = body.split('&').next().unwrap_or(body);
        return Err(format!("{action}: HTTP {status}: {text}"));
    }
    Ok(resp)
}

pub struct Loaded {
    pub image_id: String,
    pub instance_ids: Vec<String>,
    /// The hour the loaded metric's points cover, epoch milliseconds.
    pub window: (i64, i64),
    pub ec2_time: Duration,
    pub metric_time: Duration,
}

/// Creates the default VPC (by asking for it), then `batches` x 100 tagged t3.micro
/// instances, then 1,000 x `METRIC_REQUESTS` datapoints of `Bench/App Latency
/// Service=api` spread over the last hour.
pub fn load(addr: SocketAddr, batches: usize) -> Result<Loaded> {
    call(addr, "ec2", &format!("Action=DescribeVpcs&{V}"))?;
    let images = call(addr, "ec2", &format!("Action=DescribeImages&{V}&Owner.1=amazon"))?;
    let image_id = xml_value(&images, "imageId").ok_or("DescribeImages Owner=amazon answered no image")?;
    let started = Instant::now();
    let mut instance_ids = Vec::new();
    for b in 0..batches {
        let answer = call(
            addr,
            "ec2",
            &format!(
                "Action=RunInstances&{V}&ImageId={image_id}&InstanceType=t3.micro&MinCount={BATCH}&MaxCount={BATCH}&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Batch&TagSpecification.1.Tag.1.Value=b-{b:02}"
            ),
        )?;
        instance_ids.extend(ids(&answer, "instanceId"));
    }
    let ec2_time = started.elapsed();
    let now = chrono::Utc::now().timestamp_millis();
    let end = now - now.rem_euclid(60_000);
    let start = end - 3_600_000;
    let points = METRIC_REQUESTS * 1000;
    let step = 3_600_000 / points as i64;
    let started = Instant::now();
    for r in 0..METRIC_REQUESTS {
        call(addr, "monitoring", &put_body("Latency", r * 1000, Some((start, step))))?;
    }
    Ok(Loaded { image_id, instance_ids, window: (start, end), ec2_time, metric_time: started.elapsed() })
}

/// The distinct texts of `<tag>` elements, in order of appearance.
pub fn ids(body: &[u8], tag: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let open = format!("<{tag}>");
    let mut out: Vec<String> = Vec::new();
    for piece in text.split(&open).skip(1) {
        if let Some(end) = piece.find('<') {
            let id = &piece[..end];
            if !out.iter().any(|o| o == id) {
                out.push(id.to_string());
            }
        }
    }
    out
}

/// GetMetricData, MetricStat Average at 60 s over the loaded hour (60 datapoints).
pub fn get_metric_data(window: (i64, i64)) -> String {
    let m = "MetricDataQueries.member.1";
    let p: Vec<(String, String)> = [
        ("Action", "GetMetricData".to_string()),
        ("Version", "2010-08-01".into()),
        ("StartTime", iso(window.0)),
        ("EndTime", iso(window.1)),
        (&format!("{m}.Id"), "m1".into()),
        (&format!("{m}.MetricStat.Metric.Namespace"), "Bench/App".into()),
        (&format!("{m}.MetricStat.Metric.MetricName"), "Latency".into()),
        (&format!("{m}.MetricStat.Metric.Dimensions.member.1.Name"), "Service".into()),
        (&format!("{m}.MetricStat.Metric.Dimensions.member.1.Value"), "api".into()),
        (&format!("{m}.MetricStat.Period"), "60".into()),
        (&format!("{m}.MetricStat.Stat"), "Average".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    form(&p)
}

/// A VPC of 10.0.0.0/16 with one subnet as large (65,531 usable addresses), for
/// workloads that launch instances without end (the default subnets are /20s: 4,091).
pub fn big_subnet(addr: SocketAddr) -> Result<String> {
    let vpc = call(addr, "ec2", &format!("Action=CreateVpc&{V}&CidrBlock=10.0.0.0%2F16"))?;
    let vpc_id = xml_value(&vpc, "vpcId").ok_or("CreateVpc answered no vpcId")?;
    let subnet = call(addr, "ec2", &format!("Action=CreateSubnet&{V}&VpcId={vpc_id}&CidrBlock=10.0.0.0%2F16"))?;
    xml_value(&subnet, "subnetId").ok_or_else(|| "CreateSubnet answered no subnetId".into())
}
