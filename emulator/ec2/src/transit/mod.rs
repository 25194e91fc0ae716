//! Transit gateways: the gateways, their attachments (VPC, peering across accounts and
//! regions, Connect; VPN attachments are made by the VPN family through
//! `state::transit`), route tables with associations, propagations, static routes and
//! prefix-list references, Connect peers, policy tables and multicast domains. The records live in `state/transit.rs`; a peering's two
//! halves meet through the cross-partition registry (`state/shared.rs`).

pub mod associations;
pub mod attachments;
pub mod common;
pub mod connect;
#[cfg(test)]
mod connect_tests;
pub mod gateways;
pub mod multicast;
pub mod multicast_groups;
#[cfg(test)]
mod multicast_tests;
pub mod peering;
#[cfg(test)]
mod peering_tests;
pub mod policy_tables;
pub mod prefix_list_references;
pub mod route_tables;
pub mod routes;
#[cfg(test)]
mod tests;
pub mod vpc_attachments;
