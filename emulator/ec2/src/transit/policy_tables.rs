//! Policy tables: a gateway's tables for policy-based routing, each associated with
//! attachments (one policy table per attachment). Their entries come from a Cloud WAN
//! network policy, which nimbus does not have, so GetTransitGatewayPolicyTableEntries
//! answers none.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::common::{self, attachment_state, delay, live_attachment, ts};
use crate::generated::dto::{
    AssociateTransitGatewayPolicyTableRequest, AssociateTransitGatewayPolicyTableResult,
    CreateTransitGatewayPolicyTableRequest, CreateTransitGatewayPolicyTableResult,
    DeleteTransitGatewayPolicyTableRequest, DeleteTransitGatewayPolicyTableResult,
    DescribeTransitGatewayPolicyTablesRequest, DescribeTransitGatewayPolicyTablesResult,
    DisassociateTransitGatewayPolicyTableRequest, DisassociateTransitGatewayPolicyTableResult,
    GetTransitGatewayPolicyTableAssociationsRequest, GetTransitGatewayPolicyTableAssociationsResult,
    GetTransitGatewayPolicyTableEntriesRequest, GetTransitGatewayPolicyTableEntriesResult, TransitGatewayPolicyTable,
    TransitGatewayPolicyTableAssociation, TransitGatewayPolicyTableEntry,
};
use crate::generated::errors;
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::transit::{Life, PolicyTableRecord, Stage};
use crate::state::Ec2State;

fn describe_one(state: &Ec2State, ctx: &RequestContext, t: &PolicyTableRecord) -> TransitGatewayPolicyTable {
    TransitGatewayPolicyTable {
        transit_gateway_policy_table_id: Some(t.id.clone()),
        transit_gateway_id: Some(t.tgw_id.clone()),
        state: Some(t.life.shown(delay(state), ctx.now).into()),
        creation_time: ts(t.creation_time),
        tags: state.dto_tags(&t.id),
    }
}

/// Whether Describe shows the table: AWS forgets a deleted one once it is gone (the
/// Terraform provider waits for it to vanish, not for `deleted`).
fn shown(t: &PolicyTableRecord, d: chrono::TimeDelta, now: chrono::DateTime<chrono::Utc>) -> bool {
    !(t.life.finished() && t.life.settled(d, now))
}

/// A policy table that is not deleted.
fn table<'a>(state: &'a Ec2State, id: &str) -> Result<&'a PolicyTableRecord, ApiError> {
    state
        .transit
        .policy_tables
        .get(id)
        .filter(|t| !t.life.finished())
        .ok_or_else(|| errors::invalid_transit_gateway_policy_table_id_not_found(id))
}

/// Forgets policy tables deleted long enough ago, and associations that ended.
fn prune(state: &mut Ec2State, ctx: &RequestContext) {
    let d = delay(state);
    let gone: Vec<String> =
        state.transit.policy_tables.values().filter(|t| !t.life.visible(d, ctx.now)).map(|t| t.id.clone()).collect();
    for id in gone {
        state.transit.policy_tables.remove(&id);
        state.forget(&id);
    }
    for t in state.transit.policy_tables.values_mut() {
        t.associations.retain(|_, l| l.association_state(d, ctx.now).is_some());
    }
}

pub fn create_transit_gateway_policy_table(
    state: &mut Ec2State,
    ctx: &RequestContext,
    _shared: &Shared,
    input: CreateTransitGatewayPolicyTableRequest,
) -> Result<CreateTransitGatewayPolicyTableResult, ApiError> {
    common::available_gateway(state, ctx, &input.transit_gateway_id)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "transit-gateway-policy-table")?;
    prune(state, ctx);
    let id = ids::resource_id("tgw-ptb");
    let record = PolicyTableRecord {
        id: id.clone(),
        tgw_id: input.transit_gateway_id.clone(),
        creation_time: ctx.now,
        life: Life::new(Stage::Created, ctx.now),
        associations: Default::default(),
    };
    state.transit.policy_tables.insert(id.clone(), record);
    state.set_tags(&id, tags);
    let mut shown = describe_one(state, ctx, &state.transit.policy_tables[&id]);
    shown.state = Some("pending".into());
    Ok(CreateTransitGatewayPolicyTableResult { transit_gateway_policy_table: Some(shown) })
}

impl Filterable for TransitGatewayPolicyTable {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "state" => one(&self.state),
            "transit-gateway-id" => one(&self.transit_gateway_id),
            "transit-gateway-policy-table-id" => one(&self.transit_gateway_policy_table_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_transit_gateway_policy_tables(
    state: &Ec2State,
    ctx: &RequestContext,
    _shared: &Shared,
    input: DescribeTransitGatewayPolicyTablesRequest,
) -> Result<DescribeTransitGatewayPolicyTablesResult, ApiError> {
    let paging = input.page();
    let ids = input.transit_gateway_policy_table_ids.unwrap_or_default();
    let (d, now) = (delay(state), ctx.now);
    for id in &ids {
        if !state.transit.policy_tables.get(id).is_some_and(|t| shown(t, d, now)) {
            return Err(errors::invalid_transit_gateway_policy_table_id_not_found(id));
        }
    }
    let all = state
        .transit
        .policy_tables
        .values()
        .filter(|t| shown(t, d, now) && (ids.is_empty() || ids.contains(&t.id)))
        .map(|t| describe_one(state, ctx, t));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |t| t.transit_gateway_policy_table_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeTransitGatewayPolicyTablesResult { transit_gateway_policy_tables: Some(page), next_token: next })
}

pub fn delete_transit_gateway_policy_table(
    state: &mut Ec2State,
    ctx: &RequestContext,
    _shared: &Shared,
    input: DeleteTransitGatewayPolicyTableRequest,
) -> Result<DeleteTransitGatewayPolicyTableResult, ApiError> {
    let id = input.transit_gateway_policy_table_id.as_str();
    let t = table(state, id)?;
    let (d, now) = (delay(state), ctx.now);
    if t.life.shown(d, now) == "pending" {
        return Err(common::invalid_state(id));
    }
    let associated: Vec<&str> = t
        .associations
        .iter()
        .filter(|(_, l)| l.association_state(d, now).is_some_and(|s| s != "disassociating"))
        .map(|(a, _)| a.as_str())
        .collect();
    if !associated.is_empty() {
        return Err(errors::incorrect_state(format!(
            "{id} has associated Transit Gateway Attachments: {}.",
            associated.join(", ")
        )));
    }
    state.transit.policy_tables.get_mut(id).expect("checked above").life = Life::new(Stage::Deleted, now);
    let mut shown = describe_one(state, ctx, &state.transit.policy_tables[id]);
    shown.state = Some("deleting".into());
    Ok(DeleteTransitGatewayPolicyTableResult { transit_gateway_policy_table: Some(shown) })
}

/// The policy table an attachment is associated with, if any.
pub fn policy_table_of(state: &Ec2State, ctx: &RequestContext, attachment_id: &str) -> Option<(String, &'static str)> {
    let d = delay(state);
    state.transit.policy_tables.values().filter(|t| !t.life.finished()).find_map(|t| {
        let s = t.associations.get(attachment_id)?.association_state(d, ctx.now)?;
        Some((t.id.clone(), s))
    })
}

pub fn associate_transit_gateway_policy_table(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: AssociateTransitGatewayPolicyTableRequest,
) -> Result<AssociateTransitGatewayPolicyTableResult, ApiError> {
    let (table_id, attachment_id) =
        (input.transit_gateway_policy_table_id.as_str(), input.transit_gateway_attachment_id.as_str());
    let t = table(state, table_id)?;
    if t.life.shown(delay(state), ctx.now) != "available" {
        return Err(common::invalid_state(table_id));
    }
    let a = live_attachment(state, shared, ctx, attachment_id, "Attachment")?;
    if a.tgw_id != t.tgw_id {
        return Err(errors::invalid_parameter_value(format!(
            "Transit Gateway Attachment {attachment_id} and Transit Gateway Policy Table {table_id} belong to different Transit Gateways."
        )));
    }
    if !matches!(attachment_state(state, shared, ctx, &a), "available" | "modifying") {
        return Err(common::invalid_state(attachment_id));
    }
    if policy_table_of(state, ctx, attachment_id).is_some() {
        return Err(ApiError::client(
            "Resource.AlreadyAssociated",
            format!("Transit Gateway Attachment {attachment_id} is already associated to a policy table."),
        ));
    }
    let t = state.transit.policy_tables.get_mut(table_id).expect("checked above");
    t.associations.insert(attachment_id.into(), Life::new(Stage::Created, ctx.now));
    Ok(AssociateTransitGatewayPolicyTableResult {
        association: Some(TransitGatewayPolicyTableAssociation {
            transit_gateway_policy_table_id: Some(table_id.into()),
            transit_gateway_attachment_id: Some(attachment_id.into()),
            resource_id: Some(a.resource_id),
            resource_type: Some(a.resource_type),
            state: Some("associating".into()),
        }),
    })
}

pub fn disassociate_transit_gateway_policy_table(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DisassociateTransitGatewayPolicyTableRequest,
) -> Result<DisassociateTransitGatewayPolicyTableResult, ApiError> {
    let (table_id, attachment_id) =
        (input.transit_gateway_policy_table_id.as_str(), input.transit_gateway_attachment_id.as_str());
    let t = table(state, table_id)?;
    let (d, now) = (delay(state), ctx.now);
    let Some(life) = t.associations.get(attachment_id).filter(|l| l.stage != Stage::Deleted) else {
        return Err(errors::invalid_transit_gateway_policy_table_association_not_found(format!(
            "Association between {attachment_id} and {table_id} does not exist."
        )));
    };
    if life.association_state(d, now) == Some("associating") {
        return Err(common::invalid_state(attachment_id));
    }
    let (resource_id, resource_type) = common::find_attachment(state, shared, ctx, attachment_id, "Attachment")
        .map(|a| (Some(a.resource_id), Some(a.resource_type)))
        .unwrap_or_default();
    let t = state.transit.policy_tables.get_mut(table_id).expect("checked above");
    t.associations.insert(attachment_id.into(), Life::new(Stage::Deleted, now));
    Ok(DisassociateTransitGatewayPolicyTableResult {
        association: Some(TransitGatewayPolicyTableAssociation {
            transit_gateway_policy_table_id: Some(table_id.into()),
            transit_gateway_attachment_id: Some(attachment_id.into()),
            resource_id,
            resource_type,
            state: Some("disassociating".into()),
        }),
    })
}

impl Filterable for TransitGatewayPolicyTableAssociation {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "resource-id" => one(&self.resource_id),
            "resource-type" => one(&self.resource_type),
            "transit-gateway-attachment-id" => one(&self.transit_gateway_attachment_id),
            "state" => one(&self.state),
            _ => return None,
        })
    }
}

pub fn get_transit_gateway_policy_table_associations(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: GetTransitGatewayPolicyTableAssociationsRequest,
) -> Result<GetTransitGatewayPolicyTableAssociationsResult, ApiError> {
    let paging = input.page();
    let table_id = input.transit_gateway_policy_table_id.as_str();
    let t = table(state, table_id)?;
    let (d, now) = (delay(state), ctx.now);
    let all = t.associations.iter().filter_map(|(a, life)| {
        let shown = life.association_state(d, now)?;
        let found = common::find_attachment(state, shared, ctx, a, "Attachment").ok();
        Some(TransitGatewayPolicyTableAssociation {
            transit_gateway_policy_table_id: Some(table_id.into()),
            transit_gateway_attachment_id: Some(a.clone()),
            resource_id: found.as_ref().map(|f| f.resource_id.clone()),
            resource_type: found.map(|f| f.resource_type),
            state: Some(shown.into()),
        })
    });
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |a| a.transit_gateway_attachment_id.clone().unwrap_or_default(), paging, false)?;
    Ok(GetTransitGatewayPolicyTableAssociationsResult { associations: Some(page), next_token: next })
}

impl Filterable for TransitGatewayPolicyTableEntry {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "policy-rule-number" => self.policy_rule_number.iter().cloned().collect(),
            "target-route-table-id" => self.target_route_table_id.iter().cloned().collect(),
            "state" => self.state.iter().cloned().collect(),
            _ => return None,
        })
    }
}

pub fn get_transit_gateway_policy_table_entries(
    state: &Ec2State,
    _ctx: &RequestContext,
    _shared: &Shared,
    input: GetTransitGatewayPolicyTableEntriesRequest,
) -> Result<GetTransitGatewayPolicyTableEntriesResult, ApiError> {
    let paging = input.page();
    table(state, &input.transit_gateway_policy_table_id)?;
    // Entries come from a Cloud WAN network policy; nimbus has none to derive them from.
    let items = filtered(Vec::<TransitGatewayPolicyTableEntry>::new(), input.filters.as_deref())?;
    let (page, next) = paginate(items, |e| e.policy_rule_number.clone().unwrap_or_default(), paging, false)?;
    Ok(GetTransitGatewayPolicyTableEntriesResult { transit_gateway_policy_table_entries: Some(page), next_token: next })
}
