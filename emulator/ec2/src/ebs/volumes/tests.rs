use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{al2023, call, later, launch, refused, str_at, with_delay};
use crate::Ec2;

fn volume(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
    call(ec2, ctx, "DescribeVolumes", json!({"VolumeIds": [id]}))["Volumes"][0].clone()
}

fn create(ec2: &Ec2, ctx: &RequestContext, input: Value) -> String {
    str_at(&call(ec2, ctx, "CreateVolume", input), "/VolumeId")
}

#[test]
fn defaults_follow_aws() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let out = call(&ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1a", "Size": 10}));
    assert_eq!(out["State"], "creating");
    assert_eq!(out["VolumeType"], "gp2");
    assert_eq!(out["Iops"], 100, "gp2: 3 IOPS per GiB, at least 100");
    assert_eq!(out["Encrypted"], false);
    assert_eq!(out["SnapshotId"], "");
    assert_eq!(out["MultiAttachEnabled"], false);
    assert!(out.get("Throughput").is_none());
    let gp3 = call(
        &ec2,
        &ctx,
        "CreateVolume",
        json!({"AvailabilityZone": "us-east-1a", "Size": 10, "VolumeType": "gp3", "Encrypted": true}),
    );
    assert_eq!((gp3["Iops"].clone(), gp3["Throughput"].clone()), (json!(3000), json!(125)));
    assert_eq!(gp3["KmsKeyId"], "arn:aws:kms:us-east-1:000000000000:alias/aws/ebs");
    let big = call(&ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1a", "Size": 1000}));
    assert_eq!(big["Iops"], 3000);
    let v = volume(&ec2, &ctx, &str_at(&out, "/VolumeId"));
    assert_eq!(v["State"], "available", "without a delay the volume is available at once");
    assert!(v["AvailabilityZoneId"].as_str().unwrap().starts_with("use1-az"));
}

#[test]
fn sizes_iops_and_throughput_are_checked() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let bad = |input: Value| {
        let mut i = json!({"AvailabilityZone": "us-east-1a"});
        for (k, v) in input.as_object().unwrap() {
            i[k] = v.clone();
        }
        refused(&ec2, &ctx, "CreateVolume", i)
    };
    assert_eq!(bad(json!({"Size": 0})), "InvalidParameterValue");
    assert_eq!(bad(json!({"Size": 16_385})), "InvalidParameterValue");
    assert_eq!(bad(json!({"Size": 100, "VolumeType": "st1"})), "InvalidParameterValue", "st1 starts at 125 GiB");
    assert_eq!(bad(json!({"Size": 10, "VolumeType": "io1"})), "MissingParameter", "io1 needs Iops");
    assert_eq!(bad(json!({"Size": 10, "VolumeType": "io1", "Iops": 1000})), "InvalidParameterValue", "50:1");
    assert_eq!(bad(json!({"Size": 10, "VolumeType": "gp3", "Iops": 2000})), "InvalidParameterValue");
    assert_eq!(
        bad(json!({"Size": 10, "VolumeType": "gp3", "Throughput": 1000})),
        "InvalidParameterValue",
        "0.25 MiB/s per IOPS"
    );
    assert_eq!(bad(json!({"Size": 10, "VolumeType": "gp3", "Throughput": 100})), "InvalidParameterValue");
    assert_eq!(bad(json!({"Size": 10, "Iops": 300})), "InvalidParameterCombination", "gp2 has no Iops");
    assert_eq!(bad(json!({"Size": 10, "Throughput": 200})), "InvalidParameterCombination");
    assert_eq!(bad(json!({"Size": 10, "VolumeType": "gp4"})), "InvalidParameterValue");
    assert_eq!(bad(json!({"Size": 10, "MultiAttachEnabled": true})), "InvalidParameterCombination");
    assert_eq!(bad(json!({"Size": 10, "KmsKeyId": "alias/mine"})), "InvalidParameterDependency");
    assert_eq!(bad(json!({})), "MissingParameter");
    assert_eq!(
        refused(&ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1z", "Size": 1})),
        "InvalidZone.NotFound"
    );
    assert_eq!(bad(json!({"SnapshotId": "snap-0123456789abcdef0"})), "InvalidSnapshot.NotFound");
    assert_eq!(bad(json!({"SnapshotId": "snapshot"})), "InvalidSnapshotID.Malformed");
    let out = call(&ec2, &ctx, "DescribeVolumes", json!({}));
    assert!(out["Volumes"].as_array().unwrap().is_empty(), "no refused request made a volume");
    let ok = call(
        &ec2,
        &ctx,
        "CreateVolume",
        json!({"AvailabilityZone": "us-east-1a", "Size": 100, "VolumeType": "io2", "Iops": 50_000, "MultiAttachEnabled": true}),
    );
    assert_eq!((ok["Iops"].clone(), ok["MultiAttachEnabled"].clone()), (json!(50_000), json!(true)));
}

#[test]
fn states_follow_the_clock() {
    let ec2 = with_delay(10);
    let ctx = RequestContext::for_tests();
    let image = al2023(&ec2, &ctx);
    let (instance, zone) = launch(&ec2, &ctx, &image, json!({}));
    let vol = create(&ec2, &ctx, json!({"AvailabilityZone": zone, "Size": 8}));
    assert_eq!(volume(&ec2, &later(&ctx, 9), &vol)["State"], "creating");
    assert_eq!(
        refused(
            &ec2,
            &later(&ctx, 9),
            "AttachVolume",
            json!({"VolumeId": vol, "InstanceId": instance, "Device": "/dev/sdf"})
        ),
        "IncorrectState"
    );
    let t = later(&ctx, 10);
    assert_eq!(volume(&ec2, &t, &vol)["State"], "available");
    let att = call(&ec2, &t, "AttachVolume", json!({"VolumeId": vol, "InstanceId": instance, "Device": "/dev/sdf"}));
    assert_eq!(att["State"], "attaching");
    let v = volume(&ec2, &later(&ctx, 15), &vol);
    assert_eq!((v["State"].clone(), v["Attachments"][0]["State"].clone()), (json!("in-use"), json!("attaching")));
    let i = call(&ec2, &later(&ctx, 15), "DescribeInstances", json!({"InstanceIds": [instance]}));
    let mappings = i["Reservations"][0]["Instances"][0]["BlockDeviceMappings"].as_array().unwrap().clone();
    let sdf = mappings.iter().find(|m| m["DeviceName"] == "/dev/sdf").unwrap();
    assert_eq!(sdf["Ebs"]["Status"], "attaching", "the instance shows the attachment's state");
    let v = volume(&ec2, &later(&ctx, 20), &vol);
    assert_eq!(v["Attachments"][0]["State"], "attached");
    assert_eq!(v["Attachments"][0]["DeleteOnTermination"], false);
    let filtered = call(
        &ec2,
        &later(&ctx, 20),
        "DescribeVolumes",
        json!({"Filters": [{"Name": "attachment.instance-id", "Values": [instance]}]}),
    );
    assert_eq!(filtered["Volumes"].as_array().unwrap().len(), 2, "the root volume and this one");
    let t = later(&ctx, 30);
    assert_eq!(refused(&ec2, &t, "DeleteVolume", json!({"VolumeId": vol})), "VolumeInUse");
    let det = call(&ec2, &t, "DetachVolume", json!({"VolumeId": vol}));
    assert_eq!(det["State"], "detaching");
    assert_eq!(refused(&ec2, &later(&ctx, 35), "DetachVolume", json!({"VolumeId": vol})), "IncorrectState");
    let v = volume(&ec2, &later(&ctx, 35), &vol);
    assert_eq!((v["State"].clone(), v["Attachments"][0]["State"].clone()), (json!("in-use"), json!("detaching")));
    let v = volume(&ec2, &later(&ctx, 40), &vol);
    assert_eq!(v["State"], "available");
    assert!(v["Attachments"].as_array().unwrap().is_empty());
    call(&ec2, &later(&ctx, 40), "DeleteVolume", json!({"VolumeId": vol}));
    assert_eq!(
        refused(&ec2, &later(&ctx, 40), "DescribeVolumes", json!({"VolumeIds": [vol]})),
        "InvalidVolume.NotFound"
    );
}

#[test]
fn attach_and_detach_refusals() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let image = al2023(&ec2, &ctx);
    let (instance, zone) = launch(&ec2, &ctx, &image, json!({}));
    let other_zone = if zone == "us-east-1b" { "us-east-1c" } else { "us-east-1b" };
    let far = create(&ec2, &ctx, json!({"AvailabilityZone": other_zone, "Size": 8}));
    let vol = create(&ec2, &ctx, json!({"AvailabilityZone": zone, "Size": 8}));
    let attach = |v: &str, i: &str, d: &str| {
        refused(&ec2, &ctx, "AttachVolume", json!({"VolumeId": v, "InstanceId": i, "Device": d}))
    };
    assert_eq!(attach(&far, &instance, "/dev/sdf"), "InvalidVolume.ZoneMismatch");
    assert_eq!(attach("vol-0123456789abcdef0", &instance, "/dev/sdf"), "InvalidVolume.NotFound");
    assert_eq!(attach("volume-1", &instance, "/dev/sdf"), "InvalidVolumeID.Malformed");
    assert_eq!(attach(&vol, "i-0123456789abcdef0", "/dev/sdf"), "InvalidInstanceID.NotFound");
    assert_eq!(attach(&vol, &instance, "/dev/banana"), "InvalidParameterValue");
    assert_eq!(attach(&vol, &instance, "/dev/xvda"), "InvalidParameterValue", "the root device's name is taken");
    call(&ec2, &ctx, "AttachVolume", json!({"VolumeId": vol, "InstanceId": instance, "Device": "/dev/sdf"}));
    assert_eq!(attach(&vol, &instance, "/dev/sdg"), "VolumeInUse");
    assert_eq!(refused(&ec2, &ctx, "DetachVolume", json!({"VolumeId": far})), "IncorrectState");
    assert_eq!(
        refused(&ec2, &ctx, "DetachVolume", json!({"VolumeId": vol, "Device": "/dev/sdg"})),
        "InvalidAttachment.NotFound"
    );
    let root = call(
        &ec2,
        &ctx,
        "DescribeVolumes",
        json!({"Filters": [{"Name": "attachment.device", "Values": ["/dev/xvda"]}]}),
    );
    let root = str_at(&root, "/Volumes/0/VolumeId");
    assert_eq!(refused(&ec2, &ctx, "DetachVolume", json!({"VolumeId": root})), "OperationNotPermitted");
    let v = volume(&ec2, &ctx, &vol);
    assert_eq!(v["Attachments"].as_array().unwrap().len(), 1, "refusals changed nothing");
    assert_eq!(v["Attachments"][0]["State"], "attached");
}

#[test]
fn delete_on_termination_is_honoured() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let image = al2023(&ec2, &ctx);
    let bdm = json!([
        {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 5, "DeleteOnTermination": true}},
        {"DeviceName": "/dev/sdg", "Ebs": {"VolumeSize": 6, "VolumeType": "gp3", "DeleteOnTermination": false}},
    ]);
    let (instance, zone) = launch(&ec2, &ctx, &image, json!({"BlockDeviceMappings": bdm}));
    let kept = create(&ec2, &ctx, json!({"AvailabilityZone": zone, "Size": 7}));
    call(&ec2, &ctx, "AttachVolume", json!({"VolumeId": kept, "InstanceId": instance, "Device": "/dev/sdh"}));
    let mine = json!({"Filters": [{"Name": "attachment.instance-id", "Values": [instance]}]});
    let vols = call(&ec2, &ctx, "DescribeVolumes", mine.clone())["Volumes"].as_array().unwrap().clone();
    assert_eq!(vols.len(), 4);
    let by_device = |d: &str| vols.iter().find(|v| v["Attachments"][0]["Device"] == d).unwrap().clone();
    assert_eq!(by_device("/dev/xvda")["Attachments"][0]["DeleteOnTermination"], true);
    assert_eq!(by_device("/dev/sdg")["Size"], 6);
    assert_eq!(by_device("/dev/sdg")["Iops"], 3000);
    let survivor = str_at(&by_device("/dev/sdg"), "/VolumeId");
    call(&ec2, &ctx, "TerminateInstances", json!({"InstanceIds": [instance]}));
    let t = later(&ctx, 1);
    let left: Vec<String> = call(&ec2, &t, "DescribeVolumes", json!({}))["Volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            assert_eq!(v["State"], "available");
            assert!(v["Attachments"].as_array().unwrap().is_empty());
            str_at(v, "/VolumeId")
        })
        .collect();
    let mut expected = vec![kept, survivor];
    expected.sort();
    assert_eq!(left, expected);
}

#[test]
fn modifications_follow_the_clock() {
    let ec2 = with_delay(10);
    let ctx = RequestContext::for_tests();
    let vol = create(&ec2, &ctx, json!({"AvailabilityZone": "us-east-1a", "Size": 10, "VolumeType": "gp3"}));
    let t = later(&ctx, 10);
    assert_eq!(
        refused(&ec2, &t, "DescribeVolumesModifications", json!({"VolumeIds": [vol]})),
        "InvalidVolumeModification.NotFound"
    );
    assert_eq!(refused(&ec2, &t, "ModifyVolume", json!({"VolumeId": vol, "Size": 5})), "InvalidParameterValue");
    assert_eq!(refused(&ec2, &t, "ModifyVolume", json!({"VolumeId": vol, "Iops": 100_000})), "InvalidParameterValue");
    assert_eq!(
        refused(&ec2, &t, "ModifyVolume", json!({"VolumeId": vol, "Size": 10})),
        "InvalidParameterCombination",
        "nothing changes"
    );
    assert_eq!(volume(&ec2, &t, &vol)["Size"], 10, "refusals changed nothing");
    let m = call(&ec2, &t, "ModifyVolume", json!({"VolumeId": vol, "Size": 20, "Iops": 4000}));
    let m = &m["VolumeModification"];
    assert_eq!(m["ModificationState"], "modifying");
    assert_eq!((m["OriginalSize"].clone(), m["TargetSize"].clone()), (json!(10), json!(20)));
    assert_eq!((m["OriginalIops"].clone(), m["TargetIops"].clone()), (json!(3000), json!(4000)));
    assert_eq!(m["TargetThroughput"], 125);
    assert_eq!(
        refused(&ec2, &later(&ctx, 12), "ModifyVolume", json!({"VolumeId": vol, "Size": 30})),
        "IncorrectModificationState"
    );
    let state_at = |secs: i64| {
        let out = call(&ec2, &later(&ctx, secs), "DescribeVolumesModifications", json!({"VolumeIds": [vol]}));
        str_at(&out, "/VolumesModifications/0/ModificationState")
    };
    assert_eq!(state_at(19), "modifying");
    assert_eq!(state_at(20), "optimizing");
    assert_eq!(state_at(30), "completed");
    let v = volume(&ec2, &later(&ctx, 30), &vol);
    assert_eq!((v["Size"].clone(), v["Iops"].clone()), (json!(20), json!(4000)));
    assert_eq!(
        refused(&ec2, &later(&ctx, 40), "ModifyVolume", json!({"VolumeId": vol, "Size": 30})),
        "VolumeModificationRateExceeded"
    );
    let m = call(&ec2, &later(&ctx, 6 * 3600 + 10), "ModifyVolume", json!({"VolumeId": vol, "VolumeType": "io2"}));
    assert_eq!(m["VolumeModification"]["TargetVolumeType"], "io2");
    assert_eq!(m["VolumeModification"]["TargetIops"], 3000, "ModifyVolume's default for a new type");
    assert!(m["VolumeModification"].get("TargetThroughput").is_none());
}

#[test]
fn attributes_and_status() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let vol = create(&ec2, &ctx, json!({"AvailabilityZone": "us-east-1a", "Size": 1}));
    let attr = |a: &str| call(&ec2, &ctx, "DescribeVolumeAttribute", json!({"VolumeId": vol, "Attribute": a}));
    assert_eq!(attr("autoEnableIO")["AutoEnableIO"]["Value"], false);
    call(&ec2, &ctx, "ModifyVolumeAttribute", json!({"VolumeId": vol, "AutoEnableIO": {"Value": true}}));
    assert_eq!(attr("autoEnableIO")["AutoEnableIO"]["Value"], true);
    assert_eq!(
        refused(&ec2, &ctx, "DescribeVolumeAttribute", json!({"VolumeId": vol, "Attribute": "size"})),
        "InvalidParameterValue"
    );
    let st = call(&ec2, &ctx, "DescribeVolumeStatus", json!({"VolumeIds": [vol]}));
    assert_eq!(st["VolumeStatuses"][0]["VolumeStatus"]["Status"], "ok");
    call(&ec2, &ctx, "DeleteVolume", json!({"VolumeId": vol}));
    assert_eq!(refused(&ec2, &ctx, "DeleteVolume", json!({"VolumeId": vol})), "InvalidVolume.NotFound");
    assert_eq!(refused(&ec2, &ctx, "DescribeVolumeStatus", json!({"VolumeIds": [vol]})), "InvalidVolume.NotFound");
}
