"""EC2's first calls, from real data: regions and availability zones."""

import botocore.exceptions
import pytest

from conftest import aws_cli, client


def test_describe_regions_boto3():
    regions = {r["RegionName"]: r for r in client("ec2").describe_regions()["Regions"]}
    assert len(regions) >= 30
    assert regions["us-east-1"]["Endpoint"] == "ec2.us-east-1.amazonaws.com"
    assert regions["us-east-1"]["OptInStatus"] == "opt-in-not-required"
    assert regions["af-south-1"]["OptInStatus"] == "opted-in"


def test_describe_regions_filters_cli():
    out = aws_cli("ec2", "describe-regions", "--filters", "Name=region-name,Values=eu-*", "--region-names", "eu-west-1", "us-east-1")
    assert [r["RegionName"] for r in out["Regions"]] == ["eu-west-1"]


def test_describe_availability_zones_in_the_clients_region():
    zones = client("ec2", region="eu-west-1").describe_availability_zones()["AvailabilityZones"]
    assert [z["ZoneName"] for z in zones] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert all(z["ZoneId"].startswith("euw1-az") and z["State"] == "available" for z in zones)
    assert all(z["ZoneType"] == "availability-zone" and z["RegionName"] == "eu-west-1" for z in zones)


def test_describe_availability_zones_cli_by_id_and_all():
    out = aws_cli("ec2", "describe-availability-zones", "--region", "us-east-1", "--all-availability-zones")
    types = {z["ZoneType"] for z in out["AvailabilityZones"]}
    assert types == {"availability-zone", "local-zone"}
    local = [z for z in out["AvailabilityZones"] if z["ZoneType"] == "local-zone"]
    assert all(z["ParentZoneId"].startswith("use1-az") for z in local)
    one = aws_cli("ec2", "describe-availability-zones", "--region", "us-east-1", "--zone-ids", "use1-az1")
    assert [z["ZoneId"] for z in one["AvailabilityZones"]] == ["use1-az1"]


def test_unknown_zone_and_filter_errors():
    ec2 = client("ec2")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_availability_zones(ZoneNames=["us-east-1z"])
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_regions(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "no-such-filter" in e.value.response["Error"]["Message"]


def test_dry_run():
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client("ec2").describe_regions(DryRun=True)
    assert e.value.response["Error"]["Code"] == "DryRunOperation"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
