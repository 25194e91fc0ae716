use chrono::Duration;
use nimbus_core::{RequestContext, Service};
use serde_json::{json, Value};

use crate::generated::dto::{DescribeImagesRequest, Filter};
use crate::images::describe::describe_images;
use crate::images::lookup::deprecated;
use crate::state::shared::Shared;
use crate::state::Ec2State;
use crate::testing::{al2023, call, later, launch, refused, str_at, with_delay};
use crate::{catalogue, Ec2};

fn other_account(ctx: &RequestContext) -> RequestContext {
    let mut c = ctx.clone();
    c.caller.account = "111111111111".into();
    c
}

fn in_region(ctx: &RequestContext, region: &str) -> RequestContext {
    let mut c = ctx.clone();
    c.region = region.into();
    c
}

fn image(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
    call(ec2, ctx, "DescribeImages", json!({"ImageIds": [id]}))["Images"][0].clone()
}

fn count(v: &Value, key: &str) -> usize {
    v[key].as_array().map_or(0, Vec::len)
}

#[test]
fn create_image_from_an_instance_then_launch_it() {
    let ec2 = with_delay(20);
    let ctx = RequestContext::for_tests();
    let public = al2023(&ec2, &ctx);
    let bdm = json!([{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 4, "VolumeType": "gp3"}}]);
    let (instance, _) = launch(&ec2, &ctx, &public, json!({"BlockDeviceMappings": bdm}));
    assert_eq!(
        refused(&ec2, &ctx, "CreateImage", json!({"InstanceId": instance, "Name": "web"})),
        "IncorrectInstanceState",
        "a pending instance"
    );
    let t = later(&ctx, 20);
    let tags = json!([
        {"ResourceType": "image", "Tags": [{"Key": "app", "Value": "web"}]},
        {"ResourceType": "snapshot", "Tags": [{"Key": "of", "Value": "web"}]},
    ]);
    assert_eq!(
        refused(&ec2, &t, "CreateImage", json!({"InstanceId": instance, "Name": "x"})),
        "InvalidAMIName.Malformed"
    );
    assert_eq!(
        refused(
            &ec2,
            &t,
            "CreateImage",
            json!({"InstanceId": instance, "Name": "web", "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "NoDevice": ""}]})
        ),
        "InvalidBlockDeviceMapping"
    );
    let nothing = call(&ec2, &t, "DescribeSnapshots", json!({"OwnerIds": ["self"]}));
    assert_eq!(count(&nothing, "Snapshots"), 0, "refused requests made no snapshots");
    let out = call(
        &ec2,
        &t,
        "CreateImage",
        json!({"InstanceId": instance, "Name": "web", "Description": "web server", "TagSpecifications": tags}),
    );
    let id = str_at(&out, "/ImageId");
    assert_eq!(
        refused(&ec2, &t, "CreateImage", json!({"InstanceId": instance, "Name": "web"})),
        "InvalidAMIName.Duplicate"
    );
    let img = image(&ec2, &t, &id);
    assert_eq!(img["State"], "pending");
    assert_eq!(img["ImageLocation"], "000000000000/web");
    assert_eq!(img["OwnerId"], "000000000000");
    assert_eq!(img["Public"], false);
    assert_eq!(img["PlatformDetails"], "Linux/UNIX");
    assert_eq!(img["UsageOperation"], "RunInstances");
    assert_eq!(img["RootDeviceName"], "/dev/xvda");
    assert_eq!(img["RootDeviceType"], "ebs");
    assert_eq!(img["ImageType"], "machine");
    assert_eq!(img["SourceInstanceId"], instance.as_str());
    assert_eq!(img["Tags"][0]["Key"], "app");
    let created = img["CreationDate"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(created).is_ok() && created.ends_with('Z') && created.len() == 24);
    let mappings = img["BlockDeviceMappings"].as_array().unwrap();
    assert_eq!(mappings.len(), 2);
    let data = mappings.iter().find(|m| m["DeviceName"] == "/dev/sdf").unwrap();
    assert_eq!((data["Ebs"]["VolumeSize"].clone(), data["Ebs"]["VolumeType"].clone()), (json!(4), json!("gp3")));
    let snaps: Vec<String> = mappings.iter().map(|m| str_at(m, "/Ebs/SnapshotId")).collect();
    let s = call(&ec2, &t, "DescribeSnapshots", json!({"SnapshotIds": snaps}));
    assert_eq!(count(&s, "Snapshots"), 2);
    assert!(s["Snapshots"].as_array().unwrap().iter().all(|s| s["State"] == "pending" && s["Tags"][0]["Key"] == "of"));
    assert_eq!(
        refused(&ec2, &t, "RunInstances", json!({"ImageId": id, "MinCount": 1, "MaxCount": 1})),
        "InvalidAMIID.Unavailable"
    );
    assert_eq!(refused(&ec2, &t, "DeleteSnapshot", json!({"SnapshotId": snaps[0]})), "InvalidSnapshot.InUse");
    let t = later(&ctx, 40);
    assert_eq!(image(&ec2, &t, &id)["State"], "available");
    let s = call(&ec2, &t, "DescribeSnapshots", json!({"SnapshotIds": snaps}));
    assert!(s["Snapshots"].as_array().unwrap().iter().all(|s| s["State"] == "completed"));
    let (copy, _) = launch(&ec2, &t, &id, json!({}));
    let vols =
        call(&ec2, &t, "DescribeVolumes", json!({"Filters": [{"Name": "attachment.instance-id", "Values": [copy]}]}));
    let mut from: Vec<String> = vols["Volumes"].as_array().unwrap().iter().map(|v| str_at(v, "/SnapshotId")).collect();
    from.sort();
    let mut expected = snaps.clone();
    expected.sort();
    assert_eq!(from, expected, "the new instance's volumes come from the image's snapshots");
    assert!(image(&ec2, &t, &id)["LastLaunchedTime"].is_string());
}

#[test]
fn launch_permissions_share_an_image_with_another_account() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let other = other_account(&ctx);
    let (instance, _) = launch(&ec2, &ctx, &al2023(&ec2, &ctx), json!({}));
    let id = str_at(&call(&ec2, &ctx, "CreateImage", json!({"InstanceId": instance, "Name": "shared"})), "/ImageId");
    assert_eq!(refused(&ec2, &other, "DescribeImages", json!({"ImageIds": [id]})), "InvalidAMIID.NotFound");
    let bad = json!({"ImageId": id, "LaunchPermission": {"Add": [{"UserId": "abc"}]}});
    assert_eq!(refused(&ec2, &ctx, "ModifyImageAttribute", bad), "InvalidAMIAttributeItemValue");
    let add = json!({"ImageId": id, "LaunchPermission": {"Add": [{"UserId": "111111111111"}]}});
    call(&ec2, &ctx, "ModifyImageAttribute", add);
    let attr = call(&ec2, &ctx, "DescribeImageAttribute", json!({"ImageId": id, "Attribute": "launchPermission"}));
    assert_eq!(attr["LaunchPermissions"], json!([{"UserId": "111111111111"}]));
    let seen = call(&ec2, &other, "DescribeImages", json!({"ExecutableUsers": ["self"]}));
    let ids: Vec<String> = seen["Images"].as_array().unwrap().iter().map(|i| str_at(i, "/ImageId")).collect();
    assert!(ids.contains(&id), "{ids:?}");
    let img = image(&ec2, &other, &id);
    assert_eq!((img["OwnerId"].clone(), img["State"].clone()), (json!("000000000000"), json!("available")));
    assert_eq!(count(&img, "Tags"), 0);
    let (launched, _) = launch(&ec2, &other, &id, json!({}));
    assert!(launched.starts_with("i-"));
    let by_owner = call(&ec2, &ctx, "DescribeImages", json!({"ExecutableUsers": ["111111111111"]}));
    assert_eq!(count(&by_owner, "Images"), 1);
    assert_eq!(
        refused(&ec2, &other, "ModifyImageAttribute", json!({"ImageId": id, "Description": {"Value": "mine"}})),
        "AuthFailure"
    );
    assert_eq!(refused(&ec2, &other, "DeregisterImage", json!({"ImageId": id})), "AuthFailure");
    call(&ec2, &ctx, "ResetImageAttribute", json!({"ImageId": id, "Attribute": "launchPermission"}));
    assert_eq!(refused(&ec2, &other, "DescribeImages", json!({"ImageIds": [id]})), "InvalidAMIID.NotFound");
    let seen = call(&ec2, &other, "DescribeImages", json!({"ExecutableUsers": ["self"], "Owners": ["000000000000"]}));
    assert_eq!(count(&seen, "Images"), 0);
    // Public.
    let public = json!({"ImageId": id, "LaunchPermission": {"Add": [{"Group": "all"}]}});
    call(&ec2, &ctx, "ModifyImageAttribute", public);
    assert_eq!(image(&ec2, &ctx, &id)["Public"], true);
    assert_eq!(image(&ec2, &other, &id)["Public"], true);
}

#[test]
fn copy_image_to_another_region() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let eu = in_region(&ctx, "eu-west-1");
    let (instance, _) = launch(&ec2, &ctx, &al2023(&ec2, &ctx), json!({}));
    let tags = json!([{"ResourceType": "image", "Tags": [{"Key": "app", "Value": "web"}]}]);
    let id = call(&ec2, &ctx, "CreateImage", json!({"InstanceId": instance, "Name": "web", "TagSpecifications": tags}));
    let id = str_at(&id, "/ImageId");
    let req = |extra: Value| {
        let mut i = json!({"SourceImageId": id, "SourceRegion": "us-east-1", "Name": "web-eu"});
        for (k, v) in extra.as_object().unwrap() {
            i[k] = v.clone();
        }
        i
    };
    assert_eq!(
        refused(
            &ec2,
            &eu,
            "CopyImage",
            json!({"SourceImageId": "ami-0123456789abcdef0", "SourceRegion": "us-east-1", "Name": "x-y"})
        ),
        "InvalidAMIID.NotFound"
    );
    assert_eq!(refused(&ec2, &other_account(&eu), "CopyImage", req(json!({}))), "InvalidAMIID.NotFound");
    let copy = str_at(&call(&ec2, &eu, "CopyImage", req(json!({"CopyImageTags": true}))), "/ImageId");
    assert_ne!(copy, id);
    let img = image(&ec2, &eu, &copy);
    assert_eq!(img["Name"], "web-eu");
    assert_eq!(img["SourceImageId"], id.as_str());
    assert_eq!(img["SourceImageRegion"], "us-east-1");
    assert_eq!(img["ImageLocation"], "000000000000/web-eu");
    assert_eq!(img["Tags"][0]["Key"], "app");
    let snap = str_at(&img, "/BlockDeviceMappings/0/Ebs/SnapshotId");
    assert_eq!(count(&call(&ec2, &eu, "DescribeSnapshots", json!({"SnapshotIds": [snap]})), "Snapshots"), 1);
    assert_eq!(refused(&ec2, &ctx, "DescribeImages", json!({"ImageIds": [copy]})), "InvalidAMIID.NotFound");
    assert_eq!(refused(&ec2, &eu, "DescribeImages", json!({"ImageIds": [id]})), "InvalidAMIID.NotFound");
    assert_eq!(refused(&ec2, &eu, "CopyImage", req(json!({"Name": "web-eu"}))), "InvalidAMIName.Duplicate");
    let (launched, _) = launch(&ec2, &eu, &copy, json!({}));
    assert!(launched.starts_with("i-"));
}

#[test]
fn register_deregister_and_protection() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let vol = call(&ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1a", "Size": 8}));
    let snap = call(&ec2, &ctx, "CreateSnapshot", json!({"VolumeId": vol["VolumeId"]}));
    let snap = str_at(&snap, "/SnapshotId");
    let reg = |name: &str, bdm: Value| json!({"Name": name, "RootDeviceName": "/dev/xvda", "BlockDeviceMappings": bdm, "VirtualizationType": "hvm", "Architecture": "x86_64"});
    let root = json!([{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap, "VolumeSize": 10}}]);
    assert_eq!(
        refused(
            &ec2,
            &ctx,
            "RegisterImage",
            reg("a-b", json!([{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap, "VolumeSize": 4}}]))
        ),
        "InvalidBlockDeviceMapping"
    );
    assert_eq!(
        refused(
            &ec2,
            &ctx,
            "RegisterImage",
            reg("a-b", json!([{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-0123456789abcdef0"}}]))
        ),
        "InvalidSnapshot.NotFound"
    );
    assert_eq!(
        refused(
            &ec2,
            &ctx,
            "RegisterImage",
            reg("a-b", json!([{"DeviceName": "/dev/sdf", "Ebs": {"SnapshotId": snap}}]))
        ),
        "InvalidBlockDeviceMapping",
        "the root device must be mapped"
    );
    let id = str_at(&call(&ec2, &ctx, "RegisterImage", reg("registered", root)), "/ImageId");
    let img = image(&ec2, &ctx, &id);
    assert_eq!(img["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"], 10);
    assert_eq!(img["BlockDeviceMappings"][0]["Ebs"]["DeleteOnTermination"], true);
    assert_eq!(img["VirtualizationType"], "hvm");
    call(&ec2, &ctx, "EnableImageDeregistrationProtection", json!({"ImageId": id}));
    assert_eq!(refused(&ec2, &ctx, "DeregisterImage", json!({"ImageId": id})), "OperationNotPermitted");
    let attr =
        call(&ec2, &ctx, "DescribeImageAttribute", json!({"ImageId": id, "Attribute": "deregistrationProtection"}));
    assert_eq!(attr["DeregistrationProtection"]["Value"], "enabled");
    call(&ec2, &ctx, "DisableImageDeregistrationProtection", json!({"ImageId": id}));
    let out = call(&ec2, &ctx, "DeregisterImage", json!({"ImageId": id, "DeleteAssociatedSnapshots": true}));
    assert_eq!(out["DeleteSnapshotResults"][0]["ReturnCode"], "success");
    assert_eq!(refused(&ec2, &ctx, "DescribeImages", json!({"ImageIds": [id]})), "InvalidAMIID.NotFound");
    assert_eq!(refused(&ec2, &ctx, "DeregisterImage", json!({"ImageId": id})), "InvalidAMIID.NotFound");
    assert_eq!(refused(&ec2, &ctx, "DeregisterImage", json!({"ImageId": "image-1"})), "InvalidAMIID.Malformed");
    assert_eq!(refused(&ec2, &ctx, "DescribeSnapshots", json!({"SnapshotIds": [snap]})), "InvalidSnapshot.NotFound");
}

#[test]
fn deprecation_hides_an_image_from_others_only() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let other = other_account(&ctx);
    let (instance, _) = launch(&ec2, &ctx, &al2023(&ec2, &ctx), json!({}));
    let id = str_at(&call(&ec2, &ctx, "CreateImage", json!({"InstanceId": instance, "Name": "old"})), "/ImageId");
    call(&ec2, &ctx, "ModifyImageAttribute", json!({"ImageId": id, "LaunchPermission": {"Add": [{"Group": "all"}]}}));
    let at = (ctx.now + Duration::minutes(10)).timestamp();
    call(&ec2, &ctx, "EnableImageDeprecation", json!({"ImageId": id, "DeprecateAt": at}));
    let t = later(&ctx, 3600);
    let listed = |c: &RequestContext, extra: bool| {
        let out = call(&ec2, c, "DescribeImages", json!({"Owners": ["000000000000"], "IncludeDeprecated": extra}));
        count(&out, "Images")
    };
    assert_eq!((listed(&t, false), listed(&later(&other, 3600), false)), (1, 0));
    assert_eq!(listed(&later(&other, 3600), true), 1);
    assert!(image(&ec2, &later(&other, 3600), &id)["DeprecationTime"].is_string());
}

fn f(name: &str, values: &[&str]) -> Filter {
    Filter { name: Some(name.into()), values: Some(values.iter().map(|v| v.to_string()).collect()) }
}

#[test]
fn most_recent_al2023_by_name_filter() {
    let state = Ec2State::default();
    let ctx = RequestContext::for_tests();
    let out = describe_images(
        &state,
        &ctx,
        &Shared::default(),
        DescribeImagesRequest {
            owners: Some(vec!["amazon".into()]),
            filters: Some(vec![f("name", &["al2023-ami-2023.*-x86_64"]), f("architecture", &["x86_64"])]),
            ..Default::default()
        },
    )
    .unwrap();
    let images = out.images.unwrap();
    assert!(!images.is_empty(), "a current AL2023 image");
    assert!(images.iter().all(|i| i.name.as_deref().unwrap().starts_with("al2023-ami-2023.")));
    assert!(images.iter().all(|i| !deprecated(i, &ctx)));
}

#[test]
fn unknown_and_malformed_ids() {
    let state = Ec2State::default();
    let ctx = RequestContext::for_tests();
    let req = |id: &str| DescribeImagesRequest { image_ids: Some(vec![id.into()]), ..Default::default() };
    assert_eq!(
        describe_images(&state, &ctx, &Shared::default(), req("ami-0123456789abcdef0")).unwrap_err().code,
        "InvalidAMIID.NotFound"
    );
    assert_eq!(
        describe_images(&state, &ctx, &Shared::default(), req("image-1")).unwrap_err().code,
        "InvalidAMIID.Malformed"
    );
    let first = catalogue::public_images(&ctx.region)[0].image_id.clone().unwrap();
    assert_eq!(describe_images(&state, &ctx, &Shared::default(), req(&first)).unwrap().images.unwrap().len(), 1);
}

#[test]
fn missing_images_are_named_together() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let err = ec2
        .call(&ctx, "DescribeImages", json!({"ImageIds": ["ami-0123456789abcdef0", "ami-0123456789abcdef1"]}))
        .unwrap_err();
    assert_eq!(err.code, "InvalidAMIID.NotFound");
    assert_eq!(err.message, "The image ids '[ami-0123456789abcdef0, ami-0123456789abcdef1]' do not exist");
    let one = ec2.call(&ctx, "DescribeImages", json!({"ImageIds": ["ami-0123456789abcdef0"]})).unwrap_err();
    assert_eq!(one.message, "The image id '[ami-0123456789abcdef0]' does not exist");
}

#[test]
fn register_image_of_a_root_filesystem_on_the_host() {
    let ec2 = with_delay(0);
    let ctx = RequestContext::for_tests();
    let dir = std::env::temp_dir().join(format!("nimbus-rootfs-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    let location = format!("file://{}", dir.display());
    assert_eq!(
        refused(&ec2, &ctx, "RegisterImage", json!({"Name": "mine", "ImageLocation": location})),
        "InvalidParameterValue",
        "no /bin/sh: not a root filesystem"
    );
    assert_eq!(
        refused(&ec2, &ctx, "RegisterImage", json!({"Name": "mine", "ImageLocation": "file://relative/dir"})),
        "InvalidParameterValue"
    );
    std::fs::write(dir.join("bin/sh"), "").unwrap();
    let bdm = json!([{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}]);
    assert_eq!(
        refused(
            &ec2,
            &ctx,
            "RegisterImage",
            json!({"Name": "mine", "ImageLocation": location, "BlockDeviceMappings": bdm})
        ),
        "InvalidParameterCombination"
    );
    let id = str_at(&call(&ec2, &ctx, "RegisterImage", json!({"Name": "mine", "ImageLocation": location})), "/ImageId");
    let img = image(&ec2, &ctx, &id);
    assert_eq!(img["ImageLocation"], location.as_str());
    assert_eq!(img["RootDeviceType"], "ebs");
    assert_eq!(img["VirtualizationType"], "hvm");
    let root = &img["BlockDeviceMappings"][0];
    assert_eq!(root["DeviceName"], "/dev/xvda");
    let snapshot = root["Ebs"]["SnapshotId"].as_str().unwrap().to_string();
    let snap = call(&ec2, &ctx, "DescribeSnapshots", json!({"SnapshotIds": [snapshot]}));
    assert_eq!(snap["Snapshots"][0]["VolumeId"], "vol-ffffffff");
    assert_eq!(snap["Snapshots"][0]["VolumeSize"], 8);
    // Instances launch from it like from any EBS-backed image.
    launch(&ec2, &ctx, &id, json!({}));
    std::fs::remove_dir_all(&dir).unwrap();
}
