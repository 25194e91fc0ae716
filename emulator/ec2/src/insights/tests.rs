//! Network Insights end to end, through the service as the dispatcher calls it: paths,
//! and analyses of a two-tier VPC reached through an internet gateway, a NAT gateway,
//! a peering connection and a transit gateway.

use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{al2023, call, later, launch, refused, str_at, with_delay};
use crate::Ec2;

fn id(out: &Value, pointer: &str) -> String {
    str_at(out, pointer)
}

fn vpc(ec2: &Ec2, ctx: &RequestContext, cidr: &str) -> String {
    id(&call(ec2, ctx, "CreateVpc", json!({"CidrBlock": cidr})), "/Vpc/VpcId")
}

fn subnet(ec2: &Ec2, ctx: &RequestContext, vpc: &str, cidr: &str) -> String {
    let input = json!({"VpcId": vpc, "CidrBlock": cidr, "AvailabilityZone": "us-east-1a"});
    id(&call(ec2, ctx, "CreateSubnet", input), "/Subnet/SubnetId")
}

/// A route table for the subnet, with one route (`target` names its parameter).
fn routed(ec2: &Ec2, ctx: &RequestContext, vpc: &str, subnet: &str, routes: &[(&str, &str, &str)]) -> String {
    let rtb = id(&call(ec2, ctx, "CreateRouteTable", json!({"VpcId": vpc})), "/RouteTable/RouteTableId");
    call(ec2, ctx, "AssociateRouteTable", json!({"RouteTableId": rtb, "SubnetId": subnet}));
    for (cidr, param, target) in routes {
        call(ec2, ctx, "CreateRoute", json!({"RouteTableId": rtb, "DestinationCidrBlock": cidr, *param: target}));
    }
    rtb
}

fn group(ec2: &Ec2, ctx: &RequestContext, vpc: &str, name: &str, ingress: Value) -> String {
    let input = json!({"VpcId": vpc, "GroupName": name, "Description": name});
    let sg = id(&call(ec2, ctx, "CreateSecurityGroup", input), "/GroupId");
    call(ec2, ctx, "AuthorizeSecurityGroupIngress", json!({"GroupId": sg, "IpPermissions": ingress}));
    sg
}

fn tcp(port: i64, peer: Value) -> Value {
    let mut p = json!({"IpProtocol": "tcp", "FromPort": port, "ToPort": port});
    for (k, v) in peer.as_object().into_iter().flatten() {
        p[k] = v.clone();
    }
    json!([p])
}

fn instance(ec2: &Ec2, ctx: &RequestContext, subnet: &str, sg: &str, public: bool) -> String {
    let image = al2023(ec2, ctx);
    let nic = json!([{"DeviceIndex": 0, "SubnetId": subnet, "Groups": [sg], "AssociatePublicIpAddress": public}]);
    launch(ec2, ctx, &image, json!({"NetworkInterfaces": nic})).0
}

fn path(ec2: &Ec2, ctx: &RequestContext, source: &str, destination: &str, port: Option<i64>) -> String {
    let mut input = json!({"Source": source, "Destination": destination, "Protocol": "tcp", "ClientToken": "t"});
    if let Some(p) = port {
        input["DestinationPort"] = json!(p);
    }
    input["ClientToken"] = json!(format!("{source}-{destination}-{port:?}"));
    id(&call(ec2, ctx, "CreateNetworkInsightsPath", input), "/NetworkInsightsPath/NetworkInsightsPathId")
}

/// Runs an analysis of the path and reads its result: whether the destination is
/// reachable and the first explanation code.
fn analyze(ec2: &Ec2, ctx: &RequestContext, nip: &str) -> (Value, Option<String>) {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let input = json!({"NetworkInsightsPathId": nip, "ClientToken": format!("a-{nip}-{run}")});
    let started = call(ec2, ctx, "StartNetworkInsightsAnalysis", input);
    assert_eq!(str_at(&started, "/NetworkInsightsAnalysis/Status"), "running");
    let nia = str_at(&started, "/NetworkInsightsAnalysis/NetworkInsightsAnalysisId");
    let out = call(ec2, ctx, "DescribeNetworkInsightsAnalyses", json!({"NetworkInsightsAnalysisIds": [nia]}));
    let a = out["NetworkInsightsAnalyses"][0].clone();
    assert_eq!(a["Status"], "succeeded", "{a}");
    let code = a.pointer("/Explanations/0/ExplanationCode").and_then(Value::as_str).map(str::to_string);
    (a, code)
}

fn components(a: &Value, key: &str) -> Vec<String> {
    a[key].as_array().into_iter().flatten().filter_map(|c| c["Component"]["Id"].as_str().map(str::to_string)).collect()
}

/// A two-tier VPC: a public subnet (web, route to the internet gateway) and a private
/// one (db, route to a NAT gateway in the public subnet).
struct TwoTier {
    vpc: String,
    igw: String,
    nat: String,
    private: String,
    web: String,
    db: String,
    db_sg: String,
    private_rtb: String,
}

fn two_tier(ec2: &Ec2, ctx: &RequestContext) -> TwoTier {
    let vpc = vpc(ec2, ctx, "10.0.0.0/16");
    let public = subnet(ec2, ctx, &vpc, "10.0.1.0/24");
    let private = subnet(ec2, ctx, &vpc, "10.0.2.0/24");
    let igw = id(&call(ec2, ctx, "CreateInternetGateway", json!({})), "/InternetGateway/InternetGatewayId");
    call(ec2, ctx, "AttachInternetGateway", json!({"InternetGatewayId": igw, "VpcId": vpc}));
    routed(ec2, ctx, &vpc, &public, &[("0.0.0.0/0", "GatewayId", &igw)]);
    let eip = id(&call(ec2, ctx, "AllocateAddress", json!({"Domain": "vpc"})), "/AllocationId");
    let nat = call(ec2, ctx, "CreateNatGateway", json!({"SubnetId": public, "AllocationId": eip}));
    let nat = id(&nat, "/NatGateway/NatGatewayId");
    let private_rtb = routed(ec2, ctx, &vpc, &private, &[("0.0.0.0/0", "NatGatewayId", &nat)]);
    let web_sg = group(ec2, ctx, &vpc, "web", tcp(80, json!({"IpRanges": [{"CidrIp": "0.0.0.0/0"}]})));
    let db_sg = group(ec2, ctx, &vpc, "db", tcp(5432, json!({"UserIdGroupPairs": [{"GroupId": web_sg}]})));
    let web = instance(ec2, ctx, &public, &web_sg, true);
    let db = instance(ec2, ctx, &private, &db_sg, false);
    TwoTier { vpc, igw, nat, private, web, db, db_sg, private_rtb }
}

#[test]
fn paths_are_made_described_and_deleted_with_aws_errors() {
    let ec2 = with_delay(0);
    let ctx = RequestContext::for_tests();
    let t = two_tier(&ec2, &ctx);
    let arn = format!("arn:aws:ec2:us-east-1:000000000000:instance/{}", t.db);
    let input = json!({
        "Source": t.web, "Destination": arn, "Protocol": "tcp", "DestinationPort": 5432, "ClientToken": "p1",
        "TagSpecifications": [{"ResourceType": "network-insights-path", "Tags": [{"Key": "Name", "Value": "web-db"}]}],
    });
    let p = call(&ec2, &ctx, "CreateNetworkInsightsPath", input)["NetworkInsightsPath"].clone();
    let nip = p["NetworkInsightsPathId"].as_str().unwrap().to_string();
    assert!(nip.starts_with("nip-"));
    assert_eq!(p["Destination"], t.db.as_str(), "an ARN is answered as the id");
    assert_eq!(p["DestinationArn"], arn.as_str());
    assert!(p["NetworkInsightsPathArn"].as_str().unwrap().ends_with(&format!(":network-insights-path/{nip}")));
    assert_eq!(p["Tags"][0]["Value"], "web-db");
    let found =
        call(&ec2, &ctx, "DescribeNetworkInsightsPaths", json!({"Filters": [{"Name": "source", "Values": [t.web]}]}));
    assert_eq!(found["NetworkInsightsPaths"].as_array().unwrap().len(), 1);
    let none = json!({"Filters": [{"Name": "protocol", "Values": ["udp"]}]});
    assert!(call(&ec2, &ctx, "DescribeNetworkInsightsPaths", none)["NetworkInsightsPaths"]
        .as_array()
        .unwrap()
        .is_empty());
    let bad = |input: Value| refused(&ec2, &ctx, "CreateNetworkInsightsPath", input);
    assert_eq!(bad(json!({"Source": t.web, "Protocol": "tcp", "ClientToken": "x1"})), "MissingParameter");
    assert_eq!(
        bad(json!({"Source": "i-0123456789abcdef0", "Destination": t.db, "Protocol": "tcp", "ClientToken": "x2"})),
        "NetworkInsightsSource.NotFound"
    );
    assert_eq!(
        bad(json!({"Source": t.web, "Destination": "eni-0123456789abcdef0", "Protocol": "tcp", "ClientToken": "x3"})),
        "NetworkInsightsDestination.NotFound"
    );
    assert_eq!(
        bad(json!({"Source": t.web, "Destination": t.db, "Protocol": "icmp", "ClientToken": "x4"})),
        "InvalidParameterValue"
    );
    assert_eq!(
        bad(json!({"Source": t.vpc, "Destination": t.db, "Protocol": "tcp", "ClientToken": "x5"})),
        "InvalidParameterValue"
    );
    let both = json!({"Source": t.web, "Destination": t.db, "Protocol": "tcp", "SourceIp": "10.0.1.9", "FilterAtSource": {"SourceAddress": "10.0.1.9"}, "ClientToken": "x6"});
    assert_eq!(bad(both), "InvalidParameterCombination");
    let only_address = json!({"Source": t.web, "Protocol": "tcp", "FilterAtSource": {"DestinationAddress": "1.1.1.1"}, "ClientToken": "x7"});
    call(&ec2, &ctx, "CreateNetworkInsightsPath", only_address);
    let missing = json!({"NetworkInsightsPathIds": ["nip-0123456789abcdef0"]});
    assert_eq!(refused(&ec2, &ctx, "DescribeNetworkInsightsPaths", missing), "InvalidNetworkInsightsPathId.NotFound");
    let (a, _) = analyze(&ec2, &ctx, &nip);
    let nia = a["NetworkInsightsAnalysisId"].as_str().unwrap().to_string();
    let delete = json!({"NetworkInsightsPathId": nip});
    assert_eq!(
        refused(&ec2, &ctx, "DeleteNetworkInsightsPath", delete.clone()),
        "AnalysisExistsForNetworkInsightsPath"
    );
    call(&ec2, &ctx, "DeleteNetworkInsightsAnalysis", json!({"NetworkInsightsAnalysisId": nia}));
    call(&ec2, &ctx, "DeleteNetworkInsightsPath", delete.clone());
    assert_eq!(refused(&ec2, &ctx, "DeleteNetworkInsightsPath", delete), "InvalidNetworkInsightsPathId.NotFound");
}

#[test]
fn analyses_run_on_the_clock_and_describe_by_path_and_status() {
    let ec2 = with_delay(5);
    let ctx = RequestContext::for_tests();
    let t = two_tier(&ec2, &ctx);
    let ctx = later(&ctx, 10);
    let nip = path(&ec2, &ctx, &t.web, &t.db, Some(5432));
    let input = json!({"NetworkInsightsPathId": nip, "ClientToken": "run1",
        "TagSpecifications": [{"ResourceType": "network-insights-analysis", "Tags": [{"Key": "k", "Value": "v"}]}]});
    let started = call(&ec2, &ctx, "StartNetworkInsightsAnalysis", input)["NetworkInsightsAnalysis"].clone();
    let nia = started["NetworkInsightsAnalysisId"].as_str().unwrap().to_string();
    let by_path = json!({"NetworkInsightsPathId": nip});
    let a = call(&ec2, &ctx, "DescribeNetworkInsightsAnalyses", by_path.clone())["NetworkInsightsAnalyses"][0].clone();
    assert_eq!((a["Status"].as_str(), a.get("NetworkPathFound")), (Some("running"), None));
    let a =
        call(&ec2, &later(&ctx, 5), "DescribeNetworkInsightsAnalyses", by_path)["NetworkInsightsAnalyses"][0].clone();
    assert_eq!((a["Status"].as_str(), a["NetworkPathFound"].as_bool()), (Some("succeeded"), Some(true)));
    assert_eq!(a["Tags"][0]["Key"], "k");
    let filters = json!({"Filters": [{"Name": "path-found", "Values": ["false"]}]});
    let none = call(&ec2, &later(&ctx, 5), "DescribeNetworkInsightsAnalyses", filters);
    assert!(none["NetworkInsightsAnalyses"].as_array().unwrap().is_empty());
    let missing = json!({"NetworkInsightsPathId": "nip-0123456789abcdef0", "ClientToken": "run2"});
    assert_eq!(refused(&ec2, &ctx, "StartNetworkInsightsAnalysis", missing), "InvalidNetworkInsightsPathId.NotFound");
    let gone = json!({"NetworkInsightsAnalysisIds": ["nia-0123456789abcdef0"]});
    assert_eq!(
        refused(&ec2, &ctx, "DescribeNetworkInsightsAnalyses", gone),
        "InvalidNetworkInsightsAnalysisId.NotFound"
    );
    assert!(nia.starts_with("nia-"));
}

#[test]
fn within_a_vpc_security_groups_and_acls_decide() {
    let ec2 = with_delay(0);
    let ctx = RequestContext::for_tests();
    let t = two_tier(&ec2, &ctx);
    let (a, code) = analyze(&ec2, &ctx, &path(&ec2, &ctx, &t.web, &t.db, Some(5432)));
    assert_eq!((a["NetworkPathFound"].as_bool(), code), (Some(true), None), "{a}");
    let forward = components(&a, "ForwardPathComponents");
    assert_eq!(forward.first(), Some(&t.web));
    assert_eq!(forward.last(), Some(&t.db));
    assert!(forward.contains(&t.db_sg), "{forward:?}");
    assert!(!components(&a, "ReturnPathComponents").is_empty());
    // Another port: the db group has no rule for it.
    let (a, code) = analyze(&ec2, &ctx, &path(&ec2, &ctx, &t.web, &t.db, Some(3306)));
    assert_eq!((a["NetworkPathFound"].as_bool(), code.as_deref()), (Some(false), Some("ENI_SG_RULES_MISMATCH")));
    assert_eq!(a["Explanations"][0]["Direction"], "ingress");
    assert_eq!(a["Explanations"][0]["Component"]["Id"], t.db_sg.as_str());
    // The private subnet's ACL refuses 5432 inbound.
    let acl = call(&ec2, &ctx, "CreateNetworkAcl", json!({"VpcId": t.vpc}))["NetworkAcl"]["NetworkAclId"].clone();
    for (n, egress, action, ports) in
        [(90, false, "deny", (5432, 5432)), (100, false, "allow", (0, 65535)), (100, true, "allow", (0, 65535))]
    {
        let entry = json!({"NetworkAclId": acl, "RuleNumber": n, "Protocol": "6", "RuleAction": action, "Egress": egress,
            "CidrBlock": "0.0.0.0/0", "PortRange": {"From": ports.0, "To": ports.1}});
        call(&ec2, &ctx, "CreateNetworkAclEntry", entry);
    }
    let acls = call(
        &ec2,
        &ctx,
        "DescribeNetworkAcls",
        json!({"Filters": [{"Name": "association.subnet-id", "Values": [t.private]}]}),
    );
    let assoc = acls["NetworkAcls"][0]["Associations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["SubnetId"] == t.private.as_str())
        .unwrap()["NetworkAclAssociationId"]
        .clone();
    call(&ec2, &ctx, "ReplaceNetworkAclAssociation", json!({"AssociationId": assoc, "NetworkAclId": acl}));
    let (a, code) = analyze(&ec2, &ctx, &path(&ec2, &ctx, &t.web, &t.db, Some(5432)));
    assert_eq!(code.as_deref(), Some("SUBNET_ACL_RESTRICTION"), "{a}");
    assert_eq!(a["Explanations"][0]["AclRule"]["RuleNumber"], 90);
    assert_eq!(a["Explanations"][0]["Acl"]["Id"], acl);
}

#[test]
fn the_internet_through_the_gateway_and_the_nat_gateway() {
    let ec2 = with_delay(0);
    let ctx = RequestContext::for_tests();
    let t = two_tier(&ec2, &ctx);
    // In from the internet to web on 80: reachable; to db: it has no public address.
    let (a, code) = analyze(&ec2, &ctx, &path(&ec2, &ctx, &t.igw, &t.web, Some(80)));
    assert_eq!(code, None, "{a}");
    assert_eq!(components(&a, "ForwardPathComponents").first(), Some(&t.igw));
    let (_, code) = analyze(&ec2, &ctx, &path(&ec2, &ctx, &t.igw, &t.web, Some(22)));
    assert_eq!(code.as_deref(), Some("ENI_SG_RULES_MISMATCH"));
    let (_, code) = analyze(&ec2, &ctx, &path(&ec2, &ctx, &t.igw, &t.db, Some(5432)));
    assert_eq!(code.as_deref(), Some("IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS"));
    // Out from db to the internet: through the NAT gateway.
    let (a, code) = analyze(&ec2, &ctx, &path(&ec2, &ctx, &t.db, &t.igw, Some(443)));
    assert_eq!(code, None, "{a}");
    let forward = components(&a, "ForwardPathComponents");
    assert!(forward.contains(&t.nat) && forward.last() == Some(&t.igw), "{forward:?}");
    // With the NAT gateway gone its route is a blackhole; without a route, no route.
    call(&ec2, &ctx, "DeleteNatGateway", json!({"NatGatewayId": t.nat}));
    let ctx = later(&ctx, 1);
    let (a, code) = analyze(&ec2, &ctx, &path(&ec2, &ctx, &t.db, &t.igw, Some(443)));
    assert_eq!(code.as_deref(), Some("BAD_STATE_ROUTE"), "{a}");
    assert_eq!(a["Explanations"][0]["RouteTable"]["Id"], t.private_rtb.as_str());
    call(&ec2, &ctx, "DeleteRoute", json!({"RouteTableId": t.private_rtb, "DestinationCidrBlock": "0.0.0.0/0"}));
    let nip = json!({"Source": t.db, "Protocol": "tcp", "FilterAtSource": {"DestinationAddress": "1.1.1.1"}, "ClientToken": "addr"});
    let nip = id(&call(&ec2, &ctx, "CreateNetworkInsightsPath", nip), "/NetworkInsightsPath/NetworkInsightsPathId");
    let (a, code) = analyze(&ec2, &ctx, &nip);
    assert_eq!(code.as_deref(), Some("NO_ROUTE_TO_DESTINATION"), "{a}");
}

#[test]
fn across_a_peering_connection_both_route_tables_count() {
    let ec2 = with_delay(0);
    let ctx = RequestContext::for_tests();
    let t = two_tier(&ec2, &ctx);
    let other = vpc(&ec2, &ctx, "10.1.0.0/16");
    let far = subnet(&ec2, &ctx, &other, "10.1.1.0/24");
    let pcx = call(&ec2, &ctx, "CreateVpcPeeringConnection", json!({"VpcId": t.vpc, "PeerVpcId": other}));
    let pcx = id(&pcx, "/VpcPeeringConnection/VpcPeeringConnectionId");
    call(&ec2, &ctx, "AcceptVpcPeeringConnection", json!({"VpcPeeringConnectionId": pcx}));
    call(
        &ec2,
        &ctx,
        "CreateRoute",
        json!({"RouteTableId": t.private_rtb, "DestinationCidrBlock": "10.1.0.0/16", "VpcPeeringConnectionId": pcx}),
    );
    let api = group(&ec2, &ctx, &other, "api", tcp(8080, json!({"IpRanges": [{"CidrIp": "10.0.0.0/16"}]})));
    let far_instance = instance(&ec2, &ctx, &far, &api, false);
    // No route back from the peer VPC yet.
    let (a, code) = analyze(&ec2, &ctx, &path(&ec2, &ctx, &t.db, &far_instance, Some(8080)));
    assert_eq!(code.as_deref(), Some("NO_ROUTE_TO_DESTINATION"), "{a}");
    routed(&ec2, &ctx, &other, &far, &[("10.0.0.0/16", "VpcPeeringConnectionId", &pcx)]);
    let (a, code) = analyze(&ec2, &ctx, &path(&ec2, &ctx, &t.db, &far_instance, Some(8080)));
    assert_eq!(code, None, "{a}");
    assert!(components(&a, "ForwardPathComponents").contains(&pcx));
    let (_, code) = analyze(&ec2, &ctx, &path(&ec2, &ctx, &t.db, &far_instance, Some(9090)));
    assert_eq!(code.as_deref(), Some("ENI_SG_RULES_MISMATCH"));
}

#[test]
fn through_a_transit_gateway_its_route_tables_count() {
    let ec2 = with_delay(0);
    let ctx = RequestContext::for_tests();
    let t = two_tier(&ec2, &ctx);
    let tgw = id(&call(&ec2, &ctx, "CreateTransitGateway", json!({})), "/TransitGateway/TransitGatewayId");
    let other = vpc(&ec2, &ctx, "10.2.0.0/16");
    let far = subnet(&ec2, &ctx, &other, "10.2.1.0/24");
    for (v, s) in [(&t.vpc, &t.private), (&other, &far)] {
        call(
            &ec2,
            &ctx,
            "CreateTransitGatewayVpcAttachment",
            json!({"TransitGatewayId": tgw, "VpcId": v, "SubnetIds": [s]}),
        );
    }
    call(
        &ec2,
        &ctx,
        "CreateRoute",
        json!({"RouteTableId": t.private_rtb, "DestinationCidrBlock": "10.2.0.0/16", "TransitGatewayId": tgw}),
    );
    routed(&ec2, &ctx, &other, &far, &[("10.0.0.0/16", "TransitGatewayId", &tgw)]);
    let svc = group(&ec2, &ctx, &other, "svc", tcp(443, json!({"IpRanges": [{"CidrIp": "10.0.0.0/8"}]})));
    let far_instance = instance(&ec2, &ctx, &far, &svc, false);
    let ctx = later(&ctx, 1);
    let (a, code) = analyze(&ec2, &ctx, &path(&ec2, &ctx, &t.db, &far_instance, Some(443)));
    assert_eq!(code, None, "{a}");
    assert!(components(&a, "ForwardPathComponents").contains(&tgw), "{a}");
    // A blackhole in the gateway's route table for the far VPC's block.
    let g = call(&ec2, &ctx, "DescribeTransitGateways", json!({"TransitGatewayIds": [tgw]}));
    let table = str_at(&g, "/TransitGateways/0/Options/AssociationDefaultRouteTableId");
    call(
        &ec2,
        &ctx,
        "CreateTransitGatewayRoute",
        json!({"TransitGatewayRouteTableId": table, "DestinationCidrBlock": "10.2.1.0/24", "Blackhole": true}),
    );
    let (a, code) = analyze(&ec2, &ctx, &path(&ec2, &ctx, &t.db, &far_instance, Some(443)));
    assert_eq!(code.as_deref(), Some("TGW_RTB_BAD_STATE_ROUTE"), "{a}");
}

#[test]
fn a_path_whose_source_is_gone_fails_to_analyze() {
    let ec2 = with_delay(0);
    let ctx = RequestContext::for_tests();
    let t = two_tier(&ec2, &ctx);
    let eni = call(&ec2, &ctx, "CreateNetworkInterface", json!({"SubnetId": t.private}));
    let eni = id(&eni, "/NetworkInterface/NetworkInterfaceId");
    let nip = path(&ec2, &ctx, &eni, &t.db, Some(5432));
    call(&ec2, &ctx, "DeleteNetworkInterface", json!({"NetworkInterfaceId": eni}));
    let input = json!({"NetworkInsightsPathId": nip, "ClientToken": "gone"});
    let nia = str_at(
        &call(&ec2, &ctx, "StartNetworkInsightsAnalysis", input),
        "/NetworkInsightsAnalysis/NetworkInsightsAnalysisId",
    );
    let out = call(&ec2, &ctx, "DescribeNetworkInsightsAnalyses", json!({"NetworkInsightsAnalysisIds": [nia]}));
    let a = &out["NetworkInsightsAnalyses"][0];
    assert_eq!(a["Status"], "failed");
    assert!(a["StatusMessage"].as_str().unwrap().contains(&eni));
}
