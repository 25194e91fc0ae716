"""Connectivity with real boto3, the error paths first: carrier gateways (and the
Wavelength Zone opt-in they need), EC2 Instance Connect endpoints. Each test builds its
own VPCs and tags what it makes with a run id."""

import botocore.exceptions
import pytest

from conftest import client, unique


def error_code(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"]


def error(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]


def tagged(resource_type, run, **extra):
    tags = [{"Key": "run", "Value": run}] + [{"Key": k, "Value": v} for k, v in extra.items()]
    return [{"ResourceType": resource_type, "Tags": tags}]


@pytest.fixture
def ec2():
    return client("ec2")


def new_vpc(ec2, cidr):
    return ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]


def test_carrier_gateways_need_a_wavelength_zone_group():
    # A region of its own, so that the opt-in does not change other tests' zone lists.
    ec2 = client("ec2", region="ca-central-1")
    run = unique("cagw")
    vpc = new_vpc(ec2, "10.60.0.0/16")
    err = error(ec2.create_carrier_gateway, VpcId=vpc)
    assert err["Code"] == "UnsupportedOperation"
    assert err["Message"] == "You must be opted into a wavelength zone to create a carrier gateway."
    assert error_code(ec2.modify_availability_zone_group, GroupName="ca-central-1-zg-1", OptInStatus="opted-in") == (
        "InvalidParameterValue"
    )
    assert error_code(ec2.modify_availability_zone_group, GroupName="nope", OptInStatus="opted-in") == (
        "InvalidParameterValue"
    )
    zones = ec2.describe_availability_zones(
        AllAvailabilityZones=True, Filters=[{"Name": "zone-type", "Values": ["wavelength-zone"]}]
    )["AvailabilityZones"]
    assert [z["OptInStatus"] for z in zones] == ["not-opted-in"]
    assert zones[0]["GroupName"] == "ca-central-1-wl1"
    ec2.modify_availability_zone_group(GroupName="ca-central-1-wl1", OptInStatus="opted-in")
    try:
        gw = ec2.create_carrier_gateway(VpcId=vpc, TagSpecifications=tagged("carrier-gateway", run))["CarrierGateway"]
        assert gw["State"] == "pending" and gw["VpcId"] == vpc
        got = ec2.describe_carrier_gateways(Filters=[{"Name": "tag:run", "Values": [run]}])["CarrierGateways"]
        assert [g["State"] for g in got] == ["available"]
        assert error_code(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"
        assert error_code(ec2.create_carrier_gateway, VpcId="vpc-0123456789abcdef0") == "InvalidVpcID.NotFound"
        assert error_code(ec2.describe_carrier_gateways, CarrierGatewayIds=["cagw-0123456789abcdef0"]) == (
            "InvalidCarrierGatewayID.NotFound"
        )
        assert error_code(ec2.describe_carrier_gateways, Filters=[{"Name": "nope", "Values": ["x"]}]) == (
            "InvalidParameterValue"
        )
        ec2.delete_carrier_gateway(CarrierGatewayId=gw["CarrierGatewayId"])
        assert error_code(ec2.delete_carrier_gateway, CarrierGatewayId=gw["CarrierGatewayId"]) == (
            "InvalidCarrierGatewayID.NotFound"
        )
        ec2.delete_vpc(VpcId=vpc)
    finally:
        ec2.modify_availability_zone_group(GroupName="ca-central-1-wl1", OptInStatus="not-opted-in")


def test_instance_connect_endpoints(ec2):
    run = unique("eice")
    vpc = new_vpc(ec2, "10.61.0.0/16")
    other = new_vpc(ec2, "10.62.0.0/16")
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.61.1.0/24")["Subnet"]["SubnetId"]
    foreign_sg = ec2.create_security_group(GroupName=run, Description="x", VpcId=other)["GroupId"]
    assert error_code(ec2.create_instance_connect_endpoint, SubnetId="subnet-0123456789abcdef0") == (
        "InvalidSubnetID.NotFound"
    )
    assert error_code(ec2.create_instance_connect_endpoint, SubnetId=subnet, SecurityGroupIds=[foreign_sg]) == (
        "InvalidParameter"
    )
    assert error_code(ec2.create_instance_connect_endpoint, SubnetId=subnet, DryRun=True) == "DryRunOperation"
    made = ec2.create_instance_connect_endpoint(
        SubnetId=subnet, TagSpecifications=tagged("instance-connect-endpoint", run)
    )["InstanceConnectEndpoint"]
    eid = made["InstanceConnectEndpointId"]
    assert made["State"] == "create-in-progress"
    got = ec2.describe_instance_connect_endpoints(Filters=[{"Name": "tag:run", "Values": [run]}])
    assert [e["State"] for e in got["InstanceConnectEndpoints"]] == ["create-complete"]
    assert got["InstanceConnectEndpoints"][0]["VpcId"] == vpc
    assert error_code(ec2.delete_subnet, SubnetId=subnet) == "DependencyViolation"
    assert error_code(ec2.describe_instance_connect_endpoints, InstanceConnectEndpointIds=["eice-0123456789abcdef0"]) == (
        "InvalidInstanceConnectEndpointId.NotFound"
    )
    assert error_code(ec2.delete_instance_connect_endpoint, InstanceConnectEndpointId="nope") == (
        "InvalidInstanceConnectEndpointId.Malformed"
    )
    gone = ec2.delete_instance_connect_endpoint(InstanceConnectEndpointId=eid)["InstanceConnectEndpoint"]
    assert gone["State"] == "delete-in-progress"
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_security_group(GroupId=foreign_sg)
    ec2.delete_vpc(VpcId=vpc)
    ec2.delete_vpc(VpcId=other)
