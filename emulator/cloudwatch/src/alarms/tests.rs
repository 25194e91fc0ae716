//! Alarms end to end through the service, on a driven clock: nothing sleeps.

use chrono::{DateTime, Duration, Utc};
use nimbus_core::{ApiError, RequestContext, Service};
use serde_json::{json, Value};

use crate::CloudWatch;

struct Harness {
    cw: CloudWatch,
    ctx: RequestContext,
}

/// 2026-11-26T12:00:30Z.
const T0: i64 = 1_795_694_430;

impl Harness {
    fn new() -> Self {
        let mut ctx = RequestContext::for_tests();
        ctx.now = DateTime::from_timestamp(T0, 0).unwrap();
        Harness { cw: CloudWatch::new(), ctx }
    }

    fn call(&self, op: &str, input: Value) -> Result<Value, ApiError> {
        self.cw.call(&self.ctx, op, input)
    }

    fn ok(&self, op: &str, input: Value) -> Value {
        self.call(op, input).unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    fn advance(&mut self, secs: i64) {
        self.ctx.now += Duration::seconds(secs);
    }

    /// Seconds since T0.
    fn at(&mut self, secs: i64) {
        self.ctx.now = DateTime::from_timestamp(T0 + secs, 0).unwrap();
    }

    fn put(&self, value: f64) {
        self.ok(
            "PutMetricData",
            json!({"Namespace": "App", "MetricData": [{"MetricName": "Latency", "Value": value}]}),
        );
    }

    fn alarm(&self, name: &str) -> Value {
        let out =
            self.ok("DescribeAlarms", json!({"AlarmNames": [name], "AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}));
        out["MetricAlarms"]
            .as_array()
            .unwrap()
            .iter()
            .chain(out["CompositeAlarms"].as_array().unwrap())
            .next()
            .cloned()
            .unwrap()
    }

    fn state(&self, name: &str) -> String {
        self.alarm(name)["StateValue"].as_str().unwrap().to_string()
    }

    /// (seconds since T0, old -> new) of every state change, oldest first.
    fn transitions(&self, name: &str) -> Vec<(i64, String)> {
        let out = self.ok(
            "DescribeAlarmHistory",
            json!({"AlarmName": name, "HistoryItemType": "StateUpdate", "ScanBy": "TimestampAscending"}),
        );
        out["AlarmHistoryItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let t = h["Timestamp"].as_f64().unwrap() as i64 - T0;
                let summary = h["HistorySummary"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("Alarm updated from ")
                    .replace(" to ", " -> ");
                (t, summary)
            })
            .collect()
    }

    fn static_alarm(&self, name: &str, extra: Value) {
        let mut input = json!({
            "AlarmName": name, "Namespace": "App", "MetricName": "Latency", "Statistic": "Average",
            "Period": 60, "EvaluationPeriods": 1, "Threshold": 90.0, "ComparisonOperator": "GreaterThanThreshold",
        });
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        self.ok("PutMetricAlarm", input);
    }
}

fn utc(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(T0 + secs, 0).unwrap()
}

#[test]
fn ok_to_alarm_on_the_first_evaluation_then_back_as_missing_data_says() {
    for (treat, end_state, end_at) in [
        ("missing", "INSUFFICIENT_DATA", 270),
        ("notBreaching", "OK", 270),
        ("breaching", "ALARM", 0),
        ("ignore", "ALARM", 0),
    ] {
        let mut h = Harness::new();
        h.static_alarm("latency", json!({"TreatMissingData": treat}));
        let created = h.alarm("latency");
        assert_eq!(created["StateValue"], "INSUFFICIENT_DATA");
        assert_eq!(created["StateReason"], "Unchecked: Initial alarm creation");
        // 12:00:40: a good datapoint; the 12:01:00 evaluation finds it: OK.
        h.at(10);
        h.put(50.0);
        h.at(35);
        let a = h.alarm("latency");
        assert_eq!(a["StateValue"], "OK", "{treat}");
        assert_eq!(
            a["StateReason"],
            "Threshold Crossed: 1 datapoint [50.0 (26/11/26 12:00:00)] was not greater than the threshold (90.0)."
        );
        // 12:01:10: a breaching datapoint; the 12:02:00 evaluation goes to ALARM.
        h.at(40);
        h.put(95.0);
        h.at(89);
        assert_eq!(h.state("latency"), "OK", "not evaluated yet");
        h.at(90);
        let a = h.alarm("latency");
        assert_eq!(a["StateValue"], "ALARM");
        assert_eq!(
            a["StateReason"],
            "Threshold Crossed: 1 datapoint [95.0 (26/11/26 12:01:00)] was greater than the threshold (90.0)."
        );
        let data: Value = serde_json::from_str(a["StateReasonData"].as_str().unwrap()).unwrap();
        assert_eq!(
            a["StateReasonData"].as_str().unwrap(),
            "{\"version\":\"1.0\",\"queryDate\":\"2026-11-26T12:02:00.000+0000\",\"startDate\":\"2026-11-26T12:01:00.000+0000\",\
             \"statistic\":\"Average\",\"period\":60,\"recentDatapoints\":[95.0],\"threshold\":90.0,\
             \"evaluatedDatapoints\":[{\"timestamp\":\"2026-11-26T12:01:00.000+0000\",\"sampleCount\":1.0,\"value\":95.0}]}"
        );
        assert_eq!(data["recentDatapoints"], json!([95.0]));
        assert_eq!(a["StateUpdatedTimestamp"].as_f64().unwrap() as i64, utc(90).timestamp());
        // No more data: the alarm keeps seeing 12:01 while it is in its range of 3.
        h.at(60 * 20);
        let mut want = vec![(30, "INSUFFICIENT_DATA -> OK".to_string()), (90, "OK -> ALARM".to_string())];
        if end_state != "ALARM" {
            want.push((end_at, format!("ALARM -> {end_state}")));
        }
        assert_eq!(h.transitions("latency"), want, "{treat}");
        let a = h.alarm("latency");
        assert_eq!(a["StateValue"], end_state);
        match treat {
            "missing" => assert_eq!(a["StateReason"], "Insufficient Data: 1 datapoint was unknown."),
            "notBreaching" => assert_eq!(
                a["StateReason"],
                "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]."
            ),
            _ => {}
        }
    }
}

#[test]
fn m_out_of_n_with_explicit_datapoints_to_alarm() {
    let mut h = Harness::new();
    h.static_alarm("m-of-n", json!({"EvaluationPeriods": 3, "DatapointsToAlarm": 2}));
    // Minutes 12:00, 12:01, 12:02: 95, 50, 99.
    for (i, v) in [95.0, 50.0, 99.0].iter().enumerate() {
        h.at(10 + 60 * i as i64);
        h.put(*v);
    }
    h.at(150);
    let a = h.alarm("m-of-n");
    assert_eq!(a["StateValue"], "ALARM");
    assert_eq!(
        a["StateReason"],
        "Threshold Crossed: 2 out of the last 3 datapoints [99.0 (26/11/26 12:02:00), 95.0 (26/11/26 12:00:00)] were greater than the threshold (90.0) (minimum 2 datapoints for OK -> ALARM transition)."
    );
    // At 12:01 only 95 existed (one breaching of two needed, too recent): no change; at
    // 12:02, 95 and 50 with one missing: OK; at 12:03 two of three breach.
    assert_eq!(h.transitions("m-of-n"), vec![(90, "INSUFFICIENT_DATA -> OK".into()), (150, "OK -> ALARM".into())]);
    // A good value: 2 of the 3 do not breach, the minimum for ALARM -> OK.
    h.at(190);
    h.put(10.0);
    h.at(215);
    let a = h.alarm("m-of-n");
    assert_eq!(a["StateValue"], "OK");
    assert_eq!(
        a["StateReason"],
        "Threshold Crossed: 2 out of the last 3 datapoints [10.0 (26/11/26 12:03:00), 50.0 (26/11/26 12:01:00)] were not greater than the threshold (90.0) (minimum 2 datapoints for ALARM -> OK transition)."
    );
    let data: Value = serde_json::from_str(a["StateReasonData"].as_str().unwrap()).unwrap();
    assert_eq!(data["recentDatapoints"], json!([50.0, 99.0, 10.0]));
    assert_eq!(data["evaluatedDatapoints"].as_array().unwrap().len(), 2);
}

#[test]
fn history_and_actions_as_aws_writes_them() {
    let mut h = Harness::new();
    h.static_alarm(
        "acting",
        json!({
            "AlarmActions": ["arn:aws:sns:us-east-1:000000000000:pager", "arn:aws:automate:us-east-1:ec2:stop"],
            "Dimensions": [{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}],
            "Tags": [{"Key": "team", "Value": "core"}],
        }),
    );
    h.ok(
        "PutMetricData",
        json!({"Namespace": "App", "MetricData": [{"MetricName": "Latency", "Value": 100.0,
               "Dimensions": [{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}]}]}),
    );
    h.at(40);
    let items = h.ok("DescribeAlarmHistory", json!({"AlarmName": "acting", "ScanBy": "TimestampAscending"}));
    let items = items["AlarmHistoryItems"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> =
        items.iter().map(|i| (i["HistoryItemType"].as_str().unwrap(), i["HistorySummary"].as_str().unwrap())).collect();
    assert_eq!(kinds, vec![
        ("ConfigurationUpdate", "Alarm \"acting\" created"),
        ("StateUpdate", "Alarm updated from INSUFFICIENT_DATA to ALARM"),
        ("Action", "Successfully executed action arn:aws:sns:us-east-1:000000000000:pager"),
        ("Action", "Failed to execute action arn:aws:automate:us-east-1:ec2:stop. Received error: \"The instance ID 'i-0123456789abcdef0' does not exist\""),
    ]);
    let created: Value = serde_json::from_str(items[0]["HistoryData"].as_str().unwrap()).unwrap();
    assert_eq!(created["type"], "Create");
    assert_eq!(created["createdAlarm"]["alarmName"], "acting");
    assert_eq!(created["createdAlarm"]["dimensions"], json!([{"value": "i-0123456789abcdef0", "name": "InstanceId"}]));
    let update: Value = serde_json::from_str(items[1]["HistoryData"].as_str().unwrap()).unwrap();
    assert_eq!(update["version"], "1.0");
    assert_eq!(
        update["oldState"],
        json!({"stateValue": "INSUFFICIENT_DATA", "stateReason": "Unchecked: Initial alarm creation"})
    );
    assert_eq!(update["newState"]["stateValue"], "ALARM");
    assert_eq!(update["newState"]["stateReasonData"]["period"], 60);
    let action: Value = serde_json::from_str(items[2]["HistoryData"].as_str().unwrap()).unwrap();
    assert_eq!(action["actionState"], "Succeeded");
    assert_eq!(action["notificationResource"], "arn:aws:sns:us-east-1:000000000000:pager");
    // Disabled actions run no more; SetAlarmState changes the state until the next evaluation.
    h.ok("DisableAlarmActions", json!({"AlarmNames": ["acting"]}));
    h.ok("SetAlarmState", json!({"AlarmName": "acting", "StateValue": "OK", "StateReason": "testing"}));
    assert_eq!(h.state("acting"), "OK");
    h.at(100);
    assert_eq!(h.state("acting"), "ALARM");
    let actions = h.ok("DescribeAlarmHistory", json!({"AlarmName": "acting", "HistoryItemType": "Action"}));
    assert_eq!(actions["AlarmHistoryItems"].as_array().unwrap().len(), 2);
    let tags =
        h.ok("ListTagsForResource", json!({"ResourceARN": "arn:aws:cloudwatch:us-east-1:000000000000:alarm:acting"}));
    assert_eq!(tags["Tags"], json!([{"Key": "team", "Value": "core"}]));
    let err =
        h.call("SetAlarmState", json!({"AlarmName": "nope", "StateValue": "OK", "StateReason": "x"})).unwrap_err();
    assert_eq!(err.code, "ResourceNotFound");
    let err = h
        .call(
            "SetAlarmState",
            json!({"AlarmName": "acting", "StateValue": "OK", "StateReason": "x", "StateReasonData": "{"}),
        )
        .unwrap_err();
    assert_eq!(err.code, "InvalidFormat");
}

#[test]
fn composites_follow_their_children() {
    let mut h = Harness::new();
    h.static_alarm("cpu", json!({}));
    h.static_alarm("disk", json!({"MetricName": "Disk"}));
    h.ok("PutCompositeAlarm", json!({"AlarmName": "both", "AlarmRule": "ALARM(cpu) AND ALARM(\"disk\")"}));
    h.ok("PutCompositeAlarm", json!({"AlarmName": "either", "AlarmRule": "ALARM(cpu) OR ALARM(disk)"}));
    h.ok("PutCompositeAlarm", json!({"AlarmName": "top", "AlarmRule": "NOT ALARM(either)"}));
    // Children INSUFFICIENT_DATA: rules false, composites OK at once.
    assert_eq!(h.state("both"), "OK");
    assert_eq!(h.state("top"), "ALARM");
    h.put(99.0);
    h.at(40);
    assert_eq!(h.state("cpu"), "ALARM");
    assert_eq!(h.state("both"), "OK");
    let either = h.alarm("either");
    assert_eq!(either["StateValue"], "ALARM");
    assert_eq!(
        either["StateReason"],
        "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu transitioned to ALARM at Thursday 26 November, 2026 12:01:00 UTC"
    );
    let data: Value = serde_json::from_str(either["StateReasonData"].as_str().unwrap()).unwrap();
    assert_eq!(
        data,
        json!({"triggeringAlarms": [{"arn": "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu",
                                     "state": {"value": "ALARM", "timestamp": "2026-11-26T12:01:00.000+0000"}}]})
    );
    assert_eq!(h.transitions("either"), vec![(0, "INSUFFICIENT_DATA -> OK".into()), (30, "OK -> ALARM".into())]);
    // The composite of a composite follows in the same instant.
    assert_eq!(h.transitions("top"), vec![(0, "INSUFFICIENT_DATA -> ALARM".into()), (30, "ALARM -> OK".into())]);
    // Children and parents.
    let kids = h.ok("DescribeAlarms", json!({"ChildrenOfAlarmName": "either"}));
    let names: Vec<&str> =
        kids["MetricAlarms"].as_array().unwrap().iter().map(|a| a["AlarmName"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["cpu", "disk"]);
    assert!(kids["MetricAlarms"][0].get("Namespace").is_none());
    let parents = h.ok("DescribeAlarms", json!({"ParentsOfAlarmName": "cpu"}));
    let names: Vec<&str> =
        parents["CompositeAlarms"].as_array().unwrap().iter().map(|a| a["AlarmName"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["both", "either"]);
    // Without AlarmTypes, only metric alarms.
    let all = h.ok("DescribeAlarms", json!({}));
    assert_eq!(all["MetricAlarms"].as_array().unwrap().len(), 2);
    assert!(all["CompositeAlarms"].as_array().unwrap().is_empty());
    // Referential rules.
    let err =
        h.call("PutCompositeAlarm", json!({"AlarmName": "x", "AlarmRule": "ALARM(cpu) OR ALARM(gone)"})).unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.message.as_str()),
        ("ValidationError", "Could not save the composite alarm as alarms [gone] in the alarm rule do not exist")
    );
    let err = h.call("DeleteAlarms", json!({"AlarmNames": ["cpu"]})).unwrap_err();
    assert_eq!(err.message, "Cannot delete cpu as there are composite alarm(s) depending on it.");
    let err = h.call("DeleteAlarms", json!({"AlarmNames": ["both", "top"]})).unwrap_err();
    assert_eq!(err.code, "ValidationError");
    h.ok("DeleteAlarms", json!({"AlarmNames": ["both"]}));
    h.ok("DeleteAlarms", json!({"AlarmNames": ["top"]}));
    h.ok("DeleteAlarms", json!({"AlarmNames": ["either", "cpu", "disk", "never-existed"]}));
    let all = h.ok("DescribeAlarms", json!({"AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}));
    assert!(
        all["MetricAlarms"].as_array().unwrap().is_empty() && all["CompositeAlarms"].as_array().unwrap().is_empty()
    );
}

#[test]
fn metric_math_and_anomaly_band_alarms() {
    let mut h = Harness::new();
    let q = |id: &str, name: &str| json!({"Id": id, "ReturnData": false, "MetricStat": {"Metric": {"Namespace": "App", "MetricName": name}, "Period": 60, "Stat": "Sum"}});
    h.ok(
        "PutMetricAlarm",
        json!({"AlarmName": "error-rate", "EvaluationPeriods": 1, "Threshold": 5.0, "ComparisonOperator": "GreaterThanThreshold",
               "Metrics": [q("errors", "Errors"), q("requests", "Requests"),
                           {"Id": "rate", "Expression": "100 * errors / requests", "ReturnData": true}]}),
    );
    h.ok(
        "PutMetricData",
        json!({"Namespace": "App", "MetricData": [{"MetricName": "Errors", "Value": 7.0}, {"MetricName": "Requests", "Value": 100.0}]}),
    );
    h.at(40);
    let a = h.alarm("error-rate");
    assert_eq!(a["StateValue"], "ALARM");
    assert_eq!(
        a["StateReason"],
        "Threshold Crossed: 1 datapoint [7.0 (26/11/26 12:00:00)] was greater than the threshold (5.0)."
    );
    assert!(a.get("Namespace").is_none() && a["Metrics"].as_array().unwrap().len() == 3);

    // A band alarm: the band is the mean ± 2 standard deviations of the metric's history.
    for (i, v) in [10.0, 12.0, 10.0, 12.0].iter().enumerate() {
        h.at(60 * (i as i64 + 1) + 10);
        h.ok("PutMetricData", json!({"Namespace": "App", "MetricData": [{"MetricName": "Load", "Value": v}]}));
    }
    h.ok(
        "PutMetricAlarm",
        json!({"AlarmName": "load-band", "EvaluationPeriods": 1, "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
               "ThresholdMetricId": "ad1",
               "Metrics": [{"Id": "m1", "ReturnData": true, "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Load"}, "Period": 60, "Stat": "Average"}},
                           {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"}]}),
    );
    h.at(60 * 5 + 10);
    h.ok("PutMetricData", json!({"Namespace": "App", "MetricData": [{"MetricName": "Load", "Value": 50.0}]}));
    h.at(60 * 6 + 10);
    let a = h.alarm("load-band");
    assert_eq!(a["StateValue"], "ALARM", "{}", a["StateReason"]);
    assert!(a["StateReason"].as_str().unwrap().starts_with(
        "Thresholds Crossed: 1 datapoint [50.0 (26/11/26 12:05:00)] was less than the lower thresholds ["
    ));

    // Validation as AWS words it.
    let bad = |extra: Value| {
        let mut input = json!({"AlarmName": "bad", "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanThreshold",
                               "Metrics": [q("errors", "Errors"), {"Id": "e", "Expression": "errors * 2", "ReturnData": true}]});
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        h.call("PutMetricAlarm", input).unwrap_err().message
    };
    assert_eq!(bad(json!({"Statistic": "Sum"})), "Statistic should not be set if list of Metrics is set.");
    assert_eq!(
        bad(json!({"Metrics": [q("a", "Errors"), q("b", "Errors")]})),
        "Exactly one element of the metrics list should return data."
    );
    assert_eq!(
        bad(json!({"Metrics": [{"Id": "s", "Expression": "SEARCH('Errors', 'Sum', 60)", "ReturnData": true}]})),
        "SEARCH is not supported on Metric Alarms."
    );
    assert_eq!(bad(json!({"ThresholdMetricId": "e"})), "Threshold and ThresholdMetricId cannot both be set");
    let err = h
        .call(
            "PutMetricAlarm",
            json!({"AlarmName": "b", "Namespace": "App", "MetricName": "X", "Statistic": "Sum", "Period": 60,
                   "EvaluationPeriods": 1441, "Threshold": 1.0, "ComparisonOperator": "GreaterThanThreshold"}),
        )
        .unwrap_err();
    assert_eq!(
        err.message,
        "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400)."
    );
    let err = h
        .call(
            "PutMetricAlarm",
            json!({"AlarmName": "b", "Namespace": "App", "MetricName": "X", "Statistic": "Sum", "Period": 90,
                   "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanThreshold"}),
        )
        .unwrap_err();
    assert_eq!(err.code, "InvalidParameterValue");
}

#[test]
fn high_resolution_alarms_evaluate_every_ten_seconds() {
    let mut h = Harness::new();
    h.static_alarm("fast", json!({"Period": 10, "TreatMissingData": "notBreaching"}));
    h.at(32);
    h.ok(
        "PutMetricData",
        json!({"Namespace": "App", "MetricData": [{"MetricName": "Latency", "Value": 95.0, "StorageResolution": 1}]}),
    );
    // 12:01:02 falls in [12:01:00, 12:01:10), evaluated at 12:01:10.
    h.at(40);
    assert_eq!(h.state("fast"), "ALARM");
    assert_eq!(h.transitions("fast").last().unwrap(), &(40, "OK -> ALARM".to_string()));
    // Range of 3: the point ages out at 12:01:40.
    h.at(100);
    assert_eq!(h.transitions("fast").last().unwrap(), &(70, "ALARM -> OK".to_string()));
}

#[test]
fn a_long_clock_jump_is_cheap_and_exact() {
    let mut h = Harness::new();
    h.static_alarm("idle", json!({}));
    h.put(95.0);
    h.advance(90 * 86_400); // 90 days, 129,600 evaluation minutes
    let started = std::time::Instant::now();
    assert_eq!(h.state("idle"), "INSUFFICIENT_DATA");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    // The last change happened 3 minutes after the data, 90 days ago.
    assert_eq!(h.alarm("idle")["StateUpdatedTimestamp"].as_f64().unwrap() as i64, T0 + 210);
    // Data put later is seen by the next evaluation after it.
    h.put(95.0);
    h.advance(60);
    assert_eq!(h.state("idle"), "ALARM");
}

#[test]
fn describe_filters_and_pages() {
    let h = Harness::new();
    for name in ["web-1", "web-2", "db-1"] {
        h.static_alarm(name, json!({"AlarmActions": [format!("arn:aws:sns:us-east-1:000000000000:{name}")]}));
    }
    let names = |v: Value| -> Vec<String> {
        v["MetricAlarms"].as_array().unwrap().iter().map(|a| a["AlarmName"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names(h.ok("DescribeAlarms", json!({"AlarmNamePrefix": "web"}))), vec!["web-1", "web-2"]);
    assert_eq!(names(h.ok("DescribeAlarms", json!({"StateValue": "INSUFFICIENT_DATA"}))).len(), 3);
    assert!(names(h.ok("DescribeAlarms", json!({"StateValue": "OK"}))).is_empty());
    assert_eq!(
        names(h.ok("DescribeAlarms", json!({"ActionPrefix": "arn:aws:sns:us-east-1:000000000000:db"}))),
        vec!["db-1"]
    );
    let first = h.ok("DescribeAlarms", json!({"MaxRecords": 2}));
    assert_eq!(names(first.clone()), vec!["db-1", "web-1"]);
    let second = h.ok("DescribeAlarms", json!({"MaxRecords": 2, "NextToken": first["NextToken"]}));
    assert_eq!(names(second.clone()), vec!["web-2"]);
    assert!(second.get("NextToken").is_none());
    let for_metric =
        h.ok("DescribeAlarmsForMetric", json!({"Namespace": "App", "MetricName": "Latency", "Statistic": "Average"}));
    assert_eq!(for_metric["MetricAlarms"].as_array().unwrap().len(), 3);
    let err = h.call("DescribeAlarms", json!({"AlarmNames": ["a"], "AlarmNamePrefix": "a"})).unwrap_err();
    assert_eq!(err.code, "InvalidParameterCombination");
    let err = h.call("DescribeAlarms", json!({"ChildrenOfAlarmName": "a", "StateValue": "OK"})).unwrap_err();
    assert_eq!(err.code, "ValidationError");
    // Updating keeps the state and records the change.
    h.static_alarm("db-1", json!({"Threshold": 80.0}));
    let a = h.alarm("db-1");
    assert_eq!((a["Threshold"].as_f64(), a["StateValue"].as_str()), (Some(80.0), Some("INSUFFICIENT_DATA")));
    let updates = h.ok("DescribeAlarmHistory", json!({"AlarmName": "db-1", "HistoryItemType": "ConfigurationUpdate"}));
    assert_eq!(updates["AlarmHistoryItems"][0]["HistorySummary"], "Alarm \"db-1\" updated");
}

#[test]
fn retention_rolls_old_points_up_as_the_clock_goes() {
    let mut h = Harness::new();
    let stats = |h: &Harness, start: i64, period: i64| -> Vec<(i64, f64, f64)> {
        let out = h.ok(
            "GetMetricStatistics",
            json!({"Namespace": "App", "MetricName": "Latency", "StartTime": T0 + start, "EndTime": T0 + start + 3600,
                   "Period": period, "Statistics": ["Sum", "SampleCount"]}),
        );
        let mut v: Vec<(i64, f64, f64)> = out["Datapoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (d["Timestamp"].as_i64().unwrap() - T0, d["Sum"].as_f64().unwrap(), d["SampleCount"].as_f64().unwrap())
            })
            .collect();
        v.sort_by_key(|x| x.0);
        v
    };
    let points = |h: &Harness| h.cw.state()["000000000000"]["us-east-1"]["series"][0]["Datapoints"].as_u64().unwrap();
    // Four high-resolution points in one minute (12:00:40 .. 12:00:55).
    for s in [10, 15, 20, 25] {
        h.at(s);
        h.ok(
            "PutMetricData",
            json!({"Namespace": "App", "MetricData": [{"MetricName": "Latency", "Value": 1.0, "StorageResolution": 1}]}),
        );
    }
    assert_eq!(stats(&h, -30, 10).len(), 2, "second-level periods while fresh");
    // Four hours later a put rolls them up: only minute periods see them now.
    h.advance(4 * 3600);
    h.put(5.0);
    assert!(stats(&h, -30, 10).is_empty());
    assert_eq!(stats(&h, -30, 60), vec![(-30, 4.0, 4.0)]);
    assert_eq!(points(&h), 5);
    // Sixteen days on, they are one 5-minute statistic set (with the fresher point's).
    h.advance(16 * 86_400 - 4 * 3600);
    h.put(7.0);
    assert_eq!(points(&h), 3, "the 4 old points became one set; the 4-hours-later point another");
    assert_eq!(stats(&h, -30, 300), vec![(-30, 4.0, 4.0)]);
    assert!(stats(&h, -30, 60).is_empty(), "1-minute periods no longer reach 16-day-old data");
    // 455 days on, nothing of it is left.
    h.advance(460 * 86_400);
    h.put(1.0);
    assert_eq!(points(&h), 1);
}
