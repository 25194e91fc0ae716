//! Peering attachments across accounts and regions, and within one partition.

use nimbus_core::{RequestContext, Service};
use serde_json::{json, Value};

use crate::testing::{call, later, refused, str_at, with_delay};
use crate::Ec2;

fn tgw(ec2: &Ec2, ctx: &RequestContext) -> String {
    str_at(&call(ec2, ctx, "CreateTransitGateway", json!({})), "/TransitGateway/TransitGatewayId")
}

fn as_other(ctx: &RequestContext, account: &str, region: &str) -> RequestContext {
    let mut c = ctx.clone();
    c.caller.account = account.into();
    c.region = region.into();
    c
}

fn peering(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
    let out = call(ec2, ctx, "DescribeTransitGatewayPeeringAttachments", json!({"TransitGatewayAttachmentIds": [id]}));
    out["TransitGatewayPeeringAttachments"][0].clone()
}

fn request(ec2: &Ec2, ctx: &RequestContext, tgw: &str, peer: &str, account: &str, region: &str) -> Value {
    let input = json!({
        "TransitGatewayId": tgw, "PeerTransitGatewayId": peer, "PeerAccountId": account, "PeerRegion": region,
        "TagSpecifications": [{"ResourceType": "transit-gateway-attachment", "Tags": [{"Key": "Name", "Value": "hub-to-spoke"}]}],
    });
    call(ec2, ctx, "CreateTransitGatewayPeeringAttachment", input)["TransitGatewayPeeringAttachment"].clone()
}

#[test]
fn a_peering_across_accounts_and_regions_is_accepted_by_the_peer() {
    let ec2 = with_delay(5);
    let ctx = RequestContext::for_tests();
    let other = as_other(&ctx, "111111111111", "eu-west-1");
    let hub = tgw(&ec2, &ctx);
    let spoke = tgw(&ec2, &other);
    let (ctx, other) = (later(&ctx, 5), later(&other, 5));

    let created = request(&ec2, &ctx, &hub, &spoke, "111111111111", "eu-west-1");
    let id = created["TransitGatewayAttachmentId"].as_str().unwrap().to_string();
    assert_eq!(created["State"], "initiatingRequest");
    assert_eq!(
        created["AccepterTgwInfo"],
        json!({"TransitGatewayId": spoke, "OwnerId": "111111111111", "Region": "eu-west-1"})
    );
    assert_eq!(peering(&ec2, &ctx, &id)["State"], "initiatingRequest");
    let (ctx, other) = (later(&ctx, 5), later(&other, 5));
    let mine = peering(&ec2, &ctx, &id);
    assert_eq!(mine["State"], "pendingAcceptance");
    assert_eq!(mine["Status"], json!({"Code": "pendingAcceptance", "Message": "Pending Acceptance"}));
    assert_eq!(mine["Tags"], json!([{"Key": "Name", "Value": "hub-to-spoke"}]));
    let theirs = peering(&ec2, &other, &id);
    assert_eq!(theirs["State"], "pendingAcceptance");
    assert_eq!(theirs["Tags"], json!([]), "each side tags its own view");
    let listed = call(&ec2, &other, "DescribeTransitGatewayAttachments", json!({}));
    let listed = &listed["TransitGatewayAttachments"][0];
    assert_eq!(
        (listed["TransitGatewayId"].as_str(), listed["ResourceId"].as_str()),
        (Some(spoke.as_str()), Some(hub.as_str()))
    );
    assert_eq!(listed["ResourceType"], "peering");

    let input = json!({"TransitGatewayAttachmentId": id});
    assert_eq!(refused(&ec2, &ctx, "AcceptTransitGatewayPeeringAttachment", input.clone()), "InvalidParameterValue");
    let third = as_other(&ctx, "222222222222", "eu-west-1");
    assert_eq!(
        refused(&ec2, &third, "AcceptTransitGatewayPeeringAttachment", input.clone()),
        "InvalidTransitGatewayAttachmentID.NotFound"
    );
    let accepted = call(&ec2, &other, "AcceptTransitGatewayPeeringAttachment", input.clone());
    assert_eq!(accepted["TransitGatewayPeeringAttachment"]["State"], "pending");
    assert_eq!(peering(&ec2, &ctx, &id)["State"], "pending");
    assert_eq!(refused(&ec2, &other, "AcceptTransitGatewayPeeringAttachment", input.clone()), "IncorrectState");
    let (ctx, other) = (later(&ctx, 5), later(&other, 5));
    assert_eq!(peering(&ec2, &ctx, &id)["State"], "available");
    assert_eq!(peering(&ec2, &other, &id)["State"], "available");
    let filtered = call(
        &ec2,
        &other,
        "DescribeTransitGatewayPeeringAttachments",
        json!({"Filters": [{"Name": "remote-owner-id", "Values": ["000000000000"]}, {"Name": "transit-gateway-id", "Values": [spoke]}]}),
    );
    assert_eq!(filtered["TransitGatewayPeeringAttachments"].as_array().unwrap().len(), 1);

    // Static routes to the peering, on both sides; none propagate.
    let table = call(&ec2, &ctx, "DescribeTransitGateways", json!({"TransitGatewayIds": [hub]}))["TransitGateways"][0]
        ["Options"]["AssociationDefaultRouteTableId"]
        .as_str()
        .unwrap()
        .to_string();
    let route = json!({"TransitGatewayRouteTableId": table, "DestinationCidrBlock": "10.50.0.0/16", "TransitGatewayAttachmentId": id});
    let out = call(&ec2, &ctx, "CreateTransitGatewayRoute", route);
    assert_eq!(out["Route"]["State"], "active");
    assert_eq!(out["Route"]["TransitGatewayAttachments"][0]["ResourceType"], "peering");
    let propagate = json!({"TransitGatewayRouteTableId": table, "TransitGatewayAttachmentId": id});
    assert_eq!(refused(&ec2, &ctx, "EnableTransitGatewayRouteTablePropagation", propagate), "InvalidParameterValue");
    call(
        &ec2,
        &ctx,
        "AssociateTransitGatewayRouteTable",
        json!({"TransitGatewayRouteTableId": table, "TransitGatewayAttachmentId": id}),
    );
    assert_eq!(refused(&ec2, &ctx, "DeleteTransitGateway", json!({"TransitGatewayId": hub})), "IncorrectState");
    assert_eq!(refused(&ec2, &other, "DeleteTransitGateway", json!({"TransitGatewayId": spoke})), "IncorrectState");

    let modified = call(
        &ec2,
        &other,
        "ModifyTransitGatewayPeeringAttachment",
        json!({"TransitGatewayAttachmentId": id, "Options": {"AllowMultipathResilience": true}}),
    );
    let options = &modified["TransitGatewayPeeringAttachment"]["Options"];
    assert_eq!(
        (options["AccepterAllowMultipathResilience"].as_bool(), options["MultipathResilienceStatus"].as_str()),
        (Some(true), Some("disabled"))
    );

    // The accepter deletes it: both sides see it go, the route turns blackhole.
    let deleted = call(&ec2, &other, "DeleteTransitGatewayPeeringAttachment", input.clone());
    assert_eq!(deleted["TransitGatewayPeeringAttachment"]["State"], "deleting");
    let (ctx, other) = (later(&ctx, 5), later(&other, 5));
    assert_eq!(peering(&ec2, &ctx, &id)["State"], "deleted");
    assert_eq!(peering(&ec2, &other, &id)["State"], "deleted");
    let routes = call(
        &ec2,
        &ctx,
        "SearchTransitGatewayRoutes",
        json!({"TransitGatewayRouteTableId": table, "Filters": [{"Name": "type", "Values": ["static"]}]}),
    );
    assert_eq!(routes["Routes"][0]["State"], "blackhole");
    assert_eq!(
        refused(&ec2, &ctx, "DeleteTransitGatewayPeeringAttachment", input),
        "InvalidTransitGatewayAttachmentID.NotFound"
    );
    call(&ec2, &ctx, "DeleteTransitGateway", json!({"TransitGatewayId": hub}));
}

#[test]
fn a_peering_within_one_partition_gives_the_accepter_its_own_attachment() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let (a, b) = (tgw(&ec2, &ctx), tgw(&ec2, &ctx));
    let created = request(&ec2, &ctx, &a, &b, "000000000000", "us-east-1");
    let id = created["TransitGatewayAttachmentId"].as_str().unwrap().to_string();
    let twin = peering(&ec2, &ctx, &id)["AccepterTransitGatewayAttachmentId"].as_str().unwrap().to_string();
    assert_ne!(id, twin);
    let pending = call(
        &ec2,
        &ctx,
        "DescribeTransitGatewayAttachments",
        json!({"Filters": [{"Name": "state", "Values": ["pendingAcceptance"]}, {"Name": "resource-type", "Values": ["peering"]}]}),
    );
    assert_eq!(pending["TransitGatewayAttachments"].as_array().unwrap().len(), 2);
    let code = refused(&ec2, &ctx, "AcceptTransitGatewayPeeringAttachment", json!({"TransitGatewayAttachmentId": id}));
    assert_eq!(code, "InvalidParameterValue");
    call(&ec2, &ctx, "AcceptTransitGatewayPeeringAttachment", json!({"TransitGatewayAttachmentId": twin}));
    assert_eq!(peering(&ec2, &ctx, &id)["State"], "available");
    assert_eq!(peering(&ec2, &ctx, &twin)["TransitGatewayAttachmentId"], json!(twin));
    call(&ec2, &ctx, "DeleteTransitGatewayPeeringAttachment", json!({"TransitGatewayAttachmentId": id}));
    assert_eq!(peering(&ec2, &ctx, &twin)["State"], "deleted");

    // Errors of the request itself.
    let bad = |peer: &str, account: &str, region: &str| {
        let input = json!({"TransitGatewayId": a, "PeerTransitGatewayId": peer, "PeerAccountId": account, "PeerRegion": region});
        refused(&ec2, &ctx, "CreateTransitGatewayPeeringAttachment", input)
    };
    assert_eq!(bad(&a, "000000000000", "us-east-1"), "InvalidParameterValue");
    assert_eq!(bad(&b, "000000000000", "mars-north-1"), "InvalidParameterValue");
    assert_eq!(bad(&b, "12", "us-east-1"), "InvalidParameterValue");
    assert_eq!(bad("tgw-0123456789abcdef0", "000000000000", "us-east-1"), "InvalidTransitGatewayID.NotFound");
    let code = refused(
        &ec2,
        &ctx,
        "DescribeTransitGatewayPeeringAttachments",
        json!({"TransitGatewayAttachmentIds": ["tgw-attach-0123456789abcdef0"]}),
    );
    assert_eq!(code, "InvalidTransitGatewayAttachmentID.NotFound");
}

#[test]
fn a_request_of_a_gateway_that_does_not_exist_fails_and_the_peer_may_reject() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let hub = tgw(&ec2, &ctx);
    let failed = request(&ec2, &ctx, &hub, "tgw-0123456789abcdef0", "000000000000", "eu-west-1");
    let id = failed["TransitGatewayAttachmentId"].as_str().unwrap();
    let shown = peering(&ec2, &ctx, id);
    assert_eq!(shown["State"], "failed");
    assert!(shown["Status"]["Message"].as_str().unwrap().contains("does not exist"));

    let other = as_other(&ctx, "000000000000", "eu-west-1");
    let spoke = tgw(&ec2, &other);
    let created = request(&ec2, &ctx, &hub, &spoke, "000000000000", "eu-west-1");
    let id = created["TransitGatewayAttachmentId"].as_str().unwrap();
    let out = call(&ec2, &other, "RejectTransitGatewayPeeringAttachment", json!({"TransitGatewayAttachmentId": id}));
    assert_eq!(out["TransitGatewayPeeringAttachment"]["State"], "rejecting");
    assert_eq!(peering(&ec2, &ctx, id)["State"], "rejected");
    // A peering the peer rejected no longer holds the gateway.
    call(&ec2, &ctx, "DeleteTransitGateway", json!({"TransitGatewayId": hub}));
    let _ = ec2.call(&ctx, "DescribeTransitGateways", json!({}));
}
