//! Transit gateways: create (with the default route table its options ask for), describe,
//! modify (options, CIDR blocks, default tables), delete (refused while attachments
//! remain; its route tables, policy tables and multicast domains go with it).

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::common::{self, delay, gateway, toggle, ts};
use crate::generated::dto::{
    CreateTransitGatewayRequest, CreateTransitGatewayResult, DeleteTransitGatewayRequest, DeleteTransitGatewayResult,
    DescribeTransitGatewaysRequest, DescribeTransitGatewaysResult, ModifyTransitGatewayRequest,
    ModifyTransitGatewayResult, TransitGateway, TransitGatewayOptions,
};
use crate::generated::errors;
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::params::invalid_value;
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::transit::{GatewayRecord, Life, RouteTableRecord, Stage};
use crate::state::Ec2State;

/// The Amazon side's ASN when the request names none.
pub const DEFAULT_ASN: i64 = 64512;
/// A gateway has at most five CIDR blocks.
const MAX_CIDR_BLOCKS: usize = 5;

fn valid_asn(asn: i64) -> bool {
    (64512..=65534).contains(&asn) || (4_200_000_000..=4_294_967_294).contains(&asn)
}

fn check_asn(asn: i64) -> Result<(), ApiError> {
    if valid_asn(asn) {
        return Ok(());
    }
    Err(invalid_value(
        "amazonSideAsn",
        asn,
        "The ASN must be a private ASN in the range 64512-65534 or 4200000000-4294967294.",
    ))
}

/// A gateway CIDR block: IPv4 /24 or larger (not link-local), IPv6 /64 or larger.
fn check_cidr_block(block: &str) -> Result<String, ApiError> {
    if let Some(c) = Ipv4Cidr::parse(block) {
        let link_local = Ipv4Cidr::parse("169.254.0.0/16").expect("a valid block");
        if c.len <= 24 && !link_local.overlaps(&c) {
            return Ok(c.to_string());
        }
    } else if let Some(c) = Ipv6Cidr::parse(block) {
        if c.len <= 64 {
            return Ok(c.to_string());
        }
    }
    Err(invalid_value(
        "transitGatewayCidrBlocks",
        block,
        "A transit gateway CIDR block must be an IPv4 block of /24 or larger outside 169.254.0.0/16, or an IPv6 block of /64 or larger.",
    ))
}

fn check_cidr_blocks(blocks: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for b in blocks {
        let c = check_cidr_block(b)?;
        let overlaps = out.iter().any(|o| match (Ipv4Cidr::parse(o), Ipv4Cidr::parse(&c)) {
            (Some(x), Some(y)) => x.overlaps(&y),
            _ => matches!((Ipv6Cidr::parse(o), Ipv6Cidr::parse(&c)), (Some(x), Some(y)) if x.overlaps(&y)),
        });
        if overlaps {
            return Err(invalid_value(
                "transitGatewayCidrBlocks",
                b,
                "The CIDR blocks of a transit gateway must not overlap.",
            ));
        }
        out.push(c);
    }
    if out.len() > MAX_CIDR_BLOCKS {
        return Err(errors::invalid_parameter_value(format!(
            "A transit gateway can have at most {MAX_CIDR_BLOCKS} CIDR blocks."
        )));
    }
    Ok(out)
}

fn check_description(d: &Option<String>) -> Result<(), ApiError> {
    if d.as_ref().is_some_and(|d| d.chars().count() > 255) {
        return Err(invalid_value("description", "...", "The description must be at most 255 characters."));
    }
    Ok(())
}

/// A new route table of the gateway, as CreateTransitGatewayRouteTable and the default
/// table make it.
pub fn new_route_table(state: &mut Ec2State, tgw_id: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let id = ids::resource_id("tgw-rtb");
    state.transit.route_tables.insert(
        id.clone(),
        RouteTableRecord {
            id: id.clone(),
            tgw_id: tgw_id.to_string(),
            creation_time: now,
            life: Life::new(Stage::Created, now),
            associations: Default::default(),
            propagations: Default::default(),
            routes: Default::default(),
            prefix_list_references: Default::default(),
        },
    );
    id
}

/// A gateway as Describe shows it at `now`.
pub fn describe_one(state: &Ec2State, ctx: &RequestContext, id: &str) -> TransitGateway {
    let g = &state.transit.gateways[id];
    let mut out = g.gateway.clone();
    out.state = Some(g.life.shown(delay(state), ctx.now).into());
    out.tags = state.dto_tags(id);
    // A gateway without CIDR blocks answers none, not an empty list.
    if let Some(o) = out.options.as_mut() {
        o.transit_gateway_cidr_blocks = o.transit_gateway_cidr_blocks.take().filter(|b| !b.is_empty());
    }
    out
}

pub fn create_transit_gateway(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CreateTransitGatewayRequest,
) -> Result<CreateTransitGatewayResult, ApiError> {
    check_description(&input.description)?;
    let o = input.options.unwrap_or_default();
    let asn = o.amazon_side_asn.unwrap_or(DEFAULT_ASN);
    check_asn(asn)?;
    let association = toggle("options.defaultRouteTableAssociation", &o.default_route_table_association, "enable")?;
    let propagation = toggle("options.defaultRouteTablePropagation", &o.default_route_table_propagation, "enable")?;
    let options = TransitGatewayOptions {
        amazon_side_asn: Some(asn),
        transit_gateway_cidr_blocks: Some(check_cidr_blocks(
            o.transit_gateway_cidr_blocks.as_deref().unwrap_or_default(),
        )?),
        auto_accept_shared_attachments: Some(toggle(
            "options.autoAcceptSharedAttachments",
            &o.auto_accept_shared_attachments,
            "disable",
        )?),
        default_route_table_association: Some(association.clone()),
        association_default_route_table_id: None,
        default_route_table_propagation: Some(propagation.clone()),
        propagation_default_route_table_id: None,
        vpn_ecmp_support: Some(toggle("options.vpnEcmpSupport", &o.vpn_ecmp_support, "enable")?),
        dns_support: Some(toggle("options.dnsSupport", &o.dns_support, "enable")?),
        security_group_referencing_support: Some(toggle(
            "options.securityGroupReferencingSupport",
            &o.security_group_referencing_support,
            "disable",
        )?),
        multicast_support: Some(toggle("options.multicastSupport", &o.multicast_support, "disable")?),
        encryption_support: None,
    };
    let tags = spec_tags(input.tag_specifications.as_deref(), "transit-gateway")?;
    common::prune(state, shared, ctx);
    let id = ids::resource_id("tgw");
    let mut gateway = TransitGateway {
        transit_gateway_id: Some(id.clone()),
        transit_gateway_arn: Some(format!("arn:aws:ec2:{}:{}:transit-gateway/{id}", ctx.region, ctx.account())),
        state: None,
        owner_id: Some(ctx.account().to_string()),
        description: input.description.clone(),
        creation_time: ts(ctx.now),
        options: Some(options),
        tags: None,
    };
    // One default route table serves association and propagation, as at AWS.
    if association == "enable" || propagation == "enable" {
        let table = new_route_table(state, &id, ctx.now);
        let o = gateway.options.as_mut().expect("set above");
        if association == "enable" {
            o.association_default_route_table_id = Some(table.clone());
        }
        if propagation == "enable" {
            o.propagation_default_route_table_id = Some(table);
        }
    }
    state.transit.gateways.insert(id.clone(), GatewayRecord { gateway, life: Life::new(Stage::Created, ctx.now) });
    state.set_tags(&id, tags);
    state.unpublished.insert(id.clone());
    let mut shown = describe_one(state, ctx, &id);
    shown.state = Some("pending".into());
    Ok(CreateTransitGatewayResult { transit_gateway: Some(shown) })
}

impl Filterable for TransitGateway {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let o = self.options.clone().unwrap_or_default();
        let one = |v: Option<String>| v.into_iter().collect::<Vec<_>>();
        Some(match name {
            "options.propagation-default-route-table-id" => one(o.propagation_default_route_table_id),
            "options.amazon-side-asn" => one(o.amazon_side_asn.map(|a| a.to_string())),
            "options.association-default-route-table-id" => one(o.association_default_route_table_id),
            "options.auto-accept-shared-attachments" => one(o.auto_accept_shared_attachments),
            "options.default-route-table-association" => one(o.default_route_table_association),
            "options.default-route-table-propagation" => one(o.default_route_table_propagation),
            "options.dns-support" => one(o.dns_support),
            "options.vpn-ecmp-support" => one(o.vpn_ecmp_support),
            "options.multicast-support" => one(o.multicast_support),
            "options.security-group-referencing-support" => one(o.security_group_referencing_support),
            "owner-id" => one(self.owner_id.clone()),
            "state" => one(self.state.clone()),
            "transit-gateway-id" => one(self.transit_gateway_id.clone()),
            "description" => one(self.description.clone()),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_transit_gateways(
    state: &Ec2State,
    ctx: &RequestContext,
    _shared: &Shared,
    input: DescribeTransitGatewaysRequest,
) -> Result<DescribeTransitGatewaysResult, ApiError> {
    let paging = input.page();
    let (d, now) = (delay(state), ctx.now);
    let ids = input.transit_gateway_ids.unwrap_or_default();
    for id in &ids {
        if !state.transit.gateways.get(id).is_some_and(|g| g.life.visible(d, now)) {
            return Err(errors::invalid_transit_gateway_id_not_found(id));
        }
    }
    let all = state
        .transit
        .gateways
        .iter()
        .filter(|(id, g)| g.life.visible(d, now) && (ids.is_empty() || ids.contains(id)))
        .map(|(id, _)| describe_one(state, ctx, id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |g| g.transit_gateway_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeTransitGatewaysResult { transit_gateways: Some(page), next_token: next })
}

/// `enable` with the table to use (the one given, else the gateway's current one), or
/// `disable`.
fn default_table(
    state: &Ec2State,
    tgw_id: &str,
    what: &str,
    wanted: &Option<String>,
    given: &Option<String>,
    current: &Option<String>,
) -> Result<(Option<String>, Option<String>), ApiError> {
    if let Some(t) = given {
        if !state.transit.route_tables.get(t).is_some_and(|r| r.tgw_id == tgw_id && !r.life.finished()) {
            return Err(common::route_table_not_found(t));
        }
    }
    let Some(wanted) = wanted else {
        return Ok((None, given.clone().or_else(|| current.clone())));
    };
    crate::state::params::one_of(&format!("options.default{what}"), wanted, &["enable", "disable"])?;
    if wanted == "disable" {
        return Ok((Some(wanted.clone()), None));
    }
    match given.clone().or_else(|| current.clone()) {
        Some(t) => Ok((Some(wanted.clone()), Some(t))),
        // AWS's words, as quoted in landing-zone-accelerator-on-aws #634.
        None => Err(errors::invalid_parameter_value(format!(
            "enable Default{what} conflicts with {}DefaultRouteTableId null",
            if what == "RouteTableAssociation" { "Association" } else { "Propagation" }
        ))),
    }
}

pub fn modify_transit_gateway(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: ModifyTransitGatewayRequest,
) -> Result<ModifyTransitGatewayResult, ApiError> {
    let id = input.transit_gateway_id.as_str();
    let g = common::available_gateway(state, ctx, id)?;
    check_description(&input.description)?;
    let mut o = g.options().clone();
    let m = input.options.unwrap_or_default();
    if let Some(asn) = m.amazon_side_asn {
        check_asn(asn)?;
        let bgp = state
            .transit
            .attachments
            .values()
            .any(|a| a.tgw_id == id && !a.life.finished() && matches!(a.resource_type.as_str(), "vpn" | "connect"));
        if bgp && asn != g.asn() {
            return Err(errors::incorrect_state(format!(
                "The Amazon side ASN of {id} cannot be changed while it has VPN or Connect attachments."
            )));
        }
        o.amazon_side_asn = Some(asn);
    }
    let mut blocks: Vec<String> = o.transit_gateway_cidr_blocks.clone().unwrap_or_default();
    for b in m.remove_transit_gateway_cidr_blocks.iter().flatten() {
        let c = check_cidr_block(b)?;
        blocks.retain(|x| *x != c);
    }
    for b in m.add_transit_gateway_cidr_blocks.iter().flatten() {
        let c = check_cidr_block(b)?;
        if !blocks.contains(&c) {
            blocks.push(c);
        }
    }
    o.transit_gateway_cidr_blocks = Some(check_cidr_blocks(&blocks)?);
    for (field, value, name) in [
        (&mut o.vpn_ecmp_support, &m.vpn_ecmp_support, "options.vpnEcmpSupport"),
        (&mut o.dns_support, &m.dns_support, "options.dnsSupport"),
        (
            &mut o.security_group_referencing_support,
            &m.security_group_referencing_support,
            "options.securityGroupReferencingSupport",
        ),
        (
            &mut o.auto_accept_shared_attachments,
            &m.auto_accept_shared_attachments,
            "options.autoAcceptSharedAttachments",
        ),
    ] {
        if value.is_some() {
            *field = Some(toggle(name, value, "")?);
        }
    }
    let (assoc, assoc_table) = default_table(
        state,
        id,
        "RouteTableAssociation",
        &m.default_route_table_association,
        &m.association_default_route_table_id,
        &o.association_default_route_table_id,
    )?;
    if let Some(a) = assoc {
        o.default_route_table_association = Some(a);
    }
    o.association_default_route_table_id = assoc_table;
    let (prop, prop_table) = default_table(
        state,
        id,
        "RouteTablePropagation",
        &m.default_route_table_propagation,
        &m.propagation_default_route_table_id,
        &o.propagation_default_route_table_id,
    )?;
    if let Some(p) = prop {
        o.default_route_table_propagation = Some(p);
    }
    o.propagation_default_route_table_id = prop_table;
    let g = state.transit.gateways.get_mut(id).expect("checked above");
    if let Some(d) = input.description {
        g.gateway.description = Some(d);
    }
    g.gateway.options = Some(o);
    g.life = Life::new(Stage::Modified, ctx.now);
    let _ = shared;
    let mut shown = describe_one(state, ctx, id);
    shown.state = Some("modifying".into());
    Ok(ModifyTransitGatewayResult { transit_gateway: Some(shown) })
}

pub fn delete_transit_gateway(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DeleteTransitGatewayRequest,
) -> Result<DeleteTransitGatewayResult, ApiError> {
    let id = input.transit_gateway_id.as_str();
    let g = gateway(state, id)?;
    if g.life.shown(delay(state), ctx.now) == "pending" {
        return Err(common::invalid_state(id));
    }
    let here = common::attachments_here(state, shared, ctx);
    let remaining: Vec<&crate::state::transit::AttachmentRecord> = here
        .iter()
        .filter(|a| a.gateways().contains(&id) && !common::attachment_life(state, shared, ctx, a).finished())
        .collect();
    if let Some(first) = remaining.first() {
        let kind = match first.resource_type.as_str() {
            "peering" => {
                let p = first.peering().expect("a peering attachment");
                if p.requester.region != p.accepter.region {
                    "Transit Gateway Cross Region Peering Attachments"
                } else {
                    "Transit Gateway Peering Attachments"
                }
            }
            "direct-connect-gateway" => "DirectConnect Gateway Attachments",
            _ => "Transit Gateway Attachments",
        };
        let ids: Vec<&str> =
            remaining.iter().filter(|a| a.resource_type == first.resource_type).map(|a| a.id.as_str()).collect();
        return Err(errors::incorrect_state(format!("{id} has non-deleted {kind}: {}.", ids.join(", "))));
    }
    let now = ctx.now;
    let t = &mut state.transit;
    t.gateways.get_mut(id).expect("checked above").life = Life::new(Stage::Deleted, now);
    for table in t.route_tables.values_mut().filter(|r| r.tgw_id == id && !r.life.finished()) {
        table.life = Life::new(Stage::Deleted, now);
    }
    for domain in t.multicast_domains.values_mut().filter(|d| d.tgw_id == id && !d.life.finished()) {
        domain.life = Life::new(Stage::Deleted, now);
        domain.groups.clear();
    }
    state.unpublished.insert(id.to_string());
    let mut shown = describe_one(state, ctx, id);
    shown.state = Some("deleting".into());
    Ok(DeleteTransitGatewayResult { transit_gateway: Some(shown) })
}
