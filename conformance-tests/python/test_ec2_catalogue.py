"""EC2's first calls, from real data: regions and availability zones, the instance-type
catalogue and where each type is offered."""

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
    assert types == {"availability-zone", "local-zone", "wavelength-zone"}
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


def _all_types(ec2, **kw):
    pages = ec2.get_paginator("describe_instance_types").paginate(PaginationConfig={"PageSize": 100}, **kw)
    return [t for page in pages for t in page["InstanceTypes"]]


def test_describe_instance_types_pages_over_the_whole_catalogue():
    ec2 = client("ec2")
    offered = _all_types(ec2)
    names = [t["InstanceType"] for t in offered]
    assert len(names) == len(set(names)) >= 900
    assert {"t1.micro", "m1.small", "m4.large", "c6a.large", "p5.48xlarge"} <= set(names)
    everything = _all_types(ec2, IncludeUnsupportedInRegion=True)
    assert len(everything) >= 1300
    assert {t["InstanceType"]: t["SupportedInRegion"] for t in everything}["m1.small"] is True
    m4 = ec2.describe_instance_types(InstanceTypes=["m4.large"])["InstanceTypes"][0]
    assert m4["VCpuInfo"]["DefaultVCpus"] == 2 and m4["MemoryInfo"]["SizeInMiB"] == 8192
    assert m4["Hypervisor"] == "xen" and m4["CurrentGeneration"] is False
    frankfurt = client("ec2", region="eu-central-1").describe_instance_types(InstanceTypes=["t1.micro"])["InstanceTypes"]
    assert frankfurt[0]["SupportedInRegion"] is False


def test_describe_instance_types_filters_cli():
    out = aws_cli("ec2", "describe-instance-types", "--region", "us-east-1", "--filters",
                  "Name=processor-info.manufacturer,Values=AMD", "Name=vcpu-info.default-vcpus,Values=2",
                  "Name=bare-metal,Values=false")
    names = {t["InstanceType"] for t in out["InstanceTypes"]}
    assert "c6a.large" in names and "t3a.small" in names
    assert all(t["ProcessorInfo"]["Manufacturer"] == "AMD" for t in out["InstanceTypes"])
    gpus = client("ec2").describe_instance_types(Filters=[{"Name": "instance-type", "Values": ["p5.*"]}])["InstanceTypes"]
    p5 = {t["InstanceType"]: t for t in gpus}["p5.48xlarge"]
    assert p5["GpuInfo"]["Gpus"][0]["Name"] == "H100" and p5["GpuInfo"]["Gpus"][0]["Count"] == 8


def test_old_generations_run_where_aws_offers_them():
    ec2 = client("ec2")
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"]
    image = max(images, key=lambda i: i["CreationDate"])["ImageId"]
    ids = []
    try:
        for t in ["m4.large", "t1.micro"]:
            inst = ec2.run_instances(ImageId=image, InstanceType=t, MinCount=1, MaxCount=1)["Instances"][0]
            ids.append(inst["InstanceId"])
            assert inst["InstanceType"] == t
            offers = ec2.describe_instance_type_offerings(LocationType="availability-zone",
                                                          Filters=[{"Name": "instance-type", "Values": [t]}])
            assert inst["Placement"]["AvailabilityZone"] in {o["Location"] for o in offers["InstanceTypeOfferings"]}
    finally:
        if ids:
            ec2.terminate_instances(InstanceIds=ids)
    ohio = client("ec2", region="us-east-2")
    images = ohio.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])["Images"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ohio.run_instances(ImageId=images[0]["ImageId"], InstanceType="t1.micro", MinCount=1, MaxCount=1)
    assert e.value.response["Error"]["Code"] == "Unsupported"
