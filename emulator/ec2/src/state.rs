//! One account's EC2 resources in one region.

use serde::Serialize;

/// Grows with each resource family (VPCs, subnets, instances, ...).
#[derive(Debug, Default, Serialize)]
pub struct Ec2State {}
