//! CreateVpnConnectionRoute and DeleteVpnConnectionRoute: the static routes of a
//! connection with static routing to a virtual private gateway (`pending` ->
//! `available`; `deleting`, then gone). A route table that propagates the gateway's
//! routes shows them (`vpc/route_tables.rs`).

use nimbus_core::{ApiError, RequestContext};

use super::connections::get_live;
use crate::generated::dto::{CreateVpnConnectionRouteRequest, DeleteVpnConnectionRouteRequest};
use crate::generated::errors;
use crate::state::cidr::Ipv4Cidr;
use crate::state::params::invalid_value;
use crate::state::transit::{Life, Stage};
use crate::state::Ec2State;

/// The connection must take static routes: static routing, to a virtual private gateway
/// (a transit gateway's routes live in its route tables).
fn check_static(state: &Ec2State, id: &str) -> Result<(), ApiError> {
    let c = &get_live(state, id)?.connection;
    if c.transit_gateway_id.is_some() {
        return Err(errors::invalid_parameter_value(format!(
            "The VPN connection {id} is attached to a transit gateway: add static routes to the transit gateway route table instead."
        )));
    }
    if !c.options.as_ref().and_then(|o| o.static_routes_only).unwrap_or(false) {
        return Err(errors::invalid_parameter_value(format!(
            "The VPN connection {id} uses dynamic routing (BGP); static routes need StaticRoutesOnly."
        )));
    }
    Ok(())
}

fn check_cidr(cidr: &str) -> Result<(), ApiError> {
    Ipv4Cidr::parse(cidr).map(|_| ()).ok_or_else(|| invalid_value("destinationCidrBlock", cidr, ""))
}

pub fn create_vpn_connection_route(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateVpnConnectionRouteRequest,
) -> Result<(), ApiError> {
    check_static(state, &input.vpn_connection_id)?;
    check_cidr(&input.destination_cidr_block)?;
    let rec = state.connectivity.vpn_connections.get_mut(&input.vpn_connection_id).expect("checked above");
    if rec.routes.get(&input.destination_cidr_block).is_some_and(|l| !l.finished()) {
        return Err(errors::route_already_exists(&input.destination_cidr_block));
    }
    rec.routes.insert(input.destination_cidr_block, Life::new(Stage::Created, ctx.now));
    Ok(())
}

pub fn delete_vpn_connection_route(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteVpnConnectionRouteRequest,
) -> Result<(), ApiError> {
    get_live(state, &input.vpn_connection_id)?;
    check_cidr(&input.destination_cidr_block)?;
    let rec = state.connectivity.vpn_connections.get_mut(&input.vpn_connection_id).expect("checked above");
    match rec.routes.get_mut(&input.destination_cidr_block) {
        Some(life) if !life.finished() => {
            *life = Life::new(Stage::Deleted, ctx.now);
            Ok(())
        }
        _ => Err(ApiError::client(
            "InvalidRoute.NotFound",
            format!(
                "The route with destination-cidr-block {} does not exist in VPN connection {}",
                input.destination_cidr_block, input.vpn_connection_id
            ),
        )),
    }
}
