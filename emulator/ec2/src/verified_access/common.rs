//! What the Verified Access handlers share: lookups with AWS's not-found errors, the
//! timestamps' text form, server-side encryption settings and access policies.

use chrono::{DateTime, Utc};
use nimbus_core::ApiError;

use crate::generated::dto::{VerifiedAccessSseSpecificationRequest, VerifiedAccessSseSpecificationResponse};
use crate::generated::errors;
use crate::state::verified_access::{VaEndpointRecord, VaEndpointStage, VaGroupRecord, VaInstanceRecord, VaPolicy};
use crate::state::Ec2State;

/// Verified Access answers its times as text (`CreationTime` is a string in the model),
/// in ISO 8601 with milliseconds and no zone letter.
pub fn time(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
}

pub fn instance<'a>(state: &'a Ec2State, id: &str) -> Result<&'a VaInstanceRecord, ApiError> {
    state.verified_access.instances.get(id).ok_or_else(|| errors::invalid_verified_access_instance_id_not_found(id))
}

pub fn group<'a>(state: &'a Ec2State, id: &str) -> Result<&'a VaGroupRecord, ApiError> {
    state.verified_access.groups.get(id).ok_or_else(|| errors::invalid_verified_access_group_id_not_found(id))
}

/// Whether an endpoint's last step (creation, change, deletion) is over at `now`.
pub fn step_over(state: &Ec2State, id: &str, now: DateTime<Utc>) -> bool {
    now >= state.transition_ends(id)
}

/// An endpoint that still exists at `now`: one whose deletion is over is gone.
pub fn endpoint<'a>(state: &'a Ec2State, id: &str, now: DateTime<Utc>) -> Result<&'a VaEndpointRecord, ApiError> {
    state
        .verified_access
        .endpoints
        .get(id)
        .filter(|e| !(e.stage == VaEndpointStage::Deleting && step_over(state, id, now)))
        .ok_or_else(|| errors::invalid_verified_access_endpoint_id_not_found(id))
}

/// Forgets the endpoints whose deletion is over (on every write).
pub fn drop_deleted_endpoints(state: &mut Ec2State, now: DateTime<Utc>) {
    let gone: Vec<String> = state
        .verified_access
        .endpoints
        .iter()
        .filter(|(id, e)| e.stage == VaEndpointStage::Deleting && step_over(state, id, now))
        .map(|(id, _)| id.clone())
        .collect();
    for id in gone {
        state.verified_access.endpoints.remove(&id);
        state.forget(&id);
    }
}

/// The encryption settings a request asks for: a customer managed key needs its ARN, and
/// an ARN needs the customer managed key enabled. Without settings, AWS's own key.
pub fn sse(
    given: Option<&VerifiedAccessSseSpecificationRequest>,
) -> Result<Option<VerifiedAccessSseSpecificationResponse>, ApiError> {
    let Some(given) = given else { return Ok(None) };
    let enabled = given.customer_managed_key_enabled.unwrap_or(false);
    match (enabled, given.kms_key_arn.as_deref()) {
        (true, None) => Err(errors::invalid_parameter_combination(
            "SseSpecification.KmsKeyArn must be specified when SseSpecification.CustomerManagedKeyEnabled is true.",
        )),
        (false, Some(_)) => Err(errors::invalid_parameter_combination(
            "SseSpecification.KmsKeyArn can only be specified when SseSpecification.CustomerManagedKeyEnabled is true.",
        )),
        (_, Some(arn)) if !arn.starts_with("arn:") => {
            Err(errors::invalid_parameter_value(format!("The KMS key ARN '{arn}' is not valid.")))
        }
        _ => Ok(Some(VerifiedAccessSseSpecificationResponse {
            customer_managed_key_enabled: Some(enabled),
            kms_key_arn: given.kms_key_arn.clone(),
        })),
    }
}

/// The policy a creation sets: a document given is enabled.
pub fn initial_policy(document: Option<&str>) -> VaPolicy {
    match document {
        Some(d) if !d.is_empty() => VaPolicy { enabled: true, document: Some(d.to_string()) },
        _ => VaPolicy::default(),
    }
}

/// The policy after a Modify...Policy call: what is not given stays; an enabled policy
/// needs a document, and an empty document clears the policy.
pub fn modified_policy(
    current: &VaPolicy,
    enabled: Option<bool>,
    document: Option<&str>,
) -> Result<VaPolicy, ApiError> {
    let mut policy = current.clone();
    if let Some(d) = document {
        policy.document = (!d.is_empty()).then(|| d.to_string());
    }
    if let Some(e) = enabled {
        policy.enabled = e;
    }
    if policy.enabled && policy.document.is_none() {
        if enabled == Some(true) {
            return Err(errors::missing_parameter("PolicyDocument"));
        }
        policy.enabled = false;
    }
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_keep_what_is_not_given() {
        let start = initial_policy(Some("permit(principal, action, resource);"));
        assert!(start.enabled);
        let off = modified_policy(&start, Some(false), None).unwrap();
        assert_eq!((off.enabled, off.document.as_deref()), (false, start.document.as_deref()));
        let cleared = modified_policy(&start, None, Some("")).unwrap();
        assert_eq!(cleared, VaPolicy::default());
        assert_eq!(modified_policy(&VaPolicy::default(), Some(true), None).unwrap_err().code, "MissingParameter");
    }

    #[test]
    fn a_customer_key_needs_its_arn() {
        let req = |enabled, arn: Option<&str>| VerifiedAccessSseSpecificationRequest {
            customer_managed_key_enabled: enabled,
            kms_key_arn: arn.map(str::to_string),
        };
        assert!(sse(None).unwrap().is_none());
        assert_eq!(sse(Some(&req(Some(true), None))).unwrap_err().code, "InvalidParameterCombination");
        assert_eq!(sse(Some(&req(None, Some("arn:aws:kms:x")))).unwrap_err().code, "InvalidParameterCombination");
        let ok = sse(Some(&req(Some(true), Some("arn:aws:kms:us-east-1:1:key/k")))).unwrap().unwrap();
        assert_eq!(ok.customer_managed_key_enabled, Some(true));
    }
}
