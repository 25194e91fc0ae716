//! Spot Fleet: RequestSpotFleet (launch specifications or launch template configs, a
//! Spot and an On-Demand target), ModifySpotFleetRequest and CancelSpotFleetRequests.

use nimbus_core::{ApiError, RequestContext};

use super::common::{self, echo_strategy, invalid_strategy, phase, Phase};
use super::engine::{self, record};
use super::pools::{self, Override, TemplateConfig};
use crate::compute::spot::prices::parse_price;
use crate::generated::dto::{
    CancelSpotFleetRequestsError, CancelSpotFleetRequestsErrorItem, CancelSpotFleetRequestsRequest,
    CancelSpotFleetRequestsResponse, CancelSpotFleetRequestsSuccessItem, LaunchTemplateConfig,
    ModifySpotFleetRequestRequest, ModifySpotFleetRequestResponse, Placement, RequestSpotFleetRequest,
    RequestSpotFleetResponse, RunInstancesMonitoringEnabled, RunInstancesRequest, SpotFleetLaunchSpecification,
    TagSpecification,
};
use crate::generated::{enums, errors};
use crate::state::fleet::{EventKind, FleetApi, FleetRecord, Pool};
use crate::state::params::one_of;
use crate::state::shared::Shared;
use crate::state::support::spec_tags;
use crate::state::Ec2State;

/// The request's state as the Spot Fleet API names it.
pub fn state_name(p: Phase) -> &'static str {
    match p {
        Phase::Active => "active",
        Phase::EndedTerminating => "cancelled_terminating",
        Phase::EndedRunning => "cancelled_running",
        Phase::Ended => "cancelled",
    }
}

/// A Spot Fleet request id that is well formed and known here.
pub fn check_id(state: &Ec2State, id: &str) -> Result<(), ApiError> {
    if !id.starts_with("sfr-") {
        return Err(errors::invalid_spot_fleet_request_id_malformed(id));
    }
    match state.fleets.fleets.get(id) {
        Some(rec) if rec.api == FleetApi::SpotFleet => Ok(()),
        _ => Err(errors::invalid_spot_fleet_request_id_not_found(id)),
    }
}

fn invalid_config(message: impl std::fmt::Display) -> ApiError {
    errors::invalid_spot_fleet_request_config(message)
}

fn template_configs(configs: &[LaunchTemplateConfig]) -> Vec<TemplateConfig> {
    configs
        .iter()
        .map(|c| {
            let spec = c.launch_template_specification.clone().unwrap_or_default();
            TemplateConfig {
                id: spec.launch_template_id,
                name: spec.launch_template_name,
                version: spec.version,
                overrides: c
                    .overrides
                    .iter()
                    .flatten()
                    .map(|o| Override {
                        instance_type: o.instance_type.clone(),
                        max_price: o.spot_price.clone(),
                        subnet_id: o.subnet_id.clone(),
                        availability_zone: o.availability_zone.clone(),
                        weight: o.weighted_capacity,
                        priority: o.priority,
                        requirements: o.instance_requirements.is_some(),
                        ..Default::default()
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The pools of launch specifications: a specification whose subnet (or zone) lists
/// several, comma-separated, is one pool per subnet (or zone), as AWS reads it.
fn spec_pools(state: &Ec2State, specs: &[SpotFleetLaunchSpecification]) -> Result<Vec<Pool>, ApiError> {
    let mut pools = Vec::new();
    for spec in specs {
        let Some(image_id) = spec.image_id.clone().filter(|i| !i.is_empty()) else {
            return Err(invalid_config("The launch specification must specify an image ID."));
            // guessed wording
        };
        let max_price =
            spec.spot_price.as_deref().filter(|p| !p.is_empty()).map(|p| parse_price("SpotPrice", p)).transpose()?;
        let weight = spec.weighted_capacity.unwrap_or(1.0);
        if weight <= 0.0 || !weight.is_finite() {
            return Err(invalid_config(format!("Invalid WeightedCapacity: {weight}.")));
            // guessed wording
        }
        let split = |v: &Option<String>| -> Vec<Option<String>> {
            let list: Vec<Option<String>> = v
                .iter()
                .flat_map(|s| s.split(','))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .map(Some)
                .collect();
            if list.is_empty() {
                vec![None]
            } else {
                list
            }
        };
        let zones = split(&spec.placement.as_ref().and_then(|p| p.availability_zone.clone()));
        for subnet in split(&spec.subnet_id) {
            for zone in if subnet.is_some() { vec![None] } else { zones.clone() } {
                let subnet_zone = match subnet.as_deref() {
                    Some(id) => crate::vpc::subnets::get(state, id)?.subnet.availability_zone.clone(),
                    None => None,
                };
                let groups: Vec<String> =
                    spec.security_groups.iter().flatten().filter_map(|g| g.group_id.clone()).collect();
                let group_names: Vec<String> = spec
                    .security_groups
                    .iter()
                    .flatten()
                    .filter(|g| g.group_id.is_none())
                    .filter_map(|g| g.group_name.clone())
                    .collect();
                let launch = RunInstancesRequest {
                    image_id: Some(image_id.clone()),
                    instance_type: spec.instance_type.clone(),
                    key_name: spec.key_name.clone(),
                    subnet_id: subnet.clone(),
                    security_group_ids: Some(groups).filter(|g| !g.is_empty()),
                    security_groups: Some(group_names).filter(|g| !g.is_empty()),
                    block_device_mappings: spec.block_device_mappings.clone(),
                    ebs_optimized: spec.ebs_optimized,
                    iam_instance_profile: spec.iam_instance_profile.clone(),
                    kernel_id: spec.kernel_id.clone(),
                    ramdisk_id: spec.ramdisk_id.clone(),
                    monitoring: spec.monitoring.as_ref().map(|m| RunInstancesMonitoringEnabled {
                        enabled: m.enabled.unwrap_or(false),
                        metric_category_ids: None,
                    }),
                    network_interfaces: spec.network_interfaces.clone(),
                    user_data: spec.user_data.clone(),
                    placement: spec.placement.as_ref().map(|p| Placement {
                        availability_zone: zone.clone(),
                        group_name: p.group_name.clone().filter(|g| !g.is_empty()),
                        tenancy: p.tenancy.clone(),
                        ..Default::default()
                    }),
                    tag_specifications: spec.tag_specifications.as_ref().map(|list| {
                        list.iter()
                            .map(|t| TagSpecification { resource_type: t.resource_type.clone(), tags: t.tags.clone() })
                            .collect()
                    }),
                    min_count: 1,
                    max_count: 1,
                    ..Default::default()
                };
                pools.push(Pool {
                    launch,
                    instance_type: spec.instance_type.clone().unwrap_or_else(|| "m1.small".into()),
                    zone: zone.clone().or(subnet_zone),
                    weight,
                    priority: None,
                    max_price,
                    template_and_overrides: None,
                });
            }
        }
    }
    Ok(pools)
}

fn excess_policy(given: &str) -> Result<bool, ApiError> {
    match given {
        "default" | "Default" => Ok(true),
        "noTermination" | "NoTermination" => Ok(false),
        other => {
            one_of("ExcessCapacityTerminationPolicy", other, enums::EXCESS_CAPACITY_TERMINATION_POLICY)?;
            Ok(true)
        }
    }
}

pub fn request_spot_fleet(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: RequestSpotFleetRequest,
) -> Result<RequestSpotFleetResponse, ApiError> {
    let mut config = input.spot_fleet_request_config;
    // nimbus has no IAM: any role ARN is accepted, but it must be one.
    let role = config.iam_fleet_role.as_str();
    if !(role.starts_with("arn:") && role.contains(":iam::") && role.contains(":role/")) {
        return Err(invalid_config("Parameter: SpotFleetRequestConfig.IamFleetRole is invalid."));
    }
    let fleet_type = config.r#type.clone().unwrap_or_else(|| "maintain".into());
    one_of("Type", &fleet_type, enums::FLEET_TYPE)?;
    if fleet_type == "instant" {
        return Err(invalid_config(
            "Parameter: SpotFleetRequestConfig.Type is invalid: instant fleets are made with CreateFleet.",
        )); // guessed wording
    }
    let specs = config.launch_specifications.clone().unwrap_or_default();
    let templates = config.launch_template_configs.clone().unwrap_or_default();
    if specs.is_empty() == templates.is_empty() {
        return Err(invalid_config(
            "Specify either LaunchSpecifications or LaunchTemplateConfigs, but not both.", // guessed wording
        ));
    }
    let tags = spec_tags(config.tag_specifications.as_deref(), "spot-fleet-request")?;
    let spot_given = config.allocation_strategy.clone().unwrap_or_else(|| "lowestPrice".into());
    let spot_strategy = common::spot_strategy(&spot_given)
        .filter(|_| !spot_given.contains('-'))
        .ok_or_else(|| invalid_strategy("AllocationStrategy", &spot_given))?;
    let od_given = config.on_demand_allocation_strategy.clone().unwrap_or_else(|| "lowestPrice".into());
    let od_strategy = common::on_demand_strategy(&od_given)
        .filter(|_| !od_given.contains('-'))
        .ok_or_else(|| invalid_strategy("OnDemandAllocationStrategy", &od_given))?;
    let terminate_excess = excess_policy(config.excess_capacity_termination_policy.as_deref().unwrap_or("default"))?;
    let interruption = config.instance_interruption_behavior.clone().unwrap_or_else(|| "terminate".into());
    one_of("InstanceInterruptionBehavior", &interruption, enums::INSTANCE_INTERRUPTION_BEHAVIOR)?;
    if let Some(unit) = config.target_capacity_unit_type.as_deref() {
        one_of("TargetCapacityUnitType", unit, enums::TARGET_CAPACITY_UNIT_TYPE)?;
        if unit != "units" {
            return Err(invalid_config(format!(
                "TargetCapacityUnitType '{unit}' can be used only with InstanceRequirements."
            ))); // guessed wording
        }
    }
    let pools_to_use = config.instance_pools_to_use_count.unwrap_or(1);
    if pools_to_use < 1 {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({pools_to_use}) for parameter InstancePoolsToUseCount is invalid. Expected a positive integer."
        )));
    }
    let od_target = config.on_demand_target_capacity.unwrap_or(0);
    let targets = common::resolve_targets(config.target_capacity, Some(od_target), None, "spot")
        .map_err(|e| invalid_config(e.message))?;
    let spot_max_price =
        config.spot_price.as_deref().filter(|p| !p.is_empty()).map(|p| parse_price("SpotPrice", p)).transpose()?;
    let pools = if templates.is_empty() {
        spec_pools(state, &specs)?
    } else {
        pools::template_pools(state, &template_configs(&templates))?
    };
    let id = pools::uuid_id("sfr");
    config.allocation_strategy = Some(echo_strategy(&spot_given));
    config.on_demand_allocation_strategy = Some(echo_strategy(&od_given));
    config.client_token = Some(config.client_token.clone().unwrap_or_else(pools::client_token));
    config.r#type = Some(fleet_type.clone());
    config.instance_interruption_behavior = Some(interruption);
    config.on_demand_target_capacity = Some(od_target);
    config.terminate_instances_with_expiration = Some(config.terminate_instances_with_expiration.unwrap_or(false));
    config.replace_unhealthy_instances = Some(config.replace_unhealthy_instances.unwrap_or(false));
    let mut rec = FleetRecord {
        api: FleetApi::SpotFleet,
        fleet_type,
        create_time: ctx.now,
        pools,
        targets,
        explicit_on_demand: Some(od_target),
        explicit_spot: None,
        default_type: "spot".into(),
        spot_strategy: spot_strategy.into(),
        on_demand_strategy: od_strategy.into(),
        pools_to_use: usize::try_from(pools_to_use).unwrap_or(1),
        terminate_excess,
        spot_max_price,
        valid_until: config.valid_until.as_ref().map(|t| t.0),
        spot: Some(config),
        ..Default::default()
    };
    record(&mut rec, ctx.now, EventKind::Fleet, "submitted", String::new());
    record(&mut rec, ctx.now, EventKind::Fleet, "active", String::new());
    state.fleets.fleets.insert(id.clone(), rec);
    state.set_tags(&id, tags);
    engine::top_up(state, ctx, shared, &id);
    Ok(RequestSpotFleetResponse { spot_fleet_request_id: Some(id) })
}

pub fn modify_spot_fleet_request(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: ModifySpotFleetRequestRequest,
) -> Result<ModifySpotFleetRequestResponse, ApiError> {
    let id = input.spot_fleet_request_id.clone();
    check_id(state, &id)?;
    let rec = &state.fleets.fleets[&id];
    if rec.fleet_type != "maintain" {
        return Err(invalid_config(format!(
            "Spot Fleet request {id} is of type {}; only requests of type maintain can be modified.", // guessed wording
            rec.fleet_type
        )));
    }
    if phase(state, rec, ctx.now) != Phase::Active {
        return Err(errors::incorrect_state(format!(
            "The Spot Fleet request '{id}' is in the {} state and cannot be modified.", // guessed wording
            state_name(phase(state, rec, ctx.now))
        )));
    }
    let terminate_excess = input.excess_capacity_termination_policy.as_deref().map(excess_policy).transpose()?;
    let total = input.target_capacity.unwrap_or(rec.targets.total);
    let od = input.on_demand_target_capacity.or(rec.explicit_on_demand);
    let targets = common::resolve_targets(total, od, None, "spot").map_err(|e| invalid_config(e.message))?;
    let new_pools = match input.launch_template_configs.as_deref() {
        Some(configs) if !configs.is_empty() => {
            if rec.spot.as_ref().is_some_and(|c| c.launch_template_configs.is_none()) {
                return Err(invalid_config("LaunchTemplateConfigs can be modified only for requests made with them."));
                // guessed wording
            }
            Some(pools::template_pools(state, &template_configs(configs))?)
        }
        _ => None,
    };
    let rec = state.fleets.fleets.get_mut(&id).expect("checked above");
    record(rec, ctx.now, EventKind::Fleet, "modify_in_progress", String::new());
    rec.targets = targets;
    rec.explicit_on_demand = od;
    if let Some(t) = terminate_excess {
        rec.terminate_excess = t;
    }
    let config = rec.spot.get_or_insert_with(Default::default);
    config.target_capacity = targets.total;
    config.on_demand_target_capacity = Some(targets.on_demand);
    if let Some(policy) = input.excess_capacity_termination_policy.clone() {
        config.excess_capacity_termination_policy = Some(policy);
    }
    if let Some(context) = input.context.clone() {
        config.context = Some(context);
    }
    if let Some(pools) = new_pools {
        config.launch_template_configs = input.launch_template_configs.clone();
        rec.pools = pools;
        let last = rec.pools.len().saturating_sub(1);
        rec.members.iter_mut().for_each(|m| m.pool = m.pool.min(last));
    }
    engine::scale_down(state, ctx.now, &id);
    engine::top_up(state, ctx, shared, &id);
    let rec = state.fleets.fleets.get_mut(&id).expect("checked above");
    record(rec, ctx.now, EventKind::Fleet, "modify_successful", String::new());
    Ok(ModifySpotFleetRequestResponse { r#return: Some(true) })
}

pub fn cancel_spot_fleet_requests(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CancelSpotFleetRequestsRequest,
) -> Result<CancelSpotFleetRequestsResponse, ApiError> {
    if input.spot_fleet_request_ids.is_empty() {
        return Err(errors::missing_parameter("SpotFleetRequestId"));
    }
    let (mut done, mut failed) = (Vec::new(), Vec::new());
    let fail = |id: &str, code: &str, message: String| CancelSpotFleetRequestsErrorItem {
        spot_fleet_request_id: Some(id.to_string()),
        error: Some(CancelSpotFleetRequestsError { code: Some(code.into()), message: Some(message) }),
    };
    for id in &input.spot_fleet_request_ids {
        if let Err(e) = check_id(state, id) {
            let code =
                if e.code.ends_with("Malformed") { "fleetRequestIdMalformed" } else { "fleetRequestIdDoesNotExist" };
            failed.push(fail(id, code, e.message));
            continue;
        }
        let before = phase(state, &state.fleets.fleets[id], ctx.now);
        if before != Phase::Active {
            failed.push(fail(
                id,
                "fleetRequestNotInCancellableState",
                format!("The Spot Fleet request '{id}' is already cancelled."), // guessed wording
            ));
            continue;
        }
        engine::prune(state, id, ctx.now);
        let rec = state.fleets.fleets.get_mut(id).expect("checked above");
        rec.deleted = Some((ctx.now, input.terminate_instances));
        let members: Vec<String> = rec.members.iter().map(|m| m.instance_id.clone()).collect();
        let now_state = if input.terminate_instances { "cancelled_terminating" } else { "cancelled_running" };
        record(rec, ctx.now, EventKind::Fleet, now_state, String::new());
        if input.terminate_instances {
            engine::terminate(state, ctx.now, &members);
        }
        done.push(CancelSpotFleetRequestsSuccessItem {
            spot_fleet_request_id: Some(id.clone()),
            previous_spot_fleet_request_state: Some(state_name(before).into()),
            current_spot_fleet_request_state: Some(now_state.into()),
        });
    }
    Ok(CancelSpotFleetRequestsResponse {
        successful_fleet_requests: Some(done),
        unsuccessful_fleet_requests: Some(failed),
    })
}
