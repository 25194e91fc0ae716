"""Placement groups and detailed monitoring with boto3: the strategies and their
defaults, AWS's refusals, instances placed by RunInstances, Monitor/UnmonitorInstances."""

import botocore.exceptions
import pytest

from conftest import client, unique


@pytest.fixture
def ec2():
    return client("ec2", region="ap-southeast-2")


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def al2023(ec2):
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])
    return images["Images"][0]["ImageId"]


def test_strategies_defaults_and_refusals(ec2):
    name = unique("pg")
    group = ec2.create_placement_group(GroupName=name, Strategy="partition")["PlacementGroup"]
    assert (group["Strategy"], group["PartitionCount"], group["State"]) == ("partition", 2, "available")
    assert group["GroupId"].startswith("pg-")
    assert error(ec2.create_placement_group, GroupName=name, Strategy="cluster") == (
        "InvalidPlacementGroup.Duplicate",
        f"The placement group '{name}' already exists.",
    )
    code, _ = error(ec2.create_placement_group, GroupName=unique("pg"), Strategy="partition", PartitionCount=9)
    assert code == "InvalidParameterValue"
    assert error(ec2.describe_placement_groups, GroupNames=["no-such-group"]) == (
        "InvalidPlacementGroup.Unknown",
        "The Placement Group 'no-such-group' is unknown.",
    )
    code, _ = error(ec2.create_placement_group, GroupName=unique("pg"), Strategy="cluster", DryRun=True)
    assert code == "DryRunOperation"
    ec2.delete_placement_group(GroupName=name)
    assert error(ec2.delete_placement_group, GroupName=name)[0] == "InvalidPlacementGroup.Unknown"


def test_instances_in_groups_and_monitoring(ec2):
    name = unique("pg")
    ec2.create_placement_group(GroupName=name, Strategy="cluster")
    image = al2023(ec2)
    run = ec2.run_instances(
        ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
        Placement={"GroupName": name, "AvailabilityZone": "ap-southeast-2a"},
    )
    instance = run["Instances"][0]
    assert instance["Placement"]["GroupName"] == name
    code, message = error(
        ec2.run_instances, ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
        Placement={"GroupName": name, "AvailabilityZone": "ap-southeast-2b"},
    )
    assert code == "InvalidPlacementGroup.InUse" and message.endswith("ap-southeast-2a")
    assert error(ec2.delete_placement_group, GroupName=name)[0] == "InvalidPlacementGroup.InUse"

    iid = instance["InstanceId"]
    on = ec2.monitor_instances(InstanceIds=[iid])["InstanceMonitorings"][0]
    assert on == {"InstanceId": iid, "Monitoring": {"State": "pending"}}
    described = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert described["Monitoring"]["State"] == "enabled"
    off = ec2.unmonitor_instances(InstanceIds=[iid])["InstanceMonitorings"][0]
    assert off["Monitoring"]["State"] == "disabling"
    assert error(ec2.monitor_instances, InstanceIds=["i-0123456789abcdef0"])[0] == "InvalidInstanceID.NotFound"

    ec2.terminate_instances(InstanceIds=[iid])
    ec2.delete_placement_group(GroupName=name)
