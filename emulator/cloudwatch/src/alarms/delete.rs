//! DeleteAlarms.

use std::collections::BTreeSet;

use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::DeleteAlarmsInput;
use crate::metric_data::validation;
use crate::CwState;

use super::history::record_configuration;
use super::Kind;

pub fn delete_alarms(state: &mut CwState, ctx: &RequestContext, input: DeleteAlarmsInput) -> Result<(), ApiError> {
    let now_ms = ctx.now.timestamp_millis();
    let names: BTreeSet<&str> = input.alarm_names.iter().map(String::as_str).collect();
    let composites = names
        .iter()
        .filter(|n| matches!(state.alarms.alarms.get(**n).map(|a| &a.kind), Some(Kind::Composite(_))))
        .count();
    if composites > 1 {
        return Err(validation("You can delete at most one composite alarm in one DeleteAlarms request."));
    }
    for name in &names {
        let parents: Vec<String> =
            state.alarms.parents_of(name).into_iter().filter(|p| !names.contains(p.as_str())).collect();
        if !parents.is_empty() {
            return Err(validation(format!("Cannot delete {name} as there are composite alarm(s) depending on it.")));
        }
    }
    for name in names {
        if let Some(alarm) = state.alarms.alarms.remove(name) {
            record_configuration(&mut state.alarms, &alarm, None, "Delete", now_ms);
            state.tags.remove(&alarm.arn);
        }
    }
    Ok(())
}
