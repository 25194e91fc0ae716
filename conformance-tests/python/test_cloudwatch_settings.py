"""CloudWatch's saved query definitions, OTel enrichment, the default dataset's KMS key
and resource metrics configurations, over each protocol, with their error paths. Each
protocol works in a Region of its own: these settings are per account and Region."""

import uuid

import botocore.exceptions
import pytest

from conftest import ACCOUNT, PROTOCOLS, cloudwatch_client

REGIONS = {"json": "us-west-1", "query": "us-west-2", "smithy-rpc-v2-cbor": "eu-west-1"}


@pytest.fixture(params=PROTOCOLS)
def cwr(request):
    region = REGIONS[request.param]
    c = cloudwatch_client(request.param, region=region)
    c.region = region
    yield c
    assert set(c.protocols_seen) == {request.param}


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_metric_data_query_definitions(cwr):
    folder = f"conformance/{uuid.uuid4().hex[:8]}"
    made = cwr.put_metric_data_query_definition(
        Path=f"{folder}/latency",
        Expression="SELECT AVG(Latency) FROM App",
        Type="SQL",
        Tags=[{"Key": "team", "Value": "web"}],
    )
    assert made["Arn"] == f"arn:aws:cloudwatch:{cwr.region}:{ACCOUNT}:metric-query-definition/{made['Id']}"
    assert made["CreatedAt"] == made["UpdatedAt"]
    got = cwr.get_metric_data_query_definition(Id=made["Id"])
    assert (got["Path"], got["Expression"], got["Type"]) == (f"{folder}/latency", "SELECT AVG(Latency) FROM App", "SQL")
    assert cwr.list_tags_for_resource(ResourceARN=made["Arn"])["Tags"] == [{"Key": "team", "Value": "web"}]

    with pytest.raises(botocore.exceptions.ClientError) as e:
        cwr.put_metric_data_query_definition(Path=f"{folder}/latency", Expression="m1", Type="METRIC_MATH")
    assert code(e) == "ConflictException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cwr.put_metric_data_query_definition(Path=f"{folder}//x", Expression="m1", Type="METRIC_MATH")
    assert code(e) == "InvalidParameterValue"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cwr.put_metric_data_query_definition(Id="missing", Path=f"{folder}/y", Expression="m1", Type="METRIC_MATH")
    assert code(e) == "ResourceNotFoundException"

    updated = cwr.put_metric_data_query_definition(
        Id=made["Id"], Path=f"{folder}/p99", Expression="rate(x[5m])", Type="PROMQL"
    )
    assert updated["CreatedAt"] == made["CreatedAt"] and updated["Type"] == "PROMQL"
    second = cwr.put_metric_data_query_definition(Path=f"{folder}/errors", Expression="m1", Type="METRIC_MATH")

    mine, token = [], None
    while True:
        page = cwr.list_metric_data_query_definitions(MaxResults=1, **({"NextToken": token} if token else {}))
        assert len(page["Items"]) <= 1
        mine += [i["Path"] for i in page["Items"] if i["Path"].startswith(folder)]
        token = page.get("NextToken")
        if not token:
            break
    assert mine == [f"{folder}/errors", f"{folder}/p99"]

    for d in (made, second):
        cwr.delete_metric_data_query_definition(Id=d["Id"])
    cwr.delete_metric_data_query_definition(Id=made["Id"])  # idempotent
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cwr.get_metric_data_query_definition(Id=made["Id"])
    assert code(e) == "ResourceNotFoundException"


def test_otel_enrichment(cwr):
    cwr.stop_otel_enrichment()
    assert cwr.get_otel_enrichment()["Status"] == "Stopped"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cwr.update_otel_enrichment(IncludeFilters=[{"Namespace": "AWS/EC2"}])
    assert code(e) == "ResourceNotFoundException"

    started = cwr.start_otel_enrichment(IncludeFilters=[{"Namespace": "AWS/EC2", "MetricNames": ["CPUUtilization"]}])
    again = cwr.start_otel_enrichment(IncludeFilters=[{"Namespace": "AWS/RDS"}])
    assert again["IncludeFilters"] == started["IncludeFilters"], "a second start keeps the filters"
    got = cwr.get_otel_enrichment()
    assert got["Status"] == "Running" and got["IncludeFilters"][0]["Namespace"] == "AWS/EC2"

    updated = cwr.update_otel_enrichment(ExcludeFilters=[{"Namespace": "AWS/ELB"}])
    assert "IncludeFilters" not in updated, "include and exclude are replaced as a pair"
    assert updated["ExcludeFilters"] == [{"Namespace": "AWS/ELB"}]

    with pytest.raises(botocore.exceptions.ClientError) as e:
        cwr.update_otel_enrichment(
            IncludeFilters=[{"Namespace": f"N{i}"} for i in range(60)],
            ExcludeFilters=[{"Namespace": f"X{i}"} for i in range(41)],
        )
    assert code(e) == "ValidationError"

    cwr.stop_otel_enrichment()
    stopped = cwr.get_otel_enrichment()
    assert stopped["Status"] == "Stopped" and "IncludeFilters" not in stopped and "CreatedAt" not in stopped


def test_default_dataset_and_its_kms_key(cwr):
    arn = f"arn:aws:cloudwatch:{cwr.region}:{ACCOUNT}:dataset/default"
    key = f"arn:aws:kms:{cwr.region}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    try:
        cwr.disassociate_dataset_kms_key(DatasetIdentifier="default")
    except botocore.exceptions.ClientError:
        pass
    got = cwr.get_dataset(DatasetIdentifier="default")
    assert (got["DatasetId"], got["Arn"]) == ("default", arn) and "KmsKeyArn" not in got

    with pytest.raises(botocore.exceptions.ClientError) as e:
        cwr.associate_dataset_kms_key(
            DatasetIdentifier="default", KmsKeyArn=f"arn:aws:kms:ap-south-1:{ACCOUNT}:key/1234abcd-12ab"
        )
    assert code(e) == "KmsKeyNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cwr.disassociate_dataset_kms_key(DatasetIdentifier="default")
    assert code(e) == "ResourceNotFoundException"

    cwr.associate_dataset_kms_key(DatasetIdentifier=arn, KmsKeyArn=key)
    assert cwr.get_dataset(DatasetIdentifier=arn)["KmsKeyArn"] == key
    cwr.disassociate_dataset_kms_key(DatasetIdentifier="default")
    assert "KmsKeyArn" not in cwr.get_dataset(DatasetIdentifier="default")


def test_resource_metrics_configurations(cwr):
    arn = f"arn:aws:ec2:{cwr.region}:{ACCOUNT}:instance/i-{uuid.uuid4().hex[:17]}"
    made = cwr.create_resource_metrics_configuration(
        ResourceArn=arn, MetricSelections=[{"IncludeMetrics": ["CPUUtilization"]}]
    )["ResourceMetricsConfiguration"]
    assert made["ResourceArn"] == arn and made["MetricSelections"] == [{"IncludeMetrics": ["CPUUtilization"]}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cwr.create_resource_metrics_configuration(ResourceArn=arn)
    assert code(e) == "ConflictException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cwr.create_resource_metrics_configuration(ResourceArn="arn:aws:ec2:us-east-1:999999999999:instance/i-1")
    assert code(e) == "ResourceNotFoundException"

    updated = cwr.update_resource_metrics_configuration(ResourceArn=arn)["ResourceMetricsConfiguration"]
    assert "MetricSelections" not in updated and updated["CreatedAt"] == made["CreatedAt"]
    assert cwr.get_resource_metrics_configuration(ResourceArn=arn)["ResourceMetricsConfiguration"]["ResourceArn"] == arn

    cwr.delete_resource_metrics_configuration(ResourceArn=arn)
    for call in (cwr.get_resource_metrics_configuration, cwr.delete_resource_metrics_configuration):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call(ResourceArn=arn)
        assert code(e) == "ResourceNotFoundException"
