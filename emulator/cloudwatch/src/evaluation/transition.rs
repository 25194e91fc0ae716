//! A state change: the alarm's history, its actions (EC2 ones left to run outside the
//! lock), and the composite alarms whose rule names it.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::alarms::mute::HeldActions;
use crate::alarms::{Alarm, HistoryItem, Kind, ALARM, OK};
use crate::CwState;

use super::format::{json_time, long_time};
use super::{Ec2Action, Effects};

/// Moves an alarm to a new state at `at_ms`: history, actions, then the composite
/// alarms that watch it.
pub fn transition(
    state: &mut CwState,
    name: &str,
    new_state: &'static str,
    reason: String,
    reason_data: Option<String>,
    at_ms: i64,
    effects: &mut Effects,
) {
    transition_depth(state, name, new_state, reason, reason_data, at_ms, effects, 0);
}

#[allow(clippy::too_many_arguments)]
fn transition_depth(
    state: &mut CwState,
    name: &str,
    new_state: &'static str,
    reason: String,
    reason_data: Option<String>,
    at_ms: i64,
    effects: &mut Effects,
    depth: usize,
) {
    let Some(alarm) = state.alarms.alarms.get_mut(name) else { return };
    let old_state = alarm.state;
    let old_reason = std::mem::replace(&mut alarm.reason, reason.clone());
    let old_data = std::mem::replace(&mut alarm.reason_data, reason_data.clone());
    alarm.state = new_state;
    alarm.state_updated_ms = at_ms;
    if old_state == new_state {
        return;
    }
    alarm.state_transitioned_ms = at_ms;
    let snapshot = alarm.clone();
    let state_json = |value: &str, reason: &str, data: &Option<String>| {
        let mut o = serde_json::Map::new();
        o.insert("stateValue".into(), json!(value));
        o.insert("stateReason".into(), json!(reason));
        if let Some(d) = data {
            o.insert("stateReasonData".into(), serde_json::from_str(d).unwrap_or(json!(d)));
        }
        Value::Object(o)
    };
    state.alarms.record(HistoryItem {
        alarm_name: name.to_string(),
        alarm_type: snapshot.alarm_type(),
        timestamp_ms: at_ms,
        item_type: "StateUpdate",
        summary: format!("Alarm updated from {old_state} to {new_state}"),
        data: json!({
            "version": "1.0",
            "oldState": state_json(old_state, &old_reason, &old_data),
            "newState": state_json(new_state, &reason, &reason_data),
        })
        .to_string(),
    });
    run_actions(state, &snapshot, old_state, at_ms, effects);
    if depth < 16 {
        for parent in state.alarms.parents_of(name) {
            evaluate_composite_depth(state, &parent, at_ms, Some(name), effects, depth + 1);
        }
    }
}

/// Runs the actions of `alarm`'s change from `old_state`, unless an active mute rule
/// holds them back (then they wait for the mute to end, see `alarms::mute`).
pub fn run_actions(
    state: &mut CwState,
    alarm: &Alarm,
    old_state: crate::snapshot::Known,
    at_ms: i64,
    effects: &mut Effects,
) {
    if !alarm.actions_enabled {
        return;
    }
    let held = state.alarms.mute_rules.muted_until(&alarm.name, at_ms).map(|until_ms| HeldActions {
        state: alarm.state,
        from: old_state,
        at_ms,
        until_ms,
    });
    if let Some(a) = state.alarms.alarms.get_mut(&alarm.name) {
        // A newer change replaces what an earlier one held back.
        a.muted = held.clone();
    }
    if held.is_some() {
        return;
    }
    if let Kind::Composite(c) = &alarm.kind {
        if let Some(s) = &c.input.actions_suppressor {
            let s = crate::alarms::rule::name_of(s);
            if state.alarms.alarms.get(s).is_some_and(|a| a.state == ALARM) {
                let why = (String::from("Alarm"), format!("Alarm {s} is in ALARM state"));
                if let Some(a) = state.alarms.alarms.get_mut(&alarm.name) {
                    a.actions_suppressed = Some(why);
                }
                return;
            }
        }
    }
    for arn in alarm.actions_for(alarm.state) {
        if let Some(action) = ec2_action(&arn) {
            let instance_id = match &alarm.kind {
                Kind::Metric(m) => {
                    m.input.dimensions.iter().flatten().find(|d| d.name == "InstanceId").map(|d| d.value.clone())
                }
                Kind::Composite(_) | Kind::Log(_) => None,
            };
            effects.ec2.push(Ec2Action {
                alarm_name: alarm.name.clone(),
                alarm_type: alarm.alarm_type(),
                action_arn: arn.clone(),
                action,
                instance_id,
                at_ms,
            });
            continue;
        }
        let message = json!({
            "AlarmName": alarm.name,
            "AlarmDescription": alarm.description(),
            "AWSAccountId": alarm.arn.split(':').nth(4).unwrap_or_default(),
            "NewStateValue": alarm.state,
            "NewStateReason": alarm.reason,
            "StateChangeTime": json_time(at_ms),
            "Region": alarm.arn.split(':').nth(3).unwrap_or_default(),
            "AlarmArn": alarm.arn,
            "OldStateValue": old_state,
        });
        state.alarms.record(HistoryItem {
            alarm_name: alarm.name.clone(),
            alarm_type: alarm.alarm_type(),
            timestamp_ms: at_ms,
            item_type: "Action",
            summary: format!("Successfully executed action {arn}"),
            data: json!({
                "actionState": "Succeeded",
                "stateUpdateTimestamp": at_ms,
                "notificationResource": arn,
                "publishedMessage": json!({"default": message.to_string()}).to_string(),
            })
            .to_string(),
        });
    }
}

/// `arn:aws:automate:us-east-1:ec2:stop` -> `stop` (and the SWF forms).
pub fn ec2_action(arn: &str) -> Option<String> {
    if let Some(rest) = arn.strip_prefix("arn:aws:automate:") {
        let action = rest.split(':').nth(2)?;
        return ["stop", "terminate", "reboot", "recover"].contains(&action).then(|| action.to_string());
    }
    if arn.starts_with("arn:aws:swf:") && arn.contains("AWS_EC2.InstanceId.") {
        let action = arn.split("AWS_EC2.InstanceId.").nth(1)?.split('/').next()?.to_ascii_lowercase();
        return ["stop", "terminate", "reboot", "recover"].contains(&action.as_str()).then_some(action);
    }
    None
}

/// Records the outcome of an EC2 action in the alarm's history.
pub fn record_ec2_outcome(state: &mut CwState, action: &Ec2Action, outcome: Result<(), String>) {
    let (summary, data) = match outcome {
        Ok(()) => (
            format!("Successfully executed action {}", action.action_arn),
            json!({"actionState": "Succeeded", "stateUpdateTimestamp": action.at_ms, "notificationResource": action.action_arn}),
        ),
        Err(e) => (
            format!("Failed to execute action {}. Received error: \"{e}\"", action.action_arn),
            json!({"actionState": "Failed", "stateUpdateTimestamp": action.at_ms, "notificationResource": action.action_arn, "error": e}),
        ),
    };
    state.alarms.record(HistoryItem {
        alarm_name: action.alarm_name.clone(),
        alarm_type: action.alarm_type,
        timestamp_ms: action.at_ms,
        item_type: "Action",
        summary,
        data: data.to_string(),
    });
}

/// Re-evaluates a composite alarm's rule at `at_ms`; `trigger` is the child that changed.
pub fn evaluate_composite(state: &mut CwState, name: &str, at_ms: i64, trigger: Option<&str>, effects: &mut Effects) {
    evaluate_composite_depth(state, name, at_ms, trigger, effects, 0);
}

fn evaluate_composite_depth(
    state: &mut CwState,
    name: &str,
    at_ms: i64,
    trigger: Option<&str>,
    effects: &mut Effects,
    depth: usize,
) {
    let Some(alarm) = state.alarms.alarms.get(name) else { return };
    let Kind::Composite(c) = &alarm.kind else { return };
    let alarms = &state.alarms.alarms;
    let state_of = |n: &str| alarms.get(n).map(|a| a.state.to_string());
    let is_alarm = c.rule.eval(&state_of);
    let new_state = if is_alarm { ALARM } else { OK };
    if new_state == alarm.state {
        return;
    }
    let children: Vec<&Alarm> = c.rule.alarms().iter().filter_map(|n| alarms.get(n)).collect();
    let listed: Vec<&Alarm> = if is_alarm {
        let mut satisfied = BTreeSet::new();
        c.rule.satisfied(&state_of, &mut satisfied);
        children.iter().copied().filter(|a| satisfied.contains(&a.name)).collect()
    } else {
        children.clone()
    };
    let cause = trigger
        .and_then(|t| alarms.get(t))
        .or_else(|| children.iter().copied().max_by_key(|a| a.state_transitioned_ms));
    let reason = match cause {
        Some(a) => format!("{} transitioned to {} at {}", a.arn, a.state, long_time(a.state_transitioned_ms)),
        None => {
            format!("The alarm rule {} evaluated to {}", c.input.alarm_rule, if is_alarm { "TRUE" } else { "FALSE" })
        }
    };
    let data = json!({
        "triggeringAlarms": listed
            .iter()
            .map(|a| json!({"arn": a.arn, "state": {"value": a.state, "timestamp": json_time(a.state_transitioned_ms)}}))
            .collect::<Vec<_>>()
    })
    .to_string();
    transition_depth(state, name, new_state, reason, Some(data), at_ms, effects, depth);
}
