//! Acknowledged mutations, as `--state-dir` journals them and replays them on restart.
//!
//! A mutation is recorded as the handler saw it: the decoded input, the caller, the
//! region, nimbus's clock and the seed of the id sequence the handler drew from. Run
//! again on the state it first ran on, it makes the same change with the same ids
//! (state is kept in ordered maps, and handlers take time and randomness only from
//! their context and [`crate::ids`]). Which calls are journaled is the service's call
//! ([`crate::Service::mutates`]): every write, and every read that would change state
//! on its way (EC2 setting up a partition or settling lifecycles, CloudWatch running due
//! alarm evaluations), whether the call then succeeds or is refused.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Protocol;
use crate::service::Caller;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mutation {
    /// The service's signing name: `ec2`, `monitoring`, `sts`.
    pub service: String,
    pub operation: String,
    pub input: Value,
    pub caller: Caller,
    pub region: String,
    pub request_id: String,
    pub now: DateTime<Utc>,
    pub protocol: Protocol,
    /// The id sequence's state when the handler started.
    pub seed: u64,
    /// The error code the call was answered with: a refused call is journaled too when
    /// the service says it may have changed state on the way (a partition set up, a
    /// lifecycle settled, alarms evaluated), and replays to the same refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where the dispatcher hands acknowledged mutations (the `nimbus-persist` journal).
pub trait Recorder: Send + Sync {
    /// Appends `mutation` to the journal's buffer, in the order mutations were applied;
    /// returns a ticket for [`Recorder::wait_durable`].
    fn record(&self, mutation: &Mutation) -> u64;

    /// Returns once the entry behind `ticket` is on disk (fsynced, in groups).
    fn wait_durable(&self, ticket: u64);
}
