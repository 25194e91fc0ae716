"""Transit gateway peering with real boto3: a request to another account's gateway in
another region, accepted with that account's credentials (AKIACONFORMANCE00001 ->
111111111111), static routes over it, the error paths, and a peering within one
region that gives the accepter an attachment of its own."""

import botocore.exceptions
import pytest

from conftest import client

OTHER_KEY = ("AKIACONFORMANCE00001", "conformance/secret/one")
OTHER_ACCOUNT = "111111111111"


def error(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def new_tgw(ec2):
    return ec2.create_transit_gateway(Description="peering")["TransitGateway"]["TransitGatewayId"]


def shown(ec2, attachment):
    out = ec2.describe_transit_gateway_peering_attachments(TransitGatewayAttachmentIds=[attachment])
    return out["TransitGatewayPeeringAttachments"][0]


def test_cross_account_cross_region_peering():
    mine = client("ec2", region="ap-northeast-1")
    theirs = client("ec2", region="ap-northeast-2", access_key=OTHER_KEY[0], secret_key=OTHER_KEY[1])
    hub, spoke = new_tgw(mine), new_tgw(theirs)
    out = mine.create_transit_gateway_peering_attachment(
        TransitGatewayId=hub,
        PeerTransitGatewayId=spoke,
        PeerAccountId=OTHER_ACCOUNT,
        PeerRegion="ap-northeast-2",
        TagSpecifications=[{"ResourceType": "transit-gateway-attachment", "Tags": [{"Key": "Name", "Value": "hub"}]}],
    )["TransitGatewayPeeringAttachment"]
    attachment = out["TransitGatewayAttachmentId"]
    assert out["State"] == "initiatingRequest"
    assert out["RequesterTgwInfo"] == {"TransitGatewayId": hub, "OwnerId": "000000000000", "Region": "ap-northeast-1"}
    assert out["AccepterTgwInfo"] == {"TransitGatewayId": spoke, "OwnerId": OTHER_ACCOUNT, "Region": "ap-northeast-2"}

    # Both sides see it waiting for the peer's answer.
    assert shown(mine, attachment)["State"] == "pendingAcceptance"
    seen = shown(theirs, attachment)
    assert seen["State"] == "pendingAcceptance" and seen["Status"]["Message"] == "Pending Acceptance"
    listed = theirs.describe_transit_gateway_attachments(
        Filters=[{"Name": "resource-type", "Values": ["peering"]}, {"Name": "transit-gateway-id", "Values": [spoke]}]
    )["TransitGatewayAttachments"]
    assert [(a["TransitGatewayAttachmentId"], a["ResourceId"]) for a in listed] == [(attachment, hub)]

    # Only the peer accepts; a route over it waits until it is available.
    code, message = error(mine.accept_transit_gateway_peering_attachment, TransitGatewayAttachmentId=attachment)
    assert (code, message) == ("InvalidParameterValue", f"Cannot accept {attachment} as the source of the peering request.")
    table = mine.describe_transit_gateways(TransitGatewayIds=[hub])["TransitGateways"][0]["Options"][
        "AssociationDefaultRouteTableId"
    ]
    code, _ = error(
        mine.associate_transit_gateway_route_table, TransitGatewayRouteTableId=table, TransitGatewayAttachmentId=attachment
    )
    assert code == "IncorrectState"
    code, _ = error(theirs.accept_transit_gateway_peering_attachment, TransitGatewayAttachmentId=attachment, DryRun=True)
    assert code == "DryRunOperation"
    accepted = theirs.accept_transit_gateway_peering_attachment(TransitGatewayAttachmentId=attachment)
    assert accepted["TransitGatewayPeeringAttachment"]["State"] == "pending"
    assert shown(mine, attachment)["State"] == "available"
    assert shown(theirs, attachment)["State"] == "available"
    code, _ = error(theirs.accept_transit_gateway_peering_attachment, TransitGatewayAttachmentId=attachment)
    assert code == "IncorrectState"

    route = mine.create_transit_gateway_route(
        TransitGatewayRouteTableId=table, DestinationCidrBlock="10.60.0.0/16", TransitGatewayAttachmentId=attachment
    )["Route"]
    assert route["State"] == "active" and route["TransitGatewayAttachments"][0]["ResourceType"] == "peering"
    code, _ = error(
        mine.enable_transit_gateway_route_table_propagation,
        TransitGatewayRouteTableId=table,
        TransitGatewayAttachmentId=attachment,
    )
    assert code == "InvalidParameterValue"
    code, message = error(mine.delete_transit_gateway, TransitGatewayId=hub)
    assert code == "IncorrectState" and "Cross Region Peering Attachments" in message

    filtered = theirs.describe_transit_gateway_peering_attachments(
        Filters=[{"Name": "remote-owner-id", "Values": ["000000000000"]}, {"Name": "state", "Values": ["available"]}]
    )["TransitGatewayPeeringAttachments"]
    assert [a["TransitGatewayAttachmentId"] for a in filtered] == [attachment]
    assert shown(mine, attachment)["Tags"] == [{"Key": "Name", "Value": "hub"}]

    # The peer deletes it: gone for both, the route now leads nowhere.
    theirs.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=attachment)
    assert shown(mine, attachment)["State"] == "deleted"
    routes = mine.search_transit_gateway_routes(
        TransitGatewayRouteTableId=table, Filters=[{"Name": "type", "Values": ["static"]}]
    )["Routes"]
    assert [r["State"] for r in routes] == ["blackhole"]
    code, _ = error(mine.delete_transit_gateway_peering_attachment, TransitGatewayAttachmentId=attachment)
    assert code == "InvalidTransitGatewayAttachmentID.NotFound"
    mine.delete_transit_gateway(TransitGatewayId=hub)
    theirs.delete_transit_gateway(TransitGatewayId=spoke)


def test_peering_errors_and_a_peering_within_one_region():
    ec2 = client("ec2", region="ap-south-1")
    a, b = new_tgw(ec2), new_tgw(ec2)

    def request(peer=b, account="000000000000", region="ap-south-1", **kw):
        return ec2.create_transit_gateway_peering_attachment(
            TransitGatewayId=a, PeerTransitGatewayId=peer, PeerAccountId=account, PeerRegion=region, **kw
        )["TransitGatewayPeeringAttachment"]

    assert error(request, peer=a)[0] == "InvalidParameterValue"
    assert error(request, region="atlantis-1")[0] == "InvalidParameterValue"
    assert error(request, account="123")[0] == "InvalidParameterValue"
    assert error(request, peer="tgw-0123456789abcdef0") == (
        "InvalidTransitGatewayID.NotFound",
        "Transit Gateway tgw-0123456789abcdef0 was deleted or does not exist.",
    )
    assert error(request, DryRun=True)[0] == "DryRunOperation"
    assert error(
        ec2.describe_transit_gateway_peering_attachments, TransitGatewayAttachmentIds=["tgw-attach-0123456789abcdef0"]
    ) == (
        "InvalidTransitGatewayAttachmentID.NotFound",
        "Transit Gateway Peering Attachment tgw-attach-0123456789abcdef0 was deleted or does not exist.",
    )
    # A gateway that does not exist in another region fails the attachment, not the call.
    failed = request(peer="tgw-0123456789abcdef0", region="ap-southeast-1")["TransitGatewayAttachmentId"]
    assert shown(ec2, failed)["State"] == "failed"

    requester = request(Options={"DynamicRouting": "disable"})["TransitGatewayAttachmentId"]
    accepter = shown(ec2, requester)["AccepterTransitGatewayAttachmentId"]
    assert accepter != requester and shown(ec2, accepter)["State"] == "pendingAcceptance"
    ec2.reject_transit_gateway_peering_attachment(TransitGatewayAttachmentId=accepter)
    assert shown(ec2, requester)["State"] == "rejected"

    pages = ec2.get_paginator("describe_transit_gateway_peering_attachments").paginate(
        PaginationConfig={"PageSize": 5}
    )
    assert sum(len(p["TransitGatewayPeeringAttachments"]) for p in pages) == 3
    ec2.delete_transit_gateway(TransitGatewayId=a)
    ec2.delete_transit_gateway(TransitGatewayId=b)
