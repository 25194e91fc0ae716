use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{al2023, call, later, launch, refused, str_at, with_delay};
use crate::Ec2;

fn other_account(ctx: &RequestContext) -> RequestContext {
    let mut c = ctx.clone();
    c.caller.account = "111111111111".into();
    c
}

fn snapshot(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
    call(ec2, ctx, "DescribeSnapshots", json!({"SnapshotIds": [id]}))["Snapshots"][0].clone()
}

fn volume(ec2: &Ec2, ctx: &RequestContext, size: i32) -> String {
    let input = json!({"AvailabilityZone": "us-east-1a", "Size": size, "Encrypted": true});
    str_at(&call(ec2, ctx, "CreateVolume", input), "/VolumeId")
}

#[test]
fn states_follow_the_clock() {
    let ec2 = with_delay(30);
    let ctx = RequestContext::for_tests();
    let vol = volume(&ec2, &ctx, 12);
    let t = later(&ctx, 30);
    let tags = json!([{"ResourceType": "snapshot", "Tags": [{"Key": "Name", "Value": "backup"}]}]);
    let out =
        call(&ec2, &t, "CreateSnapshot", json!({"VolumeId": vol, "Description": "nightly", "TagSpecifications": tags}));
    let id = str_at(&out, "/SnapshotId");
    assert_eq!(out["State"], "pending");
    assert_eq!(out["VolumeSize"], 12);
    assert_eq!(out["Encrypted"], true);
    assert_eq!(out["OwnerId"], "000000000000");
    assert_eq!(out["Tags"][0]["Value"], "backup");
    assert_eq!(snapshot(&ec2, &later(&ctx, 59), &id)["State"], "pending");
    assert_eq!(
        refused(&ec2, &later(&ctx, 59), "CopySnapshot", json!({"SourceSnapshotId": id, "SourceRegion": "us-east-1"})),
        "IncorrectSnapshotState"
    );
    let s = snapshot(&ec2, &later(&ctx, 60), &id);
    assert_eq!((s["State"].clone(), s["Progress"].clone()), (json!("completed"), json!("100%")));
    assert_eq!(s["VolumeId"], vol.as_str());
    assert_eq!(s["Description"], "nightly");
    let mine = call(&ec2, &later(&ctx, 60), "DescribeSnapshots", json!({"OwnerIds": ["self"]}));
    assert_eq!(mine["Snapshots"].as_array().unwrap().len(), 1);
    let by_tag = json!({"OwnerIds": ["self"], "Filters": [{"Name": "tag:Name", "Values": ["backup"]}]});
    assert_eq!(call(&ec2, &later(&ctx, 60), "DescribeSnapshots", by_tag)["Snapshots"].as_array().unwrap().len(), 1);
}

#[test]
fn copies_volumes_and_deletion() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let vol = volume(&ec2, &ctx, 12);
    let id = str_at(&call(&ec2, &ctx, "CreateSnapshot", json!({"VolumeId": vol})), "/SnapshotId");
    let copy = call(
        &ec2,
        &ctx,
        "CopySnapshot",
        json!({"SourceSnapshotId": id, "SourceRegion": "us-east-1", "Description": "copy"}),
    );
    let copy = str_at(&copy, "/SnapshotId");
    let c = snapshot(&ec2, &ctx, &copy);
    assert_eq!((c["VolumeSize"].clone(), c["Encrypted"].clone()), (json!(12), json!(true)));
    assert_eq!(c["Description"], "copy");
    let restored = call(&ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1b", "SnapshotId": copy}));
    assert_eq!((restored["Size"].clone(), restored["SnapshotId"].clone()), (json!(12), json!(copy)));
    assert_eq!(restored["Encrypted"], true, "a volume of an encrypted snapshot is encrypted");
    assert_eq!(
        refused(&ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1b", "SnapshotId": copy, "Size": 5})),
        "InvalidParameterValue"
    );
    assert_eq!(
        refused(&ec2, &ctx, "CreateSnapshot", json!({"VolumeId": "vol-0123456789abcdef0"})),
        "InvalidVolume.NotFound"
    );
    assert_eq!(
        refused(
            &ec2,
            &ctx,
            "CopySnapshot",
            json!({"SourceSnapshotId": "snap-0123456789abcdef0", "SourceRegion": "us-east-1"})
        ),
        "InvalidSnapshot.NotFound"
    );
    assert_eq!(
        refused(&ec2, &ctx, "CopySnapshot", json!({"SourceSnapshotId": id, "SourceRegion": "mars-east-1"})),
        "InvalidParameterValue"
    );
    // Into another region of the same account.
    let mut eu = ctx.clone();
    eu.region = "eu-west-1".into();
    let there = call(&ec2, &eu, "CopySnapshot", json!({"SourceSnapshotId": id, "SourceRegion": "us-east-1"}));
    let there = str_at(&there, "/SnapshotId");
    let s = snapshot(&ec2, &eu, &there);
    assert_eq!(s["Description"], format!("[Copied {id} from us-east-1]"));
    assert_eq!(refused(&ec2, &eu, "DescribeSnapshots", json!({"SnapshotIds": [id]})), "InvalidSnapshot.NotFound");
    call(&ec2, &ctx, "DeleteSnapshot", json!({"SnapshotId": copy}));
    assert_eq!(refused(&ec2, &ctx, "DeleteSnapshot", json!({"SnapshotId": copy})), "InvalidSnapshot.NotFound");
    assert_eq!(
        refused(&ec2, &ctx, "DeleteSnapshot", json!({"SnapshotId": "snapshot-1"})),
        "InvalidSnapshotID.Malformed"
    );
    assert_eq!(refused(&ec2, &ctx, "DescribeSnapshots", json!({"SnapshotIds": [copy]})), "InvalidSnapshot.NotFound");
}

#[test]
fn a_snapshot_an_image_uses_cannot_be_deleted() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let vol = volume(&ec2, &ctx, 8);
    let snap = str_at(&call(&ec2, &ctx, "CreateSnapshot", json!({"VolumeId": vol})), "/SnapshotId");
    let bdm = json!([{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap}}]);
    let image = call(
        &ec2,
        &ctx,
        "RegisterImage",
        json!({"Name": "from-snap", "RootDeviceName": "/dev/xvda", "BlockDeviceMappings": bdm, "VirtualizationType": "hvm"}),
    );
    let image = str_at(&image, "/ImageId");
    assert_eq!(refused(&ec2, &ctx, "DeleteSnapshot", json!({"SnapshotId": snap})), "InvalidSnapshot.InUse");
    assert_eq!(snapshot(&ec2, &ctx, &snap)["State"], "completed", "the refusal changed nothing");
    call(&ec2, &ctx, "DeregisterImage", json!({"ImageId": image}));
    call(&ec2, &ctx, "DeleteSnapshot", json!({"SnapshotId": snap}));
}

#[test]
fn create_volume_permission_shares_with_other_accounts() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let other = other_account(&ctx);
    let vol = volume(&ec2, &ctx, 8);
    let snap = str_at(&call(&ec2, &ctx, "CreateSnapshot", json!({"VolumeId": vol})), "/SnapshotId");
    assert_eq!(refused(&ec2, &other, "DescribeSnapshots", json!({"SnapshotIds": [snap]})), "InvalidSnapshot.NotFound");
    assert_eq!(
        refused(
            &ec2,
            &ctx,
            "ModifySnapshotAttribute",
            json!({"SnapshotId": snap, "Attribute": "createVolumePermission", "CreateVolumePermission": {"Add": [{"UserId": "12345"}]}})
        ),
        "InvalidUserID.Malformed"
    );
    let add = json!({"Add": [{"UserId": "111111111111"}]});
    call(
        &ec2,
        &ctx,
        "ModifySnapshotAttribute",
        json!({"SnapshotId": snap, "Attribute": "createVolumePermission", "CreateVolumePermission": add}),
    );
    let attr = call(
        &ec2,
        &ctx,
        "DescribeSnapshotAttribute",
        json!({"SnapshotId": snap, "Attribute": "createVolumePermission"}),
    );
    assert_eq!(attr["CreateVolumePermissions"], json!([{"UserId": "111111111111"}]));
    let seen =
        call(&ec2, &other, "DescribeSnapshots", json!({"RestorableByUserIds": ["self"], "OwnerIds": ["000000000000"]}));
    assert_eq!(seen["Snapshots"].as_array().unwrap().len(), 1);
    assert!(seen["Snapshots"][0].get("Tags").is_none_or(|t| t.as_array().unwrap().is_empty()));
    let v = call(&ec2, &other, "CreateVolume", json!({"AvailabilityZone": "us-east-1a", "SnapshotId": snap}));
    assert_eq!(v["Size"], 8);
    assert_eq!(
        refused(&ec2, &other, "DeleteSnapshot", json!({"SnapshotId": snap})),
        "InvalidSnapshot.NotFound",
        "only the owner deletes"
    );
    call(&ec2, &ctx, "ResetSnapshotAttribute", json!({"SnapshotId": snap, "Attribute": "createVolumePermission"}));
    assert_eq!(refused(&ec2, &other, "DescribeSnapshots", json!({"SnapshotIds": [snap]})), "InvalidSnapshot.NotFound");
}

#[test]
fn create_snapshots_of_an_instance() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let image = al2023(&ec2, &ctx);
    let bdm = json!([{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 5}}]);
    let (instance, _) = launch(&ec2, &ctx, &image, json!({"BlockDeviceMappings": bdm}));
    let all = call(&ec2, &ctx, "CreateSnapshots", json!({"InstanceSpecification": {"InstanceId": instance}}));
    assert_eq!(all["Snapshots"].as_array().unwrap().len(), 2);
    let data = call(
        &ec2,
        &ctx,
        "CreateSnapshots",
        json!({"InstanceSpecification": {"InstanceId": instance, "ExcludeBootVolume": true}}),
    );
    assert_eq!(data["Snapshots"].as_array().unwrap().len(), 1);
    assert_eq!(data["Snapshots"][0]["VolumeSize"], 5);
}
