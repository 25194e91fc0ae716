//! Metric and composite alarms: their configuration, state and history, and the
//! operations on them. The evaluation on the clock is in [`crate::evaluation`].
//!
//! - `metric`: PutMetricAlarm and the checks of its request;
//! - `composite`: PutCompositeAlarm; `rule`: the composite alarm rule language;
//! - `contributors`: DescribeAlarmContributors; `log`: PutLogAlarm;
//! - `describe`: DescribeAlarms and DescribeAlarmsForMetric;
//! - `actions`: EnableAlarmActions, DisableAlarmActions and SetAlarmState;
//! - `delete`: DeleteAlarms;
//! - `history`: the alarm history and DescribeAlarmHistory;
//! - `mute`: alarm mute rules, which hold back alarms' actions on a schedule.

pub mod actions;
pub mod composite;
pub mod contributors;
pub mod delete;
pub mod describe;
pub mod history;
pub mod log;
pub mod metric;
pub mod mute;
pub mod rule;
#[cfg(test)]
mod tests;

pub use metric::{alarm_period, is_band_operator, returned_id};

use std::collections::BTreeMap;

use base64::Engine as _;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};
use serde::{Deserialize, Serialize};

use crate::generated::dto::{PutCompositeAlarmInput, PutMetricAlarmInput};

use self::rule::Rule;

pub const OK: &str = "OK";
pub const ALARM: &str = "ALARM";
pub const INSUFFICIENT_DATA: &str = "INSUFFICIENT_DATA";

/// Alarm history is kept for two weeks.
const HISTORY_MS: i64 = 14 * 86_400_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricConfig {
    /// The PutMetricAlarm request, less its tags.
    pub input: PutMetricAlarmInput,
}

#[derive(Debug, Clone, Serialize)]
pub struct CompositeConfig {
    pub input: PutCompositeAlarmInput,
    #[serde(skip)]
    pub rule: Rule,
}

/// A snapshot keeps the rule's text only; it is parsed again when read back.
impl<'de> Deserialize<'de> for CompositeConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Stored {
            input: PutCompositeAlarmInput,
        }
        let Stored { input } = Stored::deserialize(d)?;
        let rule = rule::parse(&input.alarm_rule).map_err(serde::de::Error::custom)?;
        Ok(CompositeConfig { input, rule })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Kind {
    Metric(Box<MetricConfig>),
    Composite(Box<CompositeConfig>),
    Log(Box<log::LogConfig>),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alarm {
    pub name: String,
    pub arn: String,
    pub kind: Kind,
    pub actions_enabled: bool,
    #[serde(deserialize_with = "crate::snapshot::known")]
    pub state: crate::snapshot::Known,
    pub reason: String,
    pub reason_data: Option<String>,
    pub state_updated_ms: i64,
    pub state_transitioned_ms: i64,
    pub configuration_updated_ms: i64,
    /// Metric alarms: the next evaluation (epoch ms on nimbus's clock).
    pub next_eval_ms: i64,
    /// Composite alarms: why actions were suppressed, when they were.
    pub actions_suppressed: Option<(String, String)>,
    /// The actions an alarm mute rule is holding back, if one is.
    #[serde(default)]
    pub muted: Option<mute::HeldActions>,
}

impl Alarm {
    pub fn alarm_type(&self) -> &'static str {
        match self.kind {
            Kind::Metric(_) => "MetricAlarm",
            Kind::Composite(_) => "CompositeAlarm",
            Kind::Log(_) => "LogAlarm",
        }
    }

    pub fn actions_for(&self, state: &str) -> Vec<String> {
        let (ok, alarm, insufficient) = match &self.kind {
            Kind::Metric(m) => (&m.input.ok_actions, &m.input.alarm_actions, &m.input.insufficient_data_actions),
            Kind::Composite(c) => (&c.input.ok_actions, &c.input.alarm_actions, &c.input.insufficient_data_actions),
            Kind::Log(l) => (&l.input.ok_actions, &l.input.alarm_actions, &l.input.insufficient_data_actions),
        };
        let list = match state {
            OK => ok,
            ALARM => alarm,
            _ => insufficient,
        };
        list.clone().unwrap_or_default()
    }

    fn all_actions(&self) -> Vec<String> {
        [OK, ALARM, INSUFFICIENT_DATA].iter().flat_map(|s| self.actions_for(s)).collect()
    }

    pub fn description(&self) -> Option<String> {
        match &self.kind {
            Kind::Metric(m) => m.input.alarm_description.clone(),
            Kind::Composite(c) => c.input.alarm_description.clone(),
            Kind::Log(l) => l.input.alarm_description.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryItem {
    pub alarm_name: String,
    #[serde(deserialize_with = "crate::snapshot::known")]
    pub alarm_type: crate::snapshot::Known,
    pub timestamp_ms: i64,
    #[serde(deserialize_with = "crate::snapshot::known")]
    pub item_type: crate::snapshot::Known,
    pub summary: String,
    pub data: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AlarmStore {
    pub alarms: BTreeMap<String, Alarm>,
    pub history: Vec<HistoryItem>,
    #[serde(default)]
    pub mute_rules: mute::MuteRules,
}

impl AlarmStore {
    pub fn record(&mut self, item: HistoryItem) {
        // Forget history older than the retention, in bulk, now and then.
        if self.history.len() > 4096 && self.history.len().is_power_of_two() {
            let horizon = item.timestamp_ms - HISTORY_MS;
            self.history.retain(|h| h.timestamp_ms >= horizon);
        }
        self.history.push(item);
    }

    /// Composite alarms whose rule names this alarm.
    pub fn parents_of(&self, name: &str) -> Vec<String> {
        self.alarms
            .values()
            .filter(|a| matches!(&a.kind, Kind::Composite(c) if c.rule.alarms().contains(name)))
            .map(|a| a.name.clone())
            .collect()
    }
}

pub fn alarm_arn(ctx: &RequestContext, name: &str) -> String {
    format!("arn:aws:cloudwatch:{}:{}:alarm:{}", ctx.region, ctx.account(), name)
}

fn ts(ms: i64) -> Option<Timestamp> {
    Timestamp::from_epoch_millis(ms)
}

/// Stores the alarm a Put*Alarm call describes, as its history records it. An update keeps
/// the alarm's name, ARN, state and tags and takes the new configuration (`next_eval_ms`,
/// where given, schedules its next evaluation); a new alarm starts in INSUFFICIENT_DATA
/// with the call's tags.
fn store_put_alarm(
    state: &mut crate::CwState,
    ctx: &RequestContext,
    (name, kind): (&str, Kind),
    actions_enabled: bool,
    next_eval_ms: Option<i64>,
    tags: &Option<Vec<crate::generated::dto::Tag>>,
    now_ms: i64,
) {
    let before = state.alarms.alarms.get(name).cloned();
    let alarm = match &before {
        Some(old) => Alarm {
            kind,
            actions_enabled,
            configuration_updated_ms: now_ms,
            next_eval_ms: next_eval_ms.unwrap_or(old.next_eval_ms),
            ..old.clone()
        },
        None => Alarm {
            name: name.to_string(),
            arn: alarm_arn(ctx, name),
            actions_enabled,
            kind,
            state: INSUFFICIENT_DATA,
            reason: "Unchecked: Initial alarm creation".into(),
            reason_data: None,
            state_updated_ms: now_ms,
            state_transitioned_ms: now_ms,
            configuration_updated_ms: now_ms,
            next_eval_ms: next_eval_ms.unwrap_or(i64::MAX),
            actions_suppressed: None,
            muted: None,
        },
    };
    let event = if before.is_some() { "Update" } else { "Create" };
    history::record_configuration(&mut state.alarms, &alarm, before.as_ref(), event, now_ms);
    if before.is_none() {
        state.tags.set(&alarm.arn, tag_map(tags));
    }
    state.alarms.alarms.insert(name.to_string(), alarm);
}

fn tag_map(tags: &Option<Vec<crate::generated::dto::Tag>>) -> Vec<(String, String)> {
    tags.iter().flatten().map(|t| (t.key.clone(), t.value.clone())).collect()
}

fn encode_token(kind: &str, offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("nimbus-{kind}:{offset}"))
}

fn decode_token(kind: &str, token: &str) -> Result<usize, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(&format!("nimbus-{kind}:")).and_then(|n| n.parse().ok()))
        .ok_or_else(|| ApiError::client("InvalidNextToken", format!("The NextToken '{token}' is invalid.")))
}
