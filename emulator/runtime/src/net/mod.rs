//! The VPC as a network, converged to the desired state.
//!
//! ```text
//!   {p}-internet  (198.51.100.1 on lo: "a host on the internet"; routes to public IPs)
//!        | x0 <-> igw   (one veth per attached internet gateway, 169.254.x.y/30)
//!   {p}-vpc-...   VPC router: one bridge per subnet holding the subnet's .1, policy
//!        |        routing (iif bridge -> that subnet's route table), 1:1 NAT for public
//!        |        and Elastic IPs, network ACLs, IMDS on 169.254.169.254 (lo)
//!        | eN <-> eth0   (one veth per instance / NAT gateway, on its subnet's bridge)
//!   {p}-i-...     instance: eth0 with the ENI's MAC and private IP, default via .1,
//!                 security groups as nftables
//!   {p}-nat-...   NAT gateway: masquerade to its private IP
//! ```
//! Peered VPC routers are joined by a veth pair; only routes decide what crosses it.

pub mod links;
pub mod ns;
pub mod rules;

mod apply;

pub use apply::Network;

use std::net::Ipv4Addr;

/// The internet namespace's own address: a host "on the internet" that instances can
/// reach through an internet or NAT gateway, and the source of `nimbus connect`
/// (TEST-NET-2, RFC 5737, never routed on the real internet).
pub const INTERNET_HOST: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
