//! Route servers: CreateRouteServer, ModifyRouteServer, DeleteRouteServer,
//! DescribeRouteServers. A route server holds one FIB and RIB for the VPC it is
//! associated with; its settings are the Amazon-side ASN (1-4294967295, fixed), route
//! persistence after all BGP sessions end (1-5 minutes, 1 by default) and SNS
//! notifications of BGP status changes.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::{available_server, delay, prune};
use crate::generated::dto::{
    CreateRouteServerRequest, CreateRouteServerResult, DeleteRouteServerRequest, DeleteRouteServerResult,
    DescribeRouteServersRequest, DescribeRouteServersResult, ModifyRouteServerRequest, ModifyRouteServerResult,
    RouteServer,
};
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::route_servers::{gone, RouteServerRecord};
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::transit::{Life, Stage};
use crate::state::Ec2State;

/// The largest 4-byte ASN.
pub const MAX_ASN: i64 = 4_294_967_295;

/// The route server as AWS describes it at `ctx.now`.
fn describe_one(state: &Ec2State, ctx: &RequestContext, r: &RouteServerRecord) -> RouteServer {
    let d = delay(state);
    let modifying = r.life.stage == Stage::Modified && !r.life.settled(d, ctx.now);
    let persist_state = match (&r.persist_transition, modifying) {
        (Some(t), true) => t.clone(),
        _ if r.persist_routes => "enabled".into(),
        _ => "disabled".into(),
    };
    RouteServer {
        route_server_id: Some(r.id.clone()),
        amazon_side_asn: Some(r.amazon_side_asn),
        state: Some(r.life.shown(d, ctx.now).into()),
        tags: state.dto_tags(&r.id),
        persist_routes_state: Some(persist_state),
        persist_routes_duration: r.persist_routes.then_some(r.persist_routes_duration).flatten(),
        sns_notifications_enabled: Some(r.sns_notifications_enabled),
        sns_topic_arn: r.sns_topic_arn.clone(),
    }
}

/// The SNS topic AWS provisions for a route server's notifications. nimbus has no SNS:
/// the ARN names a topic of the account that receives nothing.
fn topic_arn(ctx: &RequestContext, id: &str) -> String {
    format!("arn:aws:sns:{}:{}:{id}", ctx.region, ctx.account())
}

/// The persistence duration given, checked (1-5 minutes).
fn duration(v: Option<i64>) -> Result<Option<i64>, ApiError> {
    match v {
        Some(m) if !(1..=5).contains(&m) => {
            Err(invalid_value("PersistRoutesDuration", m, "Value must be in the range of 1-5."))
        }
        other => Ok(other),
    }
}

fn persist_action(v: &Option<String>, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match v.as_deref() {
        None => Ok(None),
        Some(a) if allowed.contains(&a) => Ok(Some(a.to_string())),
        Some(a) => Err(invalid_value("PersistRoutes", a, &format!("Valid values: {}", allowed.join(", ")))),
    }
}

pub fn create_route_server(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateRouteServerRequest,
) -> Result<CreateRouteServerResult, ApiError> {
    let asn = input.amazon_side_asn;
    if !(1..=MAX_ASN).contains(&asn) {
        return Err(invalid_value("AmazonSideAsn", asn, "Valid values are from 1 to 4294967295."));
    }
    let persist = persist_action(&input.persist_routes, &["enable", "disable"])?.as_deref() == Some("enable");
    let minutes = duration(input.persist_routes_duration)?;
    if minutes.is_some() && !persist {
        return Err(errors::invalid_parameter_combination(
            "PersistRoutesDuration can only be specified when PersistRoutes is enable.",
        ));
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "route-server")?;
    prune(state, ctx);
    let id = ids::resource_id("rs");
    let sns = input.sns_notifications_enabled.unwrap_or(false);
    let record = RouteServerRecord {
        id: id.clone(),
        amazon_side_asn: asn,
        persist_routes: persist,
        persist_routes_duration: persist.then(|| minutes.unwrap_or(1)),
        persist_transition: None,
        sns_notifications_enabled: sns,
        sns_topic_arn: sns.then(|| topic_arn(ctx, &id)),
        life: Life::new(Stage::Created, ctx.now),
        associations: Default::default(),
        propagations: Default::default(),
    };
    state.route_servers.servers.insert(id.clone(), record);
    state.set_tags(&id, tags);
    let mut shown = describe_one(state, ctx, &state.route_servers.servers[&id]);
    shown.state = Some("pending".into());
    Ok(CreateRouteServerResult { route_server: Some(shown) })
}

pub fn modify_route_server(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyRouteServerRequest,
) -> Result<ModifyRouteServerResult, ApiError> {
    prune(state, ctx);
    let id = input.route_server_id.as_str();
    let current = available_server(state, ctx, id)?.clone();
    let action = persist_action(&input.persist_routes, &["enable", "disable", "reset"])?;
    let minutes = duration(input.persist_routes_duration)?;
    let persist_after = match action.as_deref() {
        Some("enable") => true,
        Some("disable") => false,
        _ => current.persist_routes,
    };
    if minutes.is_some() && !persist_after {
        return Err(errors::invalid_parameter_combination(
            "PersistRoutesDuration can only be specified when PersistRoutes is enable.",
        ));
    }
    let transition = match (action.as_deref(), current.persist_routes) {
        (Some("reset"), _) => Some("resetting"),
        (Some("enable"), false) => Some("enabling"),
        (Some("disable"), true) => Some("disabling"),
        (Some("enable"), true) | (None, true)
            if minutes.is_some_and(|m| Some(m) != current.persist_routes_duration) =>
        {
            Some("modifying")
        }
        _ => None,
    };
    let sns = input.sns_notifications_enabled.unwrap_or(current.sns_notifications_enabled);
    let r = state.route_servers.servers.get_mut(id).expect("checked above");
    r.persist_routes = persist_after;
    r.persist_routes_duration = persist_after.then(|| minutes.or(current.persist_routes_duration).unwrap_or(1));
    r.persist_transition = transition.map(str::to_string);
    r.sns_notifications_enabled = sns;
    r.sns_topic_arn = sns.then(|| current.sns_topic_arn.clone().unwrap_or_else(|| topic_arn(ctx, id)));
    r.life = Life::new(Stage::Modified, ctx.now);
    let mut shown = describe_one(state, ctx, &state.route_servers.servers[id]);
    shown.state = Some("modifying".into());
    Ok(ModifyRouteServerResult { route_server: Some(shown) })
}

pub fn delete_route_server(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteRouteServerRequest,
) -> Result<DeleteRouteServerResult, ApiError> {
    prune(state, ctx);
    let id = input.route_server_id.as_str();
    let (d, now) = (delay(state), ctx.now);
    let r = available_server(state, ctx, id)?;
    if let Some(vpc) = r.associations.keys().next() {
        return Err(errors::incorrect_state(format!(
            "The route server {id} is associated with {vpc}. Disassociate it before deleting the route server."
        )));
    }
    let endpoint = state.route_servers.endpoints.values().find(|e| e.route_server_id == id && !gone(&e.life, d, now));
    if let Some(e) = endpoint {
        return Err(errors::incorrect_state(format!(
            "The route server {id} has endpoint {}. Delete its endpoints before deleting the route server.",
            e.id
        )));
    }
    let r = state.route_servers.servers.get_mut(id).expect("checked above");
    r.life = Life::new(Stage::Deleted, ctx.now);
    r.propagations.clear();
    let mut shown = describe_one(state, ctx, &state.route_servers.servers[id]);
    shown.state = Some("deleting".into());
    Ok(DeleteRouteServerResult { route_server: Some(shown) })
}

impl Filterable for RouteServer {
    /// AWS documents no filter names for DescribeRouteServers; the tag filters
    /// (`tag:<key>`, `tag-key`, `tag-value`) are the ones nimbus knows.
    fn filter_values(&self, _name: &str) -> Option<Vec<String>> {
        None
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_route_servers(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeRouteServersRequest,
) -> Result<DescribeRouteServersResult, ApiError> {
    let paging = input.page();
    let ids = input.route_server_ids.unwrap_or_default();
    let (d, now) = (delay(state), ctx.now);
    let visible = |id: &str| state.route_servers.servers.get(id).filter(|r| r.life.visible(d, now));
    if let Some(missing) = ids.iter().find(|id| visible(id).is_none()) {
        return Err(errors::invalid_route_server_id_not_found(missing));
    }
    let all = state
        .route_servers
        .servers
        .values()
        .filter(|r| r.life.visible(d, now) && (ids.is_empty() || ids.contains(&r.id)))
        .map(|r| describe_one(state, ctx, r));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |r| r.route_server_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeRouteServersResult { route_servers: Some(page), next_token: next })
}
