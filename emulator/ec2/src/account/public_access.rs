//! Block public access for AMIs and for EBS snapshots, and its effect: while it is on, an
//! image's launch permission or a snapshot's volume permission cannot be given to `all`.
//!
//! AWS turns AMI block public access on for new accounts; nimbus starts every account
//! `unblocked`, as an existing account with public AMIs is, so that scripts written
//! before the setting existed keep working. `EnableImageBlockPublicAccess` gives a test
//! AWS's new-account behaviour.

use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    DisableImageBlockPublicAccessRequest, DisableImageBlockPublicAccessResult, DisableSnapshotBlockPublicAccessRequest,
    DisableSnapshotBlockPublicAccessResult, EnableImageBlockPublicAccessRequest, EnableImageBlockPublicAccessResult,
    EnableSnapshotBlockPublicAccessRequest, EnableSnapshotBlockPublicAccessResult,
    GetImageBlockPublicAccessStateRequest, GetImageBlockPublicAccessStateResult,
    GetSnapshotBlockPublicAccessStateRequest, GetSnapshotBlockPublicAccessStateResult,
};
use crate::generated::{enums, errors};
use crate::state::params::one_of;
use crate::state::Ec2State;

const UNBLOCKED: &str = "unblocked";

pub fn enable_image_block_public_access(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: EnableImageBlockPublicAccessRequest,
) -> Result<EnableImageBlockPublicAccessResult, ApiError> {
    one_of(
        "ImageBlockPublicAccessState",
        &input.image_block_public_access_state,
        enums::IMAGE_BLOCK_PUBLIC_ACCESS_ENABLED_STATE,
    )?;
    state.account.image_block_public_access = true;
    Ok(EnableImageBlockPublicAccessResult {
        image_block_public_access_state: Some(input.image_block_public_access_state),
    })
}

pub fn disable_image_block_public_access(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    _input: DisableImageBlockPublicAccessRequest,
) -> Result<DisableImageBlockPublicAccessResult, ApiError> {
    state.account.image_block_public_access = false;
    Ok(DisableImageBlockPublicAccessResult { image_block_public_access_state: Some(UNBLOCKED.into()) })
}

pub fn get_image_block_public_access_state(
    state: &Ec2State,
    _ctx: &RequestContext,
    _input: GetImageBlockPublicAccessStateRequest,
) -> Result<GetImageBlockPublicAccessStateResult, ApiError> {
    let shown = if state.account.image_block_public_access { "block-new-sharing" } else { UNBLOCKED };
    Ok(GetImageBlockPublicAccessStateResult {
        image_block_public_access_state: Some(shown.into()),
        managed_by: Some("account".into()),
    })
}

pub fn enable_snapshot_block_public_access(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: EnableSnapshotBlockPublicAccessRequest,
) -> Result<EnableSnapshotBlockPublicAccessResult, ApiError> {
    one_of("State", &input.state, enums::SNAPSHOT_BLOCK_PUBLIC_ACCESS_STATE)?;
    if input.state == UNBLOCKED {
        return Err(errors::invalid_parameter_value(
            "Value (unblocked) for parameter State is invalid. Use DisableSnapshotBlockPublicAccess to unblock.",
        ));
    }
    state.account.snapshot_block_public_access = Some(input.state.clone());
    Ok(EnableSnapshotBlockPublicAccessResult { state: Some(input.state) })
}

pub fn disable_snapshot_block_public_access(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    _input: DisableSnapshotBlockPublicAccessRequest,
) -> Result<DisableSnapshotBlockPublicAccessResult, ApiError> {
    state.account.snapshot_block_public_access = None;
    Ok(DisableSnapshotBlockPublicAccessResult { state: Some(UNBLOCKED.into()) })
}

pub fn get_snapshot_block_public_access_state(
    state: &Ec2State,
    _ctx: &RequestContext,
    _input: GetSnapshotBlockPublicAccessStateRequest,
) -> Result<GetSnapshotBlockPublicAccessStateResult, ApiError> {
    Ok(GetSnapshotBlockPublicAccessStateResult {
        state: Some(state.account.snapshot_block_public_access.clone().unwrap_or_else(|| UNBLOCKED.into())),
        managed_by: Some("account".into()),
    })
}
