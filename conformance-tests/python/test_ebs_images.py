"""EBS volumes, snapshots and AMIs through boto3: lifecycles with boto3's own waiters,
CreateImage from a running instance and launching it, CopyImage into another region,
sharing an AMI with a second account, tags, and AWS's error codes."""

import re

import botocore.exceptions
import pytest

from conftest import ACCOUNT, client, unique

OTHER_ACCOUNT = "111111111111"
OTHER_KEY = ("AKIACONFORMANCE00001", "conformance/secret/one")
FAST = {"Delay": 1, "MaxAttempts": 20}


def ec2(region="us-east-1"):
    return client("ec2", region=region)


def other_ec2(region="us-east-1"):
    return client("ec2", region=region, access_key=OTHER_KEY[0], secret_key=OTHER_KEY[1])


def error_code(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"]


def tags_of(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def al2023(c):
    images = c.describe_images(
        Owners=["amazon"],
        Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}, {"Name": "state", "Values": ["available"]}],
    )["Images"]
    assert images
    return max(images, key=lambda i: i["CreationDate"])["ImageId"]


def run_one(c, image_id, **kw):
    out = c.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, InstanceType="t3.micro", **kw)
    instance = out["Instances"][0]
    c.get_waiter("instance_running").wait(InstanceIds=[instance["InstanceId"]], WaiterConfig=FAST)
    return instance["InstanceId"], instance["Placement"]["AvailabilityZone"]


@pytest.fixture(scope="module")
def instance():
    c = ec2()
    instance_id, zone = run_one(c, al2023(c))
    yield instance_id, zone
    c.terminate_instances(InstanceIds=[instance_id])


def test_volume_lifecycle_with_waiters(instance):
    c = ec2()
    instance_id, zone = instance
    name = unique("vol")
    vol = c.create_volume(
        AvailabilityZone=zone,
        Size=10,
        VolumeType="gp3",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}]}],
    )
    vid = vol["VolumeId"]
    assert vol["State"] == "creating"
    assert (vol["Iops"], vol["Throughput"], vol["Encrypted"], vol["Size"]) == (3000, 125, False, 10)
    assert tags_of(vol) == {"Name": name}
    c.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig=FAST)

    att = c.attach_volume(VolumeId=vid, InstanceId=instance_id, Device="/dev/sdf")
    assert att["State"] in ("attaching", "attached") and att["Device"] == "/dev/sdf"
    c.get_waiter("volume_in_use").wait(VolumeIds=[vid], WaiterConfig=FAST)
    v = c.describe_volumes(VolumeIds=[vid])["Volumes"][0]
    assert v["Attachments"][0]["InstanceId"] == instance_id
    assert v["Attachments"][0]["State"] == "attached"
    assert v["Attachments"][0]["DeleteOnTermination"] is False
    assert error_code(c.delete_volume, VolumeId=vid) == "VolumeInUse"
    assert error_code(c.attach_volume, VolumeId=vid, InstanceId=instance_id, Device="/dev/sdg") == "VolumeInUse"
    by_instance = c.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])
    assert vid in [x["VolumeId"] for x in by_instance["Volumes"]]

    mod = c.modify_volume(VolumeId=vid, Size=20, Iops=4000, Throughput=250)["VolumeModification"]
    assert mod["ModificationState"] in ("modifying", "optimizing", "completed")
    assert (mod["OriginalSize"], mod["TargetSize"], mod["TargetIops"], mod["TargetThroughput"]) == (10, 20, 4000, 250)
    mods = c.describe_volumes_modifications(VolumeIds=[vid])["VolumesModifications"]
    assert mods[0]["VolumeId"] == vid
    v = c.describe_volumes(VolumeIds=[vid])["Volumes"][0]
    assert (v["Size"], v["Iops"], v["Throughput"]) == (20, 4000, 250)

    c.detach_volume(VolumeId=vid)
    c.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig=FAST)
    assert c.describe_volumes(VolumeIds=[vid])["Volumes"][0]["Attachments"] == []
    c.delete_volume(VolumeId=vid)
    c.get_waiter("volume_deleted").wait(VolumeIds=[vid], WaiterConfig=FAST)
    assert error_code(c.describe_volumes, VolumeIds=[vid]) == "InvalidVolume.NotFound"


def test_volume_errors(instance):
    c = ec2()
    instance_id, zone = instance
    other_zone = "us-east-1b" if zone != "us-east-1b" else "us-east-1c"
    assert error_code(c.create_volume, AvailabilityZone=zone, Size=0) == "InvalidParameterValue"
    assert error_code(c.create_volume, AvailabilityZone=zone, Size=20000) == "InvalidParameterValue"
    assert error_code(c.create_volume, AvailabilityZone=zone, Size=10, VolumeType="io1", Iops=1000) == "InvalidParameterValue"
    assert error_code(c.create_volume, AvailabilityZone=zone, Size=10, VolumeType="gp3", Iops=1000) == "InvalidParameterValue"
    assert error_code(c.create_volume, AvailabilityZone=zone, Size=10, Iops=500) == "InvalidParameterCombination"
    assert error_code(c.create_volume, AvailabilityZone="us-east-1z", Size=10) == "InvalidZone.NotFound"
    assert error_code(c.describe_volumes, VolumeIds=["vol-0123456789abcdef0"]) == "InvalidVolume.NotFound"
    assert error_code(c.delete_volume, VolumeId="vol-0123456789abcdef0") == "InvalidVolume.NotFound"
    assert error_code(c.describe_volumes, VolumeIds=["volume-1"]) == "InvalidVolumeID.Malformed"
    far = c.create_volume(AvailabilityZone=other_zone, Size=1)["VolumeId"]
    c.get_waiter("volume_available").wait(VolumeIds=[far], WaiterConfig=FAST)
    code = error_code(c.attach_volume, VolumeId=far, InstanceId=instance_id, Device="/dev/sdh")
    assert code == "InvalidVolume.ZoneMismatch"
    assert error_code(c.detach_volume, VolumeId=far) == "IncorrectState"
    assert error_code(c.modify_volume, VolumeId=far, Size=0) == "InvalidParameterValue"
    assert c.describe_volumes(VolumeIds=[far])["Volumes"][0]["Size"] == 1
    c.delete_volume(VolumeId=far)


def test_delete_on_termination():
    c = ec2()
    mappings = [
        {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 2, "DeleteOnTermination": True}},
        {"DeviceName": "/dev/sdg", "Ebs": {"VolumeSize": 3, "DeleteOnTermination": False}},
    ]
    instance_id, _ = run_one(c, al2023(c), BlockDeviceMappings=mappings)
    vols = c.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])["Volumes"]
    by_device = {v["Attachments"][0]["Device"]: v for v in vols}
    assert set(by_device) == {"/dev/xvda", "/dev/sdf", "/dev/sdg"}
    assert by_device["/dev/xvda"]["Attachments"][0]["DeleteOnTermination"] is True
    c.terminate_instances(InstanceIds=[instance_id])
    c.get_waiter("instance_terminated").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
    kept = by_device["/dev/sdg"]["VolumeId"]
    gone = [by_device[d]["VolumeId"] for d in ("/dev/xvda", "/dev/sdf")]
    c.get_waiter("volume_deleted").wait(VolumeIds=gone, WaiterConfig=FAST)
    v = c.describe_volumes(VolumeIds=[kept])["Volumes"][0]
    assert v["State"] == "available" and v["Attachments"] == []
    c.delete_volume(VolumeId=kept)


def test_snapshots_copy_share_and_delete(instance):
    c = ec2()
    _, zone = instance
    vid = c.create_volume(AvailabilityZone=zone, Size=5, Encrypted=True)["VolumeId"]
    c.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig=FAST)
    snap = c.create_snapshot(
        VolumeId=vid,
        Description="conformance",
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "kind", "Value": "backup"}]}],
    )
    sid = snap["SnapshotId"]
    assert snap["State"] == "pending" and snap["VolumeId"] == vid and snap["OwnerId"] == ACCOUNT
    assert tags_of(snap) == {"kind": "backup"}
    c.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], WaiterConfig=FAST)
    s = c.describe_snapshots(SnapshotIds=[sid])["Snapshots"][0]
    assert (s["State"], s["Progress"], s["VolumeSize"], s["Encrypted"]) == ("completed", "100%", 5, True)
    assert s["KmsKeyId"].startswith("arn:aws:kms:us-east-1:")
    mine = c.describe_snapshots(OwnerIds=["self"], Filters=[{"Name": "tag:kind", "Values": ["backup"]}])
    assert sid in [x["SnapshotId"] for x in mine["Snapshots"]]

    copy = c.copy_snapshot(SourceSnapshotId=sid, SourceRegion="us-east-1", Description="copy")["SnapshotId"]
    c.get_waiter("snapshot_completed").wait(SnapshotIds=[copy], WaiterConfig=FAST)
    c.create_tags(Resources=[copy], Tags=[{"Key": "copy", "Value": "yes"}])
    assert tags_of(c.describe_snapshots(SnapshotIds=[copy])["Snapshots"][0]) == {"copy": "yes"}
    eu = ec2("eu-west-1")
    there = eu.copy_snapshot(SourceSnapshotId=sid, SourceRegion="us-east-1")["SnapshotId"]
    eu.get_waiter("snapshot_completed").wait(SnapshotIds=[there], WaiterConfig=FAST)
    assert eu.describe_snapshots(SnapshotIds=[there])["Snapshots"][0]["VolumeSize"] == 5

    restored = c.create_volume(AvailabilityZone=zone, SnapshotId=sid)
    assert (restored["Size"], restored["SnapshotId"], restored["Encrypted"]) == (5, sid, True)
    assert error_code(c.create_volume, AvailabilityZone=zone, SnapshotId=sid, Size=1) == "InvalidParameterValue"

    other = other_ec2()
    assert error_code(other.describe_snapshots, SnapshotIds=[sid]) == "InvalidSnapshot.NotFound"
    c.modify_snapshot_attribute(
        SnapshotId=sid, Attribute="createVolumePermission", OperationType="add", UserIds=[OTHER_ACCOUNT]
    )
    perms = c.describe_snapshot_attribute(SnapshotId=sid, Attribute="createVolumePermission")
    assert perms["CreateVolumePermissions"] == [{"UserId": OTHER_ACCOUNT}]
    seen = other.describe_snapshots(RestorableByUserIds=["self"], OwnerIds=[ACCOUNT])["Snapshots"]
    assert [x["SnapshotId"] for x in seen] == [sid]
    assert "Tags" not in seen[0] or seen[0]["Tags"] == []
    c.reset_snapshot_attribute(SnapshotId=sid, Attribute="createVolumePermission")
    assert error_code(other.describe_snapshots, SnapshotIds=[sid]) == "InvalidSnapshot.NotFound"

    for snapshot_id in (copy, sid):
        c.delete_snapshot(SnapshotId=snapshot_id)
    eu.delete_snapshot(SnapshotId=there)
    assert error_code(c.describe_snapshots, SnapshotIds=[sid]) == "InvalidSnapshot.NotFound"
    assert error_code(c.delete_snapshot, SnapshotId=sid) == "InvalidSnapshot.NotFound"
    assert error_code(c.delete_snapshot, SnapshotId="snapshot-1") == "InvalidSnapshotID.Malformed"
    assert error_code(c.create_snapshot, VolumeId="vol-0123456789abcdef0") == "InvalidVolume.NotFound"
    c.delete_volume(VolumeId=restored["VolumeId"])
    c.delete_volume(VolumeId=vid)


def test_create_image_launch_share_copy_deregister(instance):
    c = ec2()
    instance_id, _ = instance
    name = unique("web")
    image_id = c.create_image(
        InstanceId=instance_id,
        Name=name,
        Description="conformance image",
        TagSpecifications=[
            {"ResourceType": "image", "Tags": [{"Key": "app", "Value": "web"}]},
            {"ResourceType": "snapshot", "Tags": [{"Key": "of", "Value": name}]},
        ],
    )["ImageId"]
    assert re.fullmatch(r"ami-[0-9a-f]{17}", image_id)
    c.get_waiter("image_exists").wait(ImageIds=[image_id], WaiterConfig=FAST)
    c.get_waiter("image_available").wait(ImageIds=[image_id], WaiterConfig=FAST)
    img = c.describe_images(ImageIds=[image_id])["Images"][0]
    assert img["Name"] == name and img["Description"] == "conformance image"
    assert img["State"] == "available"
    assert img["ImageLocation"] == f"{ACCOUNT}/{name}"
    assert img["OwnerId"] == ACCOUNT
    assert img["Public"] is False
    assert img["PlatformDetails"] == "Linux/UNIX"
    assert img["UsageOperation"] == "RunInstances"
    assert img["RootDeviceName"] == "/dev/xvda" and img["RootDeviceType"] == "ebs"
    assert img["ImageType"] == "machine" and img["Architecture"] == "x86_64"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", img["CreationDate"])
    assert tags_of(img) == {"app": "web"}
    root = [m for m in img["BlockDeviceMappings"] if m["DeviceName"] == "/dev/xvda"][0]
    snap_id = root["Ebs"]["SnapshotId"]
    assert root["Ebs"]["DeleteOnTermination"] is True
    c.get_waiter("snapshot_completed").wait(SnapshotIds=[snap_id], WaiterConfig=FAST)
    snap = c.describe_snapshots(SnapshotIds=[snap_id])["Snapshots"][0]
    assert tags_of(snap) == {"of": name}
    assert error_code(c.delete_snapshot, SnapshotId=snap_id) == "InvalidSnapshot.InUse"
    assert error_code(c.create_image, InstanceId=instance_id, Name=name) == "InvalidAMIName.Duplicate"
    assert error_code(c.create_image, InstanceId=instance_id, Name="bad*name") == "InvalidAMIName.Malformed"
    mine = c.describe_images(Owners=["self"])["Images"]
    assert image_id in [i["ImageId"] for i in mine]
    c.create_tags(Resources=[image_id], Tags=[{"Key": "stage", "Value": "prod"}])
    tagged = c.describe_images(Owners=["self"], Filters=[{"Name": "tag:stage", "Values": ["prod"]}])["Images"]
    assert [i["ImageId"] for i in tagged] == [image_id]

    # Launch from it.
    launched, _ = run_one(c, image_id)
    desc = c.describe_instances(InstanceIds=[launched])["Reservations"][0]["Instances"][0]
    assert desc["ImageId"] == image_id
    vols = c.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [launched]}])["Volumes"]
    assert snap_id in [v["SnapshotId"] for v in vols]
    c.terminate_instances(InstanceIds=[launched])

    # Share with the second account.
    other = other_ec2()
    assert error_code(other.describe_images, ImageIds=[image_id]) == "InvalidAMIID.NotFound"
    c.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"UserId": OTHER_ACCOUNT}]})
    perms = c.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")["LaunchPermissions"]
    assert perms == [{"UserId": OTHER_ACCOUNT}]
    shared = other.describe_images(ExecutableUsers=["self"])["Images"]
    assert image_id in [i["ImageId"] for i in shared]
    seen = other.describe_images(ImageIds=[image_id])["Images"][0]
    assert seen["OwnerId"] == ACCOUNT and seen["Public"] is False
    assert "Tags" not in seen or seen["Tags"] == []
    assert image_id not in [i["ImageId"] for i in other.describe_images(Owners=["self"])["Images"]]
    code = error_code(other.modify_image_attribute, ImageId=image_id, Description={"Value": "mine now"})
    assert code == "AuthFailure"
    code = error_code(
        c.modify_image_attribute, ImageId=image_id, LaunchPermission={"Add": [{"UserId": "not-an-account"}]}
    )
    assert code == "InvalidAMIAttributeItemValue"
    c.reset_image_attribute(ImageId=image_id, Attribute="launchPermission")
    assert error_code(other.describe_images, ImageIds=[image_id]) == "InvalidAMIID.NotFound"
    assert image_id not in [i["ImageId"] for i in other.describe_images(ExecutableUsers=["self"])["Images"]]

    # Copy into another region.
    eu = ec2("eu-west-1")
    copy_id = eu.copy_image(SourceImageId=image_id, SourceRegion="us-east-1", Name=name + "-eu", CopyImageTags=True)[
        "ImageId"
    ]
    eu.get_waiter("image_available").wait(ImageIds=[copy_id], WaiterConfig=FAST)
    copied = eu.describe_images(ImageIds=[copy_id])["Images"][0]
    assert copied["SourceImageId"] == image_id and copied["SourceImageRegion"] == "us-east-1"
    assert copied["OwnerId"] == ACCOUNT and copied["ImageLocation"] == f"{ACCOUNT}/{name}-eu"
    assert tags_of(copied) == {"app": "web", "stage": "prod"}
    copied_snap = copied["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    assert eu.describe_snapshots(SnapshotIds=[copied_snap])["Snapshots"][0]["OwnerId"] == ACCOUNT
    assert error_code(eu.describe_images, ImageIds=[image_id]) == "InvalidAMIID.NotFound"
    assert error_code(c.describe_images, ImageIds=[copy_id]) == "InvalidAMIID.NotFound"
    code = error_code(other_ec2("eu-west-1").copy_image, SourceImageId=image_id, SourceRegion="us-east-1", Name=unique("x"))
    assert code == "InvalidAMIID.NotFound"
    out = eu.deregister_image(ImageId=copy_id, DeleteAssociatedSnapshots=True)
    assert [r["ReturnCode"] for r in out["DeleteSnapshotResults"]] == ["success"]

    # Deregister.
    c.enable_image_deregistration_protection(ImageId=image_id)
    assert error_code(c.deregister_image, ImageId=image_id) == "OperationNotPermitted"
    c.disable_image_deregistration_protection(ImageId=image_id)
    c.deregister_image(ImageId=image_id)
    assert error_code(c.describe_images, ImageIds=[image_id]) == "InvalidAMIID.NotFound"
    assert error_code(c.deregister_image, ImageId=image_id) == "InvalidAMIID.NotFound"
    c.delete_snapshot(SnapshotId=snap_id)


def test_register_image_from_a_snapshot(instance):
    c = ec2()
    _, zone = instance
    vid = c.create_volume(AvailabilityZone=zone, Size=8)["VolumeId"]
    c.get_waiter("volume_available").wait(VolumeIds=[vid], WaiterConfig=FAST)
    sid = c.create_snapshot(VolumeId=vid)["SnapshotId"]
    c.get_waiter("snapshot_completed").wait(SnapshotIds=[sid], WaiterConfig=FAST)
    name = unique("registered")
    image_id = c.register_image(
        Name=name,
        Architecture="x86_64",
        RootDeviceName="/dev/xvda",
        VirtualizationType="hvm",
        EnaSupport=True,
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": sid, "VolumeType": "gp3"}}],
        TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "how", "Value": "registered"}]}],
    )["ImageId"]
    c.get_waiter("image_available").wait(ImageIds=[image_id], WaiterConfig=FAST)
    img = c.describe_images(ImageIds=[image_id])["Images"][0]
    ebs = img["BlockDeviceMappings"][0]["Ebs"]
    assert (ebs["SnapshotId"], ebs["VolumeSize"], ebs["VolumeType"]) == (sid, 8, "gp3")
    assert tags_of(img) == {"how": "registered"}
    code = error_code(
        c.register_image,
        Name=unique("small"),
        RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": sid, "VolumeSize": 2}}],
    )
    assert code == "InvalidBlockDeviceMapping"
    assert error_code(c.delete_snapshot, SnapshotId=sid) == "InvalidSnapshot.InUse"
    c.deregister_image(ImageId=image_id)
    c.delete_snapshot(SnapshotId=sid)
    c.delete_volume(VolumeId=vid)


def test_image_errors():
    c = ec2()
    assert error_code(c.describe_images, ImageIds=["ami-0123456789abcdef0"]) == "InvalidAMIID.NotFound"
    assert error_code(c.describe_images, ImageIds=["image-1"]) == "InvalidAMIID.Malformed"
    assert error_code(c.deregister_image, ImageId="ami-0123456789abcdef0") == "InvalidAMIID.NotFound"
    code = error_code(c.run_instances, ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1)
    assert code == "InvalidAMIID.NotFound"
    code = error_code(c.create_image, InstanceId="i-0123456789abcdef0", Name=unique("img"))
    assert code == "InvalidInstanceID.NotFound"
    code = error_code(
        c.copy_image, SourceImageId="ami-0123456789abcdef0", SourceRegion="us-east-1", Name=unique("img")
    )
    assert code == "InvalidAMIID.NotFound"
    assert error_code(c.describe_snapshots, SnapshotIds=["snap-0123456789abcdef0"]) == "InvalidSnapshot.NotFound"
