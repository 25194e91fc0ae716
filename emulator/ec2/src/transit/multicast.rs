//! Multicast domains of a gateway (which must have multicast support) and the subnets of
//! its VPC attachments associated with them. A subnet belongs to one domain at a time;
//! an attachment whose VPC belongs to another account waits in `pendingAcceptance` until
//! the domain's owner accepts it, unless the domain accepts shared associations itself.
//! Group members and sources are in `multicast_groups.rs`.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::common::{self, attachment_state, delay, live_attachment, toggle, ts};
use crate::generated::dto::{
    AcceptTransitGatewayMulticastDomainAssociationsRequest, AcceptTransitGatewayMulticastDomainAssociationsResult,
    AssociateTransitGatewayMulticastDomainRequest, AssociateTransitGatewayMulticastDomainResult,
    CreateTransitGatewayMulticastDomainRequest, CreateTransitGatewayMulticastDomainResult,
    DeleteTransitGatewayMulticastDomainRequest, DeleteTransitGatewayMulticastDomainResult,
    DescribeTransitGatewayMulticastDomainsRequest, DescribeTransitGatewayMulticastDomainsResult,
    DisassociateTransitGatewayMulticastDomainRequest, DisassociateTransitGatewayMulticastDomainResult,
    GetTransitGatewayMulticastDomainAssociationsRequest, GetTransitGatewayMulticastDomainAssociationsResult,
    RejectTransitGatewayMulticastDomainAssociationsRequest, RejectTransitGatewayMulticastDomainAssociationsResult,
    SubnetAssociation, TransitGatewayMulticastDomain, TransitGatewayMulticastDomainAssociation,
    TransitGatewayMulticastDomainAssociations, TransitGatewayMulticastDomainOptions,
};
use crate::generated::errors;
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::transit::{Life, MulticastAssociation, MulticastDomainRecord, Stage};
use crate::state::Ec2State;

fn describe_one(state: &Ec2State, ctx: &RequestContext, d: &MulticastDomainRecord) -> TransitGatewayMulticastDomain {
    TransitGatewayMulticastDomain {
        transit_gateway_multicast_domain_id: Some(d.id.clone()),
        transit_gateway_id: Some(d.tgw_id.clone()),
        transit_gateway_multicast_domain_arn: Some(format!(
            "arn:aws:ec2:{}:{}:transit-gateway-multicast-domain/{}",
            ctx.region, d.owner_id, d.id
        )),
        owner_id: Some(d.owner_id.clone()),
        options: Some(d.options.clone()),
        state: Some(d.life.shown(delay(state), ctx.now).into()),
        creation_time: ts(d.creation_time),
        tags: state.dto_tags(&d.id),
    }
}

/// A domain that is not deleted.
pub fn domain<'a>(state: &'a Ec2State, id: &str) -> Result<&'a MulticastDomainRecord, ApiError> {
    state
        .transit
        .multicast_domains
        .get(id)
        .filter(|d| !d.life.finished())
        .ok_or_else(|| errors::invalid_transit_gateway_multicast_domain_id_not_found(id))
}

/// A domain that is `available`.
pub fn available_domain<'a>(
    state: &'a Ec2State,
    ctx: &RequestContext,
    id: &str,
) -> Result<&'a MulticastDomainRecord, ApiError> {
    let d = domain(state, id)?;
    if d.life.shown(delay(state), ctx.now) != "available" {
        return Err(common::invalid_state(id));
    }
    Ok(d)
}

/// Forgets domains deleted long enough ago and associations that ended.
fn prune(state: &mut Ec2State, ctx: &RequestContext) {
    let d = delay(state);
    let gone: Vec<String> = state
        .transit
        .multicast_domains
        .values()
        .filter(|m| !m.life.visible(d, ctx.now))
        .map(|m| m.id.clone())
        .collect();
    for id in gone {
        state.transit.multicast_domains.remove(&id);
        state.forget(&id);
    }
    for m in state.transit.multicast_domains.values_mut() {
        m.associations.retain(|_, a| a.shown(d, ctx.now).is_some());
    }
}

pub fn create_transit_gateway_multicast_domain(
    state: &mut Ec2State,
    ctx: &RequestContext,
    _shared: &Shared,
    input: CreateTransitGatewayMulticastDomainRequest,
) -> Result<CreateTransitGatewayMulticastDomainResult, ApiError> {
    let g = common::available_gateway(state, ctx, &input.transit_gateway_id)?;
    if g.options().multicast_support.as_deref() != Some("enable") {
        return Err(errors::invalid_parameter_value(format!(
            "Multicast support is not enabled on Transit Gateway {}.",
            input.transit_gateway_id
        )));
    }
    let owner = g.gateway.owner_id.clone().unwrap_or_else(|| ctx.account().to_string());
    let o = input.options.unwrap_or_default();
    let options = TransitGatewayMulticastDomainOptions {
        igmpv2_support: Some(toggle("Options.Igmpv2Support", &o.igmpv2_support, "disable")?),
        static_sources_support: Some(toggle("Options.StaticSourcesSupport", &o.static_sources_support, "disable")?),
        auto_accept_shared_associations: Some(toggle(
            "Options.AutoAcceptSharedAssociations",
            &o.auto_accept_shared_associations,
            "disable",
        )?),
    };
    let tags = spec_tags(input.tag_specifications.as_deref(), "transit-gateway-multicast-domain")?;
    prune(state, ctx);
    let id = ids::resource_id("tgw-mcast-domain");
    let record = MulticastDomainRecord {
        id: id.clone(),
        tgw_id: input.transit_gateway_id,
        owner_id: owner,
        options,
        creation_time: ctx.now,
        life: Life::new(Stage::Created, ctx.now),
        associations: Default::default(),
        groups: Default::default(),
    };
    state.transit.multicast_domains.insert(id.clone(), record);
    state.set_tags(&id, tags);
    let mut shown = describe_one(state, ctx, &state.transit.multicast_domains[&id]);
    shown.state = Some("pending".into());
    Ok(CreateTransitGatewayMulticastDomainResult { transit_gateway_multicast_domain: Some(shown) })
}

pub fn delete_transit_gateway_multicast_domain(
    state: &mut Ec2State,
    ctx: &RequestContext,
    _shared: &Shared,
    input: DeleteTransitGatewayMulticastDomainRequest,
) -> Result<DeleteTransitGatewayMulticastDomainResult, ApiError> {
    let id = input.transit_gateway_multicast_domain_id.as_str();
    let d = domain(state, id)?;
    let (delay, now) = (delay(state), ctx.now);
    if d.life.shown(delay, now) == "pending" {
        return Err(common::invalid_state(id));
    }
    let associated: Vec<&str> =
        d.associations.iter().filter(|(_, a)| a.shown(delay, now).is_some()).map(|(s, _)| s.as_str()).collect();
    if !associated.is_empty() {
        return Err(errors::dependency_violation(format!(
            "Transit Gateway Multicast Domain {id} has associated subnets: {}.",
            associated.join(", ")
        )));
    }
    let d = state.transit.multicast_domains.get_mut(id).expect("checked above");
    d.life = Life::new(Stage::Deleted, now);
    d.groups.clear();
    let mut shown = describe_one(state, ctx, &state.transit.multicast_domains[id]);
    shown.state = Some("deleting".into());
    Ok(DeleteTransitGatewayMulticastDomainResult { transit_gateway_multicast_domain: Some(shown) })
}

impl Filterable for TransitGatewayMulticastDomain {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "state" => one(&self.state),
            "transit-gateway-id" => one(&self.transit_gateway_id),
            "transit-gateway-multicast-domain-id" => one(&self.transit_gateway_multicast_domain_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_transit_gateway_multicast_domains(
    state: &Ec2State,
    ctx: &RequestContext,
    _shared: &Shared,
    input: DescribeTransitGatewayMulticastDomainsRequest,
) -> Result<DescribeTransitGatewayMulticastDomainsResult, ApiError> {
    let paging = input.page();
    let ids = input.transit_gateway_multicast_domain_ids.unwrap_or_default();
    let (d, now) = (delay(state), ctx.now);
    let shown = |id: &str| state.transit.multicast_domains.get(id).filter(|m| m.life.visible(d, now));
    if let Some(missing) = ids.iter().find(|id| shown(id).is_none()) {
        return Err(errors::invalid_transit_gateway_multicast_domain_id_not_found(missing));
    }
    let all = state
        .transit
        .multicast_domains
        .values()
        .filter(|m| m.life.visible(d, now) && (ids.is_empty() || ids.contains(&m.id)))
        .map(|m| describe_one(state, ctx, m));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(
        items,
        |m| m.transit_gateway_multicast_domain_id.clone().unwrap_or_default(),
        paging,
        !ids.is_empty(),
    )?;
    Ok(DescribeTransitGatewayMulticastDomainsResult { transit_gateway_multicast_domains: Some(page), next_token: next })
}

/// The answer of the association calls: the attachment and the asked-for subnets' states.
fn associations_answer(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    domain_id: &str,
    attachment_id: &str,
    subnets: &[String],
) -> TransitGatewayMulticastDomainAssociations {
    let (d, now) = (delay(state), ctx.now);
    let a = common::find_attachment(state, shared, ctx, attachment_id, "Attachment").ok();
    let m = state.transit.multicast_domains.get(domain_id);
    TransitGatewayMulticastDomainAssociations {
        transit_gateway_multicast_domain_id: Some(domain_id.into()),
        transit_gateway_attachment_id: Some(attachment_id.into()),
        resource_id: a.as_ref().map(|a| a.resource_id.clone()),
        resource_type: a.as_ref().map(|a| a.resource_type.clone()),
        resource_owner_id: a.as_ref().map(|a| a.resource_owner.clone()),
        subnets: Some(
            subnets
                .iter()
                .map(|s| SubnetAssociation {
                    subnet_id: Some(s.clone()),
                    state: Some(
                        m.and_then(|m| m.associations.get(s))
                            .and_then(|x| x.shown(d, now))
                            .unwrap_or("disassociated")
                            .into(),
                    ),
                })
                .collect(),
        ),
    }
}

pub fn associate_transit_gateway_multicast_domain(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: AssociateTransitGatewayMulticastDomainRequest,
) -> Result<AssociateTransitGatewayMulticastDomainResult, ApiError> {
    let (domain_id, attachment_id) =
        (input.transit_gateway_multicast_domain_id.as_str(), input.transit_gateway_attachment_id.as_str());
    let m = available_domain(state, ctx, domain_id)?;
    let a = live_attachment(state, shared, ctx, attachment_id, "Attachment")?;
    if a.tgw_id != m.tgw_id {
        return Err(errors::invalid_parameter_value(format!(
            "Transit Gateway Attachment {attachment_id} and Transit Gateway Multicast Domain {domain_id} belong to different Transit Gateways."
        )));
    }
    let Some(vpc) = a.vpc() else {
        return Err(errors::invalid_parameter_value(format!(
            "Transit Gateway Attachment {attachment_id} is not a VPC attachment; only VPC attachments can be associated with a multicast domain."
        )));
    };
    if !matches!(attachment_state(state, shared, ctx, &a), "available" | "modifying") {
        return Err(common::invalid_state(attachment_id));
    }
    if input.subnet_ids.is_empty() {
        return Err(errors::missing_parameter("SubnetIds"));
    }
    let (d, now) = (delay(state), ctx.now);
    for s in &input.subnet_ids {
        if !vpc.subnet_ids.contains(s) {
            if !state.subnets.contains_key(s) && a.resource_owner == ctx.account() {
                return Err(common::subnet_not_found(s));
            }
            return Err(errors::invalid_parameter_value(format!(
                "Subnet {s} is not part of Transit Gateway Attachment {attachment_id}."
            )));
        }
        let elsewhere = state.transit.multicast_domains.values().find(|o| {
            o.id != domain_id && !o.life.finished() && o.associations.get(s).and_then(|x| x.shown(d, now)).is_some()
        });
        if let Some(other) = elsewhere {
            return Err(errors::invalid_parameter_value(format!(
                "Subnet {s} is already associated with Transit Gateway Multicast Domain {}.",
                other.id
            )));
        }
    }
    let shared_vpc = a.resource_owner != m.owner_id;
    let auto_accept = m.options.auto_accept_shared_associations.as_deref() == Some("enable");
    let stage = if shared_vpc && !auto_accept { Stage::PendingAcceptance } else { Stage::Created };
    let m = state.transit.multicast_domains.get_mut(domain_id).expect("checked above");
    let mut created = Vec::new();
    for s in &input.subnet_ids {
        let current = m.associations.get(s).filter(|x| x.life.stage != Stage::Deleted);
        if current.is_none_or(|x| x.shown(d, now).is_none()) {
            let association = MulticastAssociation { attachment_id: attachment_id.into(), life: Life::new(stage, now) };
            m.associations.insert(s.clone(), association);
            created.push(s.clone());
        }
    }
    let mut answer = associations_answer(state, ctx, shared, domain_id, attachment_id, &input.subnet_ids);
    // The answer shows where a new association starts, as AWS's does.
    for s in answer.subnets.iter_mut().flatten().filter(|s| s.subnet_id.as_ref().is_some_and(|id| created.contains(id)))
    {
        if stage == Stage::Created {
            s.state = Some("associating".into());
        }
    }
    Ok(AssociateTransitGatewayMulticastDomainResult { associations: Some(answer) })
}

pub fn disassociate_transit_gateway_multicast_domain(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DisassociateTransitGatewayMulticastDomainRequest,
) -> Result<DisassociateTransitGatewayMulticastDomainResult, ApiError> {
    let (domain_id, attachment_id) =
        (input.transit_gateway_multicast_domain_id.as_str(), input.transit_gateway_attachment_id.as_str());
    let m = domain(state, domain_id)?;
    for s in &input.subnet_ids {
        let live = m
            .associations
            .get(s)
            .filter(|x| x.attachment_id == attachment_id && !matches!(x.life.stage, Stage::Deleted | Stage::Rejected));
        if live.is_none() {
            return Err(errors::invalid_transit_gateway_multicast_domain_association_not_found(format!(
                "Association between {attachment_id} subnet {s} and Transit Gateway Multicast Domain {domain_id} does not exist."
            )));
        }
    }
    let now = ctx.now;
    let m = state.transit.multicast_domains.get_mut(domain_id).expect("checked above");
    m.release(attachment_id, Some(&input.subnet_ids), now);
    let mut answer = associations_answer(state, ctx, shared, domain_id, attachment_id, &input.subnet_ids);
    for s in answer.subnets.iter_mut().flatten() {
        s.state = Some("disassociating".into());
    }
    Ok(DisassociateTransitGatewayMulticastDomainResult { associations: Some(answer) })
}

impl Filterable for TransitGatewayMulticastDomainAssociation {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        let subnet = self.subnet.as_ref();
        Some(match name {
            "resource-id" => one(&self.resource_id),
            "resource-type" => one(&self.resource_type),
            "state" => subnet.and_then(|s| s.state.clone()).into_iter().collect(),
            "subnet-id" => subnet.and_then(|s| s.subnet_id.clone()).into_iter().collect(),
            "transit-gateway-attachment-id" => one(&self.transit_gateway_attachment_id),
            _ => return None,
        })
    }
}

pub fn get_transit_gateway_multicast_domain_associations(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: GetTransitGatewayMulticastDomainAssociationsRequest,
) -> Result<GetTransitGatewayMulticastDomainAssociationsResult, ApiError> {
    let paging = input.page();
    let m = domain(state, &input.transit_gateway_multicast_domain_id)?;
    let (d, now) = (delay(state), ctx.now);
    let mut rows: Vec<(String, TransitGatewayMulticastDomainAssociation)> = m
        .associations
        .iter()
        .filter_map(|(subnet, x)| {
            let shown = x.shown(d, now)?;
            let a = common::find_attachment(state, shared, ctx, &x.attachment_id, "Attachment").ok();
            let row = TransitGatewayMulticastDomainAssociation {
                transit_gateway_attachment_id: Some(x.attachment_id.clone()),
                resource_id: a.as_ref().map(|a| a.resource_id.clone()),
                resource_type: a.as_ref().map(|a| a.resource_type.clone()),
                resource_owner_id: a.as_ref().map(|a| a.resource_owner.clone()),
                subnet: Some(SubnetAssociation { subnet_id: Some(subnet.clone()), state: Some(shown.into()) }),
            };
            Some((format!("{}/{subnet}", x.attachment_id), row))
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let keyed = filtered(rows.into_iter().map(Keyed::from), input.filters.as_deref())?;
    let (page, next) = paginate(keyed, |k| k.key.clone(), paging, false)?;
    Ok(GetTransitGatewayMulticastDomainAssociationsResult {
        multicast_domain_associations: Some(page.into_iter().map(|k| k.row).collect()),
        next_token: next,
    })
}

/// A row with the key it is paged by.
#[derive(Debug, Clone, Default)]
struct Keyed {
    key: String,
    row: TransitGatewayMulticastDomainAssociation,
}

impl From<(String, TransitGatewayMulticastDomainAssociation)> for Keyed {
    fn from((key, row): (String, TransitGatewayMulticastDomainAssociation)) -> Self {
        Keyed { key, row }
    }
}

impl Filterable for Keyed {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        self.row.filter_values(name)
    }
}

/// Moves the pending associations of an attachment (its `subnets`, or all of them) to
/// `stage`; answers which subnets moved.
fn answer_pending(
    state: &mut Ec2State,
    ctx: &RequestContext,
    domain_id: Option<&str>,
    attachment_id: Option<&str>,
    subnets: Option<&[String]>,
    stage: Stage,
) -> Result<(String, String, Vec<String>), ApiError> {
    let domain_id = domain_id.ok_or_else(|| errors::missing_parameter("TransitGatewayMulticastDomainId"))?;
    let attachment_id = attachment_id.ok_or_else(|| errors::missing_parameter("TransitGatewayAttachmentId"))?;
    let m = domain(state, domain_id)?;
    let pending: Vec<String> = m
        .associations
        .iter()
        .filter(|(_, x)| x.attachment_id == attachment_id && x.life.stage == Stage::PendingAcceptance)
        .filter(|(s, _)| subnets.is_none_or(|w| w.contains(s)))
        .map(|(s, _)| s.clone())
        .collect();
    if let Some(missing) = subnets.into_iter().flatten().find(|s| !pending.contains(s)) {
        return Err(errors::invalid_transit_gateway_multicast_domain_association_not_found(format!(
            "No association between {attachment_id} subnet {missing} and Transit Gateway Multicast Domain {domain_id} is pending acceptance."
        )));
    }
    if pending.is_empty() {
        return Err(errors::invalid_transit_gateway_multicast_domain_association_not_found(format!(
            "No association of {attachment_id} with Transit Gateway Multicast Domain {domain_id} is pending acceptance."
        )));
    }
    let m = state.transit.multicast_domains.get_mut(domain_id).expect("checked above");
    for s in &pending {
        if let Some(x) = m.associations.get_mut(s) {
            x.life = Life::new(stage, ctx.now);
        }
    }
    Ok((domain_id.to_string(), attachment_id.to_string(), pending))
}

pub fn accept_transit_gateway_multicast_domain_associations(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: AcceptTransitGatewayMulticastDomainAssociationsRequest,
) -> Result<AcceptTransitGatewayMulticastDomainAssociationsResult, ApiError> {
    let (domain_id, attachment_id, subnets) = answer_pending(
        state,
        ctx,
        input.transit_gateway_multicast_domain_id.as_deref(),
        input.transit_gateway_attachment_id.as_deref(),
        input.subnet_ids.as_deref(),
        Stage::Accepted,
    )?;
    let mut answer = associations_answer(state, ctx, shared, &domain_id, &attachment_id, &subnets);
    for s in answer.subnets.iter_mut().flatten() {
        s.state = Some("associating".into());
    }
    Ok(AcceptTransitGatewayMulticastDomainAssociationsResult { associations: Some(answer) })
}

pub fn reject_transit_gateway_multicast_domain_associations(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: RejectTransitGatewayMulticastDomainAssociationsRequest,
) -> Result<RejectTransitGatewayMulticastDomainAssociationsResult, ApiError> {
    let (domain_id, attachment_id, subnets) = answer_pending(
        state,
        ctx,
        input.transit_gateway_multicast_domain_id.as_deref(),
        input.transit_gateway_attachment_id.as_deref(),
        input.subnet_ids.as_deref(),
        Stage::Rejected,
    )?;
    let answer = associations_answer(state, ctx, shared, &domain_id, &attachment_id, &subnets);
    Ok(RejectTransitGatewayMulticastDomainAssociationsResult { associations: Some(answer) })
}
