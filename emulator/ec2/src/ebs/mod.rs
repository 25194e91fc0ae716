//! Elastic Block Store: volumes and snapshots.

pub mod snapshots;
pub mod volumes;
