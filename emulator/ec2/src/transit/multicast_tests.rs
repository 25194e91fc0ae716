//! Multicast domains end to end, through the service as the dispatcher calls it.

use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{call, later, refused, str_at, with_delay};
use crate::Ec2;

/// A gateway with multicast support, a VPC with two subnets attached to it, and an
/// interface in each subnet: (gateway, attachment, subnets, interfaces).
fn scene(ec2: &Ec2, ctx: &RequestContext) -> (String, String, Vec<String>, Vec<String>) {
    let out = call(ec2, ctx, "CreateTransitGateway", json!({"Options": {"MulticastSupport": "enable"}}));
    let tgw = str_at(&out, "/TransitGateway/TransitGatewayId");
    let vpc = str_at(&call(ec2, ctx, "CreateVpc", json!({"CidrBlock": "10.8.0.0/16"})), "/Vpc/VpcId");
    let subnets: Vec<String> = ["a", "b"]
        .iter()
        .enumerate()
        .map(|(i, z)| {
            let input = json!({"VpcId": vpc, "CidrBlock": format!("10.8.{i}.0/24"), "AvailabilityZone": format!("us-east-1{z}")});
            str_at(&call(ec2, ctx, "CreateSubnet", input), "/Subnet/SubnetId")
        })
        .collect();
    let input = json!({"TransitGatewayId": tgw, "VpcId": vpc, "SubnetIds": subnets});
    let out = call(ec2, ctx, "CreateTransitGatewayVpcAttachment", input);
    let attachment = str_at(&out, "/TransitGatewayVpcAttachment/TransitGatewayAttachmentId");
    let enis = subnets
        .iter()
        .map(|s| {
            let out = call(ec2, ctx, "CreateNetworkInterface", json!({"SubnetId": s}));
            str_at(&out, "/NetworkInterface/NetworkInterfaceId")
        })
        .collect();
    (tgw, attachment, subnets, enis)
}

fn domain(ec2: &Ec2, ctx: &RequestContext, tgw: &str, options: Value) -> String {
    let out =
        call(ec2, ctx, "CreateTransitGatewayMulticastDomain", json!({"TransitGatewayId": tgw, "Options": options}));
    str_at(&out, "/TransitGatewayMulticastDomain/TransitGatewayMulticastDomainId")
}

fn associations(ec2: &Ec2, ctx: &RequestContext, domain: &str) -> Vec<(String, String)> {
    let out = call(
        ec2,
        ctx,
        "GetTransitGatewayMulticastDomainAssociations",
        json!({"TransitGatewayMulticastDomainId": domain}),
    );
    out["MulticastDomainAssociations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (str_at(a, "/Subnet/SubnetId"), str_at(a, "/Subnet/State")))
        .collect()
}

fn groups(ec2: &Ec2, ctx: &RequestContext, domain: &str, filters: Value) -> Vec<Value> {
    let input = json!({"TransitGatewayMulticastDomainId": domain, "Filters": filters});
    call(ec2, ctx, "SearchTransitGatewayMulticastGroups", input)["MulticastGroups"].as_array().unwrap().clone()
}

#[test]
fn a_domain_needs_multicast_support_and_lives_on_the_clock() {
    let ec2 = with_delay(5);
    let ctx = RequestContext::for_tests();
    let plain = str_at(&call(&ec2, &ctx, "CreateTransitGateway", json!({})), "/TransitGateway/TransitGatewayId");
    let ctx = later(&ctx, 5);
    let refused_plain = json!({"TransitGatewayId": plain});
    assert_eq!(refused(&ec2, &ctx, "CreateTransitGatewayMulticastDomain", refused_plain), "InvalidParameterValue");
    let out = call(&ec2, &ctx, "CreateTransitGateway", json!({"Options": {"MulticastSupport": "enable"}}));
    let tgw = str_at(&out, "/TransitGateway/TransitGatewayId");
    let early = json!({"TransitGatewayId": tgw});
    assert_eq!(refused(&ec2, &ctx, "CreateTransitGatewayMulticastDomain", early), "IncorrectState");
    let ctx = later(&ctx, 5);
    let out = call(
        &ec2,
        &ctx,
        "CreateTransitGatewayMulticastDomain",
        json!({"TransitGatewayId": tgw,
        "Options": {"StaticSourcesSupport": "enable"},
        "TagSpecifications": [{"ResourceType": "transit-gateway-multicast-domain", "Tags": [{"Key": "Name", "Value": "m"}]}]}),
    );
    let d = &out["TransitGatewayMulticastDomain"];
    let id = str_at(d, "/TransitGatewayMulticastDomainId");
    assert!(id.starts_with("tgw-mcast-domain-"));
    assert_eq!(d["State"], "pending");
    assert_eq!(
        d["Options"],
        json!({"Igmpv2Support": "disable", "StaticSourcesSupport": "enable", "AutoAcceptSharedAssociations": "disable"})
    );
    assert!(
        str_at(d, "/TransitGatewayMulticastDomainArn").ends_with(&format!(":transit-gateway-multicast-domain/{id}"))
    );
    let described = |ctx: &RequestContext| {
        call(&ec2, ctx, "DescribeTransitGatewayMulticastDomains", json!({"TransitGatewayMulticastDomainIds": [id]}))
            ["TransitGatewayMulticastDomains"][0]["State"]
            .clone()
    };
    assert_eq!(described(&later(&ctx, 5)), "available");
    let filtered = call(
        &ec2,
        &ctx,
        "DescribeTransitGatewayMulticastDomains",
        json!({"Filters": [{"Name": "tag:Name", "Values": ["m"]}]}),
    );
    assert_eq!(filtered["TransitGatewayMulticastDomains"].as_array().unwrap().len(), 1);
    let ctx = later(&ctx, 5);
    let out = call(&ec2, &ctx, "DeleteTransitGatewayMulticastDomain", json!({"TransitGatewayMulticastDomainId": id}));
    assert_eq!(out["TransitGatewayMulticastDomain"]["State"], "deleting");
    assert_eq!(described(&later(&ctx, 5)), "deleted");
    let again = json!({"TransitGatewayMulticastDomainId": id});
    assert_eq!(
        refused(&ec2, &ctx, "DeleteTransitGatewayMulticastDomain", again),
        "InvalidTransitGatewayMulticastDomainId.NotFound"
    );
}

#[test]
fn subnets_associate_and_interfaces_join_groups() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let (tgw, attachment, subnets, enis) = scene(&ec2, &ctx);
    let d = domain(&ec2, &ctx, &tgw, json!({"StaticSourcesSupport": "enable"}));
    let member =
        json!({"TransitGatewayMulticastDomainId": d, "GroupIpAddress": "224.0.0.10", "NetworkInterfaceIds": [enis[0]]});
    assert_eq!(
        refused(&ec2, &ctx, "RegisterTransitGatewayMulticastGroupMembers", member.clone()),
        "InvalidParameterValue",
        "not associated yet"
    );

    let assoc = json!({"TransitGatewayMulticastDomainId": d, "TransitGatewayAttachmentId": attachment, "SubnetIds": [subnets[0]]});
    let out = call(&ec2, &ctx, "AssociateTransitGatewayMulticastDomain", assoc.clone());
    assert_eq!(out["Associations"]["Subnets"][0]["State"], "associating");
    assert_eq!(out["Associations"]["ResourceType"], "vpc");
    assert_eq!(associations(&ec2, &ctx, &d), vec![(subnets[0].clone(), "associated".to_string())]);
    let other = domain(&ec2, &ctx, &tgw, json!({}));
    let mut elsewhere = assoc.clone();
    elsewhere["TransitGatewayMulticastDomainId"] = json!(other);
    assert_eq!(refused(&ec2, &ctx, "AssociateTransitGatewayMulticastDomain", elsewhere), "InvalidParameterValue");
    let mut foreign = assoc.clone();
    foreign["SubnetIds"] = json!(["subnet-0000000000000000f"]);
    assert_eq!(refused(&ec2, &ctx, "AssociateTransitGatewayMulticastDomain", foreign), "InvalidSubnetID.NotFound");

    let out = call(&ec2, &ctx, "RegisterTransitGatewayMulticastGroupMembers", member.clone());
    assert_eq!(out["RegisteredMulticastGroupMembers"]["RegisteredNetworkInterfaceIds"], json!([enis[0]]));
    let source =
        json!({"TransitGatewayMulticastDomainId": d, "GroupIpAddress": "224.0.0.10", "NetworkInterfaceIds": [enis[0]]});
    call(&ec2, &ctx, "RegisterTransitGatewayMulticastGroupSources", source.clone());
    let mut unicast = member.clone();
    unicast["GroupIpAddress"] = json!("10.0.0.1");
    assert_eq!(refused(&ec2, &ctx, "RegisterTransitGatewayMulticastGroupMembers", unicast), "InvalidParameterValue");
    let mut v6 = member.clone();
    v6["GroupIpAddress"] = json!("FF02::1");
    call(&ec2, &ctx, "RegisterTransitGatewayMulticastGroupMembers", v6);

    let all = groups(&ec2, &ctx, &d, json!([]));
    assert_eq!(all.len(), 3);
    let members = groups(
        &ec2,
        &ctx,
        &d,
        json!([{"Name": "group-ip-address", "Values": ["224.0.0.10"]},
        {"Name": "is-group-member", "Values": ["true"]}, {"Name": "is-group-source", "Values": ["false"]}]),
    );
    assert_eq!(members.len(), 1);
    assert_eq!(
        (members[0]["MemberType"].as_str(), members[0]["TransitGatewayAttachmentId"].as_str()),
        (Some("static"), Some(attachment.as_str()))
    );
    assert_eq!(groups(&ec2, &ctx, &d, json!([{"Name": "group-ip-address", "Values": ["ff02::1"]}])).len(), 1);
    let bad = json!({"TransitGatewayMulticastDomainId": d, "Filters": [{"Name": "nope", "Values": ["x"]}]});
    assert_eq!(refused(&ec2, &ctx, "SearchTransitGatewayMulticastGroups", bad), "InvalidParameterValue");

    let deleting = json!({"TransitGatewayMulticastDomainId": d});
    assert_eq!(refused(&ec2, &ctx, "DeleteTransitGatewayMulticastDomain", deleting.clone()), "DependencyViolation");
    call(&ec2, &ctx, "DeregisterTransitGatewayMulticastGroupSources", source.clone());
    assert_eq!(
        refused(&ec2, &ctx, "DeregisterTransitGatewayMulticastGroupSources", source),
        "TransitGatewayMulticastGroupSource.NotFound"
    );
    call(&ec2, &ctx, "DeregisterTransitGatewayMulticastGroupMembers", member.clone());
    assert_eq!(
        refused(&ec2, &ctx, "DeregisterTransitGatewayMulticastGroupMembers", member),
        "TransitGatewayMulticastGroupMember.NotFound"
    );

    let out = call(&ec2, &ctx, "DisassociateTransitGatewayMulticastDomain", assoc.clone());
    assert_eq!(out["Associations"]["Subnets"][0]["State"], "disassociating");
    assert!(associations(&ec2, &ctx, &d).is_empty());
    assert!(groups(&ec2, &ctx, &d, json!([])).is_empty(), "a disassociated subnet's registrations go with it");
    assert_eq!(
        refused(&ec2, &ctx, "DisassociateTransitGatewayMulticastDomain", assoc),
        "InvalidTransitGatewayMulticastDomainAssociation.NotFound"
    );
    call(&ec2, &ctx, "DeleteTransitGatewayMulticastDomain", deleting);
}

#[test]
fn deleting_the_attachment_ends_its_associations_and_the_gateway_its_domains() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let (tgw, attachment, subnets, _) = scene(&ec2, &ctx);
    let d = domain(&ec2, &ctx, &tgw, json!({}));
    let assoc =
        json!({"TransitGatewayMulticastDomainId": d, "TransitGatewayAttachmentId": attachment, "SubnetIds": subnets});
    call(&ec2, &ctx, "AssociateTransitGatewayMulticastDomain", assoc);
    assert_eq!(associations(&ec2, &ctx, &d).len(), 2);
    let page = call(
        &ec2,
        &ctx,
        "GetTransitGatewayMulticastDomainAssociations",
        json!({"TransitGatewayMulticastDomainId": d,
        "Filters": [{"Name": "subnet-id", "Values": [subnets[1]]}]}),
    );
    assert_eq!(page["MulticastDomainAssociations"].as_array().unwrap().len(), 1);
    call(&ec2, &ctx, "DeleteTransitGatewayVpcAttachment", json!({"TransitGatewayAttachmentId": attachment}));
    assert!(associations(&ec2, &ctx, &d).is_empty());
    call(&ec2, &ctx, "DeleteTransitGateway", json!({"TransitGatewayId": tgw}));
    let out =
        call(&ec2, &ctx, "DescribeTransitGatewayMulticastDomains", json!({"TransitGatewayMulticastDomainIds": [d]}));
    assert_eq!(out["TransitGatewayMulticastDomains"][0]["State"], "deleted");
}
