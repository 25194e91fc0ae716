//! VPC Route Server end to end, through the service as the dispatcher calls it, on a
//! clock where every step takes five seconds.

use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{available_ips, call, later, network, refused, str_at, with_delay};
use crate::Ec2;

fn route_server(ec2: &Ec2, ctx: &RequestContext, input: Value) -> String {
    str_at(&call(ec2, ctx, "CreateRouteServer", input), "/RouteServer/RouteServerId")
}

fn described(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
    call(ec2, ctx, "DescribeRouteServers", json!({"RouteServerIds": [id]}))["RouteServers"][0].clone()
}

/// A route server associated with a VPC of one subnet, all settled: (rs, vpc, subnet, ctx).
fn scene(ec2: &Ec2) -> (String, String, String, RequestContext) {
    let ctx = RequestContext::for_tests();
    let (vpc, subnet) = network(ec2, &ctx, "10.0.1.0/24", false);
    let rs = route_server(ec2, &ctx, json!({"AmazonSideAsn": 65000}));
    let ctx = later(&ctx, 5);
    call(ec2, &ctx, "AssociateRouteServer", json!({"RouteServerId": rs, "VpcId": vpc}));
    (rs, vpc, subnet, later(&ctx, 5))
}

fn endpoint(ec2: &Ec2, ctx: &RequestContext, rs: &str, subnet: &str) -> Value {
    call(ec2, ctx, "CreateRouteServerEndpoint", json!({"RouteServerId": rs, "SubnetId": subnet}))["RouteServerEndpoint"]
        .clone()
}

#[test]
fn a_route_server_lives_on_the_clock_with_its_settings() {
    let ec2 = with_delay(5);
    let ctx = RequestContext::for_tests();
    let out = call(
        &ec2,
        &ctx,
        "CreateRouteServer",
        json!({"AmazonSideAsn": 4200000000u64, "PersistRoutes": "enable", "SnsNotificationsEnabled": true,
            "TagSpecifications": [{"ResourceType": "route-server", "Tags": [{"Key": "Name", "Value": "rs"}]}]}),
    );
    let rs = &out["RouteServer"];
    let id = rs["RouteServerId"].as_str().unwrap().to_string();
    assert!(id.starts_with("rs-"));
    assert_eq!(rs["State"], "pending");
    assert_eq!(rs["PersistRoutesState"], "enabled");
    assert_eq!(rs["PersistRoutesDuration"], 1, "one minute by default");
    assert_eq!(rs["AmazonSideAsn"], 4200000000u64);
    assert!(rs["SnsTopicArn"].as_str().unwrap().starts_with("arn:aws:sns:"));
    assert_eq!(described(&ec2, &ctx, &id)["State"], "pending");
    let ctx = later(&ctx, 5);
    assert_eq!(described(&ec2, &ctx, &id)["State"], "available");

    let out = call(&ec2, &ctx, "ModifyRouteServer", json!({"RouteServerId": id, "PersistRoutes": "disable"}));
    assert_eq!(out["RouteServer"]["State"], "modifying");
    assert_eq!(out["RouteServer"]["PersistRoutesState"], "disabling");
    let busy = json!({"RouteServerId": id, "SnsNotificationsEnabled": false});
    assert_eq!(refused(&ec2, &ctx, "ModifyRouteServer", busy), "IncorrectState");
    let ctx = later(&ctx, 5);
    let shown = described(&ec2, &ctx, &id);
    assert_eq!((shown["State"].as_str(), shown["PersistRoutesState"].as_str()), (Some("available"), Some("disabled")));
    assert!(shown.get("PersistRoutesDuration").is_none(), "no duration while routes do not persist");

    let tagged = json!({"Filters": [{"Name": "tag:Name", "Values": ["rs"]}]});
    assert_eq!(call(&ec2, &ctx, "DescribeRouteServers", tagged)["RouteServers"].as_array().unwrap().len(), 1);
    let unknown = json!({"Filters": [{"Name": "route-server-id", "Values": [id]}]});
    assert_eq!(refused(&ec2, &ctx, "DescribeRouteServers", unknown), "InvalidParameterValue");

    let out = call(&ec2, &ctx, "DeleteRouteServer", json!({"RouteServerId": id}));
    assert_eq!(out["RouteServer"]["State"], "deleting");
    assert_eq!(refused(&ec2, &ctx, "DeleteRouteServer", json!({"RouteServerId": id})), "InvalidRouteServerId.NotFound");
    assert_eq!(described(&ec2, &later(&ctx, 5), &id)["State"], "deleted");
    let gone = json!({"RouteServerIds": [id]});
    assert_eq!(refused(&ec2, &later(&ctx, 4000), "DescribeRouteServers", gone), "InvalidRouteServerId.NotFound");
}

#[test]
fn settings_are_checked() {
    let ec2 = with_delay(5);
    let ctx = RequestContext::for_tests();
    for bad in [
        json!({"AmazonSideAsn": 0}),
        json!({"AmazonSideAsn": 4294967296u64}),
        json!({"AmazonSideAsn": 65000, "PersistRoutes": "enable", "PersistRoutesDuration": 6}),
        json!({"AmazonSideAsn": 65000, "PersistRoutes": "reset"}),
    ] {
        assert_eq!(refused(&ec2, &ctx, "CreateRouteServer", bad), "InvalidParameterValue");
    }
    let no_persist = json!({"AmazonSideAsn": 65000, "PersistRoutesDuration": 2});
    assert_eq!(refused(&ec2, &ctx, "CreateRouteServer", no_persist), "InvalidParameterCombination");
    let page = json!({"MaxResults": 4});
    assert_eq!(refused(&ec2, &ctx, "DescribeRouteServers", page), "InvalidParameterValue");
    for _ in 0..6 {
        route_server(&ec2, &ctx, json!({"AmazonSideAsn": 65000}));
    }
    let first = call(&ec2, &ctx, "DescribeRouteServers", json!({"MaxResults": 5}));
    assert_eq!(first["RouteServers"].as_array().unwrap().len(), 5);
    let token = first["NextToken"].clone();
    let rest = call(&ec2, &ctx, "DescribeRouteServers", json!({"MaxResults": 5, "NextToken": token}));
    assert_eq!(rest["RouteServers"].as_array().unwrap().len(), 1);
}

#[test]
fn one_vpc_per_route_server_and_one_route_server_per_vpc() {
    let ec2 = with_delay(5);
    let (rs, vpc, _subnet, ctx) = scene(&ec2);
    let out = call(&ec2, &ctx, "GetRouteServerAssociations", json!({"RouteServerId": rs}));
    assert_eq!(out["RouteServerAssociations"], json!([{"RouteServerId": rs, "VpcId": vpc, "State": "associated"}]));
    let (other_vpc, _) = network(&ec2, &ctx, "10.0.2.0/24", false);
    let second = json!({"RouteServerId": rs, "VpcId": other_vpc});
    assert_eq!(refused(&ec2, &ctx, "AssociateRouteServer", second), "Resource.AlreadyAssociated");
    let other = route_server(&ec2, &ctx, json!({"AmazonSideAsn": 65001}));
    let ctx = later(&ctx, 5);
    let taken = json!({"RouteServerId": other, "VpcId": vpc});
    assert_eq!(refused(&ec2, &ctx, "AssociateRouteServer", taken), "Resource.AlreadyAssociated");
    let missing = json!({"RouteServerId": other, "VpcId": "vpc-0123456789abcdef0"});
    assert_eq!(refused(&ec2, &ctx, "AssociateRouteServer", missing), "InvalidVpcID.NotFound");
    let none = json!({"RouteServerId": other});
    assert_eq!(refused(&ec2, &ctx, "GetRouteServerAssociations", none), "InvalidRouteServerId.NotAssociated");

    assert_eq!(refused(&ec2, &ctx, "DeleteRouteServer", json!({"RouteServerId": rs})), "IncorrectState");
    assert_eq!(refused(&ec2, &ctx, "DeleteVpc", json!({"VpcId": vpc})), "DependencyViolation");
    let out = call(&ec2, &ctx, "DisassociateRouteServer", json!({"RouteServerId": rs, "VpcId": vpc}));
    assert_eq!(out["RouteServerAssociation"]["State"], "disassociating");
    let again = json!({"RouteServerId": rs, "VpcId": vpc});
    assert_eq!(refused(&ec2, &ctx, "DisassociateRouteServer", again), "InvalidRouteServerId.NotAssociated");
    let ctx = later(&ctx, 5);
    let none = json!({"RouteServerId": rs});
    assert_eq!(refused(&ec2, &ctx, "GetRouteServerAssociations", none), "InvalidRouteServerId.NotAssociated");
    call(&ec2, &ctx, "DeleteRouteServer", json!({"RouteServerId": rs}));
}

#[test]
fn propagations_go_to_route_tables_of_the_associated_vpc() {
    let ec2 = with_delay(5);
    let (rs, vpc, _subnet, ctx) = scene(&ec2);
    let rtb = str_at(&call(&ec2, &ctx, "CreateRouteTable", json!({"VpcId": vpc})), "/RouteTable/RouteTableId");
    let (elsewhere, _) = network(&ec2, &ctx, "10.0.3.0/24", false);
    let foreign =
        str_at(&call(&ec2, &ctx, "CreateRouteTable", json!({"VpcId": elsewhere})), "/RouteTable/RouteTableId");
    let outside = json!({"RouteServerId": rs, "RouteTableId": foreign});
    assert_eq!(refused(&ec2, &ctx, "EnableRouteServerPropagation", outside), "InvalidRouteServerId.NotAssociated");
    let missing = json!({"RouteServerId": rs, "RouteTableId": "rtb-0123456789abcdef0"});
    assert_eq!(refused(&ec2, &ctx, "EnableRouteServerPropagation", missing), "InvalidRouteTableID.NotFound");

    let out = call(&ec2, &ctx, "EnableRouteServerPropagation", json!({"RouteServerId": rs, "RouteTableId": rtb}));
    assert_eq!(out["RouteServerPropagation"]["State"], "pending");
    let twice = json!({"RouteServerId": rs, "RouteTableId": rtb});
    assert_eq!(refused(&ec2, &ctx, "EnableRouteServerPropagation", twice), "InvalidParameterValue");
    let ctx = later(&ctx, 5);
    let out = call(&ec2, &ctx, "GetRouteServerPropagations", json!({"RouteServerId": rs, "RouteTableId": rtb}));
    assert_eq!(out["RouteServerPropagations"][0]["State"], "available");
    let busy = json!({"RouteServerId": rs, "VpcId": vpc});
    assert_eq!(refused(&ec2, &ctx, "DisassociateRouteServer", busy), "IncorrectState");

    let off = json!({"RouteServerId": rs, "RouteTableId": rtb});
    assert_eq!(
        call(&ec2, &ctx, "DisableRouteServerPropagation", off.clone())["RouteServerPropagation"]["State"],
        "deleting"
    );
    assert_eq!(refused(&ec2, &ctx, "DisableRouteServerPropagation", off.clone()), "InvalidRouteServerId.NotPropagated");
    let ctx = later(&ctx, 5);
    assert_eq!(refused(&ec2, &ctx, "GetRouteServerPropagations", off), "InvalidRouteServerId.NotPropagated");
    let all = call(&ec2, &ctx, "GetRouteServerPropagations", json!({"RouteServerId": rs}));
    assert_eq!(all["RouteServerPropagations"], json!([]));

    // Deleting a route table ends the propagation into it.
    call(&ec2, &ctx, "EnableRouteServerPropagation", json!({"RouteServerId": rs, "RouteTableId": rtb}));
    call(&ec2, &ctx, "DeleteRouteTable", json!({"RouteTableId": rtb}));
    let all = call(&ec2, &ctx, "GetRouteServerPropagations", json!({"RouteServerId": rs}));
    assert_eq!(all["RouteServerPropagations"], json!([]));
}

#[test]
fn endpoints_hold_an_interface_in_their_subnet_and_peers_hold_endpoints() {
    let ec2 = with_delay(5);
    let (rs, vpc, subnet, ctx) = scene(&ec2);
    let free = available_ips(&ec2, &ctx, &subnet);
    let e = endpoint(&ec2, &ctx, &rs, &subnet);
    let (rse, eni, address) = (str_at(&e, "/RouteServerEndpointId"), str_at(&e, "/EniId"), str_at(&e, "/EniAddress"));
    assert!(rse.starts_with("rse-"));
    assert_eq!((e["State"].as_str(), e["VpcId"].as_str()), (Some("pending"), Some(vpc.as_str())));
    assert!(address.starts_with("10.0.1."));
    assert_eq!(available_ips(&ec2, &ctx, &subnet), free - 1);
    let nic = call(&ec2, &ctx, "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": [eni]}));
    let nic = &nic["NetworkInterfaces"][0];
    assert_eq!((nic["RequesterManaged"].as_bool(), nic["PrivateIpAddress"].as_str()), (Some(true), Some(&*address)));
    assert_eq!(refused(&ec2, &ctx, "DeleteSubnet", json!({"SubnetId": subnet})), "DependencyViolation");

    let peer_input = |addr: &str| {
        json!({"RouteServerEndpointId": rse, "PeerAddress": addr, "BgpOptions": {"PeerAsn": 65200},
            "TagSpecifications": [{"ResourceType": "route-server-peer", "Tags": [{"Key": "k", "Value": "v"}]}]})
    };
    assert_eq!(refused(&ec2, &ctx, "CreateRouteServerPeer", peer_input("10.0.1.250")), "IncorrectState");
    let ctx = later(&ctx, 5);
    assert_eq!(refused(&ec2, &ctx, "CreateRouteServerPeer", peer_input("10.0.2.250")), "InvalidParameterValue");
    assert_eq!(refused(&ec2, &ctx, "CreateRouteServerPeer", peer_input(&address)), "InvalidParameterValue");
    let mut bad_asn = peer_input("10.0.1.250");
    bad_asn["BgpOptions"]["PeerAsn"] = json!(0);
    assert_eq!(refused(&ec2, &ctx, "CreateRouteServerPeer", bad_asn), "InvalidParameterValue");
    let p = call(&ec2, &ctx, "CreateRouteServerPeer", peer_input("10.0.1.250"))["RouteServerPeer"].clone();
    let rsp = str_at(&p, "/RouteServerPeerId");
    assert!(rsp.starts_with("rsp-"));
    assert_eq!(p["State"], "pending");
    assert_eq!(p["BgpOptions"], json!({"PeerAsn": 65200, "PeerLivenessDetection": "bgp-keepalive"}));
    assert_eq!(p["BgpStatus"]["Status"], "down", "no BGP session is ever up");
    assert_eq!((p["EndpointEniId"].as_str(), p["RouteServerId"].as_str()), (Some(&*eni), Some(&*rs)));
    assert_eq!(refused(&ec2, &ctx, "CreateRouteServerPeer", peer_input("10.0.1.250")), "InvalidParameterValue");
    let delete_peer = json!({"RouteServerPeerId": rsp});
    assert_eq!(refused(&ec2, &ctx, "DeleteRouteServerPeer", delete_peer.clone()), "IncorrectState");

    let ctx = later(&ctx, 5);
    let delete_endpoint = json!({"RouteServerEndpointId": rse});
    assert_eq!(refused(&ec2, &ctx, "DeleteRouteServerEndpoint", delete_endpoint.clone()), "IncorrectState");
    let busy = json!({"RouteServerId": rs, "VpcId": vpc});
    assert_eq!(refused(&ec2, &ctx, "DisassociateRouteServer", busy), "IncorrectState");
    let db = call(&ec2, &ctx, "GetRouteServerRoutingDatabase", json!({"RouteServerId": rs}));
    assert_eq!((db["Routes"].clone(), db["AreRoutesPersisted"].clone()), (json!([]), json!(false)));
    let tagged = json!({"Filters": [{"Name": "tag:k", "Values": ["v"]}]});
    assert_eq!(call(&ec2, &ctx, "DescribeRouteServerPeers", tagged)["RouteServerPeers"][0]["State"], "available");

    assert_eq!(call(&ec2, &ctx, "DeleteRouteServerPeer", delete_peer)["RouteServerPeer"]["State"], "deleting");
    assert_eq!(refused(&ec2, &ctx, "DeleteRouteServerEndpoint", delete_endpoint.clone()), "IncorrectState");
    let ctx = later(&ctx, 5);
    let peers = call(&ec2, &ctx, "DescribeRouteServerPeers", json!({"RouteServerPeerIds": [rsp]}));
    assert_eq!(peers["RouteServerPeers"][0]["State"], "deleted", "deleted peers stay listed for a while");
    let out = call(&ec2, &ctx, "DeleteRouteServerEndpoint", delete_endpoint);
    assert_eq!(out["RouteServerEndpoint"]["State"], "deleting");
    assert_eq!(available_ips(&ec2, &ctx, &subnet), free, "the interface and its address are released");
    let nic = json!({"NetworkInterfaceIds": [eni]});
    assert_eq!(refused(&ec2, &ctx, "DescribeNetworkInterfaces", nic), "InvalidNetworkInterfaceID.NotFound");
    let ctx = later(&ctx, 5);
    call(&ec2, &ctx, "DeleteSubnet", json!({"SubnetId": subnet}));
}

#[test]
fn an_endpoint_needs_the_route_server_associated_with_its_vpc() {
    let ec2 = with_delay(5);
    let ctx = RequestContext::for_tests();
    let (_vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let rs = route_server(&ec2, &ctx, json!({"AmazonSideAsn": 65000}));
    let ctx = later(&ctx, 5);
    let input = json!({"RouteServerId": rs, "SubnetId": subnet});
    assert_eq!(refused(&ec2, &ctx, "CreateRouteServerEndpoint", input), "InvalidRouteServerId.NotAssociated");
    let input = json!({"RouteServerId": rs, "SubnetId": "subnet-0123456789abcdef0"});
    assert_eq!(refused(&ec2, &ctx, "CreateRouteServerEndpoint", input), "InvalidSubnetID.NotFound");
    let input = json!({"RouteServerEndpointIds": ["rse-0123456789abcdef0"]});
    assert_eq!(refused(&ec2, &ctx, "DescribeRouteServerEndpoints", input), "InvalidRouteServerEndpointId.NotFound");
}
