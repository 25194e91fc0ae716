//! Connect attachments and Connect peers: a Connect attachment runs GRE tunnels over a
//! VPC attachment of the same gateway (its transport); each Connect peer is one tunnel
//! with a BGP session to an appliance. A peer's GRE address on the gateway's side comes
//! from the gateway's CIDR blocks; its inside addresses from a /29 of 169.254.0.0/16
//! (the first for the appliance, the next two for the gateway), and optionally a /125
//! of fd00::/8. nimbus runs no BGP: the sessions stay `down` and learn no routes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::common::{self, attachment_state, delay, live_attachment, ts};
use crate::generated::dto::{
    CreateTransitGatewayConnectPeerRequest, CreateTransitGatewayConnectPeerResult, CreateTransitGatewayConnectRequest,
    CreateTransitGatewayConnectResult, DeleteTransitGatewayConnectPeerRequest, DeleteTransitGatewayConnectPeerResult,
    DeleteTransitGatewayConnectRequest, DeleteTransitGatewayConnectResult, DescribeTransitGatewayConnectPeersRequest,
    DescribeTransitGatewayConnectPeersResult, DescribeTransitGatewayConnectsRequest,
    DescribeTransitGatewayConnectsResult, TransitGatewayAttachmentBgpConfiguration, TransitGatewayConnect,
    TransitGatewayConnectOptions, TransitGatewayConnectPeer, TransitGatewayConnectPeerConfiguration,
};
use crate::generated::errors;
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::params::{invalid_value, one_of};
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::transit::{AttachmentKind, AttachmentRecord, ConnectPeerRecord, Life, Stage};
use crate::state::Ec2State;

const WHAT: &str = "Connect Attachment";
/// A Connect attachment has at most four peers.
const MAX_PEERS: usize = 4;
/// The /29 blocks of 169.254.0.0/16 AWS keeps for itself (Transit Gateway Connect peers,
/// "BGP inside CIDR blocks", AWS's Transit Gateway guide).
const RESERVED: &[&str] = &[
    "169.254.0.0/29",
    "169.254.1.0/29",
    "169.254.2.0/29",
    "169.254.3.0/29",
    "169.254.4.0/29",
    "169.254.5.0/29",
    "169.254.169.248/29",
];

fn connect_of(a: &AttachmentRecord) -> Option<(&str, &str)> {
    match &a.kind {
        AttachmentKind::Connect { transport_attachment_id, protocol } => {
            Some((transport_attachment_id.as_str(), protocol.as_str()))
        }
        _ => None,
    }
}

fn describe_one(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    a: &AttachmentRecord,
) -> TransitGatewayConnect {
    let (transport, protocol) = connect_of(a).expect("a Connect attachment");
    TransitGatewayConnect {
        transit_gateway_attachment_id: Some(a.id.clone()),
        transport_transit_gateway_attachment_id: Some(transport.into()),
        transit_gateway_id: Some(a.tgw_id.clone()),
        state: Some(attachment_state(state, shared, ctx, a).into()),
        creation_time: ts(a.creation_time),
        options: Some(TransitGatewayConnectOptions { protocol: Some(protocol.into()) }),
        tags: state.dto_tags(&a.id),
    }
}

fn connect(state: &Ec2State, ctx: &RequestContext, shared: &Shared, id: &str) -> Result<AttachmentRecord, ApiError> {
    let a = live_attachment(state, shared, ctx, id, WHAT)?;
    if connect_of(&a).is_none() {
        return Err(errors::invalid_transit_gateway_attachment_id_not_found(id, WHAT));
    }
    Ok(a)
}

pub fn create_transit_gateway_connect(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CreateTransitGatewayConnectRequest,
) -> Result<CreateTransitGatewayConnectResult, ApiError> {
    let transport_id = input.transport_transit_gateway_attachment_id.as_str();
    let transport = live_attachment(state, shared, ctx, transport_id, "Attachment")?;
    one_of("Options.Protocol", &input.options.protocol, &["gre"])?;
    if transport.vpc().is_none() {
        return Err(errors::invalid_parameter_value(format!(
            "Transport attachment {transport_id} must be a VPC or Direct Connect gateway attachment."
        )));
    }
    if attachment_state(state, shared, ctx, &transport) != "available" {
        return Err(common::invalid_state(transport_id));
    }
    common::available_gateway(state, ctx, &transport.tgw_id)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "transit-gateway-attachment")?;
    common::prune(state, shared, ctx);
    let id = ids::resource_id("tgw-attach");
    let record = AttachmentRecord {
        id: id.clone(),
        tgw_id: transport.tgw_id.clone(),
        tgw_owner: transport.tgw_owner.clone(),
        resource_type: "connect".into(),
        resource_id: transport_id.into(),
        resource_owner: ctx.account().into(),
        creation_time: ctx.now,
        life: Life::new(Stage::Created, ctx.now),
        kind: AttachmentKind::Connect {
            transport_attachment_id: transport_id.into(),
            protocol: input.options.protocol.clone(),
        },
    };
    state.transit.attachments.insert(id.clone(), record);
    state.transit.apply_defaults(&id, true, true, ctx.now);
    state.set_tags(&id, tags);
    let mut shown = describe_one(state, ctx, shared, &state.transit.attachments[&id]);
    shown.state = Some("pending".into());
    Ok(CreateTransitGatewayConnectResult { transit_gateway_connect: Some(shown) })
}

impl Filterable for TransitGatewayConnect {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "options.protocol" => self.options.iter().filter_map(|o| o.protocol.clone()).collect(),
            "state" => one(&self.state),
            "transit-gateway-attachment-id" => one(&self.transit_gateway_attachment_id),
            "transit-gateway-id" => one(&self.transit_gateway_id),
            "transport-transit-gateway-attachment-id" => one(&self.transport_transit_gateway_attachment_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_transit_gateway_connects(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DescribeTransitGatewayConnectsRequest,
) -> Result<DescribeTransitGatewayConnectsResult, ApiError> {
    let paging = input.page();
    let ids = input.transit_gateway_attachment_ids.unwrap_or_default();
    let (d, now) = (delay(state), ctx.now);
    let visible = |a: &&AttachmentRecord| connect_of(a).is_some() && a.life.visible(d, now);
    for id in &ids {
        if !state.transit.attachments.get(id).as_ref().is_some_and(visible) {
            return Err(errors::invalid_transit_gateway_attachment_id_not_found(id, WHAT));
        }
    }
    let all = state
        .transit
        .attachments
        .values()
        .filter(visible)
        .filter(|a| ids.is_empty() || ids.contains(&a.id))
        .map(|a| describe_one(state, ctx, shared, a));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |c| c.transit_gateway_attachment_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeTransitGatewayConnectsResult { transit_gateway_connects: Some(page), next_token: next })
}

pub fn delete_transit_gateway_connect(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DeleteTransitGatewayConnectRequest,
) -> Result<DeleteTransitGatewayConnectResult, ApiError> {
    let id = input.transit_gateway_attachment_id.as_str();
    let a = connect(state, ctx, shared, id)?;
    if matches!(attachment_state(state, shared, ctx, &a), "pending" | "modifying") {
        return Err(common::invalid_state(id));
    }
    let peers: Vec<&str> = state
        .transit
        .connect_peers
        .values()
        .filter(|p| p.attachment_id == id && !p.life.finished())
        .map(|p| p.id.as_str())
        .collect();
    if !peers.is_empty() {
        return Err(errors::incorrect_state(format!(
            "{id} has non-deleted Transit Gateway Connect Peers: {}.",
            peers.join(", ")
        )));
    }
    let rec = state.transit.attachments.get_mut(id).expect("checked above");
    rec.life = Life::new(Stage::Deleted, ctx.now);
    state.transit.release_attachment(id, ctx.now);
    let mut shown = describe_one(state, ctx, shared, &state.transit.attachments[id]);
    shown.state = Some("deleting".into());
    Ok(DeleteTransitGatewayConnectResult { transit_gateway_connect: Some(shown) })
}

/// The inside blocks: one IPv4 /29 of 169.254.0.0/16 outside AWS's reserved ones, and at
/// most one IPv6 /125 of fd00::/8; none overlapping another peer's on the attachment.
fn inside_blocks(state: &Ec2State, attachment_id: &str, blocks: &[String]) -> Result<Vec<String>, ApiError> {
    let link_local = Ipv4Cidr::parse("169.254.0.0/16").expect("a valid block");
    let ula = Ipv6Cidr::parse("fd00::/8").expect("a valid block");
    let refuse = |b: &str, why: &str| invalid_value("InsideCidrBlocks", b, why);
    let (mut v4, mut v6): (Vec<Ipv4Cidr>, Vec<Ipv6Cidr>) = (Vec::new(), Vec::new());
    for b in blocks {
        if let Some(c) = Ipv4Cidr::parse(b) {
            if c.len != 29 || !link_local.contains(&c) {
                return Err(refuse(b, "An IPv4 inside CIDR block must be a /29 from 169.254.0.0/16."));
            }
            if RESERVED.iter().any(|r| Ipv4Cidr::parse(r).is_some_and(|r| r.overlaps(&c))) {
                return Err(refuse(b, "The CIDR block is reserved by AWS."));
            }
            v4.push(c);
        } else if let Some(c) = Ipv6Cidr::parse(b) {
            if c.len != 125 || !ula.contains(&c) {
                return Err(refuse(b, "An IPv6 inside CIDR block must be a /125 from fd00::/8."));
            }
            v6.push(c);
        } else {
            return Err(refuse(b, "This is not a valid CIDR block."));
        }
    }
    if v4.len() != 1 || v6.len() > 1 {
        return Err(errors::invalid_parameter_value(
            "A Connect peer needs one IPv4 inside CIDR block and at most one IPv6 inside CIDR block.",
        ));
    }
    for p in state.transit.connect_peers.values().filter(|p| p.attachment_id == attachment_id && !p.life.finished()) {
        for other in &p.inside_cidr_blocks {
            let clash = match Ipv4Cidr::parse(other) {
                Some(o) => o.overlaps(&v4[0]),
                None => Ipv6Cidr::parse(other).is_some_and(|o| v6.iter().any(|c| c.overlaps(&o))),
            };
            if clash {
                return Err(refuse(other, "The inside CIDR block overlaps another Connect peer of the attachment."));
            }
        }
    }
    Ok(v4.iter().map(|c| c.to_string()).chain(v6.iter().map(|c| c.to_string())).collect())
}

/// The gateway's GRE address: the one given, which must lie in one of the gateway's CIDR
/// blocks, or the first address of a block of the peer's family no other peer uses.
fn gateway_address(state: &Ec2State, tgw_id: &str, given: Option<&str>, peer: IpAddr) -> Result<String, ApiError> {
    let blocks = common::gateway(state, tgw_id)?.options().transit_gateway_cidr_blocks.clone().unwrap_or_default();
    let used: Vec<&str> = state
        .transit
        .connect_peers
        .values()
        .filter(|p| !p.life.finished())
        .map(|p| p.transit_gateway_address.as_str())
        .collect();
    if let Some(a) = given {
        let addr: IpAddr =
            a.parse().map_err(|_| invalid_value("TransitGatewayAddress", a, "This is not an IP address."))?;
        let inside = blocks.iter().any(|b| match (addr, Ipv4Cidr::parse(b), Ipv6Cidr::parse(b)) {
            (IpAddr::V4(x), Some(c), _) => c.contains_addr(u32::from(x)),
            (IpAddr::V6(x), _, Some(c)) => c.contains(&Ipv6Cidr { addr: u128::from(x), len: 128 }),
            _ => false,
        });
        if !inside {
            return Err(invalid_value(
                "TransitGatewayAddress",
                a,
                "The address must be from a CIDR block of the transit gateway.",
            ));
        }
        return Ok(addr.to_string());
    }
    for b in &blocks {
        let candidates: Vec<String> = match (peer, Ipv4Cidr::parse(b), Ipv6Cidr::parse(b)) {
            (IpAddr::V4(_), Some(c), _) => {
                (0..c.size().min(256)).map(|i| Ipv4Addr::from(c.addr + i as u32).to_string()).collect()
            }
            (IpAddr::V6(_), _, Some(c)) => (0..256u128).map(|i| Ipv6Addr::from(c.addr + i).to_string()).collect(),
            _ => continue,
        };
        if let Some(free) = candidates.into_iter().find(|a| !used.contains(&a.as_str())) {
            return Ok(free);
        }
    }
    Err(errors::invalid_parameter_value(format!(
        "Transit Gateway {tgw_id} has no CIDR block of the peer address's family to take the transit gateway address from."
    )))
}

fn peer_dto(state: &Ec2State, ctx: &RequestContext, p: &ConnectPeerRecord) -> TransitGatewayConnectPeer {
    let v4 = p.inside_cidr_blocks.iter().find_map(|b| Ipv4Cidr::parse(b)).expect("an IPv4 inside block");
    let addr = |i: u32| Ipv4Addr::from(v4.addr + i).to_string();
    let bgp = [2, 3]
        .iter()
        .map(|i| TransitGatewayAttachmentBgpConfiguration {
            transit_gateway_asn: Some(p.transit_gateway_asn),
            peer_asn: Some(p.peer_asn),
            transit_gateway_address: Some(addr(*i)),
            peer_address: Some(addr(1)),
            bgp_status: Some("down".into()),
        })
        .collect();
    TransitGatewayConnectPeer {
        transit_gateway_attachment_id: Some(p.attachment_id.clone()),
        transit_gateway_connect_peer_id: Some(p.id.clone()),
        state: Some(p.life.shown(delay(state), ctx.now).into()),
        creation_time: ts(p.creation_time),
        connect_peer_configuration: Some(TransitGatewayConnectPeerConfiguration {
            transit_gateway_address: Some(p.transit_gateway_address.clone()),
            peer_address: Some(p.peer_address.clone()),
            inside_cidr_blocks: Some(p.inside_cidr_blocks.clone()),
            protocol: Some("gre".into()),
            bgp_configurations: Some(bgp),
        }),
        tags: state.dto_tags(&p.id),
    }
}

pub fn create_transit_gateway_connect_peer(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CreateTransitGatewayConnectPeerRequest,
) -> Result<CreateTransitGatewayConnectPeerResult, ApiError> {
    let attachment_id = input.transit_gateway_attachment_id.as_str();
    let a = connect(state, ctx, shared, attachment_id)?;
    if attachment_state(state, shared, ctx, &a) != "available" {
        return Err(common::invalid_state(attachment_id));
    }
    let peer: IpAddr = input
        .peer_address
        .parse()
        .map_err(|_| invalid_value("PeerAddress", &input.peer_address, "This is not an IP address."))?;
    let blocks = inside_blocks(state, attachment_id, &input.inside_cidr_blocks)?;
    let tgw_asn = common::gateway(state, &a.tgw_id)?.asn();
    let peer_asn = input.bgp_options.and_then(|b| b.peer_asn).unwrap_or(tgw_asn);
    if !(1..=4_294_967_294).contains(&peer_asn) || peer_asn == 7224 {
        return Err(invalid_value("BgpOptions.PeerAsn", peer_asn, "The ASN is not valid for a Connect peer."));
    }
    let live = state.transit.connect_peers.values().filter(|p| p.attachment_id == attachment_id && !p.life.finished());
    if live.count() >= MAX_PEERS {
        return Err(errors::invalid_parameter_value(format!(
            "Transit Gateway Connect Attachment {attachment_id} already has {MAX_PEERS} Connect peers."
        )));
    }
    let address = gateway_address(state, &a.tgw_id, input.transit_gateway_address.as_deref(), peer)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "transit-gateway-connect-peer")?;
    prune_peers(state, ctx);
    let id = ids::resource_id("tgw-connect-peer");
    let record = ConnectPeerRecord {
        id: id.clone(),
        attachment_id: attachment_id.into(),
        transit_gateway_address: address,
        peer_address: peer.to_string(),
        inside_cidr_blocks: blocks,
        peer_asn,
        transit_gateway_asn: tgw_asn,
        creation_time: ctx.now,
        life: Life::new(Stage::Created, ctx.now),
    };
    state.transit.connect_peers.insert(id.clone(), record);
    state.set_tags(&id, tags);
    let mut shown = peer_dto(state, ctx, &state.transit.connect_peers[&id]);
    shown.state = Some("pending".into());
    Ok(CreateTransitGatewayConnectPeerResult { transit_gateway_connect_peer: Some(shown) })
}

/// Forgets Connect peers deleted long enough ago.
fn prune_peers(state: &mut Ec2State, ctx: &RequestContext) {
    let d = delay(state);
    let gone: Vec<String> =
        state.transit.connect_peers.values().filter(|p| !p.life.visible(d, ctx.now)).map(|p| p.id.clone()).collect();
    for id in gone {
        state.transit.connect_peers.remove(&id);
        state.forget(&id);
    }
}

impl Filterable for TransitGatewayConnectPeer {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "state" => one(&self.state),
            "transit-gateway-attachment-id" => one(&self.transit_gateway_attachment_id),
            "transit-gateway-connect-peer-id" => one(&self.transit_gateway_connect_peer_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_transit_gateway_connect_peers(
    state: &Ec2State,
    ctx: &RequestContext,
    _shared: &Shared,
    input: DescribeTransitGatewayConnectPeersRequest,
) -> Result<DescribeTransitGatewayConnectPeersResult, ApiError> {
    let paging = input.page();
    let ids = input.transit_gateway_connect_peer_ids.unwrap_or_default();
    let (d, now) = (delay(state), ctx.now);
    for id in &ids {
        if !state.transit.connect_peers.get(id).is_some_and(|p| p.life.visible(d, now)) {
            return Err(errors::invalid_transit_gateway_connect_peer_id_not_found(id));
        }
    }
    let all = state
        .transit
        .connect_peers
        .values()
        .filter(|p| p.life.visible(d, now) && (ids.is_empty() || ids.contains(&p.id)))
        .map(|p| peer_dto(state, ctx, p));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |p| p.transit_gateway_connect_peer_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeTransitGatewayConnectPeersResult { transit_gateway_connect_peers: Some(page), next_token: next })
}

pub fn delete_transit_gateway_connect_peer(
    state: &mut Ec2State,
    ctx: &RequestContext,
    _shared: &Shared,
    input: DeleteTransitGatewayConnectPeerRequest,
) -> Result<DeleteTransitGatewayConnectPeerResult, ApiError> {
    let id = input.transit_gateway_connect_peer_id.as_str();
    let d = delay(state);
    let Some(p) = state.transit.connect_peers.get(id).filter(|p| !p.life.finished()) else {
        return Err(errors::invalid_transit_gateway_connect_peer_id_not_found(id));
    };
    if p.life.shown(d, ctx.now) == "pending" {
        return Err(common::invalid_state(id));
    }
    state.transit.connect_peers.get_mut(id).expect("checked above").life = Life::new(Stage::Deleted, ctx.now);
    let mut shown = peer_dto(state, ctx, &state.transit.connect_peers[id]);
    shown.state = Some("deleting".into());
    Ok(DeleteTransitGatewayConnectPeerResult { transit_gateway_connect_peer: Some(shown) })
}
