"""Client VPN with real boto3, the error paths first: endpoints and their options,
target networks (one VPC, one subnet per Availability Zone, the route each adds),
authorization rules, routes, the client configuration, the certificate revocation list,
connections, deletion. Each test works in a VPC of its own, in a region of its own, so
tests do not see each other's endpoints."""

import botocore.exceptions
import pytest

from conftest import client, unique

REGION = "ap-southeast-2"
CERT = "arn:aws:acm:ap-southeast-2:000000000000:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"


def error(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]


def error_code(call, *args, **kwargs):
    return error(call, *args, **kwargs)["Code"]


@pytest.fixture
def ec2():
    return client("ec2", region=REGION)


def create(ec2, **extra):
    params = dict(
        ClientCidrBlock="172.16.0.0/22",
        ServerCertificateArn=CERT,
        AuthenticationOptions=[
            {"Type": "certificate-authentication", "MutualAuthentication": {"ClientRootCertificateChainArn": CERT}}
        ],
        ConnectionLogOptions={"Enabled": False},
    )
    params.update(extra)
    return ec2.create_client_vpn_endpoint(**params)


def network(ec2, cidr):
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    base = cidr.split(".")
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base[0]}.{base[1]}.{i + 1}.0/24", AvailabilityZone=zones[i])[
            "Subnet"
        ]["SubnetId"]
        for i in range(2)
    ]
    return vpc, subnets


def endpoint(ec2, id_):
    return ec2.describe_client_vpn_endpoints(ClientVpnEndpointIds=[id_])["ClientVpnEndpoints"][0]


def test_endpoint_options_are_checked(ec2):
    vpc, _ = network(ec2, "10.71.0.0/16")
    bad = [
        dict(ClientCidrBlock="172.16.0.0/24"),
        dict(ClientCidrBlock="172.0.0.0/11"),
        dict(ServerCertificateArn="not-an-arn"),
        dict(VpnPort=8443),
        dict(TransportProtocol="sctp"),
        dict(SessionTimeoutHours=5),
        dict(ConnectionLogOptions={"Enabled": True}),
        dict(DnsServers=["10.0.0.2", "10.0.0.3", "10.0.0.4"]),
        dict(DnsServers=["dns.example"]),
        dict(VpcId=vpc, ClientCidrBlock="10.71.0.0/20"),
        dict(SelfServicePortal="enabled"),
        dict(SecurityGroupIds=["sg-0123456789abcdef0"]),
        dict(
            AuthenticationOptions=[
                {"Type": "directory-service-authentication", "ActiveDirectory": {"DirectoryId": "d-0123456789"}},
                {"Type": "federated-authentication", "FederatedAuthentication": {
                    "SAMLProviderArn": "arn:aws:iam::000000000000:saml-provider/okta"}},
            ]
        ),
    ]
    for params in bad:
        err = error(create, ec2, **params)
        assert err["Code"] in ("InvalidParameterValue", "InvalidParameterCombination"), (params, err)
    assert error_code(create, ec2, VpcId="vpc-0123456789abcdef0") == "InvalidVpcID.NotFound"
    missing = "cvpn-endpoint-0123456789abcdef0"
    err = error(ec2.describe_client_vpn_endpoints, ClientVpnEndpointIds=[missing])
    assert err["Code"] == "InvalidClientVpnEndpointId.NotFound"
    assert err["Message"] == f"Endpoint {missing} does not exist"
    assert error_code(ec2.delete_client_vpn_endpoint, ClientVpnEndpointId=missing) == "InvalidClientVpnEndpointId.NotFound"
    assert error_code(ec2.describe_client_vpn_endpoints, Filters=[{"Name": "nope", "Values": ["x"]}]) == "InvalidParameterValue"
    assert error_code(create, ec2, DryRun=True) == "DryRunOperation"


def test_an_endpoint_is_available_while_a_target_network_is_associated(ec2):
    run = unique("cvpn")
    vpc, (a, b) = network(ec2, "10.72.0.0/16")
    made = create(
        ec2,
        Description="office",
        SplitTunnel=True,
        DnsServers=["10.72.0.2"],
        TagSpecifications=[{"ResourceType": "client-vpn-endpoint", "Tags": [{"Key": "run", "Value": run}]}],
    )
    id_ = made["ClientVpnEndpointId"]
    assert made["Status"]["Code"] == "pending-associate"
    assert made["DnsName"] == f"*.{id_}.prod.clientvpn.{REGION}.amazonaws.com"
    e = endpoint(ec2, id_)
    assert (e["VpnPort"], e["TransportProtocol"], e["VpnProtocol"]) == (443, "udp", "openvpn")
    assert e["AuthenticationOptions"][0]["MutualAuthentication"]["ClientRootCertificateChain"] == CERT
    assert e["ConnectionLogOptions"]["Enabled"] is False
    assert e["DnsServers"] == ["10.72.0.2"]
    assert "VpcId" not in e
    tagged = ec2.describe_client_vpn_endpoints(Filters=[{"Name": "tag:run", "Values": [run]}])["ClientVpnEndpoints"]
    assert [t["ClientVpnEndpointId"] for t in tagged] == [id_]

    assoc = ec2.associate_client_vpn_target_network(ClientVpnEndpointId=id_, SubnetId=a)
    assert assoc["Status"]["Code"] == "associating"
    e = endpoint(ec2, id_)
    assert e["Status"]["Code"] == "available"
    assert e["VpcId"] == vpc
    default_group = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    assert e["SecurityGroupIds"] == [default_group]
    nets = ec2.describe_client_vpn_target_networks(ClientVpnEndpointId=id_)["ClientVpnTargetNetworks"]
    assert [(n["TargetNetworkId"], n["Status"]["Code"], n["VpcId"]) for n in nets] == [(a, "associated", vpc)]
    routes = ec2.describe_client_vpn_routes(ClientVpnEndpointId=id_)["Routes"]
    assert [(r["DestinationCidr"], r["TargetSubnet"], r["Origin"], r["Status"]["Code"]) for r in routes] == [
        ("10.72.0.0/16", a, "associate", "active")
    ]
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [a]}])["NetworkInterfaces"]
    assert len(enis) == 1 and enis[0]["RequesterManaged"] is True
    assert error_code(ec2.delete_subnet, SubnetId=a) == "DependencyViolation"

    b_assoc = ec2.associate_client_vpn_target_network(ClientVpnEndpointId=id_, SubnetId=b)["AssociationId"]
    routes = ec2.describe_client_vpn_routes(
        ClientVpnEndpointId=id_, Filters=[{"Name": "target-subnet", "Values": [b]}]
    )["Routes"]
    assert [r["Origin"] for r in routes] == ["associate"]

    err = error(ec2.delete_client_vpn_endpoint, ClientVpnEndpointId=id_)
    assert err["Code"] == "ClientVpnEndpointAssociationExists"
    for assoc_id in (assoc["AssociationId"], b_assoc):
        out = ec2.disassociate_client_vpn_target_network(ClientVpnEndpointId=id_, AssociationId=assoc_id)
        assert out["Status"]["Code"] == "disassociating"
    assert endpoint(ec2, id_)["Status"]["Code"] == "pending-associate"
    assert ec2.describe_client_vpn_target_networks(ClientVpnEndpointId=id_)["ClientVpnTargetNetworks"] == []
    assert ec2.describe_client_vpn_routes(ClientVpnEndpointId=id_)["Routes"] == []
    err = error(ec2.disassociate_client_vpn_target_network, ClientVpnEndpointId=id_, AssociationId=b_assoc)
    assert err["Code"] == "InvalidClientVpnAssociationIdNotFound"
    ec2.delete_subnet(SubnetId=a)

    assert ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=id_)["Status"]["Code"] == "deleting"
    assert endpoint(ec2, id_)["Status"]["Code"] == "deleted"
    err = error(ec2.describe_client_vpn_target_networks, ClientVpnEndpointId=id_)
    assert err["Code"] == "InvalidClientVpnEndpointId.NotFound"


def test_target_networks_are_one_vpc_one_subnet_per_zone(ec2):
    _, (a, b) = network(ec2, "10.73.0.0/16")
    vpc = ec2.describe_subnets(SubnetIds=[a])["Subnets"][0]["VpcId"]
    zone = ec2.describe_subnets(SubnetIds=[a])["Subnets"][0]["AvailabilityZone"]
    id_ = create(ec2)["ClientVpnEndpointId"]

    def associate(subnet):
        return ec2.associate_client_vpn_target_network(ClientVpnEndpointId=id_, SubnetId=subnet)

    associate(a)
    assert error_code(associate, a) == "InvalidClientVpnDuplicateAssociationException"
    same_zone = ec2.create_subnet(VpcId=vpc, CidrBlock="10.73.9.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
    assert error_code(associate, same_zone) == "InvalidClientVpnSubnetId.DuplicateAz"
    _, (other, _) = network(ec2, "10.74.0.0/16")
    assert error_code(associate, other) == "InvalidClientVpnSubnetId.NotFound"
    assert error_code(associate, "subnet-0123456789abcdef0") == "InvalidSubnetID.NotFound"
    _, (inside, _) = network(ec2, "172.16.0.0/16")
    other_endpoint = create(ec2)["ClientVpnEndpointId"]
    err = error(ec2.associate_client_vpn_target_network, ClientVpnEndpointId=other_endpoint, SubnetId=inside)
    assert err["Code"] == "InvalidClientVpnSubnetId.OverlappingCidr"

    group = ec2.create_security_group(GroupName=unique("cvpn"), Description="vpn", VpcId=vpc)["GroupId"]
    err = error(
        ec2.apply_security_groups_to_client_vpn_target_network,
        ClientVpnEndpointId=id_, VpcId="vpc-0123456789abcdef0", SecurityGroupIds=[group],
    )
    assert err["Code"] == "InvalidParameterValue"
    out = ec2.apply_security_groups_to_client_vpn_target_network(
        ClientVpnEndpointId=id_, VpcId=vpc, SecurityGroupIds=[group]
    )
    assert out["SecurityGroupIds"] == [group]
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [a]}])["NetworkInterfaces"]
    assert [g["GroupId"] for g in enis[0]["Groups"]] == [group]
    assert error_code(ec2.delete_security_group, GroupId=group) == "DependencyViolation"
    nets = ec2.describe_client_vpn_target_networks(ClientVpnEndpointId=id_)["ClientVpnTargetNetworks"]
    assert nets[0]["SecurityGroups"] == [group]
    err = error(ec2.describe_client_vpn_target_networks, ClientVpnEndpointId=id_, NextToken="junk")
    assert err["Code"] == "InvalidNextToken"


def test_authorization_rules_and_routes(ec2):
    _, (a, b) = network(ec2, "10.75.0.0/16")
    id_ = create(ec2)["ClientVpnEndpointId"]
    route = dict(ClientVpnEndpointId=id_, DestinationCidrBlock="0.0.0.0/0", TargetVpcSubnetId=a)
    assert error_code(ec2.create_client_vpn_route, **route) == "InvalidClientVpnActiveAssociationNotFound"

    everyone = dict(ClientVpnEndpointId=id_, TargetNetworkCidr="10.75.0.0/16", AuthorizeAllGroups=True)
    assert ec2.authorize_client_vpn_ingress(**everyone)["Status"]["Code"] == "authorizing"
    assert error_code(ec2.authorize_client_vpn_ingress, **everyone) == "InvalidClientVpnDuplicateAuthorizationRule"
    ec2.authorize_client_vpn_ingress(
        ClientVpnEndpointId=id_, TargetNetworkCidr="0.0.0.0/0", AccessGroupId="ops", Description="internet"
    )
    assert error_code(ec2.authorize_client_vpn_ingress, ClientVpnEndpointId=id_, TargetNetworkCidr="10.0.0.0/8") == "MissingParameter"
    err = error(
        ec2.authorize_client_vpn_ingress,
        ClientVpnEndpointId=id_, TargetNetworkCidr="10.0.0.0/8", AccessGroupId="ops", AuthorizeAllGroups=True,
    )
    assert err["Code"] == "InvalidParameterCombination"
    assert error_code(ec2.authorize_client_vpn_ingress, ClientVpnEndpointId=id_, TargetNetworkCidr="10.0.0.0", AuthorizeAllGroups=True) == "InvalidParameterValue"
    rules = ec2.describe_client_vpn_authorization_rules(ClientVpnEndpointId=id_)["AuthorizationRules"]
    assert sorted((r["DestinationCidr"], r["AccessAll"], r["Status"]["Code"]) for r in rules) == [
        ("0.0.0.0/0", False, "active"),
        ("10.75.0.0/16", True, "active"),
    ]
    ops = ec2.describe_client_vpn_authorization_rules(
        ClientVpnEndpointId=id_, Filters=[{"Name": "group-id", "Values": ["ops"]}]
    )["AuthorizationRules"]
    assert [(r["GroupId"], r["Description"]) for r in ops] == [("ops", "internet")]
    revoke = dict(ClientVpnEndpointId=id_, TargetNetworkCidr="10.75.0.0/16", RevokeAllGroups=True)
    assert ec2.revoke_client_vpn_ingress(**revoke)["Status"]["Code"] == "revoking"
    assert error_code(ec2.revoke_client_vpn_ingress, **revoke) == "InvalidClientVpnEndpointAuthorizationRuleNotFound"

    ec2.associate_client_vpn_target_network(ClientVpnEndpointId=id_, SubnetId=a)
    assert error_code(ec2.create_client_vpn_route, **{**route, "TargetVpcSubnetId": b}) == "InvalidClientVpnSubnetId.NotFound"
    assert ec2.create_client_vpn_route(**route, Description="internet")["Status"]["Code"] == "creating"
    assert error_code(ec2.create_client_vpn_route, **route) == "InvalidClientVpnDuplicateRoute"
    routes = ec2.describe_client_vpn_routes(
        ClientVpnEndpointId=id_, Filters=[{"Name": "origin", "Values": ["add-route"]}]
    )["Routes"]
    assert [(r["DestinationCidr"], r["Type"], r["Status"]["Code"], r["Description"]) for r in routes] == [
        ("0.0.0.0/0", "Nat", "active", "internet")
    ]
    first = ec2.describe_client_vpn_routes(ClientVpnEndpointId=id_, MaxResults=5)
    assert len(first["Routes"]) == 2 and "NextToken" not in first
    vpc_route = dict(ClientVpnEndpointId=id_, DestinationCidrBlock="10.75.0.0/16")
    assert error_code(ec2.delete_client_vpn_route, **vpc_route) == "InvalidParameterValue"
    assert ec2.delete_client_vpn_route(**route)["Status"]["Code"] == "deleting"
    assert error_code(ec2.delete_client_vpn_route, **route) == "InvalidClientVpnRouteNotFound"


def test_settings_configuration_revocation_list_and_connections(ec2):
    vpc, _ = network(ec2, "10.76.0.0/16")
    id_ = create(ec2, VpcId=vpc, TransportProtocol="tcp", VpnPort=1194)["ClientVpnEndpointId"]
    text = ec2.export_client_vpn_client_configuration(ClientVpnEndpointId=id_)["ClientConfiguration"]
    lines = text.splitlines()
    assert lines[0] == "client" and "proto tcp" in lines
    assert f"remote {id_}.prod.clientvpn.{REGION}.amazonaws.com 1194" in lines

    group = ec2.create_security_group(GroupName=unique("cvpn"), Description="vpn", VpcId=vpc)["GroupId"]
    err = error(ec2.modify_client_vpn_endpoint, ClientVpnEndpointId=id_, SecurityGroupIds=[group])
    assert err["Code"] == "InvalidParameterValue"
    assert error_code(ec2.modify_client_vpn_endpoint, ClientVpnEndpointId=id_, VpnPort=80, Description="x") == "InvalidParameterValue"
    assert endpoint(ec2, id_).get("Description") is None
    ec2.modify_client_vpn_endpoint(
        ClientVpnEndpointId=id_,
        VpcId=vpc,
        SecurityGroupIds=[group],
        Description="changed",
        SplitTunnel=True,
        SessionTimeoutHours=10,
        DnsServers={"Enabled": True, "CustomDnsServers": ["10.76.0.2"]},
        ClientLoginBannerOptions={"Enabled": True, "BannerText": "authorised use only"},
        ClientConnectOptions={
            "Enabled": True,
            "LambdaFunctionArn": f"arn:aws:lambda:{REGION}:000000000000:function:AWSClientVPN-check",
        },
    )
    e = endpoint(ec2, id_)
    assert e["SecurityGroupIds"] == [group]
    assert (e["Description"], e["SplitTunnel"], e["SessionTimeoutHours"]) == ("changed", True, 10)
    assert e["DnsServers"] == ["10.76.0.2"]
    assert e["ClientLoginBannerOptions"] == {"Enabled": True, "BannerText": "authorised use only"}
    assert e["ClientConnectOptions"]["Status"]["Code"] == "applied"
    ec2.modify_client_vpn_endpoint(ClientVpnEndpointId=id_, DnsServers={"Enabled": False})
    assert "DnsServers" not in endpoint(ec2, id_)

    assert ec2.export_client_vpn_client_certificate_revocation_list(ClientVpnEndpointId=id_).get("Status") is None
    err = error(
        ec2.import_client_vpn_client_certificate_revocation_list,
        ClientVpnEndpointId=id_, CertificateRevocationList="not a crl",
    )
    assert err["Code"] == "InvalidParameterValue"
    crl = "-----BEGIN X509 CRL-----\nMIIBpzCBkAIBATANBgkqhkiG9w0BAQsFADAA\n-----END X509 CRL-----\n"
    assert ec2.import_client_vpn_client_certificate_revocation_list(
        ClientVpnEndpointId=id_, CertificateRevocationList=crl
    )["Return"] is True
    out = ec2.export_client_vpn_client_certificate_revocation_list(ClientVpnEndpointId=id_)
    assert out["CertificateRevocationList"] == crl and out["Status"]["Code"] == "active"

    assert ec2.describe_client_vpn_connections(ClientVpnEndpointId=id_)["Connections"] == []
    err = error(ec2.terminate_client_vpn_connections, ClientVpnEndpointId=id_, ConnectionId="cvpn-connection-0123")
    assert err["Code"] == "InvalidClientVpnConnection.IdNotFound"
    err = error(ec2.terminate_client_vpn_connections, ClientVpnEndpointId=id_, Username="alice")
    assert err["Code"] == "InvalidClientVpnConnection.UserNotFound"

    ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=id_)
    ec2.delete_security_group(GroupId=group)
