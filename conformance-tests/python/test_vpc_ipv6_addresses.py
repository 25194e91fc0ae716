"""IPv6 addresses of network interfaces and instances with boto3: taken at random from the
subnet's /64, assigned and unassigned, given to new interfaces when the subnet says so,
and what keeps a subnet's block from being disassociated."""

import ipaddress

import botocore.exceptions
import pytest

from conftest import client


@pytest.fixture
def ec2():
    return client("ec2")


def error_code(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"]


def dual_stack(ec2, auto=False):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    block56 = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    block = str(next(ipaddress.ip_network(block56).subnets(new_prefix=64)))
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", Ipv6CidrBlock=block)["Subnet"]["SubnetId"]
    if auto:
        ec2.modify_subnet_attribute(SubnetId=subnet, AssignIpv6AddressOnCreation={"Value": True})
    return subnet, ipaddress.ip_network(block)


def v6(eni):
    return [a["Ipv6Address"] for a in eni["Ipv6Addresses"]]


def test_interfaces_assign_and_unassign_ipv6_addresses(ec2):
    subnet, block = dual_stack(ec2)
    eni = ec2.create_network_interface(SubnetId=subnet, Ipv6AddressCount=2)["NetworkInterface"]
    assert len(v6(eni)) == 2 and all(ipaddress.ip_address(a) in block for a in v6(eni))
    eni_id = eni["NetworkInterfaceId"]
    chosen = str(block.network_address + 0x1234)
    out = ec2.assign_ipv6_addresses(NetworkInterfaceId=eni_id, Ipv6Addresses=[chosen])
    assert out["AssignedIpv6Addresses"] == [chosen] and out["NetworkInterfaceId"] == eni_id
    out = ec2.assign_ipv6_addresses(NetworkInterfaceId=eni_id, Ipv6AddressCount=1)
    assert len(out["AssignedIpv6Addresses"]) == 1
    held = v6(ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0])
    assert len(held) == 4 and chosen in held

    other = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    assert error_code(ec2.assign_ipv6_addresses, NetworkInterfaceId=other, Ipv6Addresses=[chosen]) == "InvalidIPAddress.InUse"
    assert error_code(ec2.assign_ipv6_addresses, NetworkInterfaceId=other, Ipv6Addresses=["2001:db8::9"]) == "InvalidParameterValue"
    assert error_code(ec2.assign_ipv6_addresses, NetworkInterfaceId=other) == "MissingParameter"
    assert error_code(ec2.assign_ipv6_addresses, NetworkInterfaceId="eni-0123456789abcdef0", Ipv6AddressCount=1) == (
        "InvalidNetworkInterfaceID.NotFound"
    )
    assert error_code(ec2.unassign_ipv6_addresses, NetworkInterfaceId=other, Ipv6Addresses=[chosen]) == "InvalidParameterValue"

    out = ec2.unassign_ipv6_addresses(NetworkInterfaceId=eni_id, Ipv6Addresses=[chosen])
    assert out["UnassignedIpv6Addresses"] == [chosen]
    ec2.assign_ipv6_addresses(NetworkInterfaceId=other, Ipv6Addresses=[chosen])
    found = ec2.describe_network_interfaces(Filters=[{"Name": "ipv6-addresses.ipv6-address", "Values": [chosen]}])
    assert [e["NetworkInterfaceId"] for e in found["NetworkInterfaces"]] == [other]


def test_instances_launch_with_ipv6_addresses(ec2):
    subnet, block = dual_stack(ec2, auto=True)
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])[
        "Images"
    ][0]["ImageId"]
    # The subnet gives one address on its own, a count gives more.
    auto = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=subnet)
    counted = ec2.run_instances(
        ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=subnet, Ipv6AddressCount=2
    )
    ids = [auto["Instances"][0]["InstanceId"], counted["Instances"][0]["InstanceId"]]
    got = {
        i["InstanceId"]: i["NetworkInterfaces"][0]["Ipv6Addresses"]
        for r in ec2.describe_instances(InstanceIds=ids)["Reservations"]
        for i in r["Instances"]
    }
    assert [len(got[i]) for i in ids] == [1, 2]
    assert all(ipaddress.ip_address(a["Ipv6Address"]) in block and a["IsPrimaryIpv6"] is False for a in got[ids[1]])
    wanted = got[ids[1]][1]["Ipv6Address"]
    found = ec2.describe_instances(Filters=[{"Name": "network-interface.ipv6-addresses.ipv6-address", "Values": [wanted]}])
    assert [i["InstanceId"] for r in found["Reservations"] for i in r["Instances"]] == [ids[1]]
    # Too many for the type's interfaces (t3.micro: 2 each), a type without IPv6, an address in use.
    assert error_code(
        ec2.run_instances, ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=subnet, Ipv6AddressCount=3
    ) == "InvalidParameterValue"
    assert error_code(
        ec2.run_instances, ImageId=image, InstanceType="m1.small", MinCount=1, MaxCount=1, SubnetId=subnet, Ipv6AddressCount=1
    ) == "InvalidParameterCombination"
    assert error_code(
        ec2.run_instances,
        ImageId=image,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        Ipv6Addresses=[{"Ipv6Address": wanted}],
    ) == "InvalidIPAddress.InUse"

    # The block stays while the subnet assigns addresses and while any is in use.
    assoc = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["Ipv6CidrBlockAssociationSet"][0]["AssociationId"]
    assert error_code(ec2.disassociate_subnet_cidr_block, AssociationId=assoc) == "InvalidCidrBlock.InUse"
    ec2.modify_subnet_attribute(SubnetId=subnet, AssignIpv6AddressOnCreation={"Value": False})
    assert error_code(ec2.disassociate_subnet_cidr_block, AssociationId=assoc) == "InvalidCidrBlock.InUse"
    ec2.terminate_instances(InstanceIds=ids)
    ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    ec2.disassociate_subnet_cidr_block(AssociationId=assoc)
