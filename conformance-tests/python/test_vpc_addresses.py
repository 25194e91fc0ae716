"""Elastic IPs, network interfaces and NAT gateways with boto3: addresses taken from
subnets and given back, public addresses mapped and unmapped, what each resource keeps
from being deleted, the NAT gateway lifecycle through the SDK's own waiters, and the
routes that follow it."""

import botocore.exceptions
import pytest

from conftest import ACCOUNT, client, unique

FAST = {"Delay": 1, "MaxAttempts": 10}


@pytest.fixture
def ec2():
    return client("ec2")


def error_code(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"]


def network(ec2, igw=True, subnet_cidr="10.0.1.0/24"):
    """A VPC with one subnet and, with `igw`, an internet gateway attached."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=subnet_cidr)["Subnet"]["SubnetId"]
    if igw:
        gw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=gw, VpcId=vpc)
    return vpc, subnet


def free_ips(ec2, subnet):
    return ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["AvailableIpAddressCount"]


def eni(ec2, subnet, **kw):
    return ec2.create_network_interface(SubnetId=subnet, **kw)["NetworkInterface"]


def describe_eni(ec2, eni_id):
    return ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]


# --- Elastic IPs ---------------------------------------------------------------------


def test_elastic_ip_allocate_associate_disassociate_release(ec2):
    vpc, subnet = network(ec2)
    iface = eni(ec2, subnet)
    out = ec2.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "web"}]}]
    )
    alloc, public_ip = out["AllocationId"], out["PublicIp"]
    assert alloc.startswith("eipalloc-")
    assert (out["Domain"], out["PublicIpv4Pool"], out["NetworkBorderGroup"]) == ("vpc", "amazon", "us-east-1")
    assert len(public_ip.split(".")) == 4

    assoc = ec2.associate_address(AllocationId=alloc, NetworkInterfaceId=iface["NetworkInterfaceId"])["AssociationId"]
    assert assoc.startswith("eipassoc-")
    addr = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    assert addr["PublicIp"] == public_ip
    assert addr["AssociationId"] == assoc
    assert addr["NetworkInterfaceId"] == iface["NetworkInterfaceId"]
    assert addr["PrivateIpAddress"] == iface["PrivateIpAddress"]
    assert addr["NetworkInterfaceOwnerId"] == ACCOUNT
    assert addr["Tags"] == [{"Key": "Name", "Value": "web"}]
    shown = describe_eni(ec2, iface["NetworkInterfaceId"])
    assert shown["Association"]["PublicIp"] == public_ip
    assert shown["Association"]["AllocationId"] == alloc
    assert shown["Association"]["IpOwnerId"] == ACCOUNT

    # Busy: no release, no second association without AllowReassociation, no detaching the gateway.
    assert error_code(ec2.release_address, AllocationId=alloc) == "InvalidIPAddress.InUse"
    other = eni(ec2, subnet)
    code = error_code(ec2.associate_address, AllocationId=alloc, NetworkInterfaceId=other["NetworkInterfaceId"])
    assert code == "Resource.AlreadyAssociated"
    gw = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"]
    code = error_code(ec2.detach_internet_gateway, InternetGatewayId=gw[0]["InternetGatewayId"], VpcId=vpc)
    assert code == "DependencyViolation"
    moved = ec2.associate_address(
        AllocationId=alloc, NetworkInterfaceId=other["NetworkInterfaceId"], AllowReassociation=True
    )["AssociationId"]
    assert "Association" not in describe_eni(ec2, iface["NetworkInterfaceId"])
    assert describe_eni(ec2, other["NetworkInterfaceId"])["Association"]["PublicIp"] == public_ip

    ec2.disassociate_address(AssociationId=moved)
    assert error_code(ec2.disassociate_address, AssociationId=moved) == "InvalidAssociationID.NotFound"
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    ec2.release_address(AllocationId=alloc)
    assert error_code(ec2.release_address, AllocationId=alloc) == "InvalidAllocationID.NotFound"
    assert error_code(ec2.describe_addresses, AllocationIds=[alloc]) == "InvalidAllocationID.NotFound"
    assert error_code(ec2.describe_addresses, PublicIps=[public_ip]) == "InvalidAddress.NotFound"


def test_elastic_ip_errors(ec2):
    _, subnet = network(ec2, igw=False)
    iface = eni(ec2, subnet)
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    # A VPC without an internet gateway has no public side.
    code = error_code(ec2.associate_address, AllocationId=alloc, NetworkInterfaceId=iface["NetworkInterfaceId"])
    assert code == "Gateway.NotAttached"
    code = error_code(ec2.associate_address, AllocationId="eipalloc-0000000000000000a",
                      NetworkInterfaceId=iface["NetworkInterfaceId"])
    assert code == "InvalidAllocationID.NotFound"
    code = error_code(ec2.associate_address, AllocationId=alloc, NetworkInterfaceId="eni-0000000000000000a")
    assert code == "InvalidNetworkInterfaceID.NotFound"
    # Instances come later; until then an instance id names nothing.
    code = error_code(ec2.associate_address, AllocationId=alloc, InstanceId="i-0000000000000000a")
    assert code == "InvalidInstanceID.NotFound"
    assert error_code(ec2.allocate_address, Domain="vpc", DryRun=True) == "DryRunOperation"


def test_elastic_ip_filters_and_reverse_dns(ec2):
    _, subnet = network(ec2)
    iface = eni(ec2, subnet)
    suite = unique("filters-eip")
    tag = {"ResourceType": "elastic-ip", "Tags": [{"Key": "suite", "Value": suite}]}
    a = ec2.allocate_address(Domain="vpc", TagSpecifications=[tag])
    b = ec2.allocate_address(Domain="vpc", TagSpecifications=[tag])
    ec2.associate_address(AllocationId=a["AllocationId"], NetworkInterfaceId=iface["NetworkInterfaceId"])

    def find(*filters):
        flt = [{"Name": "tag:suite", "Values": [suite]}, *filters]
        return sorted(x["AllocationId"] for x in ec2.describe_addresses(Filters=flt)["Addresses"])

    assert find() == sorted([a["AllocationId"], b["AllocationId"]])
    assert find({"Name": "network-interface-id", "Values": [iface["NetworkInterfaceId"]]}) == [a["AllocationId"]]
    assert find({"Name": "public-ip", "Values": [b["PublicIp"]]}) == [b["AllocationId"]]
    assert find({"Name": "private-ip-address", "Values": [iface["PrivateIpAddress"]]}) == [a["AllocationId"]]
    assert find({"Name": "association-id", "Values": ["eipassoc-*"]}) == [a["AllocationId"]]
    assert find({"Name": "domain", "Values": ["vpc"]}, {"Name": "network-border-group", "Values": ["us-east-1"]}) == find()
    assert error_code(ec2.describe_addresses, Filters=[{"Name": "no-such-filter", "Values": ["x"]}]) == "InvalidParameterValue"

    attr = ec2.describe_addresses_attribute(AllocationIds=[b["AllocationId"]], Attribute="domain-name")["Addresses"][0]
    assert attr["PtrRecord"] == "ec2-" + b["PublicIp"].replace(".", "-") + ".compute-1.amazonaws.com."
    out = ec2.modify_address_attribute(AllocationId=b["AllocationId"], DomainName="mail.example.com")
    assert out["Address"]["PtrRecordUpdate"]["Value"] == "mail.example.com."
    attr = ec2.describe_addresses_attribute(AllocationIds=[b["AllocationId"]], Attribute="domain-name")["Addresses"][0]
    assert attr["PtrRecord"] == "mail.example.com."


# --- Network interfaces ----------------------------------------------------------------


def test_network_interface_shape_and_private_addresses(ec2):
    vpc, subnet = network(ec2, igw=False, subnet_cidr="10.0.1.0/24")
    assert free_ips(ec2, subnet) == 251
    iface = eni(ec2, subnet, Description="app", SecondaryPrivateIpAddressCount=2)
    eni_id = iface["NetworkInterfaceId"]
    assert eni_id.startswith("eni-")
    assert iface["Status"] == "available"
    assert iface["InterfaceType"] == "interface"
    assert iface["VpcId"] == vpc and iface["SubnetId"] == subnet
    assert iface["SourceDestCheck"] is True and iface["RequesterManaged"] is False
    assert iface["OwnerId"] == ACCOUNT and iface["Description"] == "app"
    assert iface["PrivateDnsName"] == "ip-" + iface["PrivateIpAddress"].replace(".", "-") + ".ec2.internal"
    assert len(iface["MacAddress"].split(":")) == 6
    default_sg = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    assert iface["Groups"] == [{"GroupId": default_sg, "GroupName": "default"}]
    addrs = iface["PrivateIpAddresses"]
    assert [a["Primary"] for a in addrs] == [True, False, False]
    assert len({a["PrivateIpAddress"] for a in addrs}) == 3
    assert free_ips(ec2, subnet) == 248

    out = ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_id, SecondaryPrivateIpAddressCount=3)
    assigned = [a["PrivateIpAddress"] for a in out["AssignedPrivateIpAddresses"]]
    assert len(assigned) == 3 and not set(assigned) & {a["PrivateIpAddress"] for a in addrs}
    assert free_ips(ec2, subnet) == 245
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_id, PrivateIpAddresses=["10.0.1.100"])
    assert free_ips(ec2, subnet) == 244
    now = {a["PrivateIpAddress"] for a in describe_eni(ec2, eni_id)["PrivateIpAddresses"]}
    assert len(now) == 7 and "10.0.1.100" in now

    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni_id, PrivateIpAddresses=["10.0.1.100", assigned[0]])
    assert free_ips(ec2, subnet) == 246
    code = error_code(ec2.unassign_private_ip_addresses, NetworkInterfaceId=eni_id,
                      PrivateIpAddresses=[iface["PrivateIpAddress"]])
    assert code == "InvalidParameterValue"
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    assert free_ips(ec2, subnet) == 251
    assert error_code(ec2.describe_network_interfaces, NetworkInterfaceIds=[eni_id]) == "InvalidNetworkInterfaceID.NotFound"
    assert error_code(ec2.delete_network_interface, NetworkInterfaceId=eni_id) == "InvalidNetworkInterfaceID.NotFound"


def test_network_interface_address_errors(ec2):
    _, subnet = network(ec2, igw=False, subnet_cidr="10.0.1.0/28")
    first = eni(ec2, subnet, PrivateIpAddress="10.0.1.10")
    assert first["PrivateIpAddress"] == "10.0.1.10"
    assert error_code(ec2.create_network_interface, SubnetId=subnet, PrivateIpAddress="10.0.1.10") == "InvalidIPAddress.InUse"
    # Outside the subnet, or one of the five addresses AWS keeps.
    assert error_code(ec2.create_network_interface, SubnetId=subnet, PrivateIpAddress="10.0.2.10") == "InvalidParameterValue"
    assert error_code(ec2.create_network_interface, SubnetId=subnet, PrivateIpAddress="10.0.1.1") == "InvalidParameterValue"
    assert error_code(ec2.create_network_interface, SubnetId=subnet, PrivateIpAddress="10.0.1.15") == "InvalidParameterValue"
    # A /28 has 11 usable addresses: 1 taken, 10 left; asking for 11 takes none.
    assert free_ips(ec2, subnet) == 10
    code = error_code(ec2.create_network_interface, SubnetId=subnet, SecondaryPrivateIpAddressCount=10)
    assert code == "InsufficientFreeAddressesInSubnet"
    assert free_ips(ec2, subnet) == 10
    eni(ec2, subnet, SecondaryPrivateIpAddressCount=9)
    assert free_ips(ec2, subnet) == 0
    code = error_code(ec2.assign_private_ip_addresses, NetworkInterfaceId=first["NetworkInterfaceId"],
                      SecondaryPrivateIpAddressCount=1)
    assert code == "InsufficientFreeAddressesInSubnet"
    assert error_code(ec2.create_network_interface, SubnetId="subnet-0000000000000000a") == "InvalidSubnetID.NotFound"


def test_network_interface_attributes(ec2):
    vpc, subnet = network(ec2, igw=False)
    eni_id = eni(ec2, subnet)["NetworkInterfaceId"]
    sg = ec2.create_security_group(GroupName="eni-attrs", Description="d", VpcId=vpc)["GroupId"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, SourceDestCheck={"Value": False})
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Description={"Value": "router"})
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Groups=[sg])
    attr = lambda name: ec2.describe_network_interface_attribute(NetworkInterfaceId=eni_id, Attribute=name)  # noqa: E731
    assert attr("sourceDestCheck")["SourceDestCheck"] == {"Value": False}
    assert attr("description")["Description"] == {"Value": "router"}
    assert attr("groupSet")["Groups"] == [{"GroupId": sg, "GroupName": "eni-attrs"}]
    ec2.reset_network_interface_attribute(NetworkInterfaceId=eni_id, SourceDestCheck="sourceDestCheck")
    assert attr("sourceDestCheck")["SourceDestCheck"] == {"Value": True}
    code = error_code(ec2.modify_network_interface_attribute, NetworkInterfaceId=eni_id,
                      Attachment={"AttachmentId": "eni-attach-0000000000000000a", "DeleteOnTermination": True})
    assert code == "InvalidAttachmentID.NotFound"
    code = error_code(ec2.attach_network_interface, NetworkInterfaceId=eni_id, InstanceId="i-0000000000000000a",
                      DeviceIndex=1)
    assert code == "InvalidInstanceID.NotFound"
    assert error_code(ec2.detach_network_interface, AttachmentId="eni-attach-0000000000000000a") == "InvalidAttachmentID.NotFound"


def test_security_group_used_by_an_interface_cannot_be_deleted(ec2):
    vpc, subnet = network(ec2, igw=False)
    sg = ec2.create_security_group(GroupName="eni-user", Description="d", VpcId=vpc)["GroupId"]
    eni_id = eni(ec2, subnet, Groups=[sg])["NetworkInterfaceId"]
    assert error_code(ec2.delete_security_group, GroupId=sg) == "DependencyViolation"
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    ec2.delete_security_group(GroupId=sg)


def test_subnet_and_vpc_with_an_interface_cannot_be_deleted(ec2):
    vpc, subnet = network(ec2, igw=False)
    eni_id = eni(ec2, subnet)["NetworkInterfaceId"]
    assert error_code(ec2.delete_subnet, SubnetId=subnet) == "DependencyViolation"
    assert error_code(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"
    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def test_describe_network_interfaces_filters_and_pages(ec2):
    vpc, subnet = network(ec2, igw=False)
    made = []
    for i in range(7):
        tags = [{"ResourceType": "network-interface", "Tags": [{"Key": "n", "Value": str(i)}]}]
        made.append(eni(ec2, subnet, Description=f"d{i}", TagSpecifications=tags)["NetworkInterfaceId"])
    in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]

    def find(*filters):
        out = ec2.describe_network_interfaces(Filters=[*in_vpc, *filters])["NetworkInterfaces"]
        return sorted(e["NetworkInterfaceId"] for e in out)

    assert find() == sorted(made)
    assert find({"Name": "description", "Values": ["d3"]}) == [made[3]]
    assert find({"Name": "tag:n", "Values": ["1", "2"]}) == sorted(made[1:3])
    assert find({"Name": "tag-key", "Values": ["n"]}) == sorted(made)
    first_ip = describe_eni(ec2, made[0])["PrivateIpAddress"]
    assert find({"Name": "private-ip-address", "Values": [first_ip]}) == [made[0]]
    assert find({"Name": "addresses.private-ip-address", "Values": [first_ip]}) == [made[0]]
    assert find({"Name": "status", "Values": ["available"]}, {"Name": "subnet-id", "Values": [subnet]}) == sorted(made)
    assert find({"Name": "group-name", "Values": ["default"]}) == sorted(made)
    assert find({"Name": "requester-managed", "Values": ["false"]}) == sorted(made)
    assert find({"Name": "source-dest-check", "Values": ["true"]}) == sorted(made)
    assert find({"Name": "interface-type", "Values": ["interface"]}) == sorted(made)
    assert find({"Name": "availability-zone", "Values": ["us-east-1a"]}) == sorted(made)
    assert find({"Name": "owner-id", "Values": [ACCOUNT]}) == sorted(made)
    assert find({"Name": "attachment.status", "Values": ["attached"]}) == []
    mac = describe_eni(ec2, made[4])["MacAddress"]
    assert find({"Name": "mac-address", "Values": [mac]}) == [made[4]]
    assert error_code(ec2.describe_network_interfaces, Filters=[{"Name": "bogus", "Values": ["x"]}]) == "InvalidParameterValue"

    page1 = ec2.describe_network_interfaces(Filters=in_vpc, MaxResults=5)
    assert len(page1["NetworkInterfaces"]) == 5 and page1["NextToken"]
    page2 = ec2.describe_network_interfaces(Filters=in_vpc, MaxResults=5, NextToken=page1["NextToken"])
    assert "NextToken" not in page2
    seen = [e["NetworkInterfaceId"] for e in page1["NetworkInterfaces"] + page2["NetworkInterfaces"]]
    assert sorted(seen) == sorted(made)
    pages = ec2.get_paginator("describe_network_interfaces").paginate(Filters=in_vpc, PaginationConfig={"PageSize": 5})
    assert sorted(e["NetworkInterfaceId"] for p in pages for e in p["NetworkInterfaces"]) == sorted(made)
    assert error_code(ec2.describe_network_interfaces, MaxResults=1001) == "InvalidParameterValue"
    code = error_code(ec2.describe_network_interfaces, NetworkInterfaceIds=[made[0]], MaxResults=5)
    assert code == "InvalidParameterCombination"


# --- NAT gateways ---------------------------------------------------------------------


def route_state(ec2, rtb, cidr="0.0.0.0/0"):
    table = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    return next(r for r in table["Routes"] if r.get("DestinationCidrBlock") == cidr)["State"]


def test_public_nat_gateway_lifecycle_waiters_and_routes(ec2):
    vpc, subnet = network(ec2)
    eip = ec2.allocate_address(Domain="vpc")
    tags = [{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "public-nat"}]}]
    token = unique("nat-lifecycle")
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip["AllocationId"], TagSpecifications=tags,
                                 ClientToken=token)["NatGateway"]
    nat_id = nat["NatGatewayId"]
    assert nat_id.startswith("nat-")
    assert nat["State"] == "pending"
    assert (nat["SubnetId"], nat["VpcId"], nat["ConnectivityType"]) == (subnet, vpc, "public")
    assert nat["Tags"] == [{"Key": "Name", "Value": "public-nat"}]
    # The same ClientToken answers with the same gateway.
    again = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip["AllocationId"], TagSpecifications=tags,
                                   ClientToken=token)["NatGateway"]
    assert again["NatGatewayId"] == nat_id

    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat_id], WaiterConfig=FAST)
    shown = ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]
    assert shown["State"] == "available"
    [addr] = shown["NatGatewayAddresses"]
    assert (addr["AllocationId"], addr["PublicIp"]) == (eip["AllocationId"], eip["PublicIp"])
    assert addr["IsPrimary"] is True and addr["Status"] == "succeeded"
    assert addr["AssociationId"].startswith("eipassoc-")
    # AWS's interface for the gateway, requester-managed, holding the address.
    iface = describe_eni(ec2, addr["NetworkInterfaceId"])
    assert iface["InterfaceType"] == "nat_gateway" and iface["RequesterManaged"] is True
    assert iface["PrivateIpAddress"] == addr["PrivateIp"] and iface["SubnetId"] == subnet
    assert iface["Description"] == f"Interface for NAT Gateway {nat_id}"
    assert iface["Association"]["PublicIp"] == eip["PublicIp"]
    mapped = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0]
    assert mapped["NetworkInterfaceId"] == addr["NetworkInterfaceId"]
    assert error_code(ec2.release_address, AllocationId=eip["AllocationId"]) == "InvalidIPAddress.InUse"
    assert error_code(ec2.delete_network_interface, NetworkInterfaceId=addr["NetworkInterfaceId"]) == "InvalidParameterValue"
    assert error_code(ec2.delete_subnet, SubnetId=subnet) == "DependencyViolation"
    assert error_code(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"

    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
    assert route_state(ec2, rtb) == "active"
    in_use = free_ips(ec2, subnet)

    assert ec2.delete_nat_gateway(NatGatewayId=nat_id)["NatGatewayId"] == nat_id
    ec2.get_waiter("nat_gateway_deleted").wait(NatGatewayIds=[nat_id], WaiterConfig=FAST)
    gone = ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]
    assert gone["State"] == "deleted" and "DeleteTime" in gone
    assert route_state(ec2, rtb) == "blackhole"
    # Its interface is gone, its address free again, its Elastic IP unmapped.
    code = error_code(ec2.describe_network_interfaces, NetworkInterfaceIds=[addr["NetworkInterfaceId"]])
    assert code == "InvalidNetworkInterfaceID.NotFound"
    assert free_ips(ec2, subnet) == in_use + 1
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0]
    ec2.release_address(AllocationId=eip["AllocationId"])
    ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")
    ec2.delete_route_table(RouteTableId=rtb)
    ec2.delete_subnet(SubnetId=subnet)


def test_private_nat_gateway(ec2):
    vpc, subnet = network(ec2, igw=False)
    before = free_ips(ec2, subnet)
    nat = ec2.create_nat_gateway(SubnetId=subnet, ConnectivityType="private", PrivateIpAddress="10.0.1.77")["NatGateway"]
    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat["NatGatewayId"]], WaiterConfig=FAST)
    shown = ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]
    assert shown["ConnectivityType"] == "private"
    [addr] = shown["NatGatewayAddresses"]
    assert addr["PrivateIp"] == "10.0.1.77" and "PublicIp" not in addr and "AllocationId" not in addr
    assert free_ips(ec2, subnet) == before - 1
    assert error_code(ec2.delete_subnet, SubnetId=subnet) == "DependencyViolation"
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    ec2.get_waiter("nat_gateway_deleted").wait(NatGatewayIds=[nat["NatGatewayId"]], WaiterConfig=FAST)
    assert free_ips(ec2, subnet) == before
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def test_private_nat_gateway_secondary_addresses(ec2):
    vpc, subnet = network(ec2, igw=False)
    nat_id = ec2.create_nat_gateway(SubnetId=subnet, ConnectivityType="private")["NatGateway"]["NatGatewayId"]
    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat_id], WaiterConfig=FAST)
    before = free_ips(ec2, subnet)
    out = ec2.assign_private_nat_gateway_address(NatGatewayId=nat_id, PrivateIpAddressCount=2)
    assert [a["Status"] for a in out["NatGatewayAddresses"]] == ["assigning", "assigning"]
    shown = ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["NatGatewayAddresses"]
    assert len(shown) == 3 and [a["IsPrimary"] for a in shown] == [True, False, False]
    assert all(a["Status"] == "succeeded" for a in shown)
    assert free_ips(ec2, subnet) == before - 2
    code = error_code(ec2.assign_private_nat_gateway_address, NatGatewayId=nat_id)
    assert code == "MissingParameter"
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    code = error_code(ec2.associate_nat_gateway_address, NatGatewayId=nat_id, AllocationIds=[alloc])
    assert code == "InvalidParameterValue"
    secondary = shown[1]["PrivateIp"]
    out = ec2.unassign_private_nat_gateway_address(NatGatewayId=nat_id, PrivateIpAddresses=[secondary])
    assert out["NatGatewayAddresses"][0]["Status"] == "unassigning"
    assert free_ips(ec2, subnet) == before - 1
    code = error_code(ec2.unassign_private_nat_gateway_address, NatGatewayId=nat_id, PrivateIpAddresses=[shown[0]["PrivateIp"]])
    assert code == "InvalidParameterValue"
    ec2.release_address(AllocationId=alloc)
    ec2.delete_nat_gateway(NatGatewayId=nat_id)
    ec2.get_waiter("nat_gateway_deleted").wait(NatGatewayIds=[nat_id], WaiterConfig=FAST)
    assert free_ips(ec2, subnet) == before + 1
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def test_nat_gateway_errors_and_failures(ec2):
    _, subnet = network(ec2, igw=False)
    assert error_code(ec2.create_nat_gateway, SubnetId=subnet) == "MissingParameter"
    code = error_code(ec2.create_nat_gateway, SubnetId=subnet, AllocationId="eipalloc-0000000000000000a")
    assert code == "InvalidAllocationID.NotFound"
    code = error_code(ec2.create_nat_gateway, SubnetId="subnet-0000000000000000a", ConnectivityType="private")
    assert code == "InvalidSubnetID.NotFound"
    assert error_code(ec2.describe_nat_gateways, NatGatewayIds=["nat-0000000000000000a"]) == "NatGatewayNotFound"
    assert error_code(ec2.delete_nat_gateway, NatGatewayId="nat-0000000000000000a") == "NatGatewayNotFound"
    # A public gateway in a VPC without an internet gateway fails, as at AWS, and the
    # waiter for `available` reports the failure.
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat_id = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc)["NatGateway"]["NatGatewayId"]
    with pytest.raises(botocore.exceptions.WaiterError):
        ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat_id], WaiterConfig=FAST)
    failed = ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]
    assert (failed["State"], failed["FailureCode"]) == ("failed", "Gateway.NotAttached")
    ec2.release_address(AllocationId=alloc)


def test_describe_nat_gateways_filters_and_pages(ec2):
    vpc, subnet = network(ec2, igw=False)
    made = []
    for i in range(7):
        tags = [{"ResourceType": "natgateway", "Tags": [{"Key": "i", "Value": str(i)}]}]
        nat = ec2.create_nat_gateway(SubnetId=subnet, ConnectivityType="private", TagSpecifications=tags)
        made.append(nat["NatGateway"]["NatGatewayId"])
    ec2.delete_nat_gateway(NatGatewayId=made[0])
    in_vpc = {"Name": "vpc-id", "Values": [vpc]}

    def find(*filters):
        return sorted(n["NatGatewayId"] for n in ec2.describe_nat_gateways(Filter=[in_vpc, *filters])["NatGateways"])

    assert find() == sorted(made)
    assert find({"Name": "state", "Values": ["available"]}) == sorted(made[1:])
    assert find({"Name": "state", "Values": ["deleted"]}) == [made[0]]
    assert find({"Name": "subnet-id", "Values": [subnet]}, {"Name": "nat-gateway-id", "Values": [made[2]]}) == [made[2]]
    assert find({"Name": "tag:i", "Values": ["3", "4"]}) == sorted(made[3:5])
    assert find({"Name": "tag-key", "Values": ["i"]}) == sorted(made)
    assert error_code(ec2.describe_nat_gateways, Filter=[{"Name": "bogus", "Values": ["x"]}]) == "InvalidParameterValue"

    page1 = ec2.describe_nat_gateways(Filter=[in_vpc], MaxResults=5)
    assert len(page1["NatGateways"]) == 5 and page1["NextToken"]
    page2 = ec2.describe_nat_gateways(Filter=[in_vpc], MaxResults=5, NextToken=page1["NextToken"])
    assert "NextToken" not in page2
    assert sorted(n["NatGatewayId"] for n in page1["NatGateways"] + page2["NatGateways"]) == sorted(made)
    pages = ec2.get_paginator("describe_nat_gateways").paginate(Filter=[in_vpc], PaginationConfig={"PageSize": 5})
    assert sorted(n["NatGatewayId"] for p in pages for n in p["NatGateways"]) == sorted(made)
    assert error_code(ec2.describe_nat_gateways, MaxResults=1001) == "InvalidParameterValue"
