"""Builds a small cloud for the console check with boto3 against NIMBUS_ENDPOINT and
prints its ids as JSON: a VPC with a public and a private subnet, an internet gateway,
a route table, a security group, a running instance, a metric alarm in ALARM and a
dashboard with line, stacked area, number, gauge, text and alarm-status widgets."""

import json
import os
import sys
import time
import urllib.request

import boto3

REGION = os.environ.get("CONSOLE_REGION", "ca-central-1")
session = boto3.session.Session(
    aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
)
endpoint = os.environ["NIMBUS_ENDPOINT"]
ec2 = session.client("ec2", endpoint_url=endpoint)
cw = session.client("cloudwatch", endpoint_url=endpoint)
tag = lambda kind, name: [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]

vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16", TagSpecifications=tag("vpc", "console-vpc"))["Vpc"]["VpcId"]
public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24", TagSpecifications=tag("subnet", "public-a"))
private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.2.0/24", TagSpecifications=tag("subnet", "private-a"))
public, private = public["Subnet"]["SubnetId"], private["Subnet"]["SubnetId"]
igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
ec2.attach_internet_gateway(VpcId=vpc, InternetGatewayId=igw)
rtb = ec2.create_route_table(VpcId=vpc, TagSpecifications=tag("route-table", "public-rt"))["RouteTable"]["RouteTableId"]
ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
ec2.associate_route_table(RouteTableId=rtb, SubnetId=public)
sg = ec2.create_security_group(VpcId=vpc, GroupName="console-web", Description="web tier")["GroupId"]
ec2.authorize_security_group_ingress(
    GroupId=sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
)
image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "architecture", "Values": ["x86_64"]}])["Images"][0]
instance = ec2.run_instances(
    ImageId=image["ImageId"], InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=public,
    SecurityGroupIds=[sg], TagSpecifications=tag("instance", "console-web-1"),
)["Instances"][0]["InstanceId"]
ec2.get_waiter("instance_running").wait(InstanceIds=[instance], WaiterConfig={"Delay": 1, "MaxAttempts": 30})

# nimbus's clock, which earlier suites may have moved on: the dashboards' hour ends there.
with urllib.request.urlopen(endpoint + "/_nimbus/clock") as answer:
    now = time.time() + json.load(answer)["offsetSeconds"]
for minutes_ago in range(30, 0, -1):
    at = now - minutes_ago * 60
    cw.put_metric_data(Namespace="Console/App", MetricData=[
        {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "web"}], "Timestamp": at, "Value": 100 + (minutes_ago % 7) * 10},
        {"MetricName": "Requests", "Dimensions": [{"Name": "Service", "Value": "web"}], "Timestamp": at, "Value": 50 + minutes_ago},
        {"MetricName": "Requests", "Dimensions": [{"Name": "Service", "Value": "api"}], "Timestamp": at, "Value": 20 + minutes_ago % 5},
    ])
alarm = "console-high-latency"
cw.put_metric_alarm(
    AlarmName=alarm, Namespace="Console/App", MetricName="Latency", Dimensions=[{"Name": "Service", "Value": "web"}],
    Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=90.0, ComparisonOperator="GreaterThanThreshold",
    TreatMissingData="breaching",  # every datapoint and every gap breaches: ALARM whenever it is evaluated
)
cw.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="Latency above 90 ms (console check)")
alarm_arn = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["AlarmArn"]

widgets = [
    {"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6, "properties": {
        "title": "Latency (line)", "region": REGION, "view": "timeSeries", "stat": "Average", "period": 60,
        "start": "-PT1H", "metrics": [["Console/App", "Latency", "Service", "web"]],
        "annotations": {"horizontal": [{"value": 90, "label": "threshold"}]}}},
    {"type": "metric", "x": 12, "y": 0, "width": 12, "height": 6, "properties": {
        "title": "Requests (stacked)", "region": REGION, "view": "timeSeries", "stacked": True, "stat": "Sum",
        "period": 60, "start": "-PT1H",
        "metrics": [["Console/App", "Requests", "Service", "web"], ["...", "api"]]}},
    {"type": "metric", "x": 0, "y": 6, "width": 6, "height": 4, "properties": {
        "title": "Requests now (number)", "region": REGION, "view": "singleValue", "stat": "Sum", "period": 60,
        "metrics": [["Console/App", "Requests", "Service", "web"]]}},
    {"type": "metric", "x": 6, "y": 6, "width": 6, "height": 4, "properties": {
        "title": "Latency (gauge)", "region": REGION, "view": "gauge", "stat": "Average", "period": 60,
        "yAxis": {"left": {"min": 0, "max": 300}}, "metrics": [["Console/App", "Latency", "Service", "web"]]}},
    {"type": "text", "x": 12, "y": 6, "width": 6, "height": 4, "properties": {
        "markdown": "# Runbook\nLatency over **90 ms** pages the on-call.\n- check `web`\n- check the NAT"}},
    {"type": "alarm", "x": 18, "y": 6, "width": 6, "height": 4, "properties": {
        "title": "Alarm status", "alarms": [alarm_arn]}},
]
cw.put_dashboard(DashboardName="console-ops", DashboardBody=json.dumps({"widgets": widgets}))

json.dump({"region": REGION, "vpc": vpc, "subnets": [public, private], "igw": igw, "rtb": rtb, "sg": sg,
           "instance": instance, "alarm": alarm, "dashboard": "console-ops",
           "titles": [w["properties"]["title"] for w in widgets if "title" in w["properties"]]}, sys.stdout)
