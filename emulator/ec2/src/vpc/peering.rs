//! VPC peering connections. Between two VPCs of this account and region the whole life
//! is here: `initiating-request` -> `pending-acceptance` (or `failed` when a VPC is
//! missing or the CIDR blocks overlap, as AWS lets the request through and fails it)
//! -> accept (`provisioning` -> `active`) or reject (`rejected`) -> delete (`deleted`);
//! an unanswered request expires after 7 days. Finished connections stay visible as
//! long as AWS shows them.
//!
//! A request to another account or region is recorded on the requester's side only, as
//! `pending-acceptance`: state is partitioned per (account, region) and a handler sees
//! only its own partition, so the accepter's side cannot see or accept it yet.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, regions, ApiError, RequestContext};

use crate::generated::dto::{
    AcceptVpcPeeringConnectionRequest, AcceptVpcPeeringConnectionResult, CidrBlock, CreateVpcPeeringConnectionRequest,
    CreateVpcPeeringConnectionResult, DeleteVpcPeeringConnectionRequest, DeleteVpcPeeringConnectionResult,
    DescribeVpcPeeringConnectionsRequest, DescribeVpcPeeringConnectionsResult, Ipv6CidrBlock,
    ModifyVpcPeeringConnectionOptionsRequest, ModifyVpcPeeringConnectionOptionsResult, PeeringConnectionOptions,
    PeeringConnectionOptionsRequest, RejectVpcPeeringConnectionRequest, RejectVpcPeeringConnectionResult,
    VpcPeeringConnection, VpcPeeringConnectionOptionsDescription, VpcPeeringConnectionStateReason,
    VpcPeeringConnectionVpcInfo,
};
use crate::generated::errors;
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::params::invalid_value;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, mark_changed, older_than, paginate, settled, spec_tags};
use crate::state::Ec2State;
use crate::vpc::vpcs;

/// How long a request waits for an answer before it expires.
const EXPIRES_AFTER: TimeDelta = TimeDelta::days(7);
/// How long AWS keeps showing rejected and expired connections.
const REJECTED_VISIBLE: TimeDelta = TimeDelta::days(2);
/// How long AWS keeps showing deleted and failed connections.
const DELETED_VISIBLE: TimeDelta = TimeDelta::hours(2);
const FAILED_MESSAGE: &str = "Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range";

fn status(code: &str, message: impl Into<String>) -> Option<VpcPeeringConnectionStateReason> {
    Some(VpcPeeringConnectionStateReason { code: Some(code.into()), message: Some(message.into()) })
}

fn code(p: &VpcPeeringConnection) -> &str {
    p.status.as_ref().and_then(|s| s.code.as_deref()).unwrap_or_default()
}

fn requester(p: &VpcPeeringConnection) -> &VpcPeeringConnectionVpcInfo {
    p.requester_vpc_info.as_ref().expect("every connection has a requester")
}

fn accepter(p: &VpcPeeringConnection) -> &VpcPeeringConnectionVpcInfo {
    p.accepter_vpc_info.as_ref().expect("every connection has an accepter")
}

/// Whether the accepter VPC is in the same account and region as the requester (and so
/// in this partition).
fn accepter_here(p: &VpcPeeringConnection) -> bool {
    let (r, a) = (requester(p), accepter(p));
    r.owner_id == a.owner_id && r.region == a.region
}

/// The status a connection shows at `now`: its transitional state until the change
/// settles, `expired` once a request has waited too long.
fn status_at(state: &Ec2State, id: &str, p: &VpcPeeringConnection, now: DateTime<Utc>) -> (String, String) {
    let stored = p.status.clone().unwrap_or_default();
    let code = stored.code.unwrap_or_default();
    let message = stored.message.unwrap_or_default();
    if !settled(state, id, now) {
        let peer_owner = accepter(p).owner_id.clone().unwrap_or_default();
        return match code.as_str() {
            "pending-acceptance" | "failed" => {
                ("initiating-request".into(), format!("Initiating Request to {peer_owner}"))
            }
            "active" => ("provisioning".into(), "Provisioning".into()),
            "deleted" => ("deleting".into(), "Deleting".into()),
            _ => (code, message),
        };
    }
    if code == "pending-acceptance" && p.expiration_time.is_some_and(|t| now > t.0) {
        return ("expired".into(), "Expired".into());
    }
    (code, message)
}

/// Whether AWS still shows the connection at `now`.
fn visible(state: &Ec2State, id: &str, p: &VpcPeeringConnection, now: DateTime<Utc>) -> bool {
    match status_at(state, id, p, now).0.as_str() {
        "rejected" => !older_than(state, id, now, REJECTED_VISIBLE),
        "deleted" | "failed" => !older_than(state, id, now, DELETED_VISIBLE),
        "expired" => p.expiration_time.is_some_and(|t| now <= t.0 + REJECTED_VISIBLE),
        _ => true,
    }
}

fn prune(state: &mut Ec2State, now: DateTime<Utc>) {
    let gone: Vec<String> = state
        .vpc_peering_connections
        .iter()
        .filter(|(id, p)| !visible(state, id, p, now))
        .map(|(id, _)| id.clone())
        .collect();
    for id in gone {
        state.vpc_peering_connections.remove(&id);
        state.forget(&id);
    }
}

fn get<'a>(state: &'a Ec2State, id: &str, now: DateTime<Utc>) -> Result<&'a VpcPeeringConnection, ApiError> {
    state
        .vpc_peering_connections
        .get(id)
        .filter(|p| visible(state, id, p, now))
        .ok_or_else(|| errors::invalid_vpc_peering_connection_id_not_found(id))
}

/// Whether a connection is active (routes through it are `active`).
pub fn is_active(state: &Ec2State, id: &str) -> bool {
    state.vpc_peering_connections.get(id).is_some_and(|p| code(p) == "active")
}

/// Whether a route may point at the connection (pending acceptance or active).
pub fn can_route(state: &Ec2State, id: &str) -> bool {
    state.vpc_peering_connections.get(id).is_some_and(|p| ["pending-acceptance", "active"].contains(&code(p)))
}

/// Whether an active connection joins the VPC.
pub fn active_in_vpc(state: &Ec2State, vpc_id: &str) -> bool {
    state.vpc_peering_connections.values().any(|p| {
        code(p) == "active"
            && (requester(p).vpc_id.as_deref() == Some(vpc_id)
                || (accepter_here(p) && accepter(p).vpc_id.as_deref() == Some(vpc_id)))
    })
}

/// A VPC's address blocks as peering shows them.
fn vpc_info(state: &Ec2State, ctx: &RequestContext, vpc_id: &str) -> VpcPeeringConnectionVpcInfo {
    let rec = &state.vpcs[vpc_id];
    let v6 = vpcs::ipv6_blocks(rec);
    VpcPeeringConnectionVpcInfo {
        cidr_block: rec.vpc.cidr_block.clone(),
        cidr_block_set: Some(
            vpcs::ipv4_blocks(rec).iter().map(|b| CidrBlock { cidr_block: Some(b.to_string()) }).collect(),
        ),
        ipv6_cidr_block_set: (!v6.is_empty())
            .then(|| v6.iter().map(|b| Ipv6CidrBlock { ipv6_cidr_block: Some(b.to_string()) }).collect()),
        owner_id: Some(ctx.account().to_string()),
        peering_options: None,
        vpc_id: Some(vpc_id.to_string()),
        region: Some(ctx.region.clone()),
    }
}

fn blocks_overlap(state: &Ec2State, a: &str, b: &str) -> bool {
    let (a, b) = (&state.vpcs[a], &state.vpcs[b]);
    let v4 = |x: &[Ipv4Cidr], y: &[Ipv4Cidr]| x.iter().any(|p| y.iter().any(|q| p.overlaps(q)));
    let v6 = |x: &[Ipv6Cidr], y: &[Ipv6Cidr]| x.iter().any(|p| y.iter().any(|q| p.overlaps(q)));
    v4(&vpcs::ipv4_blocks(a), &vpcs::ipv4_blocks(b)) || v6(&vpcs::ipv6_blocks(a), &vpcs::ipv6_blocks(b))
}

fn default_options() -> Option<VpcPeeringConnectionOptionsDescription> {
    Some(VpcPeeringConnectionOptionsDescription {
        allow_dns_resolution_from_remote_vpc: Some(false),
        allow_egress_from_local_classic_link_to_remote_vpc: Some(false),
        allow_egress_from_local_vpc_to_remote_classic_link: Some(false),
        ..Default::default()
    })
}

/// A connection as Describe shows it at `now`.
fn describe_one(state: &Ec2State, id: &str, now: DateTime<Utc>) -> VpcPeeringConnection {
    let mut p = state.vpc_peering_connections[id].clone();
    let (code, message) = status_at(state, id, &p, now);
    p.status = status(&code, message);
    p.tags = state.dto_tags(id);
    p
}

pub fn create_vpc_peering_connection(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateVpcPeeringConnectionRequest,
) -> Result<CreateVpcPeeringConnectionResult, ApiError> {
    vpcs::get(state, &input.vpc_id)?;
    let Some(peer_vpc) = input.peer_vpc_id.clone() else {
        return Err(errors::missing_parameter("peerVpcId"));
    };
    let peer_owner = input.peer_owner_id.clone().unwrap_or_else(|| ctx.account().to_string());
    if peer_owner.len() != 12 || !peer_owner.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid_value("peerOwnerId", peer_owner, "It must be a 12-digit account ID."));
    }
    let peer_region = input.peer_region.clone().unwrap_or_else(|| ctx.region.clone());
    if !regions::is_known(&peer_region) {
        return Err(invalid_value("peerRegion", peer_region, "The region does not exist."));
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "vpc-peering-connection")?;
    prune(state, ctx.now);
    let here = peer_owner == ctx.account() && peer_region == ctx.region;
    let fails = here && (!state.vpcs.contains_key(&peer_vpc) || blocks_overlap(state, &input.vpc_id, &peer_vpc));
    let id = ids::resource_id("pcx");
    let connection = VpcPeeringConnection {
        accepter_vpc_info: Some(VpcPeeringConnectionVpcInfo {
            owner_id: Some(peer_owner.clone()),
            vpc_id: Some(peer_vpc),
            region: Some(peer_region),
            ..Default::default()
        }),
        expiration_time: (!fails).then(|| Timestamp(ctx.now.trunc_subsecs(0) + EXPIRES_AFTER)),
        requester_vpc_info: Some(vpc_info(state, ctx, &input.vpc_id)),
        status: if fails {
            status("failed", FAILED_MESSAGE)
        } else {
            status("pending-acceptance", format!("Pending Acceptance by {peer_owner}"))
        },
        tags: None,
        vpc_peering_connection_id: Some(id.clone()),
        multipath_resilience_status: None,
    };
    state.vpc_peering_connections.insert(id.clone(), connection);
    state.set_tags(&id, tags);
    mark_changed(state, &id, ctx.now);
    let mut shown = describe_one(state, &id, ctx.now);
    shown.status = status("initiating-request", format!("Initiating Request to {peer_owner}"));
    Ok(CreateVpcPeeringConnectionResult { vpc_peering_connection: Some(shown) })
}

/// A connection the caller may answer (accept or reject): its accepter VPC is here and
/// it is pending acceptance.
fn answerable(
    state: &Ec2State,
    ctx: &RequestContext,
    id: &str,
    verb: &str,
    to: &str,
) -> Result<VpcPeeringConnection, ApiError> {
    let p = get(state, id, ctx.now)?;
    if !accepter_here(p) {
        let region = accepter(p).region.clone().unwrap_or_default();
        return Err(if region != ctx.region {
            errors::operation_not_permitted(format!(
                "Incorrect region ({}) specified for this request. VPC peering connection {id} must be accepted or rejected in region {region}",
                ctx.region
            ))
        } else {
            errors::operation_not_permitted(format!("User ({}) cannot {verb} peering {id}", ctx.account()))
        });
    }
    let (current, _) = status_at(state, id, p, ctx.now);
    if current != "pending-acceptance" {
        return Err(errors::invalid_state_transition(current, id, to));
    }
    Ok(p.clone())
}

pub fn accept_vpc_peering_connection(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AcceptVpcPeeringConnectionRequest,
) -> Result<AcceptVpcPeeringConnectionResult, ApiError> {
    let id = input.vpc_peering_connection_id.as_str();
    let mut p = answerable(state, ctx, id, "accept", "provisioning")?;
    let accepter_vpc = accepter(&p).vpc_id.clone().unwrap_or_default();
    for vpc_id in [&accepter_vpc, requester(&p).vpc_id.as_ref().unwrap_or(&String::new())] {
        vpcs::get(state, vpc_id)?;
    }
    let mut accepter_info = vpc_info(state, ctx, &accepter_vpc);
    accepter_info.peering_options = default_options();
    p.accepter_vpc_info = Some(accepter_info);
    if let Some(r) = p.requester_vpc_info.as_mut() {
        r.peering_options = default_options();
    }
    p.expiration_time = None;
    p.status = status("active", "Active");
    state.vpc_peering_connections.insert(id.to_string(), p);
    mark_changed(state, id, ctx.now);
    let mut shown = describe_one(state, id, ctx.now);
    shown.status = status("provisioning", "Provisioning");
    Ok(AcceptVpcPeeringConnectionResult { vpc_peering_connection: Some(shown) })
}

pub fn reject_vpc_peering_connection(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: RejectVpcPeeringConnectionRequest,
) -> Result<RejectVpcPeeringConnectionResult, ApiError> {
    let id = input.vpc_peering_connection_id.as_str();
    let mut p = answerable(state, ctx, id, "reject", "rejected")?;
    p.status = status("rejected", format!("Rejected by {}", ctx.account()));
    state.vpc_peering_connections.insert(id.to_string(), p);
    mark_changed(state, id, ctx.now);
    Ok(RejectVpcPeeringConnectionResult { r#return: Some(true) })
}

/// An active connection, or a request still pending; routes through it turn `blackhole`.
pub fn delete_vpc_peering_connection(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteVpcPeeringConnectionRequest,
) -> Result<DeleteVpcPeeringConnectionResult, ApiError> {
    let id = input.vpc_peering_connection_id.as_str();
    let p = get(state, id, ctx.now)?;
    let (current, _) = status_at(state, id, p, ctx.now);
    if !["active", "provisioning", "pending-acceptance", "initiating-request"].contains(&current.as_str()) {
        return Err(errors::invalid_state_transition(current, id, "deleting"));
    }
    let p = state.vpc_peering_connections.get_mut(id).expect("checked above");
    p.status = status("deleted", format!("Deleted by {}", ctx.account()));
    p.expiration_time = None;
    mark_changed(state, id, ctx.now);
    Ok(DeleteVpcPeeringConnectionResult { r#return: Some(true) })
}

fn apply_options(
    current: Option<VpcPeeringConnectionOptionsDescription>,
    req: &PeeringConnectionOptionsRequest,
) -> VpcPeeringConnectionOptionsDescription {
    let mut o = current.unwrap_or_default();
    if let Some(v) = req.allow_dns_resolution_from_remote_vpc {
        o.allow_dns_resolution_from_remote_vpc = Some(v);
    }
    if let Some(v) = req.allow_egress_from_local_classic_link_to_remote_vpc {
        o.allow_egress_from_local_classic_link_to_remote_vpc = Some(v);
    }
    if let Some(v) = req.allow_egress_from_local_vpc_to_remote_classic_link {
        o.allow_egress_from_local_vpc_to_remote_classic_link = Some(v);
    }
    o
}

fn shown_options(o: &VpcPeeringConnectionOptionsDescription) -> PeeringConnectionOptions {
    PeeringConnectionOptions {
        allow_dns_resolution_from_remote_vpc: o.allow_dns_resolution_from_remote_vpc,
        allow_egress_from_local_classic_link_to_remote_vpc: o.allow_egress_from_local_classic_link_to_remote_vpc,
        allow_egress_from_local_vpc_to_remote_classic_link: o.allow_egress_from_local_vpc_to_remote_classic_link,
        ..Default::default()
    }
}

/// Resolving DNS across the connection needs DNS support and hostnames in both VPCs.
fn check_dns(state: &Ec2State, id: &str, p: &VpcPeeringConnection) -> Result<(), ApiError> {
    let vpcs = [requester(p).vpc_id.clone(), accepter_here(p).then(|| accepter(p).vpc_id.clone()).flatten()];
    for vpc_id in vpcs.into_iter().flatten() {
        if let Some(v) = state.vpcs.get(&vpc_id) {
            if !v.enable_dns_support || !v.enable_dns_hostnames {
                return Err(errors::invalid_vpc_peering_connection_state_dns_hostnames_disabled(id, &vpc_id));
            }
        }
    }
    Ok(())
}

pub fn modify_vpc_peering_connection_options(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVpcPeeringConnectionOptionsRequest,
) -> Result<ModifyVpcPeeringConnectionOptionsResult, ApiError> {
    let id = input.vpc_peering_connection_id.as_str();
    let mut p = get(state, id, ctx.now)?.clone();
    let (current, _) = status_at(state, id, &p, ctx.now);
    if !["active", "provisioning"].contains(&current.as_str()) {
        return Err(errors::operation_not_permitted(format!(
            "Peering {id} is not active. Peering options can be added only to active peerings."
        )));
    }
    let wants_dns = [&input.requester_peering_connection_options, &input.accepter_peering_connection_options]
        .iter()
        .any(|o| o.as_ref().and_then(|o| o.allow_dns_resolution_from_remote_vpc) == Some(true));
    if wants_dns {
        check_dns(state, id, &p)?;
    }
    let mut out = ModifyVpcPeeringConnectionOptionsResult::default();
    if let Some(req) = &input.requester_peering_connection_options {
        let r = p.requester_vpc_info.as_mut().expect("every connection has a requester");
        let o = apply_options(r.peering_options.take(), req);
        out.requester_peering_connection_options = Some(shown_options(&o));
        r.peering_options = Some(o);
    }
    if let Some(req) = &input.accepter_peering_connection_options {
        let a = p.accepter_vpc_info.as_mut().expect("every connection has an accepter");
        let o = apply_options(a.peering_options.take(), req);
        out.accepter_peering_connection_options = Some(shown_options(&o));
        a.peering_options = Some(o);
    }
    state.vpc_peering_connections.insert(id.to_string(), p);
    Ok(out)
}

fn info_values(i: &Option<VpcPeeringConnectionVpcInfo>, what: &str) -> Vec<String> {
    let Some(i) = i else { return Vec::new() };
    match what {
        "cidr-block" => {
            let mut v: Vec<String> = i.cidr_block.iter().cloned().collect();
            v.extend(i.cidr_block_set.iter().flatten().filter_map(|c| c.cidr_block.clone()));
            v.extend(i.ipv6_cidr_block_set.iter().flatten().filter_map(|c| c.ipv6_cidr_block.clone()));
            v
        }
        "owner-id" => i.owner_id.iter().cloned().collect(),
        "vpc-id" => i.vpc_id.iter().cloned().collect(),
        _ => Vec::new(),
    }
}

impl Filterable for VpcPeeringConnection {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        if let Some(what) = name.strip_prefix("accepter-vpc-info.") {
            return ["cidr-block", "owner-id", "vpc-id"]
                .contains(&what)
                .then(|| info_values(&self.accepter_vpc_info, what));
        }
        if let Some(what) = name.strip_prefix("requester-vpc-info.") {
            return ["cidr-block", "owner-id", "vpc-id"]
                .contains(&what)
                .then(|| info_values(&self.requester_vpc_info, what));
        }
        let st = self.status.as_ref();
        Some(match name {
            "expiration-time" => self.expiration_time.iter().map(|t| t.iso8601()).collect(),
            "status-code" => st.and_then(|s| s.code.clone()).into_iter().collect(),
            "status-message" => st.and_then(|s| s.message.clone()).into_iter().collect(),
            "vpc-peering-connection-id" => self.vpc_peering_connection_id.iter().cloned().collect(),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_vpc_peering_connections(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeVpcPeeringConnectionsRequest,
) -> Result<DescribeVpcPeeringConnectionsResult, ApiError> {
    let paging = input.page();
    let ids = input.vpc_peering_connection_ids.unwrap_or_default();
    for id in &ids {
        get(state, id, ctx.now)?;
    }
    let all = state
        .vpc_peering_connections
        .iter()
        .filter(|(id, p)| visible(state, id, p, ctx.now) && (ids.is_empty() || ids.contains(id)))
        .map(|(id, _)| describe_one(state, id, ctx.now));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |p| p.vpc_peering_connection_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeVpcPeeringConnectionsResult { vpc_peering_connections: Some(page), next_token: next })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::CreateRouteRequest;
    use crate::state::support::testing::{delete_vpc, route_table, routes, setup, vpc};
    use crate::vpc::route_tables;

    fn request(s: &mut Ec2State, ctx: &RequestContext, a: &str, b: &str) -> VpcPeeringConnection {
        let input =
            CreateVpcPeeringConnectionRequest { vpc_id: a.into(), peer_vpc_id: Some(b.into()), ..Default::default() };
        create_vpc_peering_connection(s, ctx, input).unwrap().vpc_peering_connection.unwrap()
    }

    fn shown_code(s: &Ec2State, ctx: &RequestContext, id: &str) -> String {
        let input = DescribeVpcPeeringConnectionsRequest {
            vpc_peering_connection_ids: Some(vec![id.into()]),
            ..Default::default()
        };
        let p = describe_vpc_peering_connections(s, ctx, input).unwrap().vpc_peering_connections.unwrap().remove(0);
        code(&p).to_string()
    }

    #[test]
    fn peering_in_one_account_and_region_goes_all_the_way() {
        let (mut s, ctx) = setup();
        let (a, b) = (vpc(&mut s, &ctx, "10.0.0.0/16"), vpc(&mut s, &ctx, "10.1.0.0/16"));
        let p = request(&mut s, &ctx, &a, &b);
        assert_eq!(code(&p), "initiating-request");
        assert!(p.expiration_time.is_some());
        let id = p.vpc_peering_connection_id.unwrap();
        assert_eq!(shown_code(&s, &ctx, &id), "pending-acceptance");

        let rtb = route_table(&mut s, &ctx, &a);
        let route = CreateRouteRequest {
            route_table_id: rtb.clone(),
            destination_cidr_block: Some("10.1.0.0/16".into()),
            vpc_peering_connection_id: Some(id.clone()),
            ..Default::default()
        };
        route_tables::create_route(&mut s, &ctx, route).unwrap();
        assert_eq!(routes(&s, &ctx, &rtb).last().unwrap().state.as_deref(), Some("blackhole"), "not active yet");

        let accept = AcceptVpcPeeringConnectionRequest { vpc_peering_connection_id: id.clone(), dry_run: None };
        let accepted =
            accept_vpc_peering_connection(&mut s, &ctx, accept.clone()).unwrap().vpc_peering_connection.unwrap();
        assert_eq!(code(&accepted), "provisioning");
        assert_eq!(accepter(&accepted).cidr_block.as_deref(), Some("10.1.0.0/16"));
        assert_eq!(shown_code(&s, &ctx, &id), "active");
        assert_eq!(routes(&s, &ctx, &rtb).last().unwrap().state.as_deref(), Some("active"));
        let err = accept_vpc_peering_connection(&mut s, &ctx, accept).unwrap_err();
        assert_eq!(err.code, "InvalidStateTransition");
        assert_eq!(delete_vpc(&mut s, &ctx, &b).unwrap_err().code, "DependencyViolation");

        let dns = ModifyVpcPeeringConnectionOptionsRequest {
            vpc_peering_connection_id: id.clone(),
            requester_peering_connection_options: Some(PeeringConnectionOptionsRequest {
                allow_dns_resolution_from_remote_vpc: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        };
        let err = modify_vpc_peering_connection_options(&mut s, &ctx, dns.clone()).unwrap_err();
        assert_eq!(err.code, "InvalidVpcPeeringConnectionState.DnsHostnamesDisabled");
        for v in [&a, &b] {
            s.vpcs.get_mut(v).unwrap().enable_dns_hostnames = true;
        }
        let out = modify_vpc_peering_connection_options(&mut s, &ctx, dns).unwrap();
        assert_eq!(out.requester_peering_connection_options.unwrap().allow_dns_resolution_from_remote_vpc, Some(true));
        assert!(out.accepter_peering_connection_options.is_none());

        let delete = DeleteVpcPeeringConnectionRequest { vpc_peering_connection_id: id.clone(), dry_run: None };
        delete_vpc_peering_connection(&mut s, &ctx, delete.clone()).unwrap();
        assert_eq!(shown_code(&s, &ctx, &id), "deleted");
        assert_eq!(routes(&s, &ctx, &rtb).last().unwrap().state.as_deref(), Some("blackhole"));
        let err = delete_vpc_peering_connection(&mut s, &ctx, delete).unwrap_err();
        assert_eq!(err.code, "InvalidStateTransition");
        assert!(err.message.ends_with("from deleted to deleting"), "{}", err.message);
        let mut later = ctx.clone();
        later.now += TimeDelta::hours(3);
        assert!(describe_vpc_peering_connections(&s, &later, Default::default())
            .unwrap()
            .vpc_peering_connections
            .unwrap()
            .is_empty());
    }

    #[test]
    fn overlapping_or_missing_vpcs_fail_and_requests_expire_or_get_rejected() {
        let (mut s, ctx) = setup();
        let (a, b) = (vpc(&mut s, &ctx, "10.0.0.0/16"), vpc(&mut s, &ctx, "10.0.0.0/24"));
        let overlap = request(&mut s, &ctx, &a, &b).vpc_peering_connection_id.unwrap();
        assert_eq!(shown_code(&s, &ctx, &overlap), "failed");
        let missing = request(&mut s, &ctx, &a, "vpc-00000000000000000").vpc_peering_connection_id.unwrap();
        assert_eq!(shown_code(&s, &ctx, &missing), "failed");
        let delete = DeleteVpcPeeringConnectionRequest { vpc_peering_connection_id: overlap, dry_run: None };
        assert_eq!(delete_vpc_peering_connection(&mut s, &ctx, delete).unwrap_err().code, "InvalidStateTransition");

        let c = vpc(&mut s, &ctx, "10.2.0.0/16");
        let rejected = request(&mut s, &ctx, &a, &c).vpc_peering_connection_id.unwrap();
        let reject = RejectVpcPeeringConnectionRequest { vpc_peering_connection_id: rejected.clone(), dry_run: None };
        assert_eq!(reject_vpc_peering_connection(&mut s, &ctx, reject).unwrap().r#return, Some(true));
        assert_eq!(shown_code(&s, &ctx, &rejected), "rejected");

        let waiting = request(&mut s, &ctx, &a, &c).vpc_peering_connection_id.unwrap();
        let mut later = ctx.clone();
        later.now += TimeDelta::days(8);
        assert_eq!(shown_code(&s, &later, &waiting), "expired");
    }

    #[test]
    fn a_request_to_another_account_or_region_waits_on_the_requester_side() {
        let (mut s, ctx) = setup();
        let a = vpc(&mut s, &ctx, "10.0.0.0/16");
        for (owner, region, message) in [
            (Some("111122223333"), None, "User (000000000000) cannot accept peering"),
            (None, Some("eu-west-1"), "must be accepted or rejected in region eu-west-1"),
        ] {
            let input = CreateVpcPeeringConnectionRequest {
                vpc_id: a.clone(),
                peer_vpc_id: Some("vpc-0abcdef0123456789".into()),
                peer_owner_id: owner.map(str::to_string),
                peer_region: region.map(str::to_string),
                ..Default::default()
            };
            let p = create_vpc_peering_connection(&mut s, &ctx, input).unwrap().vpc_peering_connection.unwrap();
            let id = p.vpc_peering_connection_id.unwrap();
            assert_eq!(shown_code(&s, &ctx, &id), "pending-acceptance");
            let accept = AcceptVpcPeeringConnectionRequest { vpc_peering_connection_id: id.clone(), dry_run: None };
            let err = accept_vpc_peering_connection(&mut s, &ctx, accept).unwrap_err();
            assert_eq!(err.code, "OperationNotPermitted");
            assert!(err.message.contains(message), "{}", err.message);
        }
    }
}
