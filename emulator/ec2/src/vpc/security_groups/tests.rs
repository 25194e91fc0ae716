use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{call, refused, str_at};
use crate::Ec2;

fn group(ec2: &Ec2, ctx: &RequestContext, vpc: &str, name: &str) -> String {
    let input = json!({"GroupName": name, "Description": name, "VpcId": vpc});
    str_at(&call(ec2, ctx, "CreateSecurityGroup", input), "/GroupId")
}

fn ingress(ec2: &Ec2, ctx: &RequestContext, group: &str, permission: Value) -> String {
    let out = call(ec2, ctx, "AuthorizeSecurityGroupIngress", json!({"GroupId": group, "IpPermissions": [permission]}));
    str_at(&out, "/SecurityGroupRules/0/SecurityGroupRuleId")
}

#[test]
fn a_rule_is_modified_only_through_its_own_group() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let vpc = str_at(&call(&ec2, &ctx, "CreateVpc", json!({"CidrBlock": "10.0.0.0/16"})), "/Vpc/VpcId");
    let (a, b) = (group(&ec2, &ctx, &vpc, "a"), group(&ec2, &ctx, &vpc, "b"));
    let tcp = json!({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]});
    let rule_of_b = ingress(&ec2, &ctx, &b, tcp);
    let change = json!({"GroupId": a, "SecurityGroupRules": [{"SecurityGroupRuleId": rule_of_b,
        "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIpv4": "0.0.0.0/0"}}]});
    assert_eq!(refused(&ec2, &ctx, "ModifySecurityGroupRules", change), "InvalidSecurityGroupRuleId.NotFound");
}

#[test]
fn rules_filtered_on_a_malformed_group_id_are_refused() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let filter = json!({"Filters": [{"Name": "group-id", "Values": ["not-a-group"]}]});
    assert_eq!(refused(&ec2, &ctx, "DescribeSecurityGroupRules", filter), "InvalidGroupId.Malformed");
    let unknown = json!({"Filters": [{"Name": "group-id", "Values": ["sg-0123456789abcdef0"]}]});
    assert_eq!(call(&ec2, &ctx, "DescribeSecurityGroupRules", unknown)["SecurityGroupRules"], json!([]));
}

#[test]
fn a_prefix_list_is_free_again_once_its_rule_is_revoked() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let vpc = str_at(&call(&ec2, &ctx, "CreateVpc", json!({"CidrBlock": "10.0.0.0/16"})), "/Vpc/VpcId");
    let sg = group(&ec2, &ctx, &vpc, "web");
    let list = call(
        &ec2,
        &ctx,
        "CreateManagedPrefixList",
        json!({"PrefixListName": "office", "AddressFamily": "IPv4", "MaxEntries": 5,
            "Entries": [{"Cidr": "192.0.2.0/24"}]}),
    );
    let pl = str_at(&list, "/PrefixList/PrefixListId");
    let permission = json!({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "PrefixListIds": [{"PrefixListId": pl, "Description": "office"}]});
    ingress(&ec2, &ctx, &sg, permission.clone());
    let mut bare = permission.clone();
    bare["PrefixListIds"][0].as_object_mut().unwrap().remove("Description");
    assert_eq!(refused(&ec2, &ctx, "DeleteManagedPrefixList", json!({"PrefixListId": pl})), "DependencyViolation");
    call(&ec2, &ctx, "RevokeSecurityGroupIngress", json!({"GroupId": sg, "IpPermissions": [bare]}));
    let rules =
        call(&ec2, &ctx, "DescribeSecurityGroupRules", json!({"Filters": [{"Name": "group-id", "Values": [sg]}]}));
    assert_eq!(rules["SecurityGroupRules"].as_array().unwrap().len(), 1, "only the default egress rule is left");
    call(&ec2, &ctx, "DeleteManagedPrefixList", json!({"PrefixListId": pl}));
}
