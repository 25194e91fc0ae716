//! Peering attachments: a gateway asks another (of any account, in any region) to peer;
//! the request shows `initiatingRequest`, then `pendingAcceptance` on both sides, and
//! the peer's owner accepts (`pending`, then `available`) or rejects it. Either side may
//! delete it. Across partitions both sides share the attachment's id and each keeps its
//! half (the registry in `state/shared.rs` joins them); within one partition AWS gives
//! the accepter an attachment of its own (`AccepterTransitGatewayAttachmentId`), the
//! twin of the requester's. Peering attachments carry static routes only.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, regions, ApiError, RequestContext};

use super::common::{self, attachment_state, attachments_here, peering_halves, toggle, ts};
use crate::generated::dto::{
    AcceptTransitGatewayPeeringAttachmentRequest, AcceptTransitGatewayPeeringAttachmentResult,
    CreateTransitGatewayPeeringAttachmentRequest, CreateTransitGatewayPeeringAttachmentResult,
    DeleteTransitGatewayPeeringAttachmentRequest, DeleteTransitGatewayPeeringAttachmentResult,
    DescribeTransitGatewayPeeringAttachmentsRequest, DescribeTransitGatewayPeeringAttachmentsResult,
    ModifyTransitGatewayPeeringAttachmentRequest, ModifyTransitGatewayPeeringAttachmentResult, PeeringAttachmentStatus,
    PeeringTgwInfo, RejectTransitGatewayPeeringAttachmentRequest, RejectTransitGatewayPeeringAttachmentResult,
    TransitGatewayPeeringAttachment, TransitGatewayPeeringAttachmentOptions,
};
use crate::generated::errors;
use crate::state::params::{invalid_value, one_of};
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::transit::{AttachmentKind, AttachmentRecord, Life, PeeringRecord, PeeringSide, Stage};
use crate::state::Ec2State;

const WHAT: &str = "Peering Attachment";

fn info(side: &PeeringSide) -> PeeringTgwInfo {
    PeeringTgwInfo {
        transit_gateway_id: Some(side.tgw_id.clone()),
        core_network_id: None,
        owner_id: Some(side.account.clone()),
        region: Some(side.region.clone()),
    }
}

/// `pendingAcceptance` -> `Pending Acceptance`, as AWS words a peering's status.
fn status_message(code: &str) -> String {
    let mut out = String::new();
    for (i, c) in code.chars().enumerate() {
        if i == 0 {
            out.extend(c.to_uppercase());
        } else if c.is_uppercase() {
            out.push(' ');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether the record is the requester's side in this partition.
fn is_requester_side(ctx: &RequestContext, a: &AttachmentRecord, p: &PeeringRecord) -> bool {
    a.tgw_id == p.requester.tgw_id && p.requester.account == ctx.account() && p.requester.region == ctx.region
}

/// A peering attachment as this side sees it at `now`.
fn describe_one(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    a: &AttachmentRecord,
) -> TransitGatewayPeeringAttachment {
    let p = a.peering().expect("a peering attachment");
    let code = attachment_state(state, shared, ctx, a);
    let halves = peering_halves(state, shared, ctx, a);
    let allow = |side: &PeeringSide| {
        halves
            .iter()
            .find(|h| h.tgw_id == side.tgw_id)
            .and_then(|h| h.peering())
            .and_then(|h| h.multipath)
            .unwrap_or(false)
    };
    let (requester, accepter) = (allow(&p.requester), allow(&p.accepter));
    let multipath_set = halves.iter().any(|h| h.peering().is_some_and(|h| h.multipath.is_some()));
    let message = if p.request.is_some_and(|r| r.stage == Stage::Failed) && code.starts_with("fail") {
        format!("Transit Gateway {} was deleted or does not exist.", p.accepter.tgw_id)
    } else {
        status_message(code)
    };
    TransitGatewayPeeringAttachment {
        transit_gateway_attachment_id: Some(a.id.clone()),
        accepter_transit_gateway_attachment_id: p.twin.clone().filter(|_| is_requester_side(ctx, a, p)),
        requester_tgw_info: Some(info(&p.requester)),
        accepter_tgw_info: Some(info(&p.accepter)),
        // Only what the request set: Terraform reads an answered block as configuration.
        options: (p.dynamic_routing.is_some() || multipath_set).then(|| TransitGatewayPeeringAttachmentOptions {
            dynamic_routing: p.dynamic_routing.clone(),
            requester_allow_multipath_resilience: multipath_set.then_some(requester),
            requester_multipath_resilience_mode: requester.then(|| "always-on".into()),
            accepter_allow_multipath_resilience: multipath_set.then_some(accepter),
            accepter_multipath_resilience_mode: accepter.then(|| "always-on".into()),
            multipath_resilience_status: multipath_set
                .then(|| if requester && accepter { "enabled" } else { "disabled" }.into()),
        }),
        status: Some(PeeringAttachmentStatus { code: Some(code.into()), message: Some(message) }),
        state: Some(code.into()),
        creation_time: ts(a.creation_time),
        tags: state.dto_tags(&a.id),
    }
}

/// A peering attachment this partition shows and that has not ended.
fn peering(state: &Ec2State, ctx: &RequestContext, shared: &Shared, id: &str) -> Result<AttachmentRecord, ApiError> {
    let a = common::live_attachment(state, shared, ctx, id, WHAT)?;
    if a.peering().is_none() {
        return Err(errors::invalid_transit_gateway_attachment_id_not_found(id, WHAT));
    }
    Ok(a)
}

fn check_account(id: &str) -> Result<(), ApiError> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    Err(invalid_value("PeerAccountId", id, "An account ID is 12 digits."))
}

pub fn create_transit_gateway_peering_attachment(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CreateTransitGatewayPeeringAttachmentRequest,
) -> Result<CreateTransitGatewayPeeringAttachmentResult, ApiError> {
    let tgw_id = input.transit_gateway_id.as_str();
    common::available_gateway(state, ctx, tgw_id)?;
    if !regions::is_known(&input.peer_region) {
        return Err(invalid_value("PeerRegion", &input.peer_region, "The region is not a valid AWS Region."));
    }
    check_account(&input.peer_account_id)?;
    let peer = input.peer_transit_gateway_id.as_str();
    if peer == tgw_id {
        return Err(errors::invalid_parameter_value(format!("Transit Gateway {tgw_id} cannot be peered with itself.")));
    }
    let o = input.options.unwrap_or_default();
    let dynamic_routing = match &o.dynamic_routing {
        Some(_) => Some(toggle("Options.DynamicRouting", &o.dynamic_routing, "disable")?),
        None => None,
    };
    if let Some(mode) = &o.multipath_resilience_mode {
        one_of("Options.MultipathResilienceMode", mode, &["always-on"])?;
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "transit-gateway-attachment")?;
    let here = input.peer_account_id == ctx.account() && input.peer_region == ctx.region;
    if here && state.transit.live_gateway(peer).is_none() {
        return Err(errors::invalid_transit_gateway_id_not_found(peer));
    }
    common::prune(state, shared, ctx);
    // The other side learns of the request asynchronously at AWS: a peer gateway that
    // does not exist fails the attachment rather than the request.
    let found = here || shared.gateway_exists(&input.peer_account_id, &input.peer_region, peer);
    let now = ctx.now;
    let request = Life::new(if found { Stage::PendingAcceptance } else { Stage::Failed }, now);
    let requester = PeeringSide { tgw_id: tgw_id.into(), account: ctx.account().into(), region: ctx.region.clone() };
    let accepter =
        PeeringSide { tgw_id: peer.into(), account: input.peer_account_id.clone(), region: input.peer_region.clone() };
    let id = ids::resource_id("tgw-attach");
    let twin = here.then(|| ids::resource_id("tgw-attach"));
    let record = PeeringRecord {
        requester: requester.clone(),
        accepter: accepter.clone(),
        dynamic_routing,
        request: Some(request),
        answer: None,
        twin: twin.clone(),
        multipath: o.allow_multipath_resilience,
    };
    if let Some(twin) = &twin {
        let mut half = record.clone();
        (half.request, half.twin, half.multipath) = (None, Some(id.clone()), None);
        let accepter_side = AttachmentRecord {
            id: twin.clone(),
            tgw_id: peer.into(),
            tgw_owner: ctx.account().into(),
            resource_type: "peering".into(),
            resource_id: tgw_id.into(),
            resource_owner: ctx.account().into(),
            creation_time: now,
            life: request,
            kind: AttachmentKind::Peering(half),
        };
        state.transit.attachments.insert(twin.clone(), accepter_side);
    }
    state.transit.attachments.insert(
        id.clone(),
        AttachmentRecord {
            id: id.clone(),
            tgw_id: tgw_id.into(),
            tgw_owner: ctx.account().into(),
            resource_type: "peering".into(),
            resource_id: peer.into(),
            resource_owner: input.peer_account_id.clone(),
            creation_time: now,
            life: request,
            kind: AttachmentKind::Peering(record),
        },
    );
    state.set_tags(&id, tags);
    state.unpublished.insert(id.clone());
    let mut shown = describe_one(state, ctx, shared, &state.transit.attachments[&id]);
    shown.state = Some("initiatingRequest".into());
    shown.status = Some(PeeringAttachmentStatus {
        code: Some("initiatingRequest".into()),
        message: Some("Initiating Request".into()),
    });
    Ok(CreateTransitGatewayPeeringAttachmentResult { transit_gateway_peering_attachment: Some(shown) })
}

/// Records this side's answer (`Accepted`, `Rejected` or `Deleted`) to a peering: in
/// its own record here, made from what the requester sent when it has none yet.
fn answer(state: &mut Ec2State, a: &AttachmentRecord, life: Life) {
    let rec = state.transit.attachments.entry(a.id.clone()).or_insert_with(|| a.clone());
    rec.life = life;
    if let AttachmentKind::Peering(p) = &mut rec.kind {
        p.answer = Some(life);
    }
    state.unpublished.insert(a.id.clone());
}

/// A peering waiting for this side's answer: refused for the requester's side.
fn awaiting_answer(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    id: &str,
) -> Result<AttachmentRecord, ApiError> {
    let a = peering(state, ctx, shared, id)?;
    if is_requester_side(ctx, &a, a.peering().expect("a peering")) {
        // AWS's words, as quoted in terraform-provider-aws #25617.
        return Err(errors::invalid_parameter_value(format!(
            "Cannot accept {id} as the source of the peering request."
        )));
    }
    if attachment_state(state, shared, ctx, &a) != "pendingAcceptance" {
        return Err(common::invalid_state(id));
    }
    Ok(a)
}

pub fn accept_transit_gateway_peering_attachment(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: AcceptTransitGatewayPeeringAttachmentRequest,
) -> Result<AcceptTransitGatewayPeeringAttachmentResult, ApiError> {
    let id = input.transit_gateway_attachment_id.as_str();
    let a = awaiting_answer(state, ctx, shared, id)?;
    common::available_gateway(state, ctx, &a.tgw_id)?;
    answer(state, &a, Life::new(Stage::Accepted, ctx.now));
    let mut shown = describe_one(state, ctx, shared, &state.transit.attachments[id]);
    shown.state = Some("pending".into());
    shown.status = Some(PeeringAttachmentStatus { code: Some("pending".into()), message: Some("Pending".into()) });
    Ok(AcceptTransitGatewayPeeringAttachmentResult { transit_gateway_peering_attachment: Some(shown) })
}

pub fn reject_transit_gateway_peering_attachment(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: RejectTransitGatewayPeeringAttachmentRequest,
) -> Result<RejectTransitGatewayPeeringAttachmentResult, ApiError> {
    let id = input.transit_gateway_attachment_id.as_str();
    let a = awaiting_answer(state, ctx, shared, id)?;
    answer(state, &a, Life::new(Stage::Rejected, ctx.now));
    state.transit.release_attachment(id, ctx.now);
    let mut shown = describe_one(state, ctx, shared, &state.transit.attachments[id]);
    shown.state = Some("rejecting".into());
    shown.status = Some(PeeringAttachmentStatus { code: Some("rejecting".into()), message: Some("Rejecting".into()) });
    Ok(RejectTransitGatewayPeeringAttachmentResult { transit_gateway_peering_attachment: Some(shown) })
}

pub fn delete_transit_gateway_peering_attachment(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DeleteTransitGatewayPeeringAttachmentRequest,
) -> Result<DeleteTransitGatewayPeeringAttachmentResult, ApiError> {
    let id = input.transit_gateway_attachment_id.as_str();
    let a = peering(state, ctx, shared, id)?;
    if matches!(attachment_state(state, shared, ctx, &a), "initiatingRequest" | "pending" | "modifying") {
        return Err(common::invalid_state(id));
    }
    let p = a.peering().expect("a peering");
    let life = Life::new(Stage::Deleted, ctx.now);
    if is_requester_side(ctx, &a, p) {
        let rec = state.transit.attachments.get_mut(id).expect("the requester's record is here");
        rec.life = life;
        if let AttachmentKind::Peering(p) = &mut rec.kind {
            p.request = Some(life);
        }
        state.unpublished.insert(id.to_string());
    } else {
        answer(state, &a, life);
    }
    state.transit.release_attachment(id, ctx.now);
    if let Some(twin) = p.twin.clone() {
        state.transit.release_attachment(&twin, ctx.now);
    }
    let mut shown = describe_one(state, ctx, shared, &state.transit.attachments[id]);
    shown.state = Some("deleting".into());
    shown.status = Some(PeeringAttachmentStatus { code: Some("deleting".into()), message: Some("Deleting".into()) });
    Ok(DeleteTransitGatewayPeeringAttachmentResult { transit_gateway_peering_attachment: Some(shown) })
}

pub fn modify_transit_gateway_peering_attachment(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: ModifyTransitGatewayPeeringAttachmentRequest,
) -> Result<ModifyTransitGatewayPeeringAttachmentResult, ApiError> {
    let id = input.transit_gateway_attachment_id.as_str();
    let a = peering(state, ctx, shared, id)?;
    if attachment_state(state, shared, ctx, &a) != "available" {
        return Err(common::invalid_state(id));
    }
    let o = input.options.unwrap_or_default();
    if let Some(mode) = &o.multipath_resilience_mode {
        one_of("Options.MultipathResilienceMode", mode, &["always-on"])?;
    }
    let rec = state.transit.attachments.get_mut(id).expect("an available peering has this side's record");
    if let (AttachmentKind::Peering(p), Some(allow)) = (&mut rec.kind, o.allow_multipath_resilience) {
        p.multipath = Some(allow);
    }
    state.unpublished.insert(id.to_string());
    let shown = describe_one(state, ctx, shared, &state.transit.attachments[id]);
    Ok(ModifyTransitGatewayPeeringAttachmentResult { transit_gateway_peering_attachment: Some(shown) })
}

/// A peering attachment with what its filters need to know: this side and the other.
#[derive(Debug, Clone, Default)]
struct Shown {
    dto: TransitGatewayPeeringAttachment,
    local: PeeringSide,
    remote: PeeringSide,
}

impl Filterable for Shown {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let d = &self.dto;
        Some(match name {
            "transit-gateway-attachment-id" => d.transit_gateway_attachment_id.iter().cloned().collect(),
            "local-owner-id" => vec![self.local.account.clone()],
            "remote-owner-id" => vec![self.remote.account.clone()],
            "state" => d.state.iter().cloned().collect(),
            "transit-gateway-id" => vec![self.local.tgw_id.clone()],
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.dto.tags)
    }
}

pub fn describe_transit_gateway_peering_attachments(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DescribeTransitGatewayPeeringAttachmentsRequest,
) -> Result<DescribeTransitGatewayPeeringAttachmentsResult, ApiError> {
    let paging = input.page();
    let ids = input.transit_gateway_attachment_ids.unwrap_or_default();
    let all: Vec<AttachmentRecord> =
        attachments_here(state, shared, ctx).into_iter().filter(|a| a.peering().is_some()).collect();
    for id in &ids {
        if !all.iter().any(|a| a.id == *id) {
            return Err(errors::invalid_transit_gateway_attachment_id_not_found(id, WHAT));
        }
    }
    let shown = all.iter().filter(|a| ids.is_empty() || ids.contains(&a.id)).map(|a| {
        let p = a.peering().expect("a peering");
        let (local, remote) = if a.tgw_id == p.requester.tgw_id {
            (p.requester.clone(), p.accepter.clone())
        } else {
            (p.accepter.clone(), p.requester.clone())
        };
        Shown { dto: describe_one(state, ctx, shared, a), local, remote }
    });
    let items = filtered(shown, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |s| s.dto.transit_gateway_attachment_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeTransitGatewayPeeringAttachmentsResult {
        transit_gateway_peering_attachments: Some(page.into_iter().map(|s| s.dto).collect()),
        next_token: next,
    })
}
