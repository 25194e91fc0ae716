"""CloudWatch alarm mute rules over each protocol: the rule's lifecycle (SCHEDULED, ACTIVE,
EXPIRED on nimbus's clock), listing with filters and pages, tags, the error paths, and what
a rule does: a muted alarm changes state but its actions wait for the window to close."""

import datetime

import botocore.exceptions
import pytest

from conftest import ACCOUNT, aws_cli, unique
from test_cloudwatch import advance, nimbus_now

UTC = datetime.timezone.utc


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def at_expression(t):
    return "at(" + t.strftime("%Y-%m-%dT%H:%M") + ")"


def alarm(cw, name):
    cw.put_metric_alarm(
        AlarmName=name, Namespace=unique("Mute"), MetricName="Errors", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold", TreatMissingData="ignore",
        AlarmActions=[f"arn:aws:sns:us-east-1:{ACCOUNT}:pager"],
    )


def actions(cw, name):
    items = cw.describe_alarm_history(AlarmName=name, HistoryItemType="Action")["AlarmHistoryItems"]
    return [i["HistorySummary"] for i in items]


def test_a_mute_rule_holds_actions_until_its_window_closes(cw):
    name, rule = unique("muted"), unique("window")
    alarm(cw, name)
    start = nimbus_now().replace(second=0, microsecond=0) + datetime.timedelta(minutes=2)
    cw.put_alarm_mute_rule(
        Name=rule, Description="deploy", MuteTargets={"AlarmNames": [name]},
        Rule={"Schedule": {"Expression": at_expression(start), "Duration": "PT10M"}},
        Tags=[{"Key": "team", "Value": "ops"}],
    )
    got = cw.get_alarm_mute_rule(AlarmMuteRuleName=rule)
    assert got["Name"] == rule
    assert got["AlarmMuteRuleArn"] == f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm-mute-rule:{rule}"
    assert got["Status"] == "SCHEDULED"
    assert got["MuteType"] == "ONE_TIME"
    assert got["Rule"]["Schedule"] == {"Expression": at_expression(start), "Duration": "PT10M"}
    assert got["MuteTargets"] == {"AlarmNames": [name]}
    tags = cw.list_tags_for_resource(ResourceARN=got["AlarmMuteRuleArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "ops"}]

    advance(180)
    assert cw.get_alarm_mute_rule(AlarmMuteRuleName=rule)["Status"] == "ACTIVE"
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="incident")
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] == "ALARM"
    assert actions(cw, name) == []
    listed = cw.list_alarm_mute_rules(AlarmName=name, Statuses=["ACTIVE"])["AlarmMuteRuleSummaries"]
    assert [s["AlarmMuteRuleArn"] for s in listed] == [got["AlarmMuteRuleArn"]]

    advance(600)
    assert cw.get_alarm_mute_rule(AlarmMuteRuleName=rule)["Status"] == "EXPIRED"
    assert actions(cw, name) == [f"Successfully executed action arn:aws:sns:us-east-1:{ACCOUNT}:pager"]
    cw.delete_alarm_mute_rule(AlarmMuteRuleName=rule)
    cw.delete_alarm_mute_rule(AlarmMuteRuleName=rule)
    cw.delete_alarms(AlarmNames=[name])


def test_deleting_an_active_rule_runs_the_held_actions(cw):
    name, rule = unique("muted"), unique("nightly")
    alarm(cw, name)
    cw.put_alarm_mute_rule(
        Name=rule, MuteTargets={"AlarmNames": [name]},
        Rule={"Schedule": {"Expression": "cron(* * * * *)", "Duration": "PT1H", "Timezone": "Europe/London"}},
    )
    got = cw.get_alarm_mute_rule(AlarmMuteRuleName=rule)
    assert (got["Status"], got["MuteType"]) == ("ACTIVE", "RECURRING")
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="incident")
    assert actions(cw, name) == []
    cw.delete_alarm_mute_rule(AlarmMuteRuleName=rule)
    assert len(actions(cw, name)) == 1
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_alarm_mute_rule(AlarmMuteRuleName=rule)
    assert code(e) == "ResourceNotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    cw.delete_alarms(AlarmNames=[name])


def test_listing_pages_and_refusals(cw):
    name = unique("listed")
    alarm(cw, name)
    later = nimbus_now() + datetime.timedelta(days=3)
    rules = [unique("page") for _ in range(3)]
    for r in rules:
        cw.put_alarm_mute_rule(
            Name=r, MuteTargets={"AlarmNames": [name]},
            Rule={"Schedule": {"Expression": at_expression(later), "Duration": "PT1H"}},
            ExpireDate=later + datetime.timedelta(days=1),
        )
    first = cw.list_alarm_mute_rules(AlarmName=name, MaxRecords=2)
    assert len(first["AlarmMuteRuleSummaries"]) == 2
    rest = cw.list_alarm_mute_rules(AlarmName=name, MaxRecords=2, NextToken=first["NextToken"])
    assert len(rest["AlarmMuteRuleSummaries"]) == 1 and "NextToken" not in rest
    summary = rest["AlarmMuteRuleSummaries"][0]
    assert summary["Status"] == "SCHEDULED" and "ExpireDate" in summary and "LastUpdatedTimestamp" in summary

    bad = [
        ({"Expression": "rate(5 minutes)", "Duration": "PT1H"}, "ValidationError"),
        ({"Expression": "cron(0 2 * * *)", "Duration": "P16D"}, "ValidationError"),
        ({"Expression": "cron(0 2 * * *)", "Duration": "PT1H", "Timezone": "Mars/Olympus"}, "ValidationError"),
    ]
    for schedule, want in bad:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            cw.put_alarm_mute_rule(Name=unique("bad"), Rule={"Schedule": schedule})
        assert code(e) == want, schedule
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.list_alarm_mute_rules(NextToken="not-a-token")
    assert code(e) == "InvalidNextToken"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.list_alarm_mute_rules(AlarmName=unique("ghost"))
    assert code(e) == "ResourceNotFoundException"
    for r in rules:
        cw.delete_alarm_mute_rule(AlarmMuteRuleName=r)
    cw.delete_alarms(AlarmNames=[name])


def test_the_aws_cli_manages_mute_rules():
    rule = unique("cli")
    aws_cli(
        "cloudwatch", "put-alarm-mute-rule", "--name", rule,
        "--rule", '{"Schedule": {"Expression": "cron(0 2 * * SUN)", "Duration": "PT4H"}}',
    )
    got = aws_cli("cloudwatch", "get-alarm-mute-rule", "--alarm-mute-rule-name", rule)
    assert got["MuteType"] == "RECURRING" and got["Rule"]["Schedule"]["Duration"] == "PT4H"
    aws_cli("cloudwatch", "delete-alarm-mute-rule", "--alarm-mute-rule-name", rule)
