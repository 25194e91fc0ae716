//! IPAM: IPAMs with their default scopes and resource discovery, custom private scopes,
//! pools (top-level and nested, IPv4 and IPv6), the CIDRs provisioned to pools and the
//! allocations made from them. Records and the address arithmetic live in
//! `state/ipam.rs`, where the VPC family reaches them too.

pub mod allocations;
pub mod cidrs;
pub mod ipams;
pub mod pools;
pub mod scopes;

#[cfg(test)]
mod tests;

use chrono::TimeDelta;
use nimbus_core::RequestContext;

use crate::state::Ec2State;

/// IPAM ARNs name no Region: `arn:aws:ec2::<account>:<kind>/<id>`.
fn arn(ctx: &RequestContext, kind: &str, id: &str) -> String {
    format!("arn:aws:ec2::{}:{kind}/{id}", ctx.account())
}

fn delay(state: &Ec2State) -> TimeDelta {
    state.transition_delay()
}
