//! Elastic Block Store: volumes and snapshots.

pub mod fast_restores;
pub mod locks;
pub mod recycle_bin;
pub mod snapshots;
pub mod tiers;
pub mod volumes;
