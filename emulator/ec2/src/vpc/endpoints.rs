//! VPC endpoints, the consumer side of PrivateLink. A gateway endpoint (S3, DynamoDB)
//! adds a route to the service's prefix list in each of its route tables, with the
//! endpoint as the target, as AWS does; an interface endpoint sits in subnets (one per
//! zone) behind security groups and gets the service's DNS names. An endpoint connects to
//! one of AWS's services or to an account's endpoint service (`vpc/endpoint_services/`),
//! which may have to accept it first (`pendingAcceptance`); a Gateway Load Balancer
//! endpoint connects to a Gateway Load Balancer service, from one subnet.
//!
//! Interface endpoints have no network interfaces yet: `NetworkInterfaceIds` stays empty
//! until the state has interfaces to create them in.

use chrono::{DateTime, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    CreateVpcEndpointRequest, CreateVpcEndpointResult, DeleteVpcEndpointsRequest, DeleteVpcEndpointsResult,
    DescribeVpcEndpointsRequest, DescribeVpcEndpointsResult, DnsEntry, DnsOptions, ModifyVpcEndpointRequest,
    ModifyVpcEndpointResult, Route, SecurityGroupIdentifier, VpcEndpoint,
};
use crate::generated::errors;
use crate::state::endpoint_services::{ConnectionRequest, EndpointServiceRecord};
use crate::state::shared::Shared;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, mark_changed, paginate, settled, spec_tags, stable_hash, unsuccessful};
use crate::state::Ec2State;
use crate::vpc::endpoint_services::aws::{find_service, private_dns_name, vpce_hosted_zone, Service};
use crate::vpc::endpoint_services::{connections, id_in_name};
use crate::vpc::vpcs;
use crate::{vpc::prefix_lists, vpc::subnets};

/// The policy a gateway endpoint gets when the request gives none.
const GATEWAY_DEFAULT_POLICY: &str =
    r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
/// The policy an interface endpoint gets when the request gives none (AWS's own layout).
const INTERFACE_DEFAULT_POLICY: &str = "{\n  \"Statement\": [\n    {\n      \"Action\": \"*\", \n      \"Effect\": \"Allow\", \n      \"Principal\": \"*\", \n      \"Resource\": \"*\"\n    }\n  ]\n}";

/// What an endpoint connects to: one of AWS's services, or an account's endpoint service.
enum Target {
    Aws(&'static Service),
    Custom(Box<EndpointServiceRecord>),
}

impl Target {
    /// The label of the endpoint's DNS names (`<label>.<region>.vpce.amazonaws.com`).
    fn label(&self) -> &str {
        match self {
            Target::Aws(s) => s.label,
            Target::Custom(r) => r.id(),
        }
    }

    /// The private DNS name endpoints may take: AWS's, or the service's once verified.
    fn private_name(&self, state: &Ec2State, region: &str, now: DateTime<Utc>) -> Option<String> {
        match self {
            Target::Aws(s) => private_dns_name(region, s),
            Target::Custom(r) => {
                r.config.private_dns_name.clone().filter(|_| r.dns_verified(state.transition_delay(), now))
            }
        }
    }
}

/// The target of an existing endpoint (`None` for a custom service since deleted).
fn target_of(state: &Ec2State, shared: &Shared, ctx: &RequestContext, e: &VpcEndpoint) -> Option<Target> {
    let id = e.vpc_endpoint_id.as_deref().unwrap_or_default();
    match state.endpoint_services.requests.get(id) {
        Some(request) => connections::provider_record(state, shared, ctx, request).map(|r| Target::Custom(Box::new(r))),
        None => e.service_name.as_deref().and_then(|n| find_service(&ctx.region, n)).map(Target::Aws),
    }
}

/// The endpoint service a CreateVpcEndpoint names, if the caller may connect to it: in
/// its region (or `ServiceRegion`, when the service supports the caller's region),
/// available, and allowing the caller; AWS answers `InvalidServiceName` otherwise.
fn custom_target(
    state: &Ec2State,
    shared: &Shared,
    ctx: &RequestContext,
    name: &str,
    service_region: &str,
) -> Result<Option<(EndpointServiceRecord, String)>, ApiError> {
    let Some(id) = id_in_name(service_region, name) else { return Ok(None) };
    let found = if service_region == ctx.region {
        match state.endpoint_services.services.get(id) {
            Some(r) => Some((r.clone(), ctx.account().to_string(), ctx.region.clone())),
            None => shared.endpoint_service(id).map(|p| (p.record, p.account, p.region)),
        }
    } else {
        shared.endpoint_service(id).map(|p| (p.record, p.account, p.region))
    };
    let usable = found.filter(|(r, owner, region)| {
        region == service_region
            && r.life.settled(state.transition_delay(), ctx.now)
            && r.allows(owner, ctx.account(), &ctx.caller.arn)
            && r.config.supported_regions.iter().flatten().any(|s| s.region.as_deref() == Some(ctx.region.as_str()))
    });
    match usable {
        Some((r, owner, _)) => Ok(Some((r, owner))),
        None => Err(errors::invalid_service_name(name)),
    }
}

fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a VpcEndpoint, ApiError> {
    state.vpc_endpoints.get(id).ok_or_else(|| errors::invalid_vpc_endpoint_id_not_found(id))
}

/// Whether an interface endpoint sits in the subnet.
pub fn uses_subnet(state: &Ec2State, subnet_id: &str) -> bool {
    state.vpc_endpoints.values().any(|e| e.subnet_ids.iter().flatten().any(|s| s == subnet_id))
}

/// Whether an interface endpoint uses the security group.
pub fn uses_security_group(state: &Ec2State, group_id: &str) -> bool {
    state.vpc_endpoints.values().any(|e| e.groups.iter().flatten().any(|g| g.group_id.as_deref() == Some(group_id)))
}

fn is_interface(e: &VpcEndpoint) -> bool {
    e.vpc_endpoint_type.as_deref() == Some("Interface")
}

/// The DNS names of an interface endpoint: the regional name, one per zone of its
/// subnets, and the service's own name when private DNS is on.
fn dns_entries(state: &Ec2State, ctx: &RequestContext, e: &VpcEndpoint, target: Option<&Target>) -> Vec<DnsEntry> {
    let id = e.vpc_endpoint_id.as_deref().unwrap_or_default();
    let Some(target) = target else { return Vec::new() };
    let region = ctx.region.as_str();
    let zone_id = vpce_hosted_zone(region);
    let token = format!("{:08x}", stable_hash(id));
    let base = format!("{}.{region}.vpce.amazonaws.com", target.label());
    let mut out =
        vec![DnsEntry { dns_name: Some(format!("{id}-{token}.{base}")), hosted_zone_id: Some(zone_id.clone()) }];
    for subnet in e.subnet_ids.iter().flatten() {
        if let Some(az) = state.subnets.get(subnet).and_then(|r| r.subnet.availability_zone.clone()) {
            out.push(DnsEntry {
                dns_name: Some(format!("{id}-{token}-{az}.{base}")),
                hosted_zone_id: Some(zone_id.clone()),
            });
        }
    }
    if e.private_dns_enabled == Some(true) {
        if let Some(name) = target.private_name(state, region, ctx.now) {
            let private_zone = format!("Z{:08X}{:08X}", stable_hash(&format!("{id}/private")), stable_hash(id));
            out.push(DnsEntry { dns_name: Some(name), hosted_zone_id: Some(private_zone) });
        }
    }
    out
}

/// An endpoint as Describe shows it at `now`. An endpoint to an endpoint service shows
/// where its connection stands (`pendingAcceptance`, `pending`, `available`, `rejected`).
pub fn describe_one(state: &Ec2State, shared: &Shared, ctx: &RequestContext, id: &str) -> VpcEndpoint {
    let mut e = state.vpc_endpoints[id].clone();
    if let Some(life) = connections::endpoint_life(state, shared, ctx, id) {
        e.state = Some(life.shown(state.transition_delay(), ctx.now).into());
    } else if !settled(state, id, ctx.now) {
        e.state = Some("pending".into());
    }
    if let Some(t) = e.route_table_ids.as_mut() {
        t.retain(|rtb| state.route_tables.contains_key(rtb));
    }
    if is_interface(&e) {
        let target = target_of(state, shared, ctx, &e);
        e.dns_entries = Some(dns_entries(state, ctx, &e, target.as_ref()));
    }
    e.tags = state.dto_tags(id);
    e
}

fn check_policy(doc: &str) -> Result<(), ApiError> {
    match serde_json::from_str::<serde_json::Value>(doc) {
        Ok(v) if v.is_object() => Ok(()),
        _ => Err(errors::invalid_policy_document("The policy document is not valid JSON.")),
    }
}

/// Checks route tables for a gateway endpoint: they exist, are in its VPC and have no
/// route to the service's prefix list yet.
fn check_route_tables(state: &Ec2State, vpc_id: &str, pl: &str, tables: &[String]) -> Result<(), ApiError> {
    for rtb in tables {
        let t = state.route_tables.get(rtb).ok_or_else(|| errors::invalid_route_table_id_not_found(rtb))?;
        if t.vpc_id.as_deref() != Some(vpc_id) {
            return Err(errors::invalid_parameter(format!("route table {rtb} does not belong to vpc {vpc_id}")));
        }
        if t.routes.iter().flatten().any(|r| r.destination_prefix_list_id.as_deref() == Some(pl)) {
            return Err(errors::route_already_exists(pl));
        }
    }
    Ok(())
}

fn add_routes(state: &mut Ec2State, endpoint_id: &str, pl: &str, tables: &[String]) {
    for rtb in tables {
        if let Some(t) = state.route_tables.get_mut(rtb) {
            t.routes.get_or_insert_with(Vec::new).push(Route {
                destination_prefix_list_id: Some(pl.to_string()),
                gateway_id: Some(endpoint_id.to_string()),
                origin: Some("CreateRoute".into()),
                state: Some("active".into()),
                ..Default::default()
            });
        }
    }
}

/// Removes the routes a gateway endpoint added (routes users pointed at it stay, as `blackhole`).
fn remove_routes(state: &mut Ec2State, endpoint_id: &str, pl: &str, tables: Option<&[String]>) {
    for (rtb, t) in state.route_tables.iter_mut() {
        if tables.is_some_and(|only| !only.contains(rtb)) {
            continue;
        }
        if let Some(routes) = t.routes.as_mut() {
            routes.retain(|r| {
                !(r.gateway_id.as_deref() == Some(endpoint_id) && r.destination_prefix_list_id.as_deref() == Some(pl))
            });
        }
    }
}

/// Checks an interface endpoint's subnets: they exist, are in its VPC, one per zone.
fn check_subnets(state: &Ec2State, vpc_id: &str, subnet_ids: &[String]) -> Result<(), ApiError> {
    let mut zones = Vec::new();
    for id in subnet_ids {
        let s = subnets::get(state, id)?;
        if s.subnet.vpc_id.as_deref() != Some(vpc_id) {
            return Err(errors::invalid_parameter(format!("The subnet {id} does not belong to vpc {vpc_id}")));
        }
        let zone = s.subnet.availability_zone.clone().unwrap_or_default();
        if zones.contains(&zone) {
            return Err(errors::duplicate_subnets_in_same_zone(id));
        }
        zones.push(zone);
    }
    Ok(())
}

fn group_identifiers(
    state: &Ec2State,
    vpc_id: &str,
    group_ids: &[String],
) -> Result<Vec<SecurityGroupIdentifier>, ApiError> {
    group_ids
        .iter()
        .map(|id| {
            let g = state.security_groups.get(id).ok_or_else(|| errors::invalid_group_not_found(id))?;
            if g.vpc_id != vpc_id {
                return Err(errors::invalid_parameter(format!(
                    "The security group {id} does not belong to vpc {vpc_id}"
                )));
            }
            Ok(SecurityGroupIdentifier { group_id: Some(id.clone()), group_name: Some(g.group_name.clone()) })
        })
        .collect()
}

/// Private DNS needs the VPC's DNS support and hostnames, and no other endpoint of the
/// same service in the VPC with private DNS.
fn check_private_dns(state: &Ec2State, private_name: Option<&str>, e: &VpcEndpoint) -> Result<(), ApiError> {
    if e.private_dns_enabled != Some(true) {
        return Ok(());
    }
    let vpc_id = e.vpc_id.as_deref().unwrap_or_default();
    let vpc = vpcs::get(state, vpc_id)?;
    if !vpc.enable_dns_support || !vpc.enable_dns_hostnames {
        return Err(errors::invalid_parameter(format!(
            "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for {vpc_id}"
        )));
    }
    let conflict = state.vpc_endpoints.values().any(|o| {
        o.vpc_endpoint_id != e.vpc_endpoint_id
            && o.vpc_id == e.vpc_id
            && o.service_name == e.service_name
            && o.private_dns_enabled == Some(true)
    });
    if conflict {
        return Err(errors::invalid_parameter(format!(
            "private-dns-enabled cannot be set because there is already a conflicting DNS domain for {} in the VPC {vpc_id}",
            private_name.unwrap_or_default()
        )));
    }
    Ok(())
}

pub fn create_vpc_endpoint(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CreateVpcEndpointRequest,
) -> Result<CreateVpcEndpointResult, ApiError> {
    let vpc = vpcs::get(state, &input.vpc_id)?.clone();
    let kind = input.vpc_endpoint_type.clone().unwrap_or_else(|| "Gateway".into());
    match kind.as_str() {
        "Gateway" | "Interface" | "GatewayLoadBalancer" => {}
        "Resource" | "ServiceNetwork" => {
            return Err(errors::invalid_parameter(format!("VPC endpoints of type {kind} are not supported by nimbus.")))
        }
        other => return Err(errors::invalid_vpc_endpoint_type(format!("{other} is not a valid VPC endpoint type."))),
    }
    let Some(service_name) = input.service_name.clone() else {
        return Err(errors::missing_parameter("serviceName"));
    };
    let service_region = input.service_region.clone().unwrap_or_else(|| ctx.region.clone());
    let (target, owner) = match custom_target(state, shared, ctx, &service_name, &service_region)? {
        Some((record, owner)) => (Target::Custom(Box::new(record)), Some(owner)),
        None if service_region == ctx.region => match find_service(&ctx.region, &service_name) {
            Some(s) => (Target::Aws(s), None),
            None => return Err(errors::invalid_service_name(&service_name)),
        },
        None => return Err(errors::invalid_service_name(&service_name)),
    };
    let offered: Vec<&str> = match &target {
        Target::Aws(s) if s.gateway => vec!["Gateway", "Interface"],
        Target::Aws(_) => vec!["Interface"],
        Target::Custom(r) => vec![r.service_type()],
    };
    if !offered.contains(&kind.as_str()) {
        return Err(errors::invalid_parameter(format!(
            "Endpoint type ({kind}) does not match available service types ([{}]).",
            offered.join(", ")
        )));
    }
    if let Some(doc) = &input.policy_document {
        check_policy(doc)?;
    }
    let route_tables = input.route_table_ids.clone().unwrap_or_default();
    let subnet_ids = input.subnet_ids.clone().unwrap_or_default();
    let group_ids = input.security_group_ids.clone().unwrap_or_default();
    let id = ids::resource_id("vpce");
    let mut e = VpcEndpoint {
        vpc_endpoint_id: Some(id.clone()),
        vpc_endpoint_type: Some(kind.clone()),
        vpc_id: Some(input.vpc_id.clone()),
        service_name: Some(service_name.clone()),
        state: Some("available".into()),
        route_table_ids: Some(Vec::new()),
        subnet_ids: Some(Vec::new()),
        groups: Some(Vec::new()),
        ip_address_type: Some(input.ip_address_type.clone().unwrap_or_else(|| "ipv4".into())),
        private_dns_enabled: Some(false),
        requester_managed: Some(false),
        network_interface_ids: Some(Vec::new()),
        dns_entries: Some(Vec::new()),
        creation_timestamp: Some(ctx.now.into()),
        owner_id: Some(ctx.account().to_string()),
        service_region: Some(service_region.clone()),
        ..Default::default()
    };
    let pl = if kind == "GatewayLoadBalancer" {
        if !route_tables.is_empty() || !group_ids.is_empty() || input.private_dns_enabled == Some(true) {
            return Err(errors::invalid_parameter(
                "Route tables, security groups and private DNS are not supported for GatewayLoadBalancer type VPC endpoints.",
            ));
        }
        if subnet_ids.len() != 1 {
            return Err(errors::invalid_parameter("A GatewayLoadBalancer type VPC endpoint takes exactly one subnet."));
        }
        check_subnets(state, &input.vpc_id, &subnet_ids)?;
        e.subnet_ids = Some(subnet_ids);
        None
    } else if kind == "Gateway" {
        if !subnet_ids.is_empty() || !group_ids.is_empty() || input.private_dns_enabled == Some(true) {
            return Err(errors::invalid_parameter(
                "Subnets, security groups and private DNS are only supported for Interface type VPC endpoints.",
            ));
        }
        let pl = prefix_lists::for_service(&ctx.region, &service_name).map(|p| p.id).unwrap_or_default();
        check_route_tables(state, &input.vpc_id, &pl, &route_tables)?;
        e.route_table_ids = Some(route_tables.clone());
        e.policy_document = Some(input.policy_document.clone().unwrap_or_else(|| GATEWAY_DEFAULT_POLICY.into()));
        Some(pl)
    } else {
        if !route_tables.is_empty() {
            return Err(errors::invalid_parameter(
                "Route table IDs are only supported for Gateway type VPC endpoints.",
            ));
        }
        check_subnets(state, &input.vpc_id, &subnet_ids)?;
        let groups = if group_ids.is_empty() {
            group_identifiers(state, &input.vpc_id, std::slice::from_ref(&vpc.default_security_group_id))?
        } else {
            group_identifiers(state, &input.vpc_id, &group_ids)?
        };
        e.subnet_ids = Some(subnet_ids);
        e.groups = Some(groups);
        let private_name = target.private_name(state, &ctx.region, ctx.now);
        e.private_dns_enabled = Some(input.private_dns_enabled.unwrap_or(true) && private_name.is_some());
        e.dns_options = Some(DnsOptions {
            dns_record_ip_type: Some("ipv4".into()),
            private_dns_only_for_inbound_resolver_endpoint: None,
            ..Default::default()
        });
        e.policy_document = Some(input.policy_document.clone().unwrap_or_else(|| INTERFACE_DEFAULT_POLICY.into()));
        check_private_dns(state, private_name.as_deref(), &e)?;
        None
    };
    let tags = spec_tags(input.tag_specifications.as_deref(), "vpc-endpoint")?;
    state.vpc_endpoints.insert(id.clone(), e);
    if let Some(pl) = pl {
        add_routes(state, &id, &pl, &route_tables);
    }
    state.set_tags(&id, tags);
    mark_changed(state, &id, ctx.now);
    let mut acceptance = false;
    if let (Target::Custom(record), Some(owner)) = (&target, owner) {
        acceptance = record.config.acceptance_required == Some(true);
        let request = ConnectionRequest {
            service_id: record.id().to_string(),
            service_owner: owner,
            service_region,
            auto_accepted: !acceptance,
            created: ctx.now,
        };
        state.endpoint_services.requests.insert(id.clone(), request);
        state.unpublished.insert(id.clone());
    }
    let mut shown = describe_one(state, shared, ctx, &id);
    // A gateway endpoint is ready at once; an interface endpoint starts `pending`, as at
    // AWS, or waits for the service to accept it.
    let first = match kind.as_str() {
        "Gateway" => "available",
        _ if acceptance => "pendingAcceptance",
        _ => "pending",
    };
    shown.state = Some(first.into());
    Ok(CreateVpcEndpointResult { vpc_endpoint: Some(shown), client_token: input.client_token })
}

pub fn modify_vpc_endpoint(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: ModifyVpcEndpointRequest,
) -> Result<ModifyVpcEndpointResult, ApiError> {
    let mut e = get(state, &input.vpc_endpoint_id)?.clone();
    let id = input.vpc_endpoint_id.clone();
    let vpc_id = e.vpc_id.clone().unwrap_or_default();
    let interface = is_interface(&e);
    let gateway = e.vpc_endpoint_type.as_deref() == Some("Gateway");
    let add_rt = input.add_route_table_ids.unwrap_or_default();
    let remove_rt = input.remove_route_table_ids.unwrap_or_default();
    let add_sn = input.add_subnet_ids.unwrap_or_default();
    let remove_sn = input.remove_subnet_ids.unwrap_or_default();
    let add_sg = input.add_security_group_ids.unwrap_or_default();
    let remove_sg = input.remove_security_group_ids.unwrap_or_default();
    if !gateway && (!add_rt.is_empty() || !remove_rt.is_empty()) {
        return Err(errors::invalid_parameter("Route table IDs are only supported for Gateway type VPC endpoints."));
    }
    if !interface
        && (!add_sn.is_empty()
            || !remove_sn.is_empty()
            || !add_sg.is_empty()
            || !remove_sg.is_empty()
            || input.private_dns_enabled.is_some())
    {
        return Err(errors::invalid_parameter(
            "Subnets, security groups and private DNS are only supported for Interface type VPC endpoints.",
        ));
    }
    if input.reset_policy == Some(true) && input.policy_document.is_some() {
        return Err(errors::invalid_parameter_combination("Specify either ResetPolicy or PolicyDocument, not both."));
    }
    if let Some(doc) = &input.policy_document {
        check_policy(doc)?;
        e.policy_document = Some(doc.clone());
    }
    if input.reset_policy == Some(true) {
        e.policy_document = Some(if interface { INTERFACE_DEFAULT_POLICY } else { GATEWAY_DEFAULT_POLICY }.into());
    }
    let pl = prefix_lists::for_service(&ctx.region, e.service_name.as_deref().unwrap_or_default())
        .map(|p| p.id)
        .unwrap_or_default();
    let mut tables = e.route_table_ids.clone().unwrap_or_default();
    tables.retain(|t| state.route_tables.contains_key(t) && !remove_rt.contains(t));
    let new_tables: Vec<String> = add_rt.iter().filter(|t| !tables.contains(t)).cloned().collect();
    check_route_tables(state, &vpc_id, &pl, &new_tables)?;
    tables.extend(new_tables.iter().cloned());
    e.route_table_ids = Some(tables);
    if interface {
        let mut subnet_ids = e.subnet_ids.clone().unwrap_or_default();
        subnet_ids.retain(|s| !remove_sn.contains(s));
        subnet_ids.extend(add_sn.iter().filter(|s| !subnet_ids.contains(s)).cloned().collect::<Vec<_>>());
        check_subnets(state, &vpc_id, &subnet_ids)?;
        e.subnet_ids = Some(subnet_ids);
        let mut group_ids: Vec<String> = e.groups.iter().flatten().filter_map(|g| g.group_id.clone()).collect();
        group_ids.retain(|g| !remove_sg.contains(g));
        group_ids.extend(add_sg.iter().filter(|g| !group_ids.contains(g)).cloned().collect::<Vec<_>>());
        if group_ids.is_empty() {
            return Err(errors::invalid_parameter("An interface endpoint must keep at least one security group."));
        }
        e.groups = Some(group_identifiers(state, &vpc_id, &group_ids)?);
        let private_name = target_of(state, shared, ctx, &e).and_then(|t| t.private_name(state, &ctx.region, ctx.now));
        if let Some(p) = input.private_dns_enabled {
            e.private_dns_enabled = Some(p && private_name.is_some());
        }
        check_private_dns(state, private_name.as_deref(), &e)?;
    }
    remove_routes(state, &id, &pl, Some(&remove_rt));
    add_routes(state, &id, &pl, &new_tables);
    state.vpc_endpoints.insert(id.clone(), e);
    if interface {
        mark_changed(state, &id, ctx.now);
    }
    if state.endpoint_services.requests.contains_key(&id) {
        state.unpublished.insert(id);
    }
    Ok(ModifyVpcEndpointResult { r#return: Some(true) })
}

/// Unknown ids are answered in `Unsuccessful`, the others deleted with their routes.
pub fn delete_vpc_endpoints(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteVpcEndpointsRequest,
) -> Result<DeleteVpcEndpointsResult, ApiError> {
    let mut failed = Vec::new();
    for id in &input.vpc_endpoint_ids {
        let Some(e) = state.vpc_endpoints.remove(id) else {
            failed.push(unsuccessful(id, errors::invalid_vpc_endpoint_not_found(id)));
            continue;
        };
        if let Some(pl) = prefix_lists::for_service(&ctx.region, e.service_name.as_deref().unwrap_or_default()) {
            remove_routes(state, id, &pl.id, None);
        }
        if state.endpoint_services.requests.remove(id).is_some() {
            state.unpublished.insert(id.clone());
        }
        state.endpoint_services.notifications.retain(|_, n| n.vpc_endpoint_id.as_deref() != Some(id.as_str()));
        state.forget(id);
    }
    Ok(DeleteVpcEndpointsResult { unsuccessful: Some(failed) })
}

impl Filterable for VpcEndpoint {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "ip-address-type" => opt(&self.ip_address_type),
            "service-name" => opt(&self.service_name),
            "service-region" => opt(&self.service_region),
            "vpc-id" => opt(&self.vpc_id),
            "vpc-endpoint-id" => opt(&self.vpc_endpoint_id),
            "vpc-endpoint-state" => opt(&self.state),
            "vpc-endpoint-type" => opt(&self.vpc_endpoint_type),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_vpc_endpoints(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DescribeVpcEndpointsRequest,
) -> Result<DescribeVpcEndpointsResult, ApiError> {
    let paging = input.page();
    let ids = input.vpc_endpoint_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all = state
        .vpc_endpoints
        .keys()
        .filter(|id| ids.is_empty() || ids.contains(id))
        .map(|id| describe_one(state, shared, ctx, id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |e| e.vpc_endpoint_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeVpcEndpointsResult { vpc_endpoints: Some(page), next_token: next })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::ModifyVpcAttributeRequest;
    use crate::state::support::bool_value;
    use crate::state::support::testing::{delete_vpc, route_table, routes, setup, subnet, vpc};

    #[test]
    fn a_gateway_endpoint_routes_the_service_prefix_list_through_itself() {
        let (mut s, ctx) = setup();
        let shared = Shared::default();
        let v = vpc(&mut s, &ctx, "10.0.0.0/16");
        let (rtb, rtb2) = (route_table(&mut s, &ctx, &v), route_table(&mut s, &ctx, &v));
        let input = CreateVpcEndpointRequest {
            vpc_id: v.clone(),
            service_name: Some("com.amazonaws.us-east-1.s3".into()),
            route_table_ids: Some(vec![rtb.clone()]),
            ..Default::default()
        };
        let e = create_vpc_endpoint(&mut s, &ctx, &shared, input.clone()).unwrap().vpc_endpoint.unwrap();
        let id = e.vpc_endpoint_id.clone().unwrap();
        assert_eq!((e.vpc_endpoint_type.as_deref(), e.state.as_deref()), (Some("Gateway"), Some("available")));
        assert_eq!(e.policy_document.as_deref(), Some(GATEWAY_DEFAULT_POLICY));
        let route = routes(&s, &ctx, &rtb).pop().unwrap();
        assert_eq!(route.destination_prefix_list_id.as_deref(), Some("pl-63a5400a"));
        assert_eq!((route.gateway_id.as_deref(), route.origin.as_deref()), (Some(id.as_str()), Some("CreateRoute")));
        // One gateway endpoint per service and table.
        assert_eq!(create_vpc_endpoint(&mut s, &ctx, &shared, input).unwrap_err().code, "RouteAlreadyExists");

        let modify = ModifyVpcEndpointRequest {
            vpc_endpoint_id: id.clone(),
            add_route_table_ids: Some(vec![rtb2.clone()]),
            remove_route_table_ids: Some(vec![rtb.clone()]),
            ..Default::default()
        };
        modify_vpc_endpoint(&mut s, &ctx, &shared, modify).unwrap();
        assert_eq!(routes(&s, &ctx, &rtb).len(), 1, "only the local route");
        assert_eq!(routes(&s, &ctx, &rtb2).len(), 2);
        assert_eq!(delete_vpc(&mut s, &ctx, &v).unwrap_err().code, "DependencyViolation");

        let delete =
            DeleteVpcEndpointsRequest { vpc_endpoint_ids: vec![id.clone(), "vpce-0123".into()], dry_run: None };
        let failed = delete_vpc_endpoints(&mut s, &ctx, delete).unwrap().unsuccessful.unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].resource_id.as_deref(), Some("vpce-0123"));
        assert_eq!(failed[0].error.as_ref().unwrap().code.as_deref(), Some("InvalidVpcEndpoint.NotFound"));
        assert_eq!(routes(&s, &ctx, &rtb2).len(), 1, "the endpoint's route went with it");
    }

    #[test]
    fn an_interface_endpoint_takes_one_subnet_per_zone_and_needs_dns_for_private_names() {
        let (mut s, ctx) = setup();
        let shared = Shared::default();
        let v = vpc(&mut s, &ctx, "10.0.0.0/16");
        let a = subnet(&mut s, &ctx, &v, "10.0.1.0/24", "us-east-1a");
        let a2 = subnet(&mut s, &ctx, &v, "10.0.2.0/24", "us-east-1a");
        let b = subnet(&mut s, &ctx, &v, "10.0.3.0/24", "us-east-1b");
        let input = |subnets: Vec<&String>, private: Option<bool>| CreateVpcEndpointRequest {
            vpc_id: v.clone(),
            vpc_endpoint_type: Some("Interface".into()),
            service_name: Some("com.amazonaws.us-east-1.ssm".into()),
            subnet_ids: Some(subnets.into_iter().cloned().collect()),
            private_dns_enabled: private,
            ..Default::default()
        };
        let err = create_vpc_endpoint(&mut s, &ctx, &shared, input(vec![&a, &a2], Some(false))).unwrap_err();
        assert_eq!(err.code, "DuplicateSubnetsInSameZone");
        let err = create_vpc_endpoint(&mut s, &ctx, &shared, input(vec![&a, &b], None)).unwrap_err();
        assert_eq!(err.code, "InvalidParameter", "private DNS needs DNS hostnames");
        let hostnames = ModifyVpcAttributeRequest {
            vpc_id: v.clone(),
            enable_dns_hostnames: Some(bool_value(true)),
            ..Default::default()
        };
        vpcs::modify_vpc_attribute(&mut s, &ctx, hostnames).unwrap();
        let e = create_vpc_endpoint(&mut s, &ctx, &shared, input(vec![&a, &b], None)).unwrap().vpc_endpoint.unwrap();
        assert_eq!(e.state.as_deref(), Some("pending"));
        assert_eq!(e.private_dns_enabled, Some(true));
        assert_eq!(e.groups.as_ref().unwrap()[0].group_name.as_deref(), Some("default"));
        let dns = e.dns_entries.unwrap();
        assert_eq!(dns.len(), 4, "regional, two zonal, private");
        assert!(dns[0].dns_name.as_deref().unwrap().ends_with(".ssm.us-east-1.vpce.amazonaws.com"));
        assert_eq!(dns[3].dns_name.as_deref(), Some("ssm.us-east-1.amazonaws.com"));
        assert!(e.network_interface_ids.unwrap().is_empty());
        let err = create_vpc_endpoint(&mut s, &ctx, &shared, input(vec![], Some(true))).unwrap_err();
        assert!(err.message.contains("conflicting DNS domain"), "{}", err.message);
        let id = e.vpc_endpoint_id.unwrap();
        let shown = describe_vpc_endpoints(&s, &ctx, &shared, Default::default()).unwrap().vpc_endpoints.unwrap();
        assert_eq!(shown[0].state.as_deref(), Some("available"));
        let delete = subnets::delete_subnet(
            &mut s,
            &ctx,
            crate::generated::dto::DeleteSubnetRequest { subnet_id: a.clone(), ..Default::default() },
        );
        assert_eq!(delete.unwrap_err().code, "DependencyViolation");
        let bad = CreateVpcEndpointRequest {
            service_name: Some("com.amazonaws.us-east-1.nope".into()),
            ..input(vec![], None)
        };
        assert_eq!(create_vpc_endpoint(&mut s, &ctx, &shared, bad).unwrap_err().code, "InvalidServiceName");
        let gateway_ec2 = CreateVpcEndpointRequest {
            vpc_endpoint_type: Some("Gateway".into()),
            service_name: Some("com.amazonaws.us-east-1.ec2".into()),
            ..input(vec![], None)
        };
        assert_eq!(create_vpc_endpoint(&mut s, &ctx, &shared, gateway_ec2).unwrap_err().code, "InvalidParameter");
        let described =
            DescribeVpcEndpointsRequest { vpc_endpoint_ids: Some(vec![id, "vpce-0".into()]), ..Default::default() };
        assert_eq!(
            describe_vpc_endpoints(&s, &ctx, &shared, described).unwrap_err().code,
            "InvalidVpcEndpointId.NotFound"
        );
    }
}
