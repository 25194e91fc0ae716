use nimbus_core::RequestContext;
use serde_json::{json, Value};

use super::*;
use crate::testing::{al2023, call, refused, str_at};
use crate::Ec2;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypesFile {
    instance_types: Vec<InstanceTypeInfo>,
}

fn shape(name: &str) -> (i32, i64) {
    let t = instance_type(name).unwrap_or_else(|| panic!("{name} is in the catalogue"));
    (t.v_cpu_info.unwrap().default_v_cpus.unwrap(), t.memory_info.unwrap().size_in_mi_b.unwrap())
}

#[test]
fn every_type_of_the_fixture_is_indexed_and_parses() {
    let whole: TypesFile = serde_json::from_str(TYPES_JSON).unwrap();
    let names: Vec<&str> = instance_type_names().collect();
    assert_eq!(names.len(), whole.instance_types.len());
    assert_eq!(names.len(), 1373);
    assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
    for t in &whole.instance_types {
        let name = t.instance_type.as_deref().unwrap();
        assert_eq!(instance_type(name).as_ref(), Some(t));
        assert!(t.v_cpu_info.as_ref().and_then(|v| v.default_v_cpus).is_some(), "{name} has vCPUs");
        assert!(t.memory_info.as_ref().and_then(|m| m.size_in_mi_b).is_some(), "{name} has memory");
        assert!(crate::instance_type_shape(name).is_some(), "{name} has a shape for the runtime");
    }
    assert!(instance_type("t3.nonsense").is_none());
    assert!(!is_instance_type("p3.2xlarge"), "retired before the source's date");
}

#[test]
fn known_types_have_their_published_specifications() {
    assert_eq!(shape("t3.micro"), (2, 1024));
    assert_eq!(shape("m4.large"), (2, 8192));
    assert_eq!(shape("t1.micro"), (1, 627));
    assert_eq!(shape("m1.small"), (1, 1740));
    assert_eq!(shape("c6a.large"), (2, 4096));
    assert_eq!(shape("p5.48xlarge"), (192, 2_097_152));

    let m4 = instance_type("m4.large").unwrap();
    assert_eq!(m4.hypervisor.as_deref(), Some("xen"));
    assert_eq!(m4.current_generation, Some(false));
    assert_eq!(m4.network_info.unwrap().network_performance.as_deref(), Some("Moderate"));

    let t1 = instance_type("t1.micro").unwrap();
    assert_eq!(t1.supported_virtualization_types, Some(vec!["hvm".to_string(), "paravirtual".to_string()]));
    assert_eq!(t1.processor_info.unwrap().supported_architectures, Some(vec!["i386".into(), "x86_64".into()]));

    let c6a = instance_type("c6a.large").unwrap();
    assert_eq!(c6a.processor_info.unwrap().manufacturer.as_deref(), Some("AMD"));
    assert_eq!(c6a.v_cpu_info.unwrap().valid_threads_per_core, Some(vec![1, 2]));

    let p5 = instance_type("p5.48xlarge").unwrap();
    let gpu = &p5.gpu_info.unwrap().gpus.unwrap()[0];
    assert_eq!((gpu.name.as_deref(), gpu.count), (Some("H100"), Some(8)));
    assert_eq!(p5.network_info.unwrap().maximum_network_cards, Some(32));
    assert!(p5.supported_usage_classes.unwrap().contains(&"capacity-block".to_string()));

    let metal = instance_type("m5.metal").unwrap();
    assert_eq!((metal.bare_metal, metal.hypervisor), (Some(true), None));
}

#[test]
fn offerings_follow_the_regions() {
    assert!(offered_in("us-east-1", "t1.micro") && offered_in("us-east-1", "m1.small"));
    assert!(!offered_in("us-east-2", "t1.micro") && !offered_in("eu-central-1", "m1.small"));
    assert!(offered_in("eu-west-1", "m4.large") && !offered_in("eu-north-1", "t2.micro"));
    // use1-az3 (us-east-1e) is AWS's old, constrained zone.
    assert!(!zones_offering("us-east-1", "m7i.large").contains(&"us-east-1e".to_string()));
    assert_eq!(zones_offering("us-east-1", "t3.micro").len(), 5);
    assert_eq!(zones_offering("us-east-1", "c1.medium").len(), 4);
    for region in nimbus_core::regions::all() {
        let name = &region.region_name;
        let offered = region_offerings(name);
        let zones: Vec<&str> = nimbus_core::regions::availability_zones(name)
            .iter()
            .filter(|z| z.zone_type == "availability-zone")
            .map(|z| z.zone_name.as_str())
            .collect();
        assert!(offered.iter().all(|(_, z)| zones.contains(z)), "{name} offers in its own zones");
        assert!(offered.len() > 100, "{name} offers types");
        assert!(offered.iter().all(|(t, _)| is_instance_type(t)), "{name} offers only catalogue types");
    }
}

fn page_through(ec2: &Ec2, ctx: &RequestContext, input: Value) -> Vec<String> {
    let mut names = Vec::new();
    let mut input = input;
    loop {
        let out = call(ec2, ctx, "DescribeInstanceTypes", input.clone());
        let page = out["InstanceTypes"].as_array().unwrap();
        assert!(page.len() <= 100);
        names.extend(page.iter().map(|t| t["InstanceType"].as_str().unwrap().to_string()));
        match out["NextToken"].as_str() {
            Some(token) => input["NextToken"] = json!(token),
            None => return names,
        }
    }
}

#[test]
fn describe_pages_over_the_region_and_filters() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let names = page_through(&ec2, &ctx, json!({"MaxResults": 100}));
    assert!(names.len() > 900, "us-east-1 offers {} types", names.len());
    assert!(names.windows(2).all(|w| w[0] < w[1]), "no repeats across pages");
    assert!(names.contains(&"t1.micro".to_string()));
    let first = call(&ec2, &ctx, "DescribeInstanceTypes", json!({}));
    assert_eq!(first["InstanceTypes"].as_array().unwrap().len(), 100);
    assert!(first["NextToken"].is_string());
    let all = page_through(&ec2, &ctx, json!({"IncludeUnsupportedInRegion": true}));
    assert_eq!(all.len(), 1373);

    let filters = json!([
        {"Name": "processor-info.manufacturer", "Values": ["AMD"]},
        {"Name": "vcpu-info.default-vcpus", "Values": ["2"]},
        {"Name": "current-generation", "Values": ["true"]}
    ]);
    let amd = page_through(&ec2, &ctx, json!({"MaxResults": 5, "Filters": filters}));
    assert!(amd.contains(&"c6a.large".to_string()) && amd.contains(&"t3a.small".to_string()));
    assert!(!amd.iter().any(|t| t.starts_with("m4.") || t.starts_with("t3.")));

    // Every filter name of the model's documentation is known.
    let sev = json!([
        {"Name": "processor-info.supported-features", "Values": ["amd-sev-snp"]},
        {"Name": "vcpu-info.default-vcpus", "Values": ["2"]}
    ]);
    assert_eq!(page_through(&ec2, &ctx, json!({"Filters": sev})), ["c6a.large", "m6a.large", "r6a.large"]);
    let nvme = json!([
        {"Name": "instance-storage-info.disk.type", "Values": ["ssd"]},
        {"Name": "instance-storage-info.nvme-support", "Values": ["required"]},
        {"Name": "processor-info.manufacturer", "Values": ["AMD"]},
        {"Name": "vcpu-info.default-vcpus", "Values": ["2"]}
    ]);
    assert_eq!(
        page_through(&ec2, &ctx, json!({"Filters": nvme})),
        ["c5ad.large", "g6f.large", "m5ad.large", "r5ad.large"]
    );
    let ebs = json!([{"Name": "ebs-info.ebs-optimized-info.maximum-iops", "Values": ["260000"]},
                     {"Name": "instance-type", "Values": ["p5.*"]}]);
    assert!(page_through(&ec2, &ctx, json!({"Filters": ebs})).contains(&"p5.48xlarge".to_string()));

    let out = call(&ec2, &ctx, "DescribeInstanceTypes", json!({"InstanceTypes": ["p5.48xlarge", "m4.large"]}));
    assert_eq!(str_at(&out, "/InstanceTypes/0/InstanceType"), "m4.large");
    assert_eq!(out["InstanceTypes"][1]["VCpuInfo"]["DefaultVCpus"], 192);
    assert_eq!(out["InstanceTypes"][1]["SupportedInRegion"], true);
    let other = RequestContext { region: "ap-southeast-5".into(), ..ctx.clone() };
    let out = call(&ec2, &other, "DescribeInstanceTypes", json!({"InstanceTypes": ["m4.large"]}));
    assert_eq!(out["InstanceTypes"][0]["SupportedInRegion"], false);
    assert_eq!(
        refused(&ec2, &ctx, "DescribeInstanceTypes", json!({"InstanceTypes": ["m4.huge"]})),
        "InvalidInstanceType"
    );
    let bad = json!({"Filters": [{"Name": "no-such-filter", "Values": ["x"]}]});
    assert_eq!(refused(&ec2, &ctx, "DescribeInstanceTypes", bad), "InvalidParameterValue");
}

#[test]
fn offerings_page_by_zone_id() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let mut input = json!({"LocationType": "availability-zone-id", "MaxResults": 1000});
    let mut rows = Vec::new();
    loop {
        let out = call(&ec2, &ctx, "DescribeInstanceTypeOfferings", input.clone());
        for o in out["InstanceTypeOfferings"].as_array().unwrap() {
            rows.push((o["InstanceType"].as_str().unwrap().to_string(), o["Location"].as_str().unwrap().to_string()));
        }
        match out["NextToken"].as_str() {
            Some(token) => input["NextToken"] = json!(token),
            None => break,
        }
    }
    assert_eq!(rows.len(), region_offerings("us-east-1").len());
    assert!(rows.windows(2).all(|w| w[0] < w[1]), "no repeats across pages");
    assert!(rows.contains(&("t1.micro".to_string(), "use1-az4".to_string())));
}

#[test]
fn old_generations_launch_where_aws_offers_them() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let image = al2023(&ec2, &ctx);
    for t in ["m4.large", "t1.micro", "m1.small", "c4.2xlarge", "c6a.large"] {
        let run = json!({"ImageId": image, "MinCount": 1, "MaxCount": 1, "InstanceType": t});
        let out = call(&ec2, &ctx, "RunInstances", run);
        assert_eq!(str_at(&out, "/Instances/0/InstanceType"), t);
    }
    let ohio = RequestContext { region: "us-east-2".into(), ..ctx.clone() };
    let image = al2023(&ec2, &ohio);
    let run = json!({"ImageId": image, "MinCount": 1, "MaxCount": 1, "InstanceType": "t1.micro"});
    assert_eq!(refused(&ec2, &ohio, "RunInstances", run), "Unsupported");
}

#[test]
fn images_have_region_ids() {
    let images = public_images("eu-west-1");
    assert!(images.len() > 50);
    assert!(images.iter().all(|i| i.image_id.as_deref().unwrap().len() == 21));
    assert_ne!(public_images("us-east-1")[0].image_id, images[0].image_id);
    assert_eq!(public_images("eu-west-1")[0].image_id, images[0].image_id);
}

/// The filter names of DescribeInstanceTypes in the model's documentation (botocore 1.44.8).
const FILTERS: [&str; 56] = [
    "auto-recovery-supported",
    "bare-metal",
    "burstable-performance-supported",
    "current-generation",
    "dedicated-hosts-supported",
    "ebs-info.attachment-limit-type",
    "ebs-info.maximum-ebs-attachments",
    "ebs-info.ebs-optimized-info.baseline-bandwidth-in-mbps",
    "ebs-info.ebs-optimized-info.baseline-iops",
    "ebs-info.ebs-optimized-info.baseline-throughput-in-mbps",
    "ebs-info.ebs-optimized-info.maximum-bandwidth-in-mbps",
    "ebs-info.ebs-optimized-info.maximum-iops",
    "ebs-info.ebs-optimized-info.maximum-throughput-in-mbps",
    "ebs-info.ebs-optimized-support",
    "ebs-info.encryption-support",
    "ebs-info.nvme-support",
    "free-tier-eligible",
    "hibernation-supported",
    "hypervisor",
    "instance-storage-info.disk.count",
    "instance-storage-info.disk.size-in-gb",
    "instance-storage-info.disk.type",
    "instance-storage-info.encryption-support",
    "instance-storage-info.nvme-support",
    "instance-storage-info.total-size-in-gb",
    "instance-storage-supported",
    "instance-type",
    "memory-info.size-in-mib",
    "network-info.bandwidth-weightings",
    "network-info.efa-info.maximum-efa-interfaces",
    "network-info.efa-supported",
    "network-info.ena-support",
    "network-info.flexible-ena-queues-support",
    "network-info.encryption-in-transit-supported",
    "network-info.ipv4-addresses-per-interface",
    "network-info.ipv6-addresses-per-interface",
    "network-info.ipv6-supported",
    "network-info.maximum-network-cards",
    "network-info.maximum-network-interfaces",
    "network-info.network-performance",
    "nitro-enclaves-support",
    "nitro-tpm-support",
    "nitro-tpm-info.supported-versions",
    "processor-info.supported-architecture",
    "processor-info.sustained-clock-speed-in-ghz",
    "processor-info.supported-features",
    "reboot-migration-support",
    "supported-boot-mode",
    "supported-root-device-type",
    "supported-usage-class",
    "supported-virtualization-type",
    "vcpu-info.default-cores",
    "vcpu-info.default-threads-per-core",
    "vcpu-info.default-vcpus",
    "vcpu-info.valid-cores",
    "vcpu-info.valid-threads-per-core",
];

#[test]
fn every_documented_filter_is_known() {
    use nimbus_core::filter::Filterable;
    let t = InstanceTypeInfo::default();
    for name in FILTERS {
        assert!(t.filter_values(name).is_some(), "{name}");
    }
}
