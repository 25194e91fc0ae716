"""Shared fixtures: the nimbus under test, real boto3/botocore clients, and a raw
SigV4-signed request helper for the cases no SDK will send on its own."""

import copy
import datetime
import json
import os
import subprocess
import urllib.parse
import uuid
from unittest import mock

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.loaders
import botocore.session
import pytest
import urllib3
from botocore.config import Config

ENDPOINT = os.environ.get("NIMBUS_ENDPOINT", "http://127.0.0.1:4566")
ACCESS_KEY = "test"
SECRET_KEY = "test"
ACCOUNT = "000000000000"
HTTP = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=60))

# botocore protocol name -> how a request in it looks on the wire
PROTOCOLS = ["json", "query", "smithy-rpc-v2-cbor"]


def no_retries(**kw):
    return Config(retries={"max_attempts": 1, "mode": "standard"}, **kw)


@pytest.fixture(scope="session")
def endpoint():
    return ENDPOINT


@pytest.fixture(autouse=True, scope="session")
def _aws_env():
    # The CLI and SDKs read these; nothing must leak in from the developer's machine.
    for k in list(os.environ):
        if k.startswith("AWS_") and k not in ("AWS_ENDPOINT_URL",):
            del os.environ[k]
    os.environ.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=ENDPOINT,
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )


def client(service, region="us-east-1", access_key=ACCESS_KEY, secret_key=SECRET_KEY, token=None, **kw):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=ENDPOINT,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=token,
        config=kw.pop("config", no_retries()),
        **kw,
    )


class _ProtocolLoader(botocore.loaders.Loader):
    """Loads CloudWatch's model with one protocol forced, so botocore's own serializer
    for that protocol (query, json or smithy-rpc-v2-cbor) drives the request."""

    def __init__(self, protocol):
        super().__init__()
        self._protocol = protocol

    def load_service_model(self, service_name, type_name, api_version=None):
        model = super().load_service_model(service_name, type_name, api_version)
        if type_name == "service-2" and service_name == "cloudwatch":
            model = copy.deepcopy(model)
            model["metadata"]["protocol"] = self._protocol
            model["metadata"]["protocols"] = [self._protocol]
        return model


def cloudwatch_client(protocol, region="us-east-1", access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    session = botocore.session.get_session()
    session.register_component("data_loader", _ProtocolLoader(protocol))
    c = session.create_client(
        "cloudwatch",
        region_name=region,
        endpoint_url=ENDPOINT,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=no_retries(),
    )
    seen = []

    def record(request, **_):
        headers = {k.lower(): v for k, v in request.headers.items()}
        if "smithy-protocol" in headers:
            seen.append("smithy-rpc-v2-cbor")
        elif "x-amz-target" in headers:
            seen.append("json")
        else:
            seen.append("query")

    c.meta.events.register("before-send.cloudwatch", record)
    c.protocols_seen = seen
    return c


@pytest.fixture(params=PROTOCOLS)
def cw(request):
    """A CloudWatch client per protocol; asserts afterwards that it really spoke it."""
    c = cloudwatch_client(request.param)
    yield c
    assert c.protocols_seen, "the client sent nothing"
    assert set(c.protocols_seen) == {request.param}, c.protocols_seen


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Raw:
    """A response to a hand-made request."""

    def __init__(self, r):
        self.status = r.status
        self.headers = {k.lower(): v for k, v in r.headers.items()}
        self.body = r.data

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def error_code(self):
        """The AWS error code, whatever the protocol."""
        if "x-amzn-query-error" in self.headers:
            return self.headers["x-amzn-query-error"].split(";")[0]
        ctype = self.headers.get("content-type", "")
        if "json" in ctype:
            return json.loads(self.body)["__type"].split("#")[-1]
        if "cbor" in ctype:
            return None
        import re

        m = re.search(rb"<Code>([^<]*)</Code>", self.body)
        return m.group(1).decode() if m else None


def raw_request(
    method="POST",
    path="/",
    body=b"",
    headers=None,
    service=None,
    region="us-east-1",
    sign=True,
    access_key=ACCESS_KEY,
    secret_key=SECRET_KEY,
    token=None,
    when=None,
    host=None,
    query="",
):
    """Sends one request, SigV4-signed with botocore's signer unless sign=False.
    `when` signs with another clock; `host` sends (and signs) another Host header."""
    url = ENDPOINT + path + (("?" + query) if query else "")
    headers = dict(headers or {})
    if host:
        headers["Host"] = host
    if sign:
        req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=headers)
        creds = botocore.credentials.Credentials(access_key, secret_key, token)
        signer = botocore.auth.SigV4Auth(creds, service, region)
        if when is not None:
            with mock.patch("botocore.auth.get_current_datetime", return_value=when):
                signer.add_auth(req)
        else:
            signer.add_auth(req)
        headers = dict(req.headers.items())
    r = HTTP.request(method, url, body=body, headers=headers, retries=False)
    return Raw(r)


def form(params):
    return urllib.parse.urlencode(params).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def aws_cli(*args, env=None):
    """Runs the AWS CLI (v1, from the venv) and returns its parsed JSON output."""
    e = dict(os.environ)
    e.update(env or {})
    out = subprocess.run(["aws", *args, "--output", "json"], env=e, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed ({out.returncode}): {out.stderr}")
    return json.loads(out.stdout) if out.stdout.strip() else {}


def admin(method, path, body=None):
    r = HTTP.request(method, ENDPOINT + path, body=json.dumps(body).encode() if body is not None else None)
    return r.status, json.loads(r.data or b"null")
