//! AWS Verified Access records (issue 13): instances with the trust providers attached to
//! them and their access-log settings, trust providers, groups and endpoints with their
//! Cedar policies (kept as given). The handlers live in `verified_access/`.
//!
//! Only endpoints have a lifecycle: `pending` -> `active` after creation, `updating` ->
//! `active` after a change, `deleting` -> gone (the Terraform provider waits for a deleted
//! endpoint to vanish). Each step takes the partition's transition delay, timed from
//! `Ec2State::timestamps`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::generated::dto;

/// A group's or endpoint's access policy: a Cedar document, stored as given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VaPolicy {
    pub enabled: bool,
    pub document: Option<String>,
}

/// An instance: its AWS shape without trust providers and tags (derived when described),
/// the providers attached to it in attachment order, and its access-log settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VaInstanceRecord {
    pub instance: dto::VerifiedAccessInstance,
    pub trust_providers: Vec<String>,
    pub logs: dto::VerifiedAccessLogs,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VaGroupRecord {
    pub group: dto::VerifiedAccessGroup,
    pub policy: VaPolicy,
}

/// What last happened to an endpoint; its shown status follows from it and the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VaEndpointStage {
    Created,
    Updated,
    Deleting,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VaEndpointRecord {
    /// Without status and tags (derived when described).
    pub endpoint: dto::VerifiedAccessEndpoint,
    pub policy: VaPolicy,
    pub stage: VaEndpointStage,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VerifiedAccessState {
    pub instances: BTreeMap<String, VaInstanceRecord>,
    pub trust_providers: BTreeMap<String, dto::VerifiedAccessTrustProvider>,
    pub groups: BTreeMap<String, VaGroupRecord>,
    pub endpoints: BTreeMap<String, VaEndpointRecord>,
}

impl VerifiedAccessState {
    /// Endpoints not being deleted: AWS places their network interfaces in their subnets,
    /// behind their security groups.
    fn live_endpoints(&self) -> impl Iterator<Item = &dto::VerifiedAccessEndpoint> {
        self.endpoints.values().filter(|e| e.stage != VaEndpointStage::Deleting).map(|e| &e.endpoint)
    }

    /// Whether an endpoint reaches into the subnet (which then cannot be deleted).
    pub fn uses_subnet(&self, subnet_id: &str) -> bool {
        self.live_endpoints().any(|e| {
            let lb = e.load_balancer_options.as_ref().and_then(|o| o.subnet_ids.as_ref());
            let rds = e.rds_options.as_ref().and_then(|o| o.subnet_ids.as_ref());
            let cidr = e.cidr_options.as_ref().and_then(|o| o.subnet_ids.as_ref());
            [lb, rds, cidr].into_iter().flatten().flatten().any(|s| s == subnet_id)
        })
    }

    /// Whether an endpoint is behind the security group (which then cannot be deleted).
    pub fn uses_security_group(&self, group_id: &str) -> bool {
        self.live_endpoints().any(|e| e.security_group_ids.iter().flatten().any(|g| g == group_id))
    }
}
