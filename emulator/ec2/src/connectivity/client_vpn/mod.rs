//! Client VPN: endpoints that OpenVPN clients connect to, their target networks (one
//! subnet per Availability Zone, all in the endpoint's VPC, each with a requester-managed
//! interface behind the endpoint's security groups), ingress authorization rules,
//! routes (associating a subnet adds the route to its VPC's CIDR) and the client
//! configuration file. Lifecycles on nimbus's clock: an endpoint is `pending-associate`
//! until a target network is `associated`, then `available`; rules go `authorizing` ->
//! `active`, routes `creating` -> `active`, and each part `disassociating`, `revoking` or
//! `deleting` before it is gone.
//!
//! nimbus has no ACM, IAM or Directory Service: certificate, SAML provider and Lambda
//! ARNs are checked for their shape only, and no client ever connects, so
//! DescribeClientVpnConnections lists none. The records live in `state/client_vpn.rs`.

pub mod config;
pub mod connections;
pub mod endpoints;
pub mod modify;
pub mod networks;
pub mod options;
pub mod routes;
pub mod rules;

#[cfg(test)]
mod tests;
