//! Connectivity (issue 13, item 4): carrier gateways to a carrier's network, EC2 Instance
//! Connect endpoints, Site-to-Site VPN connections, Client VPN endpoints. The records live in
//! `state/connectivity.rs`.

pub mod carrier_gateways;
pub mod client_vpn;
pub mod instance_connect;
pub mod vpn;
