"""Contributor Insights reports and alarm contributors over each protocol. nimbus has no
CloudWatch Logs, so no rule ever matches an event: a report has no contributors and one
zero datapoint per period, and an alarm has no contributors; the checks are AWS's."""

import datetime
import json

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
