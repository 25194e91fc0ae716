//! Route tables: routes to every target type (a route whose target is gone shows as
//! `blackhole`), subnet and gateway associations, the main association.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    AssociateRouteTableRequest, AssociateRouteTableResult, CreateRouteRequest, CreateRouteResult,
    CreateRouteTableRequest, CreateRouteTableResult, DeleteRouteRequest, DeleteRouteTableRequest,
    DescribeRouteTablesRequest, DescribeRouteTablesResult, DisassociateRouteTableRequest, ReplaceRouteRequest,
    ReplaceRouteTableAssociationRequest, ReplaceRouteTableAssociationResult, Route, RouteTable, RouteTableAssociation,
    RouteTableAssociationState,
};
use crate::generated::errors;
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::params::invalid_value;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, paginate, spec_tags};
use crate::state::Ec2State;
use crate::vpc::vpcs;
use crate::{vpc::internet_gateways, vpc::subnets, vpc::vpn_gateways};

pub fn create_route_table_record(state: &mut Ec2State, ctx: &RequestContext, vpc_id: &str, main: bool) -> String {
    let id = ids::resource_id("rtb");
    let associations = if main { vec![association(&id, None, None, true)] } else { Vec::new() };
    state.route_tables.insert(
        id.clone(),
        RouteTable {
            associations: Some(associations),
            propagating_vgws: Some(Vec::new()),
            route_table_id: Some(id.clone()),
            routes: Some(Vec::new()),
            tags: None,
            vpc_id: Some(vpc_id.to_string()),
            owner_id: Some(ctx.account().to_string()),
        },
    );
    id
}

fn association(rtb: &str, subnet: Option<&str>, gateway: Option<&str>, main: bool) -> RouteTableAssociation {
    RouteTableAssociation {
        main: Some(main),
        route_table_association_id: Some(ids::resource_id("rtbassoc")),
        route_table_id: Some(rtb.to_string()),
        subnet_id: subnet.map(str::to_string),
        gateway_id: gateway.map(str::to_string),
        public_ipv4_pool: None,
        association_state: Some(associated()),
    }
}

fn associated() -> RouteTableAssociationState {
    RouteTableAssociationState { state: Some("associated".into()), status_message: None }
}

/// The default VPC's route to the internet.
pub fn add_default_route(state: &mut Ec2State, rtb: &str, igw: &str) {
    if let Some(t) = state.route_tables.get_mut(rtb) {
        t.routes.get_or_insert_with(Vec::new).push(Route {
            destination_cidr_block: Some("0.0.0.0/0".into()),
            gateway_id: Some(igw.to_string()),
            origin: Some("CreateRoute".into()),
            state: Some("active".into()),
            ..Default::default()
        });
    }
}

fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a RouteTable, ApiError> {
    state.route_tables.get(id).ok_or_else(|| {
        if id.starts_with("rtb-") {
            errors::invalid_route_table_id_not_found(id)
        } else {
            errors::invalid_route_table_id_malformed(id)
        }
    })
}

/// The id a route points at, whatever the target type.
fn target(r: &Route) -> Option<&str> {
    r.gateway_id
        .as_deref()
        .or(r.nat_gateway_id.as_deref())
        .or(r.network_interface_id.as_deref())
        .or(r.instance_id.as_deref())
        .or(r.vpc_peering_connection_id.as_deref())
        .or(r.egress_only_internet_gateway_id.as_deref())
        .or(r.transit_gateway_id.as_deref())
        .or(r.local_gateway_id.as_deref())
        .or(r.carrier_gateway_id.as_deref())
}

fn destination(r: &Route) -> Option<&str> {
    r.destination_cidr_block
        .as_deref()
        .or(r.destination_ipv6_cidr_block.as_deref())
        .or(r.destination_prefix_list_id.as_deref())
}

/// A route table as DescribeRouteTables shows it: the local routes of the VPC's blocks
/// first, then the others, each `active` or `blackhole`.
pub fn describe_one(state: &Ec2State, id: &str) -> RouteTable {
    let mut t = state.route_tables[id].clone();
    let vpc_id = t.vpc_id.clone().unwrap_or_default();
    let mut routes = Vec::new();
    if let Some(vpc) = state.vpcs.get(&vpc_id) {
        for block in vpcs::ipv4_blocks(vpc) {
            routes.push(local_route(Some(block.to_string()), None));
        }
        for block in vpcs::ipv6_blocks(vpc) {
            routes.push(local_route(None, Some(block.to_string())));
        }
    }
    for mut r in t.routes.take().unwrap_or_default() {
        let alive = target(&r).is_some_and(|target| target_alive(state, &vpc_id, target));
        r.state = Some(if alive { "active" } else { "blackhole" }.into());
        routes.push(r);
    }
    // Routes propagated by an attached virtual private gateway: its VPN connections'
    // static routes, where no route of the table has the destination already.
    for vgw in t.propagating_vgws.iter().flatten().filter_map(|p| p.gateway_id.as_deref()) {
        if vpn_gateways::attached_vpc(state, vgw) != Some(vpc_id.as_str()) {
            continue;
        }
        for cidr in state.connectivity.propagated_routes(vgw) {
            if routes.iter().any(|r| r.destination_cidr_block.as_deref() == Some(cidr.as_str())) {
                continue;
            }
            routes.push(Route {
                destination_cidr_block: Some(cidr),
                gateway_id: Some(vgw.to_string()),
                origin: Some("EnableVgwRoutePropagation".into()),
                state: Some("active".into()),
                ..Default::default()
            });
        }
    }
    t.routes = Some(routes);
    t.tags = state.dto_tags(id);
    t
}

fn local_route(v4: Option<String>, v6: Option<String>) -> Route {
    Route {
        destination_cidr_block: v4,
        destination_ipv6_cidr_block: v6,
        gateway_id: Some("local".into()),
        origin: Some("CreateRouteTable".into()),
        state: Some("active".into()),
        ..Default::default()
    }
}

/// Whether a route target still exists (and, for an internet or VPN gateway, is attached here).
fn target_alive(state: &Ec2State, vpc_id: &str, target: &str) -> bool {
    if target.starts_with("igw-") {
        return state.internet_gateways.get(target).is_some_and(|g| internet_gateways::attached_vpc(g) == Some(vpc_id));
    }
    if target.starts_with("vgw-") {
        return vpn_gateways::attached_vpc(state, target) == Some(vpc_id);
    }
    if target.starts_with("tgw-") {
        return state.transit.attached_to_vpc(target, vpc_id);
    }
    crate::vpc::dependents::route_target_alive(state, target)
}

pub fn create_route_table(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateRouteTableRequest,
) -> Result<CreateRouteTableResult, ApiError> {
    vpcs::get(state, &input.vpc_id)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "route-table")?;
    let id = create_route_table_record(state, ctx, &input.vpc_id, false);
    state.set_tags(&id, tags);
    Ok(CreateRouteTableResult { route_table: Some(describe_one(state, &id)), client_token: input.client_token })
}

pub fn delete_route_table(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteRouteTableRequest,
) -> Result<(), ApiError> {
    let t = get(state, &input.route_table_id)?;
    if !t.associations.as_deref().unwrap_or_default().is_empty() {
        return Err(errors::dependency_violation(format!(
            "The routeTable '{}' has dependencies and cannot be deleted.",
            input.route_table_id
        )));
    }
    state.route_tables.remove(&input.route_table_id);
    state.route_servers.forget_route_table(&input.route_table_id);
    state.forget(&input.route_table_id);
    Ok(())
}

/// One route's destination and target, checked against the table's VPC.
struct RouteSpec {
    route: Route,
}

#[allow(clippy::too_many_arguments)]
fn route_spec(
    state: &Ec2State,
    table: &RouteTable,
    dest_v4: Option<&str>,
    dest_v6: Option<&str>,
    dest_pl: Option<&str>,
    targets: &[(&str, Option<&String>)],
) -> Result<RouteSpec, ApiError> {
    let vpc_id = table.vpc_id.clone().unwrap_or_default();
    let mut route = Route { origin: Some("CreateRoute".into()), state: Some("active".into()), ..Default::default() };
    match (dest_v4, dest_v6, dest_pl) {
        (Some(c), None, None) => {
            let block = Ipv4Cidr::parse_loose(c)
                .ok_or_else(|| invalid_value("destinationCidrBlock", c, "This is not a valid CIDR block."))?;
            route.destination_cidr_block = Some(block.to_string());
        }
        (None, Some(c), None) => {
            let block = Ipv6Cidr::parse(c)
                .ok_or_else(|| invalid_value("destinationIpv6CidrBlock", c, "This is not a valid IPv6 CIDR block."))?;
            route.destination_ipv6_cidr_block = Some(block.to_string());
        }
        (None, None, Some(pl)) => {
            if !crate::vpc::dependents::prefix_list_exists(state, pl) {
                return Err(nimbus_core::ApiError::client(
                    "InvalidPrefixListID.NotFound",
                    format!("The prefix list ID '{pl}' does not exist"),
                ));
            }
            route.destination_prefix_list_id = Some(pl.to_string());
        }
        (None, None, None) => {
            return Err(errors::missing_parameter(
                "destinationCidrBlock or destinationIpv6CidrBlock or destinationPrefixListId",
            ))
        }
        _ => return Err(errors::invalid_parameter_combination(
            "Only one of destinationCidrBlock, destinationIpv6CidrBlock or destinationPrefixListId may be specified",
        )),
    }
    let given: Vec<&(&str, Option<&String>)> = targets.iter().filter(|(_, v)| v.is_some()).collect();
    let (kind, id) = match given.as_slice() {
        [(kind, Some(id))] => (*kind, id.as_str()),
        [] => {
            return Err(errors::missing_parameter("a route target (gatewayId, natGatewayId, networkInterfaceId, ...)"))
        }
        _ => return Err(errors::invalid_parameter_combination("More than one target specified")),
    };
    // The target must exist; a gateway must be in this VPC.
    match kind {
        "gateway" if id.starts_with("igw-") => {
            let igw =
                state.internet_gateways.get(id).ok_or_else(|| errors::invalid_internet_gateway_id_not_found(id))?;
            if internet_gateways::attached_vpc(igw) != Some(vpc_id.as_str()) {
                return Err(errors::invalid_parameter_value(format!(
                    "route table {} and network gateway {id} belong to different networks",
                    table.route_table_id.as_deref().unwrap_or_default()
                )));
            }
            route.gateway_id = Some(id.to_string());
        }
        "gateway" if id.starts_with("vgw-") => {
            if !crate::vpc::dependents::route_target_exists(state, id) {
                return Err(errors::invalid_vpn_gateway_id_not_found(id));
            }
            if vpn_gateways::attached_vpc(state, id) != Some(vpc_id.as_str()) {
                return Err(errors::invalid_parameter_value(format!(
                    "route table {} and network gateway {id} belong to different networks",
                    table.route_table_id.as_deref().unwrap_or_default()
                )));
            }
            route.gateway_id = Some(id.to_string());
        }
        "gateway" => {
            if !crate::vpc::dependents::route_target_exists(state, id) {
                return Err(nimbus_core::ApiError::client(
                    "InvalidGatewayID.NotFound",
                    format!("The gateway ID '{id}' does not exist"),
                ));
            }
            route.gateway_id = Some(id.to_string());
        }
        // A transit gateway is a target only once it is attached to the table's VPC
        // (AWS's wording for CreateRoute, as quoted in terraform-provider-aws #9222).
        "tgw" if !state.transit.attached_to_vpc(id, &vpc_id) => {
            return Err(nimbus_core::ApiError::client(
                "InvalidTransitGatewayID.NotFound",
                format!("The transitGateway ID '{id}' does not exist."),
            ));
        }
        other => {
            if !crate::vpc::dependents::route_target_exists(state, id) {
                let code = match other {
                    "nat" => "InvalidNatGatewayID.NotFound",
                    "eni" => "InvalidNetworkInterfaceID.NotFound",
                    "instance" => "InvalidInstanceID.NotFound",
                    "pcx" => "InvalidVpcPeeringConnectionID.NotFound",
                    "eigw" => "InvalidGatewayID.NotFound",
                    _ => "InvalidParameterValue",
                };
                return Err(nimbus_core::ApiError::client(code, format!("The ID '{id}' does not exist")));
            }
            match other {
                "nat" => route.nat_gateway_id = Some(id.to_string()),
                "eni" => route.network_interface_id = Some(id.to_string()),
                "instance" => route.instance_id = Some(id.to_string()),
                "pcx" => route.vpc_peering_connection_id = Some(id.to_string()),
                "eigw" => route.egress_only_internet_gateway_id = Some(id.to_string()),
                "tgw" => route.transit_gateway_id = Some(id.to_string()),
                "lgw" => route.local_gateway_id = Some(id.to_string()),
                "cagw" => route.carrier_gateway_id = Some(id.to_string()),
                _ => route.gateway_id = Some(id.to_string()),
            }
        }
    }
    Ok(RouteSpec { route })
}

fn same_destination(a: &Route, b: &Route) -> bool {
    a.destination_cidr_block == b.destination_cidr_block
        && a.destination_ipv6_cidr_block == b.destination_ipv6_cidr_block
        && a.destination_prefix_list_id == b.destination_prefix_list_id
}

pub fn create_route(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: CreateRouteRequest,
) -> Result<CreateRouteResult, ApiError> {
    let table = get(state, &input.route_table_id)?;
    let targets = [
        ("gateway", input.gateway_id.as_ref()),
        ("gateway", input.vpc_endpoint_id.as_ref()),
        ("nat", input.nat_gateway_id.as_ref()),
        ("eni", input.network_interface_id.as_ref()),
        ("instance", input.instance_id.as_ref()),
        ("pcx", input.vpc_peering_connection_id.as_ref()),
        ("eigw", input.egress_only_internet_gateway_id.as_ref()),
        ("tgw", input.transit_gateway_id.as_ref()),
        ("lgw", input.local_gateway_id.as_ref()),
        ("cagw", input.carrier_gateway_id.as_ref()),
    ];
    let spec = route_spec(
        state,
        table,
        input.destination_cidr_block.as_deref(),
        input.destination_ipv6_cidr_block.as_deref(),
        input.destination_prefix_list_id.as_deref(),
        &targets,
    )?;
    let dest = destination(&spec.route).unwrap_or_default().to_string();
    let shown = describe_one(state, &input.route_table_id);
    if shown.routes.iter().flatten().any(|r| same_destination(r, &spec.route)) {
        return Err(errors::route_already_exists(dest));
    }
    let t = state.route_tables.get_mut(&input.route_table_id).expect("checked above");
    t.routes.get_or_insert_with(Vec::new).push(spec.route);
    Ok(CreateRouteResult { r#return: Some(true) })
}

pub fn replace_route(state: &mut Ec2State, _ctx: &RequestContext, input: ReplaceRouteRequest) -> Result<(), ApiError> {
    let table = get(state, &input.route_table_id)?;
    if input.local_target == Some(true) {
        return Err(errors::invalid_parameter_value(
            "Replacing a route with the local target is not supported by nimbus.",
        ));
    }
    let targets = [
        ("gateway", input.gateway_id.as_ref()),
        ("gateway", input.vpc_endpoint_id.as_ref()),
        ("nat", input.nat_gateway_id.as_ref()),
        ("eni", input.network_interface_id.as_ref()),
        ("instance", input.instance_id.as_ref()),
        ("pcx", input.vpc_peering_connection_id.as_ref()),
        ("eigw", input.egress_only_internet_gateway_id.as_ref()),
        ("tgw", input.transit_gateway_id.as_ref()),
        ("lgw", input.local_gateway_id.as_ref()),
        ("cagw", input.carrier_gateway_id.as_ref()),
    ];
    let spec = route_spec(
        state,
        table,
        input.destination_cidr_block.as_deref(),
        input.destination_ipv6_cidr_block.as_deref(),
        input.destination_prefix_list_id.as_deref(),
        &targets,
    )?;
    let t = state.route_tables.get_mut(&input.route_table_id).expect("checked above");
    let Some(existing) = t.routes.iter_mut().flatten().find(|r| same_destination(r, &spec.route)) else {
        return Err(errors::invalid_parameter_value(format!(
            "There is no route defined for '{}' in the route table. Use CreateRoute instead.",
            destination(&spec.route).unwrap_or_default()
        )));
    };
    let mut route = spec.route;
    route.origin = Some("CreateRoute".into());
    *existing = route;
    Ok(())
}

pub fn delete_route(state: &mut Ec2State, _ctx: &RequestContext, input: DeleteRouteRequest) -> Result<(), ApiError> {
    get(state, &input.route_table_id)?;
    let want = Route {
        destination_cidr_block: input
            .destination_cidr_block
            .as_deref()
            .and_then(Ipv4Cidr::parse_loose)
            .map(|c| c.to_string()),
        destination_ipv6_cidr_block: input
            .destination_ipv6_cidr_block
            .as_deref()
            .and_then(Ipv6Cidr::parse)
            .map(|c| c.to_string()),
        destination_prefix_list_id: input.destination_prefix_list_id.clone(),
        ..Default::default()
    };
    let dest = input
        .destination_cidr_block
        .clone()
        .or(input.destination_ipv6_cidr_block.clone())
        .or(input.destination_prefix_list_id.clone())
        .ok_or_else(|| errors::missing_parameter("destinationCidrBlock"))?;
    let t = state.route_tables.get_mut(&input.route_table_id).expect("checked above");
    let routes = t.routes.get_or_insert_with(Vec::new);
    let before = routes.len();
    routes.retain(|r| !same_destination(r, &want));
    if routes.len() == before {
        return Err(errors::invalid_route_not_found(dest, &input.route_table_id));
    }
    Ok(())
}

/// The table a subnet is explicitly associated with, if any.
fn subnet_association(state: &Ec2State, subnet_id: &str) -> Option<(String, String)> {
    state.route_tables.iter().find_map(|(rtb, t)| {
        t.associations
            .iter()
            .flatten()
            .find(|a| a.subnet_id.as_deref() == Some(subnet_id))
            .map(|a| (rtb.clone(), a.route_table_association_id.clone().unwrap_or_default()))
    })
}

pub fn associate_route_table(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: AssociateRouteTableRequest,
) -> Result<AssociateRouteTableResult, ApiError> {
    let table = get(state, &input.route_table_id)?;
    let vpc_id = table.vpc_id.clone().unwrap_or_default();
    let assoc = match (input.subnet_id.as_deref(), input.gateway_id.as_deref()) {
        (Some(subnet_id), None) => {
            let s = subnets::get(state, subnet_id)?;
            if s.subnet.vpc_id.as_deref() != Some(vpc_id.as_str()) {
                return Err(errors::invalid_parameter_value(format!(
                    "route table {} and subnet {subnet_id} belong to different networks",
                    input.route_table_id
                )));
            }
            if let Some((rtb, _)) = subnet_association(state, subnet_id) {
                return Err(nimbus_core::ApiError::client(
                    "Resource.AlreadyAssociated",
                    format!("the specified association for route table {rtb} conflicts with an existing association"),
                ));
            }
            association(&input.route_table_id, Some(subnet_id), None, false)
        }
        (None, Some(gateway_id)) => {
            let attached = state.internet_gateways.get(gateway_id).map(internet_gateways::attached_vpc);
            match attached {
                None if !crate::vpc::dependents::route_target_exists(state, gateway_id) => {
                    return Err(nimbus_core::ApiError::client(
                        "InvalidGatewayID.NotFound",
                        format!("The gateway ID '{gateway_id}' does not exist"),
                    ));
                }
                Some(v) if v != Some(vpc_id.as_str()) => {
                    return Err(errors::invalid_parameter_value(format!(
                        "route table {} and network gateway {gateway_id} belong to different networks",
                        input.route_table_id
                    )));
                }
                _ => {}
            }
            let taken = state
                .route_tables
                .values()
                .any(|t| t.associations.iter().flatten().any(|a| a.gateway_id.as_deref() == Some(gateway_id)));
            if taken {
                return Err(nimbus_core::ApiError::client(
                    "Resource.AlreadyAssociated",
                    format!(
                        "the specified association for route table {} conflicts with an existing association",
                        input.route_table_id
                    ),
                ));
            }
            association(&input.route_table_id, None, Some(gateway_id), false)
        }
        (None, None) => return Err(errors::missing_parameter("subnetId or gatewayId")),
        (Some(_), Some(_)) => {
            return Err(errors::invalid_parameter_combination("Only one of subnetId or gatewayId may be specified"))
        }
    };
    let id = assoc.route_table_association_id.clone();
    state
        .route_tables
        .get_mut(&input.route_table_id)
        .expect("checked above")
        .associations
        .get_or_insert_with(Vec::new)
        .push(assoc);
    Ok(AssociateRouteTableResult { association_id: id, association_state: Some(associated()) })
}

/// (route table, index of the association) for an association id.
fn find_association(state: &Ec2State, association_id: &str) -> Result<(String, usize), ApiError> {
    state
        .route_tables
        .iter()
        .find_map(|(rtb, t)| {
            t.associations
                .iter()
                .flatten()
                .position(|a| a.route_table_association_id.as_deref() == Some(association_id))
                .map(|i| (rtb.clone(), i))
        })
        .ok_or_else(|| errors::invalid_association_id_not_found(association_id))
}

pub fn disassociate_route_table(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DisassociateRouteTableRequest,
) -> Result<(), ApiError> {
    let (rtb, i) = find_association(state, &input.association_id)?;
    let t = state.route_tables.get_mut(&rtb).expect("found above");
    let assocs = t.associations.get_or_insert_with(Vec::new);
    if assocs[i].main == Some(true) {
        return Err(errors::invalid_parameter_value(format!(
            "cannot disassociate the main route table association {}",
            input.association_id
        )));
    }
    assocs.remove(i);
    Ok(())
}

pub fn replace_route_table_association(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ReplaceRouteTableAssociationRequest,
) -> Result<ReplaceRouteTableAssociationResult, ApiError> {
    let (old_rtb, i) = find_association(state, &input.association_id)?;
    let new_table = get(state, &input.route_table_id)?;
    let old = state.route_tables[&old_rtb].associations.as_ref().expect("found above")[i].clone();
    if new_table.vpc_id != state.route_tables[&old_rtb].vpc_id {
        return Err(errors::invalid_parameter_value(format!(
            "route table {} and association {} belong to different networks",
            input.route_table_id, input.association_id
        )));
    }
    let new =
        association(&input.route_table_id, old.subnet_id.as_deref(), old.gateway_id.as_deref(), old.main == Some(true));
    let new_id = new.route_table_association_id.clone();
    state.route_tables.get_mut(&old_rtb).expect("found above").associations.get_or_insert_with(Vec::new).remove(i);
    state
        .route_tables
        .get_mut(&input.route_table_id)
        .expect("checked above")
        .associations
        .get_or_insert_with(Vec::new)
        .push(new);
    if old.main == Some(true) {
        if let Some(vpc_id) = state.route_tables[&input.route_table_id].vpc_id.clone() {
            if let Some(v) = state.vpcs.get_mut(&vpc_id) {
                v.main_route_table_id = input.route_table_id.clone();
            }
        }
    }
    Ok(ReplaceRouteTableAssociationResult { new_association_id: new_id, association_state: Some(associated()) })
}

/// Drops a deleted subnet's explicit association.
pub fn forget_subnet(state: &mut Ec2State, subnet_id: &str) {
    for t in state.route_tables.values_mut() {
        if let Some(a) = t.associations.as_mut() {
            a.retain(|a| a.subnet_id.as_deref() != Some(subnet_id));
        }
    }
}

impl Filterable for RouteTable {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let assoc = self.associations.iter().flatten();
        let routes = self.routes.iter().flatten();
        let collect = |f: fn(&Route) -> Option<String>| routes.clone().filter_map(f).collect::<Vec<_>>();
        Some(match name {
            "association.gateway-id" => assoc.filter_map(|a| a.gateway_id.clone()).collect(),
            "association.route-table-association-id" => {
                assoc.filter_map(|a| a.route_table_association_id.clone()).collect()
            }
            "association.route-table-id" => assoc.filter_map(|a| a.route_table_id.clone()).collect(),
            "association.subnet-id" => assoc.filter_map(|a| a.subnet_id.clone()).collect(),
            "association.main" => assoc.map(|a| a.main.unwrap_or(false).to_string()).collect(),
            "owner-id" => self.owner_id.iter().cloned().collect(),
            "route-table-id" => self.route_table_id.iter().cloned().collect(),
            "route.destination-cidr-block" => collect(|r| r.destination_cidr_block.clone()),
            "route.destination-ipv6-cidr-block" => collect(|r| r.destination_ipv6_cidr_block.clone()),
            "route.destination-prefix-list-id" => collect(|r| r.destination_prefix_list_id.clone()),
            "route.egress-only-internet-gateway-id" => collect(|r| r.egress_only_internet_gateway_id.clone()),
            "route.gateway-id" => collect(|r| r.gateway_id.clone()),
            "route.instance-id" => collect(|r| r.instance_id.clone()),
            "route.nat-gateway-id" => collect(|r| r.nat_gateway_id.clone()),
            "route.transit-gateway-id" => collect(|r| r.transit_gateway_id.clone()),
            "route.origin" => collect(|r| r.origin.clone()),
            "route.state" => collect(|r| r.state.clone()),
            "route.vpc-peering-connection-id" => collect(|r| r.vpc_peering_connection_id.clone()),
            "vpc-id" => self.vpc_id.iter().cloned().collect(),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_route_tables(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeRouteTablesRequest,
) -> Result<DescribeRouteTablesResult, ApiError> {
    let paging = input.page();
    let ids = input.route_table_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all =
        state.route_tables.keys().filter(|id| ids.is_empty() || ids.contains(id)).map(|id| describe_one(state, id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |t| t.route_table_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeRouteTablesResult { route_tables: Some(page), next_token: next })
}
