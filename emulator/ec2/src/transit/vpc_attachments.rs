//! VPC attachments: a VPC joined to a gateway through one subnet per Availability Zone,
//! where AWS places a requester-managed interface. Create (with the gateway's default
//! association and propagation), modify (subnets, options), delete, describe; accept and
//! reject answer attachments waiting for acceptance.

use std::collections::BTreeSet;

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::common::{self, attachment_state, delay, live_attachment, toggle, ts};
use crate::generated::dto::{
    AcceptTransitGatewayVpcAttachmentRequest, AcceptTransitGatewayVpcAttachmentResult,
    CreateTransitGatewayVpcAttachmentRequest, CreateTransitGatewayVpcAttachmentResult,
    DeleteTransitGatewayVpcAttachmentRequest, DeleteTransitGatewayVpcAttachmentResult,
    DescribeTransitGatewayVpcAttachmentsRequest, DescribeTransitGatewayVpcAttachmentsResult,
    ModifyTransitGatewayVpcAttachmentRequest, ModifyTransitGatewayVpcAttachmentResult,
    RejectTransitGatewayVpcAttachmentRequest, RejectTransitGatewayVpcAttachmentResult, TransitGatewayVpcAttachment,
    TransitGatewayVpcAttachmentOptions,
};
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::transit::{AttachmentKind, AttachmentRecord, Life, Stage, VpcAttachmentRecord};
use crate::state::Ec2State;
use crate::vpc::interfaces::records::{create_interface_record, remove_interface_record, NewInterface};
use crate::vpc::{subnets, vpcs};

const WHAT: &str = "VPC Attachment";

/// A VPC attachment as Describe shows it at `now`.
fn describe_one(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    a: &AttachmentRecord,
) -> TransitGatewayVpcAttachment {
    let v = a.vpc().expect("a VPC attachment");
    TransitGatewayVpcAttachment {
        transit_gateway_attachment_id: Some(a.id.clone()),
        transit_gateway_id: Some(a.tgw_id.clone()),
        vpc_id: Some(v.vpc_id.clone()),
        vpc_owner_id: Some(a.resource_owner.clone()),
        state: Some(attachment_state(state, shared, ctx, a).into()),
        subnet_ids: Some(v.subnet_ids.clone()),
        creation_time: ts(a.creation_time),
        options: Some(v.options.clone()),
        tags: state.dto_tags(&a.id),
    }
}

/// A live VPC attachment of this partition.
fn vpc_attachment(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    id: &str,
) -> Result<AttachmentRecord, ApiError> {
    let a = live_attachment(state, shared, ctx, id, WHAT)?;
    if a.vpc().is_none() {
        return Err(errors::invalid_transit_gateway_attachment_id_not_found(id, WHAT));
    }
    Ok(a)
}

/// Checks subnets for the VPC: they exist, are in it, and at most one per zone
/// (`taken` are the zones already used).
fn check_subnets(
    state: &Ec2State,
    vpc_id: &str,
    subnet_ids: &[String],
    taken: &mut BTreeSet<String>,
) -> Result<(), ApiError> {
    for id in subnet_ids {
        let rec = state.subnets.get(id).ok_or_else(|| common::subnet_not_found(id))?;
        if rec.subnet.vpc_id.as_deref() != Some(vpc_id) {
            return Err(errors::invalid_parameter_value(format!("Subnet {id} does not belong to VPC {vpc_id}.")));
        }
        let zone = rec.subnet.availability_zone.clone().unwrap_or_default();
        if !taken.insert(zone) {
            return Err(common::duplicate_subnets_in_same_zone());
        }
    }
    Ok(())
}

/// IPv6 support needs an IPv6 block in every subnet of the attachment.
fn check_ipv6(
    state: &Ec2State,
    options: &TransitGatewayVpcAttachmentOptions,
    subnet_ids: &[String],
) -> Result<(), ApiError> {
    if options.ipv6_support.as_deref() != Some("enable") {
        return Ok(());
    }
    for id in subnet_ids {
        let has_v6 = state.subnets.get(id).is_some_and(|s| {
            s.subnet.ipv6_cidr_block_association_set.iter().flatten().any(|b| b.ipv6_cidr_block.is_some())
        });
        if !has_v6 {
            return Err(errors::invalid_parameter_value(format!(
                "Cannot enable IPv6 support: subnet {id} has no IPv6 CIDR block."
            )));
        }
    }
    Ok(())
}

/// Places the attachment's interface in a subnet.
fn place_interface(
    state: &mut Ec2State,
    ctx: &RequestContext,
    attachment_id: &str,
    subnet_id: &str,
) -> Result<String, ApiError> {
    let ip = subnets::allocate_ip(state, subnet_id, None)?;
    Ok(create_interface_record(
        state,
        ctx,
        NewInterface {
            subnet_id: subnet_id.to_string(),
            ips: vec![ip],
            groups: Vec::new(),
            description: format!("Network Interface for Transit Gateway Attachment {attachment_id}"),
            interface_type: "transit_gateway".into(),
            requester_managed: true,
        },
    ))
}

pub fn create_transit_gateway_vpc_attachment(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CreateTransitGatewayVpcAttachmentRequest,
) -> Result<CreateTransitGatewayVpcAttachmentResult, ApiError> {
    let tgw_id = input.transit_gateway_id.as_str();
    let g = common::available_gateway(state, ctx, tgw_id)?;
    let tgw_owner = g.gateway.owner_id.clone().unwrap_or_default();
    vpcs::get(state, &input.vpc_id)?;
    if input.subnet_ids.is_empty() {
        return Err(errors::missing_parameter("SubnetIds"));
    }
    let mut zones = BTreeSet::new();
    check_subnets(state, &input.vpc_id, &input.subnet_ids, &mut zones)?;
    let o = input.options.unwrap_or_default();
    let options = TransitGatewayVpcAttachmentOptions {
        dns_support: Some(toggle("options.dnsSupport", &o.dns_support, "enable")?),
        security_group_referencing_support: Some(toggle(
            "options.securityGroupReferencingSupport",
            &o.security_group_referencing_support,
            "enable",
        )?),
        ipv6_support: Some(toggle("options.ipv6Support", &o.ipv6_support, "disable")?),
        appliance_mode_support: Some(toggle("options.applianceModeSupport", &o.appliance_mode_support, "disable")?),
    };
    check_ipv6(state, &options, &input.subnet_ids)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "transit-gateway-attachment")?;
    common::prune(state, shared, ctx);
    if state.transit.live_vpc_attachments().any(|(a, v)| a.tgw_id == tgw_id && v.vpc_id == input.vpc_id) {
        return Err(errors::duplicate_transit_gateway_attachment(tgw_id));
    }
    let id = ids::resource_id("tgw-attach");
    let mut interfaces = std::collections::BTreeMap::new();
    for subnet in &input.subnet_ids {
        interfaces.insert(subnet.clone(), place_interface(state, ctx, &id, subnet)?);
    }
    let record = AttachmentRecord {
        id: id.clone(),
        tgw_id: tgw_id.to_string(),
        tgw_owner,
        resource_type: "vpc".into(),
        resource_id: input.vpc_id.clone(),
        resource_owner: ctx.account().to_string(),
        creation_time: ctx.now,
        life: Life::new(Stage::Created, ctx.now),
        kind: AttachmentKind::Vpc(VpcAttachmentRecord {
            vpc_id: input.vpc_id.clone(),
            subnet_ids: input.subnet_ids.clone(),
            options,
            interfaces,
        }),
    };
    state.transit.attachments.insert(id.clone(), record);
    state.transit.apply_defaults(&id, true, true, ctx.now);
    state.set_tags(&id, tags);
    let mut shown = describe_one(state, ctx, shared, &state.transit.attachments[&id]);
    shown.state = Some("pending".into());
    Ok(CreateTransitGatewayVpcAttachmentResult { transit_gateway_vpc_attachment: Some(shown) })
}

impl Filterable for TransitGatewayVpcAttachment {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "state" => one(&self.state),
            "transit-gateway-attachment-id" => one(&self.transit_gateway_attachment_id),
            "transit-gateway-id" => one(&self.transit_gateway_id),
            "vpc-id" => one(&self.vpc_id),
            "vpc-owner-id" => one(&self.vpc_owner_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_transit_gateway_vpc_attachments(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DescribeTransitGatewayVpcAttachmentsRequest,
) -> Result<DescribeTransitGatewayVpcAttachmentsResult, ApiError> {
    let paging = input.page();
    let ids = input.transit_gateway_attachment_ids.unwrap_or_default();
    let (d, now) = (delay(state), ctx.now);
    let visible = |a: &&AttachmentRecord| a.vpc().is_some() && a.life.visible(d, now);
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
        paginate(items, |a| a.transit_gateway_attachment_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeTransitGatewayVpcAttachmentsResult { transit_gateway_vpc_attachments: Some(page), next_token: next })
}

pub fn modify_transit_gateway_vpc_attachment(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: ModifyTransitGatewayVpcAttachmentRequest,
) -> Result<ModifyTransitGatewayVpcAttachmentResult, ApiError> {
    let id = input.transit_gateway_attachment_id.as_str();
    let a = vpc_attachment(state, ctx, shared, id)?;
    if attachment_state(state, shared, ctx, &a) != "available" {
        return Err(common::invalid_state(id));
    }
    let v = a.vpc().expect("a VPC attachment").clone();
    let remove = input.remove_subnet_ids.unwrap_or_default();
    let add = input.add_subnet_ids.unwrap_or_default();
    for s in &remove {
        if !v.subnet_ids.contains(s) {
            return Err(invalid_value("RemoveSubnetIds", s, "The subnet is not part of the attachment."));
        }
    }
    let mut subnet_ids: Vec<String> = v.subnet_ids.iter().filter(|s| !remove.contains(s)).cloned().collect();
    let mut zones: BTreeSet<String> = subnet_ids
        .iter()
        .filter_map(|s| state.subnets.get(s).and_then(|r| r.subnet.availability_zone.clone()))
        .collect();
    let new: Vec<String> = add.iter().filter(|s| !subnet_ids.contains(s)).cloned().collect();
    check_subnets(state, &v.vpc_id, &new, &mut zones)?;
    subnet_ids.extend(new.iter().cloned());
    if subnet_ids.is_empty() {
        return Err(errors::invalid_parameter_value("A VPC attachment must have at least one subnet."));
    }
    let mut options = v.options.clone();
    if let Some(o) = input.options {
        for (field, value, name) in [
            (&mut options.dns_support, &o.dns_support, "options.dnsSupport"),
            (
                &mut options.security_group_referencing_support,
                &o.security_group_referencing_support,
                "options.securityGroupReferencingSupport",
            ),
            (&mut options.ipv6_support, &o.ipv6_support, "options.ipv6Support"),
            (&mut options.appliance_mode_support, &o.appliance_mode_support, "options.applianceModeSupport"),
        ] {
            if value.is_some() {
                *field = Some(toggle(name, value, "")?);
            }
        }
    }
    check_ipv6(state, &options, &subnet_ids)?;
    let mut interfaces = v.interfaces.clone();
    for s in &new {
        interfaces.insert(s.clone(), place_interface(state, ctx, id, s)?);
    }
    for s in &remove {
        if let Some(eni) = interfaces.remove(s) {
            remove_interface_record(state, &eni);
        }
    }
    let rec = state.transit.attachments.get_mut(id).expect("checked above");
    rec.kind = AttachmentKind::Vpc(VpcAttachmentRecord { vpc_id: v.vpc_id, subnet_ids, options, interfaces });
    rec.life = Life::new(Stage::Modified, ctx.now);
    let mut shown = describe_one(state, ctx, shared, &state.transit.attachments[id]);
    shown.state = Some("modifying".into());
    Ok(ModifyTransitGatewayVpcAttachmentResult { transit_gateway_vpc_attachment: Some(shown) })
}

/// Ends an attachment of this partition: its associations and propagations end, its
/// interfaces go.
pub fn end_attachment(state: &mut Ec2State, id: &str, stage: Stage, now: chrono::DateTime<chrono::Utc>) {
    let Some(rec) = state.transit.attachments.get_mut(id) else { return };
    rec.life = Life::new(stage, now);
    let interfaces: Vec<String> = rec.vpc().map(|v| v.interfaces.values().cloned().collect()).unwrap_or_default();
    if let AttachmentKind::Vpc(v) = &mut rec.kind {
        v.interfaces.clear();
    }
    for eni in interfaces {
        remove_interface_record(state, &eni);
    }
    state.transit.release_attachment(id, now);
}

pub fn delete_transit_gateway_vpc_attachment(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DeleteTransitGatewayVpcAttachmentRequest,
) -> Result<DeleteTransitGatewayVpcAttachmentResult, ApiError> {
    let id = input.transit_gateway_attachment_id.as_str();
    let a = vpc_attachment(state, ctx, shared, id)?;
    if matches!(attachment_state(state, shared, ctx, &a), "pending" | "modifying") {
        return Err(common::invalid_state(id));
    }
    let connects: Vec<&str> = state
        .transit
        .attachments
        .values()
        .filter(|c| !c.life.finished())
        .filter(|c| matches!(&c.kind, AttachmentKind::Connect { transport_attachment_id, .. } if transport_attachment_id == id))
        .map(|c| c.id.as_str())
        .collect();
    if !connects.is_empty() {
        return Err(errors::incorrect_state(format!(
            "{id} has non-deleted Transit Gateway Connect Attachments: {}.",
            connects.join(", ")
        )));
    }
    end_attachment(state, id, Stage::Deleted, ctx.now);
    let mut shown = describe_one(state, ctx, shared, &state.transit.attachments[id]);
    shown.state = Some("deleting".into());
    Ok(DeleteTransitGatewayVpcAttachmentResult { transit_gateway_vpc_attachment: Some(shown) })
}

/// An attachment waiting for the gateway owner's answer.
fn pending_acceptance(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    id: &str,
) -> Result<AttachmentRecord, ApiError> {
    let a = vpc_attachment(state, ctx, shared, id)?;
    if attachment_state(state, shared, ctx, &a) != "pendingAcceptance" {
        return Err(common::invalid_state(id));
    }
    Ok(a)
}

pub fn accept_transit_gateway_vpc_attachment(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: AcceptTransitGatewayVpcAttachmentRequest,
) -> Result<AcceptTransitGatewayVpcAttachmentResult, ApiError> {
    let id = input.transit_gateway_attachment_id.as_str();
    pending_acceptance(state, ctx, shared, id)?;
    state.transit.attachments.get_mut(id).expect("checked above").life = Life::new(Stage::Accepted, ctx.now);
    state.transit.apply_defaults(id, true, true, ctx.now);
    let mut shown = describe_one(state, ctx, shared, &state.transit.attachments[id]);
    shown.state = Some("pending".into());
    Ok(AcceptTransitGatewayVpcAttachmentResult { transit_gateway_vpc_attachment: Some(shown) })
}

pub fn reject_transit_gateway_vpc_attachment(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: RejectTransitGatewayVpcAttachmentRequest,
) -> Result<RejectTransitGatewayVpcAttachmentResult, ApiError> {
    let id = input.transit_gateway_attachment_id.as_str();
    pending_acceptance(state, ctx, shared, id)?;
    end_attachment(state, id, Stage::Rejected, ctx.now);
    let mut shown = describe_one(state, ctx, shared, &state.transit.attachments[id]);
    shown.state = Some("rejecting".into());
    Ok(RejectTransitGatewayVpcAttachmentResult { transit_gateway_vpc_attachment: Some(shown) })
}
