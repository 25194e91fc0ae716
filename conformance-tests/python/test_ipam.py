"""IPAM with boto3: an IPAM with its default scopes, pools with provisioned CIDRs and
allocation rules, VPCs whose blocks a pool chooses (CreateVpc and
AssociateVpcCidrBlock, IPv4 and IPv6), allocations released with the VPC, and AWS's
refusals on the way."""

import botocore.exceptions
import pytest

from conftest import client

REGION = "ca-central-1"


@pytest.fixture
def ec2():
    return client("ec2", region=REGION)


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


@pytest.fixture
def ipam(ec2):
    ipam = ec2.create_ipam(OperatingRegions=[{"RegionName": REGION}])["Ipam"]
    yield ipam
    ec2.delete_ipam(IpamId=ipam["IpamId"], Cascade=True)


def pool(ec2, scope, cidr=None, **kw):
    p = ec2.create_ipam_pool(IpamScopeId=scope, **kw)["IpamPool"]["IpamPoolId"]
    if cidr:
        ec2.provision_ipam_pool_cidr(IpamPoolId=p, Cidr=cidr)
    return p


def test_ipam_scopes_and_lookups(ec2, ipam):
    assert ipam["IpamId"].startswith("ipam-") and ipam["ScopeCount"] == 2
    assert ipam["IpamArn"].endswith(f":ipam/{ipam['IpamId']}")
    assert ipam["State"] == "create-in-progress"
    scopes = ec2.describe_ipam_scopes(Filters=[{"Name": "ipam-arn", "Values": [ipam["IpamArn"]]}])["IpamScopes"]
    assert sorted((s["IpamScopeType"], s["IsDefault"]) for s in scopes) == [("private", True), ("public", True)]
    assert error(ec2.describe_ipams, IpamIds=["ipam-0123456789abcdef0"]) == (
        "InvalidIpamId.NotFound",
        "The IPAM (ipam-0123456789abcdef0) does not exist.",
    )
    assert error(ec2.describe_ipam_pools, IpamPoolIds=["ipam-pool-0123456789abcdef0"])[0] == "InvalidIpamPoolId.NotFound"
    assert error(ec2.create_ipam, DryRun=True)[0] == "DryRunOperation"
    custom = ec2.create_ipam_scope(IpamId=ipam["IpamId"], Description="extra")["IpamScope"]
    assert custom["IsDefault"] is False and custom["IpamScopeType"] == "private"
    assert error(ec2.delete_ipam_scope, IpamScopeId=ipam["PrivateDefaultScopeId"])[0] == "InvalidParameterValue"
    ec2.delete_ipam_scope(IpamScopeId=custom["IpamScopeId"])
    assert error(ec2.delete_ipam_scope, IpamScopeId=custom["IpamScopeId"])[0] == "InvalidIpamScopeId.NotFound"


def test_pools_allocate_for_vpcs(ec2, ipam):
    scope = ipam["PrivateDefaultScopeId"]
    top = pool(ec2, scope, "10.0.0.0/8", AddressFamily="ipv4")
    child = pool(
        ec2, scope, AddressFamily="ipv4", Locale=REGION, SourceIpamPoolId=top,
        AllocationMinNetmaskLength=16, AllocationMaxNetmaskLength=24,
    )
    ec2.provision_ipam_pool_cidr(IpamPoolId=child, NetmaskLength=16)
    cidrs = ec2.get_ipam_pool_cidrs(IpamPoolId=child)["IpamPoolCidrs"]
    assert [c["Cidr"] for c in cidrs] == ["10.0.0.0/16"]
    parent = ec2.get_ipam_pool_allocations(IpamPoolId=top)["IpamPoolAllocations"]
    assert [(a["Cidr"], a["ResourceType"], a["ResourceId"]) for a in parent] == [("10.0.0.0/16", "ipam-pool", child)]

    assert error(ec2.create_vpc, Ipv4IpamPoolId=child, Ipv4NetmaskLength=26)[0] == "InvalidParameterValue"
    code, _ = error(ec2.create_vpc, Ipv4IpamPoolId=child)
    assert code == "InvalidParameterCombination"
    vpc = ec2.create_vpc(Ipv4IpamPoolId=child, Ipv4NetmaskLength=24)["Vpc"]
    assert vpc["CidrBlock"] == "10.0.0.0/24"
    more = ec2.associate_vpc_cidr_block(VpcId=vpc["VpcId"], Ipv4IpamPoolId=child, Ipv4NetmaskLength=24)
    assert more["CidrBlockAssociation"]["CidrBlock"] == "10.0.1.0/24"
    held = ec2.get_ipam_pool_allocations(IpamPoolId=child, Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])
    assert sorted(a["Cidr"] for a in held["IpamPoolAllocations"]) == ["10.0.0.0/24", "10.0.1.0/24"]
    code, message = error(ec2.delete_ipam_pool, IpamPoolId=child)
    assert code == "IncorrectState" and vpc["VpcId"] in message

    taken = ec2.allocate_ipam_pool_cidr(IpamPoolId=child, Cidr="10.0.5.0/24", Description="kept")["IpamPoolAllocation"]
    assert error(ec2.allocate_ipam_pool_cidr, IpamPoolId=child, Cidr="10.0.5.0/25")[0] == "InvalidParameterValue"
    assert error(ec2.allocate_ipam_pool_cidr, IpamPoolId=child, Cidr="10.1.0.0/24")[0] == "InvalidParameterValue"
    preview = ec2.allocate_ipam_pool_cidr(IpamPoolId=child, NetmaskLength=24, PreviewNextCidr=True)
    assert preview["IpamPoolAllocation"]["Cidr"] == "10.0.2.0/24"
    ec2.release_ipam_pool_allocation(
        IpamPoolId=child, IpamPoolAllocationId=taken["IpamPoolAllocationId"], Cidr="10.0.5.0/24"
    )

    ec2.delete_vpc(VpcId=vpc["VpcId"])
    assert ec2.get_ipam_pool_allocations(IpamPoolId=child)["IpamPoolAllocations"] == []


def test_ipv6_from_an_amazon_pool(ec2, ipam):
    public = pool(
        ec2, ipam["PublicDefaultScopeId"], AddressFamily="ipv6", Locale=REGION,
        AwsService="ec2", PublicIpSource="amazon",
    )
    provisioned = ec2.provision_ipam_pool_cidr(IpamPoolId=public, NetmaskLength=52)["IpamPoolCidr"]
    assert provisioned["Cidr"].endswith("/52")
    vpc = ec2.create_vpc(CidrBlock="172.16.0.0/24", Ipv6IpamPoolId=public, Ipv6NetmaskLength=56)["Vpc"]
    v6 = ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]
    assert v6["Ipv6CidrBlock"].endswith("/56") and v6["Ipv6Pool"] == "IPAM Managed"
    ec2.disassociate_vpc_cidr_block(AssociationId=v6["AssociationId"])
    assert ec2.get_ipam_pool_allocations(IpamPoolId=public)["IpamPoolAllocations"] == []
    ec2.delete_vpc(VpcId=vpc["VpcId"])
