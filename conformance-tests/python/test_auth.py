"""SigV4 refusals with real clients, per protocol: a wrong secret, a clock 20 minutes
off and a credential scope naming another region than the endpoint's are each
refused with AWS's code; the matching good requests pass."""

import datetime
import urllib.parse
from unittest import mock

import botocore.exceptions
import pytest

from conftest import ENDPOINT, FORM, client, cloudwatch_client, form, raw_request, utcnow

PORT = urllib.parse.urlparse(ENDPOINT).port

# (label, signing name, client factory, a call, expected codes for: wrong secret, skew, other region)
CASES = [
    ("ec2", "ec2", lambda **kw: client("ec2", **kw), lambda c: c.describe_regions(),
     ("AuthFailure", 401), ("RequestExpired", 400), ("AuthFailure", 401)),
    ("sts-query", "sts", lambda **kw: client("sts", **kw), lambda c: c.get_caller_identity(),
     ("SignatureDoesNotMatch", 403), ("SignatureDoesNotMatch", 403), ("SignatureDoesNotMatch", 403)),
] + [
    (f"cloudwatch-{p}", "monitoring", (lambda p: lambda **kw: cloudwatch_client(p, **kw))(p), lambda c: c.list_metrics(),
     ("SignatureDoesNotMatch", 403), ("SignatureDoesNotMatch", 403), ("SignatureDoesNotMatch", 403))
    for p in ("query", "json", "smithy-rpc-v2-cbor")
]
IDS = [c[0] for c in CASES]


def refused(call, c):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(c)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"], e.value.response["Error"].get("Message", "")


@pytest.mark.parametrize("label,signing,make,call,bad_secret,skew,region", CASES, ids=IDS)
def test_wrong_secret(label, signing, make, call, bad_secret, skew, region):
    c = make(secret_key="not-the-secret")
    assert refused(call, c)[:2] == bad_secret


@pytest.mark.parametrize("label,signing,make,call,bad_secret,skew,region", CASES, ids=IDS)
def test_clock_twenty_minutes_off(label, signing, make, call, bad_secret, skew, region):
    c = make()
    past = utcnow() - datetime.timedelta(minutes=20)
    with mock.patch("botocore.auth.get_current_datetime", return_value=past):
        code, status, message = refused(call, c)
    assert (code, status) == skew
    if code == "SignatureDoesNotMatch":
        assert message.startswith("Signature expired: ") and message.endswith(" - 15 min.)")
    # Ten minutes off is inside AWS's window.
    with mock.patch("botocore.auth.get_current_datetime", return_value=utcnow() - datetime.timedelta(minutes=10)):
        call(c)


def _with_host(c, signing, region):
    host = f"{signing}.{region}.localhost:{PORT}"

    def set_host(request, **_):
        request.headers["Host"] = host

    c.meta.events.register_first("before-sign", set_host)
    return c


@pytest.mark.parametrize("label,signing,make,call,bad_secret,skew,region", CASES, ids=IDS)
def test_scope_naming_another_region(label, signing, make, call, bad_secret, skew, region):
    # The client signs for eu-west-1 but talks to the us-east-1 endpoint.
    bad = _with_host(make(region="eu-west-1"), signing, "us-east-1")
    assert refused(call, bad)[:2] == region
    # Control: the eu-west-1 endpoint accepts the same client.
    good = _with_host(make(region="eu-west-1"), signing, "eu-west-1")
    call(good)


def test_unknown_access_key():
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client("sts", access_key="AKIANOTKNOWN", secret_key="x").get_caller_identity()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        client("ec2", access_key="AKIANOTKNOWN", secret_key="x").describe_regions()
    assert e.value.response["Error"]["Code"] == "AuthFailure"


def test_scope_naming_another_service():
    r = raw_request(body=form({"Action": "GetCallerIdentity", "Version": "2011-06-15"}), headers=FORM, service="monitoring")
    # The scope names monitoring, so the request is routed there and GetCallerIdentity is unknown to it...
    assert r.status == 400 and r.error_code() == "InvalidAction"
    # ...while a JSON CloudWatch request signed for sts is refused.
    r = raw_request(body=b"{}", headers={"X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics",
                                         "Content-Type": "application/x-amz-json-1.0"}, service="sts")
    assert r.status == 403 and r.error_code() == "SignatureDoesNotMatch"
    assert "monitoring" in r.text


@pytest.mark.parametrize("service,body,headers,code", [
    ("sts", form({"Action": "GetCallerIdentity", "Version": "2011-06-15"}), FORM, "MissingAuthenticationToken"),
    ("ec2", form({"Action": "DescribeRegions", "Version": "2016-11-15"}), FORM, "MissingAuthenticationToken"),
    ("monitoring", b"{}", {"X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics", "Content-Type": "application/x-amz-json-1.0"},
     "MissingAuthenticationToken"),
])
def test_missing_authorization(service, body, headers, code):
    r = raw_request(body=body, headers=headers, sign=False)
    assert r.status == 403
    assert r.error_code() == code


def test_presigned_get_caller_identity():
    """The presigned query form (as Vault and EKS authenticators use with STS)."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    import urllib3

    req = botocore.awsrequest.AWSRequest(method="GET", url=ENDPOINT + "/?Action=GetCallerIdentity&Version=2011-06-15")
    botocore.auth.SigV4QueryAuth(botocore.credentials.Credentials("test", "test"), "sts", "us-east-1", expires=60).add_auth(req)
    r = urllib3.request("GET", req.url)
    assert r.status == 200, r.data
    assert b"<Arn>arn:aws:iam::000000000000:root</Arn>" in r.data
    # Tampering with a signed parameter breaks it.
    r = urllib3.request("GET", req.url.replace("GetCallerIdentity", "GetSessionToken"))
    assert r.status == 403


# --- the AWS CLI v1 --------------------------------------------------------------------
# (command, signing name, expected codes for: wrong secret, skew, other region)
CLI_CASES = [
    (["sts", "get-caller-identity"], "sts", "SignatureDoesNotMatch", "SignatureDoesNotMatch", "SignatureDoesNotMatch"),
    (["ec2", "describe-regions"], "ec2", "AuthFailure", "RequestExpired", "AuthFailure"),
    (["cloudwatch", "list-metrics"], "monitoring", "SignatureDoesNotMatch", "SignatureDoesNotMatch", "SignatureDoesNotMatch"),
]


def cli(args, env=None, prefix=()):
    import os
    import subprocess

    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([*prefix, "aws", *args, "--output", "json"], env=e, capture_output=True, text=True, timeout=120)


def cli_error_code(out):
    import re

    m = re.search(r"An error occurred \(([^)]+)\)", out.stderr)
    return m.group(1) if m else f"<no error: rc={out.returncode} {out.stderr[-300:]}>"


@pytest.mark.parametrize("args,signing,bad_secret,skew,region", CLI_CASES, ids=[c[1] for c in CLI_CASES])
def test_cli_refusals(args, signing, bad_secret, skew, region):
    import shutil

    assert cli(args).returncode == 0
    assert cli_error_code(cli(args, {"AWS_SECRET_ACCESS_KEY": "wrong"})) == bad_secret
    # The CLI's clock 20 minutes behind (libfaketime), then 10 minutes (inside the window).
    faketime = shutil.which("faketime")
    if faketime is None:
        pytest.skip("faketime is not installed (conformance-tests/run installs it)")
    assert cli_error_code(cli(args, prefix=(faketime, "-f", "-20m"))) == skew
    assert cli(args, prefix=(faketime, "-f", "-10m")).returncode == 0
    # A regional endpoint name, reached through nimbus acting as the HTTP proxy: the CLI
    # signs for eu-west-1 but calls the us-east-1 endpoint.
    regional = {"HTTP_PROXY": ENDPOINT, "NO_PROXY": "", "AWS_ENDPOINT_URL": f"http://{signing}.us-east-1.nimbus.test:{PORT}"}
    assert cli_error_code(cli([*args, "--region", "eu-west-1"], regional)) == region
    assert cli([*args, "--region", "us-east-1"], regional).returncode == 0
