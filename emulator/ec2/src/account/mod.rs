//! The account's settings in a region: EBS encryption by default and the default KMS key,
//! burstable families' default CPU credits,
//! serial console access, block public access for AMIs and snapshots, instance metadata
//! defaults, and DescribeAccountAttributes. The settings live in `state::account`, where
//! the families they change read them (new volumes, RunInstances, image and snapshot
//! sharing).

pub mod attributes;
pub mod credits;
pub mod ebs;
pub mod public_access;
pub mod serial_console_and_metadata;

#[cfg(test)]
mod tests;
