//! VPC networking: VPCs, subnets, gateways, route tables, network ACLs, DHCP options,
//! peering, endpoints, prefix lists, flow logs, NAT and VPN gateways, and the network
//! side of EC2 (security groups, Elastic IPs, network interfaces), Traffic Mirroring, VPC Route
//! Server.

pub mod addresses;
pub mod block_public_access;
pub mod dependents;
pub mod dhcp;
pub mod endpoint_services;
pub mod endpoints;
pub mod flow_logs;
pub mod interfaces;
pub mod internet_gateways;
pub mod ipam_blocks;
pub mod mirroring;
pub mod nat_gateway_addresses;
pub mod nat_gateways;
pub mod network_acls;
pub mod peering;
pub mod prefix_lists;
pub mod route_servers;
pub mod route_tables;
pub mod security_groups;
pub mod subnet_cidr_reservations;
pub mod subnets;
pub mod vpcs;
pub mod vpn_gateways;
