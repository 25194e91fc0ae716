//! EnableAlarmActions, DisableAlarmActions and SetAlarmState.

use nimbus_core::{ApiError, RequestContext};
use serde_json::Value;

use crate::evaluation::{self, Effects};
use crate::generated::dto::{DisableAlarmActionsInput, EnableAlarmActionsInput, SetAlarmStateInput};
use crate::CwState;

use super::{AlarmStore, ALARM, INSUFFICIENT_DATA, OK};

pub fn set_actions_enabled(store: &mut AlarmStore, names: &[String], enabled: bool) {
    for name in names {
        if let Some(a) = store.alarms.get_mut(name) {
            a.actions_enabled = enabled;
        }
    }
}

pub fn enable_alarm_actions(
    state: &mut CwState,
    _ctx: &RequestContext,
    input: EnableAlarmActionsInput,
) -> Result<(), ApiError> {
    let store = &mut state.alarms;
    set_actions_enabled(store, &input.alarm_names, true);
    Ok(())
}

pub fn disable_alarm_actions(
    state: &mut CwState,
    _ctx: &RequestContext,
    input: DisableAlarmActionsInput,
) -> Result<(), ApiError> {
    let store = &mut state.alarms;
    set_actions_enabled(store, &input.alarm_names, false);
    Ok(())
}

pub fn set_alarm_state(
    state: &mut CwState,
    ctx: &RequestContext,
    input: SetAlarmStateInput,
    effects: &mut Effects,
) -> Result<(), ApiError> {
    let now_ms = ctx.now.timestamp_millis();
    if !state.alarms.alarms.contains_key(&input.alarm_name) {
        return Err(
            ApiError::client("ResourceNotFound", format!("Alarm {} not found", input.alarm_name)).with_status(404)
        );
    }
    let new_state = match input.state_value.as_str() {
        OK => OK,
        ALARM => ALARM,
        INSUFFICIENT_DATA => INSUFFICIENT_DATA,
        other => {
            return Err(ApiError::invalid_parameter_value(format!(
                "The value {other} for parameter StateValue is invalid."
            )))
        }
    };
    if let Some(data) = &input.state_reason_data {
        if serde_json::from_str::<Value>(data).is_err() {
            return Err(ApiError::client("InvalidFormat", "StateReasonData was not syntactically valid JSON"));
        }
    }
    evaluation::transition(
        state,
        &input.alarm_name,
        new_state,
        input.state_reason,
        input.state_reason_data,
        now_ms,
        effects,
    );
    Ok(())
}
