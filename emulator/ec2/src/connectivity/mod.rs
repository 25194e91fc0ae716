//! Connectivity (issue 13, item 4): carrier gateways to a carrier's network, EC2 Instance
//! Connect endpoints, Site-to-Site VPN connections. The records live in
//! `state/connectivity.rs`.

pub mod carrier_gateways;
pub mod instance_connect;
pub mod vpn;
