use chrono::TimeDelta;
use nimbus_core::{RequestContext, Service};
use serde_json::{json, Value};

use crate::testing::{call, refused};
use crate::Ec2;

fn cgw(ec2: &Ec2, ctx: &RequestContext, ip: &str) -> String {
    let out = call(ec2, ctx, "CreateCustomerGateway", json!({"Type": "ipsec.1", "IpAddress": ip, "BgpAsn": 65010}));
    out["CustomerGateway"]["CustomerGatewayId"].as_str().unwrap().to_string()
}

/// A virtual private gateway attached to a new VPC; (vgw, vpc).
fn attached_vgw(ec2: &Ec2, ctx: &RequestContext) -> (String, String) {
    let vgw = call(ec2, ctx, "CreateVpnGateway", json!({"Type": "ipsec.1", "AvailabilityZone": ""}));
    let vgw = vgw["VpnGateway"]["VpnGatewayId"].as_str().unwrap().to_string();
    let vpc =
        call(ec2, ctx, "CreateVpc", json!({"CidrBlock": "10.0.0.0/16"}))["Vpc"]["VpcId"].as_str().unwrap().to_string();
    call(ec2, ctx, "AttachVpnGateway", json!({"VpcId": vpc, "VpnGatewayId": vgw}));
    (vgw, vpc)
}

fn describe(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
    call(ec2, ctx, "DescribeVpnConnections", json!({"VpnConnectionIds": [id]}))["VpnConnections"][0].clone()
}

#[test]
fn a_connection_to_a_virtual_private_gateway_has_two_tunnels_and_a_configuration() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let cgw = cgw(&ec2, &ctx, "198.51.100.10");
    let (vgw, _) = attached_vgw(&ec2, &ctx);
    let input = json!({
        "Type": "ipsec.1", "CustomerGatewayId": cgw, "VpnGatewayId": vgw,
        "Options": {"TunnelOptions": [{"TunnelInsideCidr": "169.254.10.0/30", "PreSharedKey": "first_key.1"}]},
        "TagSpecifications": [{"ResourceType": "vpn-connection", "Tags": [{"Key": "Name", "Value": "s2s"}]}],
    });
    let made = call(&ec2, &ctx, "CreateVpnConnection", input)["VpnConnection"].clone();
    assert_eq!(made["State"], "pending");
    let id = made["VpnConnectionId"].as_str().unwrap().to_string();
    assert!(id.starts_with("vpn-"));
    let c = describe(&ec2, &ctx, &id);
    assert_eq!((c["State"].as_str(), c["Category"].as_str()), (Some("available"), Some("VPN")));
    assert_eq!(c["GatewayAssociationState"], "associated");
    assert_eq!(c["Options"]["StaticRoutesOnly"], false);
    assert_eq!(c["Options"]["LocalIpv4NetworkCidr"], "0.0.0.0/0");
    assert_eq!(c["Options"]["TunnelInsideIpVersion"], "ipv4");
    let tunnels = c["Options"]["TunnelOptions"].as_array().unwrap();
    assert_eq!(tunnels.len(), 2);
    assert_eq!(tunnels[0]["TunnelInsideCidr"], "169.254.10.0/30");
    assert_eq!(tunnels[0]["PreSharedKey"], "first_key.1");
    let generated = tunnels[1]["PreSharedKey"].as_str().unwrap();
    assert_eq!(generated.len(), 32);
    assert!(tunnels[0]["OutsideIpAddress"].as_str() < tunnels[1]["OutsideIpAddress"].as_str());
    assert_eq!(c["VgwTelemetry"].as_array().unwrap().len(), 2);
    assert_eq!(c["VgwTelemetry"][0]["Status"], "DOWN");
    let xml = c["CustomerGatewayConfiguration"].as_str().unwrap();
    assert!(xml.contains("<ip_address>198.51.100.10</ip_address>"));
    assert!(xml.contains("<ip_address>169.254.10.2</ip_address>"));
    assert!(xml.contains(&format!("<pre_shared_key>{generated}</pre_shared_key>")));
    assert!(xml.contains("<asn>65010</asn>"));
    assert_eq!(c["Tags"][0]["Value"], "s2s");

    // Filters.
    let by = |name: &str, value: &str| {
        let f = json!({"Filters": [{"Name": name, "Values": [value]}]});
        call(&ec2, &ctx, "DescribeVpnConnections", f)["VpnConnections"].as_array().unwrap().len()
    };
    assert_eq!(by("vpn-gateway-id", &vgw), 1);
    assert_eq!(by("customer-gateway-id", &cgw), 1);
    assert_eq!(by("bgp-asn", "65010"), 1);
    assert_eq!(by("option.static-routes-only", "true"), 0);
    assert_eq!(by("tag:Name", "s2s"), 1);
    assert_eq!(by("state", "available"), 1);
    let bad = json!({"Filters": [{"Name": "nope", "Values": ["x"]}]});
    assert_eq!(refused(&ec2, &ctx, "DescribeVpnConnections", bad), "InvalidParameterValue");

    // The gateways are in use; static routes need static routing.
    assert_eq!(refused(&ec2, &ctx, "DeleteCustomerGateway", json!({"CustomerGatewayId": cgw})), "IncorrectState");
    assert_eq!(refused(&ec2, &ctx, "DeleteVpnGateway", json!({"VpnGatewayId": vgw})), "IncorrectState");
    let route = json!({"VpnConnectionId": id, "DestinationCidrBlock": "192.168.0.0/16"});
    assert_eq!(refused(&ec2, &ctx, "CreateVpnConnectionRoute", route), "InvalidParameterValue");
    // Another connection of the gateway cannot take the same inside CIDR.
    let other = cgw_second(&ec2, &ctx);
    let clash = json!({
        "Type": "ipsec.1", "CustomerGatewayId": other, "VpnGatewayId": vgw,
        "Options": {"TunnelOptions": [{"TunnelInsideCidr": "169.254.10.0/30"}]},
    });
    assert_eq!(refused(&ec2, &ctx, "CreateVpnConnection", clash), "InvalidParameterValue");

    call(&ec2, &ctx, "DeleteVpnConnection", json!({"VpnConnectionId": id}));
    let gone = describe(&ec2, &ctx, &id);
    assert_eq!(gone["State"], "deleted");
    assert!(gone.get("CustomerGatewayConfiguration").is_none());
    assert_eq!(
        refused(&ec2, &ctx, "DeleteVpnConnection", json!({"VpnConnectionId": id})),
        "InvalidVpnConnectionID.NotFound"
    );
    call(&ec2, &ctx, "DeleteCustomerGateway", json!({"CustomerGatewayId": cgw}));
    let mut later = ctx.clone();
    later.now += TimeDelta::hours(2);
    assert_eq!(
        refused(&ec2, &later, "DescribeVpnConnections", json!({"VpnConnectionIds": [id]})),
        "InvalidVpnConnectionID.NotFound"
    );
}

fn cgw_second(ec2: &Ec2, ctx: &RequestContext) -> String {
    cgw(ec2, ctx, "198.51.100.11")
}

#[test]
fn static_routes_propagate_into_route_tables() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let cgw = cgw(&ec2, &ctx, "198.51.100.20");
    let (vgw, vpc) = attached_vgw(&ec2, &ctx);
    let input = json!({"Type": "ipsec.1", "CustomerGatewayId": cgw, "VpnGatewayId": vgw, "Options": {"StaticRoutesOnly": true}});
    let id = call(&ec2, &ctx, "CreateVpnConnection", input)["VpnConnection"]["VpnConnectionId"].clone();
    let route = json!({"VpnConnectionId": id, "DestinationCidrBlock": "192.168.0.0/16"});
    call(&ec2, &ctx, "CreateVpnConnectionRoute", route.clone());
    assert_eq!(refused(&ec2, &ctx, "CreateVpnConnectionRoute", route.clone()), "RouteAlreadyExists");
    let bad = json!({"VpnConnectionId": id, "DestinationCidrBlock": "192.168.0.1/16"});
    assert_eq!(refused(&ec2, &ctx, "CreateVpnConnectionRoute", bad), "InvalidParameterValue");
    let c = describe(&ec2, &ctx, id.as_str().unwrap());
    assert_eq!(
        c["Routes"],
        json!([{"DestinationCidrBlock": "192.168.0.0/16", "Source": "Static", "State": "available"}])
    );
    assert!(!c["CustomerGatewayConfiguration"].as_str().unwrap().contains("<bgp>"));

    let rtb = call(&ec2, &ctx, "CreateRouteTable", json!({"VpcId": vpc}))["RouteTable"]["RouteTableId"].clone();
    call(&ec2, &ctx, "EnableVgwRoutePropagation", json!({"GatewayId": vgw, "RouteTableId": rtb}));
    let routes = |ec2: &Ec2| {
        let t = call(ec2, &ctx, "DescribeRouteTables", json!({"RouteTableIds": [rtb]}));
        t["RouteTables"][0]["Routes"].as_array().unwrap().clone()
    };
    let propagated = routes(&ec2);
    let r = propagated.iter().find(|r| r["DestinationCidrBlock"] == "192.168.0.0/16").expect("propagated");
    assert_eq!(
        (r["GatewayId"].as_str(), r["Origin"].as_str()),
        (Some(vgw.as_str()), Some("EnableVgwRoutePropagation"))
    );
    call(&ec2, &ctx, "DeleteVpnConnectionRoute", route.clone());
    assert!(routes(&ec2).iter().all(|r| r["DestinationCidrBlock"] != "192.168.0.0/16"));
    assert_eq!(refused(&ec2, &ctx, "DeleteVpnConnectionRoute", route), "InvalidRoute.NotFound");
    assert_eq!(describe(&ec2, &ctx, id.as_str().unwrap())["Routes"], json!([]));
}

#[test]
fn options_are_checked_as_aws_checks_them() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let cgw = cgw(&ec2, &ctx, "198.51.100.30");
    let (vgw, _) = attached_vgw(&ec2, &ctx);
    let with =
        |options: Value| json!({"Type": "ipsec.1", "CustomerGatewayId": cgw, "VpnGatewayId": vgw, "Options": options});
    for (options, code) in [
        (json!({"TunnelOptions": [{"TunnelInsideCidr": "169.254.1.0/30"}]}), "InvalidParameterValue"),
        (json!({"TunnelOptions": [{"TunnelInsideCidr": "10.0.0.0/30"}]}), "InvalidParameterValue"),
        (json!({"TunnelOptions": [{"PreSharedKey": "0startswithzero"}]}), "InvalidParameterValue"),
        (json!({"TunnelOptions": [{"PreSharedKey": "short"}]}), "InvalidParameterValue"),
        (json!({"TunnelOptions": [{"Phase1LifetimeSeconds": 100}]}), "InvalidParameterValue"),
        (json!({"TunnelOptions": [{}, {}, {}]}), "InvalidParameterValue"),
        (
            json!({"TunnelOptions": [{"TunnelInsideCidr": "169.254.20.0/30"}, {"TunnelInsideCidr": "169.254.20.0/30"}]}),
            "InvalidParameterValue",
        ),
        (json!({"TunnelInsideIpVersion": "ipv6"}), "InvalidParameterCombination"),
        (json!({"EnableAcceleration": true}), "InvalidParameterCombination"),
        (json!({"LocalIpv4NetworkCidr": "nope"}), "InvalidParameterValue"),
    ] {
        assert_eq!(refused(&ec2, &ctx, "CreateVpnConnection", with(options.clone())), code, "{options}");
    }
    let missing = json!({"Type": "ipsec.1", "CustomerGatewayId": "cgw-0000000000000000a", "VpnGatewayId": vgw});
    assert_eq!(refused(&ec2, &ctx, "CreateVpnConnection", missing), "InvalidCustomerGatewayID.NotFound");
    let no_vgw = json!({"Type": "ipsec.1", "CustomerGatewayId": cgw, "VpnGatewayId": "vgw-0000000000000000a"});
    assert_eq!(refused(&ec2, &ctx, "CreateVpnConnection", no_vgw), "InvalidVpnGatewayID.NotFound");
    let bad_type = json!({"Type": "ipsec.2", "CustomerGatewayId": cgw, "VpnGatewayId": vgw});
    assert_eq!(refused(&ec2, &ctx, "CreateVpnConnection", bad_type), "InvalidParameterValue");
    assert_eq!(
        refused(&ec2, &ctx, "DescribeVpnConnections", json!({"VpnConnectionIds": ["vpn-0000000000000000a"]})),
        "InvalidVpnConnectionID.NotFound"
    );
}

#[test]
fn modifications_change_gateway_options_and_one_tunnel() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let cgw = cgw(&ec2, &ctx, "198.51.100.40");
    let (vgw, _) = attached_vgw(&ec2, &ctx);
    let input = json!({"Type": "ipsec.1", "CustomerGatewayId": cgw, "VpnGatewayId": vgw});
    let id = call(&ec2, &ctx, "CreateVpnConnection", input)["VpnConnection"]["VpnConnectionId"].clone();

    let tgw = call(&ec2, &ctx, "CreateTransitGateway", json!({}))["TransitGateway"]["TransitGatewayId"].clone();
    let moved = call(&ec2, &ctx, "ModifyVpnConnection", json!({"VpnConnectionId": id, "TransitGatewayId": tgw}));
    assert_eq!(moved["VpnConnection"]["State"], "modifying");
    let c = describe(&ec2, &ctx, id.as_str().unwrap());
    assert_eq!((c["State"].as_str(), c["TransitGatewayId"].as_str()), (Some("available"), tgw.as_str()));
    assert!(c.get("VpnGatewayId").is_none());
    let filter =
        json!({"Filters": [{"Name": "resource-type", "Values": ["vpn"]}, {"Name": "resource-id", "Values": [id]}]});
    let attachments = call(&ec2, &ctx, "DescribeTransitGatewayAttachments", filter.clone());
    assert_eq!(attachments["TransitGatewayAttachments"][0]["TransitGatewayId"], tgw);
    // The gateway is now free to go; the transit gateway's attachment goes with the connection.
    call(&ec2, &ctx, "DetachVpnGateway", json!({"VpcId": attached_vpc(&ec2, &ctx, &vgw), "VpnGatewayId": vgw}));
    call(&ec2, &ctx, "DeleteVpnGateway", json!({"VpnGatewayId": vgw}));

    let opts = json!({"VpnConnectionId": id, "LocalIpv4NetworkCidr": "10.0.0.0/16"});
    call(&ec2, &ctx, "ModifyVpnConnectionOptions", opts);
    assert_eq!(describe(&ec2, &ctx, id.as_str().unwrap())["Options"]["LocalIpv4NetworkCidr"], "10.0.0.0/16");
    let v6 = json!({"VpnConnectionId": id, "LocalIpv6NetworkCidr": "::/0"});
    assert_eq!(refused(&ec2, &ctx, "ModifyVpnConnectionOptions", v6), "InvalidParameterCombination");

    let outside = c["Options"]["TunnelOptions"][1]["OutsideIpAddress"].clone();
    let tunnel = json!({
        "VpnConnectionId": id, "VpnTunnelOutsideIpAddress": outside,
        "TunnelOptions": {"PreSharedKey": "new_key_22", "DPDTimeoutSeconds": 45, "IKEVersions": [{"Value": "ikev2"}]},
    });
    call(&ec2, &ctx, "ModifyVpnTunnelOptions", tunnel);
    let t = describe(&ec2, &ctx, id.as_str().unwrap())["Options"]["TunnelOptions"][1].clone();
    assert_eq!((t["PreSharedKey"].as_str(), t["DpdTimeoutSeconds"].as_i64()), (Some("new_key_22"), Some(45)));
    assert_eq!(t["IkeVersions"], json!([{"Value": "ikev2"}]));
    let wrong = json!({"VpnConnectionId": id, "VpnTunnelOutsideIpAddress": "192.0.2.1", "TunnelOptions": {}});
    assert_eq!(refused(&ec2, &ctx, "ModifyVpnTunnelOptions", wrong), "InvalidParameterValue");

    call(&ec2, &ctx, "DeleteVpnConnection", json!({"VpnConnectionId": id}));
    let attachments = call(&ec2, &ctx, "DescribeTransitGatewayAttachments", filter);
    assert_eq!(attachments["TransitGatewayAttachments"][0]["State"], "deleted");
}

fn attached_vpc(ec2: &Ec2, ctx: &RequestContext, vgw: &str) -> String {
    let g = call(ec2, ctx, "DescribeVpnGateways", json!({"VpnGatewayIds": [vgw]}));
    g["VpnGateways"][0]["VpcAttachments"][0]["VpcId"].as_str().unwrap().to_string()
}

#[test]
fn an_empty_availability_zone_counts_as_none() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let g = call(&ec2, &ctx, "CreateVpnGateway", json!({"Type": "ipsec.1", "AvailabilityZone": ""}));
    assert!(g["VpnGateway"].get("AvailabilityZone").is_none());
    let bad = json!({"Type": "ipsec.1", "AvailabilityZone": "mars-1a"});
    assert_eq!(refused(&ec2, &ctx, "CreateVpnGateway", bad), "InvalidParameterValue");
    let _ = ec2.call(&ctx, "DescribeVpnGateways", json!({}));
}
