"""Network Insights (Reachability Analyzer) with real boto3: a two-tier VPC where
analyses answer whether web reaches db, db reaches the internet through a NAT gateway,
the internet reaches web through the internet gateway, and db reaches VPCs joined by a
peering connection and a transit gateway; a blocked path names its blocking component
with AWS's explanation code. Then the error paths. Runs in a Region of its own."""

import itertools

import botocore.exceptions
import pytest

from conftest import client, unique

REGION = "eu-north-1"
_tokens = itertools.count()


def error_code(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def ec2():
    return client("ec2", region=REGION)


def subnet(ec2, vpc, cidr):
    return ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]


def routed(ec2, vpc, subnet_id, **route):
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet_id)
    if route:
        ec2.create_route(RouteTableId=rtb, **route)
    return rtb


def group(ec2, vpc, name, port, **peer):
    sg = ec2.create_security_group(VpcId=vpc, GroupName=unique(name), Description=name)["GroupId"]
    permission = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **peer}
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[permission])
    return sg


def launch(ec2, image, subnet_id, sg, public):
    nic = {"DeviceIndex": 0, "SubnetId": subnet_id, "Groups": [sg], "AssociatePublicIpAddress": public}
    out = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", NetworkInterfaces=[nic])
    return out["Instances"][0]["InstanceId"]


def analyze(ec2, source, destination, port):
    path = ec2.create_network_insights_path(
        Source=source, Destination=destination, Protocol="tcp", DestinationPort=port,
        TagSpecifications=[{"ResourceType": "network-insights-path", "Tags": [{"Key": "Name", "Value": "probe"}]}],
    )["NetworkInsightsPath"]
    started = ec2.start_network_insights_analysis(
        NetworkInsightsPathId=path["NetworkInsightsPathId"], ClientToken=f"nia-{next(_tokens)}-{unique('t')}"
    )["NetworkInsightsAnalysis"]
    assert started["Status"] == "running"
    nia = started["NetworkInsightsAnalysisId"]
    out = ec2.describe_network_insights_analyses(NetworkInsightsAnalysisIds=[nia])["NetworkInsightsAnalyses"][0]
    assert out["Status"] == "succeeded", out
    return out


def ids(components):
    return [c["Component"]["Id"] for c in components]


def blocked(analysis, code):
    assert analysis["NetworkPathFound"] is False, analysis
    explanation = analysis["Explanations"][0]
    assert explanation["ExplanationCode"] == code, analysis["Explanations"]
    return explanation


@pytest.fixture(scope="module")
def net(ec2):
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])
    image = image["Images"][0]["ImageId"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    public, private = subnet(ec2, vpc, "10.0.1.0/24"), subnet(ec2, vpc, "10.0.2.0/24")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    routed(ec2, vpc, public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat], WaiterConfig={"Delay": 1})
    private_rtb = routed(ec2, vpc, private, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    web_sg = group(ec2, vpc, "web", 80, IpRanges=[{"CidrIp": "0.0.0.0/0"}])
    db_sg = group(ec2, vpc, "db", 5432, UserIdGroupPairs=[{"GroupId": web_sg}])
    web = launch(ec2, image, public, web_sg, True)
    db = launch(ec2, image, private, db_sg, False)
    return dict(image=image, vpc=vpc, public=public, private=private, igw=igw, nat=nat,
                private_rtb=private_rtb, web=web, db=db, web_sg=web_sg, db_sg=db_sg)


def test_web_reaches_db_on_its_port_only(ec2, net):
    a = analyze(ec2, net["web"], net["db"], 5432)
    assert a["NetworkPathFound"] is True
    forward = ids(a["ForwardPathComponents"])
    assert forward[0] == net["web"] and forward[-1] == net["db"], forward
    assert net["db_sg"] in forward and net["web_sg"] in forward
    assert [c["SequenceNumber"] for c in a["ForwardPathComponents"]] == list(range(1, len(forward) + 1))
    header = a["ForwardPathComponents"][0]["OutboundHeader"]
    assert header["Protocol"] == "6" and header["DestinationPortRanges"] == [{"From": 5432, "To": 5432}]
    assert a["ReturnPathComponents"][0]["Component"]["Id"] == net["db"]
    explanation = blocked(analyze(ec2, net["web"], net["db"], 3306), "ENI_SG_RULES_MISMATCH")
    assert explanation["Component"]["Id"] == net["db_sg"] and explanation["Direction"] == "ingress"
    # db's group references web's group, not db's own: db cannot reach db's peers.
    blocked(analyze(ec2, net["db"], net["web"], 5432), "ENI_SG_RULES_MISMATCH")


def test_a_network_acl_blocks_with_its_rule(ec2, net):
    vpc = net["vpc"]
    extra = subnet(ec2, vpc, "10.0.3.0/24")
    app = launch(ec2, net["image"], extra, net["web_sg"], False)
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow",
                                 Egress=True, CidrBlock="0.0.0.0/0")
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [extra]}])["NetworkAcls"]
    association = [a for a in acls[0]["Associations"] if a["SubnetId"] == extra][0]["NetworkAclAssociationId"]
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)
    explanation = blocked(analyze(ec2, app, net["db"], 5432), "SUBNET_ACL_RESTRICTION")
    # The answers coming back into the subnet meet the `*` rule.
    assert explanation["Acl"]["Id"] == acl and explanation["Direction"] == "ingress"
    assert explanation["AclRule"]["RuleNumber"] == 32767
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow",
                                 Egress=False, CidrBlock="10.0.0.0/16", PortRange={"From": 1024, "To": 65535})
    assert analyze(ec2, app, net["db"], 5432)["NetworkPathFound"] is True


def test_the_internet_through_the_internet_gateway_and_the_nat_gateway(ec2, net):
    a = analyze(ec2, net["igw"], net["web"], 80)
    assert a["NetworkPathFound"] is True and ids(a["ForwardPathComponents"])[0] == net["igw"]
    explanation = blocked(analyze(ec2, net["igw"], net["db"], 5432), "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS")
    assert explanation["InternetGateway"]["Id"] == net["igw"]
    out = analyze(ec2, net["db"], net["igw"], 443)
    assert out["NetworkPathFound"] is True
    forward = ids(out["ForwardPathComponents"])
    assert net["nat"] in forward and forward[-1] == net["igw"], forward
    # A private subnet without a way out: no route.
    isolated = subnet(ec2, net["vpc"], "10.0.4.0/24")
    routed(ec2, net["vpc"], isolated)
    lonely = launch(ec2, net["image"], isolated, net["db_sg"], False)
    explanation = blocked(analyze(ec2, lonely, net["igw"], 443), "NO_ROUTE_TO_DESTINATION")
    assert explanation["RouteTable"]["Id"] != net["private_rtb"]


def test_across_a_peering_connection(ec2, net):
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    far = subnet(ec2, other, "10.1.1.0/24")
    pcx = ec2.create_vpc_peering_connection(VpcId=net["vpc"], PeerVpcId=other)
    pcx = pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ec2.create_route(RouteTableId=net["private_rtb"], DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=pcx)
    api_sg = group(ec2, other, "api", 8080, IpRanges=[{"CidrIp": "10.0.0.0/16"}])
    api = launch(ec2, net["image"], far, api_sg, False)
    # Only one side routes: the answers find no way back.
    explanation = blocked(analyze(ec2, net["db"], api, 8080), "NO_ROUTE_TO_DESTINATION")
    far_rtb = explanation["RouteTable"]["Id"]
    ec2.create_route(RouteTableId=far_rtb, DestinationCidrBlock="10.0.0.0/16", VpcPeeringConnectionId=pcx)
    a = analyze(ec2, net["db"], api, 8080)
    assert a["NetworkPathFound"] is True and pcx in ids(a["ForwardPathComponents"])


def test_through_a_transit_gateway(ec2, net):
    tgw = ec2.create_transit_gateway(Description="hub")["TransitGateway"]["TransitGatewayId"]
    other = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    far = subnet(ec2, other, "10.2.1.0/24")
    for vpc, s in ((net["vpc"], net["private"]), (other, far)):
        ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[s])
    ec2.create_route(RouteTableId=net["private_rtb"], DestinationCidrBlock="10.2.0.0/16", TransitGatewayId=tgw)
    routed(ec2, other, far, DestinationCidrBlock="10.0.0.0/16", TransitGatewayId=tgw)
    svc_sg = group(ec2, other, "svc", 443, IpRanges=[{"CidrIp": "10.0.0.0/8"}])
    svc = launch(ec2, net["image"], far, svc_sg, False)
    a = analyze(ec2, net["db"], svc, 443)
    assert a["NetworkPathFound"] is True, a.get("Explanations")
    assert tgw in ids(a["ForwardPathComponents"])
    table = ec2.describe_transit_gateways(TransitGatewayIds=[tgw])["TransitGateways"][0]["Options"]
    table = table["AssociationDefaultRouteTableId"]
    ec2.create_transit_gateway_route(TransitGatewayRouteTableId=table, DestinationCidrBlock="10.2.1.0/24",
                                     Blackhole=True)
    explanation = blocked(analyze(ec2, net["db"], svc, 443), "TGW_RTB_BAD_STATE_ROUTE")
    assert explanation["TransitGatewayRouteTable"]["Id"] == table


def test_paths_and_analyses_errors_filters_and_deletion(ec2, net):
    assert error_code(ec2.create_network_insights_path, Source=net["web"], Protocol="tcp") == "MissingParameter"
    assert error_code(ec2.create_network_insights_path, Source="i-0123456789abcdef0", Destination=net["db"],
                      Protocol="tcp") == "NetworkInsightsSource.NotFound"
    assert error_code(ec2.create_network_insights_path, Source=net["web"], Destination=net["db"],
                      Protocol="tcp", SourceIp="10.0.1.5", FilterAtSource={"SourceAddress": "10.0.1.5"}) \
        == "InvalidParameterCombination"
    assert error_code(ec2.describe_network_insights_paths, NetworkInsightsPathIds=["nip-0123456789abcdef0"]) \
        == "InvalidNetworkInsightsPathId.NotFound"
    assert error_code(ec2.start_network_insights_analysis, NetworkInsightsPathId="nip-0123456789abcdef0") \
        == "InvalidNetworkInsightsPathId.NotFound"
    arn = f"arn:aws:ec2:{REGION}:000000000000:instance/{net['db']}"
    path = ec2.create_network_insights_path(Source=net["web"], Destination=arn, Protocol="tcp",
                                            FilterAtSource={"DestinationPortRange": {"FromPort": 5000, "ToPort": 6000}})
    path = path["NetworkInsightsPath"]
    nip = path["NetworkInsightsPathId"]
    assert path["Destination"] == net["db"] and path["DestinationArn"] == arn
    assert path["FilterAtSource"]["DestinationPortRange"] == {"FromPort": 5000, "ToPort": 6000}
    found = ec2.describe_network_insights_paths(Filters=[{"Name": "destination", "Values": [net["db"]]}])
    assert nip in [p["NetworkInsightsPathId"] for p in found["NetworkInsightsPaths"]]
    nia = ec2.start_network_insights_analysis(NetworkInsightsPathId=nip)["NetworkInsightsAnalysis"]
    nia = nia["NetworkInsightsAnalysisId"]
    done = ec2.describe_network_insights_analyses(NetworkInsightsPathId=nip)["NetworkInsightsAnalyses"][0]
    # Only 5432 of 5000-6000 gets through db's group: the path found is narrowed to it.
    last = done["ForwardPathComponents"][-1]["InboundHeader"]
    assert last["DestinationPortRanges"] == [{"From": 5432, "To": 5432}]
    paged = ec2.describe_network_insights_analyses(MaxResults=1, Filters=[{"Name": "status", "Values": ["succeeded"]}])
    assert len(paged["NetworkInsightsAnalyses"]) == 1 and "NextToken" in paged
    assert error_code(ec2.delete_network_insights_path, NetworkInsightsPathId=nip) \
        == "AnalysisExistsForNetworkInsightsPath"
    ec2.delete_network_insights_analysis(NetworkInsightsAnalysisId=nia)
    ec2.delete_network_insights_path(NetworkInsightsPathId=nip)
    assert error_code(ec2.delete_network_insights_analysis, NetworkInsightsAnalysisId=nia) \
        == "InvalidNetworkInsightsAnalysisId.NotFound"
