//! EC2 filters. Input: lines of `name<TAB>value<TAB>value...`. The filters are applied
//! with the core engine (wildcards, `tag:`, `tag-key`, `tag-value`) to sample
//! resources, then sent as `Filter.N.Name`/`Filter.N.Value.M` with a Describe action
//! through the dispatcher, which applies them to EC2's own resource types.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_core::auth::AuthMode;
use nimbus_core::dispatch::Dispatcher;
use nimbus_core::filter::{self, Filter, Filterable};
use nimbus_fuzz::{dispatcher, parse_raw_request};

#[derive(Clone)]
struct Sample {
    values: Vec<(&'static str, Vec<String>)>,
    tags: Vec<(String, String)>,
}

impl Filterable for Sample {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone())
    }
    fn tags(&self) -> Vec<(String, String)> {
        self.tags.clone()
    }
}

const DESCRIBE: &[&str] = &[
    "DescribeVpcs",
    "DescribeSubnets",
    "DescribeSecurityGroups",
    "DescribeRouteTables",
    "DescribeInstances",
    "DescribeRegions",
    "DescribeAvailabilityZones",
    "DescribeInstanceTypes",
    "DescribeImages",
    "DescribeNetworkAcls",
    "DescribeTags",
    "DescribeVolumes",
];

fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Sends one form request to EC2 and returns the answer's body.
fn ec2(d: &Dispatcher, body: &str) -> String {
    let raw = format!("POST /\ncontent-type: application/x-www-form-urlencoded\n\nVersion=2016-11-15&{body}");
    let req = parse_raw_request(raw.as_bytes()).expect("a valid request");
    String::from_utf8_lossy(&d.dispatch(&req).response.body).into_owned()
}

/// Resources for the Describe actions to filter, made once per process (Describe
/// actions change nothing, so every input sees the same ones).
fn populate(d: &Dispatcher) {
    let images = ec2(d, "Action=DescribeImages&Owner.1=amazon");
    let image = images.split("<imageId>").nth(1).and_then(|s| s.split('<').next()).unwrap_or("ami-0");
    let run = ec2(d, &format!("Action=RunInstances&ImageId={image}&MinCount=2&MaxCount=2&InstanceType=t3.micro&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=web"));
    assert!(run.contains("<instanceId>"), "RunInstances failed: {run}");
    ec2(d, "Action=CreateVolume&AvailabilityZone=us-east-1a&Size=8&VolumeType=gp3");
    ec2(d, "Action=CreateVpc&CidrBlock=10.1.0.0%2F16&TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=team&TagSpecification.1.Tag.1.Value=a");
}

fuzz_target!(init: populate(dispatcher(AuthMode::Off)), |data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut filters = Vec::new();
    for line in text.lines().take(16) {
        let mut fields = line.split('\t');
        let name = fields.next().unwrap_or_default().to_string();
        filters.push(Filter { name, values: fields.take(16).map(str::to_string).collect() });
    }
    let sample = Sample {
        values: vec![
            ("vpc-id", vec!["vpc-0123456789abcdef0".into()]),
            ("cidr-block", vec!["10.0.0.0/16".into(), "10.1.0.0/16".into()]),
            ("state", vec!["available".into()]),
            ("is-default", vec!["true".into()]),
        ],
        tags: vec![("Name".into(), "web * server?".into()), ("team".into(), "a\\b".into())],
    };
    // Every value is also a pattern against every other: the wildcard matcher alone.
    for f in &filters {
        for want in &f.values {
            let _ = filter::wildcard(want, &f.name);
            for have in &f.values {
                let _ = filter::wildcard(want, have);
            }
        }
    }
    let _ = filter::apply(vec![sample.clone(), Sample { values: vec![], tags: vec![] }], &filters);

    // The same filters against EC2's resources, through the whole request path.
    let action = DESCRIBE[data.len() % DESCRIBE.len()];
    let mut body = format!("Action={action}&Version=2016-11-15");
    for (i, f) in filters.iter().enumerate() {
        body.push_str(&format!("&Filter.{}.Name={}", i + 1, form_encode(&f.name)));
        for (j, v) in f.values.iter().enumerate() {
            body.push_str(&format!("&Filter.{}.Value.{}={}", i + 1, j + 1, form_encode(v)));
        }
    }
    let raw = format!("POST /\ncontent-type: application/x-www-form-urlencoded\n\n{body}");
    let Some(req) = parse_raw_request(raw.as_bytes()) else { return };
    let outcome = dispatcher(AuthMode::Off).dispatch(&req);
    assert!(outcome.response.status < 500 || outcome.response.status == 501, "{action}: {:?}", outcome.error);
});
