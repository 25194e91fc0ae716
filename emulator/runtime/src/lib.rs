//! nimbus-runtime (opt-in, `--instances run`): EC2 instances that really run.
//!
//! The API layer stays the source of truth. After each change it hands the runtime a
//! [`Desired`] state (VPCs with their subnets, route tables, ACLs and security groups;
//! peerings; NAT gateways; instances with image, key, user data and metadata options);
//! [`Runtime::converge`] makes the host match it and reports back per instance. The
//! runtime answers questions (console output, status checks, metric samples) but never
//! decides what the API answers.
//!
//! Sandboxes run on runc (see docs/runtime.md for why); nimbus owns the AWS parts: the
//! network in namespaces it made ([`net`]), the image store ([`images`]), boot
//! ([`boot`]), EBS volumes ([`volumes`]), IMDS ([`imds`]), metrics ([`metrics`]) and
//! cleanup ([`cleanup`]).
//! Nothing is ever added to the host's own network namespace.

pub mod boot;
pub mod cgroups;
pub mod cleanup;
mod cmd;
pub mod desired;
mod error;
pub mod host;
pub mod images;
pub mod imds;
pub mod metrics;
pub mod names;
pub mod net;
pub mod proxy;
pub mod sandbox;
#[cfg(test)]
mod testing;
pub mod volumes;

mod runtime;

pub use desired::Desired;
pub use error::{Result, RuntimeError};
pub use runtime::{InstanceReport, Runtime, RuntimeConfig};
