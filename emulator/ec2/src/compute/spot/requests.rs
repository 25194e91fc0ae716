//! RequestSpotInstances and CancelSpotInstanceRequests, the Spot side of RunInstances
//! (`InstanceMarketOptions`), and what terminating a Spot Instance does to its request.
//!
//! A request launches its instance as soon as it can: when its maximum price is at or
//! above the Spot price of its zone and its `ValidFrom` has come. Its state and status
//! are derived from its instance when described (`describe.rs`), following AWS's table
//! of Spot request states: a one-time request closes when its instance terminates, a
//! persistent one launches a new instance (AWS: it goes back to `pending-evaluation`
//! and is fulfilled again), a cancelled one leaves its instance running.

use chrono::{DateTime, Duration, Utc};
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::compute::instances::run::run_instances;
use crate::compute::spot::prices::{format_price, on_demand_price, parse_price, spot_price};
use crate::generated::dto::{
    CancelSpotInstanceRequestsRequest, CancelSpotInstanceRequestsResult, CancelledSpotInstanceRequest,
    InstanceMarketOptionsRequest, LaunchSpecification, Placement, RequestSpotInstancesRequest,
    RequestSpotInstancesResult, RequestSpotLaunchSpecification, RunInstancesRequest, SpotInstanceRequest,
    SpotPlacement,
};
use crate::generated::{enums, errors};
use crate::images;
use crate::state::lifecycle::{shown_state, InstanceStateName as Name};
use crate::state::params::one_of;
use crate::state::shared::Shared;
use crate::state::spot::SpotRequestRecord;
use crate::state::support::spec_tags;
use crate::state::Ec2State;

/// AWS's default end of a request: seven days after it is made.
const DEFAULT_VALID_DAYS: i64 = 7;

/// What a Spot request asks for, from RequestSpotInstances or RunInstances' market options.
#[derive(Debug, Clone)]
pub struct SpotAsk {
    pub kind: String,
    pub max_price: Option<f64>,
    pub interruption: String,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: DateTime<Utc>,
    pub launch_group: Option<String>,
    pub zone_group: Option<String>,
}

fn check_kind_and_behaviour(kind: &str, interruption: &str) -> Result<(), ApiError> {
    one_of("type", kind, enums::SPOT_INSTANCE_TYPE)?;
    one_of("instanceInterruptionBehavior", interruption, enums::INSTANCE_INTERRUPTION_BEHAVIOR)?;
    if kind == "one-time" && interruption != "terminate" {
        // AWS documents the rule (stop and hibernate need a persistent request); the wording is a guess.
        return Err(errors::invalid_parameter_combination(format!(
            "The instance interruption behavior '{interruption}' is supported only for persistent Spot Instance requests."
        )));
    }
    Ok(())
}

fn no_spot_blocks(minutes: Option<i32>) -> Result<(), ApiError> {
    match minutes {
        // Spot blocks are no longer offered (AWS, 2022); the wording is a guess.
        Some(_) => Err(errors::invalid_parameter_value(
            "Spot Instances with a defined duration (Spot blocks) are no longer available.".to_string(),
        )),
        None => Ok(()),
    }
}

fn check_window(
    now: DateTime<Utc>,
    valid_from: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
) -> Result<DateTime<Utc>, ApiError> {
    if let Some(until) = valid_until {
        if until <= now {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({}) for parameter validUntil is invalid. The end date must be in the future.", // guessed wording
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )));
        }
        if valid_from.is_some_and(|from| from >= until) {
            return Err(errors::invalid_parameter_value(
                "The start date must be before the end date.".to_string(), // guessed wording
            ));
        }
    }
    Ok(valid_until.unwrap_or(valid_from.unwrap_or(now).max(now) + Duration::days(DEFAULT_VALID_DAYS)))
}

/// RunInstances' `InstanceMarketOptions`, checked: `None` for On-Demand.
pub fn market_ask(
    now: DateTime<Utc>,
    options: Option<&InstanceMarketOptionsRequest>,
) -> Result<Option<SpotAsk>, ApiError> {
    let Some(options) = options else { return Ok(None) };
    let market = options.market_type.clone().unwrap_or_else(|| "spot".into());
    one_of("InstanceMarketOptions.MarketType", &market, enums::MARKET_TYPE)?;
    if market == "on-demand" {
        return Ok(None);
    }
    if market != "spot" {
        return Err(errors::invalid_parameter_combination(
            "Capacity Blocks can be used only with a capacity reservation target.".to_string(), // guessed wording
        ));
    }
    let spot = options.spot_options.clone().unwrap_or_default();
    no_spot_blocks(spot.block_duration_minutes)?;
    let kind = spot.spot_instance_type.clone().unwrap_or_else(|| "one-time".into());
    let interruption = spot.instance_interruption_behavior.clone().unwrap_or_else(|| "terminate".into());
    one_of("SpotInstanceType", &kind, enums::SPOT_INSTANCE_TYPE)?;
    if kind == "persistent" && interruption == "terminate" {
        // AWS documents the rule for RunInstances; the wording is a guess.
        return Err(errors::invalid_parameter_combination(
            "Persistent Spot Instance requests made with RunInstances need the instance interruption behavior 'stop' or 'hibernate'.",
        ));
    }
    check_kind_and_behaviour(&kind, &interruption)?;
    if kind == "one-time" && spot.valid_until.is_some() {
        return Err(errors::invalid_parameter_combination(
            "ValidUntil is supported only for persistent Spot Instance requests.", // guessed wording
        ));
    }
    let max_price =
        spot.max_price.as_deref().filter(|p| !p.is_empty()).map(|p| parse_price("MaxPrice", p)).transpose()?;
    let valid_until = check_window(now, None, spot.valid_until.map(|t| t.0))?;
    Ok(Some(SpotAsk {
        kind,
        max_price,
        interruption,
        valid_from: None,
        valid_until,
        launch_group: None,
        zone_group: None,
    }))
}

/// The product AWS prices an instance as, from its image's platform.
pub fn product_of(platform: Option<&str>) -> &'static str {
    if platform == Some("windows") {
        "Windows"
    } else {
        "Linux/UNIX"
    }
}

fn too_low(max: f64, price: f64) -> String {
    format!(
        "Your Spot request price of {} is lower than the minimum required Spot request fulfillment price of {}.",
        format_price(max),
        format_price(price)
    )
}

/// RunInstances refuses a maximum price below the Spot price of the zone.
pub fn check_price(
    ask: &SpotAsk,
    instance_type: &str,
    zone: &str,
    platform: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let price = spot_price(instance_type, zone, product_of(platform), now).unwrap_or(0.0);
    match ask.max_price {
        Some(max) if max < price => Err(errors::spot_max_price_too_low(too_low(max, price))),
        _ => Ok(()),
    }
}

/// Records one request per launched instance (RunInstances with Spot market options)
/// and marks the instances as Spot Instances.
pub fn record_for_instances(
    state: &mut Ec2State,
    ctx: &RequestContext,
    ask: &SpotAsk,
    launch: &RunInstancesRequest,
    instance_ids: &[String],
    tags: &[(String, String)],
) {
    for instance_id in instance_ids {
        let id = ids::resource_id("sir");
        let rec = new_record(state, ctx, &id, ask, launch);
        state.spot.requests.insert(id.clone(), rec);
        state.set_tags(&id, tags.iter().cloned());
        link(state, &id, instance_id);
    }
}

fn new_record(
    state: &Ec2State,
    ctx: &RequestContext,
    id: &str,
    ask: &SpotAsk,
    launch: &RunInstancesRequest,
) -> SpotRequestRecord {
    let instance_type = launch.instance_type.clone().unwrap_or_else(|| "m1.small".into());
    let product = product_of(None).to_string();
    let max = ask.max_price.or_else(|| on_demand_price(&instance_type, &product)).unwrap_or(0.0);
    let request = SpotInstanceRequest {
        spot_instance_request_id: Some(id.to_string()),
        spot_price: Some(format_price(max)),
        r#type: Some(ask.kind.clone()),
        create_time: Some(Timestamp(ctx.now)),
        valid_from: ask.valid_from.map(Timestamp),
        valid_until: Some(Timestamp(ask.valid_until)),
        launch_group: ask.launch_group.clone(),
        availability_zone_group: ask.zone_group.clone(),
        product_description: Some(product),
        instance_interruption_behavior: Some(ask.interruption.clone()),
        launch_specification: Some(launch_specification(state, launch)),
        ..Default::default()
    };
    let mut launch = launch.clone();
    launch.min_count = 1;
    launch.max_count = 1;
    launch.client_token = None;
    launch.instance_market_options = None;
    launch.tag_specifications = None;
    SpotRequestRecord { request, launch, instance_id: None, launched_zone: None, cancelled_at: None, since: ctx.now }
}

/// The launch specification as DescribeSpotInstanceRequests shows it: security groups
/// by id and name, the placement's zone.
fn launch_specification(state: &Ec2State, launch: &RunInstancesRequest) -> LaunchSpecification {
    let groups = launch
        .security_group_ids
        .iter()
        .flatten()
        .filter_map(|id| state.security_groups.get(id))
        .map(|g| crate::generated::dto::GroupIdentifier {
            group_id: Some(g.group_id.clone()),
            group_name: Some(g.group_name.clone()),
        })
        .collect::<Vec<_>>();
    LaunchSpecification {
        image_id: launch.image_id.clone(),
        instance_type: launch.instance_type.clone(),
        key_name: launch.key_name.clone(),
        subnet_id: launch.subnet_id.clone(),
        security_groups: Some(groups).filter(|g| !g.is_empty()),
        block_device_mappings: launch.block_device_mappings.clone(),
        ebs_optimized: launch.ebs_optimized,
        iam_instance_profile: launch.iam_instance_profile.clone(),
        network_interfaces: launch.network_interfaces.clone(),
        kernel_id: launch.kernel_id.clone(),
        ramdisk_id: launch.ramdisk_id.clone(),
        monitoring: Some(crate::generated::dto::RunInstancesMonitoringEnabled {
            enabled: launch.monitoring.as_ref().is_some_and(|m| m.enabled),
            metric_category_ids: None,
        }),
        placement: Some(SpotPlacement {
            availability_zone: launch.placement.as_ref().and_then(|p| p.availability_zone.clone()),
            group_name: launch.placement.as_ref().and_then(|p| p.group_name.clone()).filter(|g| !g.is_empty()),
            tenancy: launch.placement.as_ref().and_then(|p| p.tenancy.clone()),
            availability_zone_id: None,
        }),
        ..Default::default()
    }
}

/// Makes `instance_id` the request's instance: a Spot Instance naming its request.
fn link(state: &mut Ec2State, request_id: &str, instance_id: &str) {
    let zone = state.instances.get_mut(instance_id).and_then(|rec| {
        rec.instance.instance_lifecycle = Some("spot".into());
        rec.instance.spot_instance_request_id = Some(request_id.to_string());
        rec.instance.placement.as_ref().and_then(|p| p.availability_zone.clone())
    });
    let platform = state.instances.get(instance_id).and_then(|r| r.instance.platform.clone());
    if let Some(rec) = state.spot.requests.get_mut(request_id) {
        rec.instance_id = Some(instance_id.to_string());
        rec.launched_zone = zone.clone();
        rec.request.product_description = Some(product_of(platform.as_deref()).to_string());
        if let Some(spec) = rec.request.launch_specification.as_mut() {
            let placement = spec.placement.get_or_insert_with(Default::default);
            placement.availability_zone = zone;
            if let Some(i) = state.instances.get(instance_id) {
                spec.subnet_id = i.instance.subnet_id.clone();
            }
        }
    }
}

/// Why a request cannot launch now (its status code and message), or `None` when it can.
pub fn holding(
    rec: &SpotRequestRecord,
    zone: &str,
    platform: Option<&str>,
    now: DateTime<Utc>,
) -> Option<(String, String)> {
    if let Some(from) = rec.request.valid_from.as_ref().map(|t| t.0).filter(|from| *from > now) {
        return Some((
            "not-scheduled-yet".into(),
            format!(
                "Your Spot request will not be evaluated until {}.", // guessed wording
                from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        ));
    }
    let instance_type = rec.launch.instance_type.as_deref().unwrap_or("m1.small");
    let price = spot_price(instance_type, zone, product_of(platform), now).unwrap_or(0.0);
    let max = rec.request.spot_price.as_deref().and_then(|p| p.parse::<f64>().ok()).unwrap_or(0.0);
    (max < price).then(|| ("price-too-low".to_string(), too_low(max, price)))
}

/// Launches the request's instance if nothing holds it: the launch is tried on a copy
/// first, so that a request that cannot launch changes nothing.
fn try_launch(state: &mut Ec2State, ctx: &RequestContext, shared: &Shared, id: &str) -> Result<(), ApiError> {
    let rec = state.spot.requests[id].clone();
    let mut trial = state.clone();
    let reservation = run_instances(&mut trial, ctx, shared, rec.launch.clone())?;
    let launched = reservation.instances.unwrap_or_default().into_iter().next().unwrap_or_default();
    let zone = launched.placement.and_then(|p| p.availability_zone).unwrap_or_default();
    if holding(&rec, &zone, launched.platform.as_deref(), ctx.now).is_some() {
        return Ok(());
    }
    *state = trial;
    let instance_id = launched.instance_id.unwrap_or_default();
    link(state, id, &instance_id);
    if let Some(r) = state.spot.requests.get_mut(id) {
        r.since = ctx.now;
    }
    Ok(())
}

/// The request's state at `now` needs a new instance: open, not cancelled, in its window,
/// and its last instance (if any) gone while the request is persistent.
fn wants_instance(state: &Ec2State, rec: &SpotRequestRecord, now: DateTime<Utc>) -> bool {
    if rec.cancelled_at.is_some() || rec.request.valid_until.as_ref().is_some_and(|t| t.0 <= now) {
        return false;
    }
    match &rec.instance_id {
        None => true,
        Some(i) => {
            rec.request.r#type.as_deref() == Some("persistent")
                && state
                    .instances
                    .get(i)
                    .is_none_or(|r| matches!(shown_state(state, r, now).0, Name::ShuttingDown | Name::Terminated))
        }
    }
}

/// Launches what open requests are waiting for (a `ValidFrom` that has come, a Spot price
/// that fell, a persistent request's terminated instance). Runs on every Spot write and
/// after TerminateInstances.
pub fn fulfil_open_requests(state: &mut Ec2State, ctx: &RequestContext, shared: &Shared) {
    let waiting: Vec<String> = state
        .spot
        .requests
        .iter()
        .filter(|(_, rec)| wants_instance(state, rec, ctx.now))
        .map(|(id, _)| id.clone())
        .collect();
    for id in waiting {
        // A launch that fails now (the subnet is full, the image is gone) is tried again later.
        let _ = try_launch(state, ctx, shared, &id);
    }
}

pub fn request_spot_instances(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: RequestSpotInstancesRequest,
) -> Result<RequestSpotInstancesResult, ApiError> {
    let kind = input.r#type.clone().unwrap_or_else(|| "one-time".into());
    let interruption = input.instance_interruption_behavior.clone().unwrap_or_else(|| "terminate".into());
    check_kind_and_behaviour(&kind, &interruption)?;
    no_spot_blocks(input.block_duration_minutes)?;
    let count = input.instance_count.unwrap_or(1);
    if count < 1 {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({count}) for parameter instanceCount is invalid. Expected a positive integer."
        )));
    }
    let max_price =
        input.spot_price.as_deref().filter(|p| !p.is_empty()).map(|p| parse_price("spotPrice", p)).transpose()?;
    let valid_from = input.valid_from.as_ref().map(|t| t.0);
    let valid_until = check_window(ctx.now, valid_from, input.valid_until.as_ref().map(|t| t.0))?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "spot-instances-request")?;
    let spec = input.launch_specification.clone().unwrap_or_default();
    let Some(image_id) = spec.image_id.clone() else {
        return Err(errors::missing_parameter("LaunchSpecification.ImageId"));
    };
    let launch = run_request(&spec, image_id);
    // The launch specification is checked as RunInstances checks it, on a copy.
    run_instances(
        &mut state.clone(),
        ctx,
        shared,
        RunInstancesRequest { min_count: count, max_count: count, ..launch.clone() },
    )?;
    let image = images::lookup::for_launch(state, ctx, shared, launch.image_id.as_deref().unwrap_or_default())?;
    let ask = SpotAsk {
        kind,
        max_price,
        interruption,
        valid_from,
        valid_until,
        launch_group: input.launch_group.clone().filter(|g| !g.is_empty()),
        zone_group: input.availability_zone_group.clone().filter(|g| !g.is_empty()),
    };
    let mut made = Vec::new();
    for _ in 0..count {
        let id = ids::resource_id("sir");
        let mut rec = new_record(state, ctx, &id, &ask, &launch);
        rec.request.product_description = Some(product_of(image.platform.as_deref()).to_string());
        state.spot.requests.insert(id.clone(), rec);
        state.set_tags(&id, tags.clone());
        made.push(id);
    }
    // The answer shows the requests as AWS's does, just submitted.
    let answer = made
        .iter()
        .map(|id| {
            let mut r = crate::compute::spot::describe::describe_one(state, id, ctx.now);
            r.state = Some("open".into());
            r.instance_id = None;
            r.launched_availability_zone = None;
            r.status = Some(crate::generated::dto::SpotInstanceStatus {
                code: Some("pending-evaluation".into()),
                message: Some("Your Spot request has been submitted for review, and is pending evaluation.".into()),
                update_time: Some(Timestamp(ctx.now)),
            });
            r
        })
        .collect();
    for id in &made {
        let _ = try_launch(state, ctx, shared, id);
    }
    fulfil_open_requests(state, ctx, shared);
    Ok(RequestSpotInstancesResult { spot_instance_requests: Some(answer) })
}

/// RunInstances' form of a Spot launch specification.
fn run_request(spec: &RequestSpotLaunchSpecification, image_id: String) -> RunInstancesRequest {
    RunInstancesRequest {
        image_id: Some(image_id),
        instance_type: spec.instance_type.clone(),
        key_name: spec.key_name.clone(),
        subnet_id: spec.subnet_id.clone(),
        security_group_ids: spec.security_group_ids.clone(),
        security_groups: spec.security_groups.clone(),
        block_device_mappings: spec.block_device_mappings.clone(),
        ebs_optimized: spec.ebs_optimized,
        iam_instance_profile: spec.iam_instance_profile.clone(),
        kernel_id: spec.kernel_id.clone(),
        ramdisk_id: spec.ramdisk_id.clone(),
        monitoring: spec.monitoring.clone(),
        network_interfaces: spec.network_interfaces.clone(),
        user_data: spec.user_data.clone(),
        placement: spec.placement.as_ref().map(|p| Placement {
            availability_zone: p.availability_zone.clone(),
            availability_zone_id: p.availability_zone_id.clone(),
            group_name: p.group_name.clone(),
            tenancy: p.tenancy.clone(),
            ..Default::default()
        }),
        min_count: 1,
        max_count: 1,
        ..Default::default()
    }
}

pub fn cancel_spot_instance_requests(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CancelSpotInstanceRequestsRequest,
) -> Result<CancelSpotInstanceRequestsResult, ApiError> {
    if input.spot_instance_request_ids.is_empty() {
        return Err(errors::missing_parameter("SpotInstanceRequestId"));
    }
    for id in &input.spot_instance_request_ids {
        check_id(state, id)?;
    }
    let mut out = Vec::new();
    for id in &input.spot_instance_request_ids {
        let shown = crate::compute::spot::describe::describe_one(state, id, ctx.now);
        let now_state = match shown.state.as_deref() {
            Some("closed") => "closed",
            _ => {
                if let Some(rec) = state.spot.requests.get_mut(id) {
                    rec.cancelled_at.get_or_insert(ctx.now);
                }
                "cancelled"
            }
        };
        out.push(CancelledSpotInstanceRequest {
            spot_instance_request_id: Some(id.clone()),
            state: Some(now_state.into()),
        });
    }
    Ok(CancelSpotInstanceRequestsResult { cancelled_spot_instance_requests: Some(out) })
}

/// A request id that is well formed and known here.
pub fn check_id(state: &Ec2State, id: &str) -> Result<(), ApiError> {
    if !id.starts_with("sir-") {
        return Err(errors::invalid_spot_instance_request_id_malformed(id));
    }
    if !state.spot.requests.contains_key(id) {
        return Err(errors::invalid_spot_instance_request_id_not_found(id));
    }
    Ok(())
}

/// StopInstances of a Spot Instance: only one of a persistent request may be stopped.
pub fn check_stoppable(state: &Ec2State, instance_id: &str) -> Result<(), ApiError> {
    let Some(request) = state.instances.get(instance_id).and_then(|r| r.instance.spot_instance_request_id.clone())
    else {
        return Ok(());
    };
    match state.spot.requests.get(&request).and_then(|r| r.request.r#type.as_deref()) {
        Some("one-time") => Err(errors::unsupported_operation(format!(
            "You can't stop the Spot Instance '{instance_id}' because it is associated with a one-time Spot Instance request. You can only stop Spot Instances associated with persistent Spot Instance requests."
        ))),
        _ => Ok(()),
    }
}
