"""Transit Gateway multicast with boto3: domains on a gateway with multicast support,
subnet associations of a VPC attachment, group members and sources, the search and
AWS's refusals."""

import botocore.exceptions
import pytest

from conftest import client


@pytest.fixture
def ec2():
    return client("ec2", region="ca-central-1")


def code(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"]


def test_domain_associations_and_groups(ec2):
    plain = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    assert code(ec2.create_transit_gateway_multicast_domain, TransitGatewayId=plain) == "InvalidParameterValue"
    tgw = ec2.create_transit_gateway(Options={"MulticastSupport": "enable"})["TransitGateway"]["TransitGatewayId"]
    vpc = ec2.create_vpc(CidrBlock="10.67.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.67.1.0/24")["Subnet"]["SubnetId"]
    attachment = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[subnet])
    attachment = attachment["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    enis = [ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"] for _ in range(2)]

    tags = [{"ResourceType": "transit-gateway-multicast-domain", "Tags": [{"Key": "suite", "Value": "mcast"}]}]
    d = ec2.create_transit_gateway_multicast_domain(
        TransitGatewayId=tgw, Options={"StaticSourcesSupport": "enable"}, TagSpecifications=tags
    )["TransitGatewayMulticastDomain"]
    domain = d["TransitGatewayMulticastDomainId"]
    assert d["Options"]["StaticSourcesSupport"] == "enable" and d["Options"]["Igmpv2Support"] == "disable"
    found = ec2.describe_transit_gateway_multicast_domains(Filters=[{"Name": "tag:suite", "Values": ["mcast"]}])
    assert [x["State"] for x in found["TransitGatewayMulticastDomains"]] == ["available"]

    out = ec2.associate_transit_gateway_multicast_domain(
        TransitGatewayMulticastDomainId=domain, TransitGatewayAttachmentId=attachment, SubnetIds=[subnet]
    )["Associations"]
    assert (out["ResourceId"], out["Subnets"][0]["State"]) == (vpc, "associating")
    rows = ec2.get_transit_gateway_multicast_domain_associations(TransitGatewayMulticastDomainId=domain)
    assert [(r["Subnet"]["SubnetId"], r["Subnet"]["State"]) for r in rows["MulticastDomainAssociations"]] == [
        (subnet, "associated")
    ]
    assert code(
        ec2.accept_transit_gateway_multicast_domain_associations,
        TransitGatewayMulticastDomainId=domain,
        TransitGatewayAttachmentId=attachment,
    ) == ("InvalidTransitGatewayMulticastDomainAssociation.NotFound")

    member = dict(TransitGatewayMulticastDomainId=domain, GroupIpAddress="224.0.0.5")
    assert code(ec2.register_transit_gateway_multicast_group_members, **{**member, "GroupIpAddress": "10.0.0.5"},
                NetworkInterfaceIds=[enis[0]]) == "InvalidParameterValue"
    ec2.register_transit_gateway_multicast_group_members(NetworkInterfaceIds=[enis[0]], **member)
    ec2.register_transit_gateway_multicast_group_sources(NetworkInterfaceIds=[enis[1]], **member)
    groups = ec2.search_transit_gateway_multicast_groups(
        TransitGatewayMulticastDomainId=domain,
        Filters=[{"Name": "is-group-source", "Values": ["true"]}],
    )["MulticastGroups"]
    assert [(g["NetworkInterfaceId"], g["GroupSource"], g["SourceType"]) for g in groups] == [(enis[1], True, "static")]
    assert code(ec2.delete_transit_gateway_multicast_domain, TransitGatewayMulticastDomainId=domain) == (
        "DependencyViolation"
    )

    ec2.deregister_transit_gateway_multicast_group_members(NetworkInterfaceIds=[enis[0]], **member)
    assert code(ec2.deregister_transit_gateway_multicast_group_members, NetworkInterfaceIds=[enis[0]], **member) == (
        "TransitGatewayMulticastGroupMember.NotFound"
    )
    ec2.deregister_transit_gateway_multicast_group_sources(NetworkInterfaceIds=[enis[1]], **member)
    out = ec2.disassociate_transit_gateway_multicast_domain(
        TransitGatewayMulticastDomainId=domain, TransitGatewayAttachmentId=attachment, SubnetIds=[subnet]
    )
    assert out["Associations"]["Subnets"][0]["State"] == "disassociating"
    ec2.delete_transit_gateway_multicast_domain(TransitGatewayMulticastDomainId=domain)
    gone = ec2.describe_transit_gateway_multicast_domains(TransitGatewayMulticastDomainIds=[domain])
    assert gone["TransitGatewayMulticastDomains"][0]["State"] == "deleted"
    assert code(ec2.search_transit_gateway_multicast_groups, TransitGatewayMulticastDomainId=domain) == (
        "InvalidTransitGatewayMulticastDomainId.NotFound"
    )

    ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=attachment)
    for e in enis:
        ec2.delete_network_interface(NetworkInterfaceId=e)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)
    for g in (tgw, plain):
        ec2.delete_transit_gateway(TransitGatewayId=g)
