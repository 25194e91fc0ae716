"""CloudWatch over each of its three protocols, with botocore's own serializers:
awsQuery (what Terraform's provider sends), JSON 1.0 (boto3, the CLI, Ansible) and
Smithy RPC v2 CBOR (aws-sdk-rust, Java, Go v2). Every test runs once per protocol
and must give the same answers."""

import datetime

import botocore.exceptions
import pytest

from conftest import FORM, aws_cli, client, form, raw_request, unique


def test_put_then_list_metrics(cw):
    ns = unique("Conformance")
    when = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    cw.put_metric_data(
        Namespace=ns,
        MetricData=[
            {"MetricName": "Latency", "Value": 12.5, "Unit": "Milliseconds", "Timestamp": when,
             "Dimensions": [{"Name": "Service", "Value": "api"}, {"Name": "Stage", "Value": "prod"}]},
            {"MetricName": "Latency", "Values": [1, 2, 3], "Counts": [1, 1, 2], "Dimensions": [{"Name": "Service", "Value": "web"}]},
            {"MetricName": "Requests", "StatisticValues": {"SampleCount": 3, "Sum": 6, "Minimum": 1, "Maximum": 3}},
        ],
    )
    metrics = cw.list_metrics(Namespace=ns)["Metrics"]
    got = sorted((m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"]))) for m in metrics)
    assert got == [
        ("Latency", (("Service", "api"), ("Stage", "prod"))),
        ("Latency", (("Service", "web"),)),
        ("Requests", ()),
    ]
    by_dim = cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Service", "Value": "web"}])["Metrics"]
    assert [m["Dimensions"] for m in by_dim] == [[{"Name": "Service", "Value": "web"}]]
    name_only = cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Stage"}])["Metrics"]
    assert len(name_only) == 1
    recent = cw.list_metrics(Namespace=ns, MetricName="Requests", RecentlyActive="PT3H")["Metrics"]
    assert [m["MetricName"] for m in recent] == ["Requests"]


def test_modeled_errors(cw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_metric_data(Namespace="AWS/EC2", MetricData=[{"MetricName": "X", "Value": 1}])
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_metric_data(
            Namespace=unique("Conformance"),
            MetricData=[{"MetricName": "X", "Value": 1, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}],
        )
    assert e.value.response["Error"]["Code"] == "InvalidParameterCombination"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.list_metrics(NextToken="not-a-token")
    assert e.value.response["Error"]["Code"] == "InvalidNextToken"


def test_state_is_per_region_and_account(cw):
    ns = unique("Regional")
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "X", "Value": 1}])
    other = client("cloudwatch", region="eu-west-1")
    assert other.list_metrics(Namespace=ns)["Metrics"] == []


def test_list_metrics_cli():
    ns = unique("Cli")
    aws_cli("cloudwatch", "put-metric-data", "--namespace", ns, "--metric-name", "Hits", "--value", "1", "--dimensions", "Page=home")
    out = aws_cli("cloudwatch", "list-metrics", "--namespace", ns)
    assert out["Metrics"] == [{"Namespace": ns, "MetricName": "Hits", "Dimensions": [{"Name": "Page", "Value": "home"}]}]


def test_raw_awsquery_form_request():
    """A hand-made awsQuery request, as Terraform's provider sends it."""
    ns = unique("Raw")
    r = raw_request(
        body=form({"Action": "PutMetricData", "Version": "2010-08-01", "Namespace": ns,
                   "MetricData.member.1.MetricName": "Q", "MetricData.member.1.Value": "4",
                   "MetricData.member.1.Dimensions.member.1.Name": "D",
                   "MetricData.member.1.Dimensions.member.1.Value": "v"}),
        headers=FORM, service="monitoring",
    )
    assert r.status == 200, r.text
    assert "<PutMetricDataResponse" in r.text and "<RequestId>" in r.text
    r = raw_request(body=form({"Action": "ListMetrics", "Version": "2010-08-01", "Namespace": ns}), headers=FORM, service="monitoring")
    assert r.status == 200, r.text
    assert r.headers["content-type"].startswith("text/xml")
    assert "<ListMetricsResult><Metrics><member><Namespace>" + ns in r.text
    assert "<Dimensions><member><Name>D</Name><Value>v</Value></member></Dimensions>" in r.text
    assert r.headers["x-amzn-requestid"] in r.text


def test_gzip_request_body(cw):
    """The SDKs compress PutMetricData bodies (requestcompression); nimbus takes gzip."""
    ns = unique("Gzip")
    data = [{"MetricName": f"M{i}", "Value": float(i), "Dimensions": [{"Name": "Host", "Value": "h" * 100}]} for i in range(200)]
    seen = []
    cw.meta.events.register("before-send.cloudwatch", lambda request, **_: seen.append(request.headers.get("Content-Encoding")))
    cw.put_metric_data(Namespace=ns, MetricData=data)
    assert b"gzip" in (seen[0] or b"") or seen[0] == "gzip", f"botocore did not compress: {seen}"
    assert len(cw.list_metrics(Namespace=ns)["Metrics"]) == 200
