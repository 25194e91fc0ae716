"""VPC Route Server with real boto3: route servers on their lifecycle, one VPC per
route server (and one route server per VPC), endpoints holding an AWS-managed interface
in their subnet, BGP peers at addresses of that subnet, propagation into the VPC's route
tables, the (empty) routing database, dependency refusals, tags, paging and DryRun."""

import time

import botocore.exceptions
import pytest

from conftest import client, unique


def error(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def wait(read, want, timeout=60):
    deadline = time.time() + timeout
    while True:
        got = read()
        if got == want or time.time() > deadline:
            return got
        time.sleep(0.5)


@pytest.fixture
def ec2():
    return client("ec2")


def rs_state(ec2, rs):
    return ec2.describe_route_servers(RouteServerIds=[rs])["RouteServers"][0]["State"]


def test_route_server_settings_lifecycle_and_errors(ec2):
    run = unique("rs")
    code, _ = error(ec2.create_route_server, AmazonSideAsn=65000, DryRun=True)
    assert code == "DryRunOperation"
    made = ec2.create_route_server(
        AmazonSideAsn=65000,
        PersistRoutes="enable",
        PersistRoutesDuration=3,
        TagSpecifications=[{"ResourceType": "route-server", "Tags": [{"Key": "run", "Value": run}]}],
    )["RouteServer"]
    rs = made["RouteServerId"]
    assert rs.startswith("rs-")
    assert made["State"] == "pending" and made["PersistRoutesState"] == "enabled"
    assert made["PersistRoutesDuration"] == 3 and made["SnsNotificationsEnabled"] is False
    assert "SnsTopicArn" not in made
    assert wait(lambda: rs_state(ec2, rs), "available") == "available"

    changed = ec2.modify_route_server(RouteServerId=rs, PersistRoutes="disable", SnsNotificationsEnabled=True)
    assert changed["RouteServer"]["State"] == "modifying"
    assert wait(lambda: rs_state(ec2, rs), "available") == "available"
    shown = ec2.describe_route_servers(Filters=[{"Name": "tag:run", "Values": [run]}])["RouteServers"]
    assert [s["RouteServerId"] for s in shown] == [rs]
    assert shown[0]["PersistRoutesState"] == "disabled" and "PersistRoutesDuration" not in shown[0]
    assert shown[0]["SnsTopicArn"].startswith("arn:aws:sns:us-east-1:")

    code, _ = error(ec2.create_route_server, AmazonSideAsn=0)
    assert code == "InvalidParameterValue"
    code, _ = error(ec2.create_route_server, AmazonSideAsn=65000, PersistRoutes="enable", PersistRoutesDuration=9)
    assert code == "InvalidParameterValue"
    code, _ = error(ec2.describe_route_servers, RouteServerIds=["rs-0123456789abcdef0"])
    assert code == "InvalidRouteServerId.NotFound"
    code, message = error(ec2.get_route_server_associations, RouteServerId=rs)
    assert code == "InvalidRouteServerId.NotAssociated"
    assert message == f"Route Server {rs} is not associated with a VPC."

    gone = ec2.delete_route_server(RouteServerId=rs)["RouteServer"]
    assert gone["State"] == "deleting"
    assert wait(lambda: rs_state(ec2, rs), "deleted") == "deleted"
    code, _ = error(ec2.delete_route_server, RouteServerId=rs)
    assert code == "InvalidRouteServerId.NotFound"


def test_paging_route_servers(ec2):
    run = unique("rs-page")
    tag = [{"ResourceType": "route-server", "Tags": [{"Key": "page", "Value": run}]}]
    made = [ec2.create_route_server(AmazonSideAsn=65000 + i, TagSpecifications=tag)["RouteServer"]["RouteServerId"]
            for i in range(6)]
    try:
        seen, token = [], None
        while True:
            kw = {"MaxResults": 5, "Filters": [{"Name": "tag:page", "Values": [run]}]}
            if token:
                kw["NextToken"] = token
            page = ec2.describe_route_servers(**kw)
            seen += [s["RouteServerId"] for s in page["RouteServers"]]
            token = page.get("NextToken")
            if not token:
                break
        assert sorted(seen) == sorted(made)
    finally:
        for rs in made:
            wait(lambda: rs_state(ec2, rs), "available")
            ec2.delete_route_server(RouteServerId=rs)


def test_association_endpoint_peer_and_propagation(ec2):
    run = unique("rs-net")
    vpc = ec2.create_vpc(CidrBlock="10.82.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.82.1.0/24")["Subnet"]["SubnetId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    rs = ec2.create_route_server(AmazonSideAsn=65010)["RouteServer"]["RouteServerId"]
    wait(lambda: rs_state(ec2, rs), "available")

    code, _ = error(ec2.create_route_server_endpoint, RouteServerId=rs, SubnetId=subnet)
    assert code == "InvalidRouteServerId.NotAssociated"
    assoc = ec2.associate_route_server(RouteServerId=rs, VpcId=vpc)["RouteServerAssociation"]
    assert assoc == {"RouteServerId": rs, "VpcId": vpc, "State": "associating"}
    read = lambda: ec2.get_route_server_associations(RouteServerId=rs)["RouteServerAssociations"][0]["State"]
    assert wait(read, "associated") == "associated"
    other = ec2.create_route_server(AmazonSideAsn=65011)["RouteServer"]["RouteServerId"]
    wait(lambda: rs_state(ec2, other), "available")
    code, _ = error(ec2.associate_route_server, RouteServerId=other, VpcId=vpc)
    assert code == "Resource.AlreadyAssociated"
    ec2.delete_route_server(RouteServerId=other)

    prop = ec2.enable_route_server_propagation(RouteServerId=rs, RouteTableId=rtb)["RouteServerPropagation"]
    assert prop["State"] == "pending"
    read = lambda: ec2.get_route_server_propagations(RouteServerId=rs)["RouteServerPropagations"][0]["State"]
    assert wait(read, "available") == "available"

    endpoint = ec2.create_route_server_endpoint(
        RouteServerId=rs,
        SubnetId=subnet,
        TagSpecifications=[{"ResourceType": "route-server-endpoint", "Tags": [{"Key": "run", "Value": run}]}],
    )["RouteServerEndpoint"]
    rse, eni = endpoint["RouteServerEndpointId"], endpoint["EniId"]
    assert rse.startswith("rse-") and endpoint["State"] == "pending"
    assert endpoint["VpcId"] == vpc and endpoint["EniAddress"].startswith("10.82.1.")
    nic = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    assert nic["RequesterManaged"] is True and nic["PrivateIpAddress"] == endpoint["EniAddress"]
    code, _ = error(ec2.delete_subnet, SubnetId=subnet)
    assert code == "DependencyViolation"
    read = lambda: ec2.describe_route_server_endpoints(RouteServerEndpointIds=[rse])["RouteServerEndpoints"][0]["State"]
    assert wait(read, "available") == "available"

    bgp = {"PeerAsn": 65200, "PeerLivenessDetection": "bfd"}
    code, _ = error(ec2.create_route_server_peer, RouteServerEndpointId=rse, PeerAddress="10.82.2.9", BgpOptions=bgp)
    assert code == "InvalidParameterValue"
    peer = ec2.create_route_server_peer(RouteServerEndpointId=rse, PeerAddress="10.82.1.250", BgpOptions=bgp)[
        "RouteServerPeer"
    ]
    rsp = peer["RouteServerPeerId"]
    assert rsp.startswith("rsp-") and peer["State"] == "pending"
    assert peer["BgpOptions"] == bgp and peer["BgpStatus"] == {"Status": "down"}
    assert peer["EndpointEniId"] == eni and peer["RouteServerId"] == rs and peer["SubnetId"] == subnet
    read = lambda: ec2.describe_route_server_peers(RouteServerPeerIds=[rsp])["RouteServerPeers"][0]["State"]
    assert wait(read, "available") == "available"
    db = ec2.get_route_server_routing_database(RouteServerId=rs)
    assert db["Routes"] == [] and db["AreRoutesPersisted"] is False

    code, _ = error(ec2.delete_route_server_endpoint, RouteServerEndpointId=rse)
    assert code == "IncorrectState"
    code, _ = error(ec2.disassociate_route_server, RouteServerId=rs, VpcId=vpc)
    assert code == "IncorrectState"
    code, _ = error(ec2.delete_route_server, RouteServerId=rs)
    assert code == "IncorrectState"
    code, _ = error(ec2.delete_vpc, VpcId=vpc)
    assert code == "DependencyViolation"

    # Tear down in dependency order, each step waiting for the one before.
    assert ec2.delete_route_server_peer(RouteServerPeerId=rsp)["RouteServerPeer"]["State"] == "deleting"
    assert wait(read, "deleted") == "deleted"
    ec2.delete_route_server_endpoint(RouteServerEndpointId=rse)
    code, _ = error(ec2.describe_network_interfaces, NetworkInterfaceIds=[eni])
    assert code == "InvalidNetworkInterfaceID.NotFound"
    read = lambda: ec2.describe_route_server_endpoints(RouteServerEndpointIds=[rse])["RouteServerEndpoints"][0]["State"]
    assert wait(read, "deleted") == "deleted"
    ec2.disable_route_server_propagation(RouteServerId=rs, RouteTableId=rtb)
    assert wait(lambda: ec2.get_route_server_propagations(RouteServerId=rs)["RouteServerPropagations"], []) == []
    code, _ = error(ec2.get_route_server_propagations, RouteServerId=rs, RouteTableId=rtb)
    assert code == "InvalidRouteServerId.NotPropagated"
    ec2.disassociate_route_server(RouteServerId=rs, VpcId=vpc)

    def associations():
        try:
            return ec2.get_route_server_associations(RouteServerId=rs)["RouteServerAssociations"]
        except botocore.exceptions.ClientError as e:
            return e.response["Error"]["Code"]

    assert wait(associations, "InvalidRouteServerId.NotAssociated") == "InvalidRouteServerId.NotAssociated"
    ec2.delete_route_server(RouteServerId=rs)
    ec2.delete_route_table(RouteTableId=rtb)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)
