//! The account's settings in one region: what EBS, AMI and snapshot sharing, the serial
//! console and new instances' metadata options default to.

use nimbus_core::ApiError;
use serde::{Deserialize, Serialize};

use super::Ec2State;
use crate::generated::errors;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct AccountSettings {
    /// Every new EBS volume is encrypted.
    pub ebs_encryption_by_default: bool,
    /// The KMS key encrypted volumes get when none is named (`alias/aws/ebs` when unset).
    pub ebs_default_kms_key_id: Option<String>,
    pub serial_console_access: bool,
    /// `block-new-sharing` when AMIs may not be made public.
    pub image_block_public_access: bool,
    /// `unblocked`, `block-new-sharing` or `block-all-sharing` (unset: unblocked).
    pub snapshot_block_public_access: Option<String>,
    pub metadata_defaults: MetadataDefaults,
    /// ModifyDefaultCreditSpecification's choice per burstable family (`t3` -> `standard`);
    /// a family not here has AWS's default.
    pub default_credits: std::collections::BTreeMap<String, String>,
}

/// ModifyInstanceMetadataDefaults' account-level values; `None` is "no preference".
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct MetadataDefaults {
    pub http_tokens: Option<String>,
    pub http_put_response_hop_limit: Option<i32>,
    pub http_endpoint: Option<String>,
    pub instance_metadata_tags: Option<String>,
    pub http_tokens_enforced: Option<String>,
}

/// Refuses making an AMI public while block public access for AMIs is on.
pub fn check_image_may_go_public(state: &Ec2State, image_id: &str) -> Result<(), ApiError> {
    if state.account.image_block_public_access {
        return Err(errors::operation_not_permitted(format!(
            "The image {image_id} cannot be made public: block public access for AMIs is enabled in this Region."
        )));
    }
    Ok(())
}

/// Refuses making a snapshot public while block public access for snapshots is on.
pub fn check_snapshot_may_go_public(state: &Ec2State, snapshot_id: &str) -> Result<(), ApiError> {
    if state.account.snapshot_block_public_access.is_some() {
        return Err(errors::operation_not_permitted(format!(
            "The snapshot {snapshot_id} cannot be shared publicly: block public access for snapshots is enabled in this Region."
        )));
    }
    Ok(())
}

/// A burstable family's default credit option: the account's choice, else AWS's
/// (`standard` for T2, `unlimited` for the later families).
pub fn current_default_credits(state: &Ec2State, family: &str) -> String {
    let aws_default = if family == "t2" { "standard" } else { "unlimited" };
    state.account.default_credits.get(family).cloned().unwrap_or_else(|| aws_default.to_string())
}

/// The credit option a new instance of `instance_type` gets when the request names none;
/// `None` for types that are not burstable (`t1.micro` included: it has no credits).
pub fn default_credits(state: &Ec2State, instance_type: &str) -> Option<String> {
    let family = instance_type.split('.').next().unwrap_or_default();
    crate::generated::enums::UNLIMITED_SUPPORTED_INSTANCE_FAMILY
        .contains(&family)
        .then(|| current_default_credits(state, family))
}
