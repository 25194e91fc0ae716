//! Route server peers (CreateRouteServerPeer, DeleteRouteServerPeer,
//! DescribeRouteServerPeers) and the routing database (GetRouteServerRoutingDatabase).
//! A peer is a BGP session between an endpoint and a device at an address of the
//! endpoint's subnet, with the device's ASN and how its liveness is detected (BGP
//! keepalives by default, or BFD).
//!
//! nimbus runs no BGP, so no device ever opens the session: a peer's BGP and BFD status
//! stay `down`, the route server learns no route, and the routing database is empty
//! (with nothing persisted), as AWS answers while no session is up.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::endpoints::endpoint;
use super::servers::MAX_ASN;
use super::{delay, prune, server};
use crate::generated::dto::{
    CreateRouteServerPeerRequest, CreateRouteServerPeerResult, DeleteRouteServerPeerRequest,
    DeleteRouteServerPeerResult, DescribeRouteServerPeersRequest, DescribeRouteServerPeersResult,
    GetRouteServerRoutingDatabaseRequest, GetRouteServerRoutingDatabaseResult, RouteServerBfdStatus,
    RouteServerBgpOptions, RouteServerBgpStatus, RouteServerPeer, RouteServerRoute,
};
use crate::generated::errors;
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::params::{invalid_value, one_of};
use crate::state::route_servers::PeerRecord;
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::transit::{Life, Stage};
use crate::state::Ec2State;

const LIVENESS: &[&str] = &["bfd", "bgp-keepalive"];

fn describe_one(state: &Ec2State, ctx: &RequestContext, p: &PeerRecord) -> RouteServerPeer {
    RouteServerPeer {
        route_server_peer_id: Some(p.id.clone()),
        route_server_endpoint_id: Some(p.endpoint_id.clone()),
        route_server_id: Some(p.route_server_id.clone()),
        vpc_id: Some(p.vpc_id.clone()),
        subnet_id: Some(p.subnet_id.clone()),
        state: Some(p.life.shown(delay(state), ctx.now).into()),
        failure_reason: None,
        endpoint_eni_id: Some(p.eni_id.clone()),
        endpoint_eni_address: Some(p.eni_address.clone()),
        peer_address: Some(p.peer_address.clone()),
        bgp_options: Some(RouteServerBgpOptions {
            peer_asn: Some(p.peer_asn),
            peer_liveness_detection: Some(p.liveness.clone()),
        }),
        bgp_status: Some(RouteServerBgpStatus { status: Some("down".into()) }),
        bfd_status: Some(RouteServerBfdStatus { status: Some("down".into()) }),
        tags: state.dto_tags(&p.id),
    }
}

/// Whether an address lies in one of the subnet's CIDR blocks.
fn in_subnet(state: &Ec2State, subnet_id: &str, addr: IpAddr) -> bool {
    let Some(rec) = state.subnets.get(subnet_id) else { return false };
    match addr {
        IpAddr::V4(a) => {
            rec.subnet.cidr_block.as_deref().and_then(Ipv4Cidr::parse).is_some_and(|c| c.contains_addr(u32::from(a)))
        }
        IpAddr::V6(a) => rec.subnet.ipv6_cidr_block_association_set.iter().flatten().any(|b| {
            let block = b.ipv6_cidr_block.as_deref().and_then(Ipv6Cidr::parse);
            let one = Ipv6Cidr::parse(&format!("{a}/128"));
            matches!((block, one), (Some(b), Some(o)) if b.contains(&o))
        }),
    }
}

pub fn create_route_server_peer(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateRouteServerPeerRequest,
) -> Result<CreateRouteServerPeerResult, ApiError> {
    let e = endpoint(state, &input.route_server_endpoint_id)?.clone();
    let shown = e.life.shown(delay(state), ctx.now);
    if shown != "available" {
        return Err(errors::incorrect_state(format!("The route server endpoint {} is in state {shown}.", e.id)));
    }
    let asn = input.bgp_options.peer_asn;
    if !(1..=MAX_ASN).contains(&asn) {
        return Err(invalid_value("BgpOptions.PeerAsn", asn, "Valid values are from 1 to 4294967295."));
    }
    let liveness = input.bgp_options.peer_liveness_detection.clone().unwrap_or_else(|| "bgp-keepalive".into());
    one_of("BgpOptions.PeerLivenessDetection", &liveness, LIVENESS)?;
    let raw = input.peer_address.trim();
    let addr: IpAddr = raw
        .parse::<Ipv4Addr>()
        .map(IpAddr::V4)
        .or_else(|_| raw.parse::<Ipv6Addr>().map(IpAddr::V6))
        .map_err(|_| invalid_value("PeerAddress", raw, "It is not a valid IP address."))?;
    if !in_subnet(state, &e.subnet_id, addr) {
        return Err(invalid_value(
            "PeerAddress",
            raw,
            &format!("The peer address must be in the subnet {} of the route server endpoint.", e.subnet_id),
        ));
    }
    let peer_address = addr.to_string();
    if peer_address == e.eni_address {
        return Err(invalid_value("PeerAddress", raw, "It is the address of the route server endpoint."));
    }
    let taken = state
        .route_servers
        .peers
        .values()
        .any(|p| p.endpoint_id == e.id && p.peer_address == peer_address && !p.life.finished());
    if taken {
        return Err(invalid_value(
            "PeerAddress",
            raw,
            &format!("The route server endpoint {} already has a peer at this address.", e.id),
        ));
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "route-server-peer")?;
    prune(state, ctx);
    let id = ids::resource_id("rsp");
    let record = PeerRecord {
        id: id.clone(),
        endpoint_id: e.id.clone(),
        route_server_id: e.route_server_id.clone(),
        vpc_id: e.vpc_id.clone(),
        subnet_id: e.subnet_id.clone(),
        eni_id: e.eni_id.clone(),
        eni_address: e.eni_address.clone(),
        peer_address,
        peer_asn: asn,
        liveness,
        life: Life::new(Stage::Created, ctx.now),
    };
    state.route_servers.peers.insert(id.clone(), record);
    state.set_tags(&id, tags);
    let mut shown = describe_one(state, ctx, &state.route_servers.peers[&id]);
    shown.state = Some("pending".into());
    Ok(CreateRouteServerPeerResult { route_server_peer: Some(shown) })
}

pub fn delete_route_server_peer(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteRouteServerPeerRequest,
) -> Result<DeleteRouteServerPeerResult, ApiError> {
    prune(state, ctx);
    let id = input.route_server_peer_id.as_str();
    let p = state
        .route_servers
        .peers
        .get(id)
        .filter(|p| !p.life.finished())
        .ok_or_else(|| errors::invalid_route_server_peer_id_not_found(id))?;
    let shown = p.life.shown(delay(state), ctx.now);
    if shown != "available" {
        return Err(errors::incorrect_state(format!("The route server peer {id} is in state {shown}.")));
    }
    let p = state.route_servers.peers.get_mut(id).expect("checked above");
    p.life = Life::new(Stage::Deleted, ctx.now);
    let mut shown = describe_one(state, ctx, &state.route_servers.peers[id]);
    shown.state = Some("deleting".into());
    Ok(DeleteRouteServerPeerResult { route_server_peer: Some(shown) })
}

impl Filterable for RouteServerPeer {
    /// AWS documents no filter names for DescribeRouteServerPeers (and refuses
    /// `route-server-id` and `route-server-endpoint-id`); the tag filters are the ones
    /// nimbus knows.
    fn filter_values(&self, _name: &str) -> Option<Vec<String>> {
        None
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_route_server_peers(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeRouteServerPeersRequest,
) -> Result<DescribeRouteServerPeersResult, ApiError> {
    let paging = input.page();
    let ids = input.route_server_peer_ids.unwrap_or_default();
    let (d, now) = (delay(state), ctx.now);
    let visible = |id: &str| state.route_servers.peers.get(id).filter(|p| p.life.visible(d, now));
    if let Some(missing) = ids.iter().find(|id| visible(id).is_none()) {
        return Err(errors::invalid_route_server_peer_id_not_found(missing));
    }
    let all = state
        .route_servers
        .peers
        .values()
        .filter(|p| p.life.visible(d, now) && (ids.is_empty() || ids.contains(&p.id)))
        .map(|p| describe_one(state, ctx, p));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |p| p.route_server_peer_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeRouteServerPeersResult { route_server_peers: Some(page), next_token: next })
}

impl Filterable for RouteServerRoute {
    /// The members of a route, by their wire names.
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "prefix" => one(&self.prefix),
            "route-status" => one(&self.route_status),
            "route-server-endpoint-id" => one(&self.route_server_endpoint_id),
            "route-server-peer-id" => one(&self.route_server_peer_id),
            "next-hop-ip" => one(&self.next_hop_ip),
            _ => return None,
        })
    }
}

pub fn get_route_server_routing_database(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: GetRouteServerRoutingDatabaseRequest,
) -> Result<GetRouteServerRoutingDatabaseResult, ApiError> {
    let paging = input.page();
    server(state, &input.route_server_id)?;
    // No BGP session is ever up, so no route is learned and none persists.
    let learned: Vec<RouteServerRoute> = Vec::new();
    let items = filtered(learned, input.filters.as_deref())?;
    let (page, next) = paginate(items, |r| r.prefix.clone().unwrap_or_default(), paging, false)?;
    Ok(GetRouteServerRoutingDatabaseResult { are_routes_persisted: Some(false), routes: Some(page), next_token: next })
}
