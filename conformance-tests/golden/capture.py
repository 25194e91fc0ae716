"""Captures real clients' request bytes for the golden wire tests.

Run by capture.sh against a nimbus started with --capture-dir; each client call's
request (exactly as botocore serialised and signed it) is moved to
fixtures/golden/<protocol>/<NN>-<name>.request.json. The golden test
(emulator/server/tests/golden.rs) replays them and compares nimbus's answers with the
committed .response.json files (NIMBUS_BLESS=1 rewrites those)."""

import datetime
import os
import pathlib
import shutil
import sys

import botocore.exceptions

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "python"))
from conftest import client, cloudwatch_client  # noqa: E402

CAPTURE = pathlib.Path(os.environ["NIMBUS_CAPTURE_DIR"])
OUT = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "golden"
WHEN = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(minutes=5)


def take(protocol, name, call):
    before = set(CAPTURE.glob("*.json"))
    try:
        call()
    except botocore.exceptions.ClientError:
        pass
    new = sorted(set(CAPTURE.glob("*.json")) - before)
    assert len(new) == 1, f"{name}: expected one request, captured {len(new)}"
    dest = OUT / protocol
    dest.mkdir(parents=True, exist_ok=True)
    n = len(list(dest.glob("*.request.json")))
    shutil.move(new[0], dest / f"{n:02d}-{name}.request.json")


def cloudwatch(protocol, dirname):
    cw = cloudwatch_client(protocol)
    ns = "Golden/App"
    take(dirname, "put-metric-data", lambda: cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "Latency", "Value": 12.5, "Unit": "Milliseconds", "Timestamp": WHEN, "StorageResolution": 1,
         "Dimensions": [{"Name": "Service", "Value": "api"}, {"Name": "Stage", "Value": "prod & <test>"}]},
        {"MetricName": "Latency", "Values": [1.5, 2, 3], "Counts": [1, 1, 2], "Timestamp": WHEN,
         "Dimensions": [{"Name": "Service", "Value": "web"}]},
        {"MetricName": "Requests", "StatisticValues": {"SampleCount": 3, "Sum": 6, "Minimum": 1, "Maximum": 3}, "Timestamp": WHEN},
    ]))
    take(dirname, "list-metrics", lambda: cw.list_metrics(Namespace=ns))
    take(dirname, "list-metrics-by-dimension", lambda: cw.list_metrics(Namespace=ns, MetricName="Latency",
                                                                         Dimensions=[{"Name": "Service", "Value": "web"}]))
    take(dirname, "list-metrics-recently-active", lambda: cw.list_metrics(RecentlyActive="PT3H", Dimensions=[{"Name": "Stage"}]))
    take(dirname, "error-invalid-namespace", lambda: cw.put_metric_data(Namespace="AWS/EC2", MetricData=[{"MetricName": "X", "Value": 1}]))
    take(dirname, "error-mutually-exclusive", lambda: cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "X", "Value": 1, "Values": [1, 2]}]))
    take(dirname, "error-invalid-next-token", lambda: cw.list_metrics(NextToken="bogus"))
    take(dirname, "list-managed-insight-rules",
         lambda: cw.list_managed_insight_rules(ResourceARN="arn:aws:ecs:us-east-1:000000000000:service/x"))


def main():
    ec2 = client("ec2")
    take("ec2", "describe-regions", lambda: ec2.describe_regions(RegionNames=["us-east-1", "eu-west-1"]))
    take("ec2", "describe-regions-filtered", lambda: ec2.describe_regions(
        AllRegions=True, Filters=[{"Name": "opt-in-status", "Values": ["opted-in"]}, {"Name": "region-name", "Values": ["ap-*"]}]))
    take("ec2", "describe-availability-zones", lambda: ec2.describe_availability_zones(ZoneNames=["us-east-1a", "us-east-1b"]))
    take("ec2", "describe-availability-zones-local", lambda: ec2.describe_availability_zones(
        AllAvailabilityZones=True, Filters=[{"Name": "zone-type", "Values": ["local-zone"]}, {"Name": "group-name", "Values": ["*-bos-*"]}]))
    take("ec2", "error-unknown-zone", lambda: ec2.describe_availability_zones(ZoneNames=["us-east-1z"]))
    take("ec2", "error-invalid-filter", lambda: ec2.describe_regions(Filters=[{"Name": "bogus", "Values": ["x"]}]))
    take("ec2", "error-dry-run", lambda: ec2.describe_regions(DryRun=True))
    take("ec2", "error-not-implemented", lambda: ec2.describe_fpga_images())
    # A small network: ids are deterministic (nimbus runs with --id-seed), so later
    # requests can name what earlier ones created.
    vpc = {}
    take("ec2", "describe-default-vpc", lambda: ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}]))
    take("ec2", "create-vpc", lambda: vpc.update(ec2.create_vpc(
        CidrBlock="10.1.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "golden & <co>"}]}])["Vpc"]))
    subnet = {}
    take("ec2", "create-subnet", lambda: subnet.update(ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.1.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]))
    take("ec2", "error-subnet-conflict", lambda: ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.1.1.0/25"))
    sg = {}
    take("ec2", "create-security-group", lambda: sg.update(ec2.create_security_group(GroupName="web", Description="web tier", VpcId=vpc["VpcId"])))
    take("ec2", "authorize-ingress", lambda: ec2.authorize_security_group_ingress(GroupId=sg["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}]},
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": sg["GroupId"]}]}]))
    take("ec2", "error-duplicate-rule", lambda: ec2.authorize_security_group_ingress(GroupId=sg["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]))
    take("ec2", "describe-security-groups", lambda: ec2.describe_security_groups(GroupIds=[sg["GroupId"]]))
    rtb = {}
    take("ec2", "create-route-table", lambda: rtb.update(ec2.create_route_table(VpcId=vpc["VpcId"])["RouteTable"]))
    take("ec2", "associate-route-table", lambda: ec2.associate_route_table(RouteTableId=rtb["RouteTableId"], SubnetId=subnet["SubnetId"]))
    take("ec2", "describe-route-tables", lambda: ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]))
    take("ec2", "describe-subnets-paged", lambda: ec2.describe_subnets(MaxResults=5))
    take("ec2", "error-vpc-dependency", lambda: ec2.delete_vpc(VpcId=vpc["VpcId"]))
    take("ec2", "describe-tags", lambda: ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}]))

    sts = client("sts")
    take("query", "sts-get-caller-identity", lambda: sts.get_caller_identity())
    take("query", "sts-error-validation", lambda: sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/R", RoleSessionName="bad name"))
    cloudwatch("query", "query")
    cloudwatch("json", "json")
    cloudwatch("smithy-rpc-v2-cbor", "rpcv2-cbor")


if __name__ == "__main__":
    main()
