"""AWS Verified Access with real boto3, the error paths first: instances and the trust
providers attached to them (user or device, one user provider per instance), groups with
their Cedar policies, endpoints of each type (the interface must exist, load balancer ARNs
are taken on trust) with their pending -> active and deleting -> gone lifecycle, access
logging, the client configuration, DryRun, ClientToken, tags, filters and paging. The
tests work in a region of their own and look only at what they made."""

import botocore.exceptions
import pytest

from conftest import client, unique

REGION = "sa-east-1"
CERT = "arn:aws:acm:sa-east-1:000000000000:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
LB = "arn:aws:elasticloadbalancing:sa-east-1:000000000000:loadbalancer/app/web/0123456789abcdef"
POLICY = 'permit(principal, action, resource) when { context.idc.groups has "c242c5b0-6081-1845-6fa8-6e0d9513c107" };'


def error(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]


def error_code(call, *args, **kwargs):
    return error(call, *args, **kwargs)["Code"]


@pytest.fixture
def ec2():
    return client("ec2", region=REGION)


def instance(ec2, **kw):
    return ec2.create_verified_access_instance(**kw)["VerifiedAccessInstance"]["VerifiedAccessInstanceId"]


def device_provider(ec2, **kw):
    return ec2.create_verified_access_trust_provider(
        TrustProviderType="device",
        DeviceTrustProviderType="jamf",
        PolicyReferenceName="jamf",
        DeviceOptions={"TenantId": "tenant"},
        **kw,
    )["VerifiedAccessTrustProvider"]["VerifiedAccessTrustProviderId"]


def user_provider(ec2):
    return ec2.create_verified_access_trust_provider(
        TrustProviderType="user", UserTrustProviderType="iam-identity-center", PolicyReferenceName="idc"
    )["VerifiedAccessTrustProvider"]["VerifiedAccessTrustProviderId"]


def test_trust_provider_refusals(ec2):
    create = ec2.create_verified_access_trust_provider
    assert error_code(create, TrustProviderType="user", PolicyReferenceName="x") == "MissingParameter"
    assert error_code(create, TrustProviderType="device", PolicyReferenceName="x") == "MissingParameter"
    assert (
        error_code(
            create,
            TrustProviderType="device",
            DeviceTrustProviderType="jamf",
            UserTrustProviderType="oidc",
            PolicyReferenceName="x",
        )
        == "InvalidParameterCombination"
    )
    assert (
        error_code(create, TrustProviderType="user", UserTrustProviderType="oidc", PolicyReferenceName="x")
        == "MissingParameter"
    )
    assert error_code(create, TrustProviderType="robot", PolicyReferenceName="x") == "InvalidParameterValue"
    missing = "vatp-0123456789abcdef0"
    assert (
        error_code(ec2.delete_verified_access_trust_provider, VerifiedAccessTrustProviderId=missing)
        == "InvalidVerifiedAccessTrustProviderId.NotFound"
    )
    assert (
        error_code(ec2.describe_verified_access_trust_providers, VerifiedAccessTrustProviderIds=[missing])
        == "InvalidVerifiedAccessTrustProviderId.NotFound"
    )


def test_oidc_provider_hides_its_secret_and_changes(ec2):
    made = ec2.create_verified_access_trust_provider(
        TrustProviderType="user",
        UserTrustProviderType="oidc",
        PolicyReferenceName="okta",
        Description="okta",
        OidcOptions={
            "Issuer": "https://idp.example.com",
            "AuthorizationEndpoint": "https://idp.example.com/authorize",
            "TokenEndpoint": "https://idp.example.com/token",
            "UserInfoEndpoint": "https://idp.example.com/userinfo",
            "ClientId": "client",
            "ClientSecret": "secret",
            "Scope": "openid",
        },
        TagSpecifications=[{"ResourceType": "verified-access-trust-provider", "Tags": [{"Key": "Name", "Value": "okta"}]}],
    )["VerifiedAccessTrustProvider"]
    vatp = made["VerifiedAccessTrustProviderId"]
    assert vatp.startswith("vatp-") and made["UserTrustProviderType"] == "oidc"
    assert "ClientSecret" not in made["OidcOptions"]
    ec2.modify_verified_access_trust_provider(
        VerifiedAccessTrustProviderId=vatp, OidcOptions={"Scope": "openid email"}, Description="changed"
    )
    shown = ec2.describe_verified_access_trust_providers(VerifiedAccessTrustProviderIds=[vatp])[
        "VerifiedAccessTrustProviders"
    ][0]
    assert shown["OidcOptions"]["Scope"] == "openid email" and shown["Description"] == "changed"
    assert shown["Tags"] == [{"Key": "Name", "Value": "okta"}]
    assert (
        error_code(ec2.modify_verified_access_trust_provider, VerifiedAccessTrustProviderId=vatp, DeviceOptions={"PublicSigningKeyUrl": "https://k.example.com"}
        )
        == "InvalidParameterCombination"
    )
    ec2.delete_verified_access_trust_provider(VerifiedAccessTrustProviderId=vatp)


def test_attachments_one_user_provider_and_dependent_deletion(ec2):
    vai = instance(ec2, Description="corp")
    idc, jamf, second_user = user_provider(ec2), device_provider(ec2), user_provider(ec2)
    attach = ec2.attach_verified_access_trust_provider
    out = attach(VerifiedAccessInstanceId=vai, VerifiedAccessTrustProviderId=idc)
    assert [p["VerifiedAccessTrustProviderId"] for p in out["VerifiedAccessInstance"]["VerifiedAccessTrustProviders"]] == [idc]
    assert (
        error_code(attach, VerifiedAccessInstanceId=vai, VerifiedAccessTrustProviderId=second_user)
        == "InvalidParameterValue"
    )
    assert error_code(attach, VerifiedAccessInstanceId=vai, VerifiedAccessTrustProviderId=idc) == "InvalidParameterValue"
    attach(VerifiedAccessInstanceId=vai, VerifiedAccessTrustProviderId=jamf)
    assert (
        error_code(ec2.delete_verified_access_trust_provider, VerifiedAccessTrustProviderId=jamf)
        == "DependencyViolation"
    )
    assert error_code(ec2.delete_verified_access_instance, VerifiedAccessInstanceId=vai) == "DependencyViolation"
    config = ec2.export_verified_access_instance_client_configuration(VerifiedAccessInstanceId=vai)
    assert config["DeviceTrustProviders"] == ["jamf"] and config["UserTrustProvider"]["Type"] == "iam-identity-center"
    assert config["Region"] == REGION
    found = ec2.describe_verified_access_instances(
        Filters=[{"Name": "verified-access-trust-provider-id", "Values": [jamf]}]
    )["VerifiedAccessInstances"]
    assert [i["VerifiedAccessInstanceId"] for i in found] == [vai]
    detach = ec2.detach_verified_access_trust_provider
    for p in (idc, jamf):
        detach(VerifiedAccessInstanceId=vai, VerifiedAccessTrustProviderId=p)
    err = error(detach, VerifiedAccessInstanceId=vai, VerifiedAccessTrustProviderId=jamf)
    assert err["Code"] == "InvalidParameterValue" and "is not attached to instance" in err["Message"]
    for p in (idc, jamf, second_user):
        ec2.delete_verified_access_trust_provider(VerifiedAccessTrustProviderId=p)
    gone = ec2.delete_verified_access_instance(VerifiedAccessInstanceId=vai)["VerifiedAccessInstance"]
    assert gone["VerifiedAccessInstanceId"] == vai
    assert (
        error_code(ec2.describe_verified_access_instances, VerifiedAccessInstanceIds=[vai])
        == "InvalidVerifiedAccessInstanceId.NotFound"
    )


def test_instances_dry_run_client_token_tags_and_paging(ec2):
    assert error_code(ec2.create_verified_access_instance, DryRun=True) == "DryRunOperation"
    token = unique("tok")
    a = instance(ec2, ClientToken=token)
    assert instance(ec2, ClientToken=token) == a
    assert (
        error_code(ec2.create_verified_access_instance, ClientToken=token, Description="other")
        == "IdempotentParameterMismatch"
    )
    tag = unique("page")
    made = [a] + [
        instance(ec2, TagSpecifications=[{"ResourceType": "verified-access-instance", "Tags": [{"Key": "page", "Value": tag}]}])
        for _ in range(5)
    ]
    ec2.create_tags(Resources=[a], Tags=[{"Key": "page", "Value": tag}])
    filters = [{"Name": "tag:page", "Values": [tag]}]
    first = ec2.describe_verified_access_instances(Filters=filters, MaxResults=5)
    assert len(first["VerifiedAccessInstances"]) == 5
    rest = ec2.describe_verified_access_instances(Filters=filters, MaxResults=5, NextToken=first["NextToken"])
    seen = {i["VerifiedAccessInstanceId"] for i in first["VerifiedAccessInstances"] + rest["VerifiedAccessInstances"]}
    assert seen == set(made)
    assert error_code(ec2.describe_verified_access_instances, MaxResults=201) == "InvalidParameterValue"
    assert error_code(ec2.describe_verified_access_instances, Filters=[{"Name": "bogus", "Values": ["x"]}]) == "InvalidParameterValue"
    ec2.modify_verified_access_instance(VerifiedAccessInstanceId=a, Description="renamed")
    shown = ec2.describe_verified_access_instances(VerifiedAccessInstanceIds=[a])["VerifiedAccessInstances"][0]
    assert shown["Description"] == "renamed"
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [a]}])["Tags"]
    assert tags[0]["ResourceType"] == "verified-access-instance"
    for i in made:
        ec2.delete_verified_access_instance(VerifiedAccessInstanceId=i)


def test_logging_configuration(ec2):
    vai = instance(ec2)
    modify = ec2.modify_verified_access_instance_logging_configuration
    assert error_code(modify, VerifiedAccessInstanceId=vai, AccessLogs={"S3": {"Enabled": True}}) == "MissingParameter"
    assert (
        error_code(modify, VerifiedAccessInstanceId=vai, AccessLogs={"S3": {"Enabled": False, "BucketOwner": "111122223333"}})
        == "InvalidParameterCombination"
    )
    assert (
        error_code(modify, VerifiedAccessInstanceId=vai, AccessLogs={"IncludeTrustContext": True})
        == "InvalidParameterCombination"
    )
    assert (
        error_code(modify, VerifiedAccessInstanceId="vai-0123456789abcdef0", AccessLogs={"IncludeTrustContext": False})
        == "InvalidVerifiedAccessInstanceId.NotFound"
    )
    out = modify(
        VerifiedAccessInstanceId=vai,
        AccessLogs={
            "CloudWatchLogs": {"Enabled": True, "LogGroup": "/va/logs"},
            "LogVersion": "ocsf-1.0.0-rc.2",
            "IncludeTrustContext": True,
        },
    )["LoggingConfiguration"]["AccessLogs"]
    assert out["CloudWatchLogs"]["LogGroup"] == "/va/logs" and out["S3"]["Enabled"] is False
    shown = ec2.describe_verified_access_instance_logging_configurations(VerifiedAccessInstanceIds=[vai])[
        "LoggingConfigurations"
    ][0]["AccessLogs"]
    assert shown["IncludeTrustContext"] is True and shown["LogVersion"] == "ocsf-1.0.0-rc.2"
    assert (
        error_code(ec2.describe_verified_access_instance_logging_configurations, MaxResults=11)
        == "InvalidParameterValue"
    )
    ec2.delete_verified_access_instance(VerifiedAccessInstanceId=vai)


def test_groups_endpoints_policies_and_lifecycle(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.60.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName=unique("va"), Description="va")["GroupId"]
    eni = ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.60.1.10")["NetworkInterface"][
        "NetworkInterfaceId"
    ]
    vai = instance(ec2)
    assert (
        error_code(ec2.create_verified_access_group, VerifiedAccessInstanceId="vai-0123456789abcdef0")
        == "InvalidVerifiedAccessInstanceId.NotFound"
    )
    group = ec2.create_verified_access_group(VerifiedAccessInstanceId=vai, PolicyDocument=POLICY, Description="web")[
        "VerifiedAccessGroup"
    ]
    vagr = group["VerifiedAccessGroupId"]
    assert group["VerifiedAccessGroupArn"].endswith(f":verified-access-group/{vagr}") and group["Owner"] == "000000000000"
    policy = ec2.get_verified_access_group_policy(VerifiedAccessGroupId=vagr)
    assert policy["PolicyEnabled"] is True and policy["PolicyDocument"] == POLICY
    off = ec2.modify_verified_access_group_policy(VerifiedAccessGroupId=vagr, PolicyEnabled=False)
    assert off["PolicyEnabled"] is False and off["PolicyDocument"] == POLICY
    create = ec2.create_verified_access_endpoint
    web = dict(
        VerifiedAccessGroupId=vagr,
        AttachmentType="vpc",
        ApplicationDomain="app.example.com",
        EndpointDomainPrefix="app",
        DomainCertificateArn=CERT,
        SecurityGroupIds=[sg],
    )
    assert (
        error_code(
            create,
            EndpointType="network-interface",
            NetworkInterfaceOptions={"NetworkInterfaceId": "eni-0123456789abcdef0", "Protocol": "https", "Port": 443},
            **web,
        )
        == "InvalidNetworkInterfaceID.NotFound"
    )
    assert (
        error_code(create, EndpointType="load-balancer", **web) == "MissingParameter"
    )
    assert (
        error_code(
            create,
            EndpointType="network-interface",
            NetworkInterfaceOptions={"NetworkInterfaceId": eni, "Protocol": "https", "Port": 443},
            CidrOptions={"Cidr": "10.60.1.0/24"},
            **web,
        )
        == "InvalidParameterCombination"
    )
    made = create(
        EndpointType="network-interface",
        NetworkInterfaceOptions={"NetworkInterfaceId": eni, "Protocol": "https", "Port": 443},
        PolicyDocument=POLICY,
        TagSpecifications=[{"ResourceType": "verified-access-endpoint", "Tags": [{"Key": "Name", "Value": "app"}]}],
        **web,
    )["VerifiedAccessEndpoint"]
    vae = made["VerifiedAccessEndpointId"]
    assert made["Status"]["Code"] == "pending" and made["VerifiedAccessInstanceId"] == vai
    assert made["EndpointDomain"].startswith("app.edge-")
    shown = ec2.describe_verified_access_endpoints(VerifiedAccessEndpointIds=[vae])["VerifiedAccessEndpoints"][0]
    assert shown["Status"]["Code"] == "active" and shown["SecurityGroupIds"] == [sg]
    lb = create(
        EndpointType="load-balancer",
        LoadBalancerOptions={"LoadBalancerArn": LB, "Protocol": "http", "Port": 80, "SubnetIds": [subnet]},
        **web,
    )["VerifiedAccessEndpoint"]["VerifiedAccessEndpointId"]
    cidr = create(
        VerifiedAccessGroupId=vagr,
        EndpointType="cidr",
        AttachmentType="vpc",
        CidrOptions={"Cidr": "10.60.1.0/24", "SubnetIds": [subnet], "Protocol": "tcp", "PortRanges": [{"FromPort": 22, "ToPort": 22}]},
    )["VerifiedAccessEndpoint"]["VerifiedAccessEndpointId"]
    assert error_code(ec2.delete_subnet, SubnetId=subnet) == "DependencyViolation"
    assert error_code(ec2.delete_security_group, GroupId=sg) == "DependencyViolation"
    targets = ec2.get_verified_access_endpoint_targets(VerifiedAccessEndpointId=cidr)["VerifiedAccessEndpointTargets"]
    assert [t["VerifiedAccessEndpointTargetIpAddress"] for t in targets] == ["10.60.1.10"]
    in_group = ec2.describe_verified_access_endpoints(VerifiedAccessGroupId=vagr)["VerifiedAccessEndpoints"]
    assert {e["VerifiedAccessEndpointId"] for e in in_group} == {vae, lb, cidr}
    by_type = ec2.describe_verified_access_endpoints(
        VerifiedAccessInstanceId=vai, Filters=[{"Name": "endpoint-type", "Values": ["cidr"]}]
    )["VerifiedAccessEndpoints"]
    assert [e["VerifiedAccessEndpointId"] for e in by_type] == [cidr]
    page = ec2.describe_verified_access_endpoints(VerifiedAccessGroupId=vagr, MaxResults=5)["VerifiedAccessEndpoints"]
    assert len(page) == 3
    assert error_code(ec2.describe_verified_access_endpoints, MaxResults=1001) == "InvalidParameterValue"
    changed = ec2.modify_verified_access_endpoint(
        VerifiedAccessEndpointId=vae, Description="changed", NetworkInterfaceOptions={"Port": 8443}
    )["VerifiedAccessEndpoint"]
    assert changed["Status"]["Code"] == "updating"
    shown = ec2.describe_verified_access_endpoints(VerifiedAccessEndpointIds=[vae])["VerifiedAccessEndpoints"][0]
    assert shown["Status"]["Code"] == "active" and shown["NetworkInterfaceOptions"]["Port"] == 8443
    assert (
        error_code(ec2.modify_verified_access_endpoint, VerifiedAccessEndpointId=vae, CidrOptions={"PortRanges": [{"FromPort": 22, "ToPort": 22}]})
        == "InvalidParameterCombination"
    )
    assert (
        error_code(ec2.modify_verified_access_endpoint_policy, VerifiedAccessEndpointId=lb, PolicyEnabled=True)
        == "MissingParameter"
    )
    policy = ec2.get_verified_access_endpoint_policy(VerifiedAccessEndpointId=vae)
    assert policy["PolicyEnabled"] is True and policy["PolicyDocument"] == POLICY
    assert error_code(ec2.delete_verified_access_group, VerifiedAccessGroupId=vagr) == "DependencyViolation"
    assert error_code(ec2.delete_verified_access_instance, VerifiedAccessInstanceId=vai) == "DependencyViolation"
    for e in (vae, lb, cidr):
        gone = ec2.delete_verified_access_endpoint(VerifiedAccessEndpointId=e)["VerifiedAccessEndpoint"]
        assert gone["Status"]["Code"] == "deleting"
    assert (
        error_code(ec2.describe_verified_access_endpoints, VerifiedAccessEndpointIds=[vae])
        == "InvalidVerifiedAccessEndpointId.NotFound"
    )
    ec2.delete_verified_access_group(VerifiedAccessGroupId=vagr)
    ec2.delete_verified_access_instance(VerifiedAccessInstanceId=vai)
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)
