use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{al2023, call, refused, str_at};
use crate::Ec2;

fn allocate(ec2: &Ec2, ctx: &RequestContext, extra: Value) -> Vec<String> {
    let mut input = json!({"AvailabilityZone": "us-east-1a"});
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    let out = call(ec2, ctx, "AllocateHosts", input);
    out["HostIds"].as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_string()).collect()
}

fn host(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
    call(ec2, ctx, "DescribeHosts", json!({"HostIds": [id]}))["Hosts"][0].clone()
}

fn subnet_in(ec2: &Ec2, ctx: &RequestContext, zone: &str) -> String {
    let out = call(
        ec2,
        ctx,
        "DescribeSubnets",
        json!({"Filters": [{"Name": "availability-zone", "Values": [zone]}, {"Name": "default-for-az", "Values": ["true"]}]}),
    );
    str_at(&out, "/Subnets/0/SubnetId")
}

fn launch(ec2: &Ec2, ctx: &RequestContext, instance_type: &str, placement: Value) -> Result<String, String> {
    let image = al2023(ec2, ctx);
    let input = json!({
        "ImageId": image, "MinCount": 1, "MaxCount": 1, "InstanceType": instance_type,
        "SubnetId": subnet_in(ec2, ctx, "us-east-1a"), "Placement": placement,
    });
    match nimbus_core::Service::call(ec2, ctx, "RunInstances", input) {
        Ok(out) => Ok(str_at(&out, "/Instances/0/InstanceId")),
        Err(e) => Err(e.code),
    }
}

#[test]
fn a_host_has_its_family_hardware_and_aws_shape() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let ids = allocate(
        &ec2,
        &ctx,
        json!({"InstanceType": "m5.large", "Quantity": 2, "TagSpecifications": [{"ResourceType": "dedicated-host", "Tags": [{"Key": "Team", "Value": "db"}]}]}),
    );
    assert_eq!(ids.len(), 2);
    assert!(ids.iter().all(|i| i.starts_with("h-") && i.len() == 19));
    let h = host(&ec2, &ctx, &ids[0]);
    assert_eq!(h["State"], "available");
    assert_eq!(h["AutoPlacement"], "off");
    assert_eq!(h["HostRecovery"], "off");
    assert_eq!(h["HostMaintenance"], "on");
    assert_eq!(h["AllowsMultipleInstanceTypes"], "off");
    assert_eq!(h["AvailabilityZone"], "us-east-1a");
    assert_eq!(h["OwnerId"], "000000000000");
    // An m5 host is m5.24xlarge's 96 vCPUs: 48 m5.large.
    assert_eq!(h["HostProperties"]["TotalVCpus"], 96);
    assert_eq!(h["HostProperties"]["InstanceType"], "m5.large");
    assert_eq!(h["AvailableCapacity"]["AvailableVCpus"], 96);
    assert_eq!(
        h["AvailableCapacity"]["AvailableInstanceCapacity"],
        json!([{"AvailableCapacity": 48, "InstanceType": "m5.large", "TotalCapacity": 48}])
    );
    assert_eq!(h["Tags"], json!([{"Key": "Team", "Value": "db"}]));
    let tagged = call(&ec2, &ctx, "DescribeHosts", json!({"Filter": [{"Name": "tag:Team", "Values": ["db"]}]}));
    assert_eq!(tagged["Hosts"].as_array().unwrap().len(), 2);
    let family = allocate(&ec2, &ctx, json!({"InstanceFamily": "c5"}));
    let h = host(&ec2, &ctx, &family[0]);
    assert_eq!(h["AllowsMultipleInstanceTypes"], "on");
    assert_eq!(h["HostProperties"]["InstanceFamily"], "c5");
    assert!(h["AvailableCapacity"]["AvailableInstanceCapacity"].as_array().unwrap().len() > 3);
    let by_type =
        call(&ec2, &ctx, "DescribeHosts", json!({"Filter": [{"Name": "instance-type", "Values": ["m5.large"]}]}));
    assert_eq!(by_type["Hosts"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_allocations_are_refused() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let code = |input: Value| refused(&ec2, &ctx, "AllocateHosts", input);
    assert_eq!(code(json!({"InstanceType": "m5.large"})), "MissingParameter");
    assert_eq!(code(json!({"AvailabilityZone": "us-east-1a"})), "MissingParameter");
    assert_eq!(
        code(json!({"AvailabilityZone": "us-east-1a", "InstanceType": "m5.large", "InstanceFamily": "m5"})),
        "InvalidParameterCombination"
    );
    assert_eq!(code(json!({"AvailabilityZone": "eu-west-1a", "InstanceType": "m5.large"})), "InvalidParameterValue");
    assert_eq!(code(json!({"AvailabilityZone": "us-east-1a", "InstanceType": "m9.huge"})), "InvalidParameterValue");
    assert_eq!(code(json!({"AvailabilityZone": "us-east-1a", "InstanceType": "t2.micro"})), "InvalidParameterValue");
    assert_eq!(
        code(json!({"AvailabilityZone": "us-east-1a", "InstanceType": "m5.large", "AutoPlacement": "maybe"})),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(json!({"AvailabilityZone": "us-east-1a", "InstanceType": "m5.large", "Quantity": 0})),
        "InvalidParameterValue"
    );
    assert_eq!(
        refused(&ec2, &ctx, "DescribeHosts", json!({"HostIds": ["h-0123456789abcdef0"]})),
        "InvalidHostID.NotFound"
    );
    assert_eq!(refused(&ec2, &ctx, "DescribeHosts", json!({"HostIds": ["host-1"]})), "InvalidHostId.Malformed");
    assert_eq!(call(&ec2, &ctx, "DescribeHosts", json!({}))["Hosts"], json!([]));
}

#[test]
fn instances_fill_a_host_and_it_is_released_only_when_empty() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    // A host for m5.24xlarge holds exactly one.
    let big = allocate(&ec2, &ctx, json!({"InstanceType": "m5.24xlarge"}))[0].clone();
    let placement = json!({"HostId": big, "Tenancy": "host"});
    let first = launch(&ec2, &ctx, "m5.24xlarge", placement.clone()).unwrap();
    assert_eq!(launch(&ec2, &ctx, "m5.24xlarge", placement.clone()), Err("InsufficientHostCapacity".into()));
    assert_eq!(launch(&ec2, &ctx, "m5.large", placement.clone()), Err("InsufficientHostCapacity".into()));
    let described = call(&ec2, &ctx, "DescribeInstances", json!({"InstanceIds": [first]}));
    let p = &described["Reservations"][0]["Instances"][0]["Placement"];
    assert_eq!((p["HostId"].as_str(), p["Tenancy"].as_str()), (Some(big.as_str()), Some("host")));
    let h = host(&ec2, &ctx, &big);
    assert_eq!(h["Instances"][0]["InstanceId"], json!(first));
    assert_eq!(h["Instances"][0]["InstanceType"], "m5.24xlarge");
    assert_eq!(h["AvailableCapacity"]["AvailableVCpus"], 0);

    // Occupied: not released, the call still succeeds.
    let out = call(&ec2, &ctx, "ReleaseHosts", json!({"HostIds": [big]}));
    assert_eq!(out["Successful"], json!([]));
    assert_eq!(out["Unsuccessful"][0]["ResourceId"], json!(big));
    call(&ec2, &ctx, "TerminateInstances", json!({"InstanceIds": [first]}));
    let later = crate::testing::later(&ctx, 60);
    assert_eq!(host(&ec2, &later, &big)["AvailableCapacity"]["AvailableVCpus"], 96);
    let out = call(&ec2, &later, "ReleaseHosts", json!({"HostIds": [big, "h-0123456789abcdef0"]}));
    assert_eq!(out["Successful"], json!([big]));
    assert_eq!(out["Unsuccessful"][0]["Error"]["Code"], "InvalidHostID.NotFound");
    let h = host(&ec2, &later, &big);
    assert_eq!(h["State"], "released");
    assert!(!h["ReleaseTime"].is_null());
    assert_eq!(launch(&ec2, &later, "m5.24xlarge", placement), Err("InvalidParameterValue".into()));
    let out = call(&ec2, &later, "ModifyHosts", json!({"HostIds": [big], "AutoPlacement": "on"}));
    assert_eq!(out["Unsuccessful"][0]["ResourceId"], json!(big));
}

#[test]
fn tenancy_host_finds_a_host_with_auto_placement() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let manual = allocate(&ec2, &ctx, json!({"InstanceFamily": "c5"}))[0].clone();
    assert_eq!(launch(&ec2, &ctx, "c5.large", json!({"Tenancy": "host"})), Err("InsufficientHostCapacity".into()));
    let out =
        call(&ec2, &ctx, "ModifyHosts", json!({"HostIds": [manual], "AutoPlacement": "on", "HostRecovery": "on"}));
    assert_eq!(out["Successful"], json!([manual]));
    let id = launch(&ec2, &ctx, "c5.large", json!({"Tenancy": "host"})).unwrap();
    let h = host(&ec2, &ctx, &manual);
    assert_eq!((h["AutoPlacement"].as_str(), h["HostRecovery"].as_str()), (Some("on"), Some("on")));
    assert_eq!(h["Instances"][0]["InstanceId"], json!(id));
    // A host with an instance keeps its family; an empty one can change it.
    let out = call(&ec2, &ctx, "ModifyHosts", json!({"HostIds": [manual], "InstanceFamily": "m5"}));
    assert_eq!(out["Unsuccessful"][0]["Error"]["Code"], "InvalidParameterValue");
    let found = call(&ec2, &ctx, "DescribeInstances", json!({"Filters": [{"Name": "host-id", "Values": [manual]}]}));
    assert_eq!(str_at(&found, "/Reservations/0/Instances/0/InstanceId"), id);
    assert_eq!(
        refused(&ec2, &ctx, "ModifyHosts", json!({"HostIds": [manual], "AutoPlacement": "sometimes"})),
        "InvalidParameterValue"
    );
}

#[test]
fn mac_hosts_are_listed_with_the_macos_releases_they_launch() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let mac1 = allocate(&ec2, &ctx, json!({"InstanceType": "mac1.metal"}))[0].clone();
    let mac2 = allocate(&ec2, &ctx, json!({"InstanceFamily": "mac2"}))[0].clone();
    let other = allocate(&ec2, &ctx, json!({"InstanceType": "m5.large"}))[0].clone();

    let all = call(&ec2, &ctx, "DescribeMacHosts", json!({}));
    let listed: Vec<&str> = all["MacHosts"].as_array().unwrap().iter().map(|h| h["HostId"].as_str().unwrap()).collect();
    let mut want = vec![mac1.as_str(), mac2.as_str()];
    want.sort();
    assert_eq!(listed, want, "only Mac hosts, in id order");
    let versions = |id: &str| {
        let out = call(&ec2, &ctx, "DescribeMacHosts", json!({"HostIds": [id]}));
        out["MacHosts"][0]["MacOSLatestSupportedVersions"].as_array().unwrap().len()
    };
    assert!(versions(&mac2) > versions(&mac1), "Apple silicon launches newer macOS than Intel");
    let none = call(&ec2, &ctx, "DescribeMacHosts", json!({"HostIds": [other]}));
    assert_eq!(none["MacHosts"], json!([]), "a host of another family is no Mac host");

    let by_type =
        call(&ec2, &ctx, "DescribeMacHosts", json!({"Filters": [{"Name": "instance-type", "Values": ["mac1.metal"]}]}));
    assert_eq!(str_at(&by_type, "/MacHosts/0/HostId"), mac1);
    assert_eq!(by_type["MacHosts"].as_array().unwrap().len(), 1);
    assert_eq!(
        refused(&ec2, &ctx, "DescribeMacHosts", json!({"Filters": [{"Name": "bogus", "Values": ["x"]}]})),
        "InvalidParameterValue"
    );
    assert_eq!(
        refused(&ec2, &ctx, "DescribeMacHosts", json!({"HostIds": ["h-0123456789abcdef0"]})),
        "InvalidHostID.NotFound"
    );
    assert_eq!(refused(&ec2, &ctx, "DescribeMacHosts", json!({"MaxResults": 4})), "InvalidParameterValue");

    let page = call(&ec2, &ctx, "DescribeMacHosts", json!({"MaxResults": 5}));
    assert!(page.get("NextToken").is_none());
    call(&ec2, &ctx, "ReleaseHosts", json!({"HostIds": [mac1]}));
    let left = call(&ec2, &ctx, "DescribeMacHosts", json!({}));
    assert_eq!(str_at(&left, "/MacHosts/0/HostId"), mac2, "a released host launches nothing");
}
