//! VPC Route Server: route servers (`servers.rs`), their association with a VPC and
//! propagation into its route tables (`associations.rs`), endpoints in subnets
//! (`endpoints.rs`), BGP peers and the routing database (`peers.rs`). The records live
//! in `state/route_servers.rs`.
//!
//! nimbus runs no BGP: every peer's BGP (and BFD) status is `down`, so the routing
//! database holds no route and nothing is ever installed in a route table. That is what
//! AWS answers for peers whose device never opens a session.

pub mod associations;
pub mod endpoints;
pub mod peers;
pub mod servers;
#[cfg(test)]
mod tests;

use chrono::TimeDelta;
use nimbus_core::{ApiError, RequestContext};

use crate::generated::errors;
use crate::state::route_servers::RouteServerRecord;
use crate::state::Ec2State;

/// How long each lifecycle step takes in this partition.
fn delay(state: &Ec2State) -> TimeDelta {
    state.transition_delay()
}

/// A route server that is not deleted, or AWS's not-found error.
fn server<'a>(state: &'a Ec2State, id: &str) -> Result<&'a RouteServerRecord, ApiError> {
    state
        .route_servers
        .servers
        .get(id)
        .filter(|s| !s.life.finished())
        .ok_or_else(|| errors::invalid_route_server_id_not_found(id))
}

/// A route server that is `available` (not pending, modifying or deleting).
fn available_server<'a>(
    state: &'a Ec2State,
    ctx: &RequestContext,
    id: &str,
) -> Result<&'a RouteServerRecord, ApiError> {
    let s = server(state, id)?;
    let shown = s.life.shown(delay(state), ctx.now);
    if shown != "available" {
        return Err(errors::incorrect_state(format!("The route server {id} is in state {shown}.")));
    }
    Ok(s)
}

/// Forgets what AWS no longer shows, before a change.
fn prune(state: &mut Ec2State, ctx: &RequestContext) {
    let d = delay(state);
    for id in state.route_servers.prune(d, ctx.now) {
        state.forget(&id);
    }
}
