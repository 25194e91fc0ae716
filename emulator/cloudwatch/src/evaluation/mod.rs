//! Alarm evaluation on nimbus's clock, without a background thread: every request for
//! a partition first runs the evaluations that were due up to `now` ([`catch_up`]), each
//! at the instant it would have run, so state changes and history carry the timestamps
//! they would have had.
//!
//! - A metric alarm with a period of a minute or more is evaluated every minute, on the
//!   minute; a 10-, 20- or 30-second alarm every 10 seconds. The evaluation at `T` looks
//!   at the periods ending at `T`: datapoint k covers `[T-(k+1)·P, T-k·P)`.
//! - It retrieves an evaluation range of N+2 datapoints (N = EvaluationPeriods), as in
//!   AWS's documented example (N = 3, range 5), and decides as AWS documents:
//!   the N newest when none is missing; else the N most recent real datapoints when
//!   there are that many; else the real ones plus missing ones treated as
//!   TreatMissingData says (missing/ignore fill nothing: some non-breaching datapoint
//!   means OK, and with only breaching ones the alarm goes to ALARM when the oldest of
//!   them in the last N is at least M old — the "premature alarm" rule — and otherwise
//!   keeps its state); all missing: INSUFFICIENT_DATA, unchanged, ALARM or OK.
//! - Composite alarms are evaluated when created or updated and whenever an alarm their
//!   rule names changes state.
//! - While every datapoint of the range is missing and nothing changes, evaluations
//!   would repeat the same answer: the next one is moved to the first tick that can see
//!   new data, which keeps catching up after a long clock jump cheap.
//!
//! - `metric`: the datapoints of a metric alarm's evaluation range and its verdict;
//! - `decide`: AWS's rules for deciding on a range with missing datapoints;
//! - `reason`: StateReason and StateReasonData as CloudWatch writes them;
//! - `format`: how those write times and numbers;
//! - `transition`: a state change, its history, its actions and the composite alarms
//!   that watch the alarm.

mod decide;
mod format;
mod metric;
mod reason;
#[cfg(test)]
mod tests;
mod transition;

pub use format::json_time;
pub use transition::{evaluate_composite, record_ec2_outcome, run_actions, transition};

use std::collections::BTreeSet;

use crate::alarms::{self, Kind};
use crate::CwState;

use self::metric::{evaluate_metric, next_data_after};

/// An EC2 action (`arn:aws:automate:<region>:ec2:stop|terminate|reboot|recover`) an
/// alarm took; run by the EC2 hook after the CloudWatch lock is released.
#[derive(Debug, Clone, PartialEq)]
pub struct Ec2Action {
    pub alarm_name: String,
    pub alarm_type: &'static str,
    pub action_arn: String,
    /// `stop`, `terminate`, `reboot` or `recover`.
    pub action: String,
    /// The alarm's `InstanceId` dimension.
    pub instance_id: Option<String>,
    pub at_ms: i64,
}

/// What an evaluation leaves to do outside the lock.
#[derive(Debug, Default)]
pub struct Effects {
    pub ec2: Vec<Ec2Action>,
}

/// The first evaluation tick strictly after `ms` for an alarm of this period.
pub fn next_tick(ms: i64, period_s: i64) -> i64 {
    let step = step_ms(period_s);
    (ms.div_euclid(step) + 1) * step
}

fn step_ms(period_s: i64) -> i64 {
    if period_s < 60 {
        10_000
    } else {
        60_000
    }
}

/// Runs every evaluation due up to `now_ms`.
pub fn catch_up(state: &mut CwState, now_ms: i64, effects: &mut Effects) {
    state.metrics.roll_up(now_ms);
    let mut queue: BTreeSet<(i64, String)> = state
        .alarms
        .alarms
        .values()
        .filter(|a| matches!(a.kind, Kind::Metric(_) | Kind::Log(_)) && a.next_eval_ms <= now_ms)
        .map(|a| (a.next_eval_ms, a.name.clone()))
        .collect();
    while let Some((t, name)) = queue.pop_first() {
        alarms::mute::release_held(state, t, false, effects);
        let Some(alarm) = state.alarms.alarms.get(&name) else { continue };
        if matches!(alarm.kind, Kind::Log(_)) {
            alarms::log::evaluate_log(state, &name, t, effects);
            continue;
        }
        let Kind::Metric(config) = &alarm.kind else { continue };
        let period = alarms::alarm_period(&config.input);
        let (result, all_missing) = evaluate_metric(&state.metrics, alarm, t);
        let mut changed = false;
        if let Some((new_state, reason, data)) = result {
            if new_state != alarm.state {
                changed = true;
                transition(state, &name, new_state, reason, Some(data), t, effects);
            }
        }
        let Some(alarm) = state.alarms.alarms.get(&name) else { continue };
        let Kind::Metric(config) = &alarm.kind else { continue };
        let mut next = t + step_ms(period);
        if all_missing && !changed {
            let n = config.input.evaluation_periods.unwrap_or(1).max(1) as i64;
            let from = t - (n + 2) * period * 1000;
            next = match next_data_after(&state.metrics, &config.input, from) {
                // A standard-resolution point counts at its minute's start.
                Some(p) => next.max(next_tick(p - p.rem_euclid(60_000), period)),
                None => next.max(next_tick(now_ms, period)),
            };
        }
        if let Some(a) = state.alarms.alarms.get_mut(&name) {
            a.next_eval_ms = next;
        }
        if next <= now_ms {
            queue.insert((next, name));
        }
    }
    alarms::mute::release_held(state, now_ms, false, effects);
}
