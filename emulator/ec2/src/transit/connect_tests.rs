//! Connect attachments and peers, and policy tables.

use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{call, later, refused, str_at, with_delay};
use crate::Ec2;

/// A gateway with a CIDR block, a VPC attached to it 5 s later: (gateway, VPC attachment).
fn transport(ec2: &Ec2, ctx: &RequestContext) -> (String, String) {
    let options = json!({"TransitGatewayCidrBlocks": ["10.99.0.0/24"], "AmazonSideAsn": 64600});
    let tgw = str_at(
        &call(ec2, ctx, "CreateTransitGateway", json!({"Options": options})),
        "/TransitGateway/TransitGatewayId",
    );
    let vpc = str_at(&call(ec2, ctx, "CreateVpc", json!({"CidrBlock": "10.7.0.0/16"})), "/Vpc/VpcId");
    let subnet =
        str_at(&call(ec2, ctx, "CreateSubnet", json!({"VpcId": vpc, "CidrBlock": "10.7.0.0/24"})), "/Subnet/SubnetId");
    let input = json!({"TransitGatewayId": tgw, "VpcId": vpc, "SubnetIds": [subnet]});
    let out = call(ec2, &later(ctx, 5), "CreateTransitGatewayVpcAttachment", input);
    (tgw, str_at(&out, "/TransitGatewayVpcAttachment/TransitGatewayAttachmentId"))
}

fn peer(ec2: &Ec2, ctx: &RequestContext, attachment: &str, inside: Value) -> Result<Value, String> {
    let input =
        json!({"TransitGatewayAttachmentId": attachment, "PeerAddress": "192.0.2.10", "InsideCidrBlocks": inside});
    nimbus_core::Service::call(ec2, ctx, "CreateTransitGatewayConnectPeer", input)
        .map(|v| v["TransitGatewayConnectPeer"].clone())
        .map_err(|e| e.code)
}

#[test]
fn a_connect_attachment_rides_a_vpc_attachment_and_carries_peers() {
    let ec2 = with_delay(5);
    let ctx = RequestContext::for_tests();
    let (tgw, vpc_attachment) = transport(&ec2, &ctx);
    let ctx = later(&ctx, 5);
    let input = json!({"TransportTransitGatewayAttachmentId": vpc_attachment, "Options": {"Protocol": "gre"}});
    assert_eq!(refused(&ec2, &ctx, "CreateTransitGatewayConnect", input.clone()), "IncorrectState");
    let ctx = later(&ctx, 5);
    let bad = json!({"TransportTransitGatewayAttachmentId": vpc_attachment, "Options": {"Protocol": "ipip"}});
    assert_eq!(refused(&ec2, &ctx, "CreateTransitGatewayConnect", bad), "InvalidParameterValue");
    let out = call(&ec2, &ctx, "CreateTransitGatewayConnect", input);
    let connect = str_at(&out, "/TransitGatewayConnect/TransitGatewayAttachmentId");
    assert_eq!(str_at(&out, "/TransitGatewayConnect/State"), "pending");
    assert_eq!(str_at(&out, "/TransitGatewayConnect/TransitGatewayId"), tgw);
    let attachments = call(
        &ec2,
        &ctx,
        "DescribeTransitGatewayAttachments",
        json!({"Filters": [{"Name": "resource-type", "Values": ["connect"]}]}),
    );
    assert_eq!(attachments["TransitGatewayAttachments"][0]["ResourceId"], json!(vpc_attachment));
    assert_eq!(peer(&ec2, &ctx, &connect, json!(["169.254.10.0/29"])).unwrap_err(), "IncorrectState");
    let ctx = later(&ctx, 5);
    let shown = call(&ec2, &ctx, "DescribeTransitGatewayConnects", json!({"TransitGatewayAttachmentIds": [connect]}));
    assert_eq!(shown["TransitGatewayConnects"][0]["State"], "available");
    assert_eq!(shown["TransitGatewayConnects"][0]["Options"]["Protocol"], "gre");

    for bad in [json!(["169.254.0.0/29"]), json!(["169.254.10.0/28"]), json!(["10.0.0.0/29"]), json!(["fd00::/125"])] {
        assert_eq!(peer(&ec2, &ctx, &connect, bad).unwrap_err(), "InvalidParameterValue");
    }
    let p = peer(&ec2, &ctx, &connect, json!(["169.254.10.0/29", "fd00::/125"])).unwrap();
    assert_eq!(p["State"], "pending");
    let config = &p["ConnectPeerConfiguration"];
    assert_eq!(config["TransitGatewayAddress"], "10.99.0.0");
    let bgp = config["BgpConfigurations"].as_array().unwrap();
    assert_eq!(bgp.len(), 2);
    assert_eq!(
        (bgp[0]["TransitGatewayAddress"].as_str(), bgp[0]["PeerAddress"].as_str()),
        (Some("169.254.10.2"), Some("169.254.10.1"))
    );
    assert_eq!((bgp[1]["PeerAsn"].as_i64(), bgp[1]["TransitGatewayAsn"].as_i64()), (Some(64600), Some(64600)));
    assert_eq!(peer(&ec2, &ctx, &connect, json!(["169.254.10.0/29"])).unwrap_err(), "InvalidParameterValue");
    let second = peer(&ec2, &ctx, &connect, json!(["169.254.11.0/29"])).unwrap();
    assert_eq!(second["ConnectPeerConfiguration"]["TransitGatewayAddress"], "10.99.0.1");
    let peer_id = p["TransitGatewayConnectPeerId"].as_str().unwrap().to_string();
    assert!(peer_id.starts_with("tgw-connect-peer-"));

    let delete = json!({"TransitGatewayAttachmentId": connect});
    assert_eq!(refused(&ec2, &ctx, "DeleteTransitGatewayConnect", delete.clone()), "IncorrectState");
    let vpc_delete = json!({"TransitGatewayAttachmentId": vpc_attachment});
    assert_eq!(refused(&ec2, &ctx, "DeleteTransitGatewayVpcAttachment", vpc_delete.clone()), "IncorrectState");
    let ctx = later(&ctx, 5);
    for id in [peer_id.as_str(), second["TransitGatewayConnectPeerId"].as_str().unwrap()] {
        let out = call(&ec2, &ctx, "DeleteTransitGatewayConnectPeer", json!({"TransitGatewayConnectPeerId": id}));
        assert_eq!(out["TransitGatewayConnectPeer"]["State"], "deleting");
    }
    let out = call(&ec2, &ctx, "DeleteTransitGatewayConnect", delete);
    assert_eq!(out["TransitGatewayConnect"]["State"], "deleting");
    let ctx = later(&ctx, 5);
    let peers =
        call(&ec2, &ctx, "DescribeTransitGatewayConnectPeers", json!({"TransitGatewayConnectPeerIds": [peer_id]}));
    assert_eq!(peers["TransitGatewayConnectPeers"][0]["State"], "deleted");
    call(&ec2, &ctx, "DeleteTransitGatewayVpcAttachment", vpc_delete);
    let missing = json!({"TransitGatewayConnectPeerIds": ["tgw-connect-peer-0123456789abcdef0"]});
    assert_eq!(
        refused(&ec2, &ctx, "DescribeTransitGatewayConnectPeers", missing),
        "InvalidTransitGatewayConnectPeerID.NotFound"
    );
}

#[test]
fn policy_tables_take_one_association_per_attachment() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let (tgw, attachment) = transport(&ec2, &ctx);
    let ctx = later(&ctx, 5);
    let spec = json!([{"ResourceType": "transit-gateway-policy-table", "Tags": [{"Key": "Name", "Value": "p"}]}]);
    let out = call(
        &ec2,
        &ctx,
        "CreateTransitGatewayPolicyTable",
        json!({"TransitGatewayId": tgw, "TagSpecifications": spec}),
    );
    let table = str_at(&out, "/TransitGatewayPolicyTable/TransitGatewayPolicyTableId");
    assert!(table.starts_with("tgw-ptb-"));
    let described = call(
        &ec2,
        &ctx,
        "DescribeTransitGatewayPolicyTables",
        json!({"Filters": [{"Name": "tag:Name", "Values": ["p"]}]}),
    );
    assert_eq!(described["TransitGatewayPolicyTables"][0]["State"], "available");
    let assoc = json!({"TransitGatewayPolicyTableId": table, "TransitGatewayAttachmentId": attachment});
    let out = call(&ec2, &ctx, "AssociateTransitGatewayPolicyTable", assoc.clone());
    assert_eq!(out["Association"]["ResourceType"], "vpc");
    assert_eq!(refused(&ec2, &ctx, "AssociateTransitGatewayPolicyTable", assoc.clone()), "Resource.AlreadyAssociated");
    let got =
        call(&ec2, &ctx, "GetTransitGatewayPolicyTableAssociations", json!({"TransitGatewayPolicyTableId": table}));
    assert_eq!(got["Associations"][0]["State"], "associated");
    let entries =
        call(&ec2, &ctx, "GetTransitGatewayPolicyTableEntries", json!({"TransitGatewayPolicyTableId": table}));
    assert_eq!(entries["TransitGatewayPolicyTableEntries"], json!([]));
    let delete = json!({"TransitGatewayPolicyTableId": table});
    assert_eq!(refused(&ec2, &ctx, "DeleteTransitGatewayPolicyTable", delete.clone()), "IncorrectState");
    call(&ec2, &ctx, "DisassociateTransitGatewayPolicyTable", assoc.clone());
    assert_eq!(
        refused(&ec2, &ctx, "DisassociateTransitGatewayPolicyTable", assoc),
        "InvalidTransitGatewayPolicyTableAssociation.NotFound"
    );
    call(&ec2, &ctx, "DeleteTransitGatewayPolicyTable", delete.clone());
    assert_eq!(
        refused(&ec2, &ctx, "DeleteTransitGatewayPolicyTable", delete),
        "InvalidTransitGatewayPolicyTableId.NotFound"
    );
}
