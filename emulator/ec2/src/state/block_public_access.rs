//! VPC Block Public Access: the account's mode for internet gateways in one Region and
//! the exclusions that exempt a VPC or a subnet from it. The handlers are in
//! `vpc/block_public_access.rs`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const MODE_OFF: &str = "off";
pub const BLOCK_INGRESS: &str = "block-ingress";
pub const ALLOW_BIDIRECTIONAL: &str = "allow-bidirectional";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VpcBpaState {
    /// The mode last set with ModifyVpcBlockPublicAccessOptions; `None` while it never
    /// was (AWS's `default-state`, mode `off`).
    pub mode: Option<String>,
    /// When the mode was last set.
    pub last_update: Option<DateTime<Utc>>,
    /// Exclusions by id, deleted ones included until they stop being shown.
    pub exclusions: BTreeMap<String, BpaExclusion>,
}

/// One exclusion, in its settled state (the answer to the call that changes it shows the
/// step in progress, as AWS's does).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BpaExclusion {
    pub id: String,
    /// The excluded VPC or subnet (`vpc-...` or `subnet-...`).
    pub resource_id: String,
    /// The VPC the excluded resource is (or was) in.
    pub vpc_id: String,
    pub resource_arn: String,
    /// `allow-bidirectional` or `allow-egress`.
    pub mode: String,
    pub created: DateTime<Utc>,
    pub last_update: DateTime<Utc>,
    /// Whether the mode was modified since creation (settles into `update-complete`).
    pub modified: bool,
    /// When it was deleted (with DeleteVpcBlockPublicAccessExclusion or with its VPC or
    /// subnet); deleted exclusions show `delete-complete` for a while.
    pub deleted: Option<DateTime<Utc>>,
}

impl BpaExclusion {
    pub fn live(&self) -> bool {
        self.deleted.is_none()
    }

    /// The settled state AWS shows.
    pub fn state(&self) -> &'static str {
        match (self.deleted.is_some(), self.modified) {
            (true, _) => "delete-complete",
            (false, true) => "update-complete",
            (false, false) => "create-complete",
        }
    }
}

impl VpcBpaState {
    /// The mode in force (`off` until set).
    pub fn mode(&self) -> &str {
        self.mode.as_deref().unwrap_or(MODE_OFF)
    }

    /// The live exclusion of a resource, if it has one.
    pub fn exclusion_of(&self, resource_id: &str) -> Option<&BpaExclusion> {
        self.exclusions.values().find(|e| e.live() && e.resource_id == resource_id)
    }

    /// The mode in force for a VPC (its exclusion counted) or a subnet (its own exclusion
    /// first, then its VPC's), as DescribeVpcs and DescribeSubnets show it in
    /// `BlockPublicAccessStates`: an `allow-bidirectional` exclusion lifts the block, an
    /// `allow-egress` one leaves only inbound traffic blocked.
    pub fn effective_mode(&self, vpc_id: &str, subnet_id: Option<&str>) -> String {
        if self.mode() == MODE_OFF {
            return MODE_OFF.into();
        }
        let exclusion = subnet_id.and_then(|s| self.exclusion_of(s)).or_else(|| self.exclusion_of(vpc_id));
        match exclusion.map(|e| e.mode.as_str()) {
            Some(ALLOW_BIDIRECTIONAL) => MODE_OFF.into(),
            Some(_) => BLOCK_INGRESS.into(),
            None => self.mode().into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(mode: &str, resource: &str, exclusion: &str) -> VpcBpaState {
        let mut s = VpcBpaState { mode: Some(mode.into()), ..Default::default() };
        s.exclusions.insert(
            "x".into(),
            BpaExclusion { id: "x".into(), resource_id: resource.into(), mode: exclusion.into(), ..Default::default() },
        );
        s
    }

    #[test]
    fn exclusions_decide_the_mode_in_force() {
        let off = VpcBpaState::default();
        assert_eq!(off.effective_mode("vpc-1", None), "off");
        let subnet = excluded("block-bidirectional", "subnet-1", ALLOW_BIDIRECTIONAL);
        assert_eq!(subnet.effective_mode("vpc-1", Some("subnet-1")), "off");
        assert_eq!(subnet.effective_mode("vpc-1", Some("subnet-2")), "block-bidirectional");
        assert_eq!(subnet.effective_mode("vpc-1", None), "block-bidirectional");
        let egress = excluded("block-bidirectional", "vpc-1", "allow-egress");
        assert_eq!(egress.effective_mode("vpc-1", Some("subnet-9")), BLOCK_INGRESS);
        assert_eq!(egress.effective_mode("vpc-2", None), "block-bidirectional");
        let ingress = VpcBpaState { mode: Some(BLOCK_INGRESS.into()), ..Default::default() };
        assert_eq!(ingress.effective_mode("vpc-1", None), BLOCK_INGRESS);
    }
}
