//! Lookups that several families need, so that no family imports another for them.

use nimbus_core::ApiError;

use super::{Ec2State, InstanceRecord};
use crate::generated::errors;

/// An instance of the partition, or AWS's error: `NotFound` for a well-formed id,
/// `Malformed` for anything else.
pub fn instance<'a>(state: &'a Ec2State, id: &str) -> Result<&'a InstanceRecord, ApiError> {
    state.instances.get(id).ok_or_else(|| {
        let well_formed = id
            .strip_prefix("i-")
            .is_some_and(|h| (8..=17).contains(&h.len()) && h.chars().all(|c| c.is_ascii_hexdigit()));
        if well_formed {
            errors::invalid_instance_id_not_found(id)
        } else {
            errors::invalid_instance_id_malformed(id)
        }
    })
}

/// The account's image whose block-device mapping uses a snapshot, if any (such a
/// snapshot cannot be deleted).
pub fn image_using_snapshot(state: &Ec2State, snapshot_id: &str) -> Option<String> {
    state.images.iter().find_map(|(id, r)| {
        r.image
            .block_device_mappings
            .iter()
            .flatten()
            .any(|m| m.ebs.as_ref().and_then(|e| e.snapshot_id.as_deref()) == Some(snapshot_id))
            .then(|| id.clone())
    })
}
