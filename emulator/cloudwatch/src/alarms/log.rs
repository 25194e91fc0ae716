//! PutLogAlarm: an alarm on the results of a CloudWatch Logs scheduled query.
//!
//! nimbus has no CloudWatch Logs, so the scheduled query never returns a result: the
//! alarm is created, described (DescribeAlarms' LogAlarms), tagged, muted, deleted and
//! its history kept as at AWS, and on its first scheduled run (after any warm-up) it
//! decides on all-missing results as TreatMissingData says — `breaching` goes to ALARM,
//! `notBreaching` to OK, `ignore` and `missing` leave it in INSUFFICIENT_DATA — and then
//! has nothing more to evaluate.

use nimbus_core::{ApiError, RequestContext};
use serde::{Deserialize, Serialize};

use crate::evaluation::{self, Effects};
use crate::generated::dto::{LogAlarm, PutLogAlarmInput};
use crate::metric_data::validation;
use crate::CwState;

use super::{store_put_alarm, ts, Alarm, Kind, ALARM, OK};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogConfig {
    /// The PutLogAlarm request, less its tags, with the scheduled query's ARN filled in.
    pub input: PutLogAlarmInput,
}

const OPERATORS: [&str; 4] =
    ["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"];
const TREATMENTS: [&str; 4] = ["breaching", "notBreaching", "ignore", "missing"];

/// `rate(5 minutes)` -> 300 000 ms.
fn rate_ms(expression: &str) -> Option<i64> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.trim().split_once(' ')?;
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let unit_ms = match (n, unit) {
        (1, "minute") | (2.., "minutes") => 60_000,
        (1, "hour") | (2.., "hours") => 3_600_000,
        (1, "day") | (2.., "days") => 86_400_000,
        _ => return None,
    };
    Some(n * unit_ms)
}

fn check(input: &PutLogAlarmInput) -> Result<i64, ApiError> {
    let q = &input.scheduled_query_configuration;
    let rate = rate_ms(&q.schedule_configuration.schedule_expression).ok_or_else(|| {
        validation(format!(
            "Invalid ScheduleExpression {}: use rate(<n> minutes|hours|days).",
            q.schedule_configuration.schedule_expression
        ))
    })?;
    if q.schedule_configuration.end_time_offset.unwrap_or(0) >= q.schedule_configuration.start_time_offset {
        return Err(validation("EndTimeOffset must be less than StartTimeOffset."));
    }
    if q.query_string.trim().is_empty() {
        return Err(validation("QueryString must not be empty."));
    }
    if !(1..=100).contains(&input.query_results_to_evaluate) {
        return Err(validation("QueryResultsToEvaluate must be from 1 to 100."));
    }
    if input.query_results_to_alarm > input.query_results_to_evaluate {
        return Err(validation("QueryResultsToAlarm must be less than or equal to QueryResultsToEvaluate."));
    }
    if !OPERATORS.contains(&input.comparison_operator.as_str()) {
        return Err(validation(format!(
            "Invalid ComparisonOperator {} for a log alarm: use {}.",
            input.comparison_operator,
            OPERATORS.join(", ")
        )));
    }
    if let Some(t) = &input.treat_missing_data {
        if !TREATMENTS.contains(&t.as_str()) {
            return Err(validation(format!("Invalid TreatMissingData {t}: use {}.", TREATMENTS.join(", "))));
        }
    }
    let lines = input.action_log_line_count.unwrap_or(0);
    if !(0..=50).contains(&lines) {
        return Err(validation("ActionLogLineCount must be from 0 to 50."));
    }
    if lines > 0 && input.action_log_line_role_arn.is_none() {
        return Err(validation("ActionLogLineRoleArn is required when ActionLogLineCount is greater than 0."));
    }
    if let Some(p) = input.action_configuration.as_ref().and_then(|c| c.alarm_tags_propagation.as_ref()) {
        if p.included_tag_keys.is_some() && p.excluded_tag_keys.is_some() {
            return Err(validation("IncludedTagKeys and ExcludedTagKeys cannot both be specified."));
        }
    }
    for action in input.alarm_actions.iter().chain(&input.ok_actions).chain(&input.insufficient_data_actions).flatten()
    {
        if !action.starts_with("arn:") {
            return Err(validation(format!("Invalid action ARN: {action}")));
        }
    }
    Ok(rate)
}

pub fn put_log_alarm(state: &mut CwState, ctx: &RequestContext, mut input: PutLogAlarmInput) -> Result<(), ApiError> {
    let now_ms = ctx.now.timestamp_millis();
    let rate = check(&input)?;
    let before = state.alarms.alarms.get(&input.alarm_name).cloned();
    let query_arn = match before.as_ref().map(|a| &a.kind) {
        Some(Kind::Log(old)) => old.input.scheduled_query_configuration.query_arn.clone(),
        Some(_) => {
            return Err(ApiError::new(
                "ResourceConflict",
                format!("The alarm {} exists and is not a log alarm.", input.alarm_name),
                409,
            ))
        }
        None => None,
    };
    // The service-managed scheduled query the alarm runs.
    input.scheduled_query_configuration.query_arn = query_arn.or_else(|| {
        Some(format!(
            "arn:aws:logs:{}:{}:scheduled-query:{}",
            ctx.region,
            ctx.account(),
            nimbus_core::ids::resource_id("alarm")
        ))
    });
    let tags = input.tags.take();
    let warm_up_ms =
        input.warm_up_configuration.as_ref().map_or(0, |w| i64::from(w.warm_up_period_duration_in_minutes) * 60_000);
    let first_run = (now_ms + warm_up_ms).div_euclid(rate) * rate + rate;
    let name = input.alarm_name.clone();
    let kind = Kind::Log(Box::new(LogConfig { input: input.clone() }));
    let enabled = input.actions_enabled.unwrap_or(true);
    store_put_alarm(state, ctx, (&name, kind), enabled, Some(first_run), &tags, now_ms);
    Ok(())
}

/// The scheduled run at `at_ms`: no query result ever arrives.
pub fn evaluate_log(state: &mut CwState, name: &str, at_ms: i64, effects: &mut Effects) {
    let Some(alarm) = state.alarms.alarms.get_mut(name) else { return };
    let Kind::Log(config) = &alarm.kind else { return };
    alarm.next_eval_ms = i64::MAX;
    let treat = config.input.treat_missing_data.clone().unwrap_or_else(|| "missing".into());
    let n = config.input.query_results_to_evaluate;
    let new_state = match treat.as_str() {
        "breaching" => ALARM,
        "notBreaching" => OK,
        _ => return,
    };
    let reason = format!(
        "Threshold Crossed: no query results were returned for the last {n} scheduled runs; missing results are treated as {treat}."
    );
    evaluation::transition(state, name, new_state, reason, None, at_ms, effects);
}

pub fn log_alarm_out(a: &Alarm) -> Option<LogAlarm> {
    let Kind::Log(l) = &a.kind else { return None };
    let i = &l.input;
    Some(LogAlarm {
        alarm_name: Some(a.name.clone()),
        alarm_arn: Some(a.arn.clone()),
        alarm_description: i.alarm_description.clone(),
        alarm_configuration_updated_timestamp: ts(a.configuration_updated_ms),
        actions_enabled: Some(a.actions_enabled),
        ok_actions: Some(i.ok_actions.clone().unwrap_or_default()),
        alarm_actions: Some(i.alarm_actions.clone().unwrap_or_default()),
        insufficient_data_actions: Some(i.insufficient_data_actions.clone().unwrap_or_default()),
        state_value: Some(a.state.to_string()),
        state_reason: Some(a.reason.clone()),
        state_reason_data: a.reason_data.clone(),
        state_updated_timestamp: ts(a.state_updated_ms),
        scheduled_query_configuration: Some(i.scheduled_query_configuration.clone()),
        query_results_to_evaluate: Some(i.query_results_to_evaluate),
        query_results_to_alarm: Some(i.query_results_to_alarm),
        threshold: Some(i.threshold),
        comparison_operator: Some(i.comparison_operator.clone()),
        treat_missing_data: i.treat_missing_data.clone(),
        state_transitioned_timestamp: ts(a.state_transitioned_ms),
        evaluation_state: None,
        action_log_line_count: i.action_log_line_count,
        action_log_line_role_arn: i.action_log_line_role_arn.clone(),
        warm_up_configuration: i.warm_up_configuration.clone(),
        action_configuration: i.action_configuration.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration};
    use nimbus_core::Service;
    use serde_json::{json, Value};

    use crate::CloudWatch;

    fn log_alarm(name: &str, treat: &str) -> Value {
        json!({
            "AlarmName": name, "Threshold": 10.0, "ComparisonOperator": "GreaterThanThreshold",
            "QueryResultsToEvaluate": 3, "QueryResultsToAlarm": 2, "TreatMissingData": treat,
            "AlarmActions": ["arn:aws:sns:us-east-1:000000000000:pager"],
            "ScheduledQueryConfiguration": {
                "QueryString": "fields @message | filter @message like /ERROR/", "LogGroupIdentifiers": ["/app"],
                "ScheduledQueryRoleARN": "arn:aws:iam::000000000000:role/alarms",
                "ScheduleConfiguration": {"ScheduleExpression": "rate(5 minutes)", "StartTimeOffset": 300},
                "AggregationExpression": "count(*)",
            },
            "Tags": [{"Key": "team", "Value": "ops"}],
        })
    }

    #[test]
    fn log_alarms_are_described_and_decide_on_missing_results() {
        let cw = CloudWatch::new();
        let mut ctx = RequestContext::for_tests();
        ctx.now = DateTime::from_timestamp(1_795_694_400, 0).unwrap();
        cw.call(&ctx, "PutLogAlarm", log_alarm("errors", "breaching")).unwrap();
        cw.call(&ctx, "PutLogAlarm", log_alarm("quiet", "missing")).unwrap();
        let out = cw.call(&ctx, "DescribeAlarms", json!({"AlarmTypes": ["LogAlarm"]})).unwrap();
        let logs = out["LogAlarms"].as_array().unwrap();
        assert_eq!(logs.len(), 2);
        assert_eq!(logs[0]["StateValue"], "INSUFFICIENT_DATA");
        assert!(logs[0]["ScheduledQueryConfiguration"]["QueryARN"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:logs:us-east-1:000000000000:scheduled-query:"));
        assert_eq!(out["MetricAlarms"], json!([]));
        // The first scheduled run, five minutes on: no results, treated as breaching.
        ctx.now += Duration::minutes(6);
        let state = |name: &str| {
            let out =
                cw.call(&ctx, "DescribeAlarms", json!({"AlarmNames": [name], "AlarmTypes": ["LogAlarm"]})).unwrap();
            out["LogAlarms"][0]["StateValue"].as_str().unwrap().to_string()
        };
        assert_eq!(state("errors"), "ALARM");
        assert_eq!(state("quiet"), "INSUFFICIENT_DATA");
        let history =
            cw.call(&ctx, "DescribeAlarmHistory", json!({"AlarmName": "errors", "AlarmTypes": ["LogAlarm"]})).unwrap();
        let kinds: Vec<&str> = history["AlarmHistoryItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["HistoryItemType"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["Action", "StateUpdate", "ConfigurationUpdate"]);
        // A metric alarm cannot take a log alarm's name, nor the reverse.
        let metric = json!({"AlarmName": "errors", "Namespace": "A", "MetricName": "M", "Statistic": "Sum", "Period": 60,
                            "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanThreshold"});
        assert_eq!(cw.call(&ctx, "PutMetricAlarm", metric.clone()).unwrap_err().code, "ValidationError");
        let mut other = metric;
        other["AlarmName"] = json!("m");
        cw.call(&ctx, "PutMetricAlarm", other).unwrap();
        assert_eq!(cw.call(&ctx, "PutLogAlarm", log_alarm("m", "missing")).unwrap_err().code, "ResourceConflict");
        cw.call(&ctx, "DeleteAlarms", json!({"AlarmNames": ["errors"]})).unwrap();
        assert_eq!(
            cw.call(&ctx, "DescribeAlarms", json!({"AlarmTypes": ["LogAlarm"]})).unwrap()["LogAlarms"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn bad_log_alarms_are_refused() {
        let cw = CloudWatch::new();
        let ctx = RequestContext::for_tests();
        let mut cases = Vec::new();
        for (path, value) in [
            ("/QueryResultsToAlarm", json!(4)),
            ("/ComparisonOperator", json!("LessThanLowerThreshold")),
            ("/TreatMissingData", json!("sometimes")),
            ("/ScheduledQueryConfiguration/ScheduleConfiguration/ScheduleExpression", json!("cron(0 * * * ? *)")),
            ("/ScheduledQueryConfiguration/ScheduleConfiguration/EndTimeOffset", json!(600)),
            ("/ActionLogLineCount", json!(5)),
        ] {
            let mut input = log_alarm("bad", "missing");
            let (parent, key) = path.rsplit_once('/').unwrap();
            input.pointer_mut(parent).unwrap()[key] = value.clone();
            cases.push((path, input));
        }
        for (path, input) in cases {
            assert_eq!(cw.call(&ctx, "PutLogAlarm", input).unwrap_err().code, "ValidationError", "{path}");
        }
        assert!(cw.call(&ctx, "DescribeAlarms", json!({"AlarmTypes": ["LogAlarm"]})).unwrap()["LogAlarms"]
            .as_array()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn rates() {
        assert_eq!(rate_ms("rate(5 minutes)"), Some(300_000));
        assert_eq!(rate_ms("rate(1 hour)"), Some(3_600_000));
        for bad in ["rate(1 minutes)", "rate(0 minutes)", "rate(5 weeks)", "cron(0 * * * ? *)", "rate(5minutes)"] {
            assert_eq!(rate_ms(bad), None, "{bad}");
        }
    }
}
