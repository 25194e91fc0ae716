//! What every Transit Gateway handler leans on: finding gateways, attachments and route
//! tables as AWS would (with AWS's errors), an attachment's state across partitions,
//! the errors whose code other families word differently, and forgetting what AWS no
//! longer shows.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto;
use crate::generated::errors;
use crate::state::shared::Shared;
use crate::state::transit::{AttachmentKind, AttachmentRecord, GatewayRecord, Life, PeeringRecord, RouteTableRecord};
use crate::state::Ec2State;

/// How long each lifecycle step takes in this partition.
pub fn delay(state: &Ec2State) -> TimeDelta {
    state.transition_delay()
}

/// A creation time as AWS answers it, in whole seconds.
pub fn ts(t: DateTime<Utc>) -> Option<Timestamp> {
    Some(Timestamp(t.trunc_subsecs(0)))
}

// Codes other families use with another wording; AWS words them thus for transit
// gateways (InvalidSubnetID.NotFound as quoted in terraform-provider-aws #26136,
// DuplicateSubnetsInSameZone in zoitech/terraform-aws-network #46, Resource.AlreadyAssociated
// in awsdocs/aws-transit-gateway-guide #13, RouteAlreadyExists in
// ministryofjustice/modernisation-platform #4810).

pub fn route_table_not_found(id: &str) -> ApiError {
    ApiError::client(
        "InvalidRouteTableID.NotFound",
        format!("Transit Gateway Route Table {id} was deleted or does not exist."),
    )
}

pub fn subnet_not_found(id: &str) -> ApiError {
    ApiError::client("InvalidSubnetID.NotFound", format!("Subnet {id} was deleted or does not exist."))
}

pub fn duplicate_subnets_in_same_zone() -> ApiError {
    ApiError::client("DuplicateSubnetsInSameZone", "Duplicate Subnets for same AZ")
}

pub fn already_associated(attachment: &str) -> ApiError {
    ApiError::client(
        "Resource.AlreadyAssociated",
        format!("Transit Gateway Attachment {attachment} is already associated to a route table."),
    )
}

pub fn route_already_exists(cidr: &str, table: &str) -> ApiError {
    ApiError::client(
        "RouteAlreadyExists",
        format!("Route {cidr} already exists in Transit Gateway Route Table {table}."),
    )
}

pub fn route_not_found(cidr: &str, table: &str) -> ApiError {
    ApiError::client(
        "InvalidRoute.NotFound",
        format!("No route with destination-cidr-block {cidr} in the Transit Gateway Route Table {table}"),
    )
}

/// `IncorrectState` for a resource that is not in a state the request can act on.
pub fn invalid_state(id: &str) -> ApiError {
    errors::incorrect_state(format!("{id} is in invalid state"))
}

/// A gateway that exists and is not deleted.
pub fn gateway<'a>(state: &'a Ec2State, id: &str) -> Result<&'a GatewayRecord, ApiError> {
    state.transit.live_gateway(id).ok_or_else(|| errors::invalid_transit_gateway_id_not_found(id))
}

/// A gateway that is `available` (not pending, modifying or deleting).
pub fn available_gateway<'a>(
    state: &'a Ec2State,
    ctx: &RequestContext,
    id: &str,
) -> Result<&'a GatewayRecord, ApiError> {
    let g = gateway(state, id)?;
    if g.life.shown(delay(state), ctx.now) != "available" {
        return Err(invalid_state(id));
    }
    Ok(g)
}

/// A route table that exists and is not deleted.
pub fn route_table<'a>(state: &'a Ec2State, id: &str) -> Result<&'a RouteTableRecord, ApiError> {
    state.transit.route_tables.get(id).filter(|t| !t.life.finished()).ok_or_else(|| route_table_not_found(id))
}

/// A route table that is `available`.
pub fn available_route_table<'a>(
    state: &'a Ec2State,
    ctx: &RequestContext,
    id: &str,
) -> Result<&'a RouteTableRecord, ApiError> {
    let t = route_table(state, id)?;
    if t.life.shown(delay(state), ctx.now) != "available" {
        return Err(invalid_state(id));
    }
    Ok(t)
}

/// Every half of a peering this partition knows, the attachment's own first: its twin
/// here (a peering within the partition), and the other partitions' halves.
pub fn peering_halves(
    state: &Ec2State,
    shared: &Shared,
    ctx: &RequestContext,
    a: &AttachmentRecord,
) -> Vec<AttachmentRecord> {
    let mut out = vec![a.clone()];
    let Some(p) = a.peering() else { return out };
    if let Some(twin) = p.twin.as_ref().and_then(|t| state.transit.attachments.get(t)) {
        out.push(twin.clone());
    }
    for (account, region, half) in shared.peering_halves(&a.id) {
        if account != ctx.account() || region != ctx.region {
            out.push(half);
        }
    }
    out
}

/// An attachment's life. A peering's comes from both halves: this partition's record
/// and the other side's (its twin here, or the other partition's, through the registry).
pub fn attachment_life(state: &Ec2State, shared: &Shared, ctx: &RequestContext, a: &AttachmentRecord) -> Life {
    if a.peering().is_none() {
        return a.life;
    }
    let (mut request, mut answer) = (None, None);
    for half in peering_halves(state, shared, ctx, a) {
        if let Some(p) = half.peering() {
            request = request.or(p.request);
            answer = answer.or(p.answer);
        }
    }
    PeeringRecord::merged(request.as_ref(), answer.as_ref())
}

/// The state an attachment shows at `now`. A requested peering shows
/// `initiatingRequest` while the request is on its way.
pub fn attachment_state(state: &Ec2State, shared: &Shared, ctx: &RequestContext, a: &AttachmentRecord) -> &'static str {
    let life = attachment_life(state, shared, ctx, a);
    let shown = life.shown(delay(state), ctx.now);
    if a.peering().is_some() && shown == "pending" && life.stage == crate::state::transit::Stage::PendingAcceptance {
        return "initiatingRequest";
    }
    shown
}

/// A peering requested by another partition of a gateway here, as this side sees it
/// before it answers: its own gateway, the requester as the resource.
pub fn accepter_view(requested: &AttachmentRecord) -> AttachmentRecord {
    let mut a = requested.clone();
    if let AttachmentKind::Peering(p) = &mut a.kind {
        a.tgw_id = p.accepter.tgw_id.clone();
        a.tgw_owner = p.accepter.account.clone();
        a.resource_id = p.requester.tgw_id.clone();
        a.resource_owner = p.requester.account.clone();
        p.request = None;
        p.answer = None;
    }
    a
}

/// Every attachment this partition shows: its own, and peerings other partitions
/// requested of its gateways that it has not answered yet. In id order.
pub fn attachments_here(state: &Ec2State, shared: &Shared, ctx: &RequestContext) -> Vec<AttachmentRecord> {
    let mut all: Vec<AttachmentRecord> = state.transit.attachments.values().cloned().collect();
    for requested in shared.peerings_requested_of(ctx.account(), &ctx.region) {
        if !state.transit.attachments.contains_key(&requested.id) {
            all.push(accepter_view(&requested));
        }
    }
    all.sort_by(|a, b| a.id.cmp(&b.id));
    all.retain(|a| attachment_life(state, shared, ctx, a).visible(delay(state), ctx.now));
    all
}

/// An attachment this partition shows (deleted ones for a while), or AWS's not-found
/// error naming `what` ("Attachment", "VPC Attachment", ...).
pub fn find_attachment(
    state: &Ec2State,
    shared: &Shared,
    ctx: &RequestContext,
    id: &str,
    what: &str,
) -> Result<AttachmentRecord, ApiError> {
    let local = state.transit.attachments.get(id).cloned();
    let found = local.or_else(|| {
        shared
            .peerings_requested_of(ctx.account(), &ctx.region)
            .into_iter()
            .find(|a| a.id == id)
            .map(|a| accepter_view(&a))
    });
    found
        .filter(|a| attachment_life(state, shared, ctx, a).visible(delay(state), ctx.now))
        .ok_or_else(|| errors::invalid_transit_gateway_attachment_id_not_found(id, what))
}

/// An attachment that is not deleted, rejected or failed.
pub fn live_attachment(
    state: &Ec2State,
    shared: &Shared,
    ctx: &RequestContext,
    id: &str,
    what: &str,
) -> Result<AttachmentRecord, ApiError> {
    let a = find_attachment(state, shared, ctx, id, what)?;
    if attachment_life(state, shared, ctx, &a).finished() {
        return Err(errors::invalid_transit_gateway_attachment_id_not_found(id, what));
    }
    Ok(a)
}

/// Whether an attachment carries traffic: it is `available` (or being modified).
pub fn attachment_up(state: &Ec2State, shared: &Shared, ctx: &RequestContext, id: &str) -> bool {
    state
        .transit
        .attachments
        .get(id)
        .is_some_and(|a| matches!(attachment_state(state, shared, ctx, a), "available" | "modifying"))
}

/// The route table of `tgw_id` the attachment is associated with here, and the
/// association's state.
pub fn association_of(
    state: &Ec2State,
    ctx: &RequestContext,
    attachment_id: &str,
    tgw_id: &str,
) -> Option<(String, &'static str)> {
    state.transit.route_tables.values().filter(|t| t.tgw_id == tgw_id && !t.life.finished()).find_map(|t| {
        let life = t.associations.get(attachment_id)?;
        life.association_state(delay(state), ctx.now).map(|s| (t.id.clone(), s))
    })
}

/// An attachment in the shape DescribeTransitGatewayAttachments answers.
pub fn attachment_dto(
    state: &Ec2State,
    shared: &Shared,
    ctx: &RequestContext,
    a: &AttachmentRecord,
) -> dto::TransitGatewayAttachment {
    let association =
        association_of(state, ctx, &a.id, &a.tgw_id).map(|(table, s)| dto::TransitGatewayAttachmentAssociation {
            transit_gateway_route_table_id: Some(table),
            transit_gateway_policy_table_id: None,
            state: Some(s.into()),
        });
    dto::TransitGatewayAttachment {
        transit_gateway_attachment_id: Some(a.id.clone()),
        transit_gateway_id: Some(a.tgw_id.clone()),
        transit_gateway_owner_id: Some(a.tgw_owner.clone()),
        resource_owner_id: Some(a.resource_owner.clone()),
        resource_type: Some(a.resource_type.clone()),
        resource_id: Some(a.resource_id.clone()),
        state: Some(attachment_state(state, shared, ctx, a).into()),
        association,
        creation_time: ts(a.creation_time),
        tags: state.dto_tags(&a.id),
        nat_gateway_support: None,
    }
}

/// Forgets what AWS no longer shows: deleted gateways, attachments, route tables and
/// the rest once their time is up, and associations and propagations that ended.
pub fn prune(state: &mut Ec2State, shared: &Shared, ctx: &RequestContext) {
    let (d, now) = (delay(state), ctx.now);
    let t = &state.transit;
    let gateways: Vec<String> =
        t.gateways.iter().filter(|(_, g)| !g.life.visible(d, now)).map(|(id, _)| id.clone()).collect();
    let attachments: Vec<String> = t
        .attachments
        .values()
        .filter(|a| !attachment_life(state, shared, ctx, a).visible(d, now))
        .map(|a| a.id.clone())
        .collect();
    // A peering the other side ended leaves this side's tables too.
    let ended: Vec<String> = t
        .attachments
        .values()
        .filter(|a| a.peering().is_some() && !a.life.finished() && attachment_life(state, shared, ctx, a).finished())
        .map(|a| a.id.clone())
        .collect();
    let tables: Vec<String> =
        t.route_tables.values().filter(|r| !r.life.visible(d, now)).map(|r| r.id.clone()).collect();
    let t = &mut state.transit;
    for id in &ended {
        t.release_attachment(id, now);
    }
    for id in &gateways {
        t.gateways.remove(id);
    }
    for id in &attachments {
        t.attachments.remove(id);
    }
    for id in &tables {
        t.route_tables.remove(id);
    }
    for table in t.route_tables.values_mut() {
        table.associations.retain(|_, l| l.association_state(d, now).is_some());
        table.propagations.retain(|_, l| l.propagation_state(d, now).is_some());
        table.prefix_list_references.retain(|_, r| !(r.life.finished() && r.life.settled(d, now)));
    }
    for id in &attachments {
        state.unpublished.insert(id.clone());
    }
    for id in gateways.iter().chain(&attachments).chain(&tables) {
        state.forget(id);
    }
}

/// `enable` or `disable`, checked against the option's values.
pub fn toggle(parameter: &str, value: &Option<String>, default: &str) -> Result<String, ApiError> {
    let v = value.clone().unwrap_or_else(|| default.to_string());
    crate::state::params::one_of(parameter, &v, &["enable", "disable"])?;
    Ok(v)
}
