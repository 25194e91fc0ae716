"""Spot Instances with boto3: one-time and persistent requests and the instances they
launch, cancelling (the instance keeps running), RunInstances with Spot market options,
the price history, the data feed, and AWS's refusals."""

import datetime

import botocore.exceptions
import pytest

from conftest import client


@pytest.fixture
def ec2():
    return client("ec2", region="sa-east-1")


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def al2023(ec2):
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}])
    return images["Images"][0]["ImageId"]


def request(ec2, sir):
    return ec2.describe_spot_instance_requests(SpotInstanceRequestIds=[sir])["SpotInstanceRequests"][0]


def test_one_time_request_launches_and_closes(ec2):
    image = al2023(ec2)
    made = ec2.request_spot_instances(
        InstanceCount=1,
        LaunchSpecification={"ImageId": image, "InstanceType": "t3.micro"},
        TagSpecifications=[{"ResourceType": "spot-instances-request", "Tags": [{"Key": "team", "Value": "spot"}]}],
    )["SpotInstanceRequests"][0]
    sir = made["SpotInstanceRequestId"]
    assert sir.startswith("sir-")
    assert (made["State"], made["Status"]["Code"], made["Type"]) == ("open", "pending-evaluation", "one-time")
    assert made["Tags"] == [{"Key": "team", "Value": "spot"}]
    ec2.get_waiter("spot_instance_request_fulfilled").wait(SpotInstanceRequestIds=[sir], WaiterConfig={"Delay": 1})
    r = request(ec2, sir)
    assert (r["State"], r["Status"]["Code"]) == ("active", "fulfilled")
    assert r["ProductDescription"] == "Linux/UNIX"
    assert float(r["SpotPrice"]) > 0
    instance = ec2.describe_instances(InstanceIds=[r["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert (instance["InstanceLifecycle"], instance["SpotInstanceRequestId"]) == ("spot", sir)
    assert r["LaunchedAvailabilityZone"] == instance["Placement"]["AvailabilityZone"]
    assert error(ec2.stop_instances, InstanceIds=[r["InstanceId"]])[0] == "UnsupportedOperation"
    found = ec2.describe_instances(Filters=[{"Name": "spot-instance-request-id", "Values": [sir]}])
    assert [i["InstanceId"] for res in found["Reservations"] for i in res["Instances"]] == [r["InstanceId"]]
    ec2.terminate_instances(InstanceIds=[r["InstanceId"]])
    r = request(ec2, sir)
    assert (r["State"], r["Status"]["Code"]) == ("closed", "instance-terminated-by-user")


def test_persistent_request_relaunches_until_cancelled(ec2):
    image = al2023(ec2)
    sir = ec2.request_spot_instances(
        Type="persistent", InstanceInterruptionBehavior="stop", SpotPrice="5.0",
        LaunchSpecification={"ImageId": image, "InstanceType": "t3.small"},
    )["SpotInstanceRequests"][0]["SpotInstanceRequestId"]
    first = request(ec2, sir)["InstanceId"]
    ec2.terminate_instances(InstanceIds=[first])
    second = request(ec2, sir)
    assert second["State"] == "active" and second["InstanceId"] != first
    ec2.stop_instances(InstanceIds=[second["InstanceId"]])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[second["InstanceId"]], WaiterConfig={"Delay": 1})
    assert (request(ec2, sir)["State"], request(ec2, sir)["Status"]["Code"]) == ("disabled", "instance-stopped-by-user")
    ec2.start_instances(InstanceIds=[second["InstanceId"]])
    assert request(ec2, sir)["State"] == "active"
    cancelled = ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[sir])["CancelledSpotInstanceRequests"]
    assert cancelled == [{"SpotInstanceRequestId": sir, "State": "cancelled"}]
    r = request(ec2, sir)
    assert (r["State"], r["Status"]["Code"]) == ("cancelled", "request-canceled-and-instance-running")
    state = ec2.describe_instances(InstanceIds=[second["InstanceId"]])["Reservations"][0]["Instances"][0]["State"]
    assert state["Name"] in ("pending", "running")
    ec2.terminate_instances(InstanceIds=[second["InstanceId"]])
    r = request(ec2, sir)
    assert (r["State"], r["InstanceId"]) == ("cancelled", second["InstanceId"])


def test_price_too_low_and_not_scheduled_stay_open(ec2):
    image = al2023(ec2)
    low = ec2.request_spot_instances(
        SpotPrice="0.0001", LaunchSpecification={"ImageId": image, "InstanceType": "m5.large"}
    )["SpotInstanceRequests"][0]["SpotInstanceRequestId"]
    r = request(ec2, low)
    assert (r["State"], r["Status"]["Code"]) == ("open", "price-too-low")
    assert "InstanceId" not in r
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    sched = ec2.request_spot_instances(
        ValidFrom=later, LaunchSpecification={"ImageId": image, "InstanceType": "m5.large"}
    )["SpotInstanceRequests"][0]["SpotInstanceRequestId"]
    assert request(ec2, sched)["Status"]["Code"] == "not-scheduled-yet"
    out = ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[low, sched])["CancelledSpotInstanceRequests"]
    assert {c["State"] for c in out} == {"cancelled"}
    assert request(ec2, low)["Status"]["Code"] == "canceled-before-fulfillment"
    states = ec2.describe_spot_instance_requests(Filters=[{"Name": "state", "Values": ["cancelled"]}])
    assert {low, sched} <= {x["SpotInstanceRequestId"] for x in states["SpotInstanceRequests"]}


def test_run_instances_with_spot_market_options(ec2):
    image = al2023(ec2)
    run = ec2.run_instances(
        ImageId=image, InstanceType="t3.micro", MinCount=2, MaxCount=2,
        InstanceMarketOptions={"MarketType": "spot", "SpotOptions": {"MaxPrice": "1.0"}},
        TagSpecifications=[{"ResourceType": "spot-instances-request", "Tags": [{"Key": "via", "Value": "run"}]}],
    )
    for i in run["Instances"]:
        assert i["InstanceLifecycle"] == "spot"
        r = request(ec2, i["SpotInstanceRequestId"])
        assert (r["State"], r["Type"], r["InstanceId"]) == ("active", "one-time", i["InstanceId"])
        assert r["Tags"] == [{"Key": "via", "Value": "run"}]
    code, message = error(
        ec2.run_instances, ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
        InstanceMarketOptions={"MarketType": "spot", "SpotOptions": {"MaxPrice": "0.0001"}},
    )
    assert code == "SpotMaxPriceTooLow" and "0.000100" in message
    assert error(
        ec2.run_instances, ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
        InstanceMarketOptions={"MarketType": "spot", "SpotOptions": {"SpotInstanceType": "persistent"}},
    )[0] == "InvalidParameterCombination"
    ec2.terminate_instances(InstanceIds=[i["InstanceId"] for i in run["Instances"]])


def test_refusals_paging_and_dry_run(ec2):
    image = al2023(ec2)
    assert error(ec2.describe_spot_instance_requests, SpotInstanceRequestIds=["sir-00000000"]) == (
        "InvalidSpotInstanceRequestID.NotFound",
        "The spot instance request ID 'sir-00000000' does not exist",
    )
    assert error(ec2.cancel_spot_instance_requests, SpotInstanceRequestIds=["i-1234"])[0] == (
        "InvalidSpotInstanceRequestID.Malformed"
    )
    assert error(
        ec2.request_spot_instances, LaunchSpecification={"ImageId": "ami-00000000", "InstanceType": "t3.micro"}
    )[0] == "InvalidAMIID.NotFound"
    assert error(
        ec2.request_spot_instances, InstanceInterruptionBehavior="stop",
        LaunchSpecification={"ImageId": image, "InstanceType": "t3.micro"},
    )[0] == "InvalidParameterCombination"
    assert error(
        ec2.request_spot_instances, DryRun=True, LaunchSpecification={"ImageId": image, "InstanceType": "t3.micro"}
    )[0] == "DryRunOperation"
    made = ec2.request_spot_instances(
        InstanceCount=3, SpotPrice="0.0001", LaunchSpecification={"ImageId": image, "InstanceType": "c5.large"}
    )["SpotInstanceRequests"]
    ids = [m["SpotInstanceRequestId"] for m in made]
    pages = ec2.get_paginator("describe_spot_instance_requests").paginate(
        Filters=[{"Name": "status-code", "Values": ["price-too-low"]}], PaginationConfig={"PageSize": 5}
    )
    seen = [r["SpotInstanceRequestId"] for p in pages for r in p["SpotInstanceRequests"]]
    assert set(ids) <= set(seen) and len(seen) == len(set(seen))
    ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=ids)


def test_price_history_is_stable_and_filtered(ec2):
    now = datetime.datetime.now(datetime.timezone.utc)
    args = dict(InstanceTypes=["m5.large"], ProductDescriptions=["Linux/UNIX"], StartTime=now - datetime.timedelta(days=1))
    a = ec2.describe_spot_price_history(**args)["SpotPriceHistory"]
    b = ec2.describe_spot_price_history(**args)["SpotPriceHistory"]
    assert a == b and a
    assert {p["InstanceType"] for p in a} == {"m5.large"}
    zones = {z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]}
    assert {p["AvailabilityZone"] for p in a} <= zones
    times = [p["Timestamp"] for p in a]
    assert times == sorted(times, reverse=True)
    one = ec2.describe_spot_price_history(
        InstanceTypes=["m5.large"], Filters=[{"Name": "availability-zone", "Values": ["sa-east-1a"]}], MaxResults=2
    )
    assert len(one["SpotPriceHistory"]) <= 2
    assert {p["AvailabilityZone"] for p in one["SpotPriceHistory"]} == {"sa-east-1a"}
    assert error(ec2.describe_spot_price_history, InstanceTypes=["m5.nope"])[0] == "InvalidParameterValue"


def test_datafeed_subscription(ec2):
    assert error(ec2.describe_spot_datafeed_subscription)[0] == "InvalidSpotDatafeed.NotFound"
    sub = ec2.create_spot_datafeed_subscription(Bucket="my-spot-logs", Prefix="feed")["SpotDatafeedSubscription"]
    assert (sub["Bucket"], sub["Prefix"], sub["State"]) == ("my-spot-logs", "feed", "Active")
    assert ec2.describe_spot_datafeed_subscription()["SpotDatafeedSubscription"]["Bucket"] == "my-spot-logs"
    ec2.delete_spot_datafeed_subscription()
    assert error(ec2.describe_spot_datafeed_subscription)[0] == "InvalidSpotDatafeed.NotFound"
