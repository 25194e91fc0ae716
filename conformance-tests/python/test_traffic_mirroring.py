"""Traffic Mirroring with boto3: filters and their rules, targets, sessions; the
refusals AWS documents (rule already exists, filter or target in use, sessions per
interface), filters, paging and DryRun."""

import botocore.exceptions
import pytest

from conftest import client

NLB = "arn:aws:elasticloadbalancing:sa-east-1:000000000000:loadbalancer/net/sink/0123456789abcdef"


@pytest.fixture
def ec2():
    return client("ec2", region="sa-east-1")


def code(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"]


@pytest.fixture
def net(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.61.1.0/24")["Subnet"]["SubnetId"]
    enis = [ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"] for _ in range(2)]
    yield enis
    for e in enis:
        ec2.delete_network_interface(NetworkInterfaceId=e)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def rule(filter_id, direction="ingress", number=10, **kw):
    return {
        "TrafficMirrorFilterId": filter_id,
        "TrafficDirection": direction,
        "RuleNumber": number,
        "RuleAction": "accept",
        "SourceCidrBlock": "0.0.0.0/0",
        "DestinationCidrBlock": "10.61.0.0/16",
        **kw,
    }


def test_filters_and_rules(ec2):
    tags = [{"ResourceType": "traffic-mirror-filter", "Tags": [{"Key": "suite", "Value": "mirroring"}]}]
    f = ec2.create_traffic_mirror_filter(Description="web", TagSpecifications=tags)["TrafficMirrorFilter"]
    fid = f["TrafficMirrorFilterId"]
    assert fid.startswith("tmf-") and f["IngressFilterRules"] == [] and f["NetworkServices"] == []
    ports = {"FromPort": 443, "ToPort": 443}
    r = ec2.create_traffic_mirror_filter_rule(**rule(fid, Protocol=6, DestinationPortRange=ports))
    rid = r["TrafficMirrorFilterRule"]["TrafficMirrorFilterRuleId"]
    assert r["TrafficMirrorFilterRule"]["DestinationPortRange"] == ports
    ec2.create_traffic_mirror_filter_rule(**rule(fid, "egress", 10))
    assert code(ec2.create_traffic_mirror_filter_rule, **rule(fid)) == "TrafficMirrorFilterRuleAlreadyExists"
    assert code(ec2.create_traffic_mirror_filter_rule, **rule(fid, number=32767)) == "InvalidParameterValue"
    assert code(ec2.create_traffic_mirror_filter_rule, **rule(fid, number=5, SourceCidrBlock="::/0")) == (
        "InvalidParameterCombination"
    )
    assert code(ec2.create_traffic_mirror_filter_rule, **rule(fid, number=5, DestinationPortRange=ports)) == (
        "InvalidParameterCombination"
    )
    assert code(ec2.create_traffic_mirror_filter_rule, **rule("tmf-0123456789abcdef0")) == (
        "InvalidTrafficMirrorFilterId.NotFound"
    )

    out = ec2.modify_traffic_mirror_filter_network_services(TrafficMirrorFilterId=fid, AddNetworkServices=["amazon-dns"])
    assert out["TrafficMirrorFilter"]["NetworkServices"] == ["amazon-dns"]
    m = ec2.modify_traffic_mirror_filter_rule(
        TrafficMirrorFilterRuleId=rid, RuleAction="reject", RemoveFields=["destination-port-range", "protocol"]
    )["TrafficMirrorFilterRule"]
    assert m["RuleAction"] == "reject" and "Protocol" not in m and "DestinationPortRange" not in m

    shown = ec2.describe_traffic_mirror_filters(Filters=[{"Name": "tag:suite", "Values": ["mirroring"]}])
    [f] = [x for x in shown["TrafficMirrorFilters"] if x["TrafficMirrorFilterId"] == fid]
    assert [x["TrafficMirrorFilterRuleId"] for x in f["IngressFilterRules"]] == [rid]
    assert len(f["EgressFilterRules"]) == 1
    rules = ec2.describe_traffic_mirror_filter_rules(
        TrafficMirrorFilterId=fid, Filters=[{"Name": "rule-action", "Values": ["reject"]}]
    )["TrafficMirrorFilterRules"]
    assert [x["TrafficMirrorFilterRuleId"] for x in rules] == [rid]
    assert code(ec2.describe_traffic_mirror_filters, Filters=[{"Name": "bogus", "Values": ["x"]}]) == (
        "InvalidParameterValue"
    )
    assert code(ec2.create_traffic_mirror_filter, DryRun=True) == "DryRunOperation"

    ec2.delete_traffic_mirror_filter_rule(TrafficMirrorFilterRuleId=rid)
    assert code(ec2.delete_traffic_mirror_filter_rule, TrafficMirrorFilterRuleId=rid) == (
        "InvalidTrafficMirrorFilterRuleId.NotFound"
    )
    ec2.delete_traffic_mirror_filter(TrafficMirrorFilterId=fid)
    assert code(ec2.describe_traffic_mirror_filters, TrafficMirrorFilterIds=[fid]) == (
        "InvalidTrafficMirrorFilterId.NotFound"
    )


def test_targets_and_sessions(ec2, net):
    source, sink = net
    fid = ec2.create_traffic_mirror_filter()["TrafficMirrorFilter"]["TrafficMirrorFilterId"]
    t = ec2.create_traffic_mirror_target(NetworkInterfaceId=sink, Description="sink")["TrafficMirrorTarget"]
    assert (t["Type"], t["OwnerId"]) == ("network-interface", "000000000000")
    nlb = ec2.create_traffic_mirror_target(NetworkLoadBalancerArn=NLB)["TrafficMirrorTarget"]
    assert nlb["Type"] == "network-load-balancer"
    assert code(ec2.create_traffic_mirror_target, NetworkInterfaceId=sink, NetworkLoadBalancerArn=NLB) == (
        "InvalidParameterCombination"
    )
    assert code(ec2.create_traffic_mirror_target, GatewayLoadBalancerEndpointId="vpce-0123456789abcdef0") == (
        "InvalidVpcEndpointId.NotFound"
    )

    base = dict(NetworkInterfaceId=source, TrafficMirrorFilterId=fid)
    s = ec2.create_traffic_mirror_session(TrafficMirrorTargetId=t["TrafficMirrorTargetId"], SessionNumber=1, **base)
    s = s["TrafficMirrorSession"]
    assert 1 <= s["VirtualNetworkId"] <= 16777215 and "PacketLength" not in s
    s2 = ec2.create_traffic_mirror_session(TrafficMirrorTargetId=nlb["TrafficMirrorTargetId"], SessionNumber=2, **base)
    assert s2["TrafficMirrorSession"]["PacketLength"] == 8500
    assert s2["TrafficMirrorSession"]["VirtualNetworkId"] != s["VirtualNetworkId"]
    tid = t["TrafficMirrorTargetId"]
    assert code(ec2.create_traffic_mirror_session, TrafficMirrorTargetId=tid, SessionNumber=1, **base) == (
        "InvalidParameterValue"
    )
    assert code(
        ec2.create_traffic_mirror_session,
        NetworkInterfaceId=sink,
        TrafficMirrorFilterId=fid,
        TrafficMirrorTargetId=tid,
        SessionNumber=1,
    ) == ("InvalidParameterValue")
    ec2.create_traffic_mirror_session(TrafficMirrorTargetId=tid, SessionNumber=3, **base)
    assert code(ec2.create_traffic_mirror_session, TrafficMirrorTargetId=tid, SessionNumber=4, **base) == (
        "TrafficMirrorSessionsPerInterfaceLimitExceeded"
    )
    assert code(ec2.delete_traffic_mirror_filter, TrafficMirrorFilterId=fid) == "TrafficMirrorFilterInUse"
    assert code(ec2.delete_traffic_mirror_target, TrafficMirrorTargetId=tid) == "TrafficMirrorTargetInUseException"

    sid = s["TrafficMirrorSessionId"]
    m = ec2.modify_traffic_mirror_session(TrafficMirrorSessionId=sid, PacketLength=64, VirtualNetworkId=4242)
    assert (m["TrafficMirrorSession"]["PacketLength"], m["TrafficMirrorSession"]["VirtualNetworkId"]) == (64, 4242)
    m = ec2.modify_traffic_mirror_session(TrafficMirrorSessionId=sid, RemoveFields=["packet-length"])
    assert "PacketLength" not in m["TrafficMirrorSession"]
    assert code(ec2.modify_traffic_mirror_session, TrafficMirrorSessionId=sid, PacketLength=9000) == (
        "InvalidParameterValue"
    )

    mine = [{"Name": "network-interface-id", "Values": [source]}]
    pages = ec2.get_paginator("describe_traffic_mirror_sessions").paginate(
        Filters=mine, PaginationConfig={"PageSize": 5}
    )
    sessions = [x for p in pages for x in p["TrafficMirrorSessions"]]
    assert len(sessions) == 3
    found = ec2.describe_traffic_mirror_sessions(Filters=[{"Name": "virtual-network-id", "Values": ["4242"]}])
    assert [x["TrafficMirrorSessionId"] for x in found["TrafficMirrorSessions"]] == [sid]
    targets = ec2.describe_traffic_mirror_targets(Filters=[{"Name": "network-interface-id", "Values": [sink]}])
    assert [x["TrafficMirrorTargetId"] for x in targets["TrafficMirrorTargets"]] == [tid]

    for x in sessions:
        ec2.delete_traffic_mirror_session(TrafficMirrorSessionId=x["TrafficMirrorSessionId"])
    assert code(ec2.delete_traffic_mirror_session, TrafficMirrorSessionId=sid) == (
        "InvalidTrafficMirrorSessionId.NotFound"
    )
    for x in (tid, nlb["TrafficMirrorTargetId"]):
        ec2.delete_traffic_mirror_target(TrafficMirrorTargetId=x)
    ec2.delete_traffic_mirror_filter(TrafficMirrorFilterId=fid)
