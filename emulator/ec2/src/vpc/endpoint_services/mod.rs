//! Endpoint services: what VPC endpoints connect to. AWS's own services (`aws.rs`), and
//! the services accounts offer through PrivateLink, the provider side: service
//! configurations (`configurations.rs`), who may connect (`permissions.rs`), the
//! provider's answers to the endpoints that connect (`connections.rs`), connection
//! notifications (`notifications.rs`), and what DescribeVpcEndpointServices shows a
//! caller of both kinds (`discovery.rs`). The consumer side, CreateVpcEndpoint and the
//! rest, is `vpc/endpoints.rs`, which asks `connections.rs` for an endpoint's state.
//!
//! nimbus has no Elastic Load Balancing: a service takes well-formed load balancer ARNs
//! of its region on trust and is offered in every zone of the region. No traffic flows
//! and no SNS message is sent for a connection notification; private DNS verification
//! succeeds (nimbus has no public DNS to look the TXT record up in).

pub mod aws;
pub mod configurations;
pub mod connections;
pub mod discovery;
pub mod notifications;
pub mod permissions;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use nimbus_core::ApiError;

use crate::generated::errors;
use crate::state::endpoint_services::EndpointServiceRecord;
use crate::state::Ec2State;

/// `com.amazonaws.vpce.<region>.<service id>`.
pub fn service_name(region: &str, id: &str) -> String {
    format!("com.amazonaws.vpce.{region}.{id}")
}

/// The service id a custom service name names, if it is one (of this region).
pub fn id_in_name<'a>(region: &str, name: &'a str) -> Option<&'a str> {
    name.strip_prefix("com.amazonaws.vpce.")?
        .strip_prefix(region)?
        .strip_prefix('.')
        .filter(|id| id.starts_with("vpce-svc-"))
}

/// The DNS name endpoints to the service are named under.
pub fn base_dns_name(region: &str, id: &str) -> String {
    format!("{id}.{region}.vpce.amazonaws.com")
}

/// Checks the form of a service id (`vpce-svc-` and hex digits).
pub fn check_id(id: &str) -> Result<(), ApiError> {
    let well_formed =
        id.strip_prefix("vpce-svc-").is_some_and(|hex| !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()));
    if well_formed {
        Ok(())
    } else {
        Err(errors::invalid_vpc_endpoint_service_id_malformed(id))
    }
}

/// One of this account's services, or AWS's errors for a malformed or unknown id.
pub fn service<'a>(state: &'a Ec2State, id: &str) -> Result<&'a EndpointServiceRecord, ApiError> {
    check_id(id)?;
    state.endpoint_services.services.get(id).ok_or_else(|| errors::invalid_vpc_endpoint_service_id_not_found(id))
}

/// `Pending` until the creation settles, then `Available`.
pub fn service_state(state: &Ec2State, record: &EndpointServiceRecord, now: DateTime<Utc>) -> &'static str {
    if record.life.settled(state.transition_delay(), now) {
        "Available"
    } else {
        "Pending"
    }
}
