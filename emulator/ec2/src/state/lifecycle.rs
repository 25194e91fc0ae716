//! Lifecycles that move on with nimbus's clock, as Rust enums; the wire shows their AWS
//! names.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Ec2State, InstanceRecord};
use crate::generated::dto;

/// An instance's state (EC2's `InstanceStateName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceStateName {
    #[default]
    Pending,
    Running,
    ShuttingDown,
    Terminated,
    Stopping,
    Stopped,
}

impl InstanceStateName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::ShuttingDown => "shutting-down",
            Self::Terminated => "terminated",
            Self::Stopping => "stopping",
            Self::Stopped => "stopped",
        }
    }

    /// AWS's state code: the high byte is internal, the low one names the state.
    pub fn code(self) -> i32 {
        match self {
            Self::Pending => 0,
            Self::Running => 16,
            Self::ShuttingDown => 32,
            Self::Terminated => 48,
            Self::Stopping => 64,
            Self::Stopped => 80,
        }
    }

    /// The state a transitional one settles into once its step is over.
    pub fn settles_into(self) -> Option<Self> {
        match self {
            Self::Pending => Some(Self::Running),
            Self::Stopping => Some(Self::Stopped),
            Self::ShuttingDown => Some(Self::Terminated),
            Self::Running | Self::Terminated | Self::Stopped => None,
        }
    }

    /// Pending or running: an instance that is (about to be) up.
    pub fn is_up(self) -> bool {
        matches!(self, Self::Pending | Self::Running)
    }

    pub fn dto(self) -> dto::InstanceState {
        dto::InstanceState { code: Some(self.code()), name: Some(self.as_str().to_string()) }
    }
}

impl fmt::Display for InstanceStateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state an instance is in at `now`, and since when.
pub fn shown_state(state: &Ec2State, rec: &InstanceRecord, now: DateTime<Utc>) -> (InstanceStateName, DateTime<Utc>) {
    match rec.stored_state.settles_into() {
        Some(next) if now >= rec.since + state.transition_delay() => (next, rec.since + state.transition_delay()),
        _ => (rec.stored_state, rec.since),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_are_aws_s() {
        for (s, name, code) in [
            (InstanceStateName::Pending, "pending", 0),
            (InstanceStateName::ShuttingDown, "shutting-down", 32),
            (InstanceStateName::Stopped, "stopped", 80),
        ] {
            assert_eq!((s.as_str(), s.code()), (name, code));
            assert_eq!(serde_json::to_value(s).unwrap(), name, "stored as AWS names them");
        }
    }
}
