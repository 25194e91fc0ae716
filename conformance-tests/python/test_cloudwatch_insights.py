"""Contributor Insights reports and alarm contributors over each protocol. nimbus has no
CloudWatch Logs, so no rule ever matches an event: a report has no contributors and one
zero datapoint per period, and an alarm has no contributors; the checks are AWS's."""

import datetime
import json
import uuid

import botocore.exceptions
import pytest

from conftest import aws_cli, unique

UTC = datetime.timezone.utc
DEFINITION = json.dumps({
    "Schema": {"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": ["/app/access"], "LogFormat": "JSON",
    "Contribution": {"Keys": ["$.ip"], "Filters": []}, "AggregateOn": "Sum", "ValueOf": "$.bytes",
})


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_insight_rule_report(cw):
    rule = unique("top-talkers")
    cw.put_insight_rule(RuleName=rule, RuleDefinition=DEFINITION)
    start = datetime.datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    out = cw.get_insight_rule_report(
        RuleName=rule, StartTime=start, EndTime=start + datetime.timedelta(hours=1), Period=600,
        Metrics=["UniqueContributors", "Sum"], MaxContributorCount=5, OrderBy="Sum",
    )
    assert out["KeyLabels"] == ["$.ip"]
    assert out["AggregationStatistic"] == "Sum"
    assert (out["AggregateValue"], out["ApproximateUniqueCount"], out["Contributors"]) == (0.0, 0, [])
    points = out["MetricDatapoints"]
    assert [p["Timestamp"] for p in points] == [start + datetime.timedelta(minutes=10 * i) for i in range(6)]
    assert all(p["UniqueContributors"] == 0.0 and p["Sum"] == 0.0 and "Maximum" not in p for p in points)
    for kwargs, want in (
        ({"Metrics": ["P99"]}, "InvalidParameterValue"),
        ({"OrderBy": "Average"}, "InvalidParameterValue"),
        ({"EndTime": start}, "InvalidParameterValue"),
        ({"RuleName": unique("ghost")}, "ResourceNotFoundException"),
    ):
        args = {"RuleName": rule, "StartTime": start, "EndTime": start + datetime.timedelta(hours=1), "Period": 600, **kwargs}
        with pytest.raises(botocore.exceptions.ClientError) as e:
            cw.get_insight_rule_report(**args)
        assert code(e) == want, kwargs
    cw.delete_insight_rules(RuleNames=[rule])


def test_alarm_contributors(cw):
    name = unique("single-series")
    cw.put_metric_alarm(AlarmName=name, Namespace="App", MetricName="Errors", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    assert cw.describe_alarm_contributors(AlarmName=name)["AlarmContributors"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.describe_alarm_contributors(AlarmName=unique("ghost"))
    assert code(e) == "ResourceNotFoundException"
    cw.delete_alarms(AlarmNames=[name])


def test_the_aws_cli_reads_an_insight_report():
    rule = unique("cli-rule")
    aws_cli("cloudwatch", "put-insight-rule", "--rule-name", rule, "--rule-definition", DEFINITION)
    out = aws_cli("cloudwatch", "get-insight-rule-report", "--rule-name", rule, "--start-time", "2026-11-01T00:00:00Z",
                  "--end-time", "2026-11-01T00:05:00Z", "--period", "60", "--metrics", "SampleCount")
    assert len(out["MetricDatapoints"]) == 5 and out["MetricDatapoints"][0]["SampleCount"] == 0.0
    aws_cli("cloudwatch", "delete-insight-rules", "--rule-names", rule)


def log_alarm_args(name, **extra):
    return {
        "AlarmName": name, "AlarmDescription": "errors in the app log", "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold", "QueryResultsToEvaluate": 3, "QueryResultsToAlarm": 2,
        "AlarmActions": ["arn:aws:sns:us-east-1:000000000000:pager"],
        "ScheduledQueryConfiguration": {
            "QueryString": "fields @timestamp, @message | filter @message like /ERROR/",
            "LogGroupIdentifiers": ["/app/web"], "ScheduledQueryRoleARN": "arn:aws:iam::000000000000:role/log-alarms",
            "ScheduleConfiguration": {"ScheduleExpression": "rate(5 minutes)", "StartTimeOffset": 300},
            "AggregationExpression": "count(*)",
        },
        "Tags": [{"Key": "team", "Value": "web"}],
        **extra,
    }


def test_log_alarms(cw):
    name = unique("log-errors")
    cw.put_log_alarm(**log_alarm_args(name, TreatMissingData="notBreaching"))
    out = cw.describe_alarms(AlarmNames=[name], AlarmTypes=["LogAlarm"])
    assert out["MetricAlarms"] == [] and len(out["LogAlarms"]) == 1
    got = out["LogAlarms"][0]
    assert got["AlarmArn"].endswith(f":alarm:{name}")
    assert (got["StateValue"], got["QueryResultsToEvaluate"], got["QueryResultsToAlarm"]) == ("INSUFFICIENT_DATA", 3, 2)
    assert got["ScheduledQueryConfiguration"]["QueryARN"].startswith("arn:aws:logs:us-east-1:000000000000:scheduled-query:")
    assert got["ScheduledQueryConfiguration"]["ScheduleConfiguration"]["ScheduleExpression"] == "rate(5 minutes)"
    assert cw.list_tags_for_resource(ResourceARN=got["AlarmArn"])["Tags"] == [{"Key": "team", "Value": "web"}]
    # Not listed among metric alarms (the default AlarmTypes).
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []
    for extra, want in (
        ({"QueryResultsToAlarm": 4}, "ValidationError"),
        ({"ComparisonOperator": "LessThanLowerThreshold"}, "ValidationError"),
        ({"ActionLogLineCount": 3}, "ValidationError"),
    ):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            cw.put_log_alarm(**log_alarm_args(unique("bad"), **extra))
        assert code(e) == want, extra
    metric = unique("metric")
    cw.put_metric_alarm(AlarmName=metric, Namespace="App", MetricName="Errors", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_log_alarm(**log_alarm_args(metric))
    assert code(e) == "ResourceConflict"
    cw.delete_alarms(AlarmNames=[name, metric])
    assert cw.describe_alarms(AlarmNames=[name], AlarmTypes=["LogAlarm"])["LogAlarms"] == []


def test_managed_insight_rules(cw):
    service = f"arn:aws:ec2:us-east-1:000000000000:vpc-endpoint-service/vpce-svc-{uuid.uuid4().hex[:17]}"
    listed = cw.list_managed_insight_rules(ResourceARN=service)["ManagedRules"]
    assert [r["TemplateName"] for r in listed] == [
        "VpcEndpointService-NewConnectionsByEndpointId-v1", "VpcEndpointService-BytesByEndpointId-v1",
        "VpcEndpointService-RstPacketsByEndpointId-v1", "VpcEndpointService-ActiveConnectionsByEndpointId-v1",
    ]
    assert all("RuleState" not in r for r in listed)
    out = cw.put_managed_insight_rules(ManagedRules=[
        {"TemplateName": "VpcEndpointService-BytesByEndpointId-v1", "ResourceARN": service,
         "Tags": [{"Key": "team", "Value": "net"}]},
        {"TemplateName": "NoSuchTemplate-v1", "ResourceARN": service},
    ])
    assert [f["FailureResource"] for f in out["Failures"]] == ["NoSuchTemplate-v1"]
    state = cw.list_managed_insight_rules(ResourceARN=service)["ManagedRules"][1]["RuleState"]
    assert state["State"] == "ENABLED"
    rules = {r["Name"]: r for r in cw.describe_insight_rules()["InsightRules"]}
    assert rules[state["RuleName"]]["ManagedRule"] is True
    cw.disable_insight_rules(RuleNames=[state["RuleName"]])
    cw.put_managed_insight_rules(ManagedRules=[{"TemplateName": "VpcEndpointService-BytesByEndpointId-v1", "ResourceARN": service}])
    assert cw.list_managed_insight_rules(ResourceARN=service)["ManagedRules"][1]["RuleState"]["State"] == "ENABLED"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_insight_rule(RuleName=state["RuleName"], RuleDefinition=DEFINITION)
    assert code(e) == "InvalidParameterValue"
    assert cw.list_managed_insight_rules(ResourceARN="arn:aws:ecs:us-east-1:000000000000:service/x")["ManagedRules"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.list_managed_insight_rules(ResourceARN="not-an-arn")
    assert code(e) == "InvalidParameterValue"
    cw.delete_insight_rules(RuleNames=[state["RuleName"]])
    assert "RuleState" not in cw.list_managed_insight_rules(ResourceARN=service)["ManagedRules"][1]
