"""VPC connectivity with real boto3: egress-only internet gateways, VPN and customer
gateways, managed prefix lists, VPC endpoints, VPC peering and flow logs. Each test
builds its own VPCs and tags what it makes with a run id, so filters and pages see only
its resources."""

import botocore.exceptions
import pytest

from conftest import client, unique

FAST = {"Delay": 1, "MaxAttempts": 3}


def error_code(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"]


def tagged(resource_type, run, **extra):
    tags = [{"Key": "run", "Value": run}] + [{"Key": k, "Value": v} for k, v in extra.items()]
    return [{"ResourceType": resource_type, "Tags": tags}]


def run_filter(run):
    return [{"Name": "tag:run", "Values": [run]}]


@pytest.fixture
def ec2():
    return client("ec2")


def new_vpc(ec2, cidr, **kw):
    return ec2.create_vpc(CidrBlock=cidr, **kw)["Vpc"]["VpcId"]


def routes(ec2, rtb):
    return ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]


def route_to(ec2, rtb, **match):
    found = [r for r in routes(ec2, rtb) if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, routes(ec2, rtb)
    return found[0]


def enable_dns_hostnames(ec2, vpc):
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})


# --- egress-only internet gateways -------------------------------------------------


def test_egress_only_gateway_routes_ipv6_out_and_leaves_blackholes(ec2):
    run = unique("run")
    vpc = new_vpc(ec2, "10.40.0.0/16", AmazonProvidedIpv6CidrBlock=True)
    out = ec2.create_egress_only_internet_gateway(
        VpcId=vpc, ClientToken=run, TagSpecifications=tagged("egress-only-internet-gateway", run)
    )
    gw = out["EgressOnlyInternetGateway"]
    eigw = gw["EgressOnlyInternetGatewayId"]
    assert eigw.startswith("eigw-")
    assert gw["Attachments"] == [{"State": "attached", "VpcId": vpc}]
    assert out["ClientToken"] == run
    again = ec2.create_egress_only_internet_gateway(
        VpcId=vpc, ClientToken=run, TagSpecifications=tagged("egress-only-internet-gateway", run)
    )
    assert again["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"] == eigw, "ClientToken is idempotent"

    found = ec2.describe_egress_only_internet_gateways(Filters=run_filter(run))["EgressOnlyInternetGateways"]
    assert [g["EgressOnlyInternetGatewayId"] for g in found] == [eigw]
    assert error_code(
        ec2.describe_egress_only_internet_gateways, Filters=[{"Name": "vpc-id", "Values": [vpc]}]
    ) == "InvalidParameterValue"

    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw)
    assert route_to(ec2, rtb, EgressOnlyInternetGatewayId=eigw)["State"] == "active"
    assert error_code(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"

    assert ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw)["ReturnCode"] is True
    assert route_to(ec2, rtb, EgressOnlyInternetGatewayId=eigw)["State"] == "blackhole"
    assert error_code(
        ec2.describe_egress_only_internet_gateways, EgressOnlyInternetGatewayIds=[eigw]
    ) == "InvalidGatewayID.NotFound"
    assert error_code(
        ec2.delete_egress_only_internet_gateway, EgressOnlyInternetGatewayId=eigw
    ) == "InvalidGatewayID.NotFound"


def test_egress_only_gateways_page_by_five(ec2):
    run = unique("run")
    vpc = new_vpc(ec2, "10.41.0.0/16")
    made = {
        ec2.create_egress_only_internet_gateway(VpcId=vpc, TagSpecifications=tagged("egress-only-internet-gateway", run))[
            "EgressOnlyInternetGateway"
        ]["EgressOnlyInternetGatewayId"]
        for _ in range(7)
    }
    first = ec2.describe_egress_only_internet_gateways(Filters=run_filter(run), MaxResults=5)
    assert len(first["EgressOnlyInternetGateways"]) == 5 and first["NextToken"]
    second = ec2.describe_egress_only_internet_gateways(
        Filters=run_filter(run), MaxResults=5, NextToken=first["NextToken"]
    )
    assert "NextToken" not in second
    seen = {g["EgressOnlyInternetGatewayId"] for g in first["EgressOnlyInternetGateways"] + second["EgressOnlyInternetGateways"]}
    assert seen == made
    paged = ec2.get_paginator("describe_egress_only_internet_gateways").paginate(
        Filters=run_filter(run), PaginationConfig={"PageSize": 5}
    )
    assert {g["EgressOnlyInternetGatewayId"] for p in paged for g in p["EgressOnlyInternetGateways"]} == made
    assert error_code(
        ec2.describe_egress_only_internet_gateways, MaxResults=5, NextToken="not-a-token"
    ) == "InvalidNextToken"


# --- VPN and customer gateways -------------------------------------------------------


def test_vpn_gateway_attaches_propagates_and_detaches(ec2):
    run = unique("run")
    vpc, other = new_vpc(ec2, "10.42.0.0/16"), new_vpc(ec2, "10.43.0.0/16")
    vgw = ec2.create_vpn_gateway(Type="ipsec.1", TagSpecifications=tagged("vpn-gateway", run))["VpnGateway"]
    vgw_id = vgw["VpnGatewayId"]
    assert vgw["State"] == "available" and vgw["Type"] == "ipsec.1"
    assert vgw["AmazonSideAsn"] == 64512 and vgw["VpcAttachments"] == []
    custom = ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=65100)["VpnGateway"]
    assert custom["AmazonSideAsn"] == 65100
    assert error_code(ec2.create_vpn_gateway, Type="ipsec.1", AmazonSideAsn=100) == "InvalidParameterValue"

    attachment = ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw_id)["VpcAttachment"]
    assert attachment == {"State": "attaching", "VpcId": vpc}
    shown = ec2.describe_vpn_gateways(VpnGatewayIds=[vgw_id])["VpnGateways"][0]
    assert shown["VpcAttachments"] == [{"State": "attached", "VpcId": vpc}]
    assert error_code(ec2.attach_vpn_gateway, VpcId=other, VpnGatewayId=vgw_id) == "VpnGatewayAttachmentLimitExceeded"
    assert error_code(ec2.attach_vpn_gateway, VpcId=vpc, VpnGatewayId=custom["VpnGatewayId"]) == "InvalidVpcState"
    by_vpc = ec2.describe_vpn_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}, {"Name": "attachment.state", "Values": ["attached"]}]
    )["VpnGateways"]
    assert [g["VpnGatewayId"] for g in by_vpc] == [vgw_id]

    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.enable_vgw_route_propagation(GatewayId=vgw_id, RouteTableId=rtb)
    table = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    assert table["PropagatingVgws"] == [{"GatewayId": vgw_id}]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="192.168.0.0/16", GatewayId=vgw_id)
    assert route_to(ec2, rtb, GatewayId=vgw_id)["State"] == "active"
    assert error_code(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"
    assert error_code(ec2.delete_vpn_gateway, VpnGatewayId=vgw_id) == "IncorrectState"
    assert error_code(
        ec2.detach_vpn_gateway, VpcId=other, VpnGatewayId=vgw_id
    ) == "InvalidVpnGatewayAttachment.NotFound"

    ec2.detach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw_id)
    shown = ec2.describe_vpn_gateways(VpnGatewayIds=[vgw_id])["VpnGateways"][0]
    assert shown["VpcAttachments"] == [{"State": "detached", "VpcId": vpc}]
    assert route_to(ec2, rtb, GatewayId=vgw_id)["State"] == "blackhole"
    ec2.disable_vgw_route_propagation(GatewayId=vgw_id, RouteTableId=rtb)
    assert ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["PropagatingVgws"] == []

    ec2.delete_vpn_gateway(VpnGatewayId=vgw_id)
    assert ec2.describe_vpn_gateways(VpnGatewayIds=[vgw_id])["VpnGateways"][0]["State"] == "deleted"
    live = ec2.describe_vpn_gateways(Filters=run_filter(run) + [{"Name": "state", "Values": ["available"]}])
    assert live["VpnGateways"] == []
    assert error_code(ec2.attach_vpn_gateway, VpcId=vpc, VpnGatewayId=vgw_id) == "InvalidVpnGatewayID.NotFound"
    assert error_code(
        ec2.describe_vpn_gateways, VpnGatewayIds=["vgw-00000000000000000"]
    ) == "InvalidVpnGatewayID.NotFound"


def test_customer_gateways_are_records_keyed_by_address_and_asn(ec2):
    run = unique("run")
    # A fresh address: a gateway with the same address and ASN would be answered instead.
    octets = int(run[-4:], 16)
    ip, other_ip = f"198.18.{octets >> 8}.{octets & 0xFF}", f"198.19.{octets >> 8}.{octets & 0xFF}"
    cgw = ec2.create_customer_gateway(
        Type="ipsec.1", IpAddress=ip, BgpAsn=65010, TagSpecifications=tagged("customer-gateway", run)
    )["CustomerGateway"]
    cgw_id = cgw["CustomerGatewayId"]
    assert cgw_id.startswith("cgw-")
    assert (cgw["BgpAsn"], cgw["IpAddress"], cgw["State"], cgw["Type"]) == ("65010", ip, "available", "ipsec.1")
    ec2.get_waiter("customer_gateway_available").wait(CustomerGatewayIds=[cgw_id], WaiterConfig=FAST)
    same = ec2.create_customer_gateway(Type="ipsec.1", IpAddress=ip, BgpAsn=65010)["CustomerGateway"]
    assert same["CustomerGatewayId"] == cgw_id
    default_asn = ec2.create_customer_gateway(Type="ipsec.1", IpAddress=other_ip)["CustomerGateway"]
    assert default_asn["BgpAsn"] == "65000"
    found = ec2.describe_customer_gateways(Filters=run_filter(run) + [{"Name": "ip-address", "Values": [ip]}])[
        "CustomerGateways"
    ]
    assert [g["CustomerGatewayId"] for g in found] == [cgw_id]
    assert error_code(ec2.create_customer_gateway, Type="ipsec.1", IpAddress="not-an-ip") == "InvalidParameterValue"

    ec2.delete_customer_gateway(CustomerGatewayId=cgw_id)
    assert ec2.describe_customer_gateways(CustomerGatewayIds=[cgw_id])["CustomerGateways"][0]["State"] == "deleted"
    assert error_code(ec2.delete_customer_gateway, CustomerGatewayId=cgw_id) == "InvalidCustomerGatewayID.NotFound"
    assert error_code(
        ec2.describe_customer_gateways, CustomerGatewayIds=["cgw-00000000000000000"]
    ) == "InvalidCustomerGatewayID.NotFound"


# --- managed prefix lists --------------------------------------------------------------


def test_aws_prefix_lists_exist_in_every_region():
    for region, s3 in [("us-east-1", "pl-63a5400a"), ("eu-west-1", "pl-6da54004")]:
        ec2 = client("ec2", region=region)
        services = {p["PrefixListName"]: p for p in ec2.describe_prefix_lists()["PrefixLists"]}
        assert set(services) == {f"com.amazonaws.{region}.s3", f"com.amazonaws.{region}.dynamodb"}
        assert services[f"com.amazonaws.{region}.s3"]["PrefixListId"] == s3
        assert all(p["Cidrs"] for p in services.values())
        managed = ec2.describe_managed_prefix_lists(Filters=[{"Name": "owner-id", "Values": ["AWS"]}])["PrefixLists"]
        view = {p["PrefixListId"]: p for p in managed}[s3]
        assert view["PrefixListName"] == f"com.amazonaws.{region}.s3"
        assert view["State"] == "create-complete" and view["AddressFamily"] == "IPv4"
        assert view["PrefixListArn"] == f"arn:aws:ec2:{region}:aws:prefix-list/{s3}"
        entries = ec2.get_managed_prefix_list_entries(PrefixListId=s3)["Entries"]
        assert sorted(e["Cidr"] for e in entries) == sorted(services[f"com.amazonaws.{region}.s3"]["Cidrs"])
    ec2 = client("ec2")
    assert error_code(ec2.describe_prefix_lists, PrefixListIds=["pl-00000000"]) == "InvalidPrefixListID.NotFound"
    assert error_code(
        ec2.modify_managed_prefix_list, PrefixListId="pl-63a5400a", AddEntries=[{"Cidr": "10.0.0.0/8"}]
    ) == "OperationNotPermitted"


def test_customer_prefix_list_versions_and_references(ec2):
    run = unique("run")
    created = ec2.create_managed_prefix_list(
        PrefixListName=f"office-{run}",
        AddressFamily="IPv4",
        MaxEntries=3,
        Entries=[{"Cidr": "198.51.100.0/24", "Description": "hq"}],
        TagSpecifications=tagged("prefix-list", run),
    )["PrefixList"]
    pl = created["PrefixListId"]
    assert created["State"] == "create-in-progress" and created["Version"] == 1
    assert created["OwnerId"] == "000000000000" and created["MaxEntries"] == 3
    shown = ec2.describe_managed_prefix_lists(PrefixListIds=[pl])["PrefixLists"][0]
    assert shown["State"] == "create-complete"
    assert shown["Tags"] == [{"Key": "run", "Value": run}]

    modified = ec2.modify_managed_prefix_list(
        PrefixListId=pl, CurrentVersion=1, AddEntries=[{"Cidr": "192.0.2.0/24", "Description": "branch"}]
    )["PrefixList"]
    assert modified["State"] == "modify-in-progress" and modified["Version"] == 2
    assert error_code(
        ec2.modify_managed_prefix_list, PrefixListId=pl, CurrentVersion=1, AddEntries=[{"Cidr": "203.0.113.0/24"}]
    ) == "PrefixListVersionMismatch"
    assert error_code(
        ec2.modify_managed_prefix_list,
        PrefixListId=pl,
        CurrentVersion=2,
        AddEntries=[{"Cidr": "203.0.113.0/24"}, {"Cidr": "203.0.114.0/24"}],
    ) == "InvalidParameterValue"
    assert error_code(
        ec2.modify_managed_prefix_list, PrefixListId=pl, MaxEntries=5, AddEntries=[{"Cidr": "203.0.113.0/24"}]
    ) == "InvalidParameterCombination"
    renamed = ec2.modify_managed_prefix_list(PrefixListId=pl, PrefixListName=f"offices-{run}")["PrefixList"]
    assert renamed["Version"] == 2, "a rename makes no version"

    latest = ec2.get_managed_prefix_list_entries(PrefixListId=pl)["Entries"]
    assert [(e["Cidr"], e["Description"]) for e in latest] == [("192.0.2.0/24", "branch"), ("198.51.100.0/24", "hq")]
    first = ec2.get_managed_prefix_list_entries(PrefixListId=pl, TargetVersion=1)["Entries"]
    assert [e["Cidr"] for e in first] == ["198.51.100.0/24"]
    page = ec2.get_managed_prefix_list_entries(PrefixListId=pl, MaxResults=1)
    rest = ec2.get_managed_prefix_list_entries(PrefixListId=pl, MaxResults=1, NextToken=page["NextToken"])
    assert [e["Cidr"] for e in page["Entries"] + rest["Entries"]] == ["192.0.2.0/24", "198.51.100.0/24"]

    vpc = new_vpc(ec2, "10.44.0.0/16")
    sg = ec2.create_security_group(GroupName=f"pl-{run}", Description="prefix list peer", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": pl}]}],
    )
    assert error_code(ec2.delete_managed_prefix_list, PrefixListId=pl) == "DependencyViolation"
    ec2.revoke_security_group_ingress(
        GroupId=sg,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": pl}]}],
    )
    deleted = ec2.delete_managed_prefix_list(PrefixListId=pl)["PrefixList"]
    assert deleted["State"] == "delete-in-progress"
    assert error_code(ec2.describe_managed_prefix_lists, PrefixListIds=[pl]) == "InvalidPrefixListID.NotFound"
    assert error_code(
        ec2.create_managed_prefix_list, PrefixListName="com.amazonaws.mine", AddressFamily="IPv4", MaxEntries=1
    ) == "InvalidParameterValue"


# --- VPC endpoints -----------------------------------------------------------------------


def test_endpoint_services_are_the_regions_aws_services(ec2):
    out = ec2.describe_vpc_endpoint_services()
    names = set(out["ServiceNames"])
    for svc in ["s3", "dynamodb", "ec2", "ec2messages", "ssm", "ssmmessages", "sts", "monitoring", "logs", "kms",
                "secretsmanager", "ecr.api", "ecr.dkr", "sqs", "sns", "elasticloadbalancing", "execute-api", "lambda"]:
        assert f"com.amazonaws.us-east-1.{svc}" in names, svc
    details = {(d["ServiceName"], d["ServiceType"][0]["ServiceType"]): d for d in out["ServiceDetails"]}
    s3 = details[("com.amazonaws.us-east-1.s3", "Gateway")]
    assert s3["BaseEndpointDnsNames"] == ["s3.us-east-1.amazonaws.com"] and s3["Owner"] == "amazon"
    assert s3["VpcEndpointPolicySupported"] is True and s3["AcceptanceRequired"] is False
    assert "us-east-1a" in s3["AvailabilityZones"]
    ec2_svc = details[("com.amazonaws.us-east-1.ec2", "Interface")]
    assert ec2_svc["PrivateDnsName"] == "ec2.us-east-1.amazonaws.com"
    assert ec2_svc["BaseEndpointDnsNames"] == ["ec2.us-east-1.vpce.amazonaws.com"]
    assert ec2_svc["ServiceId"].startswith("vpce-svc-")
    assert ("com.amazonaws.us-east-1.s3", "Interface") in details
    assert ("com.amazonaws.us-east-1.dynamodb", "Gateway") in details

    gateways = ec2.describe_vpc_endpoint_services(Filters=[{"Name": "service-type", "Values": ["Gateway"]}])
    assert sorted(gateways["ServiceNames"]) == ["com.amazonaws.us-east-1.dynamodb", "com.amazonaws.us-east-1.s3"]
    paged = ec2.describe_vpc_endpoint_services(MaxResults=5)
    assert len(paged["ServiceDetails"]) == 5 and paged["NextToken"]
    nxt = ec2.describe_vpc_endpoint_services(MaxResults=5, NextToken=paged["NextToken"])
    assert nxt["ServiceDetails"][0]["ServiceId"] not in {d["ServiceId"] for d in paged["ServiceDetails"]}
    assert error_code(
        ec2.describe_vpc_endpoint_services, ServiceNames=["com.amazonaws.us-east-1.nope"]
    ) == "InvalidServiceName"


def test_gateway_endpoint_adds_and_removes_its_prefix_list_routes(ec2):
    run = unique("run")
    vpc = new_vpc(ec2, "10.45.0.0/16")
    rtb1 = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    rtb2 = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    created = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName="com.amazonaws.us-east-1.s3",
        RouteTableIds=[rtb1],
        TagSpecifications=tagged("vpc-endpoint", run),
    )["VpcEndpoint"]
    vpce = created["VpcEndpointId"]
    assert created["VpcEndpointType"] == "Gateway" and created["State"] == "available"
    assert created["RouteTableIds"] == [rtb1] and created["SubnetIds"] == [] and created["NetworkInterfaceIds"] == []
    assert '"Action":"*"' in created["PolicyDocument"]
    route = route_to(ec2, rtb1, GatewayId=vpce)
    assert route == {"DestinationPrefixListId": "pl-63a5400a", "GatewayId": vpce, "Origin": "CreateRoute", "State": "active"}
    assert error_code(
        ec2.create_vpc_endpoint, VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[rtb1]
    ) == "RouteAlreadyExists"
    assert error_code(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"

    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}'
    ec2.modify_vpc_endpoint(VpcEndpointId=vpce, AddRouteTableIds=[rtb2], RemoveRouteTableIds=[rtb1], PolicyDocument=policy)
    shown = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    assert shown["RouteTableIds"] == [rtb2] and shown["PolicyDocument"] == policy
    assert not [r for r in routes(ec2, rtb1) if r.get("GatewayId") == vpce]
    assert route_to(ec2, rtb2, GatewayId=vpce)["DestinationPrefixListId"] == "pl-63a5400a"
    assert error_code(ec2.modify_vpc_endpoint, VpcEndpointId=vpce, PolicyDocument="{not json") == "InvalidPolicyDocument"

    by_filters = ec2.describe_vpc_endpoints(
        Filters=run_filter(run)
        + [
            {"Name": "vpc-endpoint-type", "Values": ["Gateway"]},
            {"Name": "service-name", "Values": ["com.amazonaws.us-east-1.s3"]},
            {"Name": "vpc-endpoint-state", "Values": ["available"]},
            {"Name": "vpc-id", "Values": [vpc]},
        ]
    )["VpcEndpoints"]
    assert [e["VpcEndpointId"] for e in by_filters] == [vpce]

    missing = "vpce-00000000000000000"
    out = ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce, missing])
    assert [u["ResourceId"] for u in out["Unsuccessful"]] == [missing]
    assert out["Unsuccessful"][0]["Error"]["Code"] == "InvalidVpcEndpoint.NotFound"
    assert not [r for r in routes(ec2, rtb2) if r.get("GatewayId") == vpce]
    assert error_code(ec2.describe_vpc_endpoints, VpcEndpointIds=[vpce]) == "InvalidVpcEndpointId.NotFound"
    ec2.delete_route_table(RouteTableId=rtb1)
    ec2.delete_route_table(RouteTableId=rtb2)
    ec2.delete_vpc(VpcId=vpc)


def test_interface_endpoint_sits_in_subnets_behind_groups(ec2):
    run = unique("run")
    vpc = new_vpc(ec2, "10.46.0.0/16")
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.46.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    a2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.46.2.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.46.3.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName=f"vpce-{run}", Description="endpoint", VpcId=vpc)["GroupId"]
    args = dict(VpcId=vpc, VpcEndpointType="Interface", ServiceName="com.amazonaws.us-east-1.ssm", SecurityGroupIds=[sg])

    assert error_code(ec2.create_vpc_endpoint, SubnetIds=[a, a2], PrivateDnsEnabled=False, **args) == "DuplicateSubnetsInSameZone"
    assert error_code(ec2.create_vpc_endpoint, SubnetIds=[a, b], PrivateDnsEnabled=True, **args) == "InvalidParameter"
    assert error_code(
        ec2.create_vpc_endpoint, VpcId=vpc, VpcEndpointType="Gateway", ServiceName="com.amazonaws.us-east-1.ssm"
    ) == "InvalidParameter"
    assert error_code(
        ec2.create_vpc_endpoint, VpcId=vpc, ServiceName="com.amazonaws.us-east-1.nothing"
    ) == "InvalidServiceName"
    enable_dns_hostnames(ec2, vpc)

    created = ec2.create_vpc_endpoint(
        SubnetIds=[a, b], PrivateDnsEnabled=True, TagSpecifications=tagged("vpc-endpoint", run), **args
    )["VpcEndpoint"]
    vpce = created["VpcEndpointId"]
    assert created["State"] == "pending"
    assert created["Groups"] == [{"GroupId": sg, "GroupName": f"vpce-{run}"}]
    assert sorted(created["SubnetIds"]) == sorted([a, b])
    assert created["NetworkInterfaceIds"] == []
    names = [d["DnsName"] for d in created["DnsEntries"]]
    assert any(n.startswith(f"{vpce}-") and n.endswith(".ssm.us-east-1.vpce.amazonaws.com") for n in names)
    assert any("-us-east-1a." in n for n in names) and any("-us-east-1b." in n for n in names)
    assert "ssm.us-east-1.amazonaws.com" in names

    shown = ec2.describe_vpc_endpoints(
        Filters=run_filter(run) + [{"Name": "vpc-endpoint-type", "Values": ["Interface"]}]
    )["VpcEndpoints"]
    assert [(e["VpcEndpointId"], e["State"]) for e in shown] == [(vpce, "available")]
    assert error_code(ec2.delete_subnet, SubnetId=a) == "DependencyViolation"
    assert error_code(ec2.delete_security_group, GroupId=sg) == "DependencyViolation"

    ec2.modify_vpc_endpoint(VpcEndpointId=vpce, RemoveSubnetIds=[a], PrivateDnsEnabled=False)
    shown = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    assert shown["SubnetIds"] == [b] and shown["PrivateDnsEnabled"] is False
    assert error_code(ec2.modify_vpc_endpoint, VpcEndpointId=vpce, AddRouteTableIds=["rtb-0"]) == "InvalidParameter"
    ec2.delete_subnet(SubnetId=a)
    assert ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce])["Unsuccessful"] == []
    ec2.delete_security_group(GroupId=sg)


def test_endpoints_page(ec2):
    run = unique("run")
    vpc = new_vpc(ec2, "10.47.0.0/16")
    made = set()
    for svc in ["sts", "logs", "kms", "sqs", "sns", "lambda", "monitoring"]:
        made.add(
            ec2.create_vpc_endpoint(
                VpcId=vpc,
                VpcEndpointType="Interface",
                ServiceName=f"com.amazonaws.us-east-1.{svc}",
                PrivateDnsEnabled=False,
                TagSpecifications=tagged("vpc-endpoint", run),
            )["VpcEndpoint"]["VpcEndpointId"]
        )
    pages = ec2.get_paginator("describe_vpc_endpoints").paginate(
        Filters=run_filter(run), PaginationConfig={"PageSize": 3}
    )
    sizes, seen = [], set()
    for p in pages:
        sizes.append(len(p["VpcEndpoints"]))
        seen |= {e["VpcEndpointId"] for e in p["VpcEndpoints"]}
    assert sizes == [3, 3, 1] and seen == made
    ec2.delete_vpc_endpoints(VpcEndpointIds=sorted(made))


# --- VPC peering -----------------------------------------------------------------------


def test_peering_between_two_vpcs_of_the_account(ec2):
    run = unique("run")
    requester, accepter = new_vpc(ec2, "10.50.0.0/16"), new_vpc(ec2, "10.51.0.0/16")
    created = ec2.create_vpc_peering_connection(
        VpcId=requester, PeerVpcId=accepter, TagSpecifications=tagged("vpc-peering-connection", run)
    )["VpcPeeringConnection"]
    pcx = created["VpcPeeringConnectionId"]
    assert created["Status"] == {"Code": "initiating-request", "Message": "Initiating Request to 000000000000"}
    assert created["RequesterVpcInfo"]["CidrBlock"] == "10.50.0.0/16"
    assert created["AccepterVpcInfo"] == {"OwnerId": "000000000000", "VpcId": accepter, "Region": "us-east-1"}
    assert "ExpirationTime" in created
    ec2.get_waiter("vpc_peering_connection_exists").wait(VpcPeeringConnectionIds=[pcx], WaiterConfig=FAST)
    pending = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
    assert pending["Status"] == {"Code": "pending-acceptance", "Message": "Pending Acceptance by 000000000000"}

    rtb = ec2.create_route_table(VpcId=requester)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.51.0.0/16", VpcPeeringConnectionId=pcx)
    assert route_to(ec2, rtb, VpcPeeringConnectionId=pcx)["State"] == "blackhole"
    assert error_code(
        ec2.modify_vpc_peering_connection_options,
        VpcPeeringConnectionId=pcx,
        RequesterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True},
    ) == "OperationNotPermitted"

    accepted = ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)["VpcPeeringConnection"]
    assert accepted["Status"] == {"Code": "provisioning", "Message": "Provisioning"}
    assert accepted["AccepterVpcInfo"]["CidrBlock"] == "10.51.0.0/16"
    active = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
    assert active["Status"] == {"Code": "active", "Message": "Active"}
    assert active["RequesterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is False
    assert route_to(ec2, rtb, VpcPeeringConnectionId=pcx)["State"] == "active"
    assert error_code(ec2.accept_vpc_peering_connection, VpcPeeringConnectionId=pcx) == "InvalidStateTransition"
    assert error_code(ec2.delete_vpc, VpcId=accepter) == "DependencyViolation"

    dns = {"AllowDnsResolutionFromRemoteVpc": True}
    assert error_code(
        ec2.modify_vpc_peering_connection_options, VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions=dns
    ) == "InvalidVpcPeeringConnectionState.DnsHostnamesDisabled"
    enable_dns_hostnames(ec2, requester)
    enable_dns_hostnames(ec2, accepter)
    out = ec2.modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions=dns, AccepterPeeringConnectionOptions=dns
    )
    assert out["RequesterPeeringConnectionOptions"]["AllowDnsResolutionFromRemoteVpc"] is True
    assert out["AccepterPeeringConnectionOptions"]["AllowDnsResolutionFromRemoteVpc"] is True
    shown = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
    assert shown["AccepterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is True

    by_filters = ec2.describe_vpc_peering_connections(
        Filters=run_filter(run)
        + [
            {"Name": "status-code", "Values": ["active"]},
            {"Name": "requester-vpc-info.vpc-id", "Values": [requester]},
            {"Name": "accepter-vpc-info.cidr-block", "Values": ["10.51.0.0/16"]},
        ]
    )["VpcPeeringConnections"]
    assert [p["VpcPeeringConnectionId"] for p in by_filters] == [pcx]

    assert ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)["Return"] is True
    ec2.get_waiter("vpc_peering_connection_deleted").wait(VpcPeeringConnectionIds=[pcx], WaiterConfig=FAST)
    gone = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
    assert gone["Status"] == {"Code": "deleted", "Message": "Deleted by 000000000000"}
    assert route_to(ec2, rtb, VpcPeeringConnectionId=pcx)["State"] == "blackhole"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert e.value.response["Error"]["Code"] == "InvalidStateTransition"
    assert e.value.response["Error"]["Message"].endswith("from deleted to deleting")
    assert error_code(
        ec2.describe_vpc_peering_connections, VpcPeeringConnectionIds=["pcx-00000000000000000"]
    ) == "InvalidVpcPeeringConnectionID.NotFound"


def test_peering_overlap_fails_and_requests_can_be_rejected(ec2):
    run = unique("run")
    a, b, c = new_vpc(ec2, "10.52.0.0/16"), new_vpc(ec2, "10.52.128.0/17"), new_vpc(ec2, "10.53.0.0/16")
    overlap = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]
    assert overlap["Status"]["Code"] == "initiating-request", "AWS takes the request, then fails it"
    failed = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[overlap["VpcPeeringConnectionId"]])
    assert failed["VpcPeeringConnections"][0]["Status"] == {
        "Code": "failed",
        "Message": "Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range",
    }
    assert error_code(
        ec2.accept_vpc_peering_connection, VpcPeeringConnectionId=overlap["VpcPeeringConnectionId"]
    ) == "InvalidStateTransition"
    assert error_code(ec2.create_vpc_peering_connection, VpcId="vpc-00000000000000000", PeerVpcId=c) == "InvalidVpcID.NotFound"

    pcx = ec2.create_vpc_peering_connection(
        VpcId=a, PeerVpcId=c, TagSpecifications=tagged("vpc-peering-connection", run)
    )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    assert ec2.reject_vpc_peering_connection(VpcPeeringConnectionId=pcx)["Return"] is True
    shown = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
    assert shown["Status"] == {"Code": "rejected", "Message": "Rejected by 000000000000"}
    assert error_code(ec2.delete_vpc_peering_connection, VpcPeeringConnectionId=pcx) == "InvalidStateTransition"
    # A rejected request does not hold the VPC.
    ec2.delete_vpc(VpcId=c)


def test_peering_with_another_account_waits_for_its_answer(ec2):
    vpc = new_vpc(ec2, "10.54.0.0/16")
    pcx = ec2.create_vpc_peering_connection(
        VpcId=vpc, PeerVpcId="vpc-0abcdef0123456789", PeerOwnerId="111122223333"
    )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    shown = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
    assert shown["Status"] == {"Code": "pending-acceptance", "Message": "Pending Acceptance by 111122223333"}
    assert shown["AccepterVpcInfo"]["OwnerId"] == "111122223333"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert e.value.response["Error"]["Code"] == "OperationNotPermitted"
    assert "cannot accept peering" in e.value.response["Error"]["Message"]
    cross_region = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId="vpc-0abcdef0123456789", PeerRegion="eu-west-1")
    assert cross_region["VpcPeeringConnection"]["AccepterVpcInfo"]["Region"] == "eu-west-1"
    assert ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)["Return"] is True


def test_peering_connections_page(ec2):
    run = unique("run")
    base = new_vpc(ec2, "10.55.0.0/16")
    made = set()
    for i in range(6):
        peer = new_vpc(ec2, f"10.{56 + i}.0.0/16")
        made.add(
            ec2.create_vpc_peering_connection(
                VpcId=base, PeerVpcId=peer, TagSpecifications=tagged("vpc-peering-connection", run)
            )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        )
    first = ec2.describe_vpc_peering_connections(Filters=run_filter(run), MaxResults=5)
    assert len(first["VpcPeeringConnections"]) == 5
    second = ec2.describe_vpc_peering_connections(Filters=run_filter(run), MaxResults=5, NextToken=first["NextToken"])
    seen = {p["VpcPeeringConnectionId"] for p in first["VpcPeeringConnections"] + second["VpcPeeringConnections"]}
    assert seen == made and "NextToken" not in second


# --- flow logs ---------------------------------------------------------------------------


def test_flow_logs_to_cloudwatch_and_s3(ec2):
    run = unique("run")
    vpc = new_vpc(ec2, "10.62.0.0/16")
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.62.1.0/24")["Subnet"]["SubnetId"]
    role = "arn:aws:iam::000000000000:role/flow-logs"
    missing = "vpc-00000000000000000"
    out = ec2.create_flow_logs(
        ResourceType="VPC",
        ResourceIds=[vpc, missing],
        TrafficType="ALL",
        LogGroupName=f"/vpc/{run}",
        DeliverLogsPermissionArn=role,
        TagSpecifications=tagged("vpc-flow-log", run),
    )
    assert len(out["FlowLogIds"]) == 1
    assert [(u["ResourceId"], u["Error"]["Code"]) for u in out["Unsuccessful"]] == [(missing, "InvalidVpcID.NotFound")]
    cwl = out["FlowLogIds"][0]
    again = ec2.create_flow_logs(
        ResourceType="VPC", ResourceIds=[vpc], TrafficType="ALL", LogGroupName=f"/vpc/{run}", DeliverLogsPermissionArn=role
    )
    assert again["FlowLogIds"] == [] and again["Unsuccessful"][0]["Error"]["Code"] == "FlowLogAlreadyExists"
    s3 = ec2.create_flow_logs(
        ResourceType="Subnet",
        ResourceIds=[subnet],
        TrafficType="REJECT",
        LogDestinationType="s3",
        LogDestination=f"arn:aws:s3:::flow-{run}/logs/",
        MaxAggregationInterval=60,
        LogFormat="${srcaddr} ${dstaddr} ${action}",
        TagSpecifications=tagged("vpc-flow-log", run),
    )["FlowLogIds"][0]

    logs = {f["FlowLogId"]: f for f in ec2.describe_flow_logs(Filter=run_filter(run))["FlowLogs"]}
    assert set(logs) == {cwl, s3}
    c = logs[cwl]
    assert (c["ResourceId"], c["TrafficType"], c["LogDestinationType"]) == (vpc, "ALL", "cloud-watch-logs")
    assert c["LogGroupName"] == f"/vpc/{run}" and c["DeliverLogsPermissionArn"] == role
    assert c["FlowLogStatus"] == "ACTIVE" and c["DeliverLogsStatus"] == "SUCCESS"
    assert c["MaxAggregationInterval"] == 600 and c["LogFormat"].startswith("${version} ${account-id}")
    s = logs[s3]
    assert s["LogDestination"] == f"arn:aws:s3:::flow-{run}/logs/" and s["MaxAggregationInterval"] == 60
    assert s["DestinationOptions"] == {"FileFormat": "plain-text", "HiveCompatiblePartitions": False, "PerHourPartition": False}
    by = lambda name, value: [  # noqa: E731
        f["FlowLogId"] for f in ec2.describe_flow_logs(Filter=run_filter(run) + [{"Name": name, "Values": [value]}])["FlowLogs"]
    ]
    assert by("resource-id", subnet) == [s3]
    assert by("log-destination-type", "cloud-watch-logs") == [cwl]
    assert by("traffic-type", "REJECT") == [s3]
    assert by("log-group-name", f"/vpc/{run}") == [cwl]
    page = ec2.describe_flow_logs(Filter=run_filter(run), MaxResults=1)
    rest = ec2.describe_flow_logs(Filter=run_filter(run), MaxResults=1, NextToken=page["NextToken"])
    assert {f["FlowLogId"] for f in page["FlowLogs"] + rest["FlowLogs"]} == {cwl, s3}

    assert error_code(
        ec2.create_flow_logs, ResourceType="VPC", ResourceIds=[vpc], TrafficType="ALL", LogGroupName="g"
    ) == "InvalidParameter"
    assert error_code(
        ec2.create_flow_logs,
        ResourceType="VPC",
        ResourceIds=[vpc],
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::b",
        MaxAggregationInterval=120,
    ) == "InvalidParameter"

    deleted = ec2.delete_flow_logs(FlowLogIds=[cwl, "fl-00000000000000000"])
    assert [(u["ResourceId"], u["Error"]["Code"]) for u in deleted["Unsuccessful"]] == [
        ("fl-00000000000000000", "InvalidFlowLogId.NotFound")
    ]
    # A flow log ends with its resource.
    ec2.delete_subnet(SubnetId=subnet)
    assert ec2.describe_flow_logs(FlowLogIds=[s3])["FlowLogs"] == []
