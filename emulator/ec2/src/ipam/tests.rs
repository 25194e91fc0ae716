use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{call, later, refused, str_at, with_delay};
use crate::Ec2;

fn ipam(ec2: &Ec2, ctx: &RequestContext) -> Value {
    call(ec2, ctx, "CreateIpam", json!({"OperatingRegions": [{"RegionName": "us-east-1"}]}))["Ipam"].clone()
}

fn pool(ec2: &Ec2, ctx: &RequestContext, scope: &str, extra: Value) -> String {
    let mut input = json!({"IpamScopeId": scope, "AddressFamily": "ipv4", "Locale": "us-east-1"});
    input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    str_at(&call(ec2, ctx, "CreateIpamPool", input), "/IpamPool/IpamPoolId")
}

#[test]
fn an_ipam_comes_with_two_default_scopes_and_settles_on_the_clock() {
    let (ec2, ctx) = (with_delay(5), RequestContext::for_tests());
    let created = ipam(&ec2, &ctx);
    assert_eq!(created["State"], "create-in-progress");
    assert_eq!(created["ScopeCount"], 2);
    assert!(str_at(&created, "/IpamArn").starts_with("arn:aws:ec2::000000000000:ipam/ipam-"));
    let id = str_at(&created, "/IpamId");
    let described = call(&ec2, &later(&ctx, 10), "DescribeIpams", json!({"IpamIds": [id]}));
    assert_eq!(described["Ipams"][0]["State"], "create-complete");
    let scopes = call(&ec2, &ctx, "DescribeIpamScopes", json!({}))["IpamScopes"].clone();
    let kinds: Vec<_> = scopes.as_array().unwrap().iter().map(|s| s["IpamScopeType"].clone()).collect();
    assert_eq!(kinds.len(), 2);
    assert!(kinds.contains(&json!("public")) && kinds.contains(&json!("private")));
    let discovery = call(&ec2, &ctx, "DescribeIpamResourceDiscoveries", json!({}));
    assert_eq!(discovery["IpamResourceDiscoveries"][0]["IsDefault"], true);
    let missing = json!({"IpamIds": ["ipam-0123456789abcdef0"]});
    assert_eq!(refused(&ec2, &ctx, "DescribeIpams", missing), "InvalidIpamId.NotFound");
    let bad_region = json!({"OperatingRegions": [{"RegionName": "mars-1"}]});
    assert_eq!(refused(&ec2, &ctx, "CreateIpam", bad_region), "InvalidParameterValue");
}

#[test]
fn pools_allocate_the_lowest_free_block_and_refuse_when_full() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let scope = str_at(&ipam(&ec2, &ctx), "/PrivateDefaultScopeId");
    let top = pool(&ec2, &ctx, &scope, json!({}));
    let provisioned = call(&ec2, &ctx, "ProvisionIpamPoolCidr", json!({"IpamPoolId": top, "Cidr": "10.0.0.0/16"}));
    assert_eq!(provisioned["IpamPoolCidr"]["State"], "pending-provision");
    let cidrs = call(&ec2, &ctx, "GetIpamPoolCidrs", json!({"IpamPoolId": top}));
    assert_eq!(cidrs["IpamPoolCidrs"][0]["State"], "provisioned");
    let child = pool(&ec2, &ctx, &scope, json!({"SourceIpamPoolId": top, "AllocationDefaultNetmaskLength": 24}));
    call(&ec2, &ctx, "ProvisionIpamPoolCidr", json!({"IpamPoolId": child, "NetmaskLength": 20}));
    let parent = call(&ec2, &ctx, "GetIpamPoolAllocations", json!({"IpamPoolId": top}));
    assert_eq!(parent["IpamPoolAllocations"][0]["ResourceType"], "ipam-pool");
    assert_eq!(parent["IpamPoolAllocations"][0]["Cidr"], "10.0.0.0/20");

    let alloc = |extra: Value| {
        let mut input = json!({"IpamPoolId": child});
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        call(&ec2, &ctx, "AllocateIpamPoolCidr", input)["IpamPoolAllocation"].clone()
    };
    let first = alloc(json!({}));
    assert_eq!(first["Cidr"], "10.0.0.0/24");
    assert_eq!(alloc(json!({"PreviewNextCidr": true}))["Cidr"], "10.0.1.0/24");
    assert_eq!(alloc(json!({"DisallowedCidrs": ["10.0.1.0/24"]}))["Cidr"], "10.0.2.0/24");
    assert_eq!(alloc(json!({"NetmaskLength": 22}))["Cidr"], "10.0.4.0/22");
    let full = json!({"IpamPoolId": child, "NetmaskLength": 20});
    assert_eq!(refused(&ec2, &ctx, "AllocateIpamPoolCidr", full), "InvalidParameterValue");

    let vpc = call(&ec2, &ctx, "CreateVpc", json!({"Ipv4IpamPoolId": child, "Ipv4NetmaskLength": 24}))["Vpc"].clone();
    assert_eq!(vpc["CidrBlock"], "10.0.1.0/24");
    let vpc_id = str_at(&vpc, "/VpcId");
    let held = call(
        &ec2,
        &ctx,
        "GetIpamPoolAllocations",
        json!({"IpamPoolId": child, "Filters": [{"Name": "resource-type", "Values": ["vpc"]}]}),
    );
    assert_eq!(held["IpamPoolAllocations"][0]["ResourceId"], vpc_id.as_str());
    assert_eq!(refused(&ec2, &ctx, "DeleteIpamPool", json!({"IpamPoolId": child, "Cascade": true})), "IncorrectState");
    call(&ec2, &ctx, "DeleteVpc", json!({"VpcId": vpc_id}));
    let held = call(
        &ec2,
        &ctx,
        "GetIpamPoolAllocations",
        json!({"IpamPoolId": child, "Filters": [{"Name": "resource-type", "Values": ["vpc"]}]}),
    );
    assert_eq!(held["IpamPoolAllocations"], json!([]));

    let release =
        json!({"IpamPoolId": child, "IpamPoolAllocationId": first["IpamPoolAllocationId"], "Cidr": "10.0.9.0/24"});
    assert_eq!(refused(&ec2, &ctx, "ReleaseIpamPoolAllocation", release), "InvalidParameterCombination");
    let release =
        json!({"IpamPoolId": child, "IpamPoolAllocationId": first["IpamPoolAllocationId"], "Cidr": "10.0.0.0/24"});
    assert_eq!(call(&ec2, &ctx, "ReleaseIpamPoolAllocation", release)["Success"], true);
    let gone = json!({"IpamPoolId": child, "IpamPoolAllocationId": first["IpamPoolAllocationId"]});
    assert_eq!(refused(&ec2, &ctx, "GetIpamPoolAllocations", gone), "InvalidIpamPoolAllocationId.NotFound");

    assert_eq!(refused(&ec2, &ctx, "DeleteIpamPool", json!({"IpamPoolId": top})), "IncorrectState");
    call(&ec2, &ctx, "DeleteIpamPool", json!({"IpamPoolId": child, "Cascade": true}));
    let parent = call(&ec2, &ctx, "GetIpamPoolAllocations", json!({"IpamPoolId": top}));
    assert_eq!(parent["IpamPoolAllocations"], json!([]), "the child's block went back to its source");
}

#[test]
fn allocation_rules_are_the_pools() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let scope = str_at(&ipam(&ec2, &ctx), "/PrivateDefaultScopeId");
    let rules = json!({
        "AllocationMinNetmaskLength": 16, "AllocationMaxNetmaskLength": 24,
        "AllocationResourceTags": [{"Key": "env", "Value": "prod"}],
    });
    let p = pool(&ec2, &ctx, &scope, rules);
    call(&ec2, &ctx, "ProvisionIpamPoolCidr", json!({"IpamPoolId": p, "Cidr": "10.0.0.0/8"}));
    let no_size = json!({"Ipv4IpamPoolId": p});
    assert_eq!(refused(&ec2, &ctx, "CreateVpc", no_size), "InvalidParameterCombination");
    let untagged = json!({"Ipv4IpamPoolId": p, "Ipv4NetmaskLength": 16});
    assert_eq!(refused(&ec2, &ctx, "CreateVpc", untagged), "InvalidParameterValue");
    let tagged = |len: i32| {
        json!({"Ipv4IpamPoolId": p, "Ipv4NetmaskLength": len,
               "TagSpecifications": [{"ResourceType": "vpc", "Tags": [{"Key": "env", "Value": "prod"}]}]})
    };
    assert_eq!(refused(&ec2, &ctx, "CreateVpc", tagged(12)), "InvalidParameterValue");
    assert_eq!(refused(&ec2, &ctx, "CreateVpc", tagged(26)), "InvalidParameterValue");
    let vpc = call(&ec2, &ctx, "CreateVpc", tagged(16))["Vpc"].clone();
    assert_eq!(vpc["CidrBlock"], "10.0.0.0/16");
    let unchanged = json!({"IpamPoolId": p});
    assert_eq!(refused(&ec2, &ctx, "ModifyIpamPool", unchanged), "InvalidParameterCombination");
    let swapped = json!({"IpamPoolId": p, "AllocationMinNetmaskLength": 28});
    assert_eq!(refused(&ec2, &ctx, "ModifyIpamPool", swapped), "InvalidParameterCombination");
    let modified = call(&ec2, &ctx, "ModifyIpamPool", json!({"IpamPoolId": p, "Description": "prod"}));
    assert_eq!(modified["IpamPool"]["State"], "modify-in-progress");
}

#[test]
fn an_ipam_is_deleted_with_cascade_only_when_it_holds_pools() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let created = ipam(&ec2, &ctx);
    let id = str_at(&created, "/IpamId");
    let scope = str_at(&call(&ec2, &ctx, "CreateIpamScope", json!({"IpamId": id})), "/IpamScope/IpamScopeId");
    let default_scope = str_at(&created, "/PublicDefaultScopeId");
    assert_eq!(refused(&ec2, &ctx, "DeleteIpamScope", json!({"IpamScopeId": default_scope})), "InvalidParameterValue");
    let p = pool(&ec2, &ctx, &scope, json!({}));
    assert_eq!(refused(&ec2, &ctx, "DeleteIpamScope", json!({"IpamScopeId": scope})), "IncorrectState");
    assert_eq!(refused(&ec2, &ctx, "DeleteIpam", json!({"IpamId": id})), "IncorrectState");
    let deleted = call(&ec2, &ctx, "DeleteIpam", json!({"IpamId": id, "Cascade": true}));
    assert_eq!(deleted["Ipam"]["State"], "delete-in-progress");
    assert_eq!(refused(&ec2, &ctx, "DescribeIpamPools", json!({"IpamPoolIds": [p]})), "InvalidIpamPoolId.NotFound");
    assert_eq!(call(&ec2, &ctx, "DescribeIpamScopes", json!({}))["IpamScopes"], json!([]));
}

#[test]
fn ipv6_pools_give_vpcs_their_block() {
    let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
    let created = ipam(&ec2, &ctx);
    let public = str_at(&created, "/PublicDefaultScopeId");
    let amazon = json!({"AddressFamily": "ipv6", "PublicIpSource": "amazon", "AwsService": "ec2"});
    let p = pool(&ec2, &ctx, &public, amazon);
    let cidr = call(&ec2, &ctx, "ProvisionIpamPoolCidr", json!({"IpamPoolId": p, "NetmaskLength": 52}));
    assert!(str_at(&cidr, "/IpamPoolCidr/Cidr").starts_with("2600:1f"));
    let v4 = json!({"IpamPoolId": p, "Cidr": "10.0.0.0/16"});
    assert_eq!(refused(&ec2, &ctx, "ProvisionIpamPoolCidr", v4), "InvalidParameterCombination");
    let vpc = call(
        &ec2,
        &ctx,
        "CreateVpc",
        json!({"CidrBlock": "10.1.0.0/16", "Ipv6IpamPoolId": p, "Ipv6NetmaskLength": 56}),
    );
    let assoc = &vpc["Vpc"]["Ipv6CidrBlockAssociationSet"][0];
    assert_eq!(assoc["Ipv6Pool"], "IPAM Managed");
    assert!(str_at(assoc, "/Ipv6CidrBlock").ends_with("/56"));
    let wrong_family = json!({"CidrBlock": "10.2.0.0/16", "Ipv4IpamPoolId": p, "Ipv4NetmaskLength": 16});
    assert_eq!(refused(&ec2, &ctx, "CreateVpc", wrong_family), "InvalidParameterValue");
}
