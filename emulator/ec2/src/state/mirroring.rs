//! Traffic Mirroring records: filters with their rules and network services, targets
//! (an interface, a Network Load Balancer or a Gateway Load Balancer endpoint) and
//! sessions that copy a source interface's packets to a target through a filter.
//! None of them has a lifecycle at AWS: each exists from the answer on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::generated::dto;

/// The Traffic Mirroring family of one partition. The records are AWS's shapes without
/// tags (and filters without their rules), which are derived when described.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MirroringState {
    pub filters: BTreeMap<String, dto::TrafficMirrorFilter>,
    /// Rules of every filter, by rule id.
    pub rules: BTreeMap<String, dto::TrafficMirrorFilterRule>,
    pub targets: BTreeMap<String, dto::TrafficMirrorTarget>,
    pub sessions: BTreeMap<String, dto::TrafficMirrorSession>,
}

impl MirroringState {
    /// Virtual network ids the account's sessions use here.
    pub fn virtual_network_ids(&self) -> impl Iterator<Item = i32> + '_ {
        self.sessions.values().filter_map(|s| s.virtual_network_id)
    }
}
