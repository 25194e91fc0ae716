"""Site-to-Site VPN with real boto3, the error paths first: connections to a virtual
private gateway and to a transit gateway, tunnel options, static routes and their
propagation into route tables, the customer gateway configuration, modifications,
deletion (and the gateways a connection holds). Each test tags what it makes with a run
id and its own customer gateway address, so tests do not see each other's connections."""

import xml.etree.ElementTree as ET

import botocore.exceptions
import pytest

from conftest import client, unique


def error(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]


def error_code(call, *args, **kwargs):
    return error(call, *args, **kwargs)["Code"]


@pytest.fixture
def ec2():
    return client("ec2")


def customer_gateway(ec2, ip, asn=65010):
    return ec2.create_customer_gateway(Type="ipsec.1", IpAddress=ip, BgpAsn=asn)["CustomerGateway"]["CustomerGatewayId"]


def attached_vgw(ec2, cidr):
    # Terraform's aws_vpn_gateway sends an empty AvailabilityZone: AWS takes it as none.
    vgw = ec2.create_vpn_gateway(Type="ipsec.1", AvailabilityZone="")["VpnGateway"]
    assert "AvailabilityZone" not in vgw
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    ec2.attach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw["VpnGatewayId"])
    return vgw["VpnGatewayId"], vpc


def one(ec2, vpn_id):
    return ec2.describe_vpn_connections(VpnConnectionIds=[vpn_id])["VpnConnections"][0]


def test_refusals_name_what_is_wrong(ec2):
    cgw = customer_gateway(ec2, "198.51.100.101")
    vgw, _ = attached_vgw(ec2, "10.81.0.0/16")

    def create(**options):
        return ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId=vgw, Options=options)

    assert error_code(create, TunnelOptions=[{"TunnelInsideCidr": "169.254.1.0/30"}]) == "InvalidParameterValue"
    assert error_code(create, TunnelOptions=[{"TunnelInsideCidr": "169.254.10.0/29"}]) == "InvalidParameterValue"
    assert error_code(create, TunnelOptions=[{"TunnelInsideCidr": "10.0.0.0/30"}]) == "InvalidParameterValue"
    assert error_code(create, TunnelOptions=[{"PreSharedKey": "0abcdefgh"}]) == "InvalidParameterValue"
    assert error_code(create, TunnelOptions=[{"PreSharedKey": "has-a-dash"}]) == "InvalidParameterValue"
    assert error_code(create, TunnelOptions=[{"PreSharedKey": "short"}]) == "InvalidParameterValue"
    assert error_code(create, TunnelOptions=[{"Phase2LifetimeSeconds": 7200}]) == "InvalidParameterValue"
    assert error_code(create, TunnelOptions=[{"DPDTimeoutAction": "explode"}]) == "InvalidParameterValue"
    three = [{"PreSharedKey": f"tunnel_key_{i}"} for i in range(3)]
    assert error_code(create, TunnelOptions=three) == "InvalidParameterValue"
    assert error_code(create, TunnelInsideIpVersion="ipv6") == "InvalidParameterCombination"
    assert error_code(create, EnableAcceleration=True) == "InvalidParameterCombination"
    assert error_code(
        ec2.create_vpn_connection, Type="ipsec.1", CustomerGatewayId="cgw-0123456789abcdef0", VpnGatewayId=vgw
    ) == "InvalidCustomerGatewayID.NotFound"
    assert error_code(
        ec2.create_vpn_connection, Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId="vgw-0123456789abcdef0"
    ) == "InvalidVpnGatewayID.NotFound"
    assert error_code(
        ec2.create_vpn_connection, Type="ipsec.1", CustomerGatewayId=cgw, TransitGatewayId="tgw-0123456789abcdef0"
    ) == "InvalidTransitGatewayID.NotFound"
    err = error(ec2.describe_vpn_connections, VpnConnectionIds=["vpn-0123456789abcdef0"])
    assert err == {"Code": "InvalidVpnConnectionID.NotFound", "Message": "The vpnConnection ID 'vpn-0123456789abcdef0' does not exist"}
    assert error_code(ec2.describe_vpn_connections, Filters=[{"Name": "nope", "Values": ["x"]}]) == "InvalidParameterValue"
    assert error_code(ec2.delete_vpn_connection, VpnConnectionId="vpn-0123456789abcdef0") == (
        "InvalidVpnConnectionID.NotFound"
    )
    # DryRun answers without making anything.
    assert error_code(
        ec2.create_vpn_connection, Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId=vgw, DryRun=True
    ) == "DryRunOperation"
    got = ec2.describe_vpn_connections(Filters=[{"Name": "customer-gateway-id", "Values": [cgw]}])["VpnConnections"]
    assert got == []


def test_a_connection_to_a_virtual_private_gateway_lives_and_dies(ec2):
    run = unique("vpn")
    cgw = customer_gateway(ec2, "198.51.100.102", asn=65020)
    vgw, vpc = attached_vgw(ec2, "10.82.0.0/16")
    made = ec2.create_vpn_connection(
        Type="ipsec.1",
        CustomerGatewayId=cgw,
        VpnGatewayId=vgw,
        Options={
            "StaticRoutesOnly": True,
            "TunnelOptions": [{"TunnelInsideCidr": "169.254.44.0/30", "PreSharedKey": "tunnel_one.key"}, {}],
        },
        TagSpecifications=[{"ResourceType": "vpn-connection", "Tags": [{"Key": "run", "Value": run}]}],
    )["VpnConnection"]
    vpn = made["VpnConnectionId"]
    assert made["State"] == "pending"
    ec2.get_waiter("vpn_connection_available").wait(VpnConnectionIds=[vpn], WaiterConfig={"Delay": 1})
    c = one(ec2, vpn)
    assert c["State"] == "available" and c["Type"] == "ipsec.1" and c["Category"] == "VPN"
    assert c["CustomerGatewayId"] == cgw and c["VpnGatewayId"] == vgw
    assert c["Options"]["StaticRoutesOnly"] is True
    assert c["Options"]["LocalIpv4NetworkCidr"] == "0.0.0.0/0" and c["Options"]["RemoteIpv4NetworkCidr"] == "0.0.0.0/0"
    tunnels = c["Options"]["TunnelOptions"]
    assert [t["TunnelInsideCidr"] for t in tunnels][0] == "169.254.44.0/30"
    assert tunnels[0]["PreSharedKey"] == "tunnel_one.key"
    assert len(tunnels[1]["PreSharedKey"]) == 32 and tunnels[1]["TunnelInsideCidr"].startswith("169.254.")
    assert [t["OutsideIpAddress"] for t in c["VgwTelemetry"]] == [t["OutsideIpAddress"] for t in tunnels]
    assert all(t["Status"] == "DOWN" for t in c["VgwTelemetry"])
    assert c["Tags"] == [{"Key": "run", "Value": run}]

    # The configuration AWS hands the customer, as its device (and Terraform) reads it.
    root = ET.fromstring(c["CustomerGatewayConfiguration"])
    assert root.tag == "vpn_connection" and root.get("id") == vpn
    assert root.findtext("customer_gateway_id") == cgw and root.findtext("vpn_gateway_id") == vgw
    xml_tunnels = root.findall("ipsec_tunnel")
    assert len(xml_tunnels) == 2
    first = xml_tunnels[0]
    assert first.findtext("customer_gateway/tunnel_outside_address/ip_address") == "198.51.100.102"
    assert first.findtext("vpn_gateway/tunnel_outside_address/ip_address") == tunnels[0]["OutsideIpAddress"]
    assert first.findtext("vpn_gateway/tunnel_inside_address/ip_address") == "169.254.44.1"
    assert first.findtext("customer_gateway/tunnel_inside_address/ip_address") == "169.254.44.2"
    assert first.findtext("ike/pre_shared_key") == "tunnel_one.key"
    assert first.find("vpn_gateway/bgp") is None, "static routing has no BGP"

    # Static routes, propagated into a route table that propagates the gateway.
    ec2.create_vpn_connection_route(VpnConnectionId=vpn, DestinationCidrBlock="192.168.82.0/24")
    assert error_code(ec2.create_vpn_connection_route, VpnConnectionId=vpn, DestinationCidrBlock="192.168.82.0/24") == (
        "RouteAlreadyExists"
    )
    assert one(ec2, vpn)["Routes"] == [{"DestinationCidrBlock": "192.168.82.0/24", "Source": "Static", "State": "available"}]
    by_route = ec2.describe_vpn_connections(
        Filters=[{"Name": "route.destination-cidr-block", "Values": ["192.168.82.0/24"]}, {"Name": "tag:run", "Values": [run]}]
    )["VpnConnections"]
    assert [v["VpnConnectionId"] for v in by_route] == [vpn]
    for name, value in [
        ("option.static-routes-only", "true"),
        ("bgp-asn", "65020"),
        ("vpn-gateway-id", vgw),
        ("type", "ipsec.1"),
        ("state", "available"),
    ]:
        got = ec2.describe_vpn_connections(Filters=[{"Name": name, "Values": [value]}, {"Name": "tag:run", "Values": [run]}])
        assert len(got["VpnConnections"]) == 1, name
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.enable_vgw_route_propagation(GatewayId=vgw, RouteTableId=rtb)
    table = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    assert table["PropagatingVgws"] == [{"GatewayId": vgw}]
    propagated = [r for r in table["Routes"] if r.get("Origin") == "EnableVgwRoutePropagation"]
    assert propagated == [
        {"DestinationCidrBlock": "192.168.82.0/24", "GatewayId": vgw, "Origin": "EnableVgwRoutePropagation", "State": "active"}
    ]
    ec2.disable_vgw_route_propagation(GatewayId=vgw, RouteTableId=rtb)
    table = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    assert not [r for r in table["Routes"] if r.get("Origin") == "EnableVgwRoutePropagation"]
    ec2.delete_vpn_connection_route(VpnConnectionId=vpn, DestinationCidrBlock="192.168.82.0/24")
    assert error_code(ec2.delete_vpn_connection_route, VpnConnectionId=vpn, DestinationCidrBlock="192.168.82.0/24") == (
        "InvalidRoute.NotFound"
    )

    # One tunnel's options, named by its outside address.
    outside = tunnels[1]["OutsideIpAddress"]
    ec2.modify_vpn_tunnel_options(
        VpnConnectionId=vpn,
        VpnTunnelOutsideIpAddress=outside,
        TunnelOptions={"PreSharedKey": "second.key_2", "Phase1LifetimeSeconds": 3600, "IKEVersions": [{"Value": "ikev2"}]},
    )
    t = one(ec2, vpn)["Options"]["TunnelOptions"][1]
    assert t["PreSharedKey"] == "second.key_2" and t["Phase1LifetimeSeconds"] == 3600
    assert t["IkeVersions"] == [{"Value": "ikev2"}]
    assert error_code(
        ec2.modify_vpn_tunnel_options,
        VpnConnectionId=vpn,
        VpnTunnelOutsideIpAddress="192.0.2.1",
        TunnelOptions={"DPDTimeoutSeconds": 40},
    ) == "InvalidParameterValue"
    assert error_code(
        ec2.modify_vpn_tunnel_options,
        VpnConnectionId=vpn,
        VpnTunnelOutsideIpAddress=outside,
        TunnelOptions={"TunnelInsideCidr": "169.254.44.0/30"},
    ) == "InvalidParameterValue", "the other tunnel's inside CIDR"
    ec2.modify_vpn_connection_options(VpnConnectionId=vpn, RemoteIpv4NetworkCidr="10.82.0.0/16")
    assert one(ec2, vpn)["Options"]["RemoteIpv4NetworkCidr"] == "10.82.0.0/16"

    # The gateways are in use while the connection lives.
    assert error(ec2.delete_customer_gateway, CustomerGatewayId=cgw) == {
        "Code": "IncorrectState",
        "Message": "The customer gateway is in use.",
    }
    assert error_code(ec2.delete_vpn_gateway, VpnGatewayId=vgw) == "IncorrectState"

    ec2.delete_vpn_connection(VpnConnectionId=vpn)
    ec2.get_waiter("vpn_connection_deleted").wait(VpnConnectionIds=[vpn], WaiterConfig={"Delay": 1})
    gone = one(ec2, vpn)
    assert gone["State"] == "deleted" and "CustomerGatewayConfiguration" not in gone
    assert error_code(ec2.delete_vpn_connection, VpnConnectionId=vpn) == "InvalidVpnConnectionID.NotFound"
    ec2.delete_customer_gateway(CustomerGatewayId=cgw)
    ec2.detach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw)
    ec2.delete_vpn_gateway(VpnGatewayId=vgw)


def test_a_connection_moves_to_a_transit_gateway(ec2):
    cgw = customer_gateway(ec2, "198.51.100.103")
    vgw, vpc = attached_vgw(ec2, "10.83.0.0/16")
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId=vgw)["VpnConnection"][
        "VpnConnectionId"
    ]
    assert error_code(ec2.create_vpn_connection_route, VpnConnectionId=vpn, DestinationCidrBlock="192.168.0.0/24") == (
        "InvalidParameterValue"
    ), "BGP routing takes no static routes"
    xml = ET.fromstring(one(ec2, vpn)["CustomerGatewayConfiguration"])
    assert xml.findtext("ipsec_tunnel/vpn_gateway/bgp/asn") == "64512"
    assert xml.findtext("ipsec_tunnel/customer_gateway/bgp/asn") == "65010"

    tgw = ec2.create_transit_gateway(Options={"AmazonSideAsn": 64600})["TransitGateway"]["TransitGatewayId"]
    moved = ec2.modify_vpn_connection(VpnConnectionId=vpn, TransitGatewayId=tgw)["VpnConnection"]
    assert moved["State"] == "modifying"
    ec2.get_waiter("vpn_connection_available").wait(VpnConnectionIds=[vpn], WaiterConfig={"Delay": 1})
    c = one(ec2, vpn)
    assert c["TransitGatewayId"] == tgw and "VpnGatewayId" not in c
    assert ET.fromstring(c["CustomerGatewayConfiguration"]).findtext("ipsec_tunnel/vpn_gateway/bgp/asn") == "64600"
    attachments = ec2.describe_transit_gateway_attachments(
        Filters=[{"Name": "resource-id", "Values": [vpn]}, {"Name": "resource-type", "Values": ["vpn"]}]
    )["TransitGatewayAttachments"]
    assert [(a["TransitGatewayId"], a["State"]) for a in attachments] == [(tgw, "available")]
    by_tgw = ec2.describe_vpn_connections(Filters=[{"Name": "transit-gateway-id", "Values": [tgw]}])["VpnConnections"]
    assert [v["VpnConnectionId"] for v in by_tgw] == [vpn]
    # The virtual private gateway is free again.
    ec2.detach_vpn_gateway(VpcId=vpc, VpnGatewayId=vgw)
    ec2.delete_vpn_gateway(VpnGatewayId=vgw)

    ec2.delete_vpn_connection(VpnConnectionId=vpn)
    attachments = ec2.describe_transit_gateway_attachments(
        Filters=[{"Name": "resource-id", "Values": [vpn]}]
    )["TransitGatewayAttachments"]
    assert [a["State"] for a in attachments] == ["deleted"]
    ec2.delete_customer_gateway(CustomerGatewayId=cgw)
    ec2.delete_transit_gateway(TransitGatewayId=tgw)


def test_a_transit_gateway_connection_with_ipv6_tunnels(ec2):
    cgw = customer_gateway(ec2, "198.51.100.104")
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    c = ec2.create_vpn_connection(
        Type="ipsec.1",
        CustomerGatewayId=cgw,
        TransitGatewayId=tgw,
        Options={"TunnelInsideIpVersion": "ipv6", "TunnelOptions": [{"TunnelInsideIpv6Cidr": "fd00:10:20:30::/126"}]},
    )["VpnConnection"]
    assert c["Options"]["TunnelInsideIpVersion"] == "ipv6"
    assert c["Options"]["LocalIpv6NetworkCidr"] == "::/0" and "LocalIpv4NetworkCidr" not in c["Options"]
    assert c["Options"]["TunnelOptions"][0]["TunnelInsideIpv6Cidr"] == "fd00:10:20:30::/126"
    assert c["Options"]["TunnelOptions"][1]["TunnelInsideIpv6Cidr"].startswith("fd")
    assert error_code(
        ec2.modify_vpn_connection_options, VpnConnectionId=c["VpnConnectionId"], LocalIpv4NetworkCidr="10.0.0.0/8"
    ) == "InvalidParameterCombination"
    ec2.delete_vpn_connection(VpnConnectionId=c["VpnConnectionId"])
    ec2.delete_customer_gateway(CustomerGatewayId=cgw)
    ec2.delete_transit_gateway(TransitGatewayId=tgw)
