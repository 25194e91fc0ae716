//! Endpoint connections: the VPC endpoints (of any account) that connect to this
//! account's services, as the provider sees them, and its answers to them (accept,
//! reject). An endpoint's own state is derived here too, for `vpc/endpoints.rs`: from its
//! request and the provider's answer, read from the provider's partition through the
//! registry when the provider is another account.

use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use super::{base_dns_name, service};
use crate::generated::dto::{
    AcceptVpcEndpointConnectionsRequest, AcceptVpcEndpointConnectionsResult, DescribeVpcEndpointConnectionsRequest,
    DescribeVpcEndpointConnectionsResult, DnsEntry, RejectVpcEndpointConnectionsRequest,
    RejectVpcEndpointConnectionsResult, UnsuccessfulItem, VpcEndpoint, VpcEndpointConnection,
};
use crate::generated::errors;
use crate::state::endpoint_services::{ConnectionRequest, EndpointServiceRecord};
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate, stable_hash, tag_pairs, unsuccessful};
use crate::state::transit::{Life, Stage};
use crate::state::Ec2State;

/// The service an endpoint connects to, from the partition that owns it: this one, or
/// another through the registry. `None` once the service is deleted.
pub fn provider_record(
    state: &Ec2State,
    shared: &Shared,
    ctx: &RequestContext,
    request: &ConnectionRequest,
) -> Option<EndpointServiceRecord> {
    if request.service_owner == ctx.account() && request.service_region == ctx.region {
        return state.endpoint_services.services.get(&request.service_id).cloned();
    }
    shared.endpoint_service(&request.service_id).map(|p| p.record)
}

/// An endpoint's connection life: the provider's answer, else what its request got on
/// creation. A service deleted under it leaves it rejected (only rejected endpoints let
/// a service go).
pub fn endpoint_life(state: &Ec2State, shared: &Shared, ctx: &RequestContext, endpoint_id: &str) -> Option<Life> {
    let request = state.endpoint_services.requests.get(endpoint_id)?;
    let Some(record) = provider_record(state, shared, ctx, request) else {
        return Some(Life::new(Stage::Rejected, request.created));
    };
    Some(request.life(record.answers.get(endpoint_id).copied()))
}

/// One endpoint connected to one of this partition's services, with its owner.
struct Connection {
    account: String,
    region: String,
    endpoint: VpcEndpoint,
    request: ConnectionRequest,
}

/// The connections to a service of this partition: endpoints here, and endpoints of
/// other partitions through the registry. In endpoint id order.
fn connections_to(state: &Ec2State, shared: &Shared, ctx: &RequestContext, service_id: &str) -> Vec<Connection> {
    let here = |account: &str, region: &str| account == ctx.account() && region == ctx.region;
    let mut out: Vec<Connection> = state
        .endpoint_services
        .requests
        .iter()
        .filter(|(_, r)| r.service_id == service_id)
        .filter_map(|(id, r)| {
            let endpoint = state.vpc_endpoints.get(id)?.clone();
            Some(Connection { account: ctx.account().into(), region: ctx.region.clone(), endpoint, request: r.clone() })
        })
        .collect();
    for c in shared.connections_to(service_id) {
        if !here(&c.account, &c.region) {
            out.push(Connection { account: c.account, region: c.region, endpoint: c.endpoint, request: c.request });
        }
    }
    out.sort_by(|a, b| a.endpoint.vpc_endpoint_id.cmp(&b.endpoint.vpc_endpoint_id));
    out
}

fn connection_life(record: &EndpointServiceRecord, c: &Connection) -> Life {
    let id = c.endpoint.vpc_endpoint_id.as_deref().unwrap_or_default();
    c.request.life(record.answers.get(id).copied())
}

/// Whether endpoints are still connected to the service (`pendingAcceptance`, `pending`
/// or `available`): AWS will not delete it, nor take its load balancers away, then.
pub fn has_active(state: &Ec2State, shared: &Shared, ctx: &RequestContext, service_id: &str) -> bool {
    let Some(record) = state.endpoint_services.services.get(service_id) else { return false };
    connections_to(state, shared, ctx, service_id)
        .iter()
        .any(|c| matches!(connection_life(record, c).stage, Stage::Accepted | Stage::PendingAcceptance))
}

fn shown(
    state: &Ec2State,
    ctx: &RequestContext,
    record: &EndpointServiceRecord,
    c: &Connection,
) -> VpcEndpointConnection {
    let id = c.endpoint.vpc_endpoint_id.clone().unwrap_or_default();
    let life = connection_life(record, c);
    let token = format!("{:08x}", stable_hash(&id));
    let dns = DnsEntry {
        dns_name: Some(format!("{id}-{token}.{}", base_dns_name(&ctx.region, record.id()))),
        hosted_zone_id: Some(super::aws::vpce_hosted_zone(&ctx.region)),
    };
    VpcEndpointConnection {
        service_id: Some(record.id().to_string()),
        vpc_endpoint_id: Some(id.clone()),
        vpc_endpoint_owner: Some(c.account.clone()),
        vpc_endpoint_state: Some(life.shown(state.transition_delay(), ctx.now).to_string()),
        creation_timestamp: c.endpoint.creation_timestamp.or(Some(Timestamp(c.request.created))),
        dns_entries: Some(vec![dns]),
        network_load_balancer_arns: record.config.network_load_balancer_arns.clone(),
        gateway_load_balancer_arns: record.config.gateway_load_balancer_arns.clone(),
        ip_address_type: c.endpoint.ip_address_type.clone(),
        vpc_endpoint_connection_id: Some(format!(
            "vpce-con-{:08x}{:09x}",
            stable_hash(&format!("{id}/connection")),
            u64::from(stable_hash(&id)) << 4
        )),
        tags: Some(Vec::new()),
        vpc_endpoint_region: Some(c.region.clone()),
        ..Default::default()
    }
}

impl Filterable for VpcEndpointConnection {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "ip-address-type" => opt(&self.ip_address_type),
            "service-id" => opt(&self.service_id),
            "vpc-endpoint-id" => opt(&self.vpc_endpoint_id),
            "vpc-endpoint-owner" => opt(&self.vpc_endpoint_owner),
            "vpc-endpoint-region" => opt(&self.vpc_endpoint_region),
            "vpc-endpoint-state" => opt(&self.vpc_endpoint_state),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_vpc_endpoint_connections(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DescribeVpcEndpointConnectionsRequest,
) -> Result<DescribeVpcEndpointConnectionsResult, ApiError> {
    let paging = input.page();
    let mut all = Vec::new();
    for record in state.endpoint_services.services.values() {
        for c in connections_to(state, shared, ctx, record.id()) {
            all.push(shown(state, ctx, record, &c));
        }
    }
    all.sort_by(|a, b| a.vpc_endpoint_id.cmp(&b.vpc_endpoint_id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |c| c.vpc_endpoint_id.clone().unwrap_or_default(), paging, false)?;
    Ok(DescribeVpcEndpointConnectionsResult { vpc_endpoint_connections: Some(page), next_token: next })
}

/// Records the provider's answer for each endpoint that can take it; the others are
/// answered in `Unsuccessful`.
fn answer(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    service_id: &str,
    endpoint_ids: &[String],
    accept: bool,
) -> Result<Vec<UnsuccessfulItem>, ApiError> {
    let record = service(state, service_id)?.clone();
    let connections = connections_to(state, shared, ctx, service_id);
    let mut failed = Vec::new();
    let mut answers = record.answers.clone();
    for id in endpoint_ids {
        let Some(c) = connections.iter().find(|c| c.endpoint.vpc_endpoint_id.as_deref() == Some(id.as_str())) else {
            failed.push(unsuccessful(id, errors::invalid_vpc_endpoint_id_not_found(id)));
            continue;
        };
        let stage = connection_life(&record, c).stage;
        let next = match (accept, stage) {
            (true, Stage::PendingAcceptance) => Stage::Accepted,
            (false, Stage::PendingAcceptance | Stage::Accepted) => Stage::Rejected,
            (true, Stage::Accepted) | (false, Stage::Rejected) => continue,
            _ => {
                let state_name = connection_life(&record, c).shown(state.transition_delay(), ctx.now);
                failed.push(unsuccessful(
                    id,
                    errors::incorrect_state(format!("Vpc Endpoint {id} is in state {state_name}.")),
                ));
                continue;
            }
        };
        answers.insert(id.clone(), Life::new(next, ctx.now));
    }
    if let Some(r) = state.endpoint_services.services.get_mut(service_id) {
        r.answers = answers;
    }
    state.unpublished.insert(service_id.to_string());
    Ok(failed)
}

pub fn accept_vpc_endpoint_connections(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: AcceptVpcEndpointConnectionsRequest,
) -> Result<AcceptVpcEndpointConnectionsResult, ApiError> {
    if input.transit_gateway_attachment_ids.as_ref().is_some_and(|ids| !ids.is_empty()) {
        return Err(errors::invalid_parameter(
            "Transit gateway attachments do not connect to endpoint services in nimbus.",
        ));
    }
    let failed = answer(state, ctx, shared, &input.service_id, &input.vpc_endpoint_ids, true)?;
    Ok(AcceptVpcEndpointConnectionsResult { unsuccessful: Some(failed) })
}

/// Rejects pending connections, and cuts off accepted ones (the endpoint shows `rejected`).
pub fn reject_vpc_endpoint_connections(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: RejectVpcEndpointConnectionsRequest,
) -> Result<RejectVpcEndpointConnectionsResult, ApiError> {
    if input.transit_gateway_attachment_ids.as_ref().is_some_and(|ids| !ids.is_empty()) {
        return Err(errors::invalid_parameter(
            "Transit gateway attachments do not connect to endpoint services in nimbus.",
        ));
    }
    let failed = answer(state, ctx, shared, &input.service_id, &input.vpc_endpoint_ids, false)?;
    Ok(RejectVpcEndpointConnectionsResult { unsuccessful: Some(failed) })
}
