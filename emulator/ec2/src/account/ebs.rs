//! EBS encryption by default and the default KMS key for encrypted volumes.

use nimbus_core::{ApiError, RequestContext};

use crate::ebs::volumes::records::{default_kms_key, kms_key_arn};
use crate::generated::dto::{
    DisableEbsEncryptionByDefaultRequest, DisableEbsEncryptionByDefaultResult, EnableEbsEncryptionByDefaultRequest,
    EnableEbsEncryptionByDefaultResult, GetEbsDefaultKmsKeyIdRequest, GetEbsDefaultKmsKeyIdResult,
    GetEbsEncryptionByDefaultRequest, GetEbsEncryptionByDefaultResult, ModifyEbsDefaultKmsKeyIdRequest,
    ModifyEbsDefaultKmsKeyIdResult, ResetEbsDefaultKmsKeyIdRequest, ResetEbsDefaultKmsKeyIdResult,
};
use crate::generated::errors;
use crate::state::Ec2State;

pub fn enable_ebs_encryption_by_default(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    _input: EnableEbsEncryptionByDefaultRequest,
) -> Result<EnableEbsEncryptionByDefaultResult, ApiError> {
    state.account.ebs_encryption_by_default = true;
    Ok(EnableEbsEncryptionByDefaultResult { ebs_encryption_by_default: Some(true) })
}

pub fn disable_ebs_encryption_by_default(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    _input: DisableEbsEncryptionByDefaultRequest,
) -> Result<DisableEbsEncryptionByDefaultResult, ApiError> {
    state.account.ebs_encryption_by_default = false;
    Ok(DisableEbsEncryptionByDefaultResult { ebs_encryption_by_default: Some(false) })
}

pub fn get_ebs_encryption_by_default(
    state: &Ec2State,
    _ctx: &RequestContext,
    _input: GetEbsEncryptionByDefaultRequest,
) -> Result<GetEbsEncryptionByDefaultResult, ApiError> {
    Ok(GetEbsEncryptionByDefaultResult {
        ebs_encryption_by_default: Some(state.account.ebs_encryption_by_default),
        sse_type: Some("sse-ebs".into()),
    })
}

/// The key encrypted volumes get when none is named: the account's choice, else AWS's
/// managed `alias/aws/ebs`.
fn current_key(state: &Ec2State, ctx: &RequestContext) -> String {
    state.account.ebs_default_kms_key_id.as_deref().map_or_else(|| default_kms_key(ctx), |k| kms_key_arn(ctx, k))
}

pub fn get_ebs_default_kms_key_id(
    state: &Ec2State,
    ctx: &RequestContext,
    _input: GetEbsDefaultKmsKeyIdRequest,
) -> Result<GetEbsDefaultKmsKeyIdResult, ApiError> {
    Ok(GetEbsDefaultKmsKeyIdResult { kms_key_id: Some(current_key(state, ctx)) })
}

/// Takes a key id, key ARN, alias name or alias ARN, as AWS does; nimbus has no KMS, so any
/// well-formed key of the caller's region is taken.
pub fn modify_ebs_default_kms_key_id(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyEbsDefaultKmsKeyIdRequest,
) -> Result<ModifyEbsDefaultKmsKeyIdResult, ApiError> {
    let key = input.kms_key_id.trim();
    let well_formed = if let Some(arn) = key.strip_prefix("arn:aws:kms:") {
        arn.split(':').next() == Some(ctx.region.as_str()) && (arn.contains(":key/") || arn.contains(":alias/"))
    } else {
        !key.is_empty()
    };
    if !well_formed {
        return Err(errors::invalid_parameter_value(format!("Invalid kms key id: {key}")));
    }
    state.account.ebs_default_kms_key_id = Some(key.to_string());
    Ok(ModifyEbsDefaultKmsKeyIdResult { kms_key_id: Some(current_key(state, ctx)) })
}

pub fn reset_ebs_default_kms_key_id(
    state: &mut Ec2State,
    ctx: &RequestContext,
    _input: ResetEbsDefaultKmsKeyIdRequest,
) -> Result<ResetEbsDefaultKmsKeyIdResult, ApiError> {
    state.account.ebs_default_kms_key_id = None;
    Ok(ResetEbsDefaultKmsKeyIdResult { kms_key_id: Some(current_key(state, ctx)) })
}
