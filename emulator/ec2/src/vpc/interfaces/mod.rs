//! Elastic network interfaces: private addresses taken from the subnet, security groups,
//! attachments, attributes, and the requester-managed interfaces AWS makes for NAT
//! gateways. The public side of an address (`Association`) comes from the Elastic IP
//! mapped to it and is derived when described.

pub mod attach;
pub mod attributes;
pub mod create;
pub mod describe;
pub mod ipv6;
pub mod private_ips;
pub mod records;
#[cfg(test)]
mod tests;
