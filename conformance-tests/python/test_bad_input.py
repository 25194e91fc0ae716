"""Hostile and broken requests, signed so that they get past SigV4: each is answered
with a 4xx and AWS's error code in the request's protocol, and nimbus stays up."""

import pytest

from conftest import ENDPOINT, FORM, HTTP, form, raw_request

JSON = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics"}
CBOR_PATH = "/service/GraniteServiceVersion20100801/operation/ListMetrics"
CBOR = {"Content-Type": "application/cbor", "Accept": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}

CASES = [
    # id, kwargs for raw_request, expected status, expected code
    ("empty-body-ec2", dict(body=b"", headers=FORM, service="ec2"), 400, "MissingAction"),
    ("empty-body-sts", dict(body=b"", headers=FORM, service="sts"), 400, "MissingAction"),
    ("truncated-cbor", dict(path=CBOR_PATH, body=bytes.fromhex("bf694e616d65737061636565"), headers=CBOR, service="monitoring"),
     400, "SerializationException"),
    ("cbor-wrong-type", dict(path=CBOR_PATH, body=bytes.fromhex("a1694e616d6573706163650c"), headers=CBOR, service="monitoring"),
     400, "SerializationException"),
    ("invalid-json", dict(body=b'{"Namespace": ', headers=JSON, service="monitoring"), 400, "SerializationException"),
    ("json-wrong-type", dict(body=b'{"Namespace": 5}', headers=JSON, service="monitoring"), 400, "SerializationException"),
    ("json-not-an-object", dict(body=b'[1,2]', headers=JSON, service="monitoring"), 400, "SerializationException"),
    ("unknown-action-ec2", dict(body=form({"Action": "LaunchRockets", "Version": "2016-11-15"}), headers=FORM, service="ec2"),
     400, "InvalidAction"),
    ("unknown-action-query", dict(body=form({"Action": "Nope", "Version": "2010-08-01"}), headers=FORM, service="monitoring"),
     400, "InvalidAction"),
    ("unknown-json-target", dict(body=b"{}", headers={**JSON, "X-Amz-Target": "GraniteServiceVersion20100801.Nope"}, service="monitoring"),
     400, "InvalidAction"),
    ("missing-version-ec2", dict(body=form({"Action": "DescribeRegions"}), headers=FORM, service="ec2"), 400, "MissingParameter"),
    ("missing-version-sts", dict(body=form({"Action": "GetCallerIdentity"}), headers=FORM, service="sts"), 400, "MissingParameter"),
    ("repeated-parameter", dict(body=b"Action=DescribeRegions&Version=2016-11-15&RegionName.1=us-east-1&RegionName.1=eu-west-1",
                                headers=FORM, service="ec2"), 400, "MalformedQueryString"),
    ("repeated-action", dict(body=b"Action=DescribeRegions&Action=DescribeVpcs&Version=2016-11-15", headers=FORM, service="ec2"),
     400, "MalformedQueryString"),
    ("non-utf8-form", dict(body=b"Action=DescribeRegions&Version=2016-11-15&RegionName.1=%ff%fe", headers=FORM, service="ec2"),
     400, "MalformedQueryString"),
    ("non-utf8-raw-form", dict(body=b"Action=GetCallerIdentity&Version=2011-06-15&X=\xff\xfe", headers=FORM, service="sts"),
     400, "MalformedQueryString"),
    ("non-utf8-json", dict(body=b'{"Namespace": "\xff\xfe"}', headers=JSON, service="monitoring"), 400, "SerializationException"),
    ("unknown-parameter-ec2", dict(body=form({"Action": "DescribeRegions", "Version": "2016-11-15", "Bogus": "1"}), headers=FORM,
                                   service="ec2"), 400, "UnknownParameter"),
    ("wrong-type-ec2", dict(body=form({"Action": "DescribeRegions", "Version": "2016-11-15", "AllRegions": "maybe"}), headers=FORM,
                            service="ec2"), 400, "InvalidParameterValue"),
    ("nan-json", dict(body=b'{"Namespace":"N","MetricData":[{"MetricName":"M","Value":"NaN"}]}',
                      headers={**JSON, "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData"}, service="monitoring"),
     400, "InvalidParameterValue"),
    ("huge-number-json", dict(body=b'{"Namespace":"N","MetricData":[{"MetricName":"M","Value":1e999}]}',
                              headers={**JSON, "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData"}, service="monitoring"),
     400, "SerializationException"),
    ("deep-json", dict(body=b"[" * 5000 + b"]" * 5000, headers=JSON, service="monitoring"), 400, "SerializationException"),
    ("ten-megabytes", dict(body=b"Action=DescribeRegions&Version=2016-11-15&X=" + b"a" * (10 * 1024 * 1024), headers=FORM,
                           service="ec2"), 413, "RequestEntityTooLarge"),
    ("missing-authorization", dict(body=form({"Action": "DescribeRegions", "Version": "2016-11-15"}), headers=FORM, sign=False),
     403, "MissingAuthenticationToken"),
    ("wrong-content-type", dict(body=b"<xml/>", headers={"Content-Type": "application/xml"}, service="sts"), 415, "UnsupportedMediaType"),
]


def healthy():
    r = HTTP.request("GET", ENDPOINT + "/_nimbus/health")
    return r.status == 200


@pytest.mark.parametrize("kwargs,status,code", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(kwargs, status, code):
    r = raw_request(**kwargs)
    assert r.status == status, r.text[:500]
    assert r.error_code() == code, r.text[:500]
    assert "x-amzn-requestid" in r.headers
    assert healthy()
