//! Prefix-list references: a route table routes every entry of a customer-managed prefix
//! list to an attachment (or drops it), following the list's current version.

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use super::common::{self, delay};
use super::routes::target;
use crate::generated::dto::{
    CreateTransitGatewayPrefixListReferenceRequest, CreateTransitGatewayPrefixListReferenceResult,
    DeleteTransitGatewayPrefixListReferenceRequest, DeleteTransitGatewayPrefixListReferenceResult,
    GetTransitGatewayPrefixListReferencesRequest, GetTransitGatewayPrefixListReferencesResult,
    ModifyTransitGatewayPrefixListReferenceRequest, ModifyTransitGatewayPrefixListReferenceResult,
    TransitGatewayPrefixListAttachment, TransitGatewayPrefixListReference,
};
use crate::generated::errors;
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate};
use crate::state::transit::{Life, PrefixListReferenceRecord, Stage};
use crate::state::Ec2State;

/// A reference as GetTransitGatewayPrefixListReferences shows it at `now`.
fn describe_one(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    table_id: &str,
    pl: &str,
    r: &PrefixListReferenceRecord,
) -> TransitGatewayPrefixListReference {
    let attachment = r.attachment_id.as_deref().map(|a| {
        let rec = common::find_attachment(state, shared, ctx, a, "Attachment").ok();
        TransitGatewayPrefixListAttachment {
            transit_gateway_attachment_id: Some(a.to_string()),
            resource_type: rec.as_ref().map(|r| r.resource_type.clone()),
            resource_id: rec.map(|r| r.resource_id),
        }
    });
    let shown = r.life.shown(delay(state), ctx.now);
    TransitGatewayPrefixListReference {
        transit_gateway_route_table_id: Some(table_id.to_string()),
        prefix_list_id: Some(pl.to_string()),
        prefix_list_owner_id: Some(r.owner_id.clone()),
        state: Some(if shown == "deleted" { "deleting" } else { shown }.into()),
        blackhole: Some(r.blackhole),
        transit_gateway_attachment: attachment,
    }
}

/// A customer-managed prefix list of this account.
fn prefix_list_owner(state: &Ec2State, id: &str) -> Result<String, ApiError> {
    state
        .prefix_lists
        .get(id)
        .map(|p| p.list.owner_id.clone().unwrap_or_default())
        .ok_or_else(|| errors::invalid_prefix_list_id_not_found(id))
}

/// The live reference of a table to a prefix list.
fn reference<'a>(state: &'a Ec2State, table_id: &str, pl: &str) -> Result<&'a PrefixListReferenceRecord, ApiError> {
    let t = common::route_table(state, table_id)?;
    t.prefix_list_references
        .get(pl)
        .filter(|r| !r.life.finished())
        .ok_or_else(|| errors::invalid_prefix_list_id_not_found(pl))
}

pub fn create_transit_gateway_prefix_list_reference(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CreateTransitGatewayPrefixListReferenceRequest,
) -> Result<CreateTransitGatewayPrefixListReferenceResult, ApiError> {
    let table_id = input.transit_gateway_route_table_id.as_str();
    let pl = input.prefix_list_id.as_str();
    let table = common::available_route_table(state, ctx, table_id)?;
    let owner = prefix_list_owner(state, pl)?;
    let route = target(state, shared, ctx, table, input.transit_gateway_attachment_id.as_deref(), input.blackhole)?;
    if table.prefix_list_references.get(pl).is_some_and(|r| !r.life.finished()) {
        return Err(errors::invalid_parameter_value(format!(
            "Prefix list {pl} is already referenced in Transit Gateway Route Table {table_id}."
        )));
    }
    let record = PrefixListReferenceRecord {
        owner_id: owner,
        attachment_id: route.attachment_id,
        blackhole: route.blackhole,
        life: Life::new(Stage::Created, ctx.now),
    };
    let t = state.transit.route_tables.get_mut(table_id).expect("checked above");
    t.prefix_list_references.insert(pl.to_string(), record.clone());
    let mut shown = describe_one(state, ctx, shared, table_id, pl, &record);
    shown.state = Some("pending".into());
    Ok(CreateTransitGatewayPrefixListReferenceResult { transit_gateway_prefix_list_reference: Some(shown) })
}

pub fn modify_transit_gateway_prefix_list_reference(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: ModifyTransitGatewayPrefixListReferenceRequest,
) -> Result<ModifyTransitGatewayPrefixListReferenceResult, ApiError> {
    let table_id = input.transit_gateway_route_table_id.as_str();
    let pl = input.prefix_list_id.as_str();
    let current = reference(state, table_id, pl)?.clone();
    if current.life.shown(delay(state), ctx.now) != "available" {
        return Err(common::invalid_state(pl));
    }
    let table = common::available_route_table(state, ctx, table_id)?;
    let route = target(state, shared, ctx, table, input.transit_gateway_attachment_id.as_deref(), input.blackhole)?;
    let record = PrefixListReferenceRecord {
        attachment_id: route.attachment_id,
        blackhole: route.blackhole,
        life: Life::new(Stage::Modified, ctx.now),
        ..current
    };
    let t = state.transit.route_tables.get_mut(table_id).expect("checked above");
    t.prefix_list_references.insert(pl.to_string(), record.clone());
    let mut shown = describe_one(state, ctx, shared, table_id, pl, &record);
    shown.state = Some("modifying".into());
    Ok(ModifyTransitGatewayPrefixListReferenceResult { transit_gateway_prefix_list_reference: Some(shown) })
}

pub fn delete_transit_gateway_prefix_list_reference(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DeleteTransitGatewayPrefixListReferenceRequest,
) -> Result<DeleteTransitGatewayPrefixListReferenceResult, ApiError> {
    let table_id = input.transit_gateway_route_table_id.as_str();
    let pl = input.prefix_list_id.as_str();
    let mut record = reference(state, table_id, pl)?.clone();
    record.life = Life::new(Stage::Deleted, ctx.now);
    let t = state.transit.route_tables.get_mut(table_id).expect("checked above");
    t.prefix_list_references.insert(pl.to_string(), record.clone());
    let mut shown = describe_one(state, ctx, shared, table_id, pl, &record);
    shown.state = Some("deleting".into());
    Ok(DeleteTransitGatewayPrefixListReferenceResult { transit_gateway_prefix_list_reference: Some(shown) })
}

impl Filterable for TransitGatewayPrefixListReference {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        let a = self.transit_gateway_attachment.clone().unwrap_or_default();
        Some(match name {
            "attachment.resource-id" => one(&a.resource_id),
            "attachment.resource-type" => one(&a.resource_type),
            "attachment.transit-gateway-attachment-id" => one(&a.transit_gateway_attachment_id),
            "is-blackhole" => vec![self.blackhole.unwrap_or(false).to_string()],
            "prefix-list-id" => one(&self.prefix_list_id),
            "prefix-list-owner-id" => one(&self.prefix_list_owner_id),
            "state" => one(&self.state),
            _ => return None,
        })
    }
}

pub fn get_transit_gateway_prefix_list_references(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: GetTransitGatewayPrefixListReferencesRequest,
) -> Result<GetTransitGatewayPrefixListReferencesResult, ApiError> {
    let paging = input.page();
    let table_id = input.transit_gateway_route_table_id.as_str();
    let t = common::route_table(state, table_id)?;
    let (d, now) = (delay(state), ctx.now);
    let all = t
        .prefix_list_references
        .iter()
        .filter(|(_, r)| !(r.life.finished() && r.life.settled(d, now)))
        .map(|(pl, r)| describe_one(state, ctx, shared, table_id, pl, r));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |r| r.prefix_list_id.clone().unwrap_or_default(), paging, false)?;
    Ok(GetTransitGatewayPrefixListReferencesResult {
        transit_gateway_prefix_list_references: Some(page),
        next_token: next,
    })
}
