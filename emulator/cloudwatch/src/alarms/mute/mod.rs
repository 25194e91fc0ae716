//! Alarm mute rules: PutAlarmMuteRule, GetAlarmMuteRule, ListAlarmMuteRules and
//! DeleteAlarmMuteRule, and what a rule does to the alarms it targets.
//!
//! While a rule's window is open (after its StartDate, before its ExpireDate), its
//! alarms still evaluate and change state, but the actions of those changes are held
//! ([`Alarm::muted`]). When the alarm is no longer muted — the window closes, or the rule
//! is changed or deleted — the held actions run if the alarm is still in the state whose
//! actions were held, as AWS's "How alarm mute rules work" describes.

pub mod schedule;

use std::collections::BTreeMap;

use nimbus_core::{ApiError, RequestContext};
use serde::{Deserialize, Serialize};

use crate::evaluation::{self, Effects};
use crate::generated::dto::{
    AlarmMuteRuleSummary, DeleteAlarmMuteRuleInput, GetAlarmMuteRuleInput, GetAlarmMuteRuleOutput,
    ListAlarmMuteRulesInput, ListAlarmMuteRulesOutput, PutAlarmMuteRuleInput,
};
use crate::metric_data::validation;
use crate::CwState;

use self::schedule::Schedule;
use super::{decode_token, encode_token, tag_map, ts};

pub const SCHEDULED: &str = "SCHEDULED";
pub const ACTIVE: &str = "ACTIVE";
pub const EXPIRED: &str = "EXPIRED";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MuteRule {
    pub arn: String,
    /// The PutAlarmMuteRule request, less its tags.
    pub input: PutAlarmMuteRuleInput,
    pub updated_ms: i64,
}

impl MuteRule {
    fn schedule(&self) -> Option<Schedule> {
        let s = &self.input.rule.schedule;
        Schedule::parse(&s.expression, &s.duration, s.timezone.as_deref()).ok()
    }

    fn start_ms(&self) -> i64 {
        self.input.start_date.map_or(i64::MIN, |t| t.0.timestamp_millis())
    }

    fn expire_ms(&self) -> i64 {
        self.input.expire_date.map_or(i64::MAX, |t| t.0.timestamp_millis())
    }

    pub fn targets(&self, alarm: &str) -> bool {
        self.input.mute_targets.as_ref().is_some_and(|t| t.alarm_names.iter().any(|n| n == alarm))
    }

    /// The end of the window that mutes at `t`, if one does.
    fn muting_until(&self, t: i64) -> Option<i64> {
        if t < self.start_ms() || t >= self.expire_ms() {
            return None;
        }
        let end = self.schedule()?.windows_at(t).into_iter().map(|(_, end)| end).max()?;
        Some(end.min(self.expire_ms()))
    }

    pub fn status(&self, t: i64) -> &'static str {
        if t >= self.expire_ms() {
            return EXPIRED;
        }
        if self.muting_until(t).is_some() {
            return ACTIVE;
        }
        match self.schedule().and_then(|s| s.at_ms().map(|at| at + s.duration_ms)) {
            Some(end) if end <= t => EXPIRED,
            _ => SCHEDULED,
        }
    }

    fn mute_type(&self) -> &'static str {
        if self.input.rule.schedule.expression.starts_with("at(") {
            "ONE_TIME"
        } else {
            "RECURRING"
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct MuteRules {
    pub rules: BTreeMap<String, MuteRule>,
}

/// Actions an alarm's mute held back: those of its change to `state` (from `from`) at
/// `at_ms`, to run when the mute ends at `until_ms` if the alarm is still in `state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldActions {
    #[serde(deserialize_with = "crate::snapshot::known")]
    pub state: crate::snapshot::Known,
    #[serde(deserialize_with = "crate::snapshot::known")]
    pub from: crate::snapshot::Known,
    pub at_ms: i64,
    pub until_ms: i64,
}

impl MuteRules {
    /// When the mutes of `alarm` that are open at `t` end (following overlapping and
    /// back-to-back windows), if any is open.
    pub fn muted_until(&self, alarm: &str, t: i64) -> Option<i64> {
        let mut until = None;
        let mut at = t;
        // Each step moves to the end of a window; a bound keeps pathological
        // schedules cheap.
        for _ in 0..64 {
            let end = self.rules.values().filter(|r| r.targets(alarm)).filter_map(|r| r.muting_until(at)).max();
            match end {
                Some(end) if end > at => {
                    until = Some(end);
                    at = end;
                }
                _ => break,
            }
        }
        until
    }
}

pub fn mute_rule_arn(ctx: &RequestContext, name: &str) -> String {
    format!("arn:aws:cloudwatch:{}:{}:alarm-mute-rule:{}", ctx.region, ctx.account(), name)
}

fn not_found(name: &str) -> ApiError {
    ApiError::new("ResourceNotFoundException", format!("AlarmMuteRule {name} does not exist."), 404)
        .with_details(serde_json::json!({"ResourceType": "AlarmMuteRule", "ResourceId": name}))
}

pub fn put_alarm_mute_rule(
    state: &mut CwState,
    ctx: &RequestContext,
    mut input: PutAlarmMuteRuleInput,
    effects: &mut Effects,
) -> Result<(), ApiError> {
    let now_ms = ctx.now.timestamp_millis();
    let s = &input.rule.schedule;
    Schedule::parse(&s.expression, &s.duration, s.timezone.as_deref()).map_err(validation)?;
    if let (Some(start), Some(expire)) = (input.start_date, input.expire_date) {
        if expire <= start {
            return Err(validation("ExpireDate must be later than StartDate."));
        }
    }
    let arn = mute_rule_arn(ctx, &input.name);
    let tags = input.tags.take();
    if !state.alarms.mute_rules.rules.contains_key(&input.name) {
        state.tags.set(&arn, tag_map(&tags));
    }
    state.alarms.mute_rules.rules.insert(input.name.clone(), MuteRule { arn, input, updated_ms: now_ms });
    release_held(state, now_ms, true, effects);
    Ok(())
}

pub fn get_alarm_mute_rule(
    state: &CwState,
    ctx: &RequestContext,
    input: GetAlarmMuteRuleInput,
) -> Result<GetAlarmMuteRuleOutput, ApiError> {
    let rule = state
        .alarms
        .mute_rules
        .rules
        .get(&input.alarm_mute_rule_name)
        .ok_or_else(|| not_found(&input.alarm_mute_rule_name))?;
    let i = &rule.input;
    Ok(GetAlarmMuteRuleOutput {
        name: Some(i.name.clone()),
        alarm_mute_rule_arn: Some(rule.arn.clone()),
        description: i.description.clone(),
        rule: Some(i.rule.clone()),
        mute_targets: i.mute_targets.clone(),
        start_date: i.start_date,
        expire_date: i.expire_date,
        status: Some(rule.status(ctx.now.timestamp_millis()).to_string()),
        last_updated_timestamp: ts(rule.updated_ms),
        mute_type: Some(rule.mute_type().to_string()),
    })
}

pub fn list_alarm_mute_rules(
    state: &CwState,
    ctx: &RequestContext,
    input: ListAlarmMuteRulesInput,
) -> Result<ListAlarmMuteRulesOutput, ApiError> {
    let now_ms = ctx.now.timestamp_millis();
    if let Some(name) = &input.alarm_name {
        if !state.alarms.alarms.contains_key(name) {
            return Err(ApiError::new("ResourceNotFoundException", format!("Alarm {name} does not exist."), 404)
                .with_details(serde_json::json!({"ResourceType": "Alarm", "ResourceId": name})));
        }
    }
    let offset = input.next_token.as_deref().map(|t| decode_token("mute-rules", t)).transpose()?.unwrap_or(0);
    let limit = input.max_records.unwrap_or(50).max(1) as usize;
    let matching: Vec<AlarmMuteRuleSummary> = state
        .alarms
        .mute_rules
        .rules
        .values()
        .filter(|r| input.alarm_name.as_ref().is_none_or(|a| r.targets(a)))
        .map(|r| (r, r.status(now_ms)))
        .filter(|(_, status)| input.statuses.as_ref().is_none_or(|s| s.is_empty() || s.iter().any(|x| x == status)))
        .map(|(r, status)| AlarmMuteRuleSummary {
            alarm_mute_rule_arn: Some(r.arn.clone()),
            expire_date: r.input.expire_date,
            status: Some(status.to_string()),
            mute_type: Some(r.mute_type().to_string()),
            last_updated_timestamp: ts(r.updated_ms),
        })
        .collect();
    if offset > matching.len() {
        return Err(ApiError::client("InvalidNextToken", "The NextToken is invalid."));
    }
    let end = (offset + limit).min(matching.len());
    Ok(ListAlarmMuteRulesOutput {
        next_token: (end < matching.len()).then(|| encode_token("mute-rules", end)),
        alarm_mute_rule_summaries: Some(matching[offset..end].to_vec()),
    })
}

/// Idempotent: deleting a rule that does not exist succeeds.
pub fn delete_alarm_mute_rule(
    state: &mut CwState,
    ctx: &RequestContext,
    input: DeleteAlarmMuteRuleInput,
    effects: &mut Effects,
) -> Result<(), ApiError> {
    if let Some(rule) = state.alarms.mute_rules.rules.remove(&input.alarm_mute_rule_name) {
        state.tags.remove(&rule.arn);
        release_held(state, ctx.now.timestamp_millis(), true, effects);
    }
    Ok(())
}

/// Runs the held actions whose mute has ended by `now_ms`, at the instant it ended; with
/// `rules_changed`, every hold is looked at again now (a rule was changed or deleted).
pub fn release_held(state: &mut CwState, now_ms: i64, rules_changed: bool, effects: &mut Effects) {
    let held: Vec<(String, HeldActions)> = state
        .alarms
        .alarms
        .values()
        .filter_map(|a| a.muted.clone().map(|h| (a.name.clone(), h)))
        .filter(|(_, h)| rules_changed || h.until_ms <= now_ms)
        .collect();
    for (name, mut hold) in held {
        let at = hold.until_ms.min(now_ms);
        if let Some(until) = state.alarms.mute_rules.muted_until(&name, at) {
            hold.until_ms = until;
            if let Some(a) = state.alarms.alarms.get_mut(&name) {
                a.muted = Some(hold);
            }
            continue;
        }
        let Some(alarm) = state.alarms.alarms.get_mut(&name) else { continue };
        alarm.muted = None;
        if alarm.state == hold.state {
            let snapshot = alarm.clone();
            evaluation::run_actions(state, &snapshot, hold.from, at, effects);
        }
    }
}

#[cfg(test)]
mod tests;
