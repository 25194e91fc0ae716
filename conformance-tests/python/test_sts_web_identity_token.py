"""STS GetWebIdentityToken (outbound identity federation) with boto3 and the AWS CLI: the
token is a JWT signed RS256 or ES384 that a verifier checks as any OIDC consumer would,
with keys fetched over HTTP from the issuer's discovery documents, which nimbus serves
under the issuer URL the token names. Verified with PyJWT and cryptography."""

import json
import time

import botocore.exceptions
import jwt
import pytest

from conftest import ACCOUNT, HTTP, admin, aws_cli, client, no_retries

NAMESPACE = "https://sts.amazonaws.com/"


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def fetch(url):
    r = HTTP.request("GET", url)
    assert r.status == 200, (url, r.status, r.data)
    assert r.headers["Content-Type"].startswith("application/json")
    return json.loads(r.data)


def verify(token, audience):
    """What a relying party does: read the issuer from the token, fetch its OpenID
    configuration and key set, and check the signature and the registered claims."""
    issuer = jwt.decode(token, options={"verify_signature": False})["iss"]
    config = fetch(issuer + "/.well-known/openid-configuration")
    assert config["issuer"] == issuer
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "JWT"
    assert header["alg"] in config["id_token_signing_alg_values_supported"]
    keys = jwt.PyJWKSet.from_dict(fetch(config["jwks_uri"]))
    key = next(k for k in keys.keys if k.key_id == header["kid"])
    # Tokens are dated by nimbus's clock, which other tests may have moved forward.
    offset = admin("GET", "/_nimbus/clock")[1]["offsetSeconds"]
    claims = jwt.decode(
        token,
        key=key.key,
        algorithms=[header["alg"]],
        audience=audience,
        issuer=issuer,
        leeway=offset + 60,
        options={"require": ["iss", "aud", "sub", "iat", "exp", "jti"]},
    )
    return header, claims


@pytest.mark.parametrize("algorithm", ["RS256", "ES384"])
def test_tokens_verify_against_the_published_keys(algorithm):
    sts = client("sts")
    out = sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm=algorithm)
    header, claims = verify(out["WebIdentityToken"], "https://api.example.com")
    assert header["alg"] == algorithm
    assert claims["iss"].endswith(f"/_nimbus/sts/outbound/{ACCOUNT}")
    assert claims["aud"] == "https://api.example.com"
    assert claims["sub"] == f"arn:aws:iam::{ACCOUNT}:root"
    # Five minutes by default; the answer's Expiration is the token's exp.
    assert claims["exp"] - claims["iat"] == 300
    assert int(out["Expiration"].timestamp()) == claims["exp"]
    nimbus_now = time.time() + admin("GET", "/_nimbus/clock")[1]["offsetSeconds"]
    assert abs(claims["iat"] - nimbus_now) < 120
    assert claims[NAMESPACE] == {
        "aws_account": ACCOUNT,
        "source_region": "us-east-1",
        "principal_id": f"arn:aws:iam::{ACCOUNT}:root",
    }
    # Every token has its own id; the account's key stays the same.
    again = sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm=algorithm)
    assert jwt.get_unverified_header(again["WebIdentityToken"])["kid"] == header["kid"]
    assert jwt.decode(again["WebIdentityToken"], options={"verify_signature": False})["jti"] != claims["jti"]


def test_a_tampered_token_fails_verification():
    token = client("sts").get_web_identity_token(Audience=["a"], SigningAlgorithm="ES384")["WebIdentityToken"]
    header, payload, signature = token.split(".")
    forged = jwt.utils.base64url_encode(
        json.dumps({**jwt.decode(token, options={"verify_signature": False}), "sub": "arn:aws:iam::999999999999:root"}).encode()
    ).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        verify(f"{header}.{forged}.{signature}", "a")
    with pytest.raises(jwt.InvalidAudienceError):
        verify(token, "someone-else")


def test_audiences_duration_scope_and_tags_become_claims():
    out = client("sts", region="eu-west-1").get_web_identity_token(
        Audience=["https://one.example.com", "https://two.example.com"],
        SigningAlgorithm="RS256",
        DurationSeconds=3600,
        Scope="read:data write:data",
        Tags=[{"Key": "job-id", "Value": "job-2024-001"}, {"Key": "priority", "Value": "high"}],
    )
    _, claims = verify(out["WebIdentityToken"], "https://two.example.com")
    assert claims["aud"] == ["https://one.example.com", "https://two.example.com"]
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["scope"] == "read:data write:data"
    assert claims[NAMESPACE]["source_region"] == "eu-west-1"
    assert claims[NAMESPACE]["request_tags"] == {"job-id": "job-2024-001", "priority": "high"}


def test_a_role_session_is_named_by_its_role_and_cannot_outlive_itself():
    role = "arn:aws:iam::123456789012:role/DataProcessingRole"
    creds = client("sts").assume_role(RoleArn=role, RoleSessionName="job-7", DurationSeconds=900)["Credentials"]
    session = client("sts", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"], token=creds["SessionToken"])
    out = session.get_web_identity_token(Audience=["aud"], SigningAlgorithm="ES384", DurationSeconds=600)
    _, claims = verify(out["WebIdentityToken"], "aud")
    assert claims["sub"] == role
    assert claims["iss"].endswith("/_nimbus/sts/outbound/123456789012")
    assert claims[NAMESPACE]["aws_account"] == "123456789012"
    assert claims[NAMESPACE]["principal_id"] == role
    with pytest.raises(botocore.exceptions.ClientError) as e:
        session.get_web_identity_token(Audience=["aud"], SigningAlgorithm="ES384", DurationSeconds=3600)
    assert code(e) == "SessionDurationEscalationException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize(
    "params",
    [
        {"Audience": ["a"], "SigningAlgorithm": "HS256"},
        {"Audience": ["a"], "SigningAlgorithm": "RS256", "DurationSeconds": 59},
        {"Audience": ["a"], "SigningAlgorithm": "RS256", "DurationSeconds": 3601},
        {"Audience": [f"a{i}" for i in range(11)], "SigningAlgorithm": "RS256"},
        {"Audience": ["x" * 1001], "SigningAlgorithm": "RS256"},
        {"Audience": ["a"], "SigningAlgorithm": "RS256", "SubjectMode": "Someone"},
        {"Audience": ["a"], "SigningAlgorithm": "RS256", "Tags": [{"Key": "k", "Value": "1"}, {"Key": "K", "Value": "2"}]},
    ],
)
def test_bad_input_is_a_validation_error(params):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client("sts", config=no_retries(parameter_validation=False)).get_web_identity_token(**params)
    assert code(e) == "ValidationError"


def test_too_many_tag_bytes_exceed_the_payload_size():
    tags = [{"Key": f"key-{i:03}-" + "k" * 100, "Value": "v" * 200} for i in range(40)]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client("sts").get_web_identity_token(Audience=["a"], SigningAlgorithm="RS256", Tags=tags)
    assert code(e) == "JWTPayloadSizeExceededException"


def test_the_cli_gets_a_token():
    out = aws_cli("sts", "get-web-identity-token", "--audience", "test", "--signing-algorithm", "RS256", "--duration-seconds", "300")
    _, claims = verify(out["WebIdentityToken"], "test")
    assert claims["sub"] == f"arn:aws:iam::{ACCOUNT}:root"
