//! Route server endpoints: CreateRouteServerEndpoint, DeleteRouteServerEndpoint,
//! DescribeRouteServerEndpoints. An endpoint lives in a subnet of the VPC its route
//! server is associated with and holds an AWS-managed network interface with one
//! address of that subnet (shown by DescribeNetworkInterfaces as requester-managed and
//! in use); deleting the endpoint releases both.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::associations::require_associated;
use super::{available_server, delay, prune};
use crate::generated::dto::{
    CreateRouteServerEndpointRequest, CreateRouteServerEndpointResult, DeleteRouteServerEndpointRequest,
    DeleteRouteServerEndpointResult, DescribeRouteServerEndpointsRequest, DescribeRouteServerEndpointsResult,
    RouteServerEndpoint,
};
use crate::generated::errors;
use crate::state::route_servers::{gone, EndpointRecord};
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::transit::{Life, Stage};
use crate::state::Ec2State;
use crate::vpc::{interfaces, subnets};

fn describe_one(state: &Ec2State, ctx: &RequestContext, e: &EndpointRecord) -> RouteServerEndpoint {
    RouteServerEndpoint {
        route_server_id: Some(e.route_server_id.clone()),
        route_server_endpoint_id: Some(e.id.clone()),
        vpc_id: Some(e.vpc_id.clone()),
        subnet_id: Some(e.subnet_id.clone()),
        eni_id: Some(e.eni_id.clone()),
        eni_address: Some(e.eni_address.clone()),
        state: Some(e.life.shown(delay(state), ctx.now).into()),
        failure_reason: None,
        tags: state.dto_tags(&e.id),
    }
}

/// An endpoint that is not deleted, or AWS's not-found error.
pub fn endpoint<'a>(state: &'a Ec2State, id: &str) -> Result<&'a EndpointRecord, ApiError> {
    state
        .route_servers
        .endpoints
        .get(id)
        .filter(|e| !e.life.finished())
        .ok_or_else(|| errors::invalid_route_server_endpoint_id_not_found(id))
}

pub fn create_route_server_endpoint(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateRouteServerEndpointRequest,
) -> Result<CreateRouteServerEndpointResult, ApiError> {
    let id_rs = input.route_server_id.as_str();
    available_server(state, ctx, id_rs)?;
    let subnet = subnets::get(state, &input.subnet_id)?;
    let vpc = subnet.subnet.vpc_id.clone().unwrap_or_default();
    require_associated(state, ctx, id_rs, &vpc)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "route-server-endpoint")?;
    prune(state, ctx);
    let address = subnets::allocate_ip(state, &input.subnet_id, None)?;
    let id = ids::resource_id("rse");
    let eni = interfaces::records::create_interface_record(
        state,
        ctx,
        interfaces::records::NewInterface {
            subnet_id: input.subnet_id.clone(),
            ips: vec![address.clone()],
            groups: Vec::new(),
            description: format!("Route Server Endpoint {id}"),
            interface_type: "interface".into(),
            requester_managed: true,
        },
    );
    let record = EndpointRecord {
        id: id.clone(),
        route_server_id: id_rs.to_string(),
        vpc_id: vpc,
        subnet_id: input.subnet_id,
        eni_id: eni,
        eni_address: address,
        life: Life::new(Stage::Created, ctx.now),
    };
    state.route_servers.endpoints.insert(id.clone(), record);
    state.set_tags(&id, tags);
    let mut shown = describe_one(state, ctx, &state.route_servers.endpoints[&id]);
    shown.state = Some("pending".into());
    Ok(CreateRouteServerEndpointResult { route_server_endpoint: Some(shown) })
}

pub fn delete_route_server_endpoint(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteRouteServerEndpointRequest,
) -> Result<DeleteRouteServerEndpointResult, ApiError> {
    prune(state, ctx);
    let id = input.route_server_endpoint_id.as_str();
    let e = endpoint(state, id)?;
    let shown = e.life.shown(delay(state), ctx.now);
    if shown != "available" {
        return Err(errors::incorrect_state(format!("The route server endpoint {id} is in state {shown}.")));
    }
    let (d, now) = (delay(state), ctx.now);
    if let Some(p) = state.route_servers.peers.values().find(|p| p.endpoint_id == id && !gone(&p.life, d, now)) {
        return Err(errors::incorrect_state(format!(
            "The route server endpoint {id} has peer {}. Delete its peers before deleting the endpoint.",
            p.id
        )));
    }
    let eni = e.eni_id.clone();
    interfaces::records::remove_interface_record(state, &eni);
    let e = state.route_servers.endpoints.get_mut(id).expect("checked above");
    e.life = Life::new(Stage::Deleted, ctx.now);
    let mut shown = describe_one(state, ctx, &state.route_servers.endpoints[id]);
    shown.state = Some("deleting".into());
    Ok(DeleteRouteServerEndpointResult { route_server_endpoint: Some(shown) })
}

impl Filterable for RouteServerEndpoint {
    /// AWS documents no filter names for DescribeRouteServerEndpoints (and refuses
    /// `route-server-id`); the tag filters are the ones nimbus knows.
    fn filter_values(&self, _name: &str) -> Option<Vec<String>> {
        None
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_route_server_endpoints(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeRouteServerEndpointsRequest,
) -> Result<DescribeRouteServerEndpointsResult, ApiError> {
    let paging = input.page();
    let ids = input.route_server_endpoint_ids.unwrap_or_default();
    let (d, now) = (delay(state), ctx.now);
    let visible = |id: &str| state.route_servers.endpoints.get(id).filter(|e| e.life.visible(d, now));
    if let Some(missing) = ids.iter().find(|id| visible(id).is_none()) {
        return Err(errors::invalid_route_server_endpoint_id_not_found(missing));
    }
    let all = state
        .route_servers
        .endpoints
        .values()
        .filter(|e| e.life.visible(d, now) && (ids.is_empty() || ids.contains(&e.id)))
        .map(|e| describe_one(state, ctx, e));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |e| e.route_server_endpoint_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeRouteServerEndpointsResult { route_server_endpoints: Some(page), next_token: next })
}
