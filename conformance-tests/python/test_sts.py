"""STS with boto3 and the AWS CLI: identity, session tokens, assumed roles, and the
temporary credentials nimbus then verifies."""

import botocore.exceptions
import pytest

from conftest import ACCOUNT, admin, aws_cli, client, no_retries


def test_get_caller_identity_boto3():
    ident = client("sts").get_caller_identity()
    assert ident["Account"] == ACCOUNT
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert ident["UserId"] == ACCOUNT


def test_get_caller_identity_cli():
    ident = aws_cli("sts", "get-caller-identity")
    assert ident["Account"] == ACCOUNT
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_session_token_credentials_are_verified():
    creds = client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40
    sts = client("sts", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"], token=creds["SessionToken"])
    assert sts.get_caller_identity()["Account"] == ACCOUNT
    # The same key without its session token is refused.
    bare = client("sts", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        bare.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"
    # Session credentials cannot ask for another session token.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_session_token()
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_assume_role_acts_in_the_roles_account():
    out = client("sts").assume_role(RoleArn="arn:aws:iam::111122223333:role/app/Deployer", RoleSessionName="conformance")
    user = out["AssumedRoleUser"]
    assert user["Arn"] == "arn:aws:sts::111122223333:assumed-role/Deployer/conformance"
    assert user["AssumedRoleId"].startswith("AROA") and user["AssumedRoleId"].endswith(":conformance")
    c = out["Credentials"]
    ident = client("sts", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"], token=c["SessionToken"]).get_caller_identity()
    assert ident["Account"] == "111122223333"
    assert ident["Arn"] == user["Arn"]
    assert ident["UserId"] == user["AssumedRoleId"]
    # EC2 in the role's account works with the same credentials.
    ec2 = client("ec2", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"], token=c["SessionToken"])
    assert ec2.describe_regions(RegionNames=["us-east-1"])["Regions"][0]["RegionName"] == "us-east-1"


def test_assume_role_validation():
    # botocore validates ranges itself; switch that off so nimbus's answer is seen.
    sts = client("sts", config=no_retries(parameter_validation=False))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/R", RoleSessionName="no spaces allowed")
    assert e.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/R", RoleSessionName="ok", DurationSeconds=60)
    err = e.value.response["Error"]
    assert err["Code"] == "ValidationError"
    assert "durationSeconds" in err["Message"] and "900" in err["Message"]


def test_temporary_credentials_expire_on_nimbus_clock():
    c = client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    sts = client("sts", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"], token=c["SessionToken"])
    assert sts.get_caller_identity()["Account"] == ACCOUNT
    status, _ = admin("POST", "/_nimbus/clock", {"advanceSeconds": 901})
    assert status == 200
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "ExpiredToken"
