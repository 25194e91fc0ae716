"""STS with boto3 and the AWS CLI: identity, session tokens, assumed roles, and the
temporary credentials nimbus then verifies."""

import datetime

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


def lifetime(credentials):
    """Seconds the credentials have left on nimbus's clock (tests may have moved it)."""
    now = datetime.datetime.fromisoformat(admin("GET", "/_nimbus/clock")[1]["now"])
    return (credentials["Expiration"] - now).total_seconds()


def test_root_session_tokens_last_an_hour_at_most():
    sts = client("sts")
    for asked in ({}, {"DurationSeconds": 129600}):
        c = sts.get_session_token(**asked)["Credentials"]
        assert 3500 < lifetime(c) <= 3600, asked


def test_federation_token_acts_as_the_federated_user():
    out = client("sts").get_federation_token(
        Name="Bob", DurationSeconds=7200,
        Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}')
    user = out["FederatedUser"]
    assert user == {"FederatedUserId": f"{ACCOUNT}:Bob", "Arn": f"arn:aws:sts::{ACCOUNT}:federated-user/Bob"}
    assert 0 < out["PackedPolicySize"] <= 100
    c = out["Credentials"]
    # The root user asked for two hours: it gets one.
    assert 3500 < lifetime(c) <= 3600
    fed = client("sts", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"], token=c["SessionToken"])
    ident = fed.get_caller_identity()
    assert (ident["Arn"], ident["UserId"], ident["Account"]) == (user["Arn"], user["FederatedUserId"], ACCOUNT)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fed.get_federation_token(Name="Eve")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client("sts").get_federation_token(Name="no spaces")
    assert e.value.response["Error"]["Code"] == "ValidationError"


def test_get_access_key_info():
    sts = client("sts")
    assert sts.get_access_key_info(AccessKeyId="AKIACONFORMANCE00001")["Account"] == "111111111111"
    issued = sts.get_session_token()["Credentials"]["AccessKeyId"]
    assert sts.get_access_key_info(AccessKeyId=issued)["Account"] == ACCOUNT
    # A key nimbus does not know answers the account its id encodes, as at AWS.
    assert sts.get_access_key_info(AccessKeyId="ASIAY34FZKBOKMUTVV7A")["Account"] == "609629065308"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client("sts", config=no_retries(parameter_validation=False)).get_access_key_info(AccessKeyId="short")
    assert e.value.response["Error"]["Code"] == "ValidationError"
