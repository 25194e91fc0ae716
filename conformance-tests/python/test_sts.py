"""STS with boto3 and the AWS CLI: identity, session tokens, assumed roles, and the
temporary credentials nimbus then verifies."""

import base64
import datetime
import json
import os
import subprocess
import sys

import botocore.exceptions
import pytest

from conftest import ACCOUNT, ENDPOINT, admin, aws_cli, client, no_retries


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


def oidc_token(**claims):
    """An OIDC ID token as GitHub Actions or EKS would hand it over (nimbus checks its
    shape and expiry, not its signature: there is no IAM provider to hold the key)."""
    part = lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).rstrip(b"=").decode()
    now = datetime.datetime.fromisoformat(admin("GET", "/_nimbus/clock")[1]["now"])
    body = {"iss": "https://token.actions.githubusercontent.com", "sub": "repo:acme/app:ref:refs/heads/main",
            "aud": "sts.amazonaws.com", "exp": int(now.timestamp()) + 600, **claims}
    return f"{part({'alg': 'RS256', 'typ': 'JWT', 'kid': 'k1'})}.{part(body)}.c2lnbmF0dXJl"


def test_assume_role_with_web_identity_is_unsigned_and_checks_the_token():
    role = "arn:aws:iam::222233334444:role/ci/Deployer"
    out = client("sts").assume_role_with_web_identity(RoleArn=role, RoleSessionName="gha", WebIdentityToken=oidc_token())
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::222233334444:assumed-role/Deployer/gha"
    assert out["SubjectFromWebIdentityToken"] == "repo:acme/app:ref:refs/heads/main"
    assert (out["Audience"], out["Provider"]) == ("sts.amazonaws.com", "https://token.actions.githubusercontent.com")
    c = out["Credentials"]
    assert 3500 < lifetime(c) <= 3600
    ident = client("sts", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"], token=c["SessionToken"]).get_caller_identity()
    assert (ident["Account"], ident["Arn"]) == ("222233334444", out["AssumedRoleUser"]["Arn"])
    for token, code in (("opaque-access-token", "InvalidIdentityToken"),
                        (oidc_token(exp=1_000_000_000), "ExpiredTokenException")):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            client("sts").assume_role_with_web_identity(RoleArn=role, RoleSessionName="gha", WebIdentityToken=token)
        assert e.value.response["Error"]["Code"] == code
    # Only the operations the model leaves unsigned go without a signature.
    unsigned = client("sts", config=no_retries(signature_version=botocore.UNSIGNED))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        unsigned.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "MissingAuthenticationToken"


def test_the_web_identity_credential_provider_gets_credentials_from_nimbus(tmp_path):
    """A workload configured for web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE,
    as EKS and GitHub Actions set them) and pointed at nimbus gets its credentials here."""
    token_file = tmp_path / "token"
    token_file.write_text(oidc_token())
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=ENDPOINT, AWS_ROLE_ARN="arn:aws:iam::222233334444:role/Workload",
               AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file), AWS_ROLE_SESSION_NAME="pod-1", AWS_DEFAULT_REGION="eu-west-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    script = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "arn:aws:sts::222233334444:assumed-role/Workload/pod-1"
