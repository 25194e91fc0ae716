"""What an instance's owner changes after launch, with boto3: maintenance and private DNS
name options, moving a stopped instance into a capacity reservation, CPU options,
ResetInstanceAttribute, the account's default credits per burstable family, and a VPC's
tenancy; each with AWS's refusals."""

import botocore.exceptions
import pytest

from conftest import client


@pytest.fixture
def ec2():
    return client("ec2", region="eu-north-1")


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"]


def al2023(ec2):
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])
    return images["Images"][0]["ImageId"]


def launch(ec2, **kw):
    args = {"ImageId": al2023(ec2), "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1, **kw}
    iid = ec2.run_instances(**args)["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1})
    return iid


def stop(ec2, iid):
    ec2.stop_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1})


def instance(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def test_maintenance_and_dns_name_options(ec2):
    iid = launch(ec2, MaintenanceOptions={"AutoRecovery": "disabled"},
                 PrivateDnsNameOptions={"HostnameType": "resource-name", "EnableResourceNameDnsARecord": True})
    got = instance(ec2, iid)
    assert got["MaintenanceOptions"]["AutoRecovery"] == "disabled"
    assert got["PrivateDnsNameOptions"] == {
        "HostnameType": "resource-name", "EnableResourceNameDnsARecord": True, "EnableResourceNameDnsAAAARecord": False}
    out = ec2.modify_instance_maintenance_options(InstanceId=iid, AutoRecovery="default")
    assert (out["InstanceId"], out["AutoRecovery"]) == (iid, "default")
    assert error(ec2.modify_instance_maintenance_options, InstanceId=iid, AutoRecovery="never") == "InvalidParameterValue"
    assert error(ec2.modify_instance_maintenance_options, InstanceId="i-0123456789abcdef0",
                 AutoRecovery="default") == "InvalidInstanceID.NotFound"
    assert ec2.modify_private_dns_name_options(InstanceId=iid, EnableResourceNameDnsAAAARecord=True)["Return"] is True
    assert error(ec2.modify_private_dns_name_options, InstanceId=iid,
                 PrivateDnsHostnameType="ip-name") == "IncorrectInstanceState"
    stop(ec2, iid)
    ec2.modify_private_dns_name_options(InstanceId=iid, PrivateDnsHostnameType="ip-name")
    assert instance(ec2, iid)["PrivateDnsNameOptions"]["HostnameType"] == "ip-name"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.modify_instance_maintenance_options(InstanceId=iid, AutoRecovery="default", DryRun=True)
    assert e.value.response["Error"]["Code"] == "DryRunOperation"


def test_a_stopped_instance_moves_into_a_reservation(ec2):
    iid = launch(ec2, Placement={"AvailabilityZone": "eu-north-1b"})
    cr = ec2.create_capacity_reservation(
        InstanceType="t3.micro", InstancePlatform="Linux/UNIX", InstanceCount=1,
        AvailabilityZone="eu-north-1b", InstanceMatchCriteria="targeted")["CapacityReservation"]["CapacityReservationId"]
    target = {"CapacityReservationTarget": {"CapacityReservationId": cr}}
    assert error(ec2.modify_instance_capacity_reservation_attributes, InstanceId=iid,
                 CapacityReservationSpecification=target) == "IncorrectInstanceState"
    stop(ec2, iid)
    assert ec2.modify_instance_capacity_reservation_attributes(
        InstanceId=iid, CapacityReservationSpecification=target)["Return"] is True
    got = instance(ec2, iid)
    assert got["CapacityReservationId"] == cr
    assert got["CapacityReservationSpecification"] == {"CapacityReservationTarget": {"CapacityReservationId": cr}}
    ec2.start_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1})
    held = ec2.describe_capacity_reservations(CapacityReservationIds=[cr])["CapacityReservations"][0]
    assert held["AvailableInstanceCount"] == 0
    other = launch(ec2, Placement={"AvailabilityZone": "eu-north-1b"})
    stop(ec2, other)
    assert error(ec2.modify_instance_capacity_reservation_attributes, InstanceId=other,
                 CapacityReservationSpecification=target) == "InsufficientInstanceCapacity"
    assert error(ec2.modify_instance_capacity_reservation_attributes, InstanceId=other,
                 CapacityReservationSpecification={"CapacityReservationTarget": {
                     "CapacityReservationId": "cr-0123456789abcdef0"}}) == "InvalidCapacityReservationId.NotFound"
    ec2.modify_instance_capacity_reservation_attributes(
        InstanceId=other, CapacityReservationSpecification={"CapacityReservationPreference": "none"})
    assert instance(ec2, other)["CapacityReservationSpecification"] == {"CapacityReservationPreference": "none"}


def test_cpu_options_and_attribute_resets(ec2):
    iid = launch(ec2, InstanceType="m5.2xlarge")
    assert instance(ec2, iid)["CpuOptions"] == {"CoreCount": 4, "ThreadsPerCore": 2}
    assert error(ec2.modify_instance_cpu_options, InstanceId=iid, CoreCount=2, ThreadsPerCore=1) == "IncorrectInstanceState"
    ec2.modify_instance_attribute(InstanceId=iid, SourceDestCheck={"Value": False})
    ec2.reset_instance_attribute(InstanceId=iid, Attribute="sourceDestCheck")
    assert instance(ec2, iid)["SourceDestCheck"] is True
    assert error(ec2.reset_instance_attribute, InstanceId=iid, Attribute="instanceType") == "InvalidParameterValue"
    stop(ec2, iid)
    out = ec2.modify_instance_cpu_options(InstanceId=iid, CoreCount=2, ThreadsPerCore=1)
    assert (out["CoreCount"], out["ThreadsPerCore"]) == (2, 1)
    assert instance(ec2, iid)["CpuOptions"] == {"CoreCount": 2, "ThreadsPerCore": 1}
    assert error(ec2.modify_instance_cpu_options, InstanceId=iid, CoreCount=3, ThreadsPerCore=1) == "InvalidParameterValue"


def test_default_credits_and_vpc_tenancy(ec2):
    got = ec2.get_default_credit_specification(InstanceFamily="t2")["InstanceFamilyCreditSpecification"]
    assert got == {"InstanceFamily": "t2", "CpuCredits": "standard"}
    ec2.modify_default_credit_specification(InstanceFamily="t3", CpuCredits="standard")
    iid = launch(ec2, InstanceType="t3.nano")
    credits = ec2.describe_instance_credit_specifications(InstanceIds=[iid])["InstanceCreditSpecifications"]
    assert credits[0]["CpuCredits"] == "standard"
    ec2.modify_default_credit_specification(InstanceFamily="t3", CpuCredits="unlimited")
    # eu-north-1 offers no T2 at all: AWS's generic refusal, not a list of zones.
    assert error(ec2.run_instances, ImageId=al2023(ec2), InstanceType="t2.micro", MinCount=1, MaxCount=1) == "Unsupported"
    assert error(ec2.get_default_credit_specification, InstanceFamily="m5") == "InvalidParameterValue"

    vpc = ec2.create_vpc(CidrBlock="10.44.0.0/16", InstanceTenancy="dedicated")["Vpc"]["VpcId"]
    assert ec2.modify_vpc_tenancy(VpcId=vpc, InstanceTenancy="default")["ReturnValue"] is True
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["InstanceTenancy"] == "default"
    assert error(ec2.modify_vpc_tenancy, VpcId=vpc, InstanceTenancy="dedicated") == "InvalidParameterValue"
    assert error(ec2.modify_vpc_tenancy, VpcId="vpc-0123456789abcdef0", InstanceTenancy="default") == "InvalidVpcID.NotFound"
