//! Instances: RunInstances (network interface, addresses, volumes, tags, metadata
//! options, ...), a lifecycle on nimbus's clock (`pending` -> `running`, `stopping` ->
//! `stopped`, `shutting-down` -> `terminated`, then gone), DescribeInstances,
//! DescribeInstanceStatus, Start/Stop/Reboot/TerminateInstances.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

use nimbus_core::filter::{self, Filterable};
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::ebs::volumes::{self, NewVolume};
use crate::generated::dto::{
    CapacityReservationSpecificationResponse, CpuOptions, DescribeInstanceStatusRequest, DescribeInstanceStatusResult,
    DescribeInstancesRequest, DescribeInstancesResult, EbsInstanceBlockDevice, EnclaveOptions, GroupIdentifier,
    HibernationOptions, Image, Instance, InstanceBlockDeviceMapping, InstanceMaintenanceOptions,
    InstanceMetadataOptionsResponse, InstanceNetworkInterface, InstanceNetworkInterfaceAssociation,
    InstanceNetworkInterfaceAttachment, InstanceNetworkPerformanceOptions, InstancePrivateIpAddress,
    InstanceStateChange, InstanceStatus, InstanceStatusDetails, InstanceStatusSummary, InstanceTypeInfo, Monitoring,
    NetworkInterfaceAttachment, OperatorResponse, Placement, PrivateDnsNameOptionsResponse, RebootInstancesRequest,
    Reservation, RunInstancesRequest, StartInstancesRequest, StartInstancesResult, StateReason, StopInstancesRequest,
    StopInstancesResult, TerminateInstancesRequest, TerminateInstancesResult,
};
use crate::generated::errors;
use crate::state::lifecycle::{shown_state, InstanceStateName as Name};
use crate::state::lookup::instance as get;
use crate::state::shared::Shared;
use crate::state::support::tag_pairs;
use crate::state::support::{check_filter_names, filtered, paginate, spec_tags};
use crate::state::{Ec2State, InstanceRecord};
use crate::vpc::interfaces::{self, NewInterface};
use crate::{
    catalogue, compute::iam_profiles, compute::launch_templates, images, keys::key_pairs, vpc::addresses, vpc::subnets,
};

/// How long a terminated instance stays visible, as at AWS (about an hour).
pub const DEFAULT_TERMINATED_VISIBLE_SECS: u32 = 3600;

fn terminated_visible(state: &Ec2State) -> Duration {
    Duration::seconds(i64::from(state.terminated_visible_secs.unwrap_or(DEFAULT_TERMINATED_VISIBLE_SECS)))
}
/// AWS's default On-Demand quota, as a number of instances per region.
pub const DEFAULT_INSTANCE_QUOTA: usize = 1000;

/// Whether the clock has moved this instance on (or made it vanish) since it was stored.
fn is_due(state: &Ec2State, rec: &InstanceRecord, now: DateTime<Utc>) -> bool {
    match rec.stored_state {
        Name::Pending | Name::Stopping | Name::ShuttingDown => now >= rec.since + state.transition_delay(),
        Name::Terminated => now > rec.since + terminated_visible(state),
        Name::Running | Name::Stopped => false,
    }
}

/// Whether `settle` has anything to do at `now`.
pub fn needs_settling(state: &Ec2State, now: DateTime<Utc>) -> bool {
    state.instances.values().any(|rec| is_due(state, rec, now))
}

/// Applies what the clock has made happen: an instance that finished stopping loses its
/// public address; one that finished terminating loses its interfaces and volumes; a
/// terminated one is gone an hour later.
pub fn settle(state: &mut Ec2State, now: DateTime<Utc>) {
    let due: Vec<String> =
        state.instances.iter().filter(|(_, rec)| is_due(state, rec, now)).map(|(id, _)| id.clone()).collect();
    for id in due {
        let (shown, since) = shown_state(state, &state.instances[&id], now);
        if shown != state.instances[&id].stored_state {
            match shown {
                Name::Stopped => release_public_ip(state, &id),
                Name::Terminated => release_everything(state, &id),
                _ => {}
            }
            let rec = state.instances.get_mut(&id).expect("listed above");
            rec.stored_state = shown;
            rec.since = since;
        }
        if shown == Name::Terminated && now > since + terminated_visible(state) {
            state.instances.remove(&id);
            state.forget(&id);
        }
    }
}

fn release_public_ip(state: &mut Ec2State, id: &str) {
    let eni = state.instances[id].primary_interface.clone();
    state.auto_public_ips.remove(&eni);
}

/// The interfaces attached to an instance: (interface id, device index, delete on termination).
fn attached_interfaces(state: &Ec2State, instance_id: &str) -> Vec<(String, i32, bool)> {
    let mut out: Vec<_> = state
        .network_interfaces
        .iter()
        .filter_map(|(id, e)| {
            let a = e.attachment.as_ref()?;
            (a.instance_id.as_deref() == Some(instance_id))
                .then(|| (id.clone(), a.device_index.unwrap_or(0), a.delete_on_termination.unwrap_or(false)))
        })
        .collect();
    out.sort_by_key(|(_, index, _)| *index);
    out
}

fn release_everything(state: &mut Ec2State, id: &str) {
    release_public_ip(state, id);
    for (eni, _, delete) in attached_interfaces(state, id) {
        if delete {
            let subnet = state.network_interfaces[&eni].subnet_id.clone().unwrap_or_default();
            for ip in interfaces::private_ips(&state.network_interfaces[&eni]) {
                subnets::release_ip(state, &subnet, &ip);
            }
            interfaces::remove_interface_record(state, &eni);
            state.network_interfaces.remove(&eni);
            state.forget(&eni);
        } else if let Some(e) = state.network_interfaces.get_mut(&eni) {
            e.attachment = None;
            e.status = Some("available".into());
        }
    }
    volumes::on_instance_terminated(state, id);
    iam_profiles::on_instance_terminated(state, id);
}

/// Every id must exist (AWS names all the missing ones), before anything changes.
fn check_all(state: &Ec2State, ids: &[String]) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Err(errors::missing_parameter("InstanceId"));
    }
    let mut missing = Vec::new();
    for id in ids {
        match get(state, id) {
            Ok(_) => {}
            Err(e) if e.code == "InvalidInstanceID.Malformed" => return Err(e),
            Err(_) => missing.push(id.as_str()),
        }
    }
    match missing.as_slice() {
        [] => Ok(()),
        [one] => Err(errors::invalid_instance_id_not_found(one)),
        many => Err(ApiError::client(
            "InvalidInstanceID.NotFound",
            format!("The instance IDs '{}' do not exist", many.join(", ")),
        )),
    }
}

// ----------------------------------------------------------------------------- launch

/// m1.small, AWS's default instance type, is previous-generation and not in the
/// catalogue: it gets the shape AWS documents for it.
fn type_info(name: &str) -> Option<InstanceTypeInfo> {
    catalogue::instance_type(name).cloned()
}

fn architecture_matches(info: &InstanceTypeInfo, image: &Image) -> bool {
    let arch = image.architecture.as_deref().unwrap_or("x86_64");
    info.processor_info
        .as_ref()
        .and_then(|p| p.supported_architectures.as_ref())
        .is_none_or(|a| a.iter().any(|x| x == arch))
}

/// The subnet an instance goes in: the one named, or the default subnet of the default
/// VPC in the requested zone (or in the first zone that offers the type).
fn choose_subnet(
    state: &Ec2State,
    ctx: &RequestContext,
    input: &RunInstancesRequest,
    instance_type: &str,
) -> Result<String, ApiError> {
    let named = input.subnet_id.clone().or_else(|| {
        input
            .network_interfaces
            .iter()
            .flatten()
            .find(|n| n.device_index.unwrap_or(0) == 0)
            .and_then(|n| n.subnet_id.clone())
    });
    if let Some(id) = named {
        subnets::get(state, &id)?;
        return Ok(id);
    }
    if let Some(eni) = input.network_interfaces.iter().flatten().find_map(|n| n.network_interface_id.clone()) {
        let e = interfaces::get(state, &eni)?;
        return Ok(e.subnet_id.clone().unwrap_or_default());
    }
    let Some(vpc) = state.vpcs.values().find(|v| v.vpc.is_default == Some(true)) else {
        return Err(errors::vpc_id_not_specified());
    };
    let vpc_id = vpc.vpc.vpc_id.clone().unwrap_or_default();
    let mut defaults: Vec<(&String, &crate::state::SubnetRecord)> = state
        .subnets
        .iter()
        .filter(|(_, s)| s.subnet.vpc_id.as_deref() == Some(&vpc_id) && s.subnet.default_for_az == Some(true))
        .collect();
    defaults.sort_by(|a, b| a.1.subnet.availability_zone.cmp(&b.1.subnet.availability_zone));
    if defaults.is_empty() {
        return Err(errors::missing_input(format!(
            "No subnets found for the default VPC '{vpc_id}'. Please specify a subnet."
        )));
    }
    // The provider sends `Placement.AvailabilityZone=""` when none is configured: AWS reads that as none.
    let wanted_zone = input.placement.as_ref().and_then(|p| p.availability_zone.clone()).filter(|z| !z.is_empty());
    if let Some(zone) = wanted_zone {
        return defaults
            .iter()
            .find(|(_, s)| s.subnet.availability_zone.as_deref() == Some(&zone))
            .map(|(id, _)| (*id).clone())
            .ok_or_else(|| errors::invalid_parameter_value(format!("Invalid availability zone: [{zone}]")));
    }
    let offered = catalogue::zones_offering(&ctx.region, instance_type);
    Ok(defaults
        .iter()
        .find(|(_, s)| s.subnet.availability_zone.as_ref().is_some_and(|z| offered.contains(z)))
        .or(defaults.first())
        .map(|(id, _)| (*id).clone())
        .unwrap_or_default())
}

/// The security groups of the primary interface, checked to be in the subnet's VPC.
fn choose_groups(
    state: &Ec2State,
    input: &RunInstancesRequest,
    vpc_id: &str,
) -> Result<Vec<GroupIdentifier>, ApiError> {
    let mut ids: Vec<String> = input.security_group_ids.clone().unwrap_or_default();
    if let Some(n) = input.network_interfaces.iter().flatten().find(|n| n.device_index.unwrap_or(0) == 0) {
        ids.extend(n.groups.clone().unwrap_or_default());
    }
    for name in input.security_groups.iter().flatten() {
        let g = state
            .security_groups
            .values()
            .find(|g| g.vpc_id == vpc_id && g.group_name == *name)
            .ok_or_else(|| errors::invalid_group_not_found(name))?;
        ids.push(g.group_id.clone());
    }
    if ids.is_empty() {
        let default = state.vpcs.get(vpc_id).map(|v| v.default_security_group_id.clone()).unwrap_or_default();
        ids.push(default);
    }
    ids.dedup();
    let mut out = Vec::new();
    for id in ids {
        let g = state.security_groups.get(&id).ok_or_else(|| errors::invalid_group_not_found(&id))?;
        if g.vpc_id != vpc_id {
            return Err(errors::invalid_parameter(format!(
                "Security group {id} and subnet belong to different networks."
            )));
        }
        out.push(GroupIdentifier { group_id: Some(id), group_name: Some(g.group_name.clone()) });
    }
    Ok(out)
}

/// The volumes to create: the image's mappings, changed or removed by the request's.
fn block_devices(image: &Image, input: &RunInstancesRequest) -> Result<Vec<(String, NewVolume, bool)>, ApiError> {
    let mut out: Vec<(String, NewVolume, bool)> = Vec::new();
    for m in image.block_device_mappings.iter().flatten() {
        let (Some(device), Some(ebs)) = (&m.device_name, &m.ebs) else { continue };
        let size = ebs.volume_size.unwrap_or(8);
        let vt = ebs.volume_type.clone().unwrap_or_else(|| "gp2".into());
        out.push((
            device.clone(),
            NewVolume {
                size_gib: size,
                volume_type: vt,
                iops: ebs.iops,
                throughput: ebs.throughput,
                encrypted: ebs.encrypted.unwrap_or(false),
                kms_key_id: ebs.kms_key_id.clone(),
                snapshot_id: ebs.snapshot_id.clone(),
                ..Default::default()
            },
            ebs.delete_on_termination.unwrap_or(true),
        ));
    }
    for m in input.block_device_mappings.iter().flatten() {
        let Some(device) = m.device_name.clone() else {
            return Err(errors::missing_parameter("BlockDeviceMapping.DeviceName"));
        };
        if m.no_device.is_some() {
            out.retain(|(d, _, _)| *d != device);
            continue;
        }
        let Some(ebs) = &m.ebs else { continue };
        let existing = out.iter().position(|(d, _, _)| *d == device);
        let base = existing.map(|i| out[i].1.clone()).unwrap_or_default();
        let size = ebs.volume_size.unwrap_or(if existing.is_some() { base.size_gib } else { 8 });
        if existing.is_some() && size < base.size_gib {
            return Err(errors::invalid_parameter_value(format!(
                "Volume of size {size}GB is smaller than snapshot '{}', expect size >= {}GB",
                base.snapshot_id.clone().unwrap_or_default(),
                base.size_gib
            )));
        }
        let volume_type =
            ebs.volume_type.clone().unwrap_or(if existing.is_some() { base.volume_type.clone() } else { "gp2".into() });
        if !["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"].contains(&volume_type.as_str()) {
            return Err(errors::invalid_parameter_value(format!("Invalid value '{volume_type}' for volumeType.")));
        }
        let new = NewVolume {
            size_gib: size,
            iops: ebs.iops.or(if volume_type == base.volume_type { base.iops } else { None }),
            throughput: ebs.throughput.or(if volume_type == base.volume_type { base.throughput } else { None }),
            volume_type,
            encrypted: ebs.encrypted.unwrap_or(base.encrypted),
            kms_key_id: ebs.kms_key_id.clone().or(base.kms_key_id),
            snapshot_id: ebs.snapshot_id.clone().or(base.snapshot_id),
            ..Default::default()
        };
        let delete = ebs.delete_on_termination.unwrap_or(true);
        match existing {
            Some(i) => out[i] = (device, new, delete),
            None => out.push((device, new, delete)),
        }
    }
    Ok(out)
}

fn burstable_default(instance_type: &str) -> Option<String> {
    let family = instance_type.split('.').next().unwrap_or("");
    match family {
        "t2" => Some("standard".into()),
        f if f.starts_with('t') => Some("unlimited".into()),
        _ => None,
    }
}

pub fn run_instances(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    mut input: RunInstancesRequest,
) -> Result<Reservation, ApiError> {
    // AWS marks an instance launched from a template with the template and version.
    let mut template_tags = Vec::new();
    if let Some(spec) = input.launch_template.clone() {
        let (id, version, data) = launch_templates::resolve(state, &spec)?;
        launch_templates::merge_into_run_request(&data, &mut input)?;
        template_tags.push(("aws:ec2launchtemplate:id".to_string(), id));
        template_tags.push(("aws:ec2launchtemplate:version".to_string(), version.to_string()));
    }
    if input.min_count < 1 {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({}) for parameter minCount is invalid. Expected a positive integer.",
            input.min_count
        )));
    }
    if input.max_count < input.min_count {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({}) for parameter maxCount is invalid. Expected a value greater than or equal to minCount ({}).",
            input.max_count, input.min_count
        )));
    }
    let Some(image_id) = input.image_id.clone() else {
        return Err(errors::missing_parameter("ImageId"));
    };
    let image = images::for_launch(state, ctx, shared, &image_id)?;
    let instance_type = input.instance_type.clone().unwrap_or_else(|| "m1.small".into());
    let info = type_info(&instance_type)
        .ok_or_else(|| errors::invalid_parameter_value(format!("Invalid value '{instance_type}' for InstanceType.")))?;
    if !architecture_matches(&info, &image) {
        let type_arch =
            info.processor_info.as_ref().and_then(|p| p.supported_architectures.clone()).unwrap_or_default().join(", ");
        return Err(errors::invalid_parameter_value(format!(
            "The architecture '{type_arch}' of the specified instance type does not match the architecture '{}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again.",
            image.architecture.as_deref().unwrap_or("x86_64")
        )));
    }
    if let Some(key) = input.key_name.as_deref() {
        if !key_pairs::exists(state, key) {
            return Err(errors::invalid_key_pair_not_found(key));
        }
    }
    let shutdown = input.instance_initiated_shutdown_behavior.clone().unwrap_or_else(|| "stop".into());
    if shutdown != "stop" && shutdown != "terminate" {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({shutdown}) for parameter instanceInitiatedShutdownBehavior is invalid."
        )));
    }
    let profile = input.iam_instance_profile.as_ref().map(|p| iam_profiles::resolve(ctx, p)).transpose()?;
    let subnet_id = choose_subnet(state, ctx, &input, &instance_type)?;
    let subnet = state.subnets[&subnet_id].subnet.clone();
    let zone = subnet.availability_zone.clone().unwrap_or_default();
    let offered = catalogue::zones_offering(&ctx.region, &instance_type);
    if !offered.contains(&zone) {
        return Err(errors::unsupported(&instance_type, &zone, offered.join(", ")));
    }
    let vpc_id = subnet.vpc_id.clone().unwrap_or_default();
    let groups = choose_groups(state, &input, &vpc_id)?;
    let devices = block_devices(&image, &input)?;
    let instance_tags = spec_tags_for(&input, "instance")?;
    let volume_tags = spec_tags_for(&input, "volume")?;
    let interface_tags = spec_tags_for(&input, "network-interface")?;
    let primary_spec = input.network_interfaces.iter().flatten().find(|n| n.device_index.unwrap_or(0) == 0);
    let wanted_ip =
        input.private_ip_address.clone().or_else(|| primary_spec.and_then(|n| n.private_ip_address.clone()));
    let secondary = primary_spec.and_then(|n| n.secondary_private_ip_address_count).unwrap_or(0).max(0) as usize;
    let auto_public_ip = primary_spec
        .and_then(|n| n.associate_public_ip_address)
        .unwrap_or(subnet.map_public_ip_on_launch.unwrap_or(false));
    if wanted_ip.is_some() && input.min_count > 1 {
        return Err(errors::invalid_parameter_combination(
            "Cannot specify a private IP address when launching more than one instance.",
        ));
    }
    // As many instances as the quota and the subnet's free addresses allow, from min to max.
    let live = state.instances.values().filter(|r| r.stored_state != Name::Terminated).count();
    let quota = if state.instance_quota == 0 { DEFAULT_INSTANCE_QUOTA } else { state.instance_quota };
    let quota_left = quota.saturating_sub(live);
    if (input.min_count as usize) > quota_left {
        return Err(errors::instance_limit_exceeded(quota, live + input.min_count as usize));
    }
    let free = subnets::describe_one(state, &subnet_id).available_ip_address_count.unwrap_or(0).max(0) as usize;
    let per_instance = 1 + secondary;
    let fits = free / per_instance;
    if fits < input.min_count as usize {
        return Err(ApiError::client(
            "InsufficientFreeAddressesInSubnet",
            format!("There are not enough free addresses in subnet '{subnet_id}' to satisfy the requested number of instances."),
        ));
    }
    let count = (input.max_count as usize).min(quota_left).min(fits);

    let reservation_id = ids::resource_id("r");
    let zone_id = subnet.availability_zone_id.clone().unwrap_or_default();
    let mut launched = Vec::with_capacity(count);
    for index in 0..count {
        let instance_id = ids::resource_id("i");
        // The primary interface with its addresses.
        let wanted: Vec<String> = wanted_ip.iter().cloned().collect();
        let extra = secondary + usize::from(wanted.is_empty());
        let ips = subnets::allocate_ips(state, &subnet_id, &wanted, extra)?;
        let eni = interfaces::create_interface_record(
            state,
            ctx,
            NewInterface {
                subnet_id: subnet_id.clone(),
                ips: ips.clone(),
                groups: groups.clone(),
                description: primary_spec.and_then(|n| n.description.clone()).unwrap_or_default(),
                interface_type: "interface".into(),
                requester_managed: false,
            },
        );
        if let Some(e) = state.network_interfaces.get_mut(&eni) {
            e.attachment = Some(NetworkInterfaceAttachment {
                attach_time: Some(Timestamp(ctx.now)),
                attachment_id: Some(ids::resource_id("eni-attach")),
                delete_on_termination: Some(primary_spec.and_then(|n| n.delete_on_termination).unwrap_or(true)),
                device_index: Some(0),
                network_card_index: Some(0),
                instance_id: Some(instance_id.clone()),
                instance_owner_id: Some(ctx.account().to_string()),
                status: Some("attached".into()),
                ..Default::default()
            });
            e.status = Some("in-use".into());
        }
        state.set_tags(&eni, interface_tags.clone());
        if auto_public_ip {
            let ip = addresses::next_public_ip(state, ctx);
            state.auto_public_ips.insert(eni.clone(), ip);
        }
        // Volumes, attached.
        for (device, mut new, delete) in devices.clone() {
            new.availability_zone = zone.clone();
            new.availability_zone_id = zone_id.clone();
            let vol = volumes::create_volume_record(state, ctx, new);
            volumes::attach_record(state, &vol, &instance_id, &device, delete, ctx.now);
            state.set_tags(&vol, volume_tags.clone());
        }
        let imds_v2 = image.imds_support.as_deref() == Some("v2.0");
        let meta = input.metadata_options.clone().unwrap_or_default();
        let instance = Instance {
            architecture: image.architecture.clone(),
            client_token: input.client_token.clone().or(Some(String::new())),
            ebs_optimized: Some(input.ebs_optimized.unwrap_or(false)),
            ena_support: Some(image.ena_support.unwrap_or(true)),
            hypervisor: Some("xen".into()),
            root_device_name: image.root_device_name.clone(),
            root_device_type: image.root_device_type.clone(),
            source_dest_check: Some(true),
            virtualization_type: image.virtualization_type.clone(),
            cpu_options: Some(CpuOptions {
                core_count: info.v_cpu_info.as_ref().and_then(|v| v.default_cores),
                threads_per_core: info.v_cpu_info.as_ref().and_then(|v| v.default_threads_per_core),
                ..Default::default()
            }),
            capacity_reservation_specification: Some(CapacityReservationSpecificationResponse {
                capacity_reservation_preference: Some("open".into()),
                capacity_reservation_target: None,
            }),
            hibernation_options: Some(HibernationOptions { configured: Some(false) }),
            metadata_options: Some(InstanceMetadataOptionsResponse {
                state: Some("pending".into()),
                http_tokens: meta.http_tokens.or(Some(if imds_v2 { "required" } else { "optional" }.into())),
                http_put_response_hop_limit: meta.http_put_response_hop_limit.or(Some(if imds_v2 { 2 } else { 1 })),
                http_endpoint: meta.http_endpoint.or(Some("enabled".into())),
                http_protocol_ipv6: meta.http_protocol_ipv6.or(Some("disabled".into())),
                instance_metadata_tags: meta.instance_metadata_tags.or(Some("disabled".into())),
            }),
            enclave_options: Some(EnclaveOptions { enabled: Some(false) }),
            boot_mode: image.boot_mode.clone(),
            platform_details: image.platform_details.clone(),
            usage_operation: image.usage_operation.clone(),
            usage_operation_update_time: Some(Timestamp(ctx.now)),
            private_dns_name_options: Some(PrivateDnsNameOptionsResponse {
                hostname_type: Some("ip-name".into()),
                enable_resource_name_dns_a_record: Some(false),
                enable_resource_name_dns_aaaa_record: Some(false),
            }),
            maintenance_options: Some(InstanceMaintenanceOptions {
                auto_recovery: Some("default".into()),
                reboot_migration: Some("default".into()),
            }),
            current_instance_boot_mode: Some(
                if image.boot_mode.as_deref() == Some("uefi") { "uefi" } else { "legacy-bios" }.into(),
            ),
            network_performance_options: Some(InstanceNetworkPerformanceOptions {
                bandwidth_weighting: Some("default".into()),
            }),
            operator: Some(OperatorResponse { managed: Some(false), ..Default::default() }),
            instance_id: Some(instance_id.clone()),
            image_id: Some(image_id.clone()),
            private_dns_name: Some(interfaces::private_dns_name(&ctx.region, &ips[0])),
            state_transition_reason: Some(String::new()),
            key_name: input.key_name.clone(),
            ami_launch_index: Some(index as i32),
            product_codes: Some(Vec::new()),
            instance_type: Some(instance_type.clone()),
            launch_time: Some(Timestamp(ctx.now)),
            placement: Some(Placement {
                availability_zone: Some(zone.clone()),
                availability_zone_id: Some(zone_id.clone()),
                group_name: Some(input.placement.as_ref().and_then(|p| p.group_name.clone()).unwrap_or_default()),
                tenancy: Some(
                    input.placement.as_ref().and_then(|p| p.tenancy.clone()).unwrap_or_else(|| "default".into()),
                ),
                ..Default::default()
            }),
            platform: image.platform.clone(),
            monitoring: Some(Monitoring {
                state: Some(
                    if input.monitoring.as_ref().is_some_and(|m| m.enabled) { "pending" } else { "disabled" }.into(),
                ),
                metric_category_ids: None,
            }),
            subnet_id: Some(subnet_id.clone()),
            vpc_id: Some(vpc_id.clone()),
            private_ip_address: Some(ips[0].clone()),
            ..Default::default()
        };
        let record = InstanceRecord {
            instance,
            reservation_id: reservation_id.clone(),
            stored_state: Name::Pending,
            since: ctx.now,
            user_data: input.user_data.clone(),
            disable_api_termination: input.disable_api_termination.unwrap_or(false),
            disable_api_stop: input.disable_api_stop.unwrap_or(false),
            shutdown_behavior: shutdown.clone(),
            cpu_credits: input
                .credit_specification
                .as_ref()
                .map(|c| c.cpu_credits.clone())
                .or_else(|| burstable_default(&instance_type)),
            primary_interface: eni,
            auto_public_ip,
        };
        state.instances.insert(instance_id.clone(), record);
        state.set_tags(&instance_id, instance_tags.clone());
        state.set_tags(&instance_id, template_tags.clone());
        if let Some(profile) = profile.clone() {
            iam_profiles::associate_record(state, ctx, &instance_id, profile);
        }
        launched.push(instance_id);
    }
    images::launched(state, &image_id, ctx.now);
    // RunInstances answers with the instances still `pending`, as AWS's does.
    let instances = describe_many(state, ctx, &launched)
        .into_iter()
        .map(|mut i| {
            i.state = Some(Name::Pending.dto());
            if let Some(m) = i.monitoring.as_mut().filter(|m| m.state.as_deref() == Some("enabled")) {
                m.state = Some("pending".into());
            }
            if let Some(m) = i.metadata_options.as_mut() {
                m.state = Some("pending".into());
            }
            i
        })
        .collect();
    Ok(Reservation {
        reservation_id: Some(reservation_id),
        owner_id: Some(ctx.account().to_string()),
        requester_id: None,
        groups: Some(Vec::new()),
        instances: Some(instances),
    })
}

/// Tags of one resource type from the request's TagSpecifications (several types may
/// be given at once to RunInstances).
fn spec_tags_for(input: &RunInstancesRequest, resource_type: &str) -> Result<Vec<(String, String)>, ApiError> {
    const ALLOWED: &[&str] = &["instance", "volume", "network-interface", "spot-instances-request", "elastic-gpu"];
    let specs = input.tag_specifications.clone().unwrap_or_default();
    for s in &specs {
        let rt = s.resource_type.as_deref().unwrap_or("");
        if !ALLOWED.contains(&rt) {
            return Err(errors::invalid_parameter_value(format!(
                "'{rt}' is not a valid taggable resource type for this operation."
            )));
        }
    }
    let mine: Vec<_> = specs.into_iter().filter(|s| s.resource_type.as_deref() == Some(resource_type)).collect();
    spec_tags(Some(&mine), resource_type)
}

// ----------------------------------------------------------------------------- describe

/// What is attached to each instance (interfaces and volumes), gathered in one pass, so
/// that describing many instances does not scan every interface and volume per instance.
#[derive(Default)]
struct Attachments {
    interfaces: HashMap<String, Vec<(String, i32, bool)>>,
    volumes: HashMap<String, Vec<VolumeAttachmentRow>>,
}

/// (device, volume id, attach time, delete on termination), as `volumes::attached_to`.
type VolumeAttachmentRow = (String, String, Option<Timestamp>, bool);

impl Attachments {
    fn gather(state: &Ec2State, wanted: &[String]) -> Self {
        let wanted: std::collections::HashSet<&str> = wanted.iter().map(String::as_str).collect();
        let mut all = Attachments::default();
        for (id, e) in &state.network_interfaces {
            if let Some(a) = e.attachment.as_ref() {
                if let Some(instance) = a.instance_id.as_ref().filter(|i| wanted.contains(i.as_str())) {
                    all.interfaces.entry(instance.clone()).or_default().push((
                        id.clone(),
                        a.device_index.unwrap_or(0),
                        a.delete_on_termination.unwrap_or(false),
                    ));
                }
            }
        }
        for list in all.interfaces.values_mut() {
            list.sort_by_key(|(_, index, _)| *index);
        }
        for v in state.volumes.values() {
            for a in v.attachments.iter().flatten() {
                if let Some(instance) = a.instance_id.as_ref().filter(|i| wanted.contains(i.as_str())) {
                    all.volumes.entry(instance.clone()).or_default().push((
                        a.device.clone().unwrap_or_default(),
                        a.volume_id.clone().unwrap_or_default(),
                        a.attach_time,
                        a.delete_on_termination.unwrap_or(false),
                    ));
                }
            }
        }
        for list in all.volumes.values_mut() {
            list.sort();
        }
        all
    }
}

/// Instances as DescribeInstances shows them at `ctx.now`, in the order given.
pub fn describe_many(state: &Ec2State, ctx: &RequestContext, ids: &[String]) -> Vec<Instance> {
    if ids.len() <= 2 {
        return ids.iter().map(|id| describe_one(state, ctx, id)).collect();
    }
    let all = Attachments::gather(state, ids);
    ids.iter()
        .map(|id| {
            let interfaces = all.interfaces.get(id).cloned().unwrap_or_default();
            let volumes = all.volumes.get(id).cloned().unwrap_or_default();
            describe_with(state, ctx, id, interfaces, volumes)
        })
        .collect()
}

/// An instance as DescribeInstances shows it at `ctx.now`.
pub fn describe_one(state: &Ec2State, ctx: &RequestContext, id: &str) -> Instance {
    describe_with(state, ctx, id, attached_interfaces(state, id), volumes::attached_to(state, id))
}

fn describe_with(
    state: &Ec2State,
    ctx: &RequestContext,
    id: &str,
    interfaces: Vec<(String, i32, bool)>,
    volumes: Vec<VolumeAttachmentRow>,
) -> Instance {
    let rec = &state.instances[id];
    let mut i = rec.instance.clone();
    let (shown, since) = shown_state(state, rec, ctx.now);
    i.state = Some(shown.dto());
    let dns_hostnames = i.vpc_id.as_ref().and_then(|v| state.vpcs.get(v)).is_some_and(|v| v.enable_dns_hostnames);
    if matches!(shown.as_str(), "stopping" | "stopped" | "shutting-down" | "terminated") {
        // When the user stopped or terminated it, as AWS writes it.
        let when = if matches!(shown.as_str(), "stopping" | "shutting-down") { since } else { rec.since };
        let when = when.format("%Y-%m-%d %H:%M:%S GMT");
        i.state_transition_reason = Some(format!("User initiated ({when})"));
        i.state_reason = Some(StateReason {
            code: Some("Client.UserInitiatedShutdown".into()),
            message: Some("Client.UserInitiatedShutdown: User initiated shutdown".into()),
        });
    }
    if shown == Name::Running {
        if let Some(m) = i.metadata_options.as_mut() {
            m.state = Some("applied".into());
        }
        if let Some(m) = i.monitoring.as_mut() {
            if m.state.as_deref() == Some("pending") {
                m.state = Some("enabled".into());
            }
        }
    }
    // Network interfaces and addresses, from the interfaces themselves.
    let mut nics = Vec::new();
    let mut groups = Vec::new();
    for (eni_id, index, delete) in interfaces {
        let eni = interfaces::describe_one(state, ctx, &eni_id);
        let auto = state.auto_public_ips.get(&eni_id);
        let association = |private: &str| -> Option<InstanceNetworkInterfaceAssociation> {
            let from_eip = eni
                .private_ip_addresses
                .iter()
                .flatten()
                .find(|p| p.private_ip_address.as_deref() == Some(private))
                .and_then(|p| p.association.clone())
                .map(|a| InstanceNetworkInterfaceAssociation {
                    ip_owner_id: a.ip_owner_id,
                    public_dns_name: Some(a.public_dns_name.unwrap_or_default()),
                    public_ip: a.public_ip,
                    ..Default::default()
                });
            from_eip.or_else(|| {
                let primary = eni.private_ip_address.as_deref() == Some(private);
                auto.filter(|_| primary).map(|ip| InstanceNetworkInterfaceAssociation {
                    ip_owner_id: Some("amazon".into()),
                    public_dns_name: Some(if dns_hostnames {
                        interfaces::public_dns_name(&ctx.region, ip)
                    } else {
                        String::new()
                    }),
                    public_ip: Some(ip.clone()),
                    ..Default::default()
                })
            })
        };
        let primary_ip = eni.private_ip_address.clone().unwrap_or_default();
        let att = eni.attachment.clone().unwrap_or_default();
        let nic = InstanceNetworkInterface {
            association: association(&primary_ip),
            attachment: Some(InstanceNetworkInterfaceAttachment {
                attach_time: att.attach_time,
                attachment_id: att.attachment_id.clone(),
                delete_on_termination: Some(delete),
                device_index: Some(index),
                status: Some(if shown == Name::Terminated { "detached" } else { "attached" }.into()),
                network_card_index: Some(att.network_card_index.unwrap_or(0)),
                ..Default::default()
            }),
            description: eni.description.clone(),
            groups: eni.groups.clone(),
            ipv6_addresses: Some(Vec::new()),
            mac_address: eni.mac_address.clone(),
            network_interface_id: Some(eni_id.clone()),
            owner_id: eni.owner_id.clone(),
            private_dns_name: eni.private_dns_name.clone(),
            private_ip_address: Some(primary_ip.clone()),
            private_ip_addresses: Some(
                eni.private_ip_addresses
                    .iter()
                    .flatten()
                    .map(|p| {
                        let ip = p.private_ip_address.clone().unwrap_or_default();
                        InstancePrivateIpAddress {
                            association: association(&ip),
                            primary: p.primary,
                            private_dns_name: p.private_dns_name.clone(),
                            private_ip_address: Some(ip),
                        }
                    })
                    .collect(),
            ),
            source_dest_check: eni.source_dest_check,
            status: Some("in-use".into()),
            subnet_id: eni.subnet_id.clone(),
            vpc_id: eni.vpc_id.clone(),
            interface_type: eni.interface_type.clone(),
            operator: Some(OperatorResponse { managed: Some(false), ..Default::default() }),
            ..Default::default()
        };
        if index == 0 {
            groups = eni.groups.clone().unwrap_or_default();
            let public = nic.association.clone();
            i.public_ip_address = public.as_ref().and_then(|a| a.public_ip.clone());
            i.public_dns_name = Some(public.and_then(|a| a.public_dns_name).unwrap_or_default());
            i.source_dest_check = eni.source_dest_check;
        }
        nics.push(nic);
    }
    if shown == Name::Terminated {
        i.network_interfaces = Some(Vec::new());
        i.security_groups = Some(Vec::new());
        i.private_dns_name = Some(String::new());
        i.private_ip_address = None;
        i.public_dns_name = Some(String::new());
        i.public_ip_address = None;
        i.subnet_id = None;
        i.vpc_id = None;
        i.block_device_mappings = Some(Vec::new());
    } else {
        i.network_interfaces = Some(nics);
        i.security_groups = Some(groups);
        i.block_device_mappings = Some(
            volumes
                .into_iter()
                .map(|(device, volume_id, attach_time, delete)| InstanceBlockDeviceMapping {
                    device_name: Some(device),
                    ebs: Some(EbsInstanceBlockDevice {
                        attach_time,
                        delete_on_termination: Some(delete),
                        status: Some(volumes::attachment_state(state, &volume_id, id)),
                        volume_id: Some(volume_id),
                        ..Default::default()
                    }),
                })
                .collect(),
        );
    }
    i.tags = state.dto_tags_if_any(id);
    i
}

impl Filterable for Instance {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        let b = |v: Option<bool>| v.map(|x| vec![x.to_string()]).unwrap_or_default();
        let nics = self.network_interfaces.iter().flatten();
        let bdm = self.block_device_mappings.iter().flatten();
        let groups = self.security_groups.iter().flatten();
        let meta = self.metadata_options.as_ref();
        let placement = self.placement.as_ref();
        Some(match name {
            "affinity" => placement.and_then(|p| p.affinity.clone()).into_iter().collect(),
            "architecture" => opt(&self.architecture),
            "availability-zone" => placement.and_then(|p| p.availability_zone.clone()).into_iter().collect(),
            "availability-zone-id" => placement.and_then(|p| p.availability_zone_id.clone()).into_iter().collect(),
            "block-device-mapping.attach-time" => {
                bdm.filter_map(|m| m.ebs.as_ref()?.attach_time.map(|t| t.iso8601())).collect()
            }
            "block-device-mapping.delete-on-termination" => {
                bdm.filter_map(|m| m.ebs.as_ref()?.delete_on_termination.map(|d| d.to_string())).collect()
            }
            "block-device-mapping.device-name" => bdm.filter_map(|m| m.device_name.clone()).collect(),
            "block-device-mapping.status" => bdm.filter_map(|m| m.ebs.as_ref()?.status.clone()).collect(),
            "block-device-mapping.volume-id" => bdm.filter_map(|m| m.ebs.as_ref()?.volume_id.clone()).collect(),
            "boot-mode" => opt(&self.boot_mode),
            "client-token" => opt(&self.client_token),
            "current-instance-boot-mode" => opt(&self.current_instance_boot_mode),
            "dns-name" => opt(&self.public_dns_name),
            "ebs-optimized" => b(self.ebs_optimized),
            "ena-support" => b(self.ena_support),
            "group-id" | "instance.group-id" => groups.filter_map(|g| g.group_id.clone()).collect(),
            "group-name" | "instance.group-name" => groups.filter_map(|g| g.group_name.clone()).collect(),
            "hibernation-options.configured" => b(self.hibernation_options.as_ref().and_then(|h| h.configured)),
            "host-id" => placement.and_then(|p| p.host_id.clone()).into_iter().collect(),
            "hypervisor" => opt(&self.hypervisor),
            "iam-instance-profile.arn" => {
                self.iam_instance_profile.as_ref().and_then(|p| p.arn.clone()).into_iter().collect()
            }
            "iam-instance-profile.id" => {
                self.iam_instance_profile.as_ref().and_then(|p| p.id.clone()).into_iter().collect()
            }
            "image-id" => opt(&self.image_id),
            "instance-id" => opt(&self.instance_id),
            "instance-lifecycle" => opt(&self.instance_lifecycle),
            "instance-state-code" => {
                self.state.as_ref().and_then(|s| s.code).map(|c| vec![c.to_string()]).unwrap_or_default()
            }
            "instance-state-name" => self.state.as_ref().and_then(|s| s.name.clone()).into_iter().collect(),
            "instance-type" => opt(&self.instance_type),
            "ip-address" => opt(&self.public_ip_address),
            "ipv6-address" => opt(&self.ipv6_address),
            "kernel-id" => opt(&self.kernel_id),
            "key-name" => opt(&self.key_name),
            "launch-index" => self.ami_launch_index.map(|i| vec![i.to_string()]).unwrap_or_default(),
            "launch-time" => self.launch_time.map(|t| vec![t.iso8601()]).unwrap_or_default(),
            "metadata-options.http-tokens" => meta.and_then(|m| m.http_tokens.clone()).into_iter().collect(),
            "metadata-options.http-put-response-hop-limit" => {
                meta.and_then(|m| m.http_put_response_hop_limit).map(|h| vec![h.to_string()]).unwrap_or_default()
            }
            "metadata-options.http-endpoint" => meta.and_then(|m| m.http_endpoint.clone()).into_iter().collect(),
            "metadata-options.instance-metadata-tags" => {
                meta.and_then(|m| m.instance_metadata_tags.clone()).into_iter().collect()
            }
            "monitoring-state" => self.monitoring.as_ref().and_then(|m| m.state.clone()).into_iter().collect(),
            "network-interface.addresses.private-ip-address" => nics
                .flat_map(|n| n.private_ip_addresses.iter().flatten().filter_map(|p| p.private_ip_address.clone()))
                .collect(),
            "network-interface.addresses.primary" => nics
                .flat_map(|n| n.private_ip_addresses.iter().flatten().map(|p| p.primary.unwrap_or(false).to_string()))
                .collect(),
            "network-interface.addresses.association.public-ip" | "network-interface.association.public-ip" => {
                nics.filter_map(|n| n.association.as_ref()?.public_ip.clone()).collect()
            }
            "network-interface.addresses.association.ip-owner-id" | "network-interface.association.ip-owner-id" => {
                nics.filter_map(|n| n.association.as_ref()?.ip_owner_id.clone()).collect()
            }
            "network-interface.attachment.attachment-id" => {
                nics.filter_map(|n| n.attachment.as_ref()?.attachment_id.clone()).collect()
            }
            "network-interface.attachment.instance-id" => self.instance_id.iter().cloned().collect(),
            "network-interface.attachment.device-index" => {
                nics.filter_map(|n| n.attachment.as_ref()?.device_index.map(|d| d.to_string())).collect()
            }
            "network-interface.attachment.status" => {
                nics.filter_map(|n| n.attachment.as_ref()?.status.clone()).collect()
            }
            "network-interface.attachment.delete-on-termination" => {
                nics.filter_map(|n| n.attachment.as_ref()?.delete_on_termination.map(|d| d.to_string())).collect()
            }
            "network-interface.description" => nics.filter_map(|n| n.description.clone()).collect(),
            "network-interface.group-id" => {
                nics.flat_map(|n| n.groups.iter().flatten().filter_map(|g| g.group_id.clone())).collect()
            }
            "network-interface.group-name" => {
                nics.flat_map(|n| n.groups.iter().flatten().filter_map(|g| g.group_name.clone())).collect()
            }
            "network-interface.mac-address" => nics.filter_map(|n| n.mac_address.clone()).collect(),
            "network-interface.network-interface-id" => nics.filter_map(|n| n.network_interface_id.clone()).collect(),
            "network-interface.owner-id" => nics.filter_map(|n| n.owner_id.clone()).collect(),
            "network-interface.private-dns-name" => nics.filter_map(|n| n.private_dns_name.clone()).collect(),
            "network-interface.source-dest-check" => {
                nics.filter_map(|n| n.source_dest_check.map(|s| s.to_string())).collect()
            }
            "network-interface.status" => nics.filter_map(|n| n.status.clone()).collect(),
            "network-interface.subnet-id" => nics.filter_map(|n| n.subnet_id.clone()).collect(),
            "network-interface.vpc-id" => nics.filter_map(|n| n.vpc_id.clone()).collect(),
            "owner-id" => Vec::new(),
            "placement-group-name" => placement.and_then(|p| p.group_name.clone()).into_iter().collect(),
            "placement-partition-number" => {
                placement.and_then(|p| p.partition_number).map(|n| vec![n.to_string()]).unwrap_or_default()
            }
            "platform" => opt(&self.platform),
            "platform-details" => opt(&self.platform_details),
            "private-dns-name" => opt(&self.private_dns_name),
            "private-ip-address" => opt(&self.private_ip_address),
            "product-code" => self.product_codes.iter().flatten().filter_map(|p| p.product_code_id.clone()).collect(),
            "ramdisk-id" => opt(&self.ramdisk_id),
            "reason" => opt(&self.state_transition_reason),
            "requester-id" => Vec::new(),
            "reservation-id" => Vec::new(),
            "root-device-name" => opt(&self.root_device_name),
            "root-device-type" => opt(&self.root_device_type),
            "source-dest-check" => b(self.source_dest_check),
            "spot-instance-request-id" => opt(&self.spot_instance_request_id),
            "state-reason-code" => self.state_reason.as_ref().and_then(|r| r.code.clone()).into_iter().collect(),
            "state-reason-message" => self.state_reason.as_ref().and_then(|r| r.message.clone()).into_iter().collect(),
            "subnet-id" => opt(&self.subnet_id),
            "tenancy" => placement.and_then(|p| p.tenancy.clone()).into_iter().collect(),
            "tpm-support" => opt(&self.tpm_support),
            "usage-operation" => opt(&self.usage_operation),
            "virtualization-type" => opt(&self.virtualization_type),
            "vpc-id" => opt(&self.vpc_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

/// Filters that are about the reservation rather than the instance.
fn reservation_filters(filters: &mut Vec<crate::generated::dto::Filter>) -> Vec<(String, Vec<String>)> {
    let mut taken = Vec::new();
    filters.retain(|f| {
        let name = f.name.clone().unwrap_or_default();
        if ["owner-id", "requester-id", "reservation-id"].contains(&name.as_str()) {
            taken.push((name, f.values.clone().unwrap_or_default()));
            false
        } else {
            true
        }
    });
    taken
}

/// Filters answered from the stored record alone, with the same values the full
/// description gives: they are applied before an instance is described (building every
/// instance's description, interfaces and volumes included, is what costs), and all the
/// filters again after.
fn is_cheap(name: &str) -> bool {
    name.starts_with("tag:")
        || matches!(
            name,
            "tag-key"
                | "tag-value"
                | "instance-id"
                | "instance-state-name"
                | "instance-state-code"
                | "instance-type"
                | "image-id"
                | "key-name"
                | "availability-zone"
                | "subnet-id"
                | "vpc-id"
                | "private-ip-address"
        )
}

fn cheap_match(
    state: &Ec2State,
    ctx: &RequestContext,
    id: &str,
    rec: &InstanceRecord,
    cheap: &[filter::Filter],
) -> bool {
    if cheap.is_empty() {
        return true;
    }
    let (shown, _) = shown_state(state, rec, ctx.now);
    let view = StoredInstance { state, id, rec, shown };
    filter::matches(&view, cheap).unwrap_or(true)
}

/// An instance's stored record seen through the filters `is_cheap` names.
struct StoredInstance<'a> {
    state: &'a Ec2State,
    id: &'a str,
    rec: &'a InstanceRecord,
    shown: Name,
}

impl Filterable for StoredInstance<'_> {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let i = &self.rec.instance;
        let one = |v: &Option<String>| v.iter().cloned().collect();
        // A terminated instance has left its subnet, as `describe_one` shows it.
        let network = |v: &Option<String>| if self.shown == Name::Terminated { Vec::new() } else { one(v) };
        Some(match name {
            "instance-id" => vec![self.id.to_string()],
            "instance-state-name" => vec![self.shown.to_string()],
            "instance-state-code" => vec![self.shown.code().to_string()],
            "instance-type" => one(&i.instance_type),
            "image-id" => one(&i.image_id),
            "key-name" => one(&i.key_name),
            "availability-zone" => i.placement.as_ref().and_then(|p| p.availability_zone.clone()).into_iter().collect(),
            "subnet-id" => network(&i.subnet_id),
            "vpc-id" => network(&i.vpc_id),
            "private-ip-address" => network(&i.private_ip_address),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        self.state
            .tags
            .get(self.id)
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }
}

pub fn describe_instances(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeInstancesRequest,
) -> Result<DescribeInstancesResult, ApiError> {
    let ids = input.instance_ids.clone().unwrap_or_default();
    if !ids.is_empty() {
        check_all(state, &ids)?;
    }
    let mut filters = input.filters.clone().unwrap_or_default();
    let by_reservation = reservation_filters(&mut filters);
    check_filter_names::<Instance>(Some(&filters))?;
    let cheap: Vec<filter::Filter> = filters
        .iter()
        .filter(|f| is_cheap(f.name.as_deref().unwrap_or_default()))
        .map(|f| filter::Filter {
            name: f.name.clone().unwrap_or_default(),
            values: f.values.clone().unwrap_or_default(),
        })
        .collect();
    let candidates = state
        .instances
        .iter()
        .filter(|(id, _)| ids.is_empty() || ids.contains(id))
        .filter(|(_, rec)| {
            by_reservation.iter().all(|(name, values)| {
                let have = match name.as_str() {
                    "owner-id" => {
                        rec.instance.placement.as_ref().map(|_| ctx.account().to_string()).unwrap_or_default()
                    }
                    "reservation-id" => rec.reservation_id.clone(),
                    _ => String::new(),
                };
                values.iter().any(|v| nimbus_core::filter::wildcard(v, &have))
            })
        })
        .filter(|(id, rec)| cheap_match(state, ctx, id, rec, &cheap))
        .map(|(id, _)| id.clone())
        .collect::<Vec<_>>();
    let instances = filtered(describe_many(state, ctx, &candidates), Some(&filters))?;
    let (page, next) = paginate(
        instances,
        |i| i.instance_id.clone().unwrap_or_default(),
        input.max_results,
        input.next_token.as_deref(),
        (5, 1000),
        !ids.is_empty(),
    )?;
    // Group into reservations, in the order of their first instance.
    let mut reservations: Vec<Reservation> = Vec::new();
    for inst in page {
        let rid = state.instances[inst.instance_id.as_deref().unwrap_or_default()].reservation_id.clone();
        match reservations.iter_mut().find(|r| r.reservation_id.as_deref() == Some(&rid)) {
            Some(r) => r.instances.get_or_insert_with(Vec::new).push(inst),
            None => reservations.push(Reservation {
                reservation_id: Some(rid),
                owner_id: Some(ctx.account().to_string()),
                requester_id: None,
                groups: Some(Vec::new()),
                instances: Some(vec![inst]),
            }),
        }
    }
    Ok(DescribeInstancesResult { reservations: Some(reservations), next_token: next })
}

impl Filterable for InstanceStatus {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let summary = |s: &Option<InstanceStatusSummary>| {
            s.as_ref().and_then(|s| s.status.clone()).into_iter().collect::<Vec<_>>()
        };
        let reach = |s: &Option<InstanceStatusSummary>| {
            s.as_ref()
                .and_then(|s| {
                    s.details.as_ref()?.iter().find(|d| d.name.as_deref() == Some("reachability"))?.status.clone()
                })
                .into_iter()
                .collect::<Vec<_>>()
        };
        Some(match name {
            "availability-zone" => self.availability_zone.iter().cloned().collect(),
            "instance-state-name" => self.instance_state.as_ref().and_then(|s| s.name.clone()).into_iter().collect(),
            "instance-state-code" => {
                self.instance_state.as_ref().and_then(|s| s.code).map(|c| vec![c.to_string()]).unwrap_or_default()
            }
            "instance-status.status" => summary(&self.instance_status),
            "instance-status.reachability" => reach(&self.instance_status),
            "system-status.status" => summary(&self.system_status),
            "system-status.reachability" => reach(&self.system_status),
            "event.code" | "event.description" | "event.not-after" | "event.not-before" => Vec::new(),
            _ => return None,
        })
    }
}

fn status_summary(status: &str) -> Option<InstanceStatusSummary> {
    Some(InstanceStatusSummary {
        details: Some(vec![InstanceStatusDetails {
            impaired_since: None,
            name: Some("reachability".into()),
            status: Some(if status == "ok" { "passed" } else { "initializing" }.into()),
        }]),
        status: Some(status.into()),
    })
}

pub fn describe_instance_status(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeInstanceStatusRequest,
) -> Result<DescribeInstanceStatusResult, ApiError> {
    let ids = input.instance_ids.clone().unwrap_or_default();
    if !ids.is_empty() {
        check_all(state, &ids)?;
    }
    let all = input.include_all_instances == Some(true);
    let statuses =
        state.instances.iter().filter(|(id, _)| ids.is_empty() || ids.contains(id)).filter_map(|(id, rec)| {
            let (shown, since) = shown_state(state, rec, ctx.now);
            if shown != Name::Running && !all {
                return None;
            }
            // Status checks pass once the instance has been running for the transition delay.
            let checks = if shown != Name::Running {
                "not-applicable"
            } else if ctx.now >= since + state.transition_delay() {
                "ok"
            } else {
                "initializing"
            };
            let placement = rec.instance.placement.clone().unwrap_or_default();
            Some(InstanceStatus {
                availability_zone: placement.availability_zone,
                availability_zone_id: placement.availability_zone_id,
                operator: Some(OperatorResponse { managed: Some(false), ..Default::default() }),
                events: None,
                instance_id: Some(id.clone()),
                instance_state: Some(shown.dto()),
                instance_status: if checks == "not-applicable" {
                    Some(InstanceStatusSummary { details: None, status: Some(checks.into()) })
                } else {
                    status_summary(checks)
                },
                system_status: if checks == "not-applicable" {
                    Some(InstanceStatusSummary { details: None, status: Some(checks.into()) })
                } else {
                    status_summary(checks)
                },
                ..Default::default()
            })
        });
    let items = filtered(statuses, input.filters.as_deref())?;
    let (page, next) = paginate(
        items,
        |s| s.instance_id.clone().unwrap_or_default(),
        input.max_results,
        input.next_token.as_deref(),
        (5, 1000),
        !ids.is_empty(),
    )?;
    Ok(DescribeInstanceStatusResult { instance_statuses: Some(page), next_token: next })
}

// ----------------------------------------------------------------------------- lifecycle

/// Applies `change` to every instance after checking all of them, so that a request is
/// applied whole or not at all.
fn change_states(
    state: &mut Ec2State,
    ctx: &RequestContext,
    ids: &[String],
    decide: impl Fn(&Ec2State, &str, &InstanceRecord, Name) -> Result<Option<Name>, ApiError>,
) -> Result<Vec<InstanceStateChange>, ApiError> {
    check_all(state, ids)?;
    let mut plan = Vec::new();
    for id in ids {
        let rec = &state.instances[id];
        let (shown, _) = shown_state(state, rec, ctx.now);
        let next = decide(state, id, rec, shown)?;
        plan.push((id.clone(), shown, next));
    }
    let mut out = Vec::new();
    for (id, previous, next) in plan {
        let current = match next {
            Some(next) => {
                let rec = state.instances.get_mut(&id).expect("checked above");
                rec.stored_state = next;
                rec.since = ctx.now;
                next
            }
            None => previous,
        };
        out.push(InstanceStateChange {
            instance_id: Some(id),
            current_state: Some(current.dto()),
            previous_state: Some(previous.dto()),
        });
    }
    Ok(out)
}

pub fn start_instances(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: StartInstancesRequest,
) -> Result<StartInstancesResult, ApiError> {
    let changes = change_states(state, ctx, &input.instance_ids, |_, id, _, shown| match shown {
        Name::Stopped => Ok(Some(Name::Pending)),
        Name::Pending | Name::Running => Ok(None),
        _ => Err(errors::incorrect_instance_state(format!(
            "The instance '{id}' is not in a state from which it can be started."
        ))),
    })?;
    // A started instance gets a new public address if it launched with one.
    for c in &changes {
        let id = c.instance_id.clone().unwrap_or_default();
        let rec = &state.instances[&id];
        if rec.auto_public_ip && c.previous_state.as_ref().and_then(|s| s.name.as_deref()) == Some("stopped") {
            let eni = rec.primary_interface.clone();
            let has_eip =
                state.addresses.values().any(|a| a.address.network_interface_id.as_deref() == Some(eni.as_str()));
            if !has_eip {
                let ip = addresses::next_public_ip(state, ctx);
                state.auto_public_ips.insert(eni, ip);
            }
        }
    }
    Ok(StartInstancesResult { starting_instances: Some(changes) })
}

pub fn stop_instances(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: StopInstancesRequest,
) -> Result<StopInstancesResult, ApiError> {
    let changes = change_states(state, ctx, &input.instance_ids, |_, id, rec, shown| {
        if rec.disable_api_stop && shown.is_up() {
            return Err(errors::operation_not_permitted(format!(
                "The instance '{id}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again."
            )));
        }
        match shown {
            Name::Running | Name::Pending => Ok(Some(Name::Stopping)),
            Name::Stopping | Name::Stopped => Ok(None),
            _ => Err(errors::incorrect_instance_state(format!(
                "This instance '{id}' is not in a state from which it can be stopped."
            ))),
        }
    })?;
    Ok(StopInstancesResult { stopping_instances: Some(changes) })
}

pub fn terminate_instances(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: TerminateInstancesRequest,
) -> Result<TerminateInstancesResult, ApiError> {
    let changes = change_states(state, ctx, &input.instance_ids, |_, id, rec, shown| {
        if rec.disable_api_termination && shown != Name::Terminated {
            return Err(errors::operation_not_permitted(format!(
                "The instance '{id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again."
            )));
        }
        match shown {
            Name::Terminated | Name::ShuttingDown => Ok(None),
            _ => Ok(Some(Name::ShuttingDown)),
        }
    })?;
    Ok(TerminateInstancesResult { terminating_instances: Some(changes) })
}

pub fn reboot_instances(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: RebootInstancesRequest,
) -> Result<(), ApiError> {
    change_states(state, ctx, &input.instance_ids, |_, id, _, shown| match shown {
        Name::Running | Name::Pending => Ok(None),
        _ => Err(errors::incorrect_instance_state(format!(
            "The instance '{id}' is not in a state from which it can be rebooted."
        ))),
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use nimbus_core::RequestContext;
    use serde_json::{json, Value};

    use crate::catalogue;
    use crate::testing::{call, network, refused, str_at};
    use crate::Ec2;

    fn ids(answer: &Value) -> Vec<String> {
        let mut out: Vec<String> = answer["Reservations"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| {
                r["Instances"].as_array().unwrap().iter().map(|i| i["InstanceId"].as_str().unwrap().to_string())
            })
            .collect();
        out.sort();
        out
    }

    /// The filters applied to stored records before describing agree with the full
    /// description, terminated instances included (they have left their subnet).
    #[test]
    fn filters_on_stored_records_agree_with_the_description() {
        let ec2 = Ec2::default();
        let mut ctx = RequestContext::for_tests();
        let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
        let image = catalogue::public_images(&ctx.region)
            .into_iter()
            .find(|i| i.architecture.as_deref() == Some("x86_64"))
            .and_then(|i| i.image_id)
            .unwrap();
        let run = |role: &str, n: i64| {
            let input = json!({"ImageId": image, "InstanceType": "t3.micro", "MinCount": n, "MaxCount": n,
                "SubnetId": subnet,
                "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": role}]}]});
            ids(&json!({"Reservations": [call(&ec2, &ctx, "RunInstances", input)]}))
        };
        let web = run("web", 3);
        let db = run("db", 2);
        call(&ec2, &ctx, "TerminateInstances", json!({"InstanceIds": [db[0]]}));
        ctx.now += Duration::minutes(5);
        let first = call(&ec2, &ctx, "DescribeInstances", json!({"InstanceIds": [web[0]]}));
        let ip = str_at(&first, "/Reservations/0/Instances/0/PrivateIpAddress");
        let terminated = call(&ec2, &ctx, "DescribeInstances", json!({"InstanceIds": [db[0]]}));
        assert_eq!(str_at(&terminated, "/Reservations/0/Instances/0/State/Name"), "terminated");

        let filter = |filters: Value| ids(&call(&ec2, &ctx, "DescribeInstances", json!({"Filters": filters})));
        assert_eq!(filter(json!([{"Name": "tag:Role", "Values": ["web"]}])), web);
        assert_eq!(filter(json!([{"Name": "tag:Role", "Values": ["db"]}])), db);
        assert_eq!(filter(json!([{"Name": "tag-value", "Values": ["d?"]}])), db);
        assert_eq!(filter(json!([{"Name": "subnet-id", "Values": [subnet]}])).len(), 4, "not the terminated one");
        assert_eq!(filter(json!([{"Name": "vpc-id", "Values": [vpc]}])).len(), 4);
        assert_eq!(filter(json!([{"Name": "private-ip-address", "Values": [ip]}])), vec![web[0].clone()]);
        assert_eq!(filter(json!([{"Name": "instance-state-name", "Values": ["terminated"]}])), vec![db[0].clone()]);
        assert_eq!(filter(json!([{"Name": "instance-state-code", "Values": ["16"]}])).len(), 4);
        let both =
            json!([{"Name": "instance-state-name", "Values": ["running"]}, {"Name": "tag:Role", "Values": ["db"]}]);
        assert_eq!(filter(both), vec![db[1].clone()]);
        assert_eq!(filter(json!([{"Name": "instance-type", "Values": ["t3.*"]}])).len(), 5);
        let unknown = json!({"Filters": [{"Name": "nope", "Values": ["x"]}]});
        assert_eq!(refused(&ec2, &ctx, "DescribeInstances", unknown), "InvalidParameterValue");
    }
}
