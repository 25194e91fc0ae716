//! The routes of a transit gateway route table, as AWS derives them: static routes (to an
//! attachment, or blackholes; a route to an attachment that no longer carries traffic
//! is a blackhole), the entries of referenced prefix lists, and the routes propagating
//! attachments bring (an attached VPC's CIDR blocks; its IPv6 blocks with IPv6 support).
//! A static route wins over a propagated one to the same destination.
//! CreateTransitGatewayRoute, DeleteTransitGatewayRoute, ReplaceTransitGatewayRoute,
//! SearchTransitGatewayRoutes.

use std::collections::BTreeMap;

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use super::common::{self, attachment_up, delay};
use crate::generated::dto::{
    CreateTransitGatewayRouteRequest, CreateTransitGatewayRouteResult, DeleteTransitGatewayRouteRequest,
    DeleteTransitGatewayRouteResult, Filter, ReplaceTransitGatewayRouteRequest, ReplaceTransitGatewayRouteResult,
    SearchTransitGatewayRoutesRequest, SearchTransitGatewayRoutesResult, TransitGatewayRoute,
    TransitGatewayRouteAttachment,
};
use crate::generated::errors;
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::params::invalid_value;
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate};
use crate::state::transit::{AttachmentKind, RouteTableRecord, StaticRoute};
use crate::state::Ec2State;
use crate::vpc::vpcs;

/// An IPv4 or IPv6 block, for the route-search filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    V4(Ipv4Cidr),
    V6(Ipv6Cidr),
}

impl Block {
    /// A block, or a single address as a /32 or /128; host bits are cleared.
    pub fn parse(s: &str) -> Option<Block> {
        let s = s.trim();
        if let Some(c) = Ipv4Cidr::parse_loose(s) {
            return Some(Block::V4(c));
        }
        if let Ok(a) = s.parse::<std::net::Ipv4Addr>() {
            return Some(Block::V4(Ipv4Cidr { addr: u32::from(a), len: 32 }));
        }
        if let Some((addr, len)) = s.split_once('/') {
            let addr: std::net::Ipv6Addr = addr.parse().ok()?;
            let len: u8 = len.parse().ok().filter(|l| *l <= 128)?;
            let mut c = Ipv6Cidr { addr: u128::from(addr), len };
            c.addr &= c.mask();
            return Some(Block::V6(c));
        }
        s.parse::<std::net::Ipv6Addr>().ok().map(|a| Block::V6(Ipv6Cidr { addr: u128::from(a), len: 128 }))
    }

    pub fn len(&self) -> u8 {
        match self {
            Block::V4(c) => c.len,
            Block::V6(c) => c.len,
        }
    }

    pub fn contains(&self, other: &Block) -> bool {
        match (self, other) {
            (Block::V4(a), Block::V4(b)) => a.contains(b),
            (Block::V6(a), Block::V6(b)) => a.contains(b),
            _ => false,
        }
    }
}

impl std::fmt::Display for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Block::V4(c) => c.fmt(f),
            Block::V6(c) => c.fmt(f),
        }
    }
}

/// A route's destination, checked and in canonical form.
fn destination(cidr: &str) -> Result<String, ApiError> {
    let block = cidr.contains('/').then(|| Block::parse(cidr)).flatten();
    block
        .map(|b| b.to_string())
        .ok_or_else(|| invalid_value("destinationCidrBlock", cidr, "This is not a valid CIDR block."))
}

/// The attachments entry of a route to `attachment_id`, with the attachment's resource.
fn route_attachment(
    state: &Ec2State,
    shared: &Shared,
    ctx: &RequestContext,
    attachment_id: &str,
) -> TransitGatewayRouteAttachment {
    let a = common::find_attachment(state, shared, ctx, attachment_id, "Attachment").ok();
    TransitGatewayRouteAttachment {
        resource_id: a.as_ref().map(|a| a.resource_id.clone()),
        transit_gateway_attachment_id: Some(attachment_id.to_string()),
        resource_type: a.map(|a| a.resource_type),
    }
}

/// A static route (or a prefix-list entry) as the table shows it.
fn static_route(
    state: &Ec2State,
    shared: &Shared,
    ctx: &RequestContext,
    cidr: &str,
    route: &StaticRoute,
    prefix_list: Option<&str>,
) -> TransitGatewayRoute {
    let up = route.attachment_id.as_deref().is_some_and(|a| attachment_up(state, shared, ctx, a));
    TransitGatewayRoute {
        destination_cidr_block: Some(cidr.to_string()),
        prefix_list_id: prefix_list.map(str::to_string),
        transit_gateway_route_table_announcement_id: None,
        transit_gateway_attachments: route
            .attachment_id
            .as_deref()
            .map(|a| vec![route_attachment(state, shared, ctx, a)]),
        r#type: Some("static".into()),
        state: Some(if route.blackhole || !up { "blackhole" } else { "active" }.into()),
    }
}

/// The CIDR blocks an attachment propagates.
fn propagated_blocks(state: &Ec2State, a: &crate::state::transit::AttachmentRecord) -> Vec<String> {
    match &a.kind {
        AttachmentKind::Vpc(v) => {
            let Some(rec) = state.vpcs.get(&v.vpc_id) else { return Vec::new() };
            let mut out: Vec<String> = vpcs::ipv4_blocks(rec).iter().map(|b| b.to_string()).collect();
            if v.options.ipv6_support.as_deref() == Some("enable") {
                out.extend(vpcs::ipv6_blocks(rec).iter().map(|b| b.to_string()));
            }
            out
        }
        // VPN and Connect attachments learn routes by BGP from the customer side, which
        // nimbus does not run; peering attachments do not propagate.
        _ => Vec::new(),
    }
}

/// Every route of a table, static ones first where they share a destination with
/// propagated ones, in destination order.
pub fn routes_of(
    state: &Ec2State,
    shared: &Shared,
    ctx: &RequestContext,
    table: &RouteTableRecord,
) -> Vec<TransitGatewayRoute> {
    let mut by_destination: BTreeMap<String, TransitGatewayRoute> = BTreeMap::new();
    for (cidr, route) in &table.routes {
        by_destination.insert(cidr.clone(), static_route(state, shared, ctx, cidr, route, None));
    }
    for (pl, reference) in &table.prefix_list_references {
        if reference.life.finished() {
            continue;
        }
        let route = StaticRoute { attachment_id: reference.attachment_id.clone(), blackhole: reference.blackhole };
        for cidr in prefix_list_cidrs(state, pl) {
            by_destination
                .entry(cidr.clone())
                .or_insert_with(|| static_route(state, shared, ctx, &cidr, &route, Some(pl)));
        }
    }
    let (d, now) = (delay(state), ctx.now);
    let mut propagated: BTreeMap<String, Vec<TransitGatewayRouteAttachment>> = BTreeMap::new();
    for (attachment_id, life) in &table.propagations {
        if life.propagation_state(d, now) != Some("enabled") || !attachment_up(state, shared, ctx, attachment_id) {
            continue;
        }
        let Some(a) = state.transit.attachments.get(attachment_id) else { continue };
        for cidr in propagated_blocks(state, a) {
            propagated.entry(cidr).or_default().push(route_attachment(state, shared, ctx, attachment_id));
        }
    }
    for (cidr, attachments) in propagated {
        by_destination.entry(cidr.clone()).or_insert(TransitGatewayRoute {
            destination_cidr_block: Some(cidr),
            transit_gateway_attachments: Some(attachments),
            r#type: Some("propagated".into()),
            state: Some("active".into()),
            ..Default::default()
        });
    }
    by_destination.into_values().collect()
}

/// The entries of a customer-managed prefix list, at its current version.
pub fn prefix_list_cidrs(state: &Ec2State, id: &str) -> Vec<String> {
    let Some(rec) = state.prefix_lists.get(id) else { return Vec::new() };
    let version = rec.list.version.unwrap_or(1);
    rec.versions.get(&version).into_iter().flatten().filter_map(|e| e.cidr.clone()).collect()
}

/// The route's target as given: an attachment of the table's gateway, or a blackhole.
pub fn target(
    state: &Ec2State,
    shared: &Shared,
    ctx: &RequestContext,
    table: &RouteTableRecord,
    attachment_id: Option<&str>,
    blackhole: Option<bool>,
) -> Result<StaticRoute, ApiError> {
    // Terraform sends an empty attachment id with a blackhole.
    match (attachment_id.filter(|a| !a.is_empty()), blackhole.unwrap_or(false)) {
        (Some(_), true) => Err(errors::invalid_parameter_combination(
            "A route cannot have both a transit gateway attachment and blackhole set.",
        )),
        (None, false) => Err(errors::missing_parameter("TransitGatewayAttachmentId")),
        (None, true) => Ok(StaticRoute { attachment_id: None, blackhole: true }),
        (Some(a), false) => {
            let rec = common::live_attachment(state, shared, ctx, a, "Attachment")?;
            if !rec.gateways().contains(&table.tgw_id.as_str()) {
                return Err(errors::invalid_parameter_value(format!(
                    "Transit Gateway Attachment {a} and Transit Gateway Route Table {} belong to different Transit Gateways.",
                    table.id
                )));
            }
            Ok(StaticRoute { attachment_id: Some(a.to_string()), blackhole: false })
        }
    }
}

pub fn create_transit_gateway_route(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CreateTransitGatewayRouteRequest,
) -> Result<CreateTransitGatewayRouteResult, ApiError> {
    let table_id = input.transit_gateway_route_table_id.as_str();
    let table = common::available_route_table(state, ctx, table_id)?;
    let cidr = destination(&input.destination_cidr_block)?;
    let route = target(state, shared, ctx, table, input.transit_gateway_attachment_id.as_deref(), input.blackhole)?;
    if table.routes.contains_key(&cidr) {
        return Err(common::route_already_exists(&cidr, table_id));
    }
    let shown = static_route(state, shared, ctx, &cidr, &route, None);
    state.transit.route_tables.get_mut(table_id).expect("checked above").routes.insert(cidr, route);
    Ok(CreateTransitGatewayRouteResult { route: Some(shown) })
}

pub fn replace_transit_gateway_route(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: ReplaceTransitGatewayRouteRequest,
) -> Result<ReplaceTransitGatewayRouteResult, ApiError> {
    let table_id = input.transit_gateway_route_table_id.as_str();
    let table = common::available_route_table(state, ctx, table_id)?;
    let cidr = destination(&input.destination_cidr_block)?;
    if !table.routes.contains_key(&cidr) {
        return Err(common::route_not_found(&cidr, table_id));
    }
    let route = target(state, shared, ctx, table, input.transit_gateway_attachment_id.as_deref(), input.blackhole)?;
    let shown = static_route(state, shared, ctx, &cidr, &route, None);
    state.transit.route_tables.get_mut(table_id).expect("checked above").routes.insert(cidr, route);
    Ok(ReplaceTransitGatewayRouteResult { route: Some(shown) })
}

pub fn delete_transit_gateway_route(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DeleteTransitGatewayRouteRequest,
) -> Result<DeleteTransitGatewayRouteResult, ApiError> {
    let table_id = input.transit_gateway_route_table_id.as_str();
    let table = common::route_table(state, table_id)?;
    let cidr = destination(&input.destination_cidr_block)?;
    let Some(route) = table.routes.get(&cidr) else {
        return Err(common::route_not_found(&cidr, table_id));
    };
    let mut shown = static_route(state, shared, ctx, &cidr, route, None);
    shown.state = Some("deleted".into());
    state.transit.route_tables.get_mut(table_id).expect("checked above").routes.remove(&cidr);
    Ok(DeleteTransitGatewayRouteResult { route: Some(shown) })
}

impl Filterable for TransitGatewayRoute {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let attachments = self.transit_gateway_attachments.iter().flatten();
        Some(match name {
            "attachment.transit-gateway-attachment-id" => {
                attachments.filter_map(|a| a.transit_gateway_attachment_id.clone()).collect()
            }
            "attachment.resource-id" => attachments.filter_map(|a| a.resource_id.clone()).collect(),
            "attachment.resource-type" => attachments.filter_map(|a| a.resource_type.clone()).collect(),
            "prefix-list-id" => self.prefix_list_id.iter().cloned().collect(),
            "state" => self.state.iter().cloned().collect(),
            "type" => self.r#type.iter().cloned().collect(),
            _ => return None,
        })
    }
}

/// The `route-search.*` filters, which compare blocks rather than values.
fn route_search(routes: Vec<TransitGatewayRoute>, filters: &[Filter]) -> Result<Vec<TransitGatewayRoute>, ApiError> {
    let mut routes = routes;
    for f in filters {
        let name = f.name.as_deref().unwrap_or_default();
        let Some(kind) = name.strip_prefix("route-search.") else { continue };
        let wanted: Vec<Block> = f
            .values
            .iter()
            .flatten()
            .map(|v| Block::parse(v).ok_or_else(|| invalid_value(name, v, "This is not a valid CIDR block.")))
            .collect::<Result<_, _>>()?;
        let block_of = |r: &TransitGatewayRoute| r.destination_cidr_block.as_deref().and_then(Block::parse);
        routes = match kind {
            "exact-match" => routes.into_iter().filter(|r| block_of(r).is_some_and(|b| wanted.contains(&b))).collect(),
            "subnet-of-match" => routes
                .into_iter()
                .filter(|r| block_of(r).is_some_and(|b| wanted.iter().any(|w| w.contains(&b))))
                .collect(),
            "supernet-of-match" => routes
                .into_iter()
                .filter(|r| block_of(r).is_some_and(|b| wanted.iter().any(|w| b.contains(w))))
                .collect(),
            "longest-prefix-match" => {
                let longest: Vec<Option<u8>> = wanted
                    .iter()
                    .map(|w| routes.iter().filter_map(block_of).filter(|b| b.contains(w)).map(|b| b.len()).max())
                    .collect();
                routes
                    .into_iter()
                    .filter(|r| {
                        block_of(r).is_some_and(|b| {
                            wanted.iter().zip(&longest).any(|(w, l)| b.contains(w) && Some(b.len()) == *l)
                        })
                    })
                    .collect()
            }
            _ => return Err(errors::invalid_parameter_value(format!("The filter '{name}' is invalid"))),
        };
    }
    Ok(routes)
}

pub fn search_transit_gateway_routes(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: SearchTransitGatewayRoutesRequest,
) -> Result<SearchTransitGatewayRoutesResult, ApiError> {
    let paging = input.page();
    let table = common::route_table(state, &input.transit_gateway_route_table_id)?;
    let routes = route_search(routes_of(state, shared, ctx, table), &input.filters)?;
    let others: Vec<Filter> = input
        .filters
        .iter()
        .filter(|f| !f.name.as_deref().unwrap_or_default().starts_with("route-search."))
        .cloned()
        .collect();
    let items = filtered(routes, Some(&others))?;
    let (page, next) = paginate(items, |r| r.destination_cidr_block.clone().unwrap_or_default(), paging, false)?;
    Ok(SearchTransitGatewayRoutesResult {
        additional_routes_available: Some(next.is_some()),
        routes: Some(page),
        next_token: next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_parse_and_contain() {
        let a = Block::parse("10.0.0.0/16").unwrap();
        let b = Block::parse("10.0.1.5").unwrap();
        assert!(a.contains(&b) && !b.contains(&a));
        assert_eq!(Block::parse("10.0.0.1/16"), Some(a));
        assert_eq!(Block::parse("2001:db8::1/64").unwrap().to_string(), "2001:db8::/64");
        assert!(Block::parse("nope").is_none());
    }
}
