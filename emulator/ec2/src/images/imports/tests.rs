use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{call, later, refused, str_at, with_delay};
use crate::Ec2;

fn image_task(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
    call(ec2, ctx, "DescribeImportImageTasks", json!({"ImportTaskIds": [id]}))["ImportImageTasks"][0].clone()
}

fn bucket_disk() -> Value {
    json!([{"Format": "raw", "UserBucket": {"S3Bucket": "vm-images", "S3Key": "disks/web.raw"}}])
}

#[test]
fn an_image_import_registers_its_ami_when_it_completes() {
    let ec2 = with_delay(10);
    let ctx = RequestContext::for_tests();
    let tags = json!([{"ResourceType": "import-image-task", "Tags": [{"Key": "Name", "Value": "web"}]}]);
    let input = json!({"DiskContainers": bucket_disk(), "Description": "web server", "TagSpecifications": tags,
        "ClientData": {"UploadSize": 2.5}});
    let out = call(&ec2, &ctx, "ImportImage", input);
    let id = str_at(&out, "/ImportTaskId");
    assert!(id.starts_with("import-ami-"));
    assert_eq!((out["Status"].clone(), out["StatusMessage"].clone()), (json!("active"), json!("pending")));
    assert_eq!(out["SnapshotDetails"][0]["Format"], "RAW");
    assert_eq!(out["SnapshotDetails"][0]["DiskImageSize"], 3.0 * 1_073_741_824.0);
    assert_eq!(out["Tags"][0]["Value"], "web");
    assert_eq!(image_task(&ec2, &later(&ctx, 10), &id)["StatusMessage"], "converting");
    // As Ansible's ec2_import_image looks its task up.
    let by_name =
        json!({"Filters": [{"Name": "tag:Name", "Values": ["web"]}, {"Name": "task-state", "Values": ["active"]}]});
    assert_eq!(
        call(&ec2, &later(&ctx, 10), "DescribeImportImageTasks", by_name.clone())["ImportImageTasks"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let done = later(&ctx, 20);
    let t = image_task(&ec2, &done, &id);
    assert_eq!(t["Status"], "completed");
    assert!(t.get("StatusMessage").is_none());
    let ami = str_at(&t, "/ImageId");
    let snap = str_at(&t, "/SnapshotDetails/0/SnapshotId");
    let img = call(&ec2, &done, "DescribeImages", json!({"ImageIds": [ami]}))["Images"][0].clone();
    assert_eq!((img["State"].clone(), img["Name"].clone()), (json!("available"), json!(id)));
    assert_eq!(img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"], snap.as_str());
    assert_eq!(img["RootDeviceName"], "/dev/sda1");
    let s = call(&ec2, &done, "DescribeSnapshots", json!({"SnapshotIds": [snap]}))["Snapshots"][0].clone();
    assert_eq!((s["State"].clone(), s["VolumeSize"].clone()), (json!("completed"), json!(3)));
    assert_eq!(call(&ec2, &done, "DescribeImportImageTasks", by_name)["ImportImageTasks"], json!([]));
    assert_eq!(refused(&ec2, &done, "CancelImportTask", json!({"ImportTaskId": id})), "IncorrectState");
    // Finished tasks are listed for seven days.
    assert_eq!(
        refused(&ec2, &later(&ctx, 20 + 7 * 86_400), "DescribeImportImageTasks", json!({"ImportTaskIds": [id]})),
        "InvalidConversionTaskId"
    );
}

#[test]
fn a_cancelled_task_makes_nothing() {
    let ec2 = with_delay(10);
    let ctx = RequestContext::for_tests();
    let out = call(&ec2, &ctx, "ImportImage", json!({"DiskContainers": bucket_disk()}));
    let id = str_at(&out, "/ImportTaskId");
    let c = call(&ec2, &ctx, "CancelImportTask", json!({"ImportTaskId": id, "CancelReason": "wrong disk"}));
    assert_eq!((c["PreviousState"].clone(), c["State"].clone()), (json!("active"), json!("deleting")));
    assert_eq!(image_task(&ec2, &ctx, &id)["Status"], "deleting");
    let t = image_task(&ec2, &later(&ctx, 30), &id);
    assert_eq!((t["Status"].clone(), t["StatusMessage"].clone()), (json!("deleted"), json!("wrong disk")));
    assert!(t.get("ImageId").is_none());
    let mine = call(&ec2, &later(&ctx, 30), "DescribeImages", json!({"Owners": ["self"]}));
    assert_eq!(mine["Images"], json!([]));
    assert_eq!(refused(&ec2, &ctx, "CancelImportTask", json!({"ImportTaskId": id})), "IncorrectState");
    assert_eq!(
        refused(&ec2, &ctx, "CancelImportTask", json!({"ImportTaskId": "import-ami-0123456789abcdef0"})),
        "InvalidConversionTaskId"
    );
    assert_eq!(
        refused(&ec2, &ctx, "CancelImportTask", json!({"ImportTaskId": "ami-1"})),
        "InvalidConversionTaskId.Malformed"
    );
}

#[test]
fn a_snapshot_import_and_an_image_from_it() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let disk = json!({"Format": "VMDK", "Url": "s3://vm-images/disks/db.vmdk"});
    let out = call(&ec2, &ctx, "ImportSnapshot", json!({"DiskContainer": disk, "Description": "db disk"}));
    let id = str_at(&out, "/ImportTaskId");
    assert!(id.starts_with("import-snap-"));
    assert_eq!(out["SnapshotTaskDetail"]["Status"], "active");
    let tasks = call(&ec2, &ctx, "DescribeImportSnapshotTasks", json!({"ImportTaskIds": [id]}));
    let detail = tasks["ImportSnapshotTasks"][0]["SnapshotTaskDetail"].clone();
    assert_eq!(
        (detail["Status"].clone(), detail["Url"].clone()),
        (json!("completed"), json!("s3://vm-images/disks/db.vmdk"))
    );
    let snap = str_at(&detail, "/SnapshotId");
    let s = call(&ec2, &ctx, "DescribeSnapshots", json!({"SnapshotIds": [snap]}))["Snapshots"][0].clone();
    assert_eq!((s["Description"].clone(), s["VolumeSize"].clone()), (json!("db disk"), json!(8)));
    let from = json!({"DiskContainers": [{"SnapshotId": snap}], "Platform": "Windows"});
    let task = str_at(&call(&ec2, &ctx, "ImportImage", from), "/ImportTaskId");
    let ami = str_at(&image_task(&ec2, &ctx, &task), "/ImageId");
    let img = call(&ec2, &ctx, "DescribeImages", json!({"ImageIds": [ami]}))["Images"][0].clone();
    assert_eq!(img["Platform"], "windows");
    let tagged = call(&ec2, &ctx, "DescribeTags", json!({"Filters": [{"Name": "resource-id", "Values": [id]}]}));
    assert_eq!(tagged["Tags"], json!([]));
    call(&ec2, &ctx, "CreateTags", json!({"Resources": [id], "Tags": [{"Key": "k", "Value": "v"}]}));
    let tagged = call(&ec2, &ctx, "DescribeTags", json!({"Filters": [{"Name": "resource-id", "Values": [id]}]}));
    assert_eq!(tagged["Tags"][0]["ResourceType"], "import-snapshot-task");
}

#[test]
fn bad_imports_are_refused() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let disk = |d: Value| json!({"DiskContainers": [d]});
    for (op, input, code) in [
        ("ImportImage", json!({}), "MissingParameter"),
        ("ImportImage", disk(json!({"Format": "qcow2", "Url": "s3://b-1/k"})), "InvalidParameterValue"),
        ("ImportImage", disk(json!({"Url": "s3://b-1/k"})), "MissingParameter"),
        ("ImportImage", disk(json!({"Format": "RAW", "Url": "ftp://b/k"})), "InvalidParameterValue"),
        ("ImportImage", disk(json!({"Format": "RAW", "Url": "s3://bucket-only"})), "InvalidParameterValue"),
        (
            "ImportImage",
            disk(json!({"Format": "RAW", "UserBucket": {"S3Bucket": "Bad_Bucket", "S3Key": "k"}})),
            "InvalidParameterValue",
        ),
        ("ImportImage", disk(json!({"Format": "RAW", "UserBucket": {"S3Bucket": "good-bucket"}})), "MissingParameter"),
        (
            "ImportImage",
            disk(json!({"Format": "RAW", "Url": "s3://b-1/k", "UserBucket": {"S3Bucket": "b-1", "S3Key": "k"}})),
            "InvalidParameterCombination",
        ),
        ("ImportImage", disk(json!({"SnapshotId": "snap-0123456789abcdef0"})), "InvalidSnapshot.NotFound"),
        ("ImportImage", json!({"DiskContainers": bucket_disk(), "Architecture": "sparc"}), "InvalidParameterValue"),
        ("ImportImage", json!({"DiskContainers": bucket_disk(), "KmsKeyId": "alias/x"}), "InvalidParameterDependency"),
        (
            "ImportImage",
            json!({"DiskContainers": bucket_disk(), "TagSpecifications": [{"ResourceType": "image", "Tags": [{"Key": "a", "Value": "b"}]}]}),
            "InvalidParameterValue",
        ),
        ("ImportSnapshot", json!({}), "MissingParameter"),
        ("ImportSnapshot", json!({"DiskContainer": {"Format": "OVA", "Url": "s3://b-1/k"}}), "InvalidParameterValue"),
        (
            "DescribeImportImageTasks",
            json!({"ImportTaskIds": ["import-ami-0123456789abcdef0"]}),
            "InvalidConversionTaskId",
        ),
        ("DescribeImportSnapshotTasks", json!({"ImportTaskIds": ["nope"]}), "InvalidConversionTaskId.Malformed"),
        (
            "DescribeImportImageTasks",
            json!({"Filters": [{"Name": "colour", "Values": ["x"]}]}),
            "InvalidParameterValue",
        ),
    ] {
        assert_eq!(refused(&ec2, &ctx, op, input.clone()), code, "{op} {input}");
    }
}
