//! The Transit Gateway family end to end, through the service as the dispatcher calls it.

use nimbus_core::{RequestContext, Service};
use serde_json::{json, Value};

use crate::testing::{call, later, refused, str_at, with_delay};
use crate::Ec2;

fn tgw(ec2: &Ec2, ctx: &RequestContext, options: Value) -> String {
    let out = call(ec2, ctx, "CreateTransitGateway", json!({"Description": "hub", "Options": options}));
    str_at(&out, "/TransitGateway/TransitGatewayId")
}

fn describe_tgw(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
    call(ec2, ctx, "DescribeTransitGateways", json!({"TransitGatewayIds": [id]}))["TransitGateways"][0].clone()
}

/// A VPC with a subnet in each of the first two zones.
fn vpc(ec2: &Ec2, ctx: &RequestContext, cidr: &str) -> (String, Vec<String>) {
    let vpc = str_at(&call(ec2, ctx, "CreateVpc", json!({"CidrBlock": cidr})), "/Vpc/VpcId");
    let base = cidr.trim_end_matches(".0.0/16");
    let subnets = ["a", "b"]
        .iter()
        .enumerate()
        .map(|(i, z)| {
            let input = json!({"VpcId": vpc, "CidrBlock": format!("{base}.{i}.0/24"), "AvailabilityZone": format!("us-east-1{z}")});
            str_at(&call(ec2, ctx, "CreateSubnet", input), "/Subnet/SubnetId")
        })
        .collect();
    (vpc, subnets)
}

fn attach(ec2: &Ec2, ctx: &RequestContext, tgw: &str, vpc: &str, subnets: &[String]) -> String {
    let input = json!({"TransitGatewayId": tgw, "VpcId": vpc, "SubnetIds": subnets});
    str_at(
        &call(ec2, ctx, "CreateTransitGatewayVpcAttachment", input),
        "/TransitGatewayVpcAttachment/TransitGatewayAttachmentId",
    )
}

fn search(ec2: &Ec2, ctx: &RequestContext, table: &str, filters: Value) -> Vec<Value> {
    let out =
        call(ec2, ctx, "SearchTransitGatewayRoutes", json!({"TransitGatewayRouteTableId": table, "Filters": filters}));
    out["Routes"].as_array().cloned().unwrap_or_default()
}

fn all_routes(ec2: &Ec2, ctx: &RequestContext, table: &str) -> Vec<(String, String, String)> {
    search(ec2, ctx, table, json!([{"Name": "state", "Values": ["active", "blackhole"]}]))
        .iter()
        .map(|r| {
            (
                r["DestinationCidrBlock"].as_str().unwrap().to_string(),
                r["Type"].as_str().unwrap().to_string(),
                r["State"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_gateway_lives_on_the_clock_with_its_default_route_table() {
    let ec2 = with_delay(5);
    let ctx = RequestContext::for_tests();
    let out =
        call(&ec2, &ctx, "CreateTransitGateway", json!({"Description": "hub", "Options": {"AmazonSideAsn": 64600}}));
    let id = str_at(&out, "/TransitGateway/TransitGatewayId");
    assert_eq!(str_at(&out, "/TransitGateway/State"), "pending");
    assert!(str_at(&out, "/TransitGateway/TransitGatewayArn").ends_with(&format!(":transit-gateway/{id}")));
    let g = describe_tgw(&ec2, &ctx, &id);
    assert_eq!(g["State"], "pending");
    assert_eq!(g["Tags"], json!([]), "an untagged gateway answers an empty tag set");
    let g = describe_tgw(&ec2, &later(&ctx, 5), &id);
    assert_eq!(g["State"], "available");
    let o = &g["Options"];
    assert_eq!((o["AmazonSideAsn"].as_i64(), o["DnsSupport"].as_str()), (Some(64600), Some("enable")));
    assert_eq!(o["SecurityGroupReferencingSupport"], "disable");
    let table = o["AssociationDefaultRouteTableId"].as_str().unwrap().to_string();
    assert_eq!(o["PropagationDefaultRouteTableId"], json!(table));
    let tables = call(&ec2, &later(&ctx, 5), "DescribeTransitGatewayRouteTables", json!({}));
    assert_eq!(tables["TransitGatewayRouteTables"][0]["DefaultAssociationRouteTable"], true);

    let ctx = later(&ctx, 10);
    let err = refused(&ec2, &ctx, "CreateTransitGateway", json!({"Options": {"AmazonSideAsn": 100}}));
    assert_eq!(err, "InvalidParameterValue");
    let err =
        refused(&ec2, &ctx, "CreateTransitGateway", json!({"Options": {"TransitGatewayCidrBlocks": ["10.0.0.0/28"]}}));
    assert_eq!(err, "InvalidParameterValue");
    let modified = call(
        &ec2,
        &ctx,
        "ModifyTransitGateway",
        json!({"TransitGatewayId": id, "Description": "core", "Options": {"AddTransitGatewayCidrBlocks": ["10.99.0.0/24"], "DnsSupport": "disable"}}),
    );
    assert_eq!(str_at(&modified, "/TransitGateway/State"), "modifying");
    let g = describe_tgw(&ec2, &later(&ctx, 5), &id);
    assert_eq!((g["State"].as_str(), g["Description"].as_str()), (Some("available"), Some("core")));
    assert_eq!(g["Options"]["TransitGatewayCidrBlocks"], json!(["10.99.0.0/24"]));
    assert_eq!(g["Options"]["DnsSupport"], "disable");

    let ctx = later(&ctx, 10);
    let deleted = call(&ec2, &ctx, "DeleteTransitGateway", json!({"TransitGatewayId": id}));
    assert_eq!(str_at(&deleted, "/TransitGateway/State"), "deleting");
    assert_eq!(describe_tgw(&ec2, &later(&ctx, 5), &id)["State"], "deleted");
    let gone = later(&ctx, 5 + 3601);
    assert_eq!(
        refused(&ec2, &gone, "DescribeTransitGateways", json!({"TransitGatewayIds": [id]})),
        "InvalidTransitGatewayID.NotFound"
    );
    assert_eq!(
        refused(&ec2, &ctx, "DeleteTransitGateway", json!({"TransitGatewayId": id})),
        "InvalidTransitGatewayID.NotFound"
    );
}

#[test]
fn an_attached_vpc_propagates_its_cidr_and_static_routes_win() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let g = tgw(&ec2, &ctx, json!({}));
    let table = describe_tgw(&ec2, &ctx, &g)["Options"]["AssociationDefaultRouteTableId"].as_str().unwrap().to_string();
    let (vpc_a, subnets_a) = vpc(&ec2, &ctx, "10.1.0.0/16");
    let (vpc_b, subnets_b) = vpc(&ec2, &ctx, "10.2.0.0/16");

    let both_in_a = json!({"TransitGatewayId": g, "VpcId": vpc_a, "SubnetIds": [subnets_a[0], subnets_a[0].clone()]});
    let _ = both_in_a;
    let same_zone = {
        let extra = json!({"VpcId": vpc_a, "CidrBlock": "10.1.9.0/24", "AvailabilityZone": "us-east-1a"});
        str_at(&call(&ec2, &ctx, "CreateSubnet", extra), "/Subnet/SubnetId")
    };
    let input = json!({"TransitGatewayId": g, "VpcId": vpc_a, "SubnetIds": [subnets_a[0], same_zone]});
    assert_eq!(refused(&ec2, &ctx, "CreateTransitGatewayVpcAttachment", input), "DuplicateSubnetsInSameZone");
    let input = json!({"TransitGatewayId": g, "VpcId": vpc_a, "SubnetIds": [subnets_b[0]]});
    assert_eq!(refused(&ec2, &ctx, "CreateTransitGatewayVpcAttachment", input), "InvalidParameterValue");
    let input = json!({"TransitGatewayId": "tgw-0123456789abcdef0", "VpcId": vpc_a, "SubnetIds": [subnets_a[0]]});
    assert_eq!(refused(&ec2, &ctx, "CreateTransitGatewayVpcAttachment", input), "InvalidTransitGatewayID.NotFound");

    let a = attach(&ec2, &ctx, &g, &vpc_a, &subnets_a);
    let b = attach(&ec2, &ctx, &g, &vpc_b, &subnets_b[..1]);
    let input = json!({"TransitGatewayId": g, "VpcId": vpc_a, "SubnetIds": [subnets_a[1]]});
    assert_eq!(refused(&ec2, &ctx, "CreateTransitGatewayVpcAttachment", input), "DuplicateTransitGatewayAttachment");

    // AWS places an interface in each subnet of the attachment.
    let enis =
        call(&ec2, &ctx, "DescribeNetworkInterfaces", json!({"Filters": [{"Name": "vpc-id", "Values": [vpc_a]}]}));
    let enis = enis["NetworkInterfaces"].as_array().unwrap();
    assert_eq!(enis.len(), 2);
    assert!(enis.iter().all(|e| e["InterfaceType"] == "transit_gateway" && e["RequesterManaged"] == true));
    assert_eq!(refused(&ec2, &ctx, "DeleteSubnet", json!({"SubnetId": subnets_a[0]})), "DependencyViolation");

    let attachments =
        call(&ec2, &ctx, "DescribeTransitGatewayAttachments", json!({"TransitGatewayAttachmentIds": [a]}));
    let shown = &attachments["TransitGatewayAttachments"][0];
    assert_eq!((shown["ResourceType"].as_str(), shown["State"].as_str()), (Some("vpc"), Some("available")));
    assert_eq!(shown["Association"]["TransitGatewayRouteTableId"], json!(table));
    assert_eq!(shown["Association"]["State"], "associated");

    assert_eq!(
        all_routes(&ec2, &ctx, &table),
        vec![
            ("10.1.0.0/16".into(), "propagated".into(), "active".into()),
            ("10.2.0.0/16".into(), "propagated".into(), "active".into())
        ]
    );
    let route = json!({"TransitGatewayRouteTableId": table, "DestinationCidrBlock": "10.2.0.0/16", "TransitGatewayAttachmentId": a});
    call(&ec2, &ctx, "CreateTransitGatewayRoute", route.clone());
    assert_eq!(refused(&ec2, &ctx, "CreateTransitGatewayRoute", route), "RouteAlreadyExists");
    call(
        &ec2,
        &ctx,
        "CreateTransitGatewayRoute",
        json!({"TransitGatewayRouteTableId": table, "DestinationCidrBlock": "0.0.0.0/0", "Blackhole": true}),
    );
    assert_eq!(
        all_routes(&ec2, &ctx, &table),
        vec![
            ("0.0.0.0/0".into(), "static".into(), "blackhole".into()),
            ("10.1.0.0/16".into(), "propagated".into(), "active".into()),
            ("10.2.0.0/16".into(), "static".into(), "active".into()),
        ]
    );
    let exact = search(
        &ec2,
        &ctx,
        &table,
        json!([{"Name": "route-search.exact-match", "Values": ["10.2.0.0/16"]}, {"Name": "type", "Values": ["static"]}]),
    );
    assert_eq!(exact.len(), 1);
    assert_eq!(exact[0]["TransitGatewayAttachments"][0]["ResourceId"], json!(vpc_a));
    let longest =
        search(&ec2, &ctx, &table, json!([{"Name": "route-search.longest-prefix-match", "Values": ["10.1.2.3"]}]));
    assert_eq!(longest[0]["DestinationCidrBlock"], "10.1.0.0/16");
    let delete = json!({"TransitGatewayRouteTableId": table, "DestinationCidrBlock": "10.9.0.0/16"});
    assert_eq!(refused(&ec2, &ctx, "DeleteTransitGatewayRoute", delete), "InvalidRoute.NotFound");

    // A VPC route to the gateway is refused until the VPC is attached, active while it is.
    let (vpc_c, _) = vpc(&ec2, &ctx, "10.3.0.0/16");
    let rtb_c = str_at(&call(&ec2, &ctx, "CreateRouteTable", json!({"VpcId": vpc_c})), "/RouteTable/RouteTableId");
    let to_tgw = json!({"RouteTableId": rtb_c, "DestinationCidrBlock": "10.0.0.0/8", "TransitGatewayId": g});
    assert_eq!(refused(&ec2, &ctx, "CreateRoute", to_tgw), "InvalidTransitGatewayID.NotFound");
    let rtb_a = str_at(&call(&ec2, &ctx, "CreateRouteTable", json!({"VpcId": vpc_a})), "/RouteTable/RouteTableId");
    call(
        &ec2,
        &ctx,
        "CreateRoute",
        json!({"RouteTableId": rtb_a, "DestinationCidrBlock": "10.0.0.0/8", "TransitGatewayId": g}),
    );
    let vpc_route = |ctx: &RequestContext| {
        let t = call(&ec2, ctx, "DescribeRouteTables", json!({"RouteTableIds": [rtb_a]}));
        t["RouteTables"][0]["Routes"].as_array().unwrap().last().unwrap()["State"].as_str().unwrap().to_string()
    };
    assert_eq!(vpc_route(&ctx), "active");

    assert_eq!(refused(&ec2, &ctx, "DeleteTransitGateway", json!({"TransitGatewayId": g})), "IncorrectState");
    assert_eq!(refused(&ec2, &ctx, "DeleteVpc", json!({"VpcId": vpc_b})), "DependencyViolation");
    let out = call(&ec2, &ctx, "DeleteTransitGatewayVpcAttachment", json!({"TransitGatewayAttachmentId": a}));
    assert_eq!(str_at(&out, "/TransitGatewayVpcAttachment/State"), "deleting");
    assert_eq!(vpc_route(&ctx), "blackhole", "the VPC is no longer attached");
    let routes = all_routes(&ec2, &ctx, &table);
    assert!(routes.contains(&("10.2.0.0/16".into(), "static".into(), "blackhole".into())), "{routes:?}");
    assert!(!routes.iter().any(|r| r.0 == "10.1.0.0/16"), "a deleted attachment propagates nothing");
    call(&ec2, &ctx, "DeleteTransitGatewayVpcAttachment", json!({"TransitGatewayAttachmentId": b}));
    call(&ec2, &ctx, "DeleteSubnet", json!({"SubnetId": subnets_b[0]}));
    call(&ec2, &ctx, "DeleteTransitGateway", json!({"TransitGatewayId": g}));
}

#[test]
fn associations_and_propagations_follow_aws_rules() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let g =
        tgw(&ec2, &ctx, json!({"DefaultRouteTableAssociation": "disable", "DefaultRouteTablePropagation": "disable"}));
    let o = describe_tgw(&ec2, &ctx, &g)["Options"].clone();
    assert!(o.get("AssociationDefaultRouteTableId").is_none(), "no default table: {o}");
    let (v, subnets) = vpc(&ec2, &ctx, "10.4.0.0/16");
    let a = attach(&ec2, &ctx, &g, &v, &subnets[..1]);
    let attachment = call(&ec2, &ctx, "DescribeTransitGatewayAttachments", json!({"TransitGatewayAttachmentIds": [a]}));
    assert!(attachment["TransitGatewayAttachments"][0].get("Association").is_none());
    let t1 = str_at(
        &call(&ec2, &ctx, "CreateTransitGatewayRouteTable", json!({"TransitGatewayId": g})),
        "/TransitGatewayRouteTable/TransitGatewayRouteTableId",
    );
    let t2 = str_at(
        &call(&ec2, &ctx, "CreateTransitGatewayRouteTable", json!({"TransitGatewayId": g})),
        "/TransitGatewayRouteTable/TransitGatewayRouteTableId",
    );
    let pair = |t: &str| json!({"TransitGatewayRouteTableId": t, "TransitGatewayAttachmentId": a});
    let out = call(&ec2, &ctx, "AssociateTransitGatewayRouteTable", pair(&t1));
    assert_eq!(
        (str_at(&out, "/Association/State"), str_at(&out, "/Association/ResourceId")),
        ("associating".into(), v.clone())
    );
    assert_eq!(refused(&ec2, &ctx, "AssociateTransitGatewayRouteTable", pair(&t2)), "Resource.AlreadyAssociated");
    assert_eq!(refused(&ec2, &ctx, "DisassociateTransitGatewayRouteTable", pair(&t2)), "InvalidAssociation.NotFound");
    assert_eq!(
        refused(&ec2, &ctx, "DeleteTransitGatewayRouteTable", json!({"TransitGatewayRouteTableId": t1})),
        "IncorrectState"
    );
    let assoc = call(&ec2, &ctx, "GetTransitGatewayRouteTableAssociations", json!({"TransitGatewayRouteTableId": t1}));
    assert_eq!(assoc["Associations"][0]["State"], "associated");
    call(&ec2, &ctx, "DisassociateTransitGatewayRouteTable", pair(&t1));
    call(&ec2, &ctx, "AssociateTransitGatewayRouteTable", pair(&t2));

    assert_eq!(
        refused(&ec2, &ctx, "DisableTransitGatewayRouteTablePropagation", pair(&t1)),
        "TransitGatewayRouteTablePropagation.NotFound"
    );
    call(&ec2, &ctx, "EnableTransitGatewayRouteTablePropagation", pair(&t1));
    assert_eq!(
        refused(&ec2, &ctx, "EnableTransitGatewayRouteTablePropagation", pair(&t1)),
        "TransitGatewayRouteTablePropagation.Duplicate"
    );
    call(&ec2, &ctx, "EnableTransitGatewayRouteTablePropagation", pair(&t2));
    let props = call(&ec2, &ctx, "GetTransitGatewayAttachmentPropagations", json!({"TransitGatewayAttachmentId": a}));
    assert_eq!(props["TransitGatewayAttachmentPropagations"].as_array().unwrap().len(), 2);
    let props = call(
        &ec2,
        &ctx,
        "GetTransitGatewayRouteTablePropagations",
        json!({"TransitGatewayRouteTableId": t1, "Filters": [{"Name": "resource-type", "Values": ["vpc"]}]}),
    );
    assert_eq!(props["TransitGatewayRouteTablePropagations"][0]["State"], "enabled");
    call(&ec2, &ctx, "DisableTransitGatewayRouteTablePropagation", pair(&t1));
    assert!(all_routes(&ec2, &ctx, &t1).is_empty());
    assert_eq!(all_routes(&ec2, &ctx, &t2), vec![("10.4.0.0/16".into(), "propagated".into(), "active".into())]);

    // The attachment's subnets and options change in place.
    let modify = json!({"TransitGatewayAttachmentId": a, "AddSubnetIds": [subnets[1]], "Options": {"ApplianceModeSupport": "enable"}});
    assert_eq!(
        str_at(&call(&ec2, &ctx, "ModifyTransitGatewayVpcAttachment", modify), "/TransitGatewayVpcAttachment/State"),
        "modifying"
    );
    let shown = call(&ec2, &ctx, "DescribeTransitGatewayVpcAttachments", json!({"TransitGatewayAttachmentIds": [a]}));
    let shown = &shown["TransitGatewayVpcAttachments"][0];
    assert_eq!(shown["SubnetIds"].as_array().unwrap().len(), 2);
    assert_eq!(shown["Options"]["ApplianceModeSupport"], "enable");
    let remove_all = json!({"TransitGatewayAttachmentId": a, "RemoveSubnetIds": subnets});
    assert_eq!(refused(&ec2, &ctx, "ModifyTransitGatewayVpcAttachment", remove_all), "InvalidParameterValue");
    assert_eq!(
        refused(&ec2, &ctx, "AcceptTransitGatewayVpcAttachment", json!({"TransitGatewayAttachmentId": a})),
        "IncorrectState"
    );
}

#[test]
fn prefix_list_references_route_the_lists_entries() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let g = tgw(&ec2, &ctx, json!({}));
    let table = describe_tgw(&ec2, &ctx, &g)["Options"]["AssociationDefaultRouteTableId"].as_str().unwrap().to_string();
    let (v, subnets) = vpc(&ec2, &ctx, "10.5.0.0/16");
    let a = attach(&ec2, &ctx, &g, &v, &subnets[..1]);
    let pl = call(
        &ec2,
        &ctx,
        "CreateManagedPrefixList",
        json!({"PrefixListName": "onprem", "AddressFamily": "IPv4", "MaxEntries": 5, "Entries": [{"Cidr": "192.168.0.0/24"}, {"Cidr": "192.168.1.0/24"}]}),
    );
    let pl = str_at(&pl, "/PrefixList/PrefixListId");
    let reference = json!({"TransitGatewayRouteTableId": table, "PrefixListId": pl, "TransitGatewayAttachmentId": a});
    let out = call(&ec2, &ctx, "CreateTransitGatewayPrefixListReference", reference.clone());
    assert_eq!(str_at(&out, "/TransitGatewayPrefixListReference/State"), "pending");
    assert_eq!(refused(&ec2, &ctx, "CreateTransitGatewayPrefixListReference", reference), "InvalidParameterValue");
    let routes = search(&ec2, &ctx, &table, json!([{"Name": "prefix-list-id", "Values": [pl]}]));
    assert_eq!(routes.len(), 2);
    assert!(routes.iter().all(|r| r["Type"] == "static" && r["State"] == "active"));
    assert_eq!(refused(&ec2, &ctx, "DeleteManagedPrefixList", json!({"PrefixListId": pl})), "DependencyViolation");
    call(
        &ec2,
        &ctx,
        "ModifyTransitGatewayPrefixListReference",
        json!({"TransitGatewayRouteTableId": table, "PrefixListId": pl, "Blackhole": true}),
    );
    let refs = call(&ec2, &ctx, "GetTransitGatewayPrefixListReferences", json!({"TransitGatewayRouteTableId": table}));
    let r = &refs["TransitGatewayPrefixListReferences"][0];
    assert_eq!((r["State"].as_str(), r["Blackhole"].as_bool()), (Some("available"), Some(true)));
    call(
        &ec2,
        &ctx,
        "DeleteTransitGatewayPrefixListReference",
        json!({"TransitGatewayRouteTableId": table, "PrefixListId": pl}),
    );
    let refs = call(&ec2, &ctx, "GetTransitGatewayPrefixListReferences", json!({"TransitGatewayRouteTableId": table}));
    assert_eq!(refs["TransitGatewayPrefixListReferences"], json!([]));
    call(&ec2, &ctx, "DeleteManagedPrefixList", json!({"PrefixListId": pl}));
}

#[test]
fn tags_dry_run_and_filters_work_on_transit_resources() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let spec = json!([{"ResourceType": "transit-gateway", "Tags": [{"Key": "Name", "Value": "hub"}]}]);
    let out = call(&ec2, &ctx, "CreateTransitGateway", json!({"TagSpecifications": spec}));
    let id = str_at(&out, "/TransitGateway/TransitGatewayId");
    let wrong = json!([{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "hub"}]}]);
    assert_eq!(
        refused(&ec2, &ctx, "CreateTransitGateway", json!({"TagSpecifications": wrong})),
        "InvalidParameterValue"
    );
    assert_eq!(refused(&ec2, &ctx, "CreateTransitGateway", json!({"DryRun": true})), "DryRunOperation");
    let by_tag =
        call(&ec2, &ctx, "DescribeTransitGateways", json!({"Filters": [{"Name": "tag:Name", "Values": ["hub"]}]}));
    assert_eq!(by_tag["TransitGateways"].as_array().unwrap().len(), 1);
    let bad = json!({"Filters": [{"Name": "nope", "Values": ["x"]}]});
    assert_eq!(refused(&ec2, &ctx, "DescribeTransitGateways", bad), "InvalidParameterValue");
    call(&ec2, &ctx, "CreateTags", json!({"Resources": [id], "Tags": [{"Key": "Env", "Value": "test"}]}));
    let tags = call(&ec2, &ctx, "DescribeTags", json!({"Filters": [{"Name": "resource-id", "Values": [id]}]}));
    let types: Vec<&str> =
        tags["Tags"].as_array().unwrap().iter().map(|t| t["ResourceType"].as_str().unwrap()).collect();
    assert_eq!(types, vec!["transit-gateway", "transit-gateway"]);
    let page = call(&ec2, &ctx, "DescribeTransitGateways", json!({"MaxResults": 5}));
    assert!(page.get("NextToken").is_none());
    assert_eq!(refused(&ec2, &ctx, "DescribeTransitGateways", json!({"MaxResults": 1})), "InvalidParameterValue");
}

#[test]
fn the_state_survives_a_snapshot() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let g = tgw(&ec2, &ctx, json!({}));
    let snapshot = ec2.snapshot().unwrap();
    let restored = Ec2::default();
    restored.restore(snapshot).unwrap();
    assert_eq!(describe_tgw(&restored, &ctx, &g)["TransitGatewayId"], json!(g));
}
