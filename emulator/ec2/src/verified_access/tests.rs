//! Verified Access through the dispatcher: the chain instance -> trust provider -> group
//! -> endpoint, its refusals, lifecycles and policies.

use nimbus_core::RequestContext;
use serde_json::{json, Value};

use crate::testing::{call, later, network, refused, with_delay};
use crate::Ec2;

fn id(v: &Value, shape: &str, member: &str) -> String {
    v[shape][member].as_str().unwrap_or_else(|| panic!("{shape}.{member} in {v}")).to_string()
}

fn instance(ec2: &Ec2, ctx: &RequestContext) -> String {
    id(&call(ec2, ctx, "CreateVerifiedAccessInstance", json!({})), "VerifiedAccessInstance", "VerifiedAccessInstanceId")
}

fn provider(ec2: &Ec2, ctx: &RequestContext, input: Value) -> String {
    let made = call(ec2, ctx, "CreateVerifiedAccessTrustProvider", input);
    id(&made, "VerifiedAccessTrustProvider", "VerifiedAccessTrustProviderId")
}

fn device(ec2: &Ec2, ctx: &RequestContext) -> String {
    provider(
        ec2,
        ctx,
        json!({"TrustProviderType": "device", "DeviceTrustProviderType": "jamf", "PolicyReferenceName": "jamf",
               "DeviceOptions": {"TenantId": "t1"}}),
    )
}

fn user(ec2: &Ec2, ctx: &RequestContext) -> String {
    provider(
        ec2,
        ctx,
        json!({"TrustProviderType": "user", "UserTrustProviderType": "iam-identity-center", "PolicyReferenceName": "idc"}),
    )
}

#[test]
fn trust_providers_are_user_or_device_and_one_user_per_instance() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let vai = instance(&ec2, &ctx);
    let missing = json!({"TrustProviderType": "user", "PolicyReferenceName": "x"});
    assert_eq!(refused(&ec2, &ctx, "CreateVerifiedAccessTrustProvider", missing), "MissingParameter");
    let mixed = json!({"TrustProviderType": "device", "DeviceTrustProviderType": "jamf",
                       "UserTrustProviderType": "oidc", "PolicyReferenceName": "x"});
    assert_eq!(refused(&ec2, &ctx, "CreateVerifiedAccessTrustProvider", mixed), "InvalidParameterCombination");
    let no_oidc = json!({"TrustProviderType": "user", "UserTrustProviderType": "oidc", "PolicyReferenceName": "x"});
    assert_eq!(refused(&ec2, &ctx, "CreateVerifiedAccessTrustProvider", no_oidc), "MissingParameter");
    let bad_name =
        json!({"TrustProviderType": "device", "DeviceTrustProviderType": "jamf", "PolicyReferenceName": "1x"});
    assert_eq!(refused(&ec2, &ctx, "CreateVerifiedAccessTrustProvider", bad_name), "InvalidParameterValue");
    let oidc = provider(
        &ec2,
        &ctx,
        json!({"TrustProviderType": "user", "UserTrustProviderType": "oidc", "PolicyReferenceName": "okta",
               "OidcOptions": {"Issuer": "https://idp.example.com", "AuthorizationEndpoint": "https://idp.example.com/auth",
                               "TokenEndpoint": "https://idp.example.com/token", "UserInfoEndpoint": "https://idp.example.com/me",
                               "ClientId": "c", "ClientSecret": "s", "Scope": "openid"}}),
    );
    let shown =
        call(&ec2, &ctx, "DescribeVerifiedAccessTrustProviders", json!({"VerifiedAccessTrustProviderIds": [oidc]}));
    let p = &shown["VerifiedAccessTrustProviders"][0];
    assert_eq!(p["OidcOptions"]["Issuer"], "https://idp.example.com");
    assert!(p["OidcOptions"].get("ClientSecret").is_none(), "the secret is never answered");
    let (idc, jamf) = (user(&ec2, &ctx), device(&ec2, &ctx));
    let attach = |p: &str| json!({"VerifiedAccessInstanceId": vai, "VerifiedAccessTrustProviderId": p});
    let attached = call(&ec2, &ctx, "AttachVerifiedAccessTrustProvider", attach(&idc));
    assert_eq!(attached["VerifiedAccessInstance"]["VerifiedAccessTrustProviders"][0]["TrustProviderType"], "user");
    assert_eq!(refused(&ec2, &ctx, "AttachVerifiedAccessTrustProvider", attach(&oidc)), "InvalidParameterValue");
    assert_eq!(refused(&ec2, &ctx, "AttachVerifiedAccessTrustProvider", attach(&idc)), "InvalidParameterValue");
    call(&ec2, &ctx, "AttachVerifiedAccessTrustProvider", attach(&jamf));
    assert_eq!(
        refused(&ec2, &ctx, "DeleteVerifiedAccessTrustProvider", json!({"VerifiedAccessTrustProviderId": jamf})),
        "DependencyViolation"
    );
    assert_eq!(
        refused(&ec2, &ctx, "DeleteVerifiedAccessInstance", json!({"VerifiedAccessInstanceId": vai})),
        "DependencyViolation"
    );
    let filtered = call(
        &ec2,
        &ctx,
        "DescribeVerifiedAccessInstances",
        json!({"Filters": [{"Name": "verified-access-trust-provider-id", "Values": [jamf]}]}),
    );
    assert_eq!(filtered["VerifiedAccessInstances"].as_array().unwrap().len(), 1);
    let config =
        call(&ec2, &ctx, "ExportVerifiedAccessInstanceClientConfiguration", json!({"VerifiedAccessInstanceId": vai}));
    assert_eq!(config["DeviceTrustProviders"], json!(["jamf"]));
    assert_eq!(config["UserTrustProvider"]["Type"], "iam-identity-center");
    for p in [&idc, &jamf] {
        call(&ec2, &ctx, "DetachVerifiedAccessTrustProvider", attach(p));
    }
    assert_eq!(refused(&ec2, &ctx, "DetachVerifiedAccessTrustProvider", attach(&jamf)), "InvalidParameterValue");
    call(&ec2, &ctx, "DeleteVerifiedAccessTrustProvider", json!({"VerifiedAccessTrustProviderId": jamf}));
    call(&ec2, &ctx, "DeleteVerifiedAccessInstance", json!({"VerifiedAccessInstanceId": vai}));
    let gone = json!({"VerifiedAccessInstanceIds": [vai]});
    assert_eq!(
        refused(&ec2, &ctx, "DescribeVerifiedAccessInstances", gone),
        "InvalidVerifiedAccessInstanceId.NotFound"
    );
}

#[test]
fn instances_page_within_the_model_bounds_and_take_tags() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    for i in 0..6 {
        let tags =
            json!([{"ResourceType": "verified-access-instance", "Tags": [{"Key": "n", "Value": i.to_string()}]}]);
        call(&ec2, &ctx, "CreateVerifiedAccessInstance", json!({"Description": "d", "TagSpecifications": tags}));
    }
    let first = call(&ec2, &ctx, "DescribeVerifiedAccessInstances", json!({"MaxResults": 5}));
    assert_eq!(first["VerifiedAccessInstances"].as_array().unwrap().len(), 5);
    let token = first["NextToken"].as_str().unwrap();
    let rest = call(&ec2, &ctx, "DescribeVerifiedAccessInstances", json!({"MaxResults": 5, "NextToken": token}));
    assert_eq!(rest["VerifiedAccessInstances"].as_array().unwrap().len(), 1);
    assert_eq!(
        refused(&ec2, &ctx, "DescribeVerifiedAccessInstances", json!({"MaxResults": 4})),
        "InvalidParameterValue"
    );
    let tagged = json!({"Filters": [{"Name": "tag:n", "Values": ["3"]}]});
    assert_eq!(
        call(&ec2, &ctx, "DescribeVerifiedAccessInstances", tagged)["VerifiedAccessInstances"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let bad = json!({"TagSpecifications": [{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}]});
    assert_eq!(refused(&ec2, &ctx, "CreateVerifiedAccessInstance", bad), "InvalidParameterValue");
    let logs = call(&ec2, &ctx, "DescribeVerifiedAccessInstanceLoggingConfigurations", json!({"MaxResults": 10}));
    let first = &logs["LoggingConfigurations"][0]["AccessLogs"];
    assert_eq!((first["LogVersion"].as_str(), first["S3"]["Enabled"].as_bool()), (Some("ocsf-0.1"), Some(false)));
    assert_eq!(
        refused(&ec2, &ctx, "DescribeVerifiedAccessInstanceLoggingConfigurations", json!({"MaxResults": 11})),
        "InvalidParameterValue"
    );
}

#[test]
fn logging_needs_its_destinations_and_a_log_version_for_the_trust_context() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let vai = instance(&ec2, &ctx);
    let modify = |logs: Value| json!({"VerifiedAccessInstanceId": vai, "AccessLogs": logs});
    let op = "ModifyVerifiedAccessInstanceLoggingConfiguration";
    assert_eq!(refused(&ec2, &ctx, op, modify(json!({"S3": {"Enabled": true}}))), "MissingParameter");
    let owner = json!({"S3": {"Enabled": false, "BucketOwner": "111122223333"}});
    assert_eq!(refused(&ec2, &ctx, op, modify(owner)), "InvalidParameterCombination");
    assert_eq!(refused(&ec2, &ctx, op, modify(json!({"IncludeTrustContext": true}))), "InvalidParameterCombination");
    let done = call(
        &ec2,
        &ctx,
        op,
        modify(
            json!({"S3": {"Enabled": true, "BucketName": "logs"}, "LogVersion": "ocsf-1.0.0-rc.2", "IncludeTrustContext": true}),
        ),
    );
    let s3 = &done["LoggingConfiguration"]["AccessLogs"]["S3"];
    assert_eq!(s3["BucketOwner"], ctx.account(), "the bucket owner defaults to the caller");
    let shown = call(
        &ec2,
        &ctx,
        "DescribeVerifiedAccessInstanceLoggingConfigurations",
        json!({"VerifiedAccessInstanceIds": [vai]}),
    );
    let logs = &shown["LoggingConfigurations"][0]["AccessLogs"];
    assert_eq!(logs["CloudWatchLogs"]["Enabled"], false);
    assert_eq!(logs["IncludeTrustContext"], true);
}

#[test]
fn groups_and_endpoints_chain_with_their_policies_and_lifecycle() {
    let ec2 = with_delay(10);
    let ctx = RequestContext::for_tests();
    let (_vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let vai = instance(&ec2, &ctx);
    let missing = json!({"VerifiedAccessInstanceId": "vai-0123456789abcdef0"});
    assert_eq!(refused(&ec2, &ctx, "CreateVerifiedAccessGroup", missing), "InvalidVerifiedAccessInstanceId.NotFound");
    let policy = "permit(principal, action, resource) when { context.idc.user.email.address like \"*@example.com\" };";
    let made = call(
        &ec2,
        &ctx,
        "CreateVerifiedAccessGroup",
        json!({"VerifiedAccessInstanceId": vai, "PolicyDocument": policy}),
    );
    let vagr = id(&made, "VerifiedAccessGroup", "VerifiedAccessGroupId");
    let got = call(&ec2, &ctx, "GetVerifiedAccessGroupPolicy", json!({"VerifiedAccessGroupId": vagr}));
    assert_eq!((got["PolicyEnabled"].as_bool(), got["PolicyDocument"].as_str()), (Some(true), Some(policy)));
    let eni = call(&ec2, &ctx, "CreateNetworkInterface", json!({"SubnetId": subnet}))["NetworkInterface"]
        ["NetworkInterfaceId"]
        .as_str()
        .unwrap()
        .to_string();
    let endpoint = |eni: &str| {
        json!({"VerifiedAccessGroupId": vagr, "EndpointType": "network-interface", "AttachmentType": "vpc",
               "ApplicationDomain": "app.example.com", "EndpointDomainPrefix": "app",
               "DomainCertificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/c",
               "NetworkInterfaceOptions": {"NetworkInterfaceId": eni, "Protocol": "https", "Port": 443}})
    };
    let op = "CreateVerifiedAccessEndpoint";
    assert_eq!(refused(&ec2, &ctx, op, endpoint("eni-0123456789abcdef0")), "InvalidNetworkInterfaceID.NotFound");
    let mut no_cert = endpoint(&eni);
    no_cert.as_object_mut().unwrap().remove("DomainCertificateArn");
    assert_eq!(refused(&ec2, &ctx, op, no_cert), "MissingParameter");
    let mut wrong = endpoint(&eni);
    wrong["CidrOptions"] = json!({"Cidr": "10.0.1.0/24"});
    assert_eq!(refused(&ec2, &ctx, op, wrong), "InvalidParameterCombination");
    let made = call(&ec2, &ctx, op, endpoint(&eni));
    assert_eq!(made["VerifiedAccessEndpoint"]["Status"]["Code"], "pending");
    assert_eq!(made["VerifiedAccessEndpoint"]["VerifiedAccessInstanceId"], vai.as_str());
    let vae = id(&made, "VerifiedAccessEndpoint", "VerifiedAccessEndpointId");
    let describe = |c: &RequestContext| {
        call(&ec2, c, "DescribeVerifiedAccessEndpoints", json!({"VerifiedAccessEndpointIds": [vae]}))
            ["VerifiedAccessEndpoints"][0]
            .clone()
    };
    assert_eq!(describe(&ctx)["Status"]["Code"], "pending");
    let modify = json!({"VerifiedAccessEndpointId": vae, "Description": "x"});
    assert_eq!(refused(&ec2, &ctx, "ModifyVerifiedAccessEndpoint", modify.clone()), "IncorrectState");
    let t1 = later(&ctx, 11);
    assert_eq!(describe(&t1)["Status"]["Code"], "active");
    assert!(describe(&t1)["EndpointDomain"].as_str().unwrap().starts_with("app.edge-"));
    let targets = call(&ec2, &t1, "GetVerifiedAccessEndpointTargets", json!({"VerifiedAccessEndpointId": vae}));
    assert_eq!(targets["VerifiedAccessEndpointTargets"].as_array().unwrap().len(), 1);
    call(&ec2, &t1, "ModifyVerifiedAccessEndpoint", modify);
    assert_eq!(describe(&t1)["Status"]["Code"], "updating");
    let t2 = later(&ctx, 22);
    assert_eq!(describe(&t2)["Status"]["Code"], "active");
    let no_doc = json!({"VerifiedAccessEndpointId": vae, "PolicyEnabled": true});
    assert_eq!(refused(&ec2, &t2, "ModifyVerifiedAccessEndpointPolicy", no_doc), "MissingParameter");
    let set = json!({"VerifiedAccessEndpointId": vae, "PolicyEnabled": true, "PolicyDocument": policy});
    assert_eq!(call(&ec2, &t2, "ModifyVerifiedAccessEndpointPolicy", set)["PolicyDocument"], policy);
    let delete_group = json!({"VerifiedAccessGroupId": vagr});
    assert_eq!(refused(&ec2, &t2, "DeleteVerifiedAccessGroup", delete_group.clone()), "DependencyViolation");
    let gone = call(&ec2, &t2, "DeleteVerifiedAccessEndpoint", json!({"VerifiedAccessEndpointId": vae}));
    assert_eq!(gone["VerifiedAccessEndpoint"]["Status"]["Code"], "deleting");
    assert_eq!(describe(&t2)["Status"]["Code"], "deleting");
    let t3 = later(&ctx, 33);
    let again = json!({"VerifiedAccessEndpointIds": [vae]});
    assert_eq!(
        refused(&ec2, &t3, "DescribeVerifiedAccessEndpoints", again),
        "InvalidVerifiedAccessEndpointId.NotFound"
    );
    call(&ec2, &t3, "DeleteVerifiedAccessGroup", delete_group);
    call(&ec2, &t3, "DeleteVerifiedAccessInstance", json!({"VerifiedAccessInstanceId": vai}));
}

#[test]
fn cidr_and_load_balancer_endpoints_check_their_network() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
    let vai = instance(&ec2, &ctx);
    let made = call(&ec2, &ctx, "CreateVerifiedAccessGroup", json!({"VerifiedAccessInstanceId": vai}));
    let vagr = id(&made, "VerifiedAccessGroup", "VerifiedAccessGroupId");
    let got = call(&ec2, &ctx, "GetVerifiedAccessGroupPolicy", json!({"VerifiedAccessGroupId": vagr}));
    assert_eq!((got["PolicyEnabled"].as_bool(), got.get("PolicyDocument")), (Some(false), None));
    let cidr = |range: &str, subnet: &str| {
        json!({"VerifiedAccessGroupId": vagr, "EndpointType": "cidr", "AttachmentType": "vpc",
               "CidrOptions": {"Cidr": range, "SubnetIds": [subnet], "Protocol": "tcp",
                               "PortRanges": [{"FromPort": 22, "ToPort": 22}]}})
    };
    let op = "CreateVerifiedAccessEndpoint";
    assert_eq!(refused(&ec2, &ctx, op, cidr("10.0.1.0/24", "subnet-0123456789abcdef0")), "InvalidSubnetID.NotFound");
    assert_eq!(refused(&ec2, &ctx, op, cidr("10.0.1.5/24", &subnet)), "InvalidParameterValue");
    let made = call(&ec2, &ctx, op, cidr("10.0.1.0/24", &subnet));
    let vae = id(&made, "VerifiedAccessEndpoint", "VerifiedAccessEndpointId");
    assert_eq!(refused(&ec2, &ctx, "DeleteSubnet", json!({"SubnetId": subnet})), "DependencyViolation");
    call(&ec2, &ctx, "CreateNetworkInterface", json!({"SubnetId": subnet, "PrivateIpAddress": "10.0.1.20"}));
    let targets = call(&ec2, &ctx, "GetVerifiedAccessEndpointTargets", json!({"VerifiedAccessEndpointId": vae}));
    assert_eq!(targets["VerifiedAccessEndpointTargets"][0]["VerifiedAccessEndpointTargetIpAddress"], "10.0.1.20");
    let config =
        call(&ec2, &ctx, "ExportVerifiedAccessInstanceClientConfiguration", json!({"VerifiedAccessInstanceId": vai}));
    assert_eq!(config["OpenVpnConfigurations"][0]["Routes"][0]["Cidr"], "10.0.1.0/24");
    let lb = json!({"VerifiedAccessGroupId": vagr, "EndpointType": "load-balancer", "AttachmentType": "vpc",
                    "ApplicationDomain": "lb.example.com", "EndpointDomainPrefix": "lb",
                    "DomainCertificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/c",
                    "SecurityGroupIds": ["sg-0123456789abcdef0"],
                    "LoadBalancerOptions": {"LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/a/1",
                                            "Protocol": "http", "Port": 80, "SubnetIds": [subnet]}});
    assert_eq!(refused(&ec2, &ctx, op, lb.clone()), "InvalidGroup.NotFound");
    let sg = call(&ec2, &ctx, "CreateSecurityGroup", json!({"VpcId": vpc, "GroupName": "va", "Description": "va"}))
        ["GroupId"]
        .clone();
    let mut lb = lb;
    lb["SecurityGroupIds"] = json!([sg]);
    let made = call(&ec2, &ctx, op, lb);
    assert_eq!(made["VerifiedAccessEndpoint"]["LoadBalancerOptions"]["Port"], 80);
    assert_eq!(refused(&ec2, &ctx, "DeleteSecurityGroup", json!({"GroupId": sg})), "DependencyViolation");
    let lb_id = id(&made, "VerifiedAccessEndpoint", "VerifiedAccessEndpointId");
    call(&ec2, &ctx, "DeleteVerifiedAccessEndpoint", json!({"VerifiedAccessEndpointId": lb_id}));
    call(&ec2, &ctx, "DeleteSecurityGroup", json!({"GroupId": sg}));
    let by_type = json!({"Filters": [{"Name": "endpoint-type", "Values": ["cidr"]}]});
    let shown = call(&ec2, &ctx, "DescribeVerifiedAccessEndpoints", by_type);
    assert_eq!(shown["VerifiedAccessEndpoints"].as_array().unwrap().len(), 1);
    let bogus = json!({"Filters": [{"Name": "nope", "Values": ["x"]}]});
    assert_eq!(refused(&ec2, &ctx, "DescribeVerifiedAccessEndpoints", bogus), "InvalidParameterValue");
}

#[test]
fn client_tokens_make_creation_idempotent_and_dry_runs_change_nothing() {
    let ec2 = Ec2::default();
    let ctx = RequestContext::for_tests();
    let a = call(&ec2, &ctx, "CreateVerifiedAccessInstance", json!({"ClientToken": "t-1"}));
    let b = call(&ec2, &ctx, "CreateVerifiedAccessInstance", json!({"ClientToken": "t-1"}));
    assert_eq!(
        a["VerifiedAccessInstance"]["VerifiedAccessInstanceId"],
        b["VerifiedAccessInstance"]["VerifiedAccessInstanceId"]
    );
    let changed = json!({"ClientToken": "t-1", "Description": "other"});
    assert_eq!(refused(&ec2, &ctx, "CreateVerifiedAccessInstance", changed), "IdempotentParameterMismatch");
    assert_eq!(refused(&ec2, &ctx, "CreateVerifiedAccessInstance", json!({"DryRun": true})), "DryRunOperation");
    let all = call(&ec2, &ctx, "DescribeVerifiedAccessInstances", json!({}));
    assert_eq!(all["VerifiedAccessInstances"].as_array().unwrap().len(), 1);
}
