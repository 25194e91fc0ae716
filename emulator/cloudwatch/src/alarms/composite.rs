//! PutCompositeAlarm: an alarm whose state is a rule over other alarms' states.

use nimbus_core::{ApiError, RequestContext};

use crate::evaluation::{self, Effects};
use crate::generated::dto::PutCompositeAlarmInput;
use crate::metric_data::validation;
use crate::CwState;

use super::rule::{self};
use super::{store_put_alarm, CompositeConfig, Kind};

pub fn put_composite_alarm(
    state: &mut CwState,
    ctx: &RequestContext,
    mut input: PutCompositeAlarmInput,
    effects: &mut Effects,
) -> Result<(), ApiError> {
    let now_ms = ctx.now.timestamp_millis();
    if input.alarm_rule.trim() != input.alarm_rule {
        return Err(validation("AlarmRule must not contain leading or trailing whitespace or be null"));
    }
    let rule = rule::parse(&input.alarm_rule)
        .map_err(|m| validation(format!("Error in AlarmRule [{}]: {m}.", input.alarm_rule)))?;
    let names = rule.alarms();
    if names.len() > 100 {
        return Err(validation("The alarm rule of a composite alarm can refer to at most 100 alarms."));
    }
    let missing: Vec<&str> =
        names.iter().filter(|n| !state.alarms.alarms.contains_key(n.as_str())).map(String::as_str).collect();
    if !missing.is_empty() {
        return Err(validation(format!(
            "Could not save the composite alarm as alarms [{}] in the alarm rule do not exist",
            missing.join(", ")
        )));
    }
    if names.contains(&input.alarm_name) {
        return Err(validation(format!("The alarm rule of {} refers to the alarm itself.", input.alarm_name)));
    }
    if let Some(s) = &input.actions_suppressor {
        let s = rule::name_of(s);
        if !state.alarms.alarms.contains_key(s) {
            return Err(validation(format!("The actions suppressor alarm {s} does not exist.")));
        }
        if input.actions_suppressor_wait_period.is_none() || input.actions_suppressor_extension_period.is_none() {
            return Err(validation(
                "ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod are required when ActionsSuppressor is set.",
            ));
        }
    }
    if let Some(existing) = state.alarms.alarms.get(&input.alarm_name) {
        if !matches!(existing.kind, Kind::Composite(_)) {
            return Err(validation(format!(
                "The alarm {} is a {}; it cannot be changed into a composite alarm.",
                input.alarm_name,
                if matches!(existing.kind, Kind::Log(_)) { "log alarm" } else { "metric alarm" }
            )));
        }
    }
    for action in input.alarm_actions.iter().chain(&input.ok_actions).chain(&input.insufficient_data_actions).flatten()
    {
        if action.starts_with("arn:aws:automate:") || action.starts_with("arn:aws:autoscaling:") {
            return Err(validation(format!("Composite alarms cannot perform the action {action}.")));
        }
    }
    let tags = input.tags.take();
    let name = input.alarm_name.clone();
    let kind = Kind::Composite(Box::new(CompositeConfig { input: input.clone(), rule }));
    let enabled = input.actions_enabled.unwrap_or(true);
    store_put_alarm(state, ctx, (&name, kind), enabled, None, &tags, now_ms);
    // A composite alarm is evaluated as soon as it is created or updated.
    evaluation::evaluate_composite(state, &name, now_ms, None, effects);
    Ok(())
}
