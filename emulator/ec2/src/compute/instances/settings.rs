//! Settings of a launched instance that Terraform's `aws_instance` changes in place: its
//! maintenance options (auto recovery, reboot migration), its private DNS name options,
//! which capacity reservation it runs in, its CPU options, and ResetInstanceAttribute.
//! Several of them need the instance stopped, as on AWS.

use nimbus_core::{ApiError, RequestContext};

use crate::catalogue;
use crate::compute::attributes::require_stopped;
use crate::compute::capacity_reservations;
use crate::generated::dto::{
    CapacityReservationSpecificationResponse, CapacityReservationTargetResponse,
    ModifyInstanceCapacityReservationAttributesRequest, ModifyInstanceCapacityReservationAttributesResult,
    ModifyInstanceCpuOptionsRequest, ModifyInstanceCpuOptionsResult, ModifyInstanceMaintenanceOptionsRequest,
    ModifyInstanceMaintenanceOptionsResult, ModifyPrivateDnsNameOptionsRequest, ModifyPrivateDnsNameOptionsResult,
    ResetInstanceAttributeRequest,
};
use crate::generated::{enums, errors};
use crate::state::lifecycle::{shown_state, InstanceStateName};
use crate::state::params::{invalid_value, one_of};
use crate::state::Ec2State;

/// The instance, which must exist and be stopped (`IncorrectInstanceState` otherwise).
fn stopped(state: &Ec2State, ctx: &RequestContext, id: &str) -> Result<(), ApiError> {
    crate::state::lookup::instance(state, id)?;
    require_stopped(state, ctx, id)
}

/// The instance, which must exist and not be terminated.
fn live(state: &Ec2State, ctx: &RequestContext, id: &str) -> Result<(), ApiError> {
    crate::state::lookup::instance(state, id)?;
    let shown = shown_state(state, &state.instances[id], ctx.now).0;
    if matches!(shown, InstanceStateName::Terminated | InstanceStateName::ShuttingDown) {
        return Err(errors::incorrect_instance_state(format!(
            "The instance '{id}' is not in a state from which it can be modified."
        )));
    }
    Ok(())
}

pub fn modify_instance_maintenance_options(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyInstanceMaintenanceOptionsRequest,
) -> Result<ModifyInstanceMaintenanceOptionsResult, ApiError> {
    live(state, ctx, &input.instance_id)?;
    if let Some(v) = &input.auto_recovery {
        one_of("AutoRecovery", v, enums::INSTANCE_AUTO_RECOVERY_STATE)?;
    }
    if let Some(v) = &input.reboot_migration {
        one_of("RebootMigration", v, enums::INSTANCE_REBOOT_MIGRATION_STATE)?;
    }
    if input.auto_recovery.is_none() && input.reboot_migration.is_none() {
        return Err(errors::missing_parameter("AutoRecovery"));
    }
    let rec = state.instances.get_mut(&input.instance_id).expect("checked above");
    let options = rec.instance.maintenance_options.get_or_insert_with(Default::default);
    if input.auto_recovery.is_some() {
        options.auto_recovery = input.auto_recovery;
    }
    if input.reboot_migration.is_some() {
        options.reboot_migration = input.reboot_migration;
    }
    Ok(ModifyInstanceMaintenanceOptionsResult {
        instance_id: Some(input.instance_id),
        auto_recovery: options.auto_recovery.clone(),
        reboot_migration: options.reboot_migration.clone(),
    })
}

pub fn modify_private_dns_name_options(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyPrivateDnsNameOptionsRequest,
) -> Result<ModifyPrivateDnsNameOptionsResult, ApiError> {
    live(state, ctx, &input.instance_id)?;
    if let Some(t) = &input.private_dns_hostname_type {
        one_of("PrivateDnsHostnameType", t, enums::HOSTNAME_TYPE)?;
        // The guest's hostname is set at boot: AWS changes its type only while stopped.
        let current = state.instances[&input.instance_id]
            .instance
            .private_dns_name_options
            .as_ref()
            .and_then(|o| o.hostname_type.clone());
        if current.as_deref() != Some(t.as_str()) {
            stopped(state, ctx, &input.instance_id)?;
        }
    }
    let rec = state.instances.get_mut(&input.instance_id).expect("checked above");
    let options = rec.instance.private_dns_name_options.get_or_insert_with(Default::default);
    if input.private_dns_hostname_type.is_some() {
        options.hostname_type = input.private_dns_hostname_type;
    }
    if input.enable_resource_name_dns_a_record.is_some() {
        options.enable_resource_name_dns_a_record = input.enable_resource_name_dns_a_record;
    }
    if input.enable_resource_name_dns_aaaa_record.is_some() {
        options.enable_resource_name_dns_aaaa_record = input.enable_resource_name_dns_aaaa_record;
    }
    Ok(ModifyPrivateDnsNameOptionsResult { r#return: Some(true) })
}

/// Moves a stopped instance into a reservation (targeted), or lets it match open ones
/// (`open`), or keeps it out of them (`none`). The reservation must be active and match
/// the instance's type, zone and platform, and have room for it.
pub fn modify_instance_capacity_reservation_attributes(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyInstanceCapacityReservationAttributesRequest,
) -> Result<ModifyInstanceCapacityReservationAttributesResult, ApiError> {
    stopped(state, ctx, &input.instance_id)?;
    let spec = input.capacity_reservation_specification;
    let target = spec.capacity_reservation_target.as_ref();
    if spec.capacity_reservation_preference.is_some() && target.is_some() {
        return Err(errors::invalid_parameter_combination(
            "Only one of CapacityReservationPreference and CapacityReservationTarget may be specified.".to_string(),
        ));
    }
    if spec.capacity_reservation_preference.is_none() && target.is_none() {
        return Err(errors::missing_parameter("CapacityReservationSpecification.CapacityReservationPreference"));
    }
    let i = &state.instances[&input.instance_id].instance;
    let instance_type = i.instance_type.clone().unwrap_or_default();
    let zone = i.placement.as_ref().and_then(|p| p.availability_zone.clone()).unwrap_or_default();
    let platform = crate::compute::spot::requests::product_of(i.platform.as_deref());
    let chosen = capacity_reservations::place(state, ctx.now, Some(&spec), &instance_type, &zone, platform, 1)?;
    let reservation = chosen.into_iter().next().flatten();
    let response = match target {
        Some(t) => CapacityReservationSpecificationResponse {
            capacity_reservation_preference: None,
            capacity_reservation_target: Some(CapacityReservationTargetResponse {
                capacity_reservation_id: reservation.clone(),
                capacity_reservation_resource_group_arn: t.capacity_reservation_resource_group_arn.clone(),
            }),
        },
        None => CapacityReservationSpecificationResponse {
            capacity_reservation_preference: spec.capacity_reservation_preference.clone(),
            capacity_reservation_target: None,
        },
    };
    let rec = state.instances.get_mut(&input.instance_id).expect("checked above");
    rec.instance.capacity_reservation_id = reservation;
    rec.instance.capacity_reservation_specification = Some(response);
    Ok(ModifyInstanceCapacityReservationAttributesResult { r#return: Some(true) })
}

/// Cores and threads per core of a stopped instance, within what its type allows.
pub fn modify_instance_cpu_options(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyInstanceCpuOptionsRequest,
) -> Result<ModifyInstanceCpuOptionsResult, ApiError> {
    stopped(state, ctx, &input.instance_id)?;
    if let Some(v) = &input.nested_virtualization {
        one_of("NestedVirtualization", v, enums::NESTED_VIRTUALIZATION_SPECIFICATION)?;
    }
    let instance_type = state.instances[&input.instance_id].instance.instance_type.clone().unwrap_or_default();
    let vcpu = catalogue::instance_type(&instance_type).and_then(|t| t.v_cpu_info.clone()).unwrap_or_default();
    let cores = vcpu.valid_cores.clone().unwrap_or_default();
    let threads = vcpu.valid_threads_per_core.clone().unwrap_or_default();
    if cores.is_empty() && (input.core_count.is_some() || input.threads_per_core.is_some()) {
        return Err(errors::unsupported_operation(format!(
            "The instance type {instance_type} does not support specifying CPU options."
        )));
    }
    let current = state.instances[&input.instance_id].instance.cpu_options.clone().unwrap_or_default();
    let core_count = input.core_count.or(current.core_count).or(vcpu.default_cores);
    let threads_per_core = input.threads_per_core.or(current.threads_per_core).or(vcpu.default_threads_per_core);
    if let Some(c) = input.core_count {
        if !cores.contains(&c) {
            return Err(invalid_value("CoreCount", c, &format!("Valid values for {instance_type}: {}", join(&cores))));
        }
    }
    if let Some(t) = input.threads_per_core {
        if !threads.contains(&t) {
            return Err(invalid_value(
                "ThreadsPerCore",
                t,
                &format!("Valid values for {instance_type}: {}", join(&threads)),
            ));
        }
    }
    let rec = state.instances.get_mut(&input.instance_id).expect("checked above");
    let options = rec.instance.cpu_options.get_or_insert_with(Default::default);
    options.core_count = core_count;
    options.threads_per_core = threads_per_core;
    if input.nested_virtualization.is_some() {
        options.nested_virtualization = input.nested_virtualization.clone();
    }
    Ok(ModifyInstanceCpuOptionsResult {
        instance_id: Some(input.instance_id),
        core_count,
        threads_per_core,
        nested_virtualization: options.nested_virtualization.clone(),
    })
}

fn join(values: &[i32]) -> String {
    values.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
}

/// The attributes AWS resets: `kernel` and `ramdisk` (the instance stopped; back to the
/// image's, and nimbus's images are HVM, with none) and `sourceDestCheck` (back to on, in
/// any state).
pub fn reset_instance_attribute(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ResetInstanceAttributeRequest,
) -> Result<(), ApiError> {
    one_of("attribute", &input.attribute, enums::INSTANCE_ATTRIBUTE_NAME)?;
    live(state, ctx, &input.instance_id)?;
    match input.attribute.as_str() {
        "sourceDestCheck" => {
            let rec = state.instances.get_mut(&input.instance_id).expect("checked above");
            rec.instance.source_dest_check = Some(true);
            let eni = rec.primary_interface.clone();
            if let Some(e) = state.network_interfaces.get_mut(&eni) {
                e.source_dest_check = Some(true);
            }
        }
        "kernel" | "ramdisk" => {
            stopped(state, ctx, &input.instance_id)?;
            let rec = state.instances.get_mut(&input.instance_id).expect("checked above");
            if input.attribute == "kernel" {
                rec.instance.kernel_id = None;
            } else {
                rec.instance.ramdisk_id = None;
            }
        }
        other => {
            return Err(invalid_value(
                "attribute",
                other,
                "You can only reset the following attributes: kernel, ramdisk, sourceDestCheck.",
            ))
        }
    }
    Ok(())
}
