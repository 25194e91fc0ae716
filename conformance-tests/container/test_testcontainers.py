"""nimbus_cloud.testcontainers.NimbusContainer against the image run.sh built, through
podman's Docker-compatible API (testcontainers.sh starts it and sets DOCKER_HOST,
NIMBUS_IMAGE and TESTCONTAINERS_RYUK_DISABLED: no registry here to pull Ryuk from)."""

import os

import pytest
from botocore.exceptions import ClientError
from docker.types import Ulimit

from nimbus_cloud.testcontainers import NimbusContainer

IMAGE = os.environ.get("NIMBUS_IMAGE", "nimbus:latest")


def host_kwargs():
    """Rootful podman without CAP_SYS_RESOURCE cannot raise nofile and nproc to its own
    maxima (its default): run.sh's explicit limits, as Docker's `ulimits`."""
    limits = []
    for name, var in (("nofile", "NIMBUS_NOFILE"), ("nproc", "NIMBUS_NPROC")):
        if os.environ.get(var):
            soft, hard = os.environ[var].split(":")
            limits.append(Ulimit(name=name, soft=int(soft), hard=int(hard)))
    return {"ulimits": limits} if limits else {}


@pytest.fixture(scope="module")
def cloud():
    container = NimbusContainer(IMAGE, **host_kwargs()).with_env("NIMBUS_EC2_TRANSITION_SECS", "30")
    with container as started:
        yield started


def test_ready_with_health_and_clients(cloud):
    assert cloud.health()["status"] == "running"
    assert cloud.endpoint.startswith("http://") and cloud.client_env["AWS_ENDPOINT_URL"] == cloud.endpoint
    assert cloud.client("sts").get_caller_identity()["Account"] == "000000000000"
    assert cloud.client("ec2") is cloud.client("ec2")


def test_instances_follow_the_clock_and_reset_empties(cloud):
    ec2 = cloud.client("ec2")
    image = ec2.describe_images(
        Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]}]
    )["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]

    def state():
        reservations = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"]
        return reservations[0]["Instances"][0]["State"]["Name"]

    assert state() == "pending"
    assert cloud.advance_clock(31)["offsetSeconds"] >= 31
    assert state() == "running"
    assert instance["InstanceId"] in cloud.state()["ec2"]["000000000000"]["us-east-1"]["instances"]
    cloud.reset()
    assert ec2.describe_instances()["Reservations"] == []


def test_credentials_reach_the_container():
    with NimbusContainer(
        IMAGE, access_key="AKIACONTAINER0000001", secret_key="container/secret", account="123456789012", **host_kwargs()
    ) as cloud:
        assert cloud.client("sts").get_caller_identity()["Account"] == "123456789012"
        stranger = cloud.client("sts", aws_access_key_id="AKIACONTAINER0000001", aws_secret_access_key="wrong")
        with pytest.raises(ClientError) as refused:
            stranger.get_caller_identity()
        assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
