//! A route server's association with a VPC (one VPC per route server, one route server
//! per VPC) and its propagation into the route tables of that VPC:
//! AssociateRouteServer, DisassociateRouteServer, GetRouteServerAssociations,
//! EnableRouteServerPropagation, DisableRouteServerPropagation,
//! GetRouteServerPropagations.

use chrono::{DateTime, TimeDelta, Utc};
use nimbus_core::{ApiError, RequestContext};

use super::{available_server, delay, prune, server};
use crate::generated::dto::{
    AssociateRouteServerRequest, AssociateRouteServerResult, DisableRouteServerPropagationRequest,
    DisableRouteServerPropagationResult, DisassociateRouteServerRequest, DisassociateRouteServerResult,
    EnableRouteServerPropagationRequest, EnableRouteServerPropagationResult, GetRouteServerAssociationsRequest,
    GetRouteServerAssociationsResult, GetRouteServerPropagationsRequest, GetRouteServerPropagationsResult,
    RouteServerAssociation, RouteServerPropagation,
};
use crate::generated::errors;
use crate::state::route_servers::{gone, RouteServerRecord};
use crate::state::transit::{Life, Stage};
use crate::state::Ec2State;

fn association(id: &str, vpc: &str, state: &str) -> RouteServerAssociation {
    RouteServerAssociation {
        route_server_id: Some(id.to_string()),
        vpc_id: Some(vpc.to_string()),
        state: Some(state.to_string()),
    }
}

fn propagation(id: &str, rtb: &str, state: &str) -> RouteServerPropagation {
    RouteServerPropagation {
        route_server_id: Some(id.to_string()),
        route_table_id: Some(rtb.to_string()),
        state: Some(state.to_string()),
    }
}

/// A propagation's state: `pending`, `available`; `deleting`, then gone.
fn propagation_state(life: &Life, delay: TimeDelta, now: DateTime<Utc>) -> Option<&'static str> {
    match (life.stage, life.settled(delay, now)) {
        (Stage::Deleted, false) => Some("deleting"),
        (Stage::Deleted, true) => None,
        (_, false) => Some("pending"),
        (_, true) => Some("available"),
    }
}

fn not_associated(id: &str, vpc: &str) -> ApiError {
    errors::invalid_route_server_id_not_associated(format!("Route Server {id} is not associated with VPC {vpc}."))
}

fn already_associated(message: String) -> ApiError {
    ApiError::client("Resource.AlreadyAssociated", message)
}

/// The VPC a route server is associated with (or associating, or disassociating).
pub fn associated_vpc(state: &Ec2State, ctx: &RequestContext, id: &str) -> Option<(String, Life)> {
    let (d, now) = (delay(state), ctx.now);
    let r = state.route_servers.servers.get(id)?;
    r.associations.iter().find(|(_, l)| !gone(l, d, now)).map(|(v, l)| (v.clone(), *l))
}

/// Refuses unless the route server is `associated` with the VPC (for endpoints and
/// propagations).
pub fn require_associated(state: &Ec2State, ctx: &RequestContext, id: &str, vpc: &str) -> Result<(), ApiError> {
    match associated_vpc(state, ctx, id) {
        Some((v, life)) if v == vpc => match life.association_state(delay(state), ctx.now) {
            Some("associated") => Ok(()),
            Some(shown) => Err(errors::incorrect_state(format!(
                "The association of route server {id} with VPC {vpc} is in state {shown}."
            ))),
            None => Err(not_associated(id, vpc)),
        },
        _ => Err(not_associated(id, vpc)),
    }
}

pub fn associate_route_server(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AssociateRouteServerRequest,
) -> Result<AssociateRouteServerResult, ApiError> {
    prune(state, ctx);
    let (id, vpc) = (input.route_server_id.as_str(), input.vpc_id.as_str());
    available_server(state, ctx, id)?;
    if !state.vpcs.contains_key(vpc) {
        return Err(errors::invalid_vpc_id_not_found(vpc));
    }
    if let Some((other, _)) = associated_vpc(state, ctx, id) {
        return Err(already_associated(format!("Route Server {id} is already associated with VPC {other}.")));
    }
    let (d, now) = (delay(state), ctx.now);
    let holds = |r: &RouteServerRecord| r.associations.get(vpc).is_some_and(|l| !gone(l, d, now));
    let holder = state.route_servers.servers.values().find(|r| !r.life.finished() && holds(r));
    if let Some(holder) = holder {
        return Err(already_associated(format!("VPC {vpc} is already associated with Route Server {}.", holder.id)));
    }
    let r = state.route_servers.servers.get_mut(id).expect("checked above");
    r.associations.insert(vpc.to_string(), Life::new(Stage::Created, ctx.now));
    Ok(AssociateRouteServerResult { route_server_association: Some(association(id, vpc, "associating")) })
}

pub fn disassociate_route_server(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DisassociateRouteServerRequest,
) -> Result<DisassociateRouteServerResult, ApiError> {
    prune(state, ctx);
    let (id, vpc) = (input.route_server_id.as_str(), input.vpc_id.as_str());
    let r = server(state, id)?;
    let (d, now) = (delay(state), ctx.now);
    match r.associations.get(vpc).and_then(|l| l.association_state(d, now)) {
        None | Some("disassociating") => return Err(not_associated(id, vpc)),
        Some("associating") => {
            return Err(errors::incorrect_state(format!(
                "The association of route server {id} with VPC {vpc} is in state associating."
            )))
        }
        _ => {}
    }
    if let Some(rtb) = r.propagations.keys().next() {
        return Err(errors::incorrect_state(format!(
            "Route Server {id} propagates to route table {rtb}. Disable its propagations before disassociating it."
        )));
    }
    let endpoint = state.route_servers.endpoints.values().find(|e| e.route_server_id == id && !gone(&e.life, d, now));
    if let Some(e) = endpoint {
        return Err(errors::incorrect_state(format!(
            "Route Server {id} has endpoint {} in VPC {vpc}. Delete its endpoints before disassociating it.",
            e.id
        )));
    }
    let r = state.route_servers.servers.get_mut(id).expect("checked above");
    r.associations.insert(vpc.to_string(), Life::new(Stage::Deleted, now));
    Ok(DisassociateRouteServerResult { route_server_association: Some(association(id, vpc, "disassociating")) })
}

pub fn get_route_server_associations(
    state: &Ec2State,
    ctx: &RequestContext,
    input: GetRouteServerAssociationsRequest,
) -> Result<GetRouteServerAssociationsResult, ApiError> {
    let id = input.route_server_id.as_str();
    let r = server(state, id)?;
    let (d, now) = (delay(state), ctx.now);
    let list: Vec<RouteServerAssociation> = r
        .associations
        .iter()
        .filter_map(|(vpc, l)| l.association_state(d, now).map(|s| association(id, vpc, s)))
        .collect();
    if list.is_empty() {
        return Err(errors::invalid_route_server_id_not_associated(format!(
            "Route Server {id} is not associated with a VPC."
        )));
    }
    Ok(GetRouteServerAssociationsResult { route_server_associations: Some(list) })
}

pub fn enable_route_server_propagation(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: EnableRouteServerPropagationRequest,
) -> Result<EnableRouteServerPropagationResult, ApiError> {
    prune(state, ctx);
    let (id, rtb) = (input.route_server_id.as_str(), input.route_table_id.as_str());
    let r = available_server(state, ctx, id)?;
    let table = state.route_tables.get(rtb).ok_or_else(|| errors::invalid_route_table_id_not_found(rtb))?;
    let vpc = table.vpc_id.clone().unwrap_or_default();
    match r.propagations.get(rtb).and_then(|l| propagation_state(l, delay(state), ctx.now)) {
        Some("deleting") => {
            return Err(errors::incorrect_state(format!(
                "The propagation of route server {id} to route table {rtb} is in state deleting."
            )))
        }
        Some(_) => {
            return Err(errors::invalid_parameter_value(format!(
                "Route Server {id} already propagates to route table {rtb}."
            )))
        }
        None => {}
    }
    require_associated(state, ctx, id, &vpc)?;
    let r = state.route_servers.servers.get_mut(id).expect("checked above");
    r.propagations.insert(rtb.to_string(), Life::new(Stage::Created, ctx.now));
    Ok(EnableRouteServerPropagationResult { route_server_propagation: Some(propagation(id, rtb, "pending")) })
}

fn not_propagated(id: &str, rtb: &str) -> ApiError {
    errors::invalid_route_server_id_not_propagated(format!(
        "Route Server {id} is not propagating routes to route table {rtb}."
    ))
}

pub fn disable_route_server_propagation(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DisableRouteServerPropagationRequest,
) -> Result<DisableRouteServerPropagationResult, ApiError> {
    prune(state, ctx);
    let (id, rtb) = (input.route_server_id.as_str(), input.route_table_id.as_str());
    let r = server(state, id)?;
    match r.propagations.get(rtb).and_then(|l| propagation_state(l, delay(state), ctx.now)) {
        None | Some("deleting") => return Err(not_propagated(id, rtb)),
        _ => {}
    }
    let r = state.route_servers.servers.get_mut(id).expect("checked above");
    r.propagations.insert(rtb.to_string(), Life::new(Stage::Deleted, ctx.now));
    Ok(DisableRouteServerPropagationResult { route_server_propagation: Some(propagation(id, rtb, "deleting")) })
}

pub fn get_route_server_propagations(
    state: &Ec2State,
    ctx: &RequestContext,
    input: GetRouteServerPropagationsRequest,
) -> Result<GetRouteServerPropagationsResult, ApiError> {
    let id = input.route_server_id.as_str();
    let r = server(state, id)?;
    let (d, now) = (delay(state), ctx.now);
    let list: Vec<RouteServerPropagation> = r
        .propagations
        .iter()
        .filter(|(rtb, _)| input.route_table_id.as_ref().is_none_or(|want| want == *rtb))
        .filter_map(|(rtb, l)| propagation_state(l, d, now).map(|s| propagation(id, rtb, s)))
        .collect();
    if let (Some(rtb), true) = (&input.route_table_id, list.is_empty()) {
        return Err(not_propagated(id, rtb));
    }
    Ok(GetRouteServerPropagationsResult { route_server_propagations: Some(list) })
}
