//! Mute rules through the service, on a driven clock.

use chrono::DateTime;
use nimbus_core::{ApiError, RequestContext, Service};
use serde_json::{json, Value};

use crate::CloudWatch;

/// 2026-11-26T12:00:00Z.
const T0: i64 = 1_795_694_400;

struct Harness {
    cw: CloudWatch,
    ctx: RequestContext,
}

impl Harness {
    fn new() -> Self {
        let mut ctx = RequestContext::for_tests();
        ctx.now = DateTime::from_timestamp(T0, 0).unwrap();
        let h = Harness { cw: CloudWatch::new(), ctx };
        h.ok(
            "PutMetricAlarm",
            json!({
                "AlarmName": "cpu", "Namespace": "App", "MetricName": "Latency", "Statistic": "Average",
                "Period": 60, "EvaluationPeriods": 1, "Threshold": 90.0, "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "ignore",
                "AlarmActions": ["arn:aws:sns:us-east-1:000000000000:pager"],
            }),
        );
        h
    }

    fn call(&self, op: &str, input: Value) -> Result<Value, ApiError> {
        self.cw.call(&self.ctx, op, input)
    }

    fn ok(&self, op: &str, input: Value) -> Value {
        self.call(op, input).unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    fn at(&mut self, secs: i64) {
        self.ctx.now = DateTime::from_timestamp(T0 + secs, 0).unwrap();
    }

    /// Seconds since T0 of each action the alarm ran.
    fn actions(&self) -> Vec<i64> {
        let out = self.ok(
            "DescribeAlarmHistory",
            json!({"AlarmName": "cpu", "HistoryItemType": "Action", "ScanBy": "TimestampAscending"}),
        );
        out["AlarmHistoryItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["Timestamp"].as_f64().unwrap() as i64 - T0)
            .collect()
    }

    fn set(&self, state: &str) {
        self.ok("SetAlarmState", json!({"AlarmName": "cpu", "StateValue": state, "StateReason": "test"}));
    }

    fn status(&self, name: &str) -> String {
        self.ok("GetAlarmMuteRule", json!({"AlarmMuteRuleName": name}))["Status"].as_str().unwrap().to_string()
    }
}

/// A one-time window 12:10-12:40 on 2026-11-26 (UTC).
fn window(name: &str) -> Value {
    json!({
        "Name": name,
        "Rule": {"Schedule": {"Expression": "at(2026-11-26T12:10)", "Duration": "PT30M"}},
        "MuteTargets": {"AlarmNames": ["cpu"]},
    })
}

#[test]
fn a_muted_alarm_changes_state_and_its_actions_wait_for_the_window_to_close() {
    let mut h = Harness::new();
    h.ok("PutAlarmMuteRule", window("maintenance"));
    assert_eq!(h.status("maintenance"), "SCHEDULED");
    h.at(15 * 60);
    assert_eq!(h.status("maintenance"), "ACTIVE");
    h.set("ALARM");
    assert_eq!(h.actions(), Vec::<i64>::new(), "muted");
    // Still in ALARM when the window closes at 12:40: the held action runs then.
    h.at(50 * 60);
    assert_eq!(h.actions(), vec![40 * 60]);
    assert_eq!(h.status("maintenance"), "EXPIRED");
}

#[test]
fn an_alarm_back_to_ok_before_the_window_closes_runs_nothing() {
    let mut h = Harness::new();
    h.ok("PutAlarmMuteRule", window("maintenance"));
    h.at(15 * 60);
    h.set("ALARM");
    h.at(20 * 60);
    h.set("OK");
    h.at(50 * 60);
    assert_eq!(h.actions(), Vec::<i64>::new());
    // Unmuted, a change acts at once.
    h.set("ALARM");
    assert_eq!(h.actions(), vec![50 * 60]);
}

#[test]
fn deleting_an_active_rule_unmutes_at_once_and_overlapping_rules_extend_the_mute() {
    let mut h = Harness::new();
    h.ok("PutAlarmMuteRule", window("first"));
    let mut second = window("second");
    second["Rule"]["Schedule"] = json!({"Expression": "at(2026-11-26T12:30)", "Duration": "PT1H"});
    h.ok("PutAlarmMuteRule", second);
    h.at(15 * 60);
    h.set("ALARM");
    // The first window closes at 12:40, but the second holds on until 13:30.
    h.at(45 * 60);
    assert_eq!(h.actions(), Vec::<i64>::new());
    h.ok("DeleteAlarmMuteRule", json!({"AlarmMuteRuleName": "second"}));
    assert_eq!(h.actions(), vec![45 * 60]);
    // Idempotent.
    h.ok("DeleteAlarmMuteRule", json!({"AlarmMuteRuleName": "second"}));
}

#[test]
fn recurring_rules_and_dates() {
    let mut h = Harness::new();
    h.ok(
        "PutAlarmMuteRule",
        json!({
            "Name": "nightly", "Description": "backups",
            "Rule": {"Schedule": {"Expression": "cron(0 23 * * *)", "Duration": "PT2H", "Timezone": "UTC"}},
            "MuteTargets": {"AlarmNames": ["cpu"]},
            "StartDate": T0 + 86_400, "ExpireDate": T0 + 10 * 86_400,
            "Tags": [{"Key": "team", "Value": "ops"}],
        }),
    );
    let rule = h.ok("GetAlarmMuteRule", json!({"AlarmMuteRuleName": "nightly"}));
    assert_eq!(rule["AlarmMuteRuleArn"], "arn:aws:cloudwatch:us-east-1:000000000000:alarm-mute-rule:nightly");
    assert_eq!(rule["MuteType"], "RECURRING");
    assert_eq!(rule["Description"], "backups");
    assert_eq!(rule["Rule"]["Schedule"]["Expression"], "cron(0 23 * * *)");
    // Before the StartDate the 23:00 window does not mute.
    h.at(11 * 3600 + 10 * 60);
    assert_eq!(h.status("nightly"), "SCHEDULED");
    h.at(35 * 3600 + 10 * 60);
    assert_eq!(h.status("nightly"), "ACTIVE");
    h.at(11 * 86_400);
    assert_eq!(h.status("nightly"), "EXPIRED");
    let tags = h.ok("ListTagsForResource", json!({"ResourceARN": rule["AlarmMuteRuleArn"]}));
    assert_eq!(tags["Tags"], json!([{"Key": "team", "Value": "ops"}]));
}

#[test]
fn list_filters_and_pages() {
    let mut h = Harness::new();
    h.ok(
        "PutMetricAlarm",
        json!({
            "AlarmName": "other", "Namespace": "App", "MetricName": "Latency", "Statistic": "Average",
            "Period": 60, "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanThreshold",
        }),
    );
    for i in 0..3 {
        h.ok("PutAlarmMuteRule", window(&format!("r{i}")));
    }
    let mut other = window("other-rule");
    other["MuteTargets"] = json!({"AlarmNames": ["other"]});
    other["Rule"]["Schedule"]["Expression"] = json!("at(2026-11-26T11:00)");
    h.ok("PutAlarmMuteRule", other);
    h.at(60);
    let all = h.ok("ListAlarmMuteRules", json!({}));
    assert_eq!(all["AlarmMuteRuleSummaries"].as_array().unwrap().len(), 4);
    let cpu = h.ok("ListAlarmMuteRules", json!({"AlarmName": "cpu"}));
    assert_eq!(cpu["AlarmMuteRuleSummaries"].as_array().unwrap().len(), 3);
    let expired = h.ok("ListAlarmMuteRules", json!({"Statuses": ["EXPIRED"]}));
    assert_eq!(
        expired["AlarmMuteRuleSummaries"][0]["AlarmMuteRuleArn"],
        "arn:aws:cloudwatch:us-east-1:000000000000:alarm-mute-rule:other-rule"
    );
    assert_eq!(expired["AlarmMuteRuleSummaries"][0]["MuteType"], "ONE_TIME");
    let page = h.ok("ListAlarmMuteRules", json!({"MaxRecords": 3}));
    assert_eq!(page["AlarmMuteRuleSummaries"].as_array().unwrap().len(), 3);
    let rest = h.ok("ListAlarmMuteRules", json!({"MaxRecords": 3, "NextToken": page["NextToken"]}));
    assert_eq!(rest["AlarmMuteRuleSummaries"].as_array().unwrap().len(), 1);
    assert!(rest.get("NextToken").is_none());
    assert_eq!(h.call("ListAlarmMuteRules", json!({"NextToken": "bogus"})).unwrap_err().code, "InvalidNextToken");
    assert_eq!(
        h.call("ListAlarmMuteRules", json!({"AlarmName": "ghost"})).unwrap_err().code,
        "ResourceNotFoundException"
    );
}

#[test]
fn bad_requests() {
    let h = Harness::new();
    let err = h.call("GetAlarmMuteRule", json!({"AlarmMuteRuleName": "ghost"})).unwrap_err();
    assert_eq!((err.code.as_str(), err.status), ("ResourceNotFoundException", 404));
    for (expression, duration, zone) in [
        ("rate(5 minutes)", "PT1H", "UTC"),
        ("cron(0 2 * *)", "PT1H", "UTC"),
        ("cron(0 2 * * *)", "PT30S", "UTC"),
        ("cron(0 2 * * *)", "P16D", "UTC"),
        ("cron(0 2 * * *)", "PT1H", "Nowhere/City"),
    ] {
        let mut input = window("bad");
        input["Rule"]["Schedule"] = json!({"Expression": expression, "Duration": duration, "Timezone": zone});
        let err = h.call("PutAlarmMuteRule", input).unwrap_err();
        assert_eq!(err.code, "ValidationError", "{expression} {duration} {zone}");
    }
    let mut input = window("bad");
    input["StartDate"] = json!(T0 + 100);
    input["ExpireDate"] = json!(T0);
    assert_eq!(h.call("PutAlarmMuteRule", input).unwrap_err().code, "ValidationError");
    assert!(h.call("GetAlarmMuteRule", json!({"AlarmMuteRuleName": "bad"})).is_err(), "nothing half-made");
}
