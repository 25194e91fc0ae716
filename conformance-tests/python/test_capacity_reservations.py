"""On-Demand Capacity Reservations with boto3: create, the instances that use them (open
and targeted), modify, cancel, filters and AWS's refusals."""

import botocore.exceptions
import pytest

from conftest import client


@pytest.fixture
def ec2():
    return client("ec2", region="ap-northeast-2")


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def al2023(ec2):
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])
    return images["Images"][0]["ImageId"]


def test_reservation_lifecycle_and_use(ec2):
    image = al2023(ec2)
    cr = ec2.create_capacity_reservation(
        InstanceType="t3.small", InstancePlatform="Linux/UNIX", InstanceCount=2,
        AvailabilityZone="ap-northeast-2a", InstanceMatchCriteria="targeted",
        TagSpecifications=[{"ResourceType": "capacity-reservation", "Tags": [{"Key": "team", "Value": "cap"}]}],
    )["CapacityReservation"]
    cid = cr["CapacityReservationId"]
    assert (cr["State"], cr["TotalInstanceCount"], cr["AvailableInstanceCount"]) == ("active", 2, 2)
    assert cr["CapacityReservationArn"].endswith(f":capacity-reservation/{cid}")
    assert cr["Tags"] == [{"Key": "team", "Value": "cap"}]
    run = ec2.run_instances(
        ImageId=image, InstanceType="t3.small", MinCount=1, MaxCount=1,
        Placement={"AvailabilityZone": "ap-northeast-2a"},
        CapacityReservationSpecification={"CapacityReservationTarget": {"CapacityReservationId": cid}},
    )["Instances"][0]
    assert run["CapacityReservationId"] == cid
    got = ec2.describe_capacity_reservations(CapacityReservationIds=[cid])["CapacityReservations"][0]
    assert got["AvailableInstanceCount"] == 1
    plain = ec2.run_instances(
        ImageId=image, InstanceType="t3.small", MinCount=1, MaxCount=1, Placement={"AvailabilityZone": "ap-northeast-2a"}
    )["Instances"][0]
    assert "CapacityReservationId" not in plain, "a targeted reservation takes only instances that name it"
    assert error(
        ec2.run_instances, ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
        Placement={"AvailabilityZone": "ap-northeast-2a"},
        CapacityReservationSpecification={"CapacityReservationTarget": {"CapacityReservationId": cid}},
    )[0] == "InvalidParameterCombination"
    assert ec2.modify_capacity_reservation(CapacityReservationId=cid, InstanceCount=4)["Return"] is True
    found = ec2.describe_capacity_reservations(Filters=[{"Name": "tag:team", "Values": ["cap"]}])["CapacityReservations"]
    assert [(c["CapacityReservationId"], c["AvailableInstanceCount"]) for c in found] == [(cid, 3)]
    assert ec2.cancel_capacity_reservation(CapacityReservationId=cid)["Return"] is True
    got = ec2.describe_capacity_reservations(CapacityReservationIds=[cid])["CapacityReservations"][0]
    assert (got["State"], got["AvailableInstanceCount"]) == ("cancelled", 0)
    assert error(ec2.cancel_capacity_reservation, CapacityReservationId=cid)[0] == "IncorrectState"
    ec2.terminate_instances(InstanceIds=[run["InstanceId"], plain["InstanceId"]])


def test_refusals(ec2):
    assert error(ec2.describe_capacity_reservations, CapacityReservationIds=["cr-0123456789abcdef0"]) == (
        "InvalidCapacityReservationId.NotFound",
        "The capacity reservation ID 'cr-0123456789abcdef0' does not exist",
    )
    assert error(ec2.cancel_capacity_reservation, CapacityReservationId="nope")[0] == (
        "InvalidCapacityReservationId.Malformed"
    )
    base = dict(InstanceType="t3.small", InstancePlatform="Linux/UNIX", AvailabilityZone="ap-northeast-2a")
    assert error(ec2.create_capacity_reservation, InstanceCount=0, **base)[0] == "InvalidParameterValue"
    assert error(ec2.create_capacity_reservation, InstanceCount=1, EndDateType="limited", **base)[0] == (
        "InvalidParameterCombination"
    )
    assert error(ec2.create_capacity_reservation, InstanceCount=1, DryRun=True, **base)[0] == "DryRunOperation"
