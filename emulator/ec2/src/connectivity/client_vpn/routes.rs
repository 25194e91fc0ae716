//! The endpoint's route table: CreateClientVpnRoute, DeleteClientVpnRoute and
//! DescribeClientVpnRoutes. A route sends clients' traffic for a destination through one
//! associated subnet; `creating` -> `active`, `deleting`, then gone. The routes an
//! association adds (`Origin` `associate`) go with the association.

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use super::endpoints::{get_live, get_mut};
use crate::generated::dto::{
    ClientVpnRoute, ClientVpnRouteStatus, CreateClientVpnRouteRequest, CreateClientVpnRouteResult,
    DeleteClientVpnRouteRequest, DeleteClientVpnRouteResult, DescribeClientVpnRoutesRequest,
    DescribeClientVpnRoutesResult,
};
use crate::generated::errors;
use crate::state::cidr::Ipv4Cidr;
use crate::state::client_vpn::ClientVpnRouteRecord;
use crate::state::params::invalid_value;
use crate::state::support::{filtered, paginate};
use crate::state::transit::{Life, Stage};
use crate::state::Ec2State;
use crate::vpc::subnets;

fn status(code: &str) -> Option<ClientVpnRouteStatus> {
    Some(ClientVpnRouteStatus { code: Some(code.into()), message: None })
}

fn check_cidr(cidr: &str) -> Result<(), ApiError> {
    Ipv4Cidr::parse(cidr).map(|_| ()).ok_or_else(|| invalid_value("DestinationCidrBlock", cidr, ""))
}

pub fn create_client_vpn_route(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateClientVpnRouteRequest,
) -> Result<CreateClientVpnRouteResult, ApiError> {
    let id = input.client_vpn_endpoint_id.clone();
    let rec = get_live(state, &id)?;
    check_cidr(&input.destination_cidr_block)?;
    let subnet_id = input.target_vpc_subnet_id.clone().ok_or_else(|| errors::missing_parameter("TargetVpcSubnetId"))?;
    subnets::get(state, &subnet_id)?;
    if rec.live_associations().next().is_none() {
        return Err(errors::invalid_client_vpn_active_association_not_found(&id));
    }
    if !rec.live_associations().any(|a| a.subnet_id == subnet_id) {
        return Err(errors::invalid_client_vpn_subnet_id_not_found(format!(
            "Subnet {subnet_id} is not associated with endpoint {id}."
        )));
    }
    let rec = get_mut(state, ctx, &id)?;
    let cidr = input.destination_cidr_block;
    if rec.routes.iter().any(|r| r.cidr == cidr && r.subnet_id == subnet_id && r.life.stage != Stage::Deleted) {
        return Err(errors::invalid_client_vpn_duplicate_route(&cidr, &id, &subnet_id));
    }
    rec.routes.push(ClientVpnRouteRecord {
        cidr,
        subnet_id,
        origin: "add-route".into(),
        description: input.description,
        life: Life::new(Stage::Created, ctx.now),
    });
    rec.routes.sort_by_key(|r| r.key());
    Ok(CreateClientVpnRouteResult { status: status("creating") })
}

/// Deletes the route to the destination (through the subnet, when given). The routes an
/// association added go only with it.
pub fn delete_client_vpn_route(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteClientVpnRouteRequest,
) -> Result<DeleteClientVpnRouteResult, ApiError> {
    let id = input.client_vpn_endpoint_id.clone();
    get_live(state, &id)?;
    check_cidr(&input.destination_cidr_block)?;
    let rec = get_mut(state, ctx, &id)?;
    let cidr = input.destination_cidr_block;
    let wanted = |r: &ClientVpnRouteRecord| {
        r.cidr == cidr
            && input.target_vpc_subnet_id.as_ref().is_none_or(|s| *s == r.subnet_id)
            && r.life.stage != Stage::Deleted
    };
    let matching: Vec<usize> = rec.routes.iter().enumerate().filter(|(_, r)| wanted(r)).map(|(i, _)| i).collect();
    match matching[..] {
        [] => Err(errors::invalid_client_vpn_route_not_found(&cidr, &id)),
        [i] if rec.routes[i].origin == "associate" => Err(errors::invalid_parameter_value(format!(
            "The route to {cidr} was added by the association of subnet {}: disassociate the target network to remove it.",
            rec.routes[i].subnet_id
        ))),
        [i] => {
            rec.routes[i].life = Life::new(Stage::Deleted, ctx.now);
            Ok(DeleteClientVpnRouteResult { status: status("deleting") })
        }
        _ => Err(errors::missing_parameter("TargetVpcSubnetId")),
    }
}

impl Filterable for ClientVpnRoute {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "destination-cidr" => opt(&self.destination_cidr),
            "origin" => opt(&self.origin),
            "target-subnet" => opt(&self.target_subnet),
            _ => return None,
        })
    }
}

pub fn describe_client_vpn_routes(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeClientVpnRoutesRequest,
) -> Result<DescribeClientVpnRoutesResult, ApiError> {
    let paging = input.page();
    let rec = get_live(state, &input.client_vpn_endpoint_id)?;
    let delay = state.transition_delay();
    let items: Vec<ClientVpnRoute> = rec
        .routes
        .iter()
        .filter_map(|r| {
            let code = match (r.life.stage, r.life.settled(delay, ctx.now)) {
                (Stage::Deleted, true) => return None,
                (Stage::Deleted, false) => "deleting",
                (_, false) => "creating",
                (_, true) => "active",
            };
            Some(ClientVpnRoute {
                client_vpn_endpoint_id: Some(rec.id().to_string()),
                destination_cidr: Some(r.cidr.clone()),
                target_subnet: Some(r.subnet_id.clone()),
                r#type: Some("Nat".into()),
                origin: Some(r.origin.clone()),
                status: status(code),
                description: r.description.clone(),
                transit_gateway_attachment_id: None,
            })
        })
        .collect();
    let items = filtered(items, input.filters.as_deref())?;
    // The order of `ClientVpnRouteRecord::key`, which the routes are kept in.
    let key = |r: &ClientVpnRoute| {
        format!("{}|{}", r.destination_cidr.as_deref().unwrap_or(""), r.target_subnet.as_deref().unwrap_or(""))
    };
    let (page, next) = paginate(items, key, paging, false)?;
    Ok(DescribeClientVpnRoutesResult { routes: Some(page), next_token: next })
}
