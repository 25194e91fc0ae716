//! Datasets: only the default one, implicit in every account and Region, and the customer
//! managed KMS key it may be associated with. nimbus has no KMS: a key is accepted when
//! its ARN is a well-formed key ARN of the dataset's Region (key ids, aliases and alias
//! ARNs are refused, as AWS refuses them).

use nimbus_core::{ApiError, RequestContext};
use serde::{Deserialize, Serialize};

use crate::generated::dto::{
    AssociateDatasetKmsKeyInput, AssociateDatasetKmsKeyOutput, DisassociateDatasetKmsKeyInput,
    DisassociateDatasetKmsKeyOutput, GetDatasetInput, GetDatasetOutput,
};
use crate::CwState;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Dataset {
    pub kms_key_arn: Option<String>,
}

pub fn dataset_arn(ctx: &RequestContext) -> String {
    format!("arn:aws:cloudwatch:{}:{}:dataset/default", ctx.region, ctx.account())
}

/// `default` or the default dataset's ARN in the caller's account and Region.
fn check_identifier(ctx: &RequestContext, id: &str) -> Result<(), ApiError> {
    if id == "default" || id == dataset_arn(ctx) {
        return Ok(());
    }
    Err(ApiError::new("ResourceNotFoundException", format!("The dataset {id} does not exist."), 404))
}

/// `arn:aws:kms:<region>:<account>:key/<id>` in the caller's Region.
fn check_key(ctx: &RequestContext, arn: &str) -> Result<(), ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let well_formed = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "kms"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5]
            .strip_prefix("key/")
            .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'));
    if !well_formed || parts[3] != ctx.region {
        return Err(ApiError::client(
            "KmsKeyNotFoundException",
            format!("The KMS key {arn} could not be found. Specify the full key ARN of a key in {}.", ctx.region),
        ));
    }
    Ok(())
}

pub fn get_dataset(
    state: &CwState,
    ctx: &RequestContext,
    input: GetDatasetInput,
) -> Result<GetDatasetOutput, ApiError> {
    check_identifier(ctx, &input.dataset_identifier)?;
    Ok(GetDatasetOutput {
        dataset_id: "default".into(),
        arn: dataset_arn(ctx),
        kms_key_arn: state.dataset.kms_key_arn.clone(),
    })
}

/// Associates a key, or replaces the one associated.
pub fn associate_dataset_kms_key(
    state: &mut CwState,
    ctx: &RequestContext,
    input: AssociateDatasetKmsKeyInput,
) -> Result<AssociateDatasetKmsKeyOutput, ApiError> {
    check_identifier(ctx, &input.dataset_identifier)?;
    check_key(ctx, &input.kms_key_arn)?;
    state.dataset.kms_key_arn = Some(input.kms_key_arn);
    Ok(AssociateDatasetKmsKeyOutput::default())
}

pub fn disassociate_dataset_kms_key(
    state: &mut CwState,
    ctx: &RequestContext,
    input: DisassociateDatasetKmsKeyInput,
) -> Result<DisassociateDatasetKmsKeyOutput, ApiError> {
    check_identifier(ctx, &input.dataset_identifier)?;
    if state.dataset.kms_key_arn.take().is_none() {
        return Err(ApiError::new(
            "ResourceNotFoundException",
            "The dataset default has no customer managed KMS key associated with it.",
            404,
        ));
    }
    Ok(DisassociateDatasetKmsKeyOutput::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_dataset_and_its_key() {
        let ctx = RequestContext::for_tests();
        let mut s = CwState::default();
        let get = |s: &CwState, id: &str| get_dataset(s, &ctx, GetDatasetInput { dataset_identifier: id.into() });
        let d = get(&s, "default").unwrap();
        assert_eq!((d.dataset_id.as_str(), d.kms_key_arn), ("default", None));
        assert_eq!(get(&s, &d.arn).unwrap().arn, d.arn);
        assert_eq!(get(&s, "other").unwrap_err().status, 404);
        let key = format!("arn:aws:kms:{}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", ctx.region);
        let associate = |s: &mut CwState, k: &str| {
            associate_dataset_kms_key(
                s,
                &ctx,
                AssociateDatasetKmsKeyInput { dataset_identifier: "default".into(), kms_key_arn: k.into() },
            )
        };
        for bad in
            ["alias/mine", "arn:aws:kms:mars-1:123456789012:key/abcd", "arn:aws:kms:us-east-1:123456789012:alias/x"]
        {
            assert_eq!(associate(&mut s, bad).unwrap_err().code, "KmsKeyNotFoundException", "{bad}");
        }
        associate(&mut s, &key).unwrap();
        assert_eq!(get(&s, "default").unwrap().kms_key_arn, Some(key));
        let dis = |s: &mut CwState| {
            disassociate_dataset_kms_key(
                s,
                &ctx,
                DisassociateDatasetKmsKeyInput { dataset_identifier: "default".into() },
            )
        };
        dis(&mut s).unwrap();
        assert_eq!(dis(&mut s).unwrap_err().code, "ResourceNotFoundException");
        assert_eq!(get(&s, "default").unwrap().kms_key_arn, None);
    }
}
