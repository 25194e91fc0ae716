"""Instances with boto3: launch from the public catalogue, the SDK waiters unchanged,
stop/start, attributes, console output, and AWS's errors; the lifecycle on a driven
clock and the instance quota on nimbus processes of their own."""

import base64
import datetime
import json
import os
import signal
import socket
import subprocess
import time

import boto3
import botocore.exceptions
import pytest
import urllib3
from botocore.config import Config

from conftest import ACCOUNT, client, no_retries


def error(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def latest_image(ec2, pattern="al2023-ami-2023.*-x86_64"):
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": [pattern]}, {"Name": "state", "Values": ["available"]}])["Images"]
    assert images, f"no image matches {pattern}"
    return max(images, key=lambda i: i["CreationDate"])


@pytest.fixture
def ec2():
    return client("ec2")


@pytest.fixture
def launched(ec2):
    made = []

    def launch(**kw):
        kw.setdefault("ImageId", latest_image(ec2)["ImageId"])
        kw.setdefault("InstanceType", "t3.micro")
        kw.setdefault("MinCount", 1)
        kw.setdefault("MaxCount", 1)
        r = ec2.run_instances(**kw)
        made.extend(i["InstanceId"] for i in r["Instances"])
        return r

    yield launch
    if made:
        for i in made:
            try:
                ec2.modify_instance_attribute(InstanceId=i, DisableApiTermination={"Value": False})
            except botocore.exceptions.ClientError:
                pass
        ec2.terminate_instances(InstanceIds=made)


def test_launch_describe_and_waiters(ec2, launched):
    image = latest_image(ec2)
    r = launched(ImageId=image["ImageId"], MinCount=2, MaxCount=2, UserData="#!/bin/bash\necho nimbus-was-here\n",
                 TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]},
                                    {"ResourceType": "volume", "Tags": [{"Key": "Backup", "Value": "daily"}]}])
    assert r["ReservationId"].startswith("r-") and r["OwnerId"] == ACCOUNT
    ids = [i["InstanceId"] for i in r["Instances"]]
    assert [i["State"]["Name"] for i in r["Instances"]] == ["pending", "pending"]
    assert [i["AmiLaunchIndex"] for i in r["Instances"]] == [0, 1]
    ec2.get_waiter("instance_exists").wait(InstanceIds=ids)
    ec2.get_waiter("instance_running").wait(InstanceIds=ids)
    ec2.get_waiter("instance_status_ok").wait(InstanceIds=ids)
    res = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    assert len(res) == 1 and res[0]["ReservationId"] == r["ReservationId"]
    inst = res[0]["Instances"][0]
    assert inst["State"] == {"Code": 16, "Name": "running"}
    assert inst["ImageId"] == image["ImageId"] and inst["Architecture"] == "x86_64" and inst["RootDeviceName"] == "/dev/xvda"
    assert inst["PrivateDnsName"] == "ip-" + inst["PrivateIpAddress"].replace(".", "-") + ".ec2.internal"
    # The default subnet maps public addresses; the default VPC has DNS hostnames.
    assert inst["PublicIpAddress"] and inst["PublicDnsName"].endswith(".compute-1.amazonaws.com")
    assert inst["MetadataOptions"]["HttpTokens"] == "required" and inst["MetadataOptions"]["State"] == "applied"
    assert inst["Tags"] == [{"Key": "Name", "Value": "web"}]
    eni = inst["NetworkInterfaces"][0]
    assert eni["Attachment"]["DeviceIndex"] == 0 and eni["Attachment"]["DeleteOnTermination"]
    assert eni["Association"]["IpOwnerId"] == "amazon"
    root = inst["BlockDeviceMappings"][0]
    vol = ec2.describe_volumes(VolumeIds=[root["Ebs"]["VolumeId"]])["Volumes"][0]
    assert vol["State"] == "in-use" and vol["Size"] == image["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"]
    assert vol["Tags"] == [{"Key": "Backup", "Value": "daily"}]
    status = ec2.describe_instance_status(InstanceIds=ids)["InstanceStatuses"]
    assert {s["InstanceStatus"]["Status"] for s in status} == {"ok"}
    # The console shows the user data ran (botocore decodes the base64 itself).
    out = ec2.get_console_output(InstanceId=ids[0])["Output"]
    assert "echo nimbus-was-here" in out and "cloud-init" in out
    assert ec2.describe_instance_attribute(InstanceId=ids[0], Attribute="userData")["UserData"]["Value"] == \
        base64.b64encode(b"#!/bin/bash\necho nimbus-was-here\n").decode()


def test_stop_start_cycle(ec2, launched):
    iid = launched()["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid])
    before = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    stop = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"][0]
    assert stop["PreviousState"]["Name"] == "running" and stop["CurrentState"]["Name"] == "stopping"
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid])
    stopped = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert "PublicIpAddress" not in stopped and stopped["PrivateIpAddress"] == before["PrivateIpAddress"]
    assert stopped["StateTransitionReason"].startswith("User initiated (")
    assert stopped["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "t3.small"})
    start = ec2.start_instances(InstanceIds=[iid])["StartingInstances"][0]
    assert start["PreviousState"]["Name"] == "stopped" and start["CurrentState"]["Name"] == "pending"
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid])
    after = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert after["InstanceType"] == "t3.small" and after["PublicIpAddress"]
    ec2.reboot_instances(InstanceIds=[iid])
    assert ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"


def test_termination_and_protection(ec2, launched):
    iid = launched(DisableApiTermination=True)["Instances"][0]["InstanceId"]
    code, msg = error(ec2.terminate_instances, InstanceIds=[iid])
    assert code == "OperationNotPermitted" and "disableApiTermination" in msg
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": False})
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiStop={"Value": True})
    assert error(ec2.stop_instances, InstanceIds=[iid])[0] == "OperationNotPermitted"
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiStop={"Value": False})
    eni = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0]["NetworkInterfaceId"]
    vol = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    t = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
    assert t["CurrentState"]["Name"] == "shutting-down"
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid])
    gone = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert gone["State"] == {"Code": 48, "Name": "terminated"} and gone["NetworkInterfaces"] == []
    assert error(ec2.describe_network_interfaces, NetworkInterfaceIds=[eni])[0] == "InvalidNetworkInterfaceID.NotFound"
    assert error(ec2.describe_volumes, VolumeIds=[vol])[0] == "InvalidVolume.NotFound"
    assert error(ec2.start_instances, InstanceIds=[iid])[0] == "IncorrectInstanceState"
    # Terminating again is fine, as at AWS.
    assert ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]["CurrentState"]["Name"] == "terminated"


def test_errors(ec2, launched):
    image = latest_image(ec2)
    assert error(ec2.describe_instances, InstanceIds=["i-0123456789abcdef0"]) == ("InvalidInstanceID.NotFound", "The instance ID 'i-0123456789abcdef0' does not exist")
    assert error(ec2.describe_instances, InstanceIds=["bogus"])[0] == "InvalidInstanceID.Malformed"
    assert error(ec2.run_instances, ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1)[0] == "InvalidAMIID.NotFound"
    assert error(ec2.run_instances, ImageId="not-an-ami", MinCount=1, MaxCount=1)[0] == "InvalidAMIID.Malformed"
    code, msg = error(ec2.run_instances, ImageId=image["ImageId"], InstanceType="t4g.micro", MinCount=1, MaxCount=1)
    assert code == "InvalidParameterValue" and "architecture" in msg
    assert error(ec2.run_instances, ImageId=image["ImageId"], InstanceType="x9.huge", MinCount=1, MaxCount=1)[0] == "InvalidParameterValue"
    assert error(ec2.run_instances, ImageId=image["ImageId"], InstanceType="t3.micro", MinCount=1, MaxCount=1,
                 SecurityGroupIds=["sg-0123456789abcdef0"])[0] == "InvalidGroup.NotFound"
    assert error(ec2.run_instances, ImageId=image["ImageId"], InstanceType="t3.micro", MinCount=1, MaxCount=1,
                 SubnetId="subnet-0123456789abcdef0")[0] == "InvalidSubnetID.NotFound"
    iid = launched()["Instances"][0]["InstanceId"]
    assert error(ec2.modify_instance_attribute, InstanceId=iid, InstanceType={"Value": "t3.large"})[0] == "IncorrectInstanceState"
    assert error(ec2.describe_instance_attribute, InstanceId=iid, Attribute="bogus")[0] == "InvalidParameterValue"
    code, _ = error(ec2.run_instances, ImageId=image["ImageId"], InstanceType="t3.micro", MinCount=1, MaxCount=1, DryRun=True)
    assert code == "DryRunOperation"


def test_filters_and_pagination(ec2, launched):
    r = launched(MinCount=6, MaxCount=6, TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Fleet", "Value": "paging"}]}])
    ids = {i["InstanceId"] for i in r["Instances"]}
    f = [{"Name": "tag:Fleet", "Values": ["paging"]}, {"Name": "instance-state-name", "Values": ["pending", "running"]}]
    seen, token, pages = set(), None, 0
    while True:
        kw = {"Filters": f, "MaxResults": 5}
        if token:
            kw["NextToken"] = token
        out = ec2.describe_instances(**kw)
        for res in out["Reservations"]:
            seen.update(i["InstanceId"] for i in res["Instances"])
        pages += 1
        token = out.get("NextToken")
        if not token:
            break
    assert seen == ids and pages == 2
    one = r["Instances"][0]
    by_ip = ec2.describe_instances(Filters=[{"Name": "private-ip-address", "Values": [one["PrivateIpAddress"]]}])["Reservations"]
    assert [i["InstanceId"] for res in by_ip for i in res["Instances"]] == [one["InstanceId"]]
    assert len(ec2.describe_instances(Filters=[{"Name": "reservation-id", "Values": [r["ReservationId"]]}])["Reservations"]) == 1
    assert error(ec2.describe_instances, Filters=[{"Name": "no-such-filter", "Values": ["x"]}])[0] == "InvalidParameterValue"
    types = ec2.describe_instance_types(Filters=[{"Name": "burstable-performance-supported", "Values": ["true"]},
                                                 {"Name": "processor-info.supported-architecture", "Values": ["arm64"]}])["InstanceTypes"]
    assert types and all(t["InstanceType"].startswith("t4g.") for t in types)
    offers = ec2.describe_instance_type_offerings(LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": ["t3.micro"]}])
    assert {o["Location"] for o in offers["InstanceTypeOfferings"]} <= {z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]}


def test_credit_specifications_and_metadata(ec2, launched):
    iid = launched(InstanceType="t3.micro")["Instances"][0]["InstanceId"]
    spec = ec2.describe_instance_credit_specifications(InstanceIds=[iid])["InstanceCreditSpecifications"][0]
    assert spec["CpuCredits"] == "unlimited"
    out = ec2.modify_instance_credit_specification(InstanceCreditSpecifications=[{"InstanceId": iid, "CpuCredits": "standard"}])
    assert out["SuccessfulInstanceCreditSpecifications"] == [{"InstanceId": iid}]
    assert ec2.describe_instance_credit_specifications(InstanceIds=[iid])["InstanceCreditSpecifications"][0]["CpuCredits"] == "standard"
    m = ec2.modify_instance_metadata_options(InstanceId=iid, HttpTokens="optional", HttpPutResponseHopLimit=3)["InstanceMetadataOptions"]
    assert m["State"] == "pending" and m["HttpTokens"] == "optional"
    shown = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["MetadataOptions"]
    assert shown["HttpTokens"] == "optional" and shown["HttpPutResponseHopLimit"] == 3


def test_a_template_from_an_instance_launches_its_twin(ec2, launched):
    first = launched(UserData="#!/bin/bash\necho twin\n", MetadataOptions={"HttpTokens": "required"},
                     TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": "twin"}]}])["Instances"][0]
    data = ec2.get_launch_template_data(InstanceId=first["InstanceId"])["LaunchTemplateData"]
    assert data["ImageId"] == first["ImageId"] and data["InstanceType"] == "t3.micro"
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["TagSpecifications"] == [{"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": "twin"}]}]
    data.pop("NetworkInterfaces")  # they name the first instance's own interface
    name = f"twin-{first['InstanceId']}"
    template = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData=data)["LaunchTemplate"]
    try:
        twin = launched(LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"]})["Instances"][0]
        assert twin["ImageId"] == first["ImageId"]
        tags = {t["Key"]: t["Value"] for t in twin["Tags"]}
        assert tags["Role"] == "twin" and tags["aws:ec2launchtemplate:id"] == template["LaunchTemplateId"]
        user_data = ec2.describe_instance_attribute(InstanceId=twin["InstanceId"], Attribute="userData")["UserData"]["Value"]
        assert base64.b64decode(user_data) == b"#!/bin/bash\necho twin\n"
    finally:
        ec2.delete_launch_template(LaunchTemplateId=template["LaunchTemplateId"])
    assert error(ec2.get_launch_template_data, InstanceId="i-0123456789abcdef0")[0] == "InvalidInstanceID.NotFound"


# --- nimbus processes of their own -------------------------------------------------

BIN = os.environ.get("NIMBUS_BIN")


def spawn(*args):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    proc = subprocess.Popen([BIN, "--port", str(port), *args], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            if urllib3.request("GET", url + "/_nimbus/health", retries=False).status == 200:
                return proc, url
        except Exception:
            time.sleep(0.005)
    proc.kill()
    raise AssertionError("nimbus did not start")


@pytest.mark.skipif(not BIN, reason="NIMBUS_BIN is not set (conformance-tests/run sets it)")
def test_lifecycle_on_a_driven_clock():
    proc, url = spawn("--ec2-transition-secs", "30")
    try:
        ec2 = boto3.client("ec2", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                           config=Config(retries={"max_attempts": 1}))
        iid = ec2.run_instances(ImageId=latest_image(ec2)["ImageId"], InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        state = lambda: ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]
        advance = lambda s: urllib3.request("POST", url + "/_nimbus/clock", body=json.dumps({"advanceSeconds": s}).encode())
        assert state() == "pending"
        assert ec2.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"] == []
        advance(31)
        assert state() == "running"
        assert ec2.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"][0]["InstanceStatus"]["Status"] == "initializing"
        advance(31)
        assert ec2.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"][0]["InstanceStatus"]["Status"] == "ok"
        ec2.stop_instances(InstanceIds=[iid])
        assert state() == "stopping"
        advance(31)
        assert state() == "stopped"
        ec2.terminate_instances(InstanceIds=[iid])
        assert state() == "shutting-down"
        advance(31)
        assert state() == "terminated"
        advance(3700)
        assert error(ec2.describe_instances, InstanceIds=[iid])[0] == "InvalidInstanceID.NotFound"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


@pytest.mark.skipif(not BIN, reason="NIMBUS_BIN is not set (conformance-tests/run sets it)")
def test_instance_quota():
    proc, url = spawn("--ec2-instance-quota", "3")
    try:
        ec2 = boto3.client("ec2", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                           config=Config(retries={"max_attempts": 1}))
        image = latest_image(ec2)["ImageId"]
        # MaxCount above the quota launches what fits; MinCount above it is refused.
        r = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=5)
        assert len(r["Instances"]) == 3
        assert error(ec2.run_instances, ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1)[0] == "InstanceLimitExceeded"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


@pytest.mark.skipif(not BIN, reason="NIMBUS_BIN is not set (conformance-tests/run sets it)")
def test_seed_images_keep_a_teams_ami_ids(tmp_path):
    seeds = tmp_path / "images.json"
    seeds.write_text(json.dumps({"Images": [
        {"ImageId": "ami-0a1b2c3d4e5f60718", "Name": "team-base-2026.11", "Regions": ["eu-west-1"],
         "CreationDate": "2026-11-01T10:00:00.000Z", "Description": "our golden image"},
        {"ImageId": "ami-0fedcba9876543210", "Name": "team-private", "Public": False, "OwnerId": "000000000000"},
    ]}))
    proc, url = spawn("--seed-images", str(seeds), "--credentials", "test:test:000000000000,other:other:111111111111")
    try:
        def client(key, region="eu-west-1"):
            return boto3.client("ec2", endpoint_url=url, region_name=region, aws_access_key_id=key, aws_secret_access_key=key,
                                config=Config(retries={"max_attempts": 1}))
        ec2, other = client("test"), client("other")
        image = ec2.describe_images(ImageIds=["ami-0a1b2c3d4e5f60718"])["Images"][0]
        assert image["Name"] == "team-base-2026.11" and image["State"] == "available"
        assert image["OwnerId"] == "000000000000" and image["RootDeviceName"] == "/dev/xvda"
        assert image["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"].startswith("snap-")
        mine = ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": ["team-*"]}])["Images"]
        assert sorted(i["ImageId"] for i in mine) == ["ami-0a1b2c3d4e5f60718", "ami-0fedcba9876543210"]
        iid = ec2.run_instances(ImageId="ami-0a1b2c3d4e5f60718", InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]
        assert iid["ImageId"] == "ami-0a1b2c3d4e5f60718"
        # Only where the file says it exists; the private one only for its owner.
        assert error(client("test", "us-east-1").describe_images, ImageIds=["ami-0a1b2c3d4e5f60718"])[0] == "InvalidAMIID.NotFound"
        assert other.describe_images(ImageIds=["ami-0a1b2c3d4e5f60718"])["Images"][0]["Public"] is True
        assert error(other.describe_images, ImageIds=["ami-0fedcba9876543210"])[0] == "InvalidAMIID.NotFound"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


@pytest.mark.skipif(not BIN, reason="NIMBUS_BIN is not set (conformance-tests/run sets it)")
def test_a_bad_seed_file_stops_nimbus_with_the_reason(tmp_path):
    seeds = tmp_path / "images.json"
    seeds.write_text(json.dumps({"Images": [{"ImageId": "ami-xyz", "Name": "bad-one"}]}))
    out = subprocess.run([BIN, "--port", "0", "--seed-images", str(seeds)], capture_output=True, text=True, timeout=10)
    assert out.returncode != 0
    assert "image 0: ImageId \"ami-xyz\" is not an AMI id" in out.stderr


@pytest.mark.skipif(not BIN, reason="NIMBUS_BIN is not set (conformance-tests/run sets it)")
def test_an_alarms_ec2_action_stops_the_instance():
    proc, url = spawn("--ec2-transition-secs", "5")
    try:
        kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                  config=Config(retries={"max_attempts": 1}))
        ec2, cw = boto3.client("ec2", **kw), boto3.client("cloudwatch", **kw)
        advance = lambda s: urllib3.request("POST", url + "/_nimbus/clock", body=json.dumps({"advanceSeconds": s}).encode())
        now = lambda: datetime.datetime.fromisoformat(urllib3.request("GET", url + "/_nimbus/clock").json()["now"].replace("Z", "+00:00"))
        iid = ec2.run_instances(ImageId=latest_image(ec2)["ImageId"], InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        advance(10)
        dims = [{"Name": "InstanceId", "Value": iid}]
        cw.put_metric_alarm(AlarmName="runaway", Namespace="App", MetricName="Load", Dimensions=dims, Statistic="Average",
                            Period=60, EvaluationPeriods=1, Threshold=50, ComparisonOperator="GreaterThanThreshold",
                            AlarmActions=["arn:aws:automate:us-east-1:ec2:stop"])
        for _ in range(3):
            cw.put_metric_data(Namespace="App", MetricData=[{"MetricName": "Load", "Dimensions": dims, "Value": 95.0, "Timestamp": now()}])
            advance(60)
        alarm = cw.describe_alarms(AlarmNames=["runaway"])["MetricAlarms"][0]
        assert alarm["StateValue"] == "ALARM", alarm["StateReason"]
        history = cw.describe_alarm_history(AlarmName="runaway", HistoryItemType="Action")["AlarmHistoryItems"]
        assert any(h["HistorySummary"].startswith("Successfully executed action arn:aws:automate:us-east-1:ec2:stop") for h in history), history
        state = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]
        assert state in ("stopping", "stopped")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


@pytest.mark.skipif(not BIN, reason="NIMBUS_BIN is not set (conformance-tests/run sets it)")
def test_terminated_instances_vanish_after_the_configured_time():
    proc, url = spawn("--ec2-terminated-visible-secs", "60")
    try:
        ec2 = boto3.client("ec2", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                           config=Config(retries={"max_attempts": 1}))
        advance = lambda s: urllib3.request("POST", url + "/_nimbus/clock", body=json.dumps({"advanceSeconds": s}).encode())
        iid = ec2.run_instances(ImageId=latest_image(ec2)["ImageId"], InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        ec2.terminate_instances(InstanceIds=[iid])
        advance(30)
        assert ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "terminated"
        advance(40)
        assert error(ec2.describe_instances, InstanceIds=[iid])[0] == "InvalidInstanceID.NotFound"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
