"""Transit Gateway Connect attachments and peers, and policy tables, with real boto3:
their lifecycles, the inside-CIDR rules (a /29 of 169.254.0.0/16 outside AWS's reserved
blocks), the gateway address taken from the gateway's CIDR block, and the error paths."""

import botocore.exceptions
import pytest

from conftest import client


def error(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


@pytest.fixture
def ec2():
    return client("ec2", region="ca-central-1")


def transport(ec2, second_octet):
    tgw = ec2.create_transit_gateway(Options={"TransitGatewayCidrBlocks": [f"10.{second_octet}.0.0/24"]})
    tgw = tgw["TransitGateway"]["TransitGatewayId"]
    vpc = ec2.create_vpc(CidrBlock=f"10.{second_octet}.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{second_octet}.1.0/24")["Subnet"]["SubnetId"]
    attachment = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[subnet])
    return tgw, attachment["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]


def test_connect_attachment_and_peers(ec2):
    tgw, vpc_attachment = transport(ec2, 71)
    assert error(ec2.create_transit_gateway_connect, TransportTransitGatewayAttachmentId=vpc_attachment,
                 Options={"Protocol": "gre"}, DryRun=True)[0] == "DryRunOperation"
    connect = ec2.create_transit_gateway_connect(
        TransportTransitGatewayAttachmentId=vpc_attachment,
        Options={"Protocol": "gre"},
        TagSpecifications=[{"ResourceType": "transit-gateway-attachment", "Tags": [{"Key": "Name", "Value": "sdwan"}]}],
    )["TransitGatewayConnect"]
    attachment = connect["TransitGatewayAttachmentId"]
    shown = ec2.describe_transit_gateway_connects(
        Filters=[{"Name": "transport-transit-gateway-attachment-id", "Values": [vpc_attachment]}]
    )["TransitGatewayConnects"]
    assert [(c["TransitGatewayAttachmentId"], c["State"], c["Tags"]) for c in shown] == [
        (attachment, "available", [{"Key": "Name", "Value": "sdwan"}])
    ]

    def new_peer(blocks, **kw):
        return ec2.create_transit_gateway_connect_peer(
            TransitGatewayAttachmentId=attachment, PeerAddress="192.0.2.1", InsideCidrBlocks=blocks, **kw
        )["TransitGatewayConnectPeer"]

    for blocks in (["169.254.5.0/29"], ["169.254.6.0/30"], ["172.16.0.0/29"]):
        assert error(new_peer, blocks)[0] == "InvalidParameterValue", blocks
    code, _ = error(new_peer, ["169.254.6.0/29"], TransitGatewayAddress="10.200.0.1")
    assert code == "InvalidParameterValue"
    peer = new_peer(
        ["169.254.6.0/29"],
        BgpOptions={"PeerAsn": 65001},
        TagSpecifications=[{"ResourceType": "transit-gateway-connect-peer", "Tags": [{"Key": "k", "Value": "v"}]}],
    )
    config = peer["ConnectPeerConfiguration"]
    assert config["TransitGatewayAddress"] == "10.71.0.0" and config["Protocol"] == "gre"
    assert [(b["TransitGatewayAddress"], b["PeerAddress"], b["PeerAsn"], b["TransitGatewayAsn"], b["BgpStatus"])
            for b in config["BgpConfigurations"]] == [
        ("169.254.6.2", "169.254.6.1", 65001, 64512, "down"),
        ("169.254.6.3", "169.254.6.1", 65001, 64512, "down"),
    ]
    assert error(new_peer, ["169.254.6.0/29"])[0] == "InvalidParameterValue"
    peer_id = peer["TransitGatewayConnectPeerId"]
    listed = ec2.describe_transit_gateway_connect_peers(Filters=[{"Name": "tag:k", "Values": ["v"]}])
    assert [p["TransitGatewayConnectPeerId"] for p in listed["TransitGatewayConnectPeers"]] == [peer_id]

    code, message = error(ec2.delete_transit_gateway_connect, TransitGatewayAttachmentId=attachment)
    assert code == "IncorrectState" and peer_id in message
    code, _ = error(ec2.delete_transit_gateway_vpc_attachment, TransitGatewayAttachmentId=vpc_attachment)
    assert code == "IncorrectState"
    ec2.delete_transit_gateway_connect_peer(TransitGatewayConnectPeerId=peer_id)
    assert ec2.delete_transit_gateway_connect(TransitGatewayAttachmentId=attachment)["TransitGatewayConnect"][
        "State"
    ] == "deleting"
    assert error(ec2.delete_transit_gateway_connect_peer, TransitGatewayConnectPeerId=peer_id) == (
        "InvalidTransitGatewayConnectPeerID.NotFound",
        f"Transit Gateway Connect Peer {peer_id} was deleted or does not exist.",
    )
    code, _ = error(
        ec2.create_transit_gateway_connect, TransportTransitGatewayAttachmentId=attachment, Options={"Protocol": "gre"}
    )
    assert code == "InvalidTransitGatewayAttachmentID.NotFound"
    ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=vpc_attachment)
    ec2.delete_transit_gateway(TransitGatewayId=tgw)


def test_policy_tables(ec2):
    tgw, attachment = transport(ec2, 72)
    table = ec2.create_transit_gateway_policy_table(
        TransitGatewayId=tgw,
        TagSpecifications=[{"ResourceType": "transit-gateway-policy-table", "Tags": [{"Key": "Name", "Value": "p"}]}],
    )["TransitGatewayPolicyTable"]
    table_id = table["TransitGatewayPolicyTableId"]
    assert table["State"] == "pending"
    shown = ec2.describe_transit_gateway_policy_tables(TransitGatewayPolicyTableIds=[table_id])
    assert shown["TransitGatewayPolicyTables"][0]["State"] == "available"
    association = ec2.associate_transit_gateway_policy_table(
        TransitGatewayPolicyTableId=table_id, TransitGatewayAttachmentId=attachment
    )["Association"]
    assert association["State"] == "associating" and association["ResourceType"] == "vpc"
    got = ec2.get_transit_gateway_policy_table_associations(
        TransitGatewayPolicyTableId=table_id, Filters=[{"Name": "transit-gateway-attachment-id", "Values": [attachment]}]
    )["Associations"]
    assert [a["State"] for a in got] == ["associated"]
    entries = ec2.get_transit_gateway_policy_table_entries(TransitGatewayPolicyTableId=table_id)
    assert entries["TransitGatewayPolicyTableEntries"] == []
    assert error(ec2.delete_transit_gateway_policy_table, TransitGatewayPolicyTableId=table_id)[0] == "IncorrectState"
    ec2.disassociate_transit_gateway_policy_table(TransitGatewayPolicyTableId=table_id, TransitGatewayAttachmentId=attachment)
    ec2.delete_transit_gateway_policy_table(TransitGatewayPolicyTableId=table_id)
    missing = "tgw-ptb-0123456789abcdef0"
    assert error(ec2.describe_transit_gateway_policy_tables, TransitGatewayPolicyTableIds=[missing]) == (
        "InvalidTransitGatewayPolicyTableId.NotFound",
        f"Transit Gateway Policy Table {missing} was deleted or does not exist.",
    )
    assert error(ec2.create_transit_gateway_policy_table, TransitGatewayId="tgw-0123456789abcdef0")[0] == (
        "InvalidTransitGatewayID.NotFound"
    )
    ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=attachment)
    ec2.delete_transit_gateway(TransitGatewayId=tgw)
