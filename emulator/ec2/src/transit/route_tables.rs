//! Transit gateway route tables: create, describe (whether the table is its gateway's
//! default for association or propagation), delete (refused while attachments are
//! associated with it or while it is a default table).

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use super::common::{self, delay, ts};
use super::gateways::new_route_table;
use crate::generated::dto::{
    CreateTransitGatewayRouteTableRequest, CreateTransitGatewayRouteTableResult, DeleteTransitGatewayRouteTableRequest,
    DeleteTransitGatewayRouteTableResult, DescribeTransitGatewayRouteTablesRequest,
    DescribeTransitGatewayRouteTablesResult, TransitGatewayRouteTable,
};
use crate::generated::errors;
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::transit::{Life, Stage};
use crate::state::Ec2State;

/// Whether the table is its gateway's default (association, propagation).
pub fn defaults_of(state: &Ec2State, table_id: &str) -> (bool, bool) {
    let Some(t) = state.transit.route_tables.get(table_id) else { return (false, false) };
    let Some(g) = state.transit.gateways.get(&t.tgw_id) else { return (false, false) };
    let o = g.options();
    (
        o.association_default_route_table_id.as_deref() == Some(table_id),
        o.propagation_default_route_table_id.as_deref() == Some(table_id),
    )
}

/// A route table as Describe shows it at `now`.
pub fn describe_one(state: &Ec2State, ctx: &RequestContext, id: &str) -> TransitGatewayRouteTable {
    let t = &state.transit.route_tables[id];
    let (association, propagation) = defaults_of(state, id);
    TransitGatewayRouteTable {
        transit_gateway_route_table_id: Some(id.to_string()),
        transit_gateway_id: Some(t.tgw_id.clone()),
        state: Some(t.life.shown(delay(state), ctx.now).into()),
        default_association_route_table: Some(association),
        default_propagation_route_table: Some(propagation),
        creation_time: ts(t.creation_time),
        tags: state.dto_tags(id),
    }
}

pub fn create_transit_gateway_route_table(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CreateTransitGatewayRouteTableRequest,
) -> Result<CreateTransitGatewayRouteTableResult, ApiError> {
    common::available_gateway(state, ctx, &input.transit_gateway_id)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "transit-gateway-route-table")?;
    common::prune(state, shared, ctx);
    let id = new_route_table(state, &input.transit_gateway_id, ctx.now);
    state.set_tags(&id, tags);
    let mut shown = describe_one(state, ctx, &id);
    shown.state = Some("pending".into());
    Ok(CreateTransitGatewayRouteTableResult { transit_gateway_route_table: Some(shown) })
}

impl Filterable for TransitGatewayRouteTable {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        let flag = |v: &Option<bool>| vec![v.unwrap_or(false).to_string()];
        Some(match name {
            "default-association-route-table" => flag(&self.default_association_route_table),
            "default-propagation-route-table" => flag(&self.default_propagation_route_table),
            "state" => one(&self.state),
            "transit-gateway-id" => one(&self.transit_gateway_id),
            "transit-gateway-route-table-id" => one(&self.transit_gateway_route_table_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_transit_gateway_route_tables(
    state: &Ec2State,
    ctx: &RequestContext,
    _shared: &Shared,
    input: DescribeTransitGatewayRouteTablesRequest,
) -> Result<DescribeTransitGatewayRouteTablesResult, ApiError> {
    let paging = input.page();
    let (d, now) = (delay(state), ctx.now);
    let ids = input.transit_gateway_route_table_ids.unwrap_or_default();
    for id in &ids {
        if !state.transit.route_tables.get(id).is_some_and(|t| t.life.visible(d, now)) {
            return Err(common::route_table_not_found(id));
        }
    }
    let all = state
        .transit
        .route_tables
        .values()
        .filter(|t| t.life.visible(d, now) && (ids.is_empty() || ids.contains(&t.id)))
        .map(|t| describe_one(state, ctx, &t.id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |t| t.transit_gateway_route_table_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeTransitGatewayRouteTablesResult { transit_gateway_route_tables: Some(page), next_token: next })
}

pub fn delete_transit_gateway_route_table(
    state: &mut Ec2State,
    ctx: &RequestContext,
    _shared: &Shared,
    input: DeleteTransitGatewayRouteTableRequest,
) -> Result<DeleteTransitGatewayRouteTableResult, ApiError> {
    let id = input.transit_gateway_route_table_id.as_str();
    let t = common::route_table(state, id)?;
    let (d, now) = (delay(state), ctx.now);
    if t.life.shown(d, now) == "pending" {
        return Err(common::invalid_state(id));
    }
    let (association, propagation) = defaults_of(state, id);
    if association || propagation {
        return Err(errors::incorrect_state(format!(
            "{id} is the default route table of {} and cannot be deleted.",
            t.tgw_id
        )));
    }
    let associated: Vec<&str> =
        t.associations.iter().filter(|(_, l)| l.association_state(d, now).is_some()).map(|(a, _)| a.as_str()).collect();
    if !associated.is_empty() {
        return Err(errors::incorrect_state(format!(
            "{id} has non-disassociated Transit Gateway Attachments: {}.",
            associated.join(", ")
        )));
    }
    let t = state.transit.route_tables.get_mut(id).expect("checked above");
    t.life = Life::new(Stage::Deleted, now);
    t.propagations.clear();
    let mut shown = describe_one(state, ctx, id);
    shown.state = Some("deleting".into());
    Ok(DeleteTransitGatewayRouteTableResult { transit_gateway_route_table: Some(shown) })
}
