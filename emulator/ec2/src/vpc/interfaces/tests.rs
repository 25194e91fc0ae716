use std::collections::BTreeSet;
use std::sync::Arc;

use nimbus_core::RequestContext;
use serde_json::{json, Value};

use super::attach::detach_network_interface;
use super::create::delete_network_interface;
use super::records::{create_interface_record, NewInterface};
use crate::generated::dto::{DeleteNetworkInterfaceRequest, DetachNetworkInterfaceRequest, NetworkInterfaceAttachment};
use crate::state::Ec2State;
use crate::testing::{available_ips, call, network, refused, str_at};
use crate::vpc::subnets;
use crate::Ec2;

fn create(ec2: &Ec2, ctx: &RequestContext, input: Value) -> Value {
    call(ec2, ctx, "CreateNetworkInterface", input)["NetworkInterface"].clone()
}

fn ids(out: &Value) -> Vec<String> {
    out["NetworkInterfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["NetworkInterfaceId"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_new_interface_has_aws_shape() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let eni = create(&ec2, &ctx, json!({"SubnetId": subnet, "Description": "web"}));
    assert!(str_at(&eni, "/NetworkInterfaceId").starts_with("eni-"));
    assert_eq!(str_at(&eni, "/PrivateIpAddress"), "10.0.1.4");
    assert_eq!(str_at(&eni, "/PrivateDnsName"), "ip-10-0-1-4.ec2.internal");
    assert_eq!(eni["PrivateIpAddresses"][0]["Primary"], json!(true));
    assert_eq!(str_at(&eni, "/Status"), "available");
    assert_eq!(str_at(&eni, "/InterfaceType"), "interface");
    assert_eq!(str_at(&eni, "/VpcId"), vpc);
    assert_eq!(str_at(&eni, "/OwnerId"), "000000000000");
    assert_eq!(str_at(&eni, "/Description"), "web");
    assert_eq!((eni["SourceDestCheck"].clone(), eni["RequesterManaged"].clone()), (json!(true), json!(false)));
    let mac = str_at(&eni, "/MacAddress");
    assert_eq!(mac.len(), 17);
    assert_eq!(mac.split(':').count(), 6);
    let default_sg = call(
        &ec2,
        &ctx,
        "DescribeSecurityGroups",
        json!({"Filters": [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]}),
    )["SecurityGroups"][0]["GroupId"]
        .clone();
    assert_eq!(eni["Groups"], json!([{"GroupId": default_sg, "GroupName": "default"}]));
    let mut eu = ctx.clone();
    eu.region = "eu-west-1".into();
    let (_, eu_subnet) = network(&ec2, &eu, "10.0.1.0/24", false);
    let eni = create(&ec2, &eu, json!({"SubnetId": eu_subnet}));
    assert_eq!(str_at(&eni, "/PrivateDnsName"), "ip-10-0-1-4.eu-west-1.compute.internal");
}

#[test]
fn addresses_asked_for_and_counted_come_from_the_subnet() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let (_, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let eni = create(
        &ec2,
        &ctx,
        json!({"SubnetId": subnet, "PrivateIpAddresses": [
            {"PrivateIpAddress": "10.0.1.20", "Primary": true}, {"PrivateIpAddress": "10.0.1.4"}],
            "SecondaryPrivateIpAddressCount": 2}),
    );
    let ips: Vec<&str> =
        eni["PrivateIpAddresses"].as_array().unwrap().iter().map(|p| p["PrivateIpAddress"].as_str().unwrap()).collect();
    assert_eq!(ips, vec!["10.0.1.20", "10.0.1.4", "10.0.1.5", "10.0.1.6"]);
    assert_eq!(str_at(&eni, "/PrivateIpAddress"), "10.0.1.20");
    assert_eq!(available_ips(&ec2, &ctx, &subnet), 251 - 4);
    let taken = json!({"SubnetId": subnet, "PrivateIpAddress": "10.0.1.5"});
    assert_eq!(refused(&ec2, &ctx, "CreateNetworkInterface", taken), "InvalidIPAddress.InUse");
    let outside = json!({"SubnetId": subnet, "PrivateIpAddress": "10.0.2.5"});
    assert_eq!(refused(&ec2, &ctx, "CreateNetworkInterface", outside), "InvalidParameterValue");
    let too_many = json!({"SubnetId": subnet, "SecondaryPrivateIpAddressCount": 50});
    assert_eq!(refused(&ec2, &ctx, "CreateNetworkInterface", too_many), "PrivateIpAddressLimitExceeded");
    assert_eq!(available_ips(&ec2, &ctx, &subnet), 251 - 4, "refusals take nothing");
}

#[test]
fn concurrent_creates_in_one_partition_never_share_an_address() {
    let ec2 = Arc::new(Ec2::default());
    let ctx = RequestContext::for_tests();
    let (_, subnet) = network(&ec2, &ctx, "10.0.0.0/22", false);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (ec2, ctx, subnet) = (ec2.clone(), ctx.clone(), subnet.clone());
            std::thread::spawn(move || {
                (0..25)
                    .flat_map(|i| {
                        let eni =
                            create(&ec2, &ctx, json!({"SubnetId": subnet, "SecondaryPrivateIpAddressCount": i % 3}));
                        let ips: Vec<String> = eni["PrivateIpAddresses"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|p| p["PrivateIpAddress"].as_str().unwrap().to_string())
                            .collect();
                        ips
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let all: Vec<String> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    let distinct: BTreeSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), all.len(), "an address was handed out twice");
    assert_eq!(available_ips(&ec2, &ctx, &subnet), 1019 - all.len() as i64);
}

#[test]
fn security_groups_are_checked_and_held() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let sg = call(&ec2, &ctx, "CreateSecurityGroup", json!({"GroupName": "web", "Description": "w", "VpcId": vpc}))
        ["GroupId"]
        .clone();
    let other_vpc_sg =
        call(&ec2, &ctx, "CreateSecurityGroup", json!({"GroupName": "x", "Description": "x"}))["GroupId"].clone();
    let wrong = json!({"SubnetId": subnet, "Groups": [other_vpc_sg]});
    assert_eq!(refused(&ec2, &ctx, "CreateNetworkInterface", wrong), "InvalidParameter");
    let missing = json!({"SubnetId": subnet, "Groups": ["sg-0000000000000000a"]});
    assert_eq!(refused(&ec2, &ctx, "CreateNetworkInterface", missing), "InvalidGroup.NotFound");
    let eni = create(&ec2, &ctx, json!({"SubnetId": subnet, "Groups": [sg]}));
    assert_eq!(eni["Groups"], json!([{"GroupId": sg, "GroupName": "web"}]));
    assert_eq!(refused(&ec2, &ctx, "DeleteSecurityGroup", json!({"GroupId": sg})), "DependencyViolation");
    assert_eq!(refused(&ec2, &ctx, "DeleteVpc", json!({"VpcId": vpc})), "DependencyViolation");
    let id = eni["NetworkInterfaceId"].clone();
    call(&ec2, &ctx, "DeleteNetworkInterface", json!({"NetworkInterfaceId": id}));
    call(&ec2, &ctx, "DeleteSecurityGroup", json!({"GroupId": sg}));
}

#[test]
fn private_addresses_are_assigned_and_unassigned() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let (_, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let a = str_at(&create(&ec2, &ctx, json!({"SubnetId": subnet})), "/NetworkInterfaceId");
    let b = str_at(&create(&ec2, &ctx, json!({"SubnetId": subnet})), "/NetworkInterfaceId");
    let out = call(
        &ec2,
        &ctx,
        "AssignPrivateIpAddresses",
        json!({"NetworkInterfaceId": a, "SecondaryPrivateIpAddressCount": 2}),
    );
    assert_eq!(
        out["AssignedPrivateIpAddresses"],
        json!([{"PrivateIpAddress": "10.0.1.6"}, {"PrivateIpAddress": "10.0.1.7"}])
    );
    assert_eq!(available_ips(&ec2, &ctx, &subnet), 251 - 4);
    // Another interface's address moves only with AllowReassignment; a primary never.
    let steal = json!({"NetworkInterfaceId": b, "PrivateIpAddresses": ["10.0.1.7"]});
    assert_eq!(refused(&ec2, &ctx, "AssignPrivateIpAddresses", steal.clone()), "InvalidIPAddress.InUse");
    let mut allowed = steal.clone();
    allowed["AllowReassignment"] = json!(true);
    call(&ec2, &ctx, "AssignPrivateIpAddresses", allowed);
    let primary = json!({"NetworkInterfaceId": b, "PrivateIpAddresses": ["10.0.1.4"], "AllowReassignment": true});
    assert_eq!(refused(&ec2, &ctx, "AssignPrivateIpAddresses", primary), "InvalidIPAddress.InUse");
    let described = call(&ec2, &ctx, "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": [a, b]}));
    let count = |i: usize| described["NetworkInterfaces"][i]["PrivateIpAddresses"].as_array().unwrap().len();
    assert_eq!((count(0), count(1)), (2, 2));
    assert_eq!(available_ips(&ec2, &ctx, &subnet), 251 - 4);
    // All or nothing: one bad address, nothing assigned.
    let mixed = json!({"NetworkInterfaceId": a, "PrivateIpAddresses": ["10.0.1.30", "10.0.9.9"]});
    assert_eq!(refused(&ec2, &ctx, "AssignPrivateIpAddresses", mixed), "InvalidParameterValue");
    assert_eq!(available_ips(&ec2, &ctx, &subnet), 251 - 4);
    let both =
        json!({"NetworkInterfaceId": a, "PrivateIpAddresses": ["10.0.1.30"], "SecondaryPrivateIpAddressCount": 1});
    assert_eq!(refused(&ec2, &ctx, "AssignPrivateIpAddresses", both), "InvalidParameterCombination");
    let primary_out = json!({"NetworkInterfaceId": a, "PrivateIpAddresses": ["10.0.1.4"]});
    assert_eq!(refused(&ec2, &ctx, "UnassignPrivateIpAddresses", primary_out), "InvalidParameterValue");
    let not_mine = json!({"NetworkInterfaceId": a, "PrivateIpAddresses": ["10.0.1.7"]});
    assert_eq!(refused(&ec2, &ctx, "UnassignPrivateIpAddresses", not_mine), "InvalidParameterValue");
    call(
        &ec2,
        &ctx,
        "UnassignPrivateIpAddresses",
        json!({"NetworkInterfaceId": a, "PrivateIpAddresses": ["10.0.1.6"]}),
    );
    assert_eq!(available_ips(&ec2, &ctx, &subnet), 251 - 3);
}

#[test]
fn filters_and_pages() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let mut made = Vec::new();
    for i in 0..7 {
        let tags = json!([{"ResourceType": "network-interface", "Tags": [{"Key": "n", "Value": i.to_string()}]}]);
        made.push(str_at(
            &create(&ec2, &ctx, json!({"SubnetId": subnet, "Description": format!("d{i}"), "TagSpecifications": tags})),
            "/NetworkInterfaceId",
        ));
    }
    made.sort();
    let find = |filters: Value| ids(&call(&ec2, &ctx, "DescribeNetworkInterfaces", json!({"Filters": filters})));
    assert_eq!(find(json!([{"Name": "vpc-id", "Values": [vpc]}])), made);
    assert_eq!(find(json!([{"Name": "description", "Values": ["d3"]}])).len(), 1);
    assert_eq!(find(json!([{"Name": "tag:n", "Values": ["1", "2"]}])).len(), 2);
    assert_eq!(find(json!([{"Name": "private-ip-address", "Values": ["10.0.1.4"]}])).len(), 1);
    assert_eq!(find(json!([{"Name": "addresses.private-ip-address", "Values": ["10.0.1.1*", "10.0.1.5"]}])).len(), 2);
    assert_eq!(
        find(json!([{"Name": "status", "Values": ["available"]}, {"Name": "subnet-id", "Values": [subnet]}])),
        made
    );
    assert_eq!(find(json!([{"Name": "requester-managed", "Values": ["false"]}])), made);
    assert_eq!(find(json!([{"Name": "attachment.status", "Values": ["attached"]}])).len(), 0);
    assert_eq!(find(json!([{"Name": "group-name", "Values": ["default"]}, {"Name": "vpc-id", "Values": [vpc]}])), made);
    let bad = json!({"Filters": [{"Name": "no-such", "Values": ["x"]}]});
    assert_eq!(refused(&ec2, &ctx, "DescribeNetworkInterfaces", bad), "InvalidParameterValue");
    let p1 = call(
        &ec2,
        &ctx,
        "DescribeNetworkInterfaces",
        json!({"MaxResults": 5, "Filters": [{"Name": "vpc-id", "Values": [vpc]}]}),
    );
    let p2 = call(
        &ec2,
        &ctx,
        "DescribeNetworkInterfaces",
        json!({"MaxResults": 5, "NextToken": p1["NextToken"], "Filters": [{"Name": "vpc-id", "Values": [vpc]}]}),
    );
    assert!(p2.get("NextToken").is_none());
    assert_eq!([ids(&p1), ids(&p2)].concat(), made);
}

#[test]
fn attributes_and_attachments() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let id = str_at(&create(&ec2, &ctx, json!({"SubnetId": subnet})), "/NetworkInterfaceId");
    let sg = call(&ec2, &ctx, "CreateSecurityGroup", json!({"GroupName": "g", "Description": "g", "VpcId": vpc}))
        ["GroupId"]
        .clone();
    call(
        &ec2,
        &ctx,
        "ModifyNetworkInterfaceAttribute",
        json!({"NetworkInterfaceId": id, "SourceDestCheck": {"Value": false}, "Description": {"Value": "nat box"}, "Groups": [sg]}),
    );
    let attr = |name: &str| {
        call(&ec2, &ctx, "DescribeNetworkInterfaceAttribute", json!({"NetworkInterfaceId": id, "Attribute": name}))
    };
    assert_eq!(attr("sourceDestCheck")["SourceDestCheck"], json!({"Value": false}));
    assert_eq!(attr("description")["Description"], json!({"Value": "nat box"}));
    assert_eq!(attr("groupSet")["Groups"][0]["GroupId"], sg);
    call(
        &ec2,
        &ctx,
        "ResetNetworkInterfaceAttribute",
        json!({"NetworkInterfaceId": id, "SourceDestCheck": "sourceDestCheck"}),
    );
    assert_eq!(attr("sourceDestCheck")["SourceDestCheck"], json!({"Value": true}));
    let bad_attachment = json!({"NetworkInterfaceId": id, "Attachment": {"AttachmentId": "eni-attach-0000000000000000a", "DeleteOnTermination": true}});
    assert_eq!(refused(&ec2, &ctx, "ModifyNetworkInterfaceAttribute", bad_attachment), "InvalidAttachmentID.NotFound");
    // Instances come later: an instance id names nothing yet.
    let attach = json!({"NetworkInterfaceId": id, "InstanceId": "i-0000000000000000a", "DeviceIndex": 1});
    assert_eq!(refused(&ec2, &ctx, "AttachNetworkInterface", attach), "InvalidInstanceID.NotFound");
    let detach = json!({"AttachmentId": "eni-attach-0000000000000000a"});
    assert_eq!(refused(&ec2, &ctx, "DetachNetworkInterface", detach), "InvalidAttachmentID.NotFound");
    let missing = json!({"NetworkInterfaceId": "eni-0000000000000000a"});
    assert_eq!(refused(&ec2, &ctx, "DeleteNetworkInterface", missing), "InvalidNetworkInterfaceID.NotFound");
    let malformed = json!({"NetworkInterfaceIds": ["nope"]});
    assert_eq!(refused(&ec2, &ctx, "DescribeNetworkInterfaces", malformed), "InvalidNetworkInterfaceID.Malformed");
}

#[test]
fn an_attached_interface_cannot_be_deleted() {
    // No instances exist yet, so the attachment is made in the state directly.
    let ctx = RequestContext::for_tests();
    let mut s = Ec2State::default();
    crate::vpc::vpcs::ensure_initialized(&mut s, &ctx);
    let subnet = s.subnets.keys().next().unwrap().clone();
    let ips = subnets::allocate_ips(&mut s, &subnet, &[], 1).unwrap();
    let id = create_interface_record(
        &mut s,
        &ctx,
        NewInterface {
            subnet_id: subnet,
            ips,
            groups: Vec::new(),
            description: String::new(),
            interface_type: "interface".into(),
            requester_managed: false,
        },
    );
    s.network_interfaces.get_mut(&id).unwrap().attachment = Some(NetworkInterfaceAttachment {
        attachment_id: Some("eni-attach-0123456789abcdef0".into()),
        instance_id: Some("i-0123456789abcdef0".into()),
        device_index: Some(1),
        ..Default::default()
    });
    let input = DeleteNetworkInterfaceRequest { network_interface_id: id.clone(), ..Default::default() };
    let err = delete_network_interface(&mut s, &ctx, input).unwrap_err();
    assert_eq!(err.code, "InvalidNetworkInterface.InUse");
    let detach =
        DetachNetworkInterfaceRequest { attachment_id: "eni-attach-0123456789abcdef0".into(), ..Default::default() };
    detach_network_interface(&mut s, &ctx, detach).unwrap();
    assert_eq!(s.network_interfaces[&id].status.as_deref(), Some("available"));
    let input = DeleteNetworkInterfaceRequest { network_interface_id: id.clone(), ..Default::default() };
    delete_network_interface(&mut s, &ctx, input).unwrap();
}
