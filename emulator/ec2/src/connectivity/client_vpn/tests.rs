use serde_json::{json, Value};

use crate::testing::{call, later, network, refused, str_at, with_delay};
use crate::Ec2;

const CERT: &str = "arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555";

fn endpoint_input(extra: Value) -> Value {
    let mut input = json!({
        "ClientCidrBlock": "172.16.0.0/22",
        "ServerCertificateArn": CERT,
        "AuthenticationOptions": [{
            "Type": "certificate-authentication",
            "MutualAuthentication": {"ClientRootCertificateChainArn": CERT}
        }],
        "ConnectionLogOptions": {"Enabled": false}
    });
    for (k, v) in extra.as_object().into_iter().flatten() {
        input[k] = v.clone();
    }
    input
}

fn endpoint(ec2: &Ec2, ctx: &nimbus_core::RequestContext, extra: Value) -> String {
    str_at(&call(ec2, ctx, "CreateClientVpnEndpoint", endpoint_input(extra)), "/ClientVpnEndpointId")
}

fn described(ec2: &Ec2, ctx: &nimbus_core::RequestContext, id: &str) -> Value {
    call(ec2, ctx, "DescribeClientVpnEndpoints", json!({"ClientVpnEndpointIds": [id]}))["ClientVpnEndpoints"][0].clone()
}

#[test]
fn an_endpoint_becomes_available_with_its_first_association() {
    let ec2 = with_delay(5);
    let ctx = nimbus_core::RequestContext::for_tests();
    let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let made = call(
        &ec2,
        &ctx,
        "CreateClientVpnEndpoint",
        endpoint_input(json!({
            "TagSpecifications": [{"ResourceType": "client-vpn-endpoint", "Tags": [{"Key": "Name", "Value": "vpn"}]}]
        })),
    );
    let id = str_at(&made, "/ClientVpnEndpointId");
    assert!(id.starts_with("cvpn-endpoint-") && id.len() == "cvpn-endpoint-".len() + 17);
    assert_eq!(made["Status"]["Code"], "pending-associate");
    assert_eq!(made["DnsName"], format!("*.{id}.prod.clientvpn.us-east-1.amazonaws.com"));
    let e = described(&ec2, &ctx, &id);
    assert_eq!(e["VpnPort"], 443);
    assert_eq!(e["TransportProtocol"], "udp");
    assert_eq!(e["VpnProtocol"], "openvpn");
    assert_eq!(e["SessionTimeoutHours"], 24);
    assert_eq!(e["Tags"][0]["Value"], "vpn");
    assert!(e.get("VpcId").is_none());

    let assoc =
        call(&ec2, &ctx, "AssociateClientVpnTargetNetwork", json!({"ClientVpnEndpointId": id, "SubnetId": subnet}));
    assert_eq!(assoc["Status"]["Code"], "associating");
    let assoc_id = str_at(&assoc, "/AssociationId");
    assert_eq!(described(&ec2, &ctx, &id)["Status"]["Code"], "pending-associate");
    let soon = later(&ctx, 10);
    let e = described(&ec2, &soon, &id);
    assert_eq!(e["Status"]["Code"], "available");
    assert_eq!(e["VpcId"], vpc);
    assert_eq!(e["SecurityGroupIds"].as_array().unwrap().len(), 1, "the VPC's default group");
    assert_eq!(e["AssociatedTargetNetworks"][0]["NetworkId"], subnet);
    let nets = call(&ec2, &soon, "DescribeClientVpnTargetNetworks", json!({"ClientVpnEndpointId": id}));
    assert_eq!(nets["ClientVpnTargetNetworks"][0]["Status"]["Code"], "associated");
    let routes = call(&ec2, &soon, "DescribeClientVpnRoutes", json!({"ClientVpnEndpointId": id}));
    assert_eq!(routes["Routes"][0]["DestinationCidr"], "10.0.0.0/16");
    assert_eq!(routes["Routes"][0]["Origin"], "associate");
    assert_eq!(routes["Routes"][0]["Status"]["Code"], "active");
    // The association's interface keeps the subnet in use.
    assert_eq!(refused(&ec2, &soon, "DeleteSubnet", json!({"SubnetId": subnet})), "DependencyViolation");
    assert_eq!(
        refused(&ec2, &soon, "DeleteClientVpnEndpoint", json!({"ClientVpnEndpointId": id})),
        "ClientVpnEndpointAssociationExists"
    );

    let gone = call(
        &ec2,
        &soon,
        "DisassociateClientVpnTargetNetwork",
        json!({"ClientVpnEndpointId": id, "AssociationId": assoc_id}),
    );
    assert_eq!(gone["Status"]["Code"], "disassociating");
    let after = later(&soon, 10);
    assert_eq!(described(&ec2, &after, &id)["Status"]["Code"], "pending-associate");
    let nets = call(&ec2, &after, "DescribeClientVpnTargetNetworks", json!({"ClientVpnEndpointId": id}));
    assert_eq!(nets["ClientVpnTargetNetworks"].as_array().unwrap().len(), 0);
    let routes = call(&ec2, &after, "DescribeClientVpnRoutes", json!({"ClientVpnEndpointId": id}));
    assert_eq!(routes["Routes"].as_array().unwrap().len(), 0);
    call(&ec2, &after, "DeleteSubnet", json!({"SubnetId": subnet}));
    let deleted = call(&ec2, &after, "DeleteClientVpnEndpoint", json!({"ClientVpnEndpointId": id}));
    assert_eq!(deleted["Status"]["Code"], "deleting");
    assert_eq!(described(&ec2, &later(&after, 10), &id)["Status"]["Code"], "deleted");
    // Shown for an hour, then forgotten when the next endpoint is made.
    let hours = later(&after, 2 * 3600);
    endpoint(&ec2, &hours, json!({}));
    let listed = call(&ec2, &hours, "DescribeClientVpnEndpoints", json!({}));
    assert!(listed["ClientVpnEndpoints"].as_array().unwrap().iter().all(|e| e["ClientVpnEndpointId"] != id.as_str()));
    let again = json!({"ClientVpnEndpointId": id});
    assert_eq!(refused(&ec2, &after, "DescribeClientVpnRoutes", again), "InvalidClientVpnEndpointId.NotFound");
}

#[test]
fn target_networks_share_one_vpc_one_subnet_per_zone() {
    let ec2 = Ec2::default();
    let ctx = nimbus_core::RequestContext::for_tests();
    let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let id = endpoint(&ec2, &ctx, json!({}));
    call(&ec2, &ctx, "AssociateClientVpnTargetNetwork", json!({"ClientVpnEndpointId": id, "SubnetId": subnet}));
    let assoc = |s: &str| json!({"ClientVpnEndpointId": id, "SubnetId": s});
    assert_eq!(
        refused(&ec2, &ctx, "AssociateClientVpnTargetNetwork", assoc(&subnet)),
        "InvalidClientVpnDuplicateAssociationException"
    );
    let zone =
        call(&ec2, &ctx, "DescribeSubnets", json!({"SubnetIds": [subnet]}))["Subnets"][0]["AvailabilityZone"].clone();
    let same_zone =
        call(&ec2, &ctx, "CreateSubnet", json!({"VpcId": vpc, "CidrBlock": "10.0.2.0/24", "AvailabilityZone": zone}));
    let same_zone = str_at(&same_zone, "/Subnet/SubnetId");
    assert_eq!(
        refused(&ec2, &ctx, "AssociateClientVpnTargetNetwork", assoc(&same_zone)),
        "InvalidClientVpnSubnetId.DuplicateAz"
    );
    let (_, elsewhere) = network(&ec2, &ctx, "10.0.3.0/24", false);
    assert_eq!(
        refused(&ec2, &ctx, "AssociateClientVpnTargetNetwork", assoc(&elsewhere)),
        "InvalidClientVpnSubnetId.NotFound"
    );
    assert_eq!(
        refused(&ec2, &ctx, "AssociateClientVpnTargetNetwork", assoc("subnet-0123456789abcdef0")),
        "InvalidSubnetID.NotFound"
    );
    // A subnet inside the client CIDR block.
    let (_, inside) = {
        let v = str_at(&call(&ec2, &ctx, "CreateVpc", json!({"CidrBlock": "172.16.0.0/16"})), "/Vpc/VpcId");
        let s = call(&ec2, &ctx, "CreateSubnet", json!({"VpcId": v, "CidrBlock": "172.16.1.0/24"}));
        (v, str_at(&s, "/Subnet/SubnetId"))
    };
    let other = endpoint(&ec2, &ctx, json!({}));
    let input = json!({"ClientVpnEndpointId": other, "SubnetId": inside});
    assert_eq!(
        refused(&ec2, &ctx, "AssociateClientVpnTargetNetwork", input),
        "InvalidClientVpnSubnetId.OverlappingCidr"
    );
}

#[test]
fn rules_and_routes_follow_their_lifecycles() {
    let ec2 = Ec2::default();
    let ctx = nimbus_core::RequestContext::for_tests();
    let (_, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let id = endpoint(&ec2, &ctx, json!({}));
    let route = json!({"ClientVpnEndpointId": id, "DestinationCidrBlock": "0.0.0.0/0", "TargetVpcSubnetId": subnet});
    assert_eq!(refused(&ec2, &ctx, "CreateClientVpnRoute", route.clone()), "InvalidClientVpnActiveAssociationNotFound");
    let rule = json!({"ClientVpnEndpointId": id, "TargetNetworkCidr": "10.0.0.0/16", "AuthorizeAllGroups": true});
    assert_eq!(call(&ec2, &ctx, "AuthorizeClientVpnIngress", rule.clone())["Status"]["Code"], "authorizing");
    assert_eq!(
        refused(&ec2, &ctx, "AuthorizeClientVpnIngress", rule.clone()),
        "InvalidClientVpnDuplicateAuthorizationRule"
    );
    let grouped = json!({"ClientVpnEndpointId": id, "TargetNetworkCidr": "10.0.0.0/16", "AccessGroupId": "admins", "Description": "ops"});
    call(&ec2, &ctx, "AuthorizeClientVpnIngress", grouped);
    let neither = json!({"ClientVpnEndpointId": id, "TargetNetworkCidr": "10.0.0.0/16"});
    assert_eq!(refused(&ec2, &ctx, "AuthorizeClientVpnIngress", neither), "MissingParameter");
    let filters = json!({"ClientVpnEndpointId": id, "Filters": [{"Name": "group-id", "Values": ["admins"]}]});
    let rules = call(&ec2, &ctx, "DescribeClientVpnAuthorizationRules", filters);
    assert_eq!(rules["AuthorizationRules"].as_array().unwrap().len(), 1);
    assert_eq!(rules["AuthorizationRules"][0]["Status"]["Code"], "active");
    assert_eq!(rules["AuthorizationRules"][0]["AccessAll"], false);
    let revoke = json!({"ClientVpnEndpointId": id, "TargetNetworkCidr": "10.0.0.0/16", "RevokeAllGroups": true});
    assert_eq!(refused(&ec2, &ctx, "RevokeClientVpnIngress", rule), "MissingParameter");
    assert_eq!(call(&ec2, &ctx, "RevokeClientVpnIngress", revoke.clone())["Status"]["Code"], "revoking");
    assert_eq!(
        refused(&ec2, &ctx, "RevokeClientVpnIngress", revoke),
        "InvalidClientVpnEndpointAuthorizationRuleNotFound"
    );

    call(&ec2, &ctx, "AssociateClientVpnTargetNetwork", json!({"ClientVpnEndpointId": id, "SubnetId": subnet}));
    assert_eq!(call(&ec2, &ctx, "CreateClientVpnRoute", route.clone())["Status"]["Code"], "creating");
    assert_eq!(refused(&ec2, &ctx, "CreateClientVpnRoute", route.clone()), "InvalidClientVpnDuplicateRoute");
    let by_origin = json!({"ClientVpnEndpointId": id, "Filters": [{"Name": "origin", "Values": ["add-route"]}]});
    let routes = call(&ec2, &ctx, "DescribeClientVpnRoutes", by_origin);
    assert_eq!(routes["Routes"][0]["DestinationCidr"], "0.0.0.0/0");
    assert_eq!(routes["Routes"][0]["Type"], "Nat");
    let paged = call(&ec2, &ctx, "DescribeClientVpnRoutes", json!({"ClientVpnEndpointId": id, "MaxResults": 5}));
    assert_eq!(paged["Routes"].as_array().unwrap().len(), 2);
    let too_small = json!({"ClientVpnEndpointId": id, "MaxResults": 4});
    assert_eq!(refused(&ec2, &ctx, "DescribeClientVpnRoutes", too_small), "InvalidParameterValue");
    let associate_route = json!({"ClientVpnEndpointId": id, "DestinationCidrBlock": "10.0.0.0/16"});
    assert_eq!(refused(&ec2, &ctx, "DeleteClientVpnRoute", associate_route), "InvalidParameterValue");
    assert_eq!(call(&ec2, &ctx, "DeleteClientVpnRoute", route.clone())["Status"]["Code"], "deleting");
    assert_eq!(refused(&ec2, &ctx, "DeleteClientVpnRoute", route), "InvalidClientVpnRouteNotFound");
}

#[test]
fn bad_endpoints_are_refused_and_settings_change() {
    let ec2 = Ec2::default();
    let ctx = nimbus_core::RequestContext::for_tests();
    let (vpc, _) = network(&ec2, &ctx, "10.0.1.0/24", false);
    for bad in [
        json!({"ClientCidrBlock": "172.16.0.0/24"}),
        json!({"ServerCertificateArn": "certificate"}),
        json!({"VpnPort": 8443}),
        json!({"TransportProtocol": "sctp"}),
        json!({"SessionTimeoutHours": 5}),
        json!({"ConnectionLogOptions": {"Enabled": true}}),
        json!({"DnsServers": ["10.0.0.2", "10.0.0.3", "10.0.0.4"]}),
        json!({"VpcId": vpc, "ClientCidrBlock": "10.0.0.0/20"}),
        json!({"SelfServicePortal": "enabled"}),
    ] {
        assert_eq!(
            refused(&ec2, &ctx, "CreateClientVpnEndpoint", endpoint_input(bad.clone())),
            "InvalidParameterValue",
            "{bad}"
        );
    }
    let groups = json!({"SecurityGroupIds": ["sg-0123456789abcdef0"]});
    assert_eq!(refused(&ec2, &ctx, "CreateClientVpnEndpoint", endpoint_input(groups)), "InvalidParameterValue");
    let id =
        endpoint(&ec2, &ctx, json!({"VpcId": vpc, "SplitTunnel": true, "TransportProtocol": "tcp", "VpnPort": 1194}));
    let e = described(&ec2, &ctx, &id);
    assert_eq!(e["VpcId"], vpc);
    assert_eq!(e["SplitTunnel"], true);
    let conf = call(&ec2, &ctx, "ExportClientVpnClientConfiguration", json!({"ClientVpnEndpointId": id}));
    let text = str_at(&conf, "/ClientConfiguration");
    assert!(text.contains("proto tcp\n"), "{text}");
    assert!(text.contains(&format!("remote {id}.prod.clientvpn.us-east-1.amazonaws.com 1194\n")), "{text}");

    let no_vpc = json!({"ClientVpnEndpointId": id, "SecurityGroupIds": ["sg-0123456789abcdef0"]});
    assert_eq!(refused(&ec2, &ctx, "ModifyClientVpnEndpoint", no_vpc), "InvalidParameterValue");
    let sg = call(&ec2, &ctx, "CreateSecurityGroup", json!({"GroupName": "vpn", "Description": "vpn", "VpcId": vpc}));
    let sg = str_at(&sg, "/GroupId");
    call(
        &ec2,
        &ctx,
        "ModifyClientVpnEndpoint",
        json!({
            "ClientVpnEndpointId": id, "VpcId": vpc, "SecurityGroupIds": [sg], "Description": "changed",
            "DnsServers": {"Enabled": true, "CustomDnsServers": ["10.0.0.2"]}, "SessionTimeoutHours": 12,
            "ClientLoginBannerOptions": {"Enabled": true, "BannerText": "hello"}
        }),
    );
    let e = described(&ec2, &ctx, &id);
    assert_eq!(e["SecurityGroupIds"], json!([sg]));
    assert_eq!(e["Description"], "changed");
    assert_eq!(e["DnsServers"], json!(["10.0.0.2"]));
    assert_eq!(e["ClientLoginBannerOptions"]["BannerText"], "hello");
    assert_eq!(refused(&ec2, &ctx, "DeleteSecurityGroup", json!({"GroupId": sg})), "DependencyViolation");
    let bad_port = json!({"ClientVpnEndpointId": id, "VpnPort": 80, "Description": "not applied"});
    assert_eq!(refused(&ec2, &ctx, "ModifyClientVpnEndpoint", bad_port), "InvalidParameterValue");
    assert_eq!(described(&ec2, &ctx, &id)["Description"], "changed");

    let crl = "-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----";
    let export = json!({"ClientVpnEndpointId": id});
    assert!(call(&ec2, &ctx, "ExportClientVpnClientCertificateRevocationList", export.clone()).get("Status").is_none());
    let bad = json!({"ClientVpnEndpointId": id, "CertificateRevocationList": "nope"});
    assert_eq!(refused(&ec2, &ctx, "ImportClientVpnClientCertificateRevocationList", bad), "InvalidParameterValue");
    call(
        &ec2,
        &ctx,
        "ImportClientVpnClientCertificateRevocationList",
        json!({"ClientVpnEndpointId": id, "CertificateRevocationList": crl}),
    );
    let out = call(&ec2, &ctx, "ExportClientVpnClientCertificateRevocationList", export);
    assert_eq!(out["Status"]["Code"], "active");
    assert!(str_at(&out, "/CertificateRevocationList").starts_with("-----BEGIN X509 CRL-----"));

    let conns = call(&ec2, &ctx, "DescribeClientVpnConnections", json!({"ClientVpnEndpointId": id}));
    assert_eq!(conns["Connections"].as_array().unwrap().len(), 0);
    let term = json!({"ClientVpnEndpointId": id, "Username": "alice"});
    assert_eq!(refused(&ec2, &ctx, "TerminateClientVpnConnections", term), "InvalidClientVpnConnection.UserNotFound");
    let missing = json!({"ClientVpnEndpointIds": ["cvpn-endpoint-0123456789abcdef0"]});
    assert_eq!(refused(&ec2, &ctx, "DescribeClientVpnEndpoints", missing), "InvalidClientVpnEndpointId.NotFound");
    let by_protocol = json!({"Filters": [{"Name": "transport-protocol", "Values": ["tcp"]}]});
    assert_eq!(
        call(&ec2, &ctx, "DescribeClientVpnEndpoints", by_protocol)["ClientVpnEndpoints"].as_array().unwrap().len(),
        1
    );
}
