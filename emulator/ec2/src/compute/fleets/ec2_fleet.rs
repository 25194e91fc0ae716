//! EC2 Fleet: CreateFleet (`instant` launches synchronously and answers its instances and
//! errors; `request` launches once; `maintain` keeps its target), ModifyFleet and
//! DeleteFleets.

use nimbus_core::{ApiError, RequestContext};

use super::common::{self, echo_strategy, invalid_strategy, phase, Phase};
use super::engine::{self, record};
use super::pools::{self, Override, TemplateConfig};
use crate::generated::dto::{
    CreateFleetError, CreateFleetInstance, CreateFleetRequest, CreateFleetResult, DeleteFleetError,
    DeleteFleetErrorItem, DeleteFleetSuccessItem, DeleteFleetsRequest, DeleteFleetsResult, FleetData,
    FleetLaunchTemplateConfig, FleetLaunchTemplateConfigRequest, FleetLaunchTemplateOverrides,
    FleetLaunchTemplateSpecification, ModifyFleetRequest, ModifyFleetResult, OnDemandOptions, PlacementResponse,
    SpotOptions, TagSpecification, TargetCapacitySpecification,
};
use crate::generated::{enums, errors};
use crate::state::fleet::{EventKind, FleetApi, FleetRecord};
use crate::state::params::one_of;
use crate::state::shared::Shared;
use crate::state::support::{spec_tags, validate_tag};
use crate::state::Ec2State;

/// The fleet's state as the EC2 Fleet API names it.
pub fn state_name(p: Phase) -> &'static str {
    match p {
        Phase::Active => "active",
        Phase::EndedTerminating => "deleted_terminating",
        Phase::EndedRunning => "deleted_running",
        Phase::Ended => "deleted",
    }
}

/// An EC2 Fleet id that is well formed and known here.
pub fn check_id(state: &Ec2State, id: &str) -> Result<(), ApiError> {
    if !id.starts_with("fleet-") {
        return Err(errors::invalid_fleet_id_malformed(id));
    }
    match state.fleets.fleets.get(id) {
        Some(rec) if rec.api == FleetApi::Ec2Fleet => Ok(()),
        _ => Err(errors::invalid_fleet_id_not_found(id)),
    }
}

fn template_configs(configs: &[FleetLaunchTemplateConfigRequest]) -> Vec<TemplateConfig> {
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
                        max_price: o.max_price.clone(),
                        subnet_id: o.subnet_id.clone(),
                        availability_zone: o.availability_zone.clone(),
                        weight: o.weighted_capacity,
                        priority: o.priority,
                        image_id: o.image_id.clone(),
                        key_name: o.key_name.clone(),
                        group_name: o.placement.as_ref().and_then(|p| p.group_name.clone()),
                        requirements: o.instance_requirements.is_some(),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The configs as DescribeFleets answers them: as they were given.
fn configs_echo(configs: &[FleetLaunchTemplateConfigRequest]) -> Vec<FleetLaunchTemplateConfig> {
    configs
        .iter()
        .map(|c| FleetLaunchTemplateConfig {
            launch_template_specification: c.launch_template_specification.as_ref().map(|s| {
                FleetLaunchTemplateSpecification {
                    launch_template_id: s.launch_template_id.clone(),
                    launch_template_name: s.launch_template_name.clone(),
                    version: s.version.clone(),
                }
            }),
            overrides: c.overrides.as_ref().map(|list| {
                list.iter()
                    .map(|o| FleetLaunchTemplateOverrides {
                        instance_type: o.instance_type.clone(),
                        max_price: o.max_price.clone(),
                        subnet_id: o.subnet_id.clone(),
                        availability_zone: o.availability_zone.clone(),
                        weighted_capacity: o.weighted_capacity,
                        priority: o.priority,
                        image_id: o.image_id.clone(),
                        availability_zone_id: o.availability_zone_id.clone(),
                        placement: o
                            .placement
                            .as_ref()
                            .and_then(|p| p.group_name.clone())
                            .map(|g| PlacementResponse { group_name: Some(g) }),
                        ..Default::default()
                    })
                    .collect()
            }),
        })
        .collect()
}

type Tags = Vec<(String, String)>;

/// Tags for the fleet itself and, for instant fleets only, for its instances.
fn tag_specs(specs: Option<&[TagSpecification]>, instant: bool) -> Result<(Tags, Tags), ApiError> {
    let (mut fleet, mut instance) = (Vec::new(), Vec::new());
    for spec in specs.unwrap_or_default() {
        match (spec.resource_type.as_deref(), instant) {
            (Some("fleet"), _) => fleet.extend(spec_tags(Some(std::slice::from_ref(spec)), "fleet")?),
            (Some("instance"), true) => {
                for tag in spec.tags.iter().flatten() {
                    instance.push(validate_tag(tag)?);
                }
            }
            (other, _) => {
                return Err(errors::invalid_parameter_value(format!(
                    "'{}' is not a valid taggable resource type for this operation.",
                    other.unwrap_or_default()
                )))
            }
        }
    }
    Ok((fleet, instance))
}

pub fn create_fleet(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CreateFleetRequest,
) -> Result<CreateFleetResult, ApiError> {
    let fleet_type = input.r#type.clone().unwrap_or_else(|| "maintain".into());
    one_of("Type", &fleet_type, enums::FLEET_TYPE)?;
    let instant = fleet_type == "instant";
    let (fleet_tags, instance_tags) = tag_specs(input.tag_specifications.as_deref(), instant)?;
    let excess = input.excess_capacity_termination_policy.clone().unwrap_or_else(|| "termination".into());
    one_of("ExcessCapacityTerminationPolicy", &excess, enums::FLEET_EXCESS_CAPACITY_TERMINATION_POLICY)?;
    let spec = &input.target_capacity_specification;
    let default_type = spec.default_target_capacity_type.clone();
    if let Some(t) = default_type.as_deref() {
        one_of("DefaultTargetCapacityType", t, enums::DEFAULT_TARGET_CAPACITY_TYPE)?;
        if t != "spot" && t != "on-demand" {
            return Err(errors::invalid_parameter_value(format!(
                "nimbus does not launch fleets into capacity blocks or reserved capacity (DefaultTargetCapacityType '{t}')."
            )));
        }
    }
    if let Some(unit) = spec.target_capacity_unit_type.as_deref() {
        one_of("TargetCapacityUnitType", unit, enums::TARGET_CAPACITY_UNIT_TYPE)?;
        if unit != "units" {
            return Err(errors::invalid_target_capacity_specification(format!(
                "TargetCapacityUnitType '{unit}' can be used only with InstanceRequirements." // guessed wording
            )));
        }
    }
    let given = spec.on_demand_target_capacity.unwrap_or(0) + spec.spot_target_capacity.unwrap_or(0);
    if given < spec.total_target_capacity && default_type.is_none() {
        return Err(errors::missing_parameter("TargetCapacitySpecification.DefaultTargetCapacityType"));
    }
    let default_type = default_type.unwrap_or_else(|| "on-demand".into());
    let targets = common::resolve_targets(
        spec.total_target_capacity,
        spec.on_demand_target_capacity,
        spec.spot_target_capacity,
        &default_type,
    )?;
    let spot_in = input.spot_options.clone().unwrap_or_default();
    let od_in = input.on_demand_options.clone().unwrap_or_default();
    let spot_given = spot_in.allocation_strategy.clone().unwrap_or_else(|| "lowest-price".into());
    let spot_strategy = common::spot_strategy(&spot_given)
        .ok_or_else(|| invalid_strategy("SpotOptions.AllocationStrategy", &spot_given))?;
    let od_given = od_in.allocation_strategy.clone().unwrap_or_else(|| "lowest-price".into());
    let od_strategy = common::on_demand_strategy(&od_given)
        .ok_or_else(|| invalid_strategy("OnDemandOptions.AllocationStrategy", &od_given))?;
    let interruption = spot_in.instance_interruption_behavior.clone().unwrap_or_else(|| "terminate".into());
    one_of("SpotOptions.InstanceInterruptionBehavior", &interruption, enums::SPOT_INSTANCE_INTERRUPTION_BEHAVIOR)?;
    if spot_in.instance_pools_to_use_count.is_some() && spot_strategy != "lowest-price" {
        return Err(errors::invalid_fleet_config(
            "InstancePoolsToUseCount option is only available with the lowestPrice allocation strategy.",
        ));
    }
    let pools_to_use = spot_in.instance_pools_to_use_count.unwrap_or(1);
    if pools_to_use < 1 {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({pools_to_use}) for parameter InstancePoolsToUseCount is invalid. Expected a positive integer."
        )));
    }
    if instant && input.replace_unhealthy_instances == Some(true) {
        return Err(errors::invalid_parameter_combination(
            "ReplaceUnhealthyInstances is supported only for fleets of type maintain.", // guessed wording
        ));
    }
    let mut pools = pools::template_pools(state, &template_configs(&input.launch_template_configs))?;
    if !instance_tags.is_empty() {
        let spec = TagSpecification {
            resource_type: Some("instance".into()),
            tags: Some(
                instance_tags
                    .iter()
                    .map(|(k, v)| crate::generated::dto::Tag { key: Some(k.clone()), value: Some(v.clone()) })
                    .collect(),
            ),
        };
        for p in &mut pools {
            p.launch.tag_specifications = Some(vec![spec.clone()]);
        }
    }
    let id = pools::uuid_id("fleet");
    let data = FleetData {
        client_token: Some(input.client_token.clone().unwrap_or_else(pools::client_token)),
        excess_capacity_termination_policy: Some(excess.clone()),
        launch_template_configs: Some(configs_echo(&input.launch_template_configs)),
        target_capacity_specification: Some(TargetCapacitySpecification {
            total_target_capacity: Some(targets.total),
            on_demand_target_capacity: Some(targets.on_demand),
            spot_target_capacity: Some(targets.spot),
            default_target_capacity_type: Some(default_type.clone()),
            target_capacity_unit_type: spec.target_capacity_unit_type.clone(),
        }),
        terminate_instances_with_expiration: Some(input.terminate_instances_with_expiration.unwrap_or(false)),
        r#type: Some(fleet_type.clone()),
        valid_from: input.valid_from,
        valid_until: input.valid_until,
        replace_unhealthy_instances: Some(input.replace_unhealthy_instances.unwrap_or(false)),
        spot_options: Some(SpotOptions {
            allocation_strategy: Some(echo_strategy(&spot_given)),
            maintenance_strategies: spot_in
                .maintenance_strategies
                .as_ref()
                .map(|m| serde_json::from_value(serde_json::to_value(m).unwrap_or_default()).unwrap_or_default()),
            instance_interruption_behavior: Some(interruption),
            instance_pools_to_use_count: (spot_strategy == "lowest-price").then_some(pools_to_use),
            single_instance_type: spot_in.single_instance_type,
            single_availability_zone: spot_in.single_availability_zone,
            min_target_capacity: spot_in.min_target_capacity,
            max_total_price: spot_in.max_total_price.clone(),
        }),
        on_demand_options: Some(OnDemandOptions {
            allocation_strategy: Some(echo_strategy(&od_given)),
            single_instance_type: od_in.single_instance_type,
            single_availability_zone: od_in.single_availability_zone,
            min_target_capacity: od_in.min_target_capacity,
            max_total_price: od_in.max_total_price.clone(),
            capacity_reservation_options: od_in
                .capacity_reservation_options
                .as_ref()
                .map(|c| serde_json::from_value(serde_json::to_value(c).unwrap_or_default()).unwrap_or_default()),
        }),
        context: input.context.clone(),
        ..Default::default()
    };
    let mut rec = FleetRecord {
        api: FleetApi::Ec2Fleet,
        fleet_type: fleet_type.clone(),
        create_time: ctx.now,
        pools,
        targets,
        explicit_on_demand: spec.on_demand_target_capacity,
        explicit_spot: spec.spot_target_capacity,
        default_type,
        spot_strategy: spot_strategy.into(),
        on_demand_strategy: od_strategy.into(),
        pools_to_use: usize::try_from(pools_to_use).unwrap_or(1),
        terminate_excess: excess == "termination",
        valid_until: input.valid_until.as_ref().map(|t| t.0),
        ec2: Some(data),
        ..Default::default()
    };
    record(&mut rec, ctx.now, EventKind::Fleet, "submitted", String::new());
    record(&mut rec, ctx.now, EventKind::Fleet, "active", String::new());
    state.fleets.fleets.insert(id.clone(), rec);
    state.set_tags(&id, fleet_tags);
    let outcome = engine::top_up(state, ctx, shared, &id);
    if !instant {
        return Ok(CreateFleetResult { fleet_id: Some(id), errors: None, instances: None });
    }
    let rec = &state.fleets.fleets[&id];
    let lifecycle = |spot: bool| if spot { "spot" } else { "on-demand" }.to_string();
    let instances = outcome
        .launched
        .iter()
        .map(|(pool, spot, ids)| {
            let first =
                ids.first().and_then(|i| state.instances.get(i)).map(|r| r.instance.clone()).unwrap_or_default();
            CreateFleetInstance {
                launch_template_and_overrides: rec.pools[*pool].template_and_overrides.clone(),
                lifecycle: Some(lifecycle(*spot)),
                instance_ids: Some(ids.clone()),
                instance_type: first.instance_type.clone(),
                platform: first.platform.as_ref().map(|_| "Windows".to_string()),
                ..Default::default()
            }
        })
        .collect();
    let errors = outcome
        .failed
        .iter()
        .map(|f| CreateFleetError {
            launch_template_and_overrides: rec.pools[f.pool].template_and_overrides.clone(),
            lifecycle: Some(lifecycle(f.spot)),
            error_code: Some(f.code.clone()),
            error_message: Some(f.message.clone()),
        })
        .collect();
    Ok(CreateFleetResult { fleet_id: Some(id), errors: Some(errors), instances: Some(instances) })
}

pub fn modify_fleet(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: ModifyFleetRequest,
) -> Result<ModifyFleetResult, ApiError> {
    check_id(state, &input.fleet_id)?;
    let rec = &state.fleets.fleets[&input.fleet_id];
    if rec.fleet_type != "maintain" {
        return Err(ApiError::client(
            "Unsupported",
            format!(
                "Fleet {} is {} fleet. Modify fleet is not supported by this type of fleet.", // after DescribeFleetInstances' answer
                input.fleet_id, rec.fleet_type
            ),
        ));
    }
    if phase(state, rec, ctx.now) != Phase::Active {
        return Err(errors::incorrect_state(format!(
            "The fleet '{}' is in the {} state and cannot be modified.", // guessed wording
            input.fleet_id,
            state_name(phase(state, rec, ctx.now))
        )));
    }
    if let Some(excess) = input.excess_capacity_termination_policy.as_deref() {
        one_of("ExcessCapacityTerminationPolicy", excess, enums::FLEET_EXCESS_CAPACITY_TERMINATION_POLICY)?;
    }
    let targets = match input.target_capacity_specification.as_ref() {
        Some(spec) => {
            if spec.on_demand_target_capacity.is_some()
                || spec.spot_target_capacity.is_some()
                || spec.default_target_capacity_type.is_some()
            {
                // The Terraform provider quotes AWS's answer.
                return Err(errors::invalid_target_capacity_specification(
                    "Currently we only support total target capacity modification.",
                ));
            }
            Some(common::retarget(rec, spec.total_target_capacity)?)
        }
        None => None,
    };
    let pools = match input.launch_template_configs.as_deref() {
        Some(configs) if !configs.is_empty() => {
            Some((pools::template_pools(state, &template_configs(configs))?, configs_echo(configs)))
        }
        _ => None,
    };
    let id = input.fleet_id.clone();
    let rec = state.fleets.fleets.get_mut(&id).expect("checked above");
    record(rec, ctx.now, EventKind::Fleet, "modify_in_progress", String::new());
    let data = rec.ec2.get_or_insert_with(Default::default);
    if let Some(excess) = input.excess_capacity_termination_policy.clone() {
        rec.terminate_excess = excess == "termination";
        data.excess_capacity_termination_policy = Some(excess);
    }
    if let Some(context) = input.context.clone() {
        data.context = Some(context);
    }
    if let Some(t) = targets {
        rec.targets = t;
        if let Some(spec) = data.target_capacity_specification.as_mut() {
            spec.total_target_capacity = Some(t.total);
            spec.on_demand_target_capacity = Some(t.on_demand);
            spec.spot_target_capacity = Some(t.spot);
        }
    }
    if let Some((new_pools, echo)) = pools {
        // Instances keep counting; they are tied to pools by index only for answers.
        rec.pools = new_pools;
        rec.members.iter_mut().for_each(|m| m.pool = m.pool.min(rec.pools.len().saturating_sub(1)));
        data.launch_template_configs = Some(echo);
    }
    engine::scale_down(state, ctx.now, &id);
    engine::top_up(state, ctx, shared, &id);
    let rec = state.fleets.fleets.get_mut(&id).expect("checked above");
    record(rec, ctx.now, EventKind::Fleet, "modify_succeeded", String::new());
    Ok(ModifyFleetResult { r#return: Some(true) })
}

/// AWS's limits on one DeleteFleets request.
const MAX_INSTANT_PER_DELETE: usize = 25;
const MAX_OTHERS_PER_DELETE: usize = 100;

pub fn delete_fleets(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteFleetsRequest,
) -> Result<DeleteFleetsResult, ApiError> {
    if input.fleet_ids.is_empty() {
        return Err(errors::missing_parameter("FleetId"));
    }
    let kind = |id: &String| state.fleets.fleets.get(id).map(|r| r.fleet_type == "instant");
    let instant = input.fleet_ids.iter().filter(|id| kind(id) == Some(true)).count();
    let others = input.fleet_ids.len() - instant;
    if instant > MAX_INSTANT_PER_DELETE || others > MAX_OTHERS_PER_DELETE {
        return Err(errors::invalid_parameter_value(format!(
            "You can delete up to {MAX_INSTANT_PER_DELETE} instant fleets and up to {MAX_OTHERS_PER_DELETE} fleets of type maintain or request in a single request." // after AWS's documented limits
        )));
    }
    let (mut done, mut failed) = (Vec::new(), Vec::new());
    let fail = |id: &str, code: &str, message: String| DeleteFleetErrorItem {
        fleet_id: Some(id.to_string()),
        error: Some(DeleteFleetError { code: Some(code.into()), message: Some(message) }),
    };
    for id in &input.fleet_ids {
        if let Err(e) = check_id(state, id) {
            let code = if e.code.ends_with("Malformed") { "fleetIdMalformed" } else { "fleetIdDoesNotExist" };
            failed.push(fail(id, code, e.message));
            continue;
        }
        let rec = &state.fleets.fleets[id];
        let before = phase(state, rec, ctx.now);
        if before != Phase::Active {
            failed.push(fail(id, "fleetNotInDeletableState", format!("The fleet '{id}' is already deleted."))); // guessed wording
            continue;
        }
        if rec.fleet_type == "instant" && !input.terminate_instances {
            failed.push(fail(
                id,
                "fleetNotInDeletableState",
                "Instant fleets can only be deleted with TerminateInstances set to true.".into(), // guessed wording
            ));
            continue;
        }
        engine::prune(state, id, ctx.now);
        let rec = state.fleets.fleets.get_mut(id).expect("checked above");
        rec.deleted = Some((ctx.now, input.terminate_instances));
        let members: Vec<String> = rec.members.iter().map(|m| m.instance_id.clone()).collect();
        let now_state = if input.terminate_instances { "deleted_terminating" } else { "deleted_running" };
        record(rec, ctx.now, EventKind::Fleet, now_state, String::new());
        if input.terminate_instances {
            engine::terminate(state, ctx.now, &members);
        }
        done.push(DeleteFleetSuccessItem {
            fleet_id: Some(id.clone()),
            previous_fleet_state: Some(state_name(before).into()),
            current_fleet_state: Some(now_state.into()),
        });
    }
    Ok(DeleteFleetsResult { successful_fleet_deletions: Some(done), unsuccessful_fleet_deletions: Some(failed) })
}
