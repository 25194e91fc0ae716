//! AWS Verified Access (issue 13): instances, the user and device trust providers attached
//! to them, groups of endpoints with their access policies, endpoints in front of load
//! balancers, network interfaces, RDS databases and CIDR ranges, and the instances'
//! access-log settings. The records live in `state/verified_access.rs`.

mod common;
pub mod endpoints;
pub mod groups;
pub mod instances;
pub mod logging;
mod options;
pub mod trust_providers;

#[cfg(test)]
mod tests;
