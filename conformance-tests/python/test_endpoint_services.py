"""VPC endpoint services, the provider side of PrivateLink, with real boto3 across two
accounts: a provider (test -> 000000000000) offers a service; a consumer
(AKIACONFORMANCE00001 -> 111111111111) sees it only once allowed, connects, waits for
acceptance; accept, reject, deletion refused while endpoints hold the service, private DNS
verification, notifications, filters and paging, and AWS's error codes."""

import botocore.exceptions
import pytest

from conftest import ACCOUNT, client, unique

OTHER_ACCOUNT = "111111111111"
OTHER_KEY = ("AKIACONFORMANCE00001", "conformance/secret/one")
NLB = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/{}/0123456789abcdef"
GWLB = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/gwy/{}/0123456789abcdef"


def error(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]


def error_code(call, *args, **kwargs):
    return error(call, *args, **kwargs)["Code"]


@pytest.fixture
def provider():
    return client("ec2")


@pytest.fixture
def consumer():
    return client("ec2", access_key=OTHER_KEY[0], secret_key=OTHER_KEY[1])


def create_service(ec2, run, **kw):
    if "GatewayLoadBalancerArns" not in kw:
        kw.setdefault("NetworkLoadBalancerArns", [NLB.format(unique("nlb")[:20])])
    kw.setdefault("TagSpecifications", [{"ResourceType": "vpc-endpoint-service", "Tags": [{"Key": "run", "Value": run}]}])
    svc = ec2.create_vpc_endpoint_service_configuration(**kw)["ServiceConfiguration"]
    return svc


def interface_endpoint(ec2, name, cidr, **kw):
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace("/16", "/24"), AvailabilityZone="us-east-1a")
    return ec2.create_vpc_endpoint(
        VpcId=vpc,
        VpcEndpointType="Interface",
        ServiceName=name,
        SubnetIds=[subnet["Subnet"]["SubnetId"]],
        **kw,
    )["VpcEndpoint"]


def endpoint_state(ec2, vpce):
    return ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]["State"]


def test_a_service_is_configured_from_load_balancers_with_aws_errors(provider):
    run = unique("svc")
    assert error_code(provider.create_vpc_endpoint_service_configuration) == "InvalidParameter"
    bad = {"NetworkLoadBalancerArns": ["arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/x/1"]}
    assert error_code(provider.create_vpc_endpoint_service_configuration, **bad) == "InvalidParameterValue"
    both = {"NetworkLoadBalancerArns": [NLB.format("a")], "GatewayLoadBalancerArns": [GWLB.format("b")]}
    assert error_code(provider.create_vpc_endpoint_service_configuration, **both) == "InvalidParameterCombination"
    wrong_type = {"NetworkLoadBalancerArns": [NLB.format("a")], "SupportedIpAddressTypes": ["ipv5"]}
    assert error_code(provider.create_vpc_endpoint_service_configuration, **wrong_type) == "InvalidParameterValue"

    svc = create_service(provider, run, AcceptanceRequired=True, PrivateDnsName="api.example.com")
    sid = svc["ServiceId"]
    assert sid.startswith("vpce-svc-") and len(sid) == len("vpce-svc-") + 17
    assert svc["ServiceName"] == f"com.amazonaws.vpce.us-east-1.{sid}"
    assert svc["ServiceState"] == "Pending"
    assert svc["ServiceType"] == [{"ServiceType": "Interface"}]
    assert svc["BaseEndpointDnsNames"] == [f"{sid}.us-east-1.vpce.amazonaws.com"]
    dns = svc["PrivateDnsNameConfiguration"]
    assert dns["State"] == "pendingVerification" and dns["Type"] == "TXT"
    assert dns["Value"].startswith("vpce:") and dns["Name"].startswith("_")

    shown = provider.describe_vpc_endpoint_service_configurations(ServiceIds=[sid])["ServiceConfigurations"][0]
    assert shown["ServiceState"] == "Available"
    assert shown["AcceptanceRequired"] is True
    assert shown["SupportedIpAddressTypes"] == ["ipv4"]
    assert shown["SupportedRegions"] == [{"Region": "us-east-1", "ServiceState": "Available"}]
    assert {"Key": "run", "Value": run} in shown["Tags"]
    assert "us-east-1a" in shown["AvailabilityZones"]

    provider.start_vpc_endpoint_service_private_dns_verification(ServiceId=sid)
    shown = provider.describe_vpc_endpoint_service_configurations(ServiceIds=[sid])["ServiceConfigurations"][0]
    assert shown["PrivateDnsNameConfiguration"]["State"] == "verified"

    provider.modify_vpc_endpoint_service_configuration(
        ServiceId=sid,
        AcceptanceRequired=False,
        AddSupportedIpAddressTypes=["ipv6"],
        AddSupportedRegions=["eu-west-1"],
        RemovePrivateDnsName=True,
    )
    shown = provider.describe_vpc_endpoint_service_configurations(ServiceIds=[sid])["ServiceConfigurations"][0]
    assert shown["AcceptanceRequired"] is False
    assert shown["SupportedIpAddressTypes"] == ["ipv4", "ipv6"]
    assert [r["Region"] for r in shown["SupportedRegions"]] == ["us-east-1", "eu-west-1"]
    assert "PrivateDnsName" not in shown
    combo = {"ServiceId": sid, "PrivateDnsName": "x.example.com", "RemovePrivateDnsName": True}
    assert error_code(provider.modify_vpc_endpoint_service_configuration, **combo) == "InvalidParameterCombination"
    last = {"ServiceId": sid, "RemoveNetworkLoadBalancerArns": shown["NetworkLoadBalancerArns"]}
    assert error_code(provider.modify_vpc_endpoint_service_configuration, **last) == "InvalidParameter"
    provider.modify_vpc_endpoint_service_payer_responsibility(ServiceId=sid, PayerResponsibility="ServiceOwner")
    shown = provider.describe_vpc_endpoint_service_configurations(ServiceIds=[sid])["ServiceConfigurations"][0]
    assert shown["PayerResponsibility"] == "ServiceOwner"

    # Filters and paging.
    for _ in range(2):
        create_service(provider, run)
    tagged = [{"Name": "tag:run", "Values": [run]}]
    first = provider.describe_vpc_endpoint_service_configurations(Filters=tagged, MaxResults=2)
    assert len(first["ServiceConfigurations"]) == 2 and "NextToken" in first
    rest = provider.describe_vpc_endpoint_service_configurations(Filters=tagged, NextToken=first["NextToken"])
    ids = [c["ServiceId"] for c in first["ServiceConfigurations"] + rest["ServiceConfigurations"]]
    assert len(ids) == 3 and sid in ids
    by_name = provider.describe_vpc_endpoint_service_configurations(
        Filters=[{"Name": "service-name", "Values": [svc["ServiceName"]]}]
    )["ServiceConfigurations"]
    assert [c["ServiceId"] for c in by_name] == [sid]

    missing = "vpce-svc-0123456789abcdef0"
    assert error_code(provider.describe_vpc_endpoint_service_configurations, ServiceIds=[missing]) == (
        "InvalidVpcEndpointServiceId.NotFound"
    )
    assert error_code(provider.describe_vpc_endpoint_service_configurations, ServiceIds=["svc-1"]) == (
        "InvalidVpcEndpointServiceId.Malformed"
    )
    assert error_code(provider.start_vpc_endpoint_service_private_dns_verification, ServiceId=sid) == "InvalidParameter"
    out = provider.delete_vpc_endpoint_service_configurations(ServiceIds=ids + [missing])
    assert [(u["ResourceId"], u["Error"]["Code"]) for u in out["Unsuccessful"]] == [
        (missing, "InvalidVpcEndpointService.NotFound")
    ]
    assert provider.describe_vpc_endpoint_service_configurations(Filters=tagged)["ServiceConfigurations"] == []


def test_another_account_connects_once_allowed_and_the_provider_answers(provider, consumer):
    run = unique("xacct")
    svc = create_service(provider, run, AcceptanceRequired=True)
    sid, name = svc["ServiceId"], svc["ServiceName"]

    # Not allowed: invisible to the consumer, and no endpoint to it.
    assert name not in consumer.describe_vpc_endpoint_services()["ServiceNames"]
    assert name in provider.describe_vpc_endpoint_services()["ServiceNames"]
    err = error(interface_endpoint, consumer, name, "10.81.0.0/16")
    assert err["Code"] == "InvalidServiceName" and name in err["Message"]

    assert error_code(
        provider.modify_vpc_endpoint_service_permissions, ServiceId=sid, AddAllowedPrincipals=["111111111111"]
    ) == "InvalidPrincipal"
    out = provider.modify_vpc_endpoint_service_permissions(
        ServiceId=sid, AddAllowedPrincipals=[f"arn:aws:iam::{OTHER_ACCOUNT}:root"]
    )
    added = out["AddedPrincipals"][0]
    assert added["PrincipalType"] == "Account" and added["ServicePermissionId"].startswith("vpce-svc-perm-")
    principals = provider.describe_vpc_endpoint_service_permissions(ServiceId=sid)["AllowedPrincipals"]
    assert [p["Principal"] for p in principals] == [f"arn:aws:iam::{OTHER_ACCOUNT}:root"]
    by_type = provider.describe_vpc_endpoint_service_permissions(
        ServiceId=sid, Filters=[{"Name": "principal-type", "Values": ["Role"]}]
    )
    assert by_type["AllowedPrincipals"] == []

    detail = consumer.describe_vpc_endpoint_services(ServiceNames=[name])["ServiceDetails"][0]
    assert detail["Owner"] == ACCOUNT and detail["AcceptanceRequired"] is True
    assert detail["ServiceType"] == [{"ServiceType": "Interface"}]

    vpce = interface_endpoint(consumer, name, "10.81.0.0/16", PrivateDnsEnabled=False)
    eid = vpce["VpcEndpointId"]
    assert vpce["State"] == "pendingAcceptance"
    assert f".{sid}.us-east-1.vpce.amazonaws.com" in vpce["DnsEntries"][0]["DnsName"]
    assert endpoint_state(consumer, eid) == "pendingAcceptance"

    conns = provider.describe_vpc_endpoint_connections(Filters=[{"Name": "service-id", "Values": [sid]}])
    [conn] = conns["VpcEndpointConnections"]
    assert (conn["VpcEndpointId"], conn["VpcEndpointOwner"], conn["VpcEndpointState"]) == (
        eid,
        OTHER_ACCOUNT,
        "pendingAcceptance",
    )
    assert conn["NetworkLoadBalancerArns"] == svc["NetworkLoadBalancerArns"]

    # The service cannot go while an endpoint waits on it.
    out = provider.delete_vpc_endpoint_service_configurations(ServiceIds=[sid])
    assert out["Unsuccessful"][0]["Error"]["Code"] == "ExistingVpcEndpointConnections"

    # The consumer cannot answer for the provider.
    assert error_code(consumer.accept_vpc_endpoint_connections, ServiceId=sid, VpcEndpointIds=[eid]) == (
        "InvalidVpcEndpointServiceId.NotFound"
    )
    out = provider.accept_vpc_endpoint_connections(ServiceId=sid, VpcEndpointIds=[eid, "vpce-0123456789abcdef0"])
    assert [(u["ResourceId"], u["Error"]["Code"]) for u in out["Unsuccessful"]] == [
        ("vpce-0123456789abcdef0", "InvalidVpcEndpointId.NotFound")
    ]
    assert endpoint_state(consumer, eid) == "available"
    states = provider.describe_vpc_endpoint_connections(
        Filters=[{"Name": "vpc-endpoint-state", "Values": ["available"]}, {"Name": "service-id", "Values": [sid]}]
    )["VpcEndpointConnections"]
    assert [c["VpcEndpointId"] for c in states] == [eid]

    assert provider.reject_vpc_endpoint_connections(ServiceId=sid, VpcEndpointIds=[eid])["Unsuccessful"] == []
    assert endpoint_state(consumer, eid) == "rejected"
    # Rejected endpoints do not hold the service.
    assert provider.delete_vpc_endpoint_service_configurations(ServiceIds=[sid])["Unsuccessful"] == []
    assert endpoint_state(consumer, eid) == "rejected"
    consumer.delete_vpc_endpoints(VpcEndpointIds=[eid])


def test_without_acceptance_an_endpoint_is_available_at_once(provider, consumer):
    run = unique("auto")
    svc = create_service(provider, run, AcceptanceRequired=False)
    sid, name = svc["ServiceId"], svc["ServiceName"]
    provider.modify_vpc_endpoint_service_permissions(ServiceId=sid, AddAllowedPrincipals=["*"])
    vpce = interface_endpoint(consumer, name, "10.82.0.0/16", PrivateDnsEnabled=False)
    assert vpce["State"] == "pending"
    assert endpoint_state(consumer, vpce["VpcEndpointId"]) == "available"
    # A Gateway endpoint does not match an Interface service.
    vpc = consumer.create_vpc(CidrBlock="10.83.0.0/16")["Vpc"]["VpcId"]
    assert error_code(consumer.create_vpc_endpoint, VpcId=vpc, ServiceName=name) == "InvalidParameter"
    out = provider.delete_vpc_endpoint_service_configurations(ServiceIds=[sid])
    assert out["Unsuccessful"][0]["Error"]["Code"] == "ExistingVpcEndpointConnections"
    consumer.delete_vpc_endpoints(VpcEndpointIds=[vpce["VpcEndpointId"]])
    assert provider.describe_vpc_endpoint_connections(Filters=[{"Name": "service-id", "Values": [sid]}])[
        "VpcEndpointConnections"
    ] == []
    assert provider.delete_vpc_endpoint_service_configurations(ServiceIds=[sid])["Unsuccessful"] == []


def test_gateway_load_balancer_services_take_gateway_load_balancer_endpoints(provider):
    svc = create_service(provider, unique("gwlb"), GatewayLoadBalancerArns=[GWLB.format("fw")], AcceptanceRequired=False)
    assert svc["ServiceType"] == [{"ServiceType": "GatewayLoadBalancer"}]
    vpc = provider.create_vpc(CidrBlock="10.84.0.0/16")["Vpc"]["VpcId"]
    subnet = provider.create_subnet(VpcId=vpc, CidrBlock="10.84.1.0/24")["Subnet"]["SubnetId"]
    assert error_code(
        provider.create_vpc_endpoint, VpcId=vpc, VpcEndpointType="Interface", ServiceName=svc["ServiceName"]
    ) == "InvalidParameter"
    vpce = provider.create_vpc_endpoint(
        VpcId=vpc, VpcEndpointType="GatewayLoadBalancer", ServiceName=svc["ServiceName"], SubnetIds=[subnet]
    )["VpcEndpoint"]
    assert vpce["VpcEndpointType"] == "GatewayLoadBalancer"
    assert endpoint_state(provider, vpce["VpcEndpointId"]) == "available"
    provider.delete_vpc_endpoints(VpcEndpointIds=[vpce["VpcEndpointId"]])
    provider.delete_vpc_endpoint_service_configurations(ServiceIds=[svc["ServiceId"]])


def test_connection_notifications_name_a_topic_and_events(provider):
    svc = create_service(provider, unique("nfn"))
    sid = svc["ServiceId"]
    topic = "arn:aws:sns:us-east-1:000000000000:endpoint-events"
    n = provider.create_vpc_endpoint_connection_notification(
        ServiceId=sid, ConnectionNotificationArn=topic, ConnectionEvents=["Connect", "Accept"]
    )["ConnectionNotification"]
    nid = n["ConnectionNotificationId"]
    assert nid.startswith("vpce-nfn-")
    assert (n["ConnectionNotificationType"], n["ConnectionNotificationState"]) == ("Topic", "Enabled")
    assert error_code(
        provider.create_vpc_endpoint_connection_notification,
        ServiceId=sid,
        ConnectionNotificationArn=topic,
        ConnectionEvents=["Bogus"],
    ) == "InvalidParameterValue"
    assert error_code(
        provider.create_vpc_endpoint_connection_notification,
        ServiceId="vpce-svc-0123456789abcdef0",
        ConnectionNotificationArn=topic,
        ConnectionEvents=["Connect"],
    ) == "InvalidVpcEndpointServiceId.NotFound"
    provider.modify_vpc_endpoint_connection_notification(ConnectionNotificationId=nid, ConnectionEvents=["Reject"])
    shown = provider.describe_vpc_endpoint_connection_notifications(
        Filters=[{"Name": "service-id", "Values": [sid]}]
    )["ConnectionNotificationSet"]
    assert [(x["ConnectionNotificationId"], x["ConnectionEvents"]) for x in shown] == [(nid, ["Reject"])]
    assert error_code(
        provider.describe_vpc_endpoint_connection_notifications, ConnectionNotificationId="vpce-nfn-0123456789abcdef0"
    ) == "InvalidConnectionNotification"
    out = provider.delete_vpc_endpoint_connection_notifications(ConnectionNotificationIds=[nid])
    assert out["Unsuccessful"] == []
    provider.delete_vpc_endpoint_service_configurations(ServiceIds=[sid])
