//! Traffic Mirroring: filters and their rules (`filters.rs`, `rules.rs`), targets
//! (`targets.rs`) and sessions (`sessions.rs`). The records live in
//! `state/mirroring.rs`; nimbus copies no packets, so a session is configuration only.

pub mod filters;
pub mod rules;
pub mod sessions;
pub mod targets;
#[cfg(test)]
mod tests;

use nimbus_core::ApiError;

use crate::generated::errors;
use crate::state::Ec2State;

/// An optional string as filter values.
fn opt(v: &Option<String>) -> Vec<String> {
    v.iter().cloned().collect()
}

/// An optional number as filter values.
fn num(v: Option<i32>) -> Vec<String> {
    v.map(|n| n.to_string()).into_iter().collect()
}

/// The filter, or AWS's not-found error.
fn filter_exists(state: &Ec2State, id: &str) -> Result<(), ApiError> {
    if state.mirroring.filters.contains_key(id) {
        Ok(())
    } else {
        Err(errors::invalid_traffic_mirror_filter_id_not_found(id))
    }
}
