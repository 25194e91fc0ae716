//! Site-to-Site VPN connections between a customer gateway and a virtual private gateway
//! or a transit gateway (whose VPN attachment the connection makes): two tunnels, each
//! with an AWS outside address, an inside CIDR and a pre-shared key; static routes
//! (propagated into the route tables that propagate the virtual private gateway's
//! routes); the customer gateway configuration AWS hands out; changes of target
//! gateway, of options and of one tunnel's options. Lifecycles on nimbus's clock:
//! `pending` -> `available`, `modifying` -> `available`, `deleting` -> `deleted` (shown
//! for an hour).
//!
//! nimbus has no IPsec endpoint, so the tunnels stay `DOWN` in `VgwTelemetry`, as
//! AWS's do until a customer device connects.

pub mod config_xml;
pub mod connections;
pub mod modify;
pub mod options;
pub mod routes;

#[cfg(test)]
mod tests;
