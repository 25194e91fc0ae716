"""The nimbus-cloud wheel as its users meet it: run against the installed package (the
binary beside this interpreter, no Rust toolchain needed). `cargo xtask wheel` builds
it and conformance-tests/run installs it in a fresh venv to run these."""

import os
import subprocess
import sys

import pytest

import nimbus_cloud
from nimbus_cloud import Nimbus


def test_the_installed_binary_is_the_packaged_one():
    exe = nimbus_cloud.binary()
    assert os.path.realpath(exe).startswith(os.path.realpath(sys.prefix)), exe
    assert os.path.realpath(nimbus_cloud.__file__).startswith(os.path.realpath(sys.prefix)), nimbus_cloud.__file__
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"nimbus {nimbus_cloud.__version__}"


def test_the_fixture_points_boto3_and_the_environment_at_nimbus(nimbus):
    assert os.environ["AWS_ENDPOINT_URL"] == nimbus.endpoint
    assert nimbus.endpoint.startswith("http://127.0.0.1:") and nimbus.port > 0
    identity = nimbus.client("sts").get_caller_identity()
    assert identity["Account"] == "000000000000"
    # A client made by the code under test, from the environment alone, reaches it too.
    import boto3

    zones = boto3.client("ec2").describe_availability_zones()["AvailabilityZones"]
    assert {z["ZoneName"] for z in zones} >= {"us-east-1a", "us-east-1b"}
    assert nimbus.client("ec2") is nimbus.client("ec2")
    assert nimbus.client("ec2", region="eu-west-1").meta.region_name == "eu-west-1"


def test_reset_empties_the_cloud(nimbus):
    ec2 = nimbus.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    assert vpc in {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    nimbus.reset()
    assert vpc not in {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}


def test_the_clock_moves_lifecycles_on():
    with Nimbus(args=["--ec2-transition-secs", "120"]) as cloud:
        ec2 = cloud.client("ec2")
        image = ec2.describe_images(Owners=["amazon"], MaxResults=5)["Images"][0]["ImageId"]
        instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")
        instance_id = instance["Instances"][0]["InstanceId"]
        state = lambda: ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]  # noqa: E731
        assert state() == "pending"
        moved = cloud.advance_clock(120)
        assert moved["offsetSeconds"] == 120
        assert state() == "running"
        assert cloud.clock()["offsetSeconds"] == 120
    assert cloud.process is None


def test_a_cloud_of_its_own_needs_no_pytest(tmp_path, monkeypatch):
    monkeypatch.setenv("NIMBUS_STATE_DIR", str(tmp_path))  # ignored: a fixture's cloud is fresh
    with Nimbus(access_key="AKIAPLUGINTEST000001", secret_key="plugin/secret", account="123456789012") as cloud:
        assert cloud.client("sts").get_caller_identity()["Account"] == "123456789012"
        assert cloud.health()["persistence"] is None
    assert list(tmp_path.iterdir()) == []


def test_a_nimbus_that_cannot_start_says_why():
    with pytest.raises(nimbus_cloud.NimbusError, match="--no-such-flag"):
        Nimbus(args=["--no-such-flag"]).start()


SHARED = """
import os

def test_one(nimbus):
    nimbus.client("ec2").create_vpc(CidrBlock="10.1.0.0/16")

def test_two(nimbus):
    vpcs = nimbus.client("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.1.0.0/16"]}])["Vpcs"]
    print("VPCS", len(vpcs), "ENDPOINT", nimbus.endpoint)

def test_fresh(nimbus, nimbus_fresh):
    assert nimbus_fresh.endpoint != nimbus.endpoint
    assert os.environ["AWS_ENDPOINT_URL"] == nimbus_fresh.endpoint
    assert nimbus_fresh.client("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.1.0.0/16"]}])["Vpcs"] == []

def test_after_fresh(nimbus):
    assert os.environ["AWS_ENDPOINT_URL"] == nimbus.endpoint
"""


def test_one_nimbus_per_session_by_default(pytester):
    pytester.makepyfile(SHARED)
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*VPCS 1 ENDPOINT http://127.0.0.1:*"])


def test_function_scope_on_request(pytester):
    pytester.makeini("[pytest]\nnimbus_scope = function\n")
    pytester.makepyfile(SHARED)
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*VPCS 0 ENDPOINT*"])


def test_reset_marker_and_environment_restored(pytester, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "from-the-developer")
    pytester.makepyfile(
        test_a="""
        import os
        import pytest

        def test_before():
            assert "AWS_ENDPOINT_URL" not in os.environ
            assert os.environ["AWS_SESSION_TOKEN"] == "from-the-developer"

        def test_make(nimbus):
            assert "AWS_SESSION_TOKEN" not in os.environ
            nimbus.client("ec2").create_vpc(CidrBlock="10.2.0.0/16")

        @pytest.mark.nimbus_reset
        def test_reset(nimbus):
            vpcs = nimbus.client("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.2.0.0/16"]}])
            assert vpcs["Vpcs"] == []
        """,
        test_b="""
        import os

        def test_after():
            assert "AWS_ENDPOINT_URL" not in os.environ
            assert os.environ["AWS_SESSION_TOKEN"] == "from-the-developer"
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--nimbus-scope", "module")
    result.assert_outcomes(passed=4)
