//! CreateClientVpnEndpoint, DeleteClientVpnEndpoint, DescribeClientVpnEndpoints, and the
//! lookups the other Client VPN operations share.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::options;
use crate::generated::dto::{
    AssociatedTargetNetwork, ClientRouteEnforcementResponseOptions, ClientVpnEndpoint, ClientVpnEndpointStatus,
    CreateClientVpnEndpointRequest, CreateClientVpnEndpointResult, DeleteClientVpnEndpointRequest,
    DeleteClientVpnEndpointResult, DescribeClientVpnEndpointsRequest, DescribeClientVpnEndpointsResult,
};
use crate::generated::{enums, errors};
use crate::state::cidr::Ipv4Cidr;
use crate::state::client_vpn::ClientVpnRecord;
use crate::state::params::one_of;
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::transit::{Life, Stage};
use crate::state::Ec2State;
use crate::vpc::vpcs;

/// Most security groups an endpoint can have.
const MAX_GROUPS: usize = 5;

/// An endpoint that exists (a deleted one does not).
pub fn get_live<'a>(state: &'a Ec2State, id: &str) -> Result<&'a ClientVpnRecord, ApiError> {
    state
        .connectivity
        .client_vpn_endpoints
        .get(id)
        .filter(|e| e.live())
        .ok_or_else(|| errors::invalid_client_vpn_endpoint_id_not_found(id))
}

/// The live endpoint, to change, with its parts that are gone forgotten.
pub fn get_mut<'a>(
    state: &'a mut Ec2State,
    ctx: &RequestContext,
    id: &str,
) -> Result<&'a mut ClientVpnRecord, ApiError> {
    let delay = state.transition_delay();
    let rec = state
        .connectivity
        .client_vpn_endpoints
        .get_mut(id)
        .filter(|e| e.live())
        .ok_or_else(|| errors::invalid_client_vpn_endpoint_id_not_found(id))?;
    rec.prune(delay, ctx.now);
    Ok(rec)
}

/// The time format of the endpoint's `CreationTime` and `DeletionTime`.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The endpoint as DescribeClientVpnEndpoints shows it at `now`.
pub fn describe_one(state: &Ec2State, rec: &ClientVpnRecord, now: DateTime<Utc>) -> ClientVpnEndpoint {
    let delay = state.transition_delay();
    let mut e = rec.endpoint.clone();
    e.status = Some(ClientVpnEndpointStatus { code: Some(rec.status(delay, now).into()), message: None });
    let networks: Vec<AssociatedTargetNetwork> = rec
        .live_associations()
        .map(|a| AssociatedTargetNetwork { network_id: Some(a.subnet_id.clone()), network_type: Some("vpc".into()) })
        .collect();
    e.associated_target_networks = Some(networks);
    if let (Some(changed), Some(connect)) = (rec.connect_options_changed, e.client_connect_options.as_mut()) {
        if now < changed + delay {
            connect.status.get_or_insert_with(Default::default).code = Some("applying".into());
        }
    }
    e.tags = if rec.live() { state.dto_tags(rec.id()) } else { Some(Vec::new()) };
    e
}

/// The VPC's security groups an endpoint gets: the given ones (at most five, all in
/// the VPC) or the VPC's default group.
pub fn endpoint_groups(state: &Ec2State, vpc_id: &str, given: Option<&[String]>) -> Result<Vec<String>, ApiError> {
    let vpc = vpcs::get(state, vpc_id)?;
    let ids: Vec<String> = match given {
        Some(g) if !g.is_empty() => {
            let mut ids = g.to_vec();
            ids.sort();
            ids.dedup();
            ids
        }
        _ => return Ok(vec![vpc.default_security_group_id.clone()]),
    };
    if ids.len() > MAX_GROUPS {
        return Err(errors::invalid_parameter_value("A Client VPN endpoint can have at most 5 security groups."));
    }
    for id in &ids {
        let g = state.security_groups.get(id).ok_or_else(|| errors::invalid_group_not_found(id))?;
        if g.vpc_id != vpc_id {
            return Err(errors::invalid_parameter_value(format!(
                "Security group {id} does not belong to VPC {vpc_id}."
            )));
        }
    }
    Ok(ids)
}

/// The client CIDR block must not overlap the VPC's IPv4 CIDR blocks.
pub fn check_vpc_overlap(state: &Ec2State, vpc_id: &str, client: &Ipv4Cidr, cidr: &str) -> Result<(), ApiError> {
    let vpc = &vpcs::get(state, vpc_id)?.vpc;
    let blocks = vpc.cidr_block_association_set.iter().flatten().filter_map(|b| b.cidr_block.clone());
    for block in blocks.chain(vpc.cidr_block.clone()) {
        if Ipv4Cidr::parse(&block).is_some_and(|b| b.overlaps(client)) {
            return Err(errors::invalid_parameter_value(format!(
                "The client CIDR block {cidr} overlaps with the CIDR block {block} of VPC {vpc_id}."
            )));
        }
    }
    Ok(())
}

pub fn create_client_vpn_endpoint(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateClientVpnEndpointRequest,
) -> Result<CreateClientVpnEndpointResult, ApiError> {
    if input.transit_gateway_configuration.is_some() || input.device_posture_options.is_some() {
        return Err(errors::unsupported_operation(
            "nimbus does not implement Client VPN endpoints attached to a transit gateway or with device posture checks.",
        ));
    }
    let cidr = input.client_cidr_block.clone().ok_or_else(|| errors::missing_parameter("ClientCidrBlock"))?;
    let client = options::check_client_cidr(&cidr)?;
    options::check_arn("ServerCertificateArn", &input.server_certificate_arn, "acm", "certificate/")?;
    let auth = options::authentication(&input.authentication_options)?;
    let log = options::connection_log(&input.connection_log_options)?;
    let dns = input.dns_servers.clone().filter(|d| !d.is_empty());
    options::dns_servers(dns.as_deref().unwrap_or_default())?;
    let protocol = input.transport_protocol.clone().unwrap_or_else(|| "udp".into());
    one_of("TransportProtocol", &protocol, enums::TRANSPORT_PROTOCOL)?;
    let port = input.vpn_port.unwrap_or(443);
    options::vpn_port(port)?;
    let hours = input.session_timeout_hours.unwrap_or(24);
    options::session_hours(hours)?;
    for (p, v) in [
        ("EndpointIpAddressType", &input.endpoint_ip_address_type),
        ("TrafficIpAddressType", &input.traffic_ip_address_type),
    ] {
        if let Some(v) = v {
            one_of(p, v, &["ipv4"])?;
        }
    }
    let connect = options::client_connect(input.client_connect_options.as_ref())?;
    let banner = options::login_banner(input.client_login_banner_options.as_ref())?;
    let groups = match (&input.vpc_id, input.security_group_ids.as_deref()) {
        (Some(vpc), given) => {
            let groups = endpoint_groups(state, vpc, given)?;
            check_vpc_overlap(state, vpc, &client, &cidr)?;
            Some(groups)
        }
        (None, Some(g)) if !g.is_empty() => {
            return Err(errors::invalid_parameter_value(
                "Security Groups cannot be specified without specifying Vpc Id",
            ))
        }
        (None, _) => None,
    };
    let tags = spec_tags(input.tag_specifications.as_deref(), "client-vpn-endpoint")?;
    let id = ids::resource_id("cvpn-endpoint");
    let portal = options::self_service_portal(input.self_service_portal.as_deref().unwrap_or("disabled"), &auth, &id)?;
    let dns_name = format!("*.{id}.prod.clientvpn.{}.amazonaws.com", ctx.region);
    let endpoint = ClientVpnEndpoint {
        client_vpn_endpoint_id: Some(id.clone()),
        description: input.description.clone(),
        creation_time: Some(time_text(ctx.now)),
        dns_name: Some(dns_name.clone()),
        client_cidr_block: Some(cidr),
        dns_servers: dns,
        split_tunnel: Some(input.split_tunnel.unwrap_or(false)),
        vpn_protocol: Some("openvpn".into()),
        transport_protocol: Some(protocol),
        vpn_port: Some(port),
        server_certificate_arn: Some(input.server_certificate_arn.clone()),
        authentication_options: Some(auth),
        connection_log_options: Some(log),
        security_group_ids: groups,
        vpc_id: input.vpc_id.clone(),
        self_service_portal_url: portal,
        client_connect_options: Some(connect),
        session_timeout_hours: Some(hours),
        client_login_banner_options: Some(banner),
        client_route_enforcement_options: Some(ClientRouteEnforcementResponseOptions {
            enforced: Some(input.client_route_enforcement_options.and_then(|o| o.enforced).unwrap_or(false)),
        }),
        disconnect_on_session_timeout: Some(input.disconnect_on_session_timeout.unwrap_or(false)),
        endpoint_ip_address_type: Some("ipv4".into()),
        traffic_ip_address_type: Some("ipv4".into()),
        ..Default::default()
    };
    let rec = ClientVpnRecord {
        endpoint,
        life: Life::new(Stage::Created, ctx.now),
        associations: BTreeMap::new(),
        rules: Vec::new(),
        routes: Vec::new(),
        revocation_list: None,
        connect_options_changed: None,
    };
    // Deleted endpoints AWS no longer shows are forgotten.
    let delay = state.transition_delay();
    state.connectivity.client_vpn_endpoints.retain(|_, e| e.life.visible(delay, ctx.now));
    state.connectivity.client_vpn_endpoints.insert(id.clone(), rec);
    state.set_tags(&id, tags);
    Ok(CreateClientVpnEndpointResult {
        client_vpn_endpoint_id: Some(id),
        status: Some(ClientVpnEndpointStatus { code: Some("pending-associate".into()), message: None }),
        dns_name: Some(dns_name),
    })
}

/// Refused while target networks are associated; the answer shows `deleting`.
pub fn delete_client_vpn_endpoint(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteClientVpnEndpointRequest,
) -> Result<DeleteClientVpnEndpointResult, ApiError> {
    let id = input.client_vpn_endpoint_id;
    let rec = get_mut(state, ctx, &id)?;
    let held: Vec<&str> = rec.live_associations().map(|a| a.association_id.as_str()).collect();
    if !held.is_empty() {
        return Err(errors::client_vpn_endpoint_association_exists(held.join(", ")));
    }
    rec.life = Life::new(Stage::Deleted, ctx.now);
    rec.endpoint.deletion_time = Some(time_text(ctx.now));
    state.forget(&id);
    Ok(DeleteClientVpnEndpointResult {
        status: Some(ClientVpnEndpointStatus { code: Some("deleting".into()), message: None }),
    })
}

impl Filterable for ClientVpnEndpoint {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "endpoint-id" => opt(&self.client_vpn_endpoint_id),
            "transport-protocol" => opt(&self.transport_protocol),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_client_vpn_endpoints(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeClientVpnEndpointsRequest,
) -> Result<DescribeClientVpnEndpointsResult, ApiError> {
    let paging = input.page();
    let ids = input.client_vpn_endpoint_ids.unwrap_or_default();
    let delay = state.transition_delay();
    let shown = |e: &&ClientVpnRecord| e.life.visible(delay, ctx.now);
    let all = &state.connectivity.client_vpn_endpoints;
    if let Some(missing) = ids.iter().find(|id| all.get(*id).filter(shown).is_none()) {
        return Err(errors::invalid_client_vpn_endpoint_id_not_found(missing));
    }
    let items = all
        .values()
        .filter(shown)
        .filter(|e| ids.is_empty() || ids.iter().any(|i| i == e.id()))
        .map(|e| describe_one(state, e, ctx.now));
    let items = filtered(items, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |e| e.client_vpn_endpoint_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeClientVpnEndpointsResult { client_vpn_endpoints: Some(page), next_token: next })
}
