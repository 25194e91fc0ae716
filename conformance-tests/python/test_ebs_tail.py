"""The EBS and image long tail through boto3: snapshot storage tiers, snapshot locks, fast
snapshot restores, the Recycle Bin reads and VM import tasks, with AWS's error codes and
DryRun. nimbus's clock is never moved here (other suites share the server); the lifecycles
over time are covered by the unit tests beside the handlers."""

import botocore.exceptions
import pytest

from conftest import ACCOUNT, client, unique


def ec2():
    return client("ec2")


def error_code(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kwargs)
    return e.value.response["Error"]["Code"]


def completed_snapshot(c, size=4):
    vol = c.create_volume(AvailabilityZone="us-east-1a", Size=size)["VolumeId"]
    snap = c.create_snapshot(VolumeId=vol)["SnapshotId"]
    c.get_waiter("snapshot_completed").wait(SnapshotIds=[snap], WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    return vol, snap


def cleanup(c, vol, *snaps):
    for s in snaps:
        c.delete_snapshot(SnapshotId=s)
    c.delete_volume(VolumeId=vol)


def tier_status(c, snap):
    out = c.describe_snapshot_tier_status(Filters=[{"Name": "snapshot-id", "Values": [snap]}])
    return out["SnapshotTierStatuses"][0]


def test_archive_and_restore_a_snapshot():
    c = ec2()
    vol, snap = completed_snapshot(c)
    assert tier_status(c, snap)["StorageTier"] == "standard"
    assert error_code(c.modify_snapshot_tier, SnapshotId=snap, StorageTier="archive", DryRun=True) == "DryRunOperation"
    out = c.modify_snapshot_tier(SnapshotId=snap, StorageTier="archive")
    assert out["SnapshotId"] == snap and "TieringStartTime" in out
    status = tier_status(c, snap)
    assert status["StorageTier"] == "archive"
    assert status["LastTieringOperationStatus"] == "archival-completed"
    assert status["OwnerId"] == ACCOUNT and "ArchivalCompleteTime" in status
    shown = c.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]
    assert shown["StorageTier"] == "archive"
    archived = c.describe_snapshots(OwnerIds=["self"], Filters=[{"Name": "storage-tier", "Values": ["archive"]}])
    assert snap in [s["SnapshotId"] for s in archived["Snapshots"]]
    assert error_code(c.modify_snapshot_tier, SnapshotId=snap, StorageTier="archive") == "IncorrectState"
    assert error_code(c.create_volume, AvailabilityZone="us-east-1a", SnapshotId=snap) == "IncorrectState"
    assert error_code(c.restore_snapshot_tier, SnapshotId=snap) == "MissingParameter"
    assert (
        error_code(c.restore_snapshot_tier, SnapshotId=snap, TemporaryRestoreDays=1, PermanentRestore=True)
        == "InvalidParameterCombination"
    )
    r = c.restore_snapshot_tier(SnapshotId=snap, TemporaryRestoreDays=3)
    assert r["RestoreDuration"] == 3 and r["IsPermanentRestore"] is False
    status = tier_status(c, snap)
    assert status["LastTieringOperationStatus"] == "temporary-restore-completed"
    assert "RestoreExpiryTime" in c.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]
    restored = c.create_volume(AvailabilityZone="us-east-1a", SnapshotId=snap)["VolumeId"]
    c.restore_snapshot_tier(SnapshotId=snap, PermanentRestore=True)
    assert tier_status(c, snap)["StorageTier"] == "standard"
    assert error_code(c.restore_snapshot_tier, SnapshotId=snap, PermanentRestore=True) == "IncorrectState"
    c.delete_volume(VolumeId=restored)
    cleanup(c, vol, snap)
    assert (
        error_code(c.modify_snapshot_tier, SnapshotId="snap-0123456789abcdef0", StorageTier="archive")
        == "InvalidSnapshot.NotFound"
    )
    assert error_code(c.modify_snapshot_tier, SnapshotId="snapshot-1", StorageTier="archive") == "InvalidSnapshotID.Malformed"


def test_locked_snapshots_refuse_deletion():
    c = ec2()
    vol, snap = completed_snapshot(c)
    lock = c.lock_snapshot(SnapshotId=snap, LockMode="governance", LockDuration=1)
    assert lock["LockState"] == "governance" and lock["LockDuration"] == 1
    assert error_code(c.delete_snapshot, SnapshotId=snap) == "IncorrectState"
    listed = c.describe_locked_snapshots(SnapshotIds=[snap])["Snapshots"]
    assert listed[0]["LockState"] == "governance" and listed[0]["OwnerId"] == ACCOUNT
    c.unlock_snapshot(SnapshotId=snap)
    assert c.describe_locked_snapshots(SnapshotIds=[snap])["Snapshots"] == []
    # Compliance with a cooling-off period: unlockable until it ends.
    cool = c.lock_snapshot(SnapshotId=snap, LockMode="compliance", CoolOffPeriod=2, LockDuration=7)
    assert cool["LockState"] == "compliance-cooloff" and "CoolOffPeriodExpiresOn" in cool
    cooling = c.describe_locked_snapshots(Filters=[{"Name": "lock-state", "Values": ["compliance-cooloff"]}])
    assert snap in [s["SnapshotId"] for s in cooling["Snapshots"]]
    assert error_code(c.delete_snapshot, SnapshotId=snap) == "IncorrectState"
    c.unlock_snapshot(SnapshotId=snap)
    assert error_code(c.unlock_snapshot, SnapshotId=snap) == "IncorrectState"
    for kwargs, code in [
        ({"LockMode": "governance"}, "MissingParameter"),
        ({"LockMode": "governance", "LockDuration": 1, "CoolOffPeriod": 1}, "InvalidParameterCombination"),
        ({"LockMode": "compliance", "LockDuration": 1, "CoolOffPeriod": 100}, "InvalidParameterValue"),
        ({"LockMode": "sealed", "LockDuration": 1}, "InvalidParameterValue"),
    ]:
        assert error_code(c.lock_snapshot, SnapshotId=snap, **kwargs) == code, kwargs
    assert error_code(c.lock_snapshot, SnapshotId=snap, LockMode="governance", LockDuration=1, DryRun=True) == "DryRunOperation"
    cleanup(c, vol, snap)


def test_fast_snapshot_restores():
    c = ec2()
    vol, snap = completed_snapshot(c)
    out = c.enable_fast_snapshot_restores(SourceSnapshotIds=[snap], AvailabilityZones=["us-east-1a", "us-east-1b"])
    assert [i["State"] for i in out["Successful"]] == ["enabling", "enabling"]
    assert out["Successful"][0]["OwnerId"] == ACCOUNT and out["Unsuccessful"] == []
    mine = [{"Name": "snapshot-id", "Values": [snap]}]
    shown = c.describe_fast_snapshot_restores(Filters=mine)["FastSnapshotRestores"]
    assert sorted(i["AvailabilityZone"] for i in shown) == ["us-east-1a", "us-east-1b"]
    assert all(i["State"] == "enabled" and "EnabledTime" in i for i in shown)
    off = c.disable_fast_snapshot_restores(SourceSnapshotIds=[snap], AvailabilityZones=["us-east-1a"])
    assert off["Successful"][0]["State"] == "disabling"
    again = c.disable_fast_snapshot_restores(SourceSnapshotIds=[snap], AvailabilityZones=["us-east-1a"])
    assert again["Unsuccessful"][0]["SnapshotId"] == snap
    disabled = c.describe_fast_snapshot_restores(Filters=mine + [{"Name": "state", "Values": ["disabled"]}])
    assert [i["AvailabilityZone"] for i in disabled["FastSnapshotRestores"]] == ["us-east-1a"]
    missing = c.enable_fast_snapshot_restores(
        SourceSnapshotIds=["snap-0123456789abcdef0"], AvailabilityZones=["us-east-1a"]
    )
    error = missing["Unsuccessful"][0]["FastSnapshotRestoreStateErrors"][0]["Error"]
    assert error["Code"] == "InvalidSnapshot.NotFound"
    assert (
        error_code(c.enable_fast_snapshot_restores, SourceSnapshotIds=[snap], AvailabilityZones=["us-east-1z"])
        == "InvalidZone.NotFound"
    )
    assert error_code(c.describe_fast_snapshot_restores, Filters=[{"Name": "colour", "Values": ["x"]}]) == "InvalidParameterValue"
    cleanup(c, vol, snap)
    assert c.describe_fast_snapshot_restores(Filters=mine)["FastSnapshotRestores"] == []


def test_recycle_bin_is_empty_without_retention_rules():
    c = ec2()
    vol, snap = completed_snapshot(c)
    cleanup(c, vol, snap)
    assert c.list_snapshots_in_recycle_bin()["Snapshots"] == []
    assert c.list_images_in_recycle_bin()["Images"] == []
    assert c.list_volumes_in_recycle_bin(VolumeIds=[vol])["Volumes"] == []
    assert error_code(c.restore_snapshot_from_recycle_bin, SnapshotId=snap) == "InvalidSnapshot.NotFound"
    assert error_code(c.restore_volume_from_recycle_bin, VolumeId=vol) == "InvalidVolume.NotFound"
    assert error_code(c.restore_image_from_recycle_bin, ImageId="ami-0123456789abcdef0") == "InvalidAMIID.NotFound"


def test_import_image_and_snapshot_tasks():
    c = ec2()
    name = unique("import")
    out = c.import_image(
        Description="imported web server",
        DiskContainers=[{"Format": "vmdk", "UserBucket": {"S3Bucket": "vm-disks", "S3Key": "web/disk1.vmdk"}}],
        TagSpecifications=[{"ResourceType": "import-image-task", "Tags": [{"Key": "Name", "Value": name}]}],
    )
    task = out["ImportTaskId"]
    assert task.startswith("import-ami-") and out["Status"] == "active"
    found = c.describe_import_image_tasks(
        Filters=[{"Name": "tag:Name", "Values": [name]}, {"Name": "task-state", "Values": ["completed"]}]
    )["ImportImageTasks"]
    assert [t["ImportTaskId"] for t in found] == [task]
    image_id = found[0]["ImageId"]
    snap = found[0]["SnapshotDetails"][0]["SnapshotId"]
    image = c.describe_images(ImageIds=[image_id])["Images"][0]
    assert image["State"] == "available" and image["Name"] == task
    assert c.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]["State"] == "completed"
    assert error_code(c.cancel_import_task, ImportTaskId=task) == "IncorrectState"
    c.deregister_image(ImageId=image_id)
    c.delete_snapshot(SnapshotId=snap)

    snap_task = c.import_snapshot(
        Description="db disk", DiskContainer={"Format": "RAW", "Url": "s3://vm-disks/db/disk.raw"}
    )["ImportTaskId"]
    detail = c.describe_import_snapshot_tasks(ImportTaskIds=[snap_task])["ImportSnapshotTasks"][0]["SnapshotTaskDetail"]
    assert detail["Status"] == "completed" and detail["Format"] == "RAW"
    imported = c.describe_snapshots(SnapshotIds=[detail["SnapshotId"]])["Snapshots"][0]
    assert imported["Description"] == "db disk" and imported["VolumeSize"] == 8
    c.delete_snapshot(SnapshotId=detail["SnapshotId"])

    assert error_code(c.import_image, DiskContainers=[{"Format": "qcow2", "Url": "s3://b-1/k"}]) == "InvalidParameterValue"
    assert error_code(c.import_image, DiskContainers=[{"Format": "RAW", "Url": "ftp://b/k"}]) == "InvalidParameterValue"
    assert error_code(c.import_snapshot) == "MissingParameter"
    assert (
        error_code(c.describe_import_image_tasks, ImportTaskIds=["import-ami-0123456789abcdef0"])
        == "InvalidConversionTaskId"
    )
    assert error_code(c.cancel_import_task, ImportTaskId="not-a-task") == "InvalidConversionTaskId.Malformed"
    assert (
        error_code(c.import_image, DiskContainers=[{"Format": "RAW", "Url": "s3://b-1/k"}], DryRun=True)
        == "DryRunOperation"
    )
