"""Transit gateways with real boto3: the error paths of gateways, VPC attachments, route
tables, associations, propagations, routes and prefix-list references, and the routes a
table derives. Each test builds its own gateway and VPCs in a region of its own, so
their listings see only its resources."""

import botocore.exceptions
import pytest

from conftest import client, unique


def error(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def error_code(call, *args, **kwargs):
    return error(call, *args, **kwargs)[0]


@pytest.fixture
def ec2():
    return client("ec2", region="ap-southeast-2")


def new_tgw(ec2, **options):
    tgw = ec2.create_transit_gateway(Description=unique("tgw"), Options=options)["TransitGateway"]
    return tgw["TransitGatewayId"]


def default_table(ec2, tgw):
    return ec2.describe_transit_gateways(TransitGatewayIds=[tgw])["TransitGateways"][0]["Options"][
        "AssociationDefaultRouteTableId"
    ]


def new_vpc(ec2, second_octet):
    vpc = ec2.create_vpc(CidrBlock=f"10.{second_octet}.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{second_octet}.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
        for i, z in enumerate(zones)
    ]
    return vpc, subnets, zones


def attach(ec2, tgw, vpc, subnets, **kw):
    out = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=subnets, **kw)
    return out["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]


def test_gateway_errors(ec2):
    assert error(ec2.describe_transit_gateways, TransitGatewayIds=["tgw-0123456789abcdef0"]) == (
        "InvalidTransitGatewayID.NotFound",
        "Transit Gateway tgw-0123456789abcdef0 was deleted or does not exist.",
    )
    assert error_code(ec2.create_transit_gateway, Options={"AmazonSideAsn": 65535}) == "InvalidParameterValue"
    assert error_code(ec2.create_transit_gateway, Options={"DnsSupport": "maybe"}) == "InvalidParameterValue"
    blocks = {"TransitGatewayCidrBlocks": ["169.254.0.0/24"]}
    assert error_code(ec2.create_transit_gateway, Options=blocks) == "InvalidParameterValue"
    assert error_code(ec2.create_transit_gateway, DryRun=True) == "DryRunOperation"
    assert error_code(ec2.describe_transit_gateways, Filters=[{"Name": "colour", "Values": ["x"]}]) == (
        "InvalidParameterValue"
    )
    tgw = new_tgw(ec2, DefaultRouteTableAssociation="disable", DefaultRouteTablePropagation="disable")
    shown = ec2.describe_transit_gateways(TransitGatewayIds=[tgw])["TransitGateways"][0]
    assert shown["State"] == "available" and "AssociationDefaultRouteTableId" not in shown["Options"]
    # Enabling default association needs a table to associate with.
    enable = {"DefaultRouteTableAssociation": "enable"}
    assert error_code(ec2.modify_transit_gateway, TransitGatewayId=tgw, Options=enable) == "InvalidParameterValue"
    table = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw)["TransitGatewayRouteTable"]
    enable["AssociationDefaultRouteTableId"] = table["TransitGatewayRouteTableId"]
    out = ec2.modify_transit_gateway(TransitGatewayId=tgw, Options=enable)["TransitGateway"]
    assert out["State"] == "modifying"
    assert default_table(ec2, tgw) == table["TransitGatewayRouteTableId"]
    code, message = error(ec2.delete_transit_gateway_route_table, TransitGatewayRouteTableId=enable["AssociationDefaultRouteTableId"])
    assert code == "IncorrectState", message
    assert ec2.delete_transit_gateway(TransitGatewayId=tgw)["TransitGateway"]["State"] == "deleting"
    assert ec2.describe_transit_gateways(TransitGatewayIds=[tgw])["TransitGateways"][0]["State"] == "deleted"
    assert error_code(ec2.delete_transit_gateway, TransitGatewayId=tgw) == "InvalidTransitGatewayID.NotFound"


def test_vpc_attachment_errors(ec2):
    tgw = new_tgw(ec2)
    vpc, subnets, zones = new_vpc(ec2, 70)
    other_vpc, other_subnets, _ = new_vpc(ec2, 71)
    same_zone = ec2.create_subnet(VpcId=vpc, CidrBlock="10.70.9.0/24", AvailabilityZone=zones[0])["Subnet"]["SubnetId"]
    assert error(ec2.create_transit_gateway_vpc_attachment, TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[subnets[0], same_zone]) == (
        "DuplicateSubnetsInSameZone",
        "Duplicate Subnets for same AZ",
    )
    assert error_code(
        ec2.create_transit_gateway_vpc_attachment, TransitGatewayId=tgw, VpcId=vpc, SubnetIds=["subnet-0123456789abcdef0"]
    ) == "InvalidSubnetID.NotFound"
    assert error_code(
        ec2.create_transit_gateway_vpc_attachment, TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[other_subnets[0]]
    ) == "InvalidParameterValue"
    ipv6 = {"Ipv6Support": "enable"}
    assert error_code(
        ec2.create_transit_gateway_vpc_attachment, TransitGatewayId=tgw, VpcId=vpc, SubnetIds=subnets, Options=ipv6
    ) == "InvalidParameterValue"
    attachment = attach(ec2, tgw, vpc, subnets)
    assert error(ec2.create_transit_gateway_vpc_attachment, TransitGatewayId=tgw, VpcId=vpc, SubnetIds=subnets[:1]) == (
        "DuplicateTransitGatewayAttachment",
        f"{tgw} has non-deleted Transit Gateway Attachments with same VPC ID.",
    )
    shown = ec2.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=[attachment])[
        "TransitGatewayVpcAttachments"
    ][0]
    assert shown["State"] == "available" and sorted(shown["SubnetIds"]) == sorted(subnets)
    assert shown["Options"] == {
        "DnsSupport": "enable",
        "SecurityGroupReferencingSupport": "enable",
        "Ipv6Support": "disable",
        "ApplianceModeSupport": "disable",
    }
    # The attachment holds an interface in each subnet, so neither subnet nor VPC can go.
    assert error_code(ec2.delete_subnet, SubnetId=subnets[0]) == "DependencyViolation"
    assert error_code(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"
    code, message = error(ec2.delete_transit_gateway, TransitGatewayId=tgw)
    assert (code, message) == ("IncorrectState", f"{tgw} has non-deleted Transit Gateway Attachments: {attachment}.")
    remove_all = {"TransitGatewayAttachmentId": attachment, "RemoveSubnetIds": subnets}
    assert error_code(ec2.modify_transit_gateway_vpc_attachment, **remove_all) == "InvalidParameterValue"
    assert error_code(ec2.accept_transit_gateway_vpc_attachment, TransitGatewayAttachmentId=attachment) == "IncorrectState"
    ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=attachment)
    assert error(ec2.delete_transit_gateway_vpc_attachment, TransitGatewayAttachmentId=attachment) == (
        "InvalidTransitGatewayAttachmentID.NotFound",
        f"Transit Gateway VPC Attachment {attachment} was deleted or does not exist.",
    )
    for s in subnets + [same_zone] + other_subnets:
        ec2.delete_subnet(SubnetId=s)
    ec2.delete_vpc(VpcId=vpc)
    ec2.delete_vpc(VpcId=other_vpc)
    ec2.delete_transit_gateway(TransitGatewayId=tgw)


def test_association_propagation_and_route_errors(ec2):
    tgw = new_tgw(ec2)
    default = default_table(ec2, tgw)
    vpc, subnets, _ = new_vpc(ec2, 72)
    attachment = attach(ec2, tgw, vpc, subnets[:1])
    custom = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw)["TransitGatewayRouteTable"][
        "TransitGatewayRouteTableId"
    ]
    pair = {"TransitGatewayRouteTableId": custom, "TransitGatewayAttachmentId": attachment}
    assert error(ec2.associate_transit_gateway_route_table, **pair) == (
        "Resource.AlreadyAssociated",
        f"Transit Gateway Attachment {attachment} is already associated to a route table.",
    )
    assert error_code(ec2.disassociate_transit_gateway_route_table, **pair) == "InvalidAssociation.NotFound"
    assert error_code(ec2.disable_transit_gateway_route_table_propagation, **pair) == (
        "TransitGatewayRouteTablePropagation.NotFound"
    )
    ec2.enable_transit_gateway_route_table_propagation(**pair)
    assert error_code(ec2.enable_transit_gateway_route_table_propagation, **pair) == (
        "TransitGatewayRouteTablePropagation.Duplicate"
    )
    missing = {"TransitGatewayRouteTableId": "tgw-rtb-0123456789abcdef0", "TransitGatewayAttachmentId": attachment}
    assert error(ec2.associate_transit_gateway_route_table, **missing) == (
        "InvalidRouteTableID.NotFound",
        "Transit Gateway Route Table tgw-rtb-0123456789abcdef0 was deleted or does not exist.",
    )

    route = {"TransitGatewayRouteTableId": default, "DestinationCidrBlock": "10.200.0.0/16"}
    assert error_code(ec2.create_transit_gateway_route, **route) == "MissingParameter"
    assert error_code(
        ec2.create_transit_gateway_route, **route, TransitGatewayAttachmentId=attachment, Blackhole=True
    ) == "InvalidParameterCombination"
    ec2.create_transit_gateway_route(**route, TransitGatewayAttachmentId=attachment)
    assert error(ec2.create_transit_gateway_route, **route, Blackhole=True) == (
        "RouteAlreadyExists",
        f"Route 10.200.0.0/16 already exists in Transit Gateway Route Table {default}.",
    )
    replaced = ec2.replace_transit_gateway_route(**route, Blackhole=True)["Route"]
    assert replaced["State"] == "blackhole"
    gone = {"TransitGatewayRouteTableId": default, "DestinationCidrBlock": "10.201.0.0/16"}
    assert error_code(ec2.delete_transit_gateway_route, **gone) == "InvalidRoute.NotFound"
    assert error_code(ec2.replace_transit_gateway_route, **gone, Blackhole=True) == "InvalidRoute.NotFound"
    bad = {"Name": "route-search.exact-match", "Values": ["not-a-cidr"]}
    assert error_code(ec2.search_transit_gateway_routes, TransitGatewayRouteTableId=default, Filters=[bad]) == (
        "InvalidParameterValue"
    )

    # The VPC's CIDR propagates into both tables; the static route stays a blackhole.
    def routes(table):
        found = ec2.search_transit_gateway_routes(
            TransitGatewayRouteTableId=table, Filters=[{"Name": "state", "Values": ["active", "blackhole"]}]
        )
        return sorted((r["DestinationCidrBlock"], r["Type"], r["State"]) for r in found["Routes"])

    assert routes(default) == [("10.200.0.0/16", "static", "blackhole"), ("10.72.0.0/16", "propagated", "active")]
    assert routes(custom) == [("10.72.0.0/16", "propagated", "active")]

    # A VPC route to the gateway needs the VPC attached.
    other_vpc, _, _ = new_vpc(ec2, 73)
    rtb = ec2.create_route_table(VpcId=other_vpc)["RouteTable"]["RouteTableId"]
    assert error(ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="10.0.0.0/8", TransitGatewayId=tgw) == (
        "InvalidTransitGatewayID.NotFound",
        f"The transitGateway ID '{tgw}' does not exist.",
    )
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.0.0.0/8", TransitGatewayId=tgw)
    table = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    assert [r["State"] for r in table["Routes"] if r.get("TransitGatewayId") == tgw] == ["active"]


def test_prefix_list_reference_errors(ec2):
    tgw = new_tgw(ec2)
    table = default_table(ec2, tgw)
    vpc, subnets, _ = new_vpc(ec2, 74)
    attachment = attach(ec2, tgw, vpc, subnets[:1])
    pl = ec2.create_managed_prefix_list(
        PrefixListName=unique("pl"), AddressFamily="IPv4", MaxEntries=3, Entries=[{"Cidr": "172.20.0.0/16"}]
    )["PrefixList"]["PrefixListId"]
    missing = {"TransitGatewayRouteTableId": table, "PrefixListId": "pl-0123456789abcdef0", "Blackhole": True}
    assert error_code(ec2.create_transit_gateway_prefix_list_reference, **missing) == "InvalidPrefixListID.NotFound"
    ref = {"TransitGatewayRouteTableId": table, "PrefixListId": pl}
    created = ec2.create_transit_gateway_prefix_list_reference(**ref, TransitGatewayAttachmentId=attachment)
    assert created["TransitGatewayPrefixListReference"]["State"] == "pending"
    assert error_code(ec2.create_transit_gateway_prefix_list_reference, **ref, Blackhole=True) == "InvalidParameterValue"
    found = ec2.search_transit_gateway_routes(
        TransitGatewayRouteTableId=table, Filters=[{"Name": "prefix-list-id", "Values": [pl]}]
    )["Routes"]
    assert [(r["DestinationCidrBlock"], r["State"]) for r in found] == [("172.20.0.0/16", "active")]
    assert error_code(ec2.delete_managed_prefix_list, PrefixListId=pl) == "DependencyViolation"
    ec2.delete_transit_gateway_prefix_list_reference(**ref)
    assert error_code(ec2.delete_transit_gateway_prefix_list_reference, **ref) == "InvalidPrefixListID.NotFound"
    ec2.delete_managed_prefix_list(PrefixListId=pl)
