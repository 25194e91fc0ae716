"""EC2 Fleet and Spot Fleet with boto3: instant fleets answering their instances (in the
cheapest pool), maintain fleets replacing a terminated instance and scaling down, Spot
Fleet requests with weights, history, cancelling, paging, and AWS's refusals."""

import datetime

import botocore.exceptions
import pytest

from conftest import client

EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
ROLE = "arn:aws:iam::000000000000:role/aws-ec2-spot-fleet-tagging-role"


@pytest.fixture
def ec2():
    return client("ec2", region="ca-central-1")


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"]


def template(ec2, name):
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])
    data = {
        "ImageId": images["Images"][0]["ImageId"],
        "InstanceType": "t3.micro",
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "role", "Value": "worker"}]}],
    }
    made = ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData=data)
    return made["LaunchTemplate"]["LaunchTemplateId"]


def active(ec2, fleet_id):
    return sorted(i["InstanceId"] for i in ec2.describe_fleet_instances(FleetId=fleet_id)["ActiveInstances"])


def test_instant_fleet_picks_the_cheapest_pool(ec2):
    lt = template(ec2, "fleet-instant")
    out = ec2.create_fleet(
        Type="instant",
        LaunchTemplateConfigs=[{
            "LaunchTemplateSpecification": {"LaunchTemplateId": lt, "Version": "$Latest"},
            "Overrides": [{"InstanceType": "m5.xlarge"}, {"InstanceType": "t3.nano"}],
        }],
        TargetCapacitySpecification={"TotalTargetCapacity": 2, "DefaultTargetCapacityType": "spot"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "batch", "Value": "7"}]}],
    )
    assert out["FleetId"].startswith("fleet-")
    assert out["Errors"] == []
    [group] = out["Instances"]
    assert (group["InstanceType"], group["Lifecycle"]) == ("t3.nano", "spot")
    assert group["LaunchTemplateAndOverrides"]["LaunchTemplateSpecification"] == {"LaunchTemplateId": lt, "Version": "1"}
    instances = ec2.describe_instances(InstanceIds=group["InstanceIds"])["Reservations"]
    for i in (i for r in instances for i in r["Instances"]):
        assert i["InstanceLifecycle"] == "spot" and i["SpotInstanceRequestId"].startswith("sir-")
        tags = {t["Key"]: t["Value"] for t in i["Tags"]}
        assert tags["aws:ec2:fleet-id"] == out["FleetId"] and tags["batch"] == "7" and tags["role"] == "worker"
    assert error(ec2.describe_fleet_instances, FleetId=out["FleetId"]) == "Unsupported"
    assert error(ec2.modify_fleet, FleetId=out["FleetId"], TargetCapacitySpecification={"TotalTargetCapacity": 3}) == "Unsupported"
    gone = ec2.delete_fleets(FleetIds=[out["FleetId"]], TerminateInstances=True)["SuccessfulFleetDeletions"]
    assert gone[0]["CurrentFleetState"] == "deleted_terminating"


def test_maintain_fleet_replaces_terminated_instances(ec2):
    lt = template(ec2, "fleet-maintain")
    fleet_id = ec2.create_fleet(
        LaunchTemplateConfigs=[{"LaunchTemplateSpecification": {"LaunchTemplateName": "fleet-maintain", "Version": "1"}}],
        TargetCapacitySpecification={"TotalTargetCapacity": 2, "DefaultTargetCapacityType": "on-demand"},
        TagSpecifications=[{"ResourceType": "fleet", "Tags": [{"Key": "team", "Value": "fleet"}]}],
    )["FleetId"]
    fleet = ec2.describe_fleets(FleetIds=[fleet_id])["Fleets"][0]
    assert (fleet["FleetState"], fleet["ActivityStatus"], fleet["Type"]) == ("active", "fulfilled", "maintain")
    assert fleet["TargetCapacitySpecification"]["OnDemandTargetCapacity"] == 2
    assert fleet["Tags"] == [{"Key": "team", "Value": "fleet"}]
    assert fleet["LaunchTemplateConfigs"][0]["LaunchTemplateSpecification"]["LaunchTemplateName"] == "fleet-maintain"
    first = active(ec2, fleet_id)
    assert len(first) == 2
    ec2.terminate_instances(InstanceIds=[first[0]])
    now = active(ec2, fleet_id)
    assert len(now) == 2 and first[0] not in now and first[1] in now
    history = ec2.describe_fleet_history(FleetId=fleet_id, StartTime=EPOCH, EventType="instance-change")["HistoryRecords"]
    assert [h["EventInformation"]["EventSubType"] for h in history] == ["launched", "launched", "terminated", "launched"]
    found = ec2.describe_fleets(Filters=[{"Name": "tag:team", "Values": ["fleet"]}, {"Name": "fleet-state", "Values": ["active"]}])
    assert [f["FleetId"] for f in found["Fleets"]] == [fleet_id]
    assert ec2.modify_fleet(FleetId=fleet_id, TargetCapacitySpecification={"TotalTargetCapacity": 1})["Return"] is True
    assert len(active(ec2, fleet_id)) == 1
    code = error(ec2.modify_fleet, FleetId=fleet_id,
                 TargetCapacitySpecification={"TotalTargetCapacity": 1, "SpotTargetCapacity": 1})
    assert code == "InvalidTargetCapacitySpecification"
    gone = ec2.delete_fleets(FleetIds=[fleet_id], TerminateInstances=False)["SuccessfulFleetDeletions"]
    assert (gone[0]["PreviousFleetState"], gone[0]["CurrentFleetState"]) == ("active", "deleted_running")
    left = active(ec2, fleet_id)
    assert len(left) == 1
    ec2.terminate_instances(InstanceIds=left)
    assert ec2.describe_fleets(FleetIds=[fleet_id])["Fleets"][0]["FleetState"] == "deleted"
    del lt


def test_fleet_paging_and_refusals(ec2):
    lt = template(ec2, "fleet-paging")
    spec = [{"LaunchTemplateSpecification": {"LaunchTemplateId": lt, "Version": "1"}}]
    ids = {
        ec2.create_fleet(Type="request", LaunchTemplateConfigs=spec,
                         TargetCapacitySpecification={"TotalTargetCapacity": 1, "DefaultTargetCapacityType": "on-demand"})["FleetId"]
        for _ in range(3)
    }
    seen, token = [], None
    while True:
        page = ec2.describe_fleets(MaxResults=2, Filters=[{"Name": "type", "Values": ["request"]}], **({"NextToken": token} if token else {}))
        seen += [f["FleetId"] for f in page["Fleets"]]
        token = page.get("NextToken")
        if not token:
            break
    assert ids <= set(seen) and len(seen) == len(set(seen))
    capacity = {"TotalTargetCapacity": 1, "DefaultTargetCapacityType": "on-demand"}
    assert error(ec2.create_fleet, LaunchTemplateConfigs=[], TargetCapacitySpecification=capacity) == "MissingParameter"
    missing = [{"LaunchTemplateSpecification": {"LaunchTemplateId": "lt-0123456789abcdef0", "Version": "1"}}]
    assert error(ec2.create_fleet, LaunchTemplateConfigs=missing, TargetCapacitySpecification=capacity) == "InvalidLaunchTemplateId.NotFound"
    unknown = "fleet-00000000-0000-4000-a000-000000000000"
    assert error(ec2.describe_fleets, FleetIds=[unknown]) == "InvalidFleetId.NotFound"
    assert error(ec2.describe_fleet_history, FleetId=unknown, StartTime=EPOCH) == "InvalidFleetId.NotFound"
    failed = ec2.delete_fleets(FleetIds=[unknown], TerminateInstances=True)["UnsuccessfulFleetDeletions"]
    assert failed[0]["Error"]["Code"] == "fleetIdDoesNotExist"
    config = {"IamFleetRole": "not-a-role", "TargetCapacity": 1, "LaunchTemplateConfigs": spec}
    assert error(ec2.request_spot_fleet, SpotFleetRequestConfig=config) == "InvalidSpotFleetRequestConfig"
    unknown_sfr = "sfr-00000000-0000-4000-a000-000000000000"
    assert error(ec2.describe_spot_fleet_requests, SpotFleetRequestIds=[unknown_sfr]) == "InvalidSpotFleetRequestId.NotFound"
    assert error(ec2.describe_spot_fleet_instances, SpotFleetRequestId=unknown_sfr) == "InvalidSpotFleetRequestId.NotFound"
    for fleet_id in ids:
        ec2.delete_fleets(FleetIds=[fleet_id], TerminateInstances=True)


def test_spot_fleet_request_lifecycle(ec2):
    lt = template(ec2, "spot-fleet")
    sfr = ec2.request_spot_fleet(SpotFleetRequestConfig={
        "IamFleetRole": ROLE,
        "TargetCapacity": 4,
        "OnDemandTargetCapacity": 1,
        "LaunchTemplateConfigs": [{
            "LaunchTemplateSpecification": {"LaunchTemplateId": lt, "Version": "$Default"},
            "Overrides": [{"InstanceType": "t3.small", "WeightedCapacity": 2.0}, {"InstanceType": "t3.micro"}],
        }],
        "TagSpecifications": [{"ResourceType": "spot-fleet-request", "Tags": [{"Key": "k", "Value": "v"}]}],
    })["SpotFleetRequestId"]
    assert sfr.startswith("sfr-")
    r = ec2.describe_spot_fleet_requests(SpotFleetRequestIds=[sfr])["SpotFleetRequestConfigs"][0]
    assert (r["SpotFleetRequestState"], r["ActivityStatus"]) == ("active", "fulfilled")
    assert r["SpotFleetRequestConfig"]["FulfilledCapacity"] >= 4
    assert r["SpotFleetRequestConfig"]["OnDemandFulfilledCapacity"] >= 1
    assert r["SpotFleetRequestConfig"]["Type"] == "maintain"
    assert r["Tags"] == [{"Key": "k", "Value": "v"}]
    instances = ec2.describe_spot_fleet_instances(SpotFleetRequestId=sfr)["ActiveInstances"]
    assert any(i.get("SpotInstanceRequestId", "").startswith("sir-") for i in instances)
    ec2.terminate_instances(InstanceIds=[instances[0]["InstanceId"]])
    after = ec2.describe_spot_fleet_instances(SpotFleetRequestId=sfr)["ActiveInstances"]
    assert instances[0]["InstanceId"] not in [i["InstanceId"] for i in after]
    assert ec2.describe_spot_fleet_requests(SpotFleetRequestIds=[sfr])["SpotFleetRequestConfigs"][0]["ActivityStatus"] == "fulfilled"
    assert ec2.modify_spot_fleet_request(SpotFleetRequestId=sfr, TargetCapacity=1, OnDemandTargetCapacity=0)["Return"] is True
    history = ec2.describe_spot_fleet_request_history(SpotFleetRequestId=sfr, StartTime=EPOCH, EventType="fleetRequestChange")
    assert [h["EventInformation"]["EventSubType"] for h in history["HistoryRecords"]][-2:] == ["modify_in_progress", "modify_successful"]
    out = ec2.cancel_spot_fleet_requests(SpotFleetRequestIds=[sfr, "sfr-00000000-0000-4000-a000-000000000000"], TerminateInstances=True)
    assert out["SuccessfulFleetRequests"][0]["CurrentSpotFleetRequestState"] == "cancelled_terminating"
    assert out["UnsuccessfulFleetRequests"][0]["Error"]["Code"] == "fleetRequestIdDoesNotExist"
    assert ec2.describe_spot_fleet_instances(SpotFleetRequestId=sfr)["ActiveInstances"] == []
    r = ec2.describe_spot_fleet_requests(SpotFleetRequestIds=[sfr])["SpotFleetRequestConfigs"][0]
    assert r["SpotFleetRequestState"] == "cancelled"
