//! Images: the region's public catalogue (from fixtures), the account's own AMIs and
//! those other accounts share with it (through the service's registry, `shared.rs`);
//! DescribeImages with owners, executable users, deprecation and every filter; the
//! lookup RunInstances launches from; the AMI lifecycle: CreateImage (snapshots of the
//! instance's volumes), RegisterImage, CopyImage (also from another region),
//! DeregisterImage, the image attributes (launch permissions, public or shared),
//! deprecation and deregistration protection; VM import tasks (`imports/`) and the
//! Recycle Bin reads (`recycle_bin.rs`).
//!
//! A new image is stored `pending`, dated in `Ec2State::timestamps`, and shown
//! `available` once the transition delay has passed; its snapshots follow the same clock.

pub mod aliases;
pub mod attributes;
pub mod copy;
pub mod describe;
pub mod imports;
pub mod lookup;
pub mod recycle_bin;
pub mod register;
pub mod rootfs;
#[cfg(test)]
mod tests;
