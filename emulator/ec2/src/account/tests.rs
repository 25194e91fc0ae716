use nimbus_core::RequestContext;
use serde_json::json;

use crate::testing::{al2023, call, launch, refused, str_at};
use crate::Ec2;

#[test]
fn encryption_by_default_encrypts_new_volumes_with_the_default_key() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let volume = |ec2: &Ec2| {
        let out = call(ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1a", "Size": 8}));
        (out["Encrypted"].as_bool().unwrap(), out["KmsKeyId"].as_str().map(str::to_string))
    };
    assert_eq!(volume(&ec2), (false, None));
    assert_eq!(call(&ec2, &ctx, "EnableEbsEncryptionByDefault", json!({}))["EbsEncryptionByDefault"], true);
    assert_eq!(call(&ec2, &ctx, "GetEbsEncryptionByDefault", json!({}))["EbsEncryptionByDefault"], true);
    let aws_managed = "arn:aws:kms:us-east-1:000000000000:alias/aws/ebs";
    assert_eq!(volume(&ec2), (true, Some(aws_managed.into())));
    let key = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    assert_eq!(str_at(&call(&ec2, &ctx, "ModifyEbsDefaultKmsKeyId", json!({"KmsKeyId": key})), "/KmsKeyId"), key);
    assert_eq!(volume(&ec2), (true, Some(key.into())));
    let image = al2023(&ec2, &ctx);
    let (id, _) = launch(&ec2, &ctx, &image, json!({}));
    let vols =
        call(&ec2, &ctx, "DescribeVolumes", json!({"Filters": [{"Name": "attachment.instance-id", "Values": [id]}]}));
    assert_eq!(vols["Volumes"][0]["Encrypted"], true, "the root volume too");
    assert_eq!(str_at(&call(&ec2, &ctx, "ResetEbsDefaultKmsKeyId", json!({})), "/KmsKeyId"), aws_managed);
    let wrong_region = json!({"KmsKeyId": "arn:aws:kms:eu-west-1:000000000000:key/1234"});
    assert_eq!(refused(&ec2, &ctx, "ModifyEbsDefaultKmsKeyId", wrong_region), "InvalidParameterValue");
    call(&ec2, &ctx, "DisableEbsEncryptionByDefault", json!({}));
    assert!(!volume(&ec2).0);
}

#[test]
fn metadata_defaults_apply_where_the_request_is_silent() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    call(&ec2, &ctx, "ModifyInstanceMetadataDefaults", json!({"HttpTokens": "required", "HttpPutResponseHopLimit": 3}));
    let got = call(&ec2, &ctx, "GetInstanceMetadataDefaults", json!({}));
    assert_eq!(
        (got["AccountLevel"]["HttpTokens"].clone(), got["AccountLevel"]["HttpPutResponseHopLimit"].clone()),
        (json!("required"), json!(3))
    );
    let image = al2023(&ec2, &ctx);
    let (id, _) = launch(&ec2, &ctx, &image, json!({"MetadataOptions": {"HttpPutResponseHopLimit": 1}}));
    let out = call(&ec2, &ctx, "DescribeInstances", json!({ "InstanceIds": [id] }));
    assert_eq!(str_at(&out, "/Reservations/0/Instances/0/MetadataOptions/HttpTokens"), "required");
    assert_eq!(out["Reservations"][0]["Instances"][0]["MetadataOptions"]["HttpPutResponseHopLimit"], 1);
    call(
        &ec2,
        &ctx,
        "ModifyInstanceMetadataDefaults",
        json!({"HttpTokens": "no-preference", "HttpPutResponseHopLimit": -1}),
    );
    assert_eq!(call(&ec2, &ctx, "GetInstanceMetadataDefaults", json!({}))["AccountLevel"], json!({}));
    assert_eq!(
        refused(&ec2, &ctx, "ModifyInstanceMetadataDefaults", json!({"HttpTokens": "maybe"})),
        "InvalidParameterValue"
    );
}

#[test]
fn block_public_access_keeps_images_and_snapshots_private() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    assert_eq!(
        str_at(&call(&ec2, &ctx, "GetImageBlockPublicAccessState", json!({})), "/ImageBlockPublicAccessState"),
        "unblocked"
    );
    call(&ec2, &ctx, "EnableImageBlockPublicAccess", json!({"ImageBlockPublicAccessState": "block-new-sharing"}));
    let image = al2023(&ec2, &ctx);
    let (instance, _) = launch(&ec2, &ctx, &image, json!({}));
    let ami = str_at(&call(&ec2, &ctx, "CreateImage", json!({"InstanceId": instance, "Name": "baked"})), "/ImageId");
    let public = json!({"ImageId": ami, "LaunchPermission": {"Add": [{"Group": "all"}]}});
    assert_eq!(refused(&ec2, &ctx, "ModifyImageAttribute", public.clone()), "OperationNotPermitted");
    call(
        &ec2,
        &ctx,
        "ModifyImageAttribute",
        json!({"ImageId": ami, "LaunchPermission": {"Add": [{"UserId": "111122223333"}]}}),
    );
    call(&ec2, &ctx, "DisableImageBlockPublicAccess", json!({}));
    call(&ec2, &ctx, "ModifyImageAttribute", public);

    let volume =
        str_at(&call(&ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1a", "Size": 1})), "/VolumeId");
    let snapshot = str_at(&call(&ec2, &ctx, "CreateSnapshot", json!({"VolumeId": volume})), "/SnapshotId");
    call(&ec2, &ctx, "EnableSnapshotBlockPublicAccess", json!({"State": "block-all-sharing"}));
    assert_eq!(
        str_at(&call(&ec2, &ctx, "GetSnapshotBlockPublicAccessState", json!({})), "/State"),
        "block-all-sharing"
    );
    let share = json!({"SnapshotId": snapshot, "Attribute": "createVolumePermission", "OperationType": "add", "GroupNames": ["all"]});
    assert_eq!(refused(&ec2, &ctx, "ModifySnapshotAttribute", share), "OperationNotPermitted");
}

#[test]
fn serial_console_and_account_attributes() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    assert_eq!(call(&ec2, &ctx, "GetSerialConsoleAccessStatus", json!({}))["SerialConsoleAccessEnabled"], false);
    call(&ec2, &ctx, "EnableSerialConsoleAccess", json!({}));
    assert_eq!(call(&ec2, &ctx, "GetSerialConsoleAccessStatus", json!({}))["SerialConsoleAccessEnabled"], true);
    let attrs = call(
        &ec2,
        &ctx,
        "DescribeAccountAttributes",
        json!({"AttributeNames": ["default-vpc", "supported-platforms"]}),
    );
    let list = attrs["AccountAttributes"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["AttributeName"], "supported-platforms");
    assert_eq!(list[0]["AttributeValues"][0]["AttributeValue"], "VPC");
    assert!(list[1]["AttributeValues"][0]["AttributeValue"].as_str().unwrap().starts_with("vpc-"));
    assert_eq!(
        refused(&ec2, &ctx, "DescribeAccountAttributes", json!({"AttributeNames": ["nope"]})),
        "InvalidParameterValue"
    );
}
