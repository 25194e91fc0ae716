//! Route table associations (an attachment is associated with at most one route table
//! of its gateway, whose routes decide where its traffic goes) and propagations (an
//! attachment's routes, a VPC's CIDR blocks, learned by a route table).

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use super::common::{self, attachment_state, delay, live_attachment};
use crate::generated::dto::{
    AssociateTransitGatewayRouteTableRequest, AssociateTransitGatewayRouteTableResult,
    DisableTransitGatewayRouteTablePropagationRequest, DisableTransitGatewayRouteTablePropagationResult,
    DisassociateTransitGatewayRouteTableRequest, DisassociateTransitGatewayRouteTableResult,
    EnableTransitGatewayRouteTablePropagationRequest, EnableTransitGatewayRouteTablePropagationResult,
    GetTransitGatewayAttachmentPropagationsRequest, GetTransitGatewayAttachmentPropagationsResult,
    GetTransitGatewayRouteTableAssociationsRequest, GetTransitGatewayRouteTableAssociationsResult,
    GetTransitGatewayRouteTablePropagationsRequest, GetTransitGatewayRouteTablePropagationsResult,
    TransitGatewayAssociation, TransitGatewayAttachmentPropagation, TransitGatewayPropagation,
    TransitGatewayRouteTableAssociation, TransitGatewayRouteTablePropagation,
};
use crate::generated::errors;
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate};
use crate::state::transit::{AttachmentRecord, Life, Stage};
use crate::state::Ec2State;

/// An attachment that can be associated with or propagate to the table: available and of
/// the table's gateway.
fn usable_attachment(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    table_id: &str,
    attachment_id: &str,
) -> Result<AttachmentRecord, ApiError> {
    let t = common::available_route_table(state, ctx, table_id)?;
    let a = live_attachment(state, shared, ctx, attachment_id, "Attachment")?;
    if !a.gateways().contains(&t.tgw_id.as_str()) {
        return Err(errors::invalid_parameter_value(format!(
            "Transit Gateway Attachment {attachment_id} and Transit Gateway Route Table {table_id} belong to different Transit Gateways."
        )));
    }
    if !matches!(attachment_state(state, shared, ctx, &a), "available" | "modifying") {
        return Err(common::invalid_state(attachment_id));
    }
    Ok(a)
}

pub fn associate_transit_gateway_route_table(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: AssociateTransitGatewayRouteTableRequest,
) -> Result<AssociateTransitGatewayRouteTableResult, ApiError> {
    let (table_id, attachment_id) =
        (input.transit_gateway_route_table_id.as_str(), input.transit_gateway_attachment_id.as_str());
    let a = usable_attachment(state, ctx, shared, table_id, attachment_id)?;
    let tgw_id = state.transit.route_tables[table_id].tgw_id.clone();
    if common::association_of(state, ctx, attachment_id, &tgw_id).is_some() {
        return Err(common::already_associated(attachment_id));
    }
    let t = state.transit.route_tables.get_mut(table_id).expect("checked above");
    t.associations.insert(attachment_id.to_string(), Life::new(Stage::Created, ctx.now));
    Ok(AssociateTransitGatewayRouteTableResult {
        association: Some(TransitGatewayAssociation {
            transit_gateway_route_table_id: Some(table_id.to_string()),
            transit_gateway_attachment_id: Some(attachment_id.to_string()),
            resource_id: Some(a.resource_id),
            resource_type: Some(a.resource_type),
            state: Some("associating".into()),
        }),
    })
}

pub fn disassociate_transit_gateway_route_table(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DisassociateTransitGatewayRouteTableRequest,
) -> Result<DisassociateTransitGatewayRouteTableResult, ApiError> {
    let (table_id, attachment_id) =
        (input.transit_gateway_route_table_id.as_str(), input.transit_gateway_attachment_id.as_str());
    let t = common::route_table(state, table_id)?;
    let (d, now) = (delay(state), ctx.now);
    let a = common::find_attachment(state, shared, ctx, attachment_id, "Attachment")?;
    let Some(life) = t.associations.get(attachment_id).filter(|l| l.stage != Stage::Deleted) else {
        return Err(errors::invalid_association_not_found(format!(
            "Association between {attachment_id} and {table_id} does not exist."
        )));
    };
    if life.association_state(d, now) == Some("associating") {
        return Err(common::invalid_state(attachment_id));
    }
    let t = state.transit.route_tables.get_mut(table_id).expect("checked above");
    t.associations.insert(attachment_id.to_string(), Life::new(Stage::Deleted, now));
    Ok(DisassociateTransitGatewayRouteTableResult {
        association: Some(TransitGatewayAssociation {
            transit_gateway_route_table_id: Some(table_id.to_string()),
            transit_gateway_attachment_id: Some(attachment_id.to_string()),
            resource_id: Some(a.resource_id),
            resource_type: Some(a.resource_type),
            state: Some("disassociating".into()),
        }),
    })
}

/// The resource of an attachment this partition shows (for the association and
/// propagation lists), by id.
fn resource(
    state: &Ec2State,
    shared: &Shared,
    ctx: &RequestContext,
    attachment_id: &str,
) -> (Option<String>, Option<String>) {
    common::find_attachment(state, shared, ctx, attachment_id, "Attachment")
        .map(|a| (Some(a.resource_id), Some(a.resource_type)))
        .unwrap_or_default()
}

impl Filterable for TransitGatewayRouteTableAssociation {
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

pub fn get_transit_gateway_route_table_associations(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: GetTransitGatewayRouteTableAssociationsRequest,
) -> Result<GetTransitGatewayRouteTableAssociationsResult, ApiError> {
    let paging = input.page();
    let t = common::route_table(state, &input.transit_gateway_route_table_id)?;
    let (d, now) = (delay(state), ctx.now);
    let all = t.associations.iter().filter_map(|(a, life)| {
        let shown = life.association_state(d, now)?;
        let (resource_id, resource_type) = resource(state, shared, ctx, a);
        Some(TransitGatewayRouteTableAssociation {
            transit_gateway_attachment_id: Some(a.clone()),
            resource_id,
            resource_type,
            state: Some(shown.into()),
        })
    });
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |a| a.transit_gateway_attachment_id.clone().unwrap_or_default(), paging, false)?;
    Ok(GetTransitGatewayRouteTableAssociationsResult { associations: Some(page), next_token: next })
}

pub fn enable_transit_gateway_route_table_propagation(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: EnableTransitGatewayRouteTablePropagationRequest,
) -> Result<EnableTransitGatewayRouteTablePropagationResult, ApiError> {
    let table_id = input.transit_gateway_route_table_id.as_str();
    let Some(attachment_id) = input.transit_gateway_attachment_id.as_deref() else {
        return Err(errors::missing_parameter("TransitGatewayAttachmentId"));
    };
    let a = usable_attachment(state, ctx, shared, table_id, attachment_id)?;
    if a.resource_type == "peering" {
        return Err(errors::invalid_parameter_value(format!(
            "Routes cannot be propagated from peering attachment {attachment_id}; add static routes instead."
        )));
    }
    let t = &state.transit.route_tables[table_id];
    if t.propagations.get(attachment_id).is_some_and(|l| l.stage != Stage::Deleted) {
        return Err(errors::transit_gateway_route_table_propagation_duplicate(attachment_id, table_id));
    }
    let t = state.transit.route_tables.get_mut(table_id).expect("checked above");
    t.propagations.insert(attachment_id.to_string(), Life::new(Stage::Created, ctx.now));
    Ok(EnableTransitGatewayRouteTablePropagationResult {
        propagation: Some(TransitGatewayPropagation {
            transit_gateway_attachment_id: Some(attachment_id.to_string()),
            resource_id: Some(a.resource_id),
            resource_type: Some(a.resource_type),
            transit_gateway_route_table_id: Some(table_id.to_string()),
            state: Some("enabling".into()),
            transit_gateway_route_table_announcement_id: None,
        }),
    })
}

pub fn disable_transit_gateway_route_table_propagation(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DisableTransitGatewayRouteTablePropagationRequest,
) -> Result<DisableTransitGatewayRouteTablePropagationResult, ApiError> {
    let table_id = input.transit_gateway_route_table_id.as_str();
    let Some(attachment_id) = input.transit_gateway_attachment_id.as_deref() else {
        return Err(errors::missing_parameter("TransitGatewayAttachmentId"));
    };
    let t = common::route_table(state, table_id)?;
    let (resource_id, resource_type) = resource(state, shared, ctx, attachment_id);
    if !t.propagations.get(attachment_id).is_some_and(|l| l.stage != Stage::Deleted) {
        return Err(errors::transit_gateway_route_table_propagation_not_found(attachment_id, table_id));
    }
    let t = state.transit.route_tables.get_mut(table_id).expect("checked above");
    t.propagations.insert(attachment_id.to_string(), Life::new(Stage::Deleted, ctx.now));
    Ok(DisableTransitGatewayRouteTablePropagationResult {
        propagation: Some(TransitGatewayPropagation {
            transit_gateway_attachment_id: Some(attachment_id.to_string()),
            resource_id,
            resource_type,
            transit_gateway_route_table_id: Some(table_id.to_string()),
            state: Some("disabling".into()),
            transit_gateway_route_table_announcement_id: None,
        }),
    })
}

impl Filterable for TransitGatewayRouteTablePropagation {
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

pub fn get_transit_gateway_route_table_propagations(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: GetTransitGatewayRouteTablePropagationsRequest,
) -> Result<GetTransitGatewayRouteTablePropagationsResult, ApiError> {
    let paging = input.page();
    let t = common::route_table(state, &input.transit_gateway_route_table_id)?;
    let (d, now) = (delay(state), ctx.now);
    let all = t.propagations.iter().filter_map(|(a, life)| {
        let shown = life.propagation_state(d, now)?;
        let (resource_id, resource_type) = resource(state, shared, ctx, a);
        Some(TransitGatewayRouteTablePropagation {
            transit_gateway_attachment_id: Some(a.clone()),
            resource_id,
            resource_type,
            state: Some(shown.into()),
            transit_gateway_route_table_announcement_id: None,
        })
    });
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |p| p.transit_gateway_attachment_id.clone().unwrap_or_default(), paging, false)?;
    Ok(GetTransitGatewayRouteTablePropagationsResult {
        transit_gateway_route_table_propagations: Some(page),
        next_token: next,
    })
}

impl Filterable for TransitGatewayAttachmentPropagation {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "transit-gateway-route-table-id" => self.transit_gateway_route_table_id.iter().cloned().collect(),
            "state" => self.state.iter().cloned().collect(),
            _ => return None,
        })
    }
}

pub fn get_transit_gateway_attachment_propagations(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: GetTransitGatewayAttachmentPropagationsRequest,
) -> Result<GetTransitGatewayAttachmentPropagationsResult, ApiError> {
    let paging = input.page();
    let id = input.transit_gateway_attachment_id.as_str();
    common::find_attachment(state, shared, ctx, id, "Attachment")?;
    let (d, now) = (delay(state), ctx.now);
    let all = state.transit.route_tables.values().filter(|t| !t.life.finished()).filter_map(|t| {
        let shown = t.propagations.get(id)?.propagation_state(d, now)?;
        Some(TransitGatewayAttachmentPropagation {
            transit_gateway_route_table_id: Some(t.id.clone()),
            state: Some(shown.into()),
        })
    });
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |p| p.transit_gateway_route_table_id.clone().unwrap_or_default(), paging, false)?;
    Ok(GetTransitGatewayAttachmentPropagationsResult {
        transit_gateway_attachment_propagations: Some(page),
        next_token: next,
    })
}
