"""VPC Block Public Access with real boto3: the account's mode (default-state, then
update-in-progress -> update-complete), exclusions for a VPC or a subnet with their
lifecycle (create-, update-, delete-), filters, paging, tags, DryRun and AWS's refusals.

The mode is account-wide per Region: these tests use a Region of their own and set the
mode back to off, so that other suites sharing the nimbus see nothing."""

import botocore.exceptions
import pytest

from conftest import client, unique

REGION = "ap-southeast-2"


def error(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


@pytest.fixture
def ec2():
    return client("ec2", region=REGION)


def options(ec2):
    return ec2.describe_vpc_block_public_access_options()["VpcBlockPublicAccessOptions"]


def test_the_mode_is_account_wide_and_settles(ec2):
    first = options(ec2)
    assert first["AwsAccountId"] == "000000000000" and first["AwsRegion"] == REGION
    assert first["InternetGatewayBlockMode"] == "off"
    assert first["State"] in ("default-state", "update-complete")
    assert first["ManagedBy"] == "account" and first["ExclusionsAllowed"] == "allowed"
    try:
        assert error(ec2.modify_vpc_block_public_access_options, InternetGatewayBlockMode="block-ingress", DryRun=True)[0] == "DryRunOperation"
        assert options(ec2)["InternetGatewayBlockMode"] == "off"
        changed = ec2.modify_vpc_block_public_access_options(InternetGatewayBlockMode="block-bidirectional")[
            "VpcBlockPublicAccessOptions"
        ]
        assert changed["State"] == "update-in-progress"
        assert changed["InternetGatewayBlockMode"] == "block-bidirectional"
        now = options(ec2)
        assert now["State"] == "update-complete" and now["InternetGatewayBlockMode"] == "block-bidirectional"
        assert "LastUpdateTimestamp" in now
        # VPCs and subnets show the mode in force for them, exclusions counted.
        vpc = ec2.create_vpc(CidrBlock="10.82.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.82.1.0/24")["Subnet"]["SubnetId"]
        shown = lambda: (
            ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["BlockPublicAccessStates"]["InternetGatewayBlockMode"],
            ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["BlockPublicAccessStates"]["InternetGatewayBlockMode"],
        )
        assert shown() == ("block-bidirectional", "block-bidirectional")
        xid = ec2.create_vpc_block_public_access_exclusion(SubnetId=subnet, InternetGatewayExclusionMode="allow-egress")[
            "VpcBlockPublicAccessExclusion"
        ]["ExclusionId"]
        assert shown() == ("block-bidirectional", "block-ingress")
        ec2.delete_vpc_block_public_access_exclusion(ExclusionId=xid)
        ec2.delete_subnet(SubnetId=subnet)
        ec2.delete_vpc(VpcId=vpc)
        code, _ = error(ec2.modify_vpc_block_public_access_options, InternetGatewayBlockMode="block-all")
        assert code == "InvalidParameterValue"
        # Another Region keeps its own mode.
        assert client("ec2", region="ap-southeast-1").describe_vpc_block_public_access_options()[
            "VpcBlockPublicAccessOptions"
        ]["InternetGatewayBlockMode"] == "off"
    finally:
        ec2.modify_vpc_block_public_access_options(InternetGatewayBlockMode="off")
    assert options(ec2)["InternetGatewayBlockMode"] == "off"


def test_exclusions_for_a_vpc_and_a_subnet(ec2):
    run = unique("bpa")
    vpc = ec2.create_vpc(CidrBlock="10.81.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.81.1.0/24")["Subnet"]["SubnetId"]
    made = ec2.create_vpc_block_public_access_exclusion(
        VpcId=vpc,
        InternetGatewayExclusionMode="allow-egress",
        TagSpecifications=[{"ResourceType": "vpc-block-public-access-exclusion", "Tags": [{"Key": "run", "Value": run}]}],
    )["VpcBlockPublicAccessExclusion"]
    xid = made["ExclusionId"]
    assert xid.startswith("vpcbpa-exclude-")
    assert made["State"] == "create-in-progress"
    assert made["ResourceArn"] == f"arn:aws:ec2:{REGION}:000000000000:vpc/{vpc}"
    assert made["Tags"] == [{"Key": "run", "Value": run}]
    assert "CreationTimestamp" in made and "DeletionTimestamp" not in made

    assert error(ec2.create_vpc_block_public_access_exclusion, VpcId=vpc, InternetGatewayExclusionMode="allow-egress")[0] == "InvalidParameterValue"
    assert error(
        ec2.create_vpc_block_public_access_exclusion, VpcId=vpc, SubnetId=subnet, InternetGatewayExclusionMode="allow-egress"
    )[0] == "InvalidParameterCombination"
    assert error(ec2.create_vpc_block_public_access_exclusion, InternetGatewayExclusionMode="allow-egress")[0] == "MissingParameter"
    assert error(
        ec2.create_vpc_block_public_access_exclusion, VpcId="vpc-0123456789abcdef0", InternetGatewayExclusionMode="allow-egress"
    )[0] == "InvalidVpcID.NotFound"
    assert error(
        ec2.create_vpc_block_public_access_exclusion, SubnetId="subnet-0123456789abcdef0", InternetGatewayExclusionMode="allow-egress"
    )[0] == "InvalidSubnetID.NotFound"
    assert error(
        ec2.create_vpc_block_public_access_exclusion, SubnetId=subnet, InternetGatewayExclusionMode="allow-egress", DryRun=True
    )[0] == "DryRunOperation"

    sub = ec2.create_vpc_block_public_access_exclusion(SubnetId=subnet, InternetGatewayExclusionMode="allow-bidirectional")[
        "VpcBlockPublicAccessExclusion"
    ]
    assert sub["ResourceArn"].endswith(f":subnet/{subnet}")
    try:
        both = ec2.describe_vpc_block_public_access_exclusions(ExclusionIds=[xid, sub["ExclusionId"]])[
            "VpcBlockPublicAccessExclusions"
        ]
        assert sorted(e["State"] for e in both) == ["create-complete", "create-complete"]
        tagged = ec2.describe_vpc_block_public_access_exclusions(Filters=[{"Name": "tag:run", "Values": [run]}])[
            "VpcBlockPublicAccessExclusions"
        ]
        assert [e["ExclusionId"] for e in tagged] == [xid]
        by_arn = ec2.describe_vpc_block_public_access_exclusions(
            Filters=[{"Name": "resource-arn", "Values": [sub["ResourceArn"]]}]
        )["VpcBlockPublicAccessExclusions"]
        assert [e["ExclusionId"] for e in by_arn] == [sub["ExclusionId"]]
        assert error(ec2.describe_vpc_block_public_access_exclusions, ExclusionIds=["vpcbpa-exclude-0123456789abcdef0"])[0] == (
            "InvalidVpcBlockPublicAccessExclusionId.NotFound"
        )
        assert error(ec2.describe_vpc_block_public_access_exclusions, Filters=[{"Name": "colour", "Values": ["x"]}])[0] == "InvalidParameterValue"

        changed = ec2.modify_vpc_block_public_access_exclusion(ExclusionId=xid, InternetGatewayExclusionMode="allow-bidirectional")[
            "VpcBlockPublicAccessExclusion"
        ]
        assert changed["State"] == "update-in-progress"
        now = ec2.describe_vpc_block_public_access_exclusions(ExclusionIds=[xid])["VpcBlockPublicAccessExclusions"][0]
        assert now["State"] == "update-complete" and now["InternetGatewayExclusionMode"] == "allow-bidirectional"
        assert error(
            ec2.modify_vpc_block_public_access_exclusion, ExclusionId=xid, InternetGatewayExclusionMode="allow-nothing"
        )[0] == "InvalidParameterValue"

        ec2.create_tags(Resources=[xid], Tags=[{"Key": "more", "Value": "yes"}])
        described = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [xid]}])["Tags"]
        assert {t["ResourceType"] for t in described} == {"vpc-block-public-access-exclusion"}
    finally:
        gone = ec2.delete_vpc_block_public_access_exclusion(ExclusionId=xid)["VpcBlockPublicAccessExclusion"]
        assert gone["State"] == "delete-in-progress" and "DeletionTimestamp" in gone
        after = ec2.describe_vpc_block_public_access_exclusions(ExclusionIds=[xid])["VpcBlockPublicAccessExclusions"][0]
        assert after["State"] == "delete-complete"
        code, message = error(ec2.delete_vpc_block_public_access_exclusion, ExclusionId=xid)
        assert code == "InvalidParameterValue" and "is in delete-complete state and cannot be deleted" in message
        ec2.delete_subnet(SubnetId=subnet)
        # The subnet's exclusion went with it.
        after = ec2.describe_vpc_block_public_access_exclusions(ExclusionIds=[sub["ExclusionId"]])["VpcBlockPublicAccessExclusions"]
        assert after[0]["State"] == "delete-complete"
        ec2.delete_vpc(VpcId=vpc)


def test_exclusions_page(ec2):
    vpcs = [ec2.create_vpc(CidrBlock=f"10.{90 + i}.0.0/16")["Vpc"]["VpcId"] for i in range(6)]
    ids = []
    try:
        for vpc in vpcs:
            ids.append(
                ec2.create_vpc_block_public_access_exclusion(VpcId=vpc, InternetGatewayExclusionMode="allow-egress")[
                    "VpcBlockPublicAccessExclusion"
                ]["ExclusionId"]
            )
        seen, token = [], None
        while True:
            kw = {"NextToken": token} if token else {}
            page = ec2.describe_vpc_block_public_access_exclusions(
                Filters=[{"Name": "state", "Values": ["create-complete"]}], MaxResults=5, **kw
            )
            assert len(page["VpcBlockPublicAccessExclusions"]) <= 5
            seen += [e["ExclusionId"] for e in page["VpcBlockPublicAccessExclusions"]]
            token = page.get("NextToken")
            if not token:
                break
        assert set(ids) <= set(seen)
    finally:
        for xid in ids:
            ec2.delete_vpc_block_public_access_exclusion(ExclusionId=xid)
        for vpc in vpcs:
            ec2.delete_vpc(VpcId=vpc)
