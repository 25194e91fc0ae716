//! RunInstances: placement, network interfaces and addresses, volumes from the image's
//! block-device mapping, tags, launch templates, quotas and offerings.

use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::compute::instances::describe::describe_many;
use crate::compute::instances::lifecycle::DEFAULT_INSTANCE_QUOTA;
use crate::compute::{capacity_reservations, hosts, placement_groups, spot};
use crate::ebs::volumes::{self, records::NewVolume};
use crate::generated::dto::{
    CapacityReservationSpecificationResponse, CapacityReservationTargetResponse, CpuOptions, EnclaveOptions,
    GroupIdentifier, HibernationOptions, Image, Instance, InstanceMaintenanceOptions, InstanceMetadataOptionsResponse,
    InstanceNetworkInterfaceSpecification, InstanceNetworkPerformanceOptions, InstanceTypeInfo, Monitoring,
    NetworkInterfaceAttachment, OperatorResponse, Placement, PrivateDnsNameOptionsOnLaunch,
    PrivateDnsNameOptionsRequest, PrivateDnsNameOptionsResponse, Reservation, RunInstancesRequest,
};
use crate::generated::{enums, errors};
use crate::state::lifecycle::InstanceStateName as Name;
use crate::state::params::{invalid_value, one_of};
use crate::state::shared::Shared;
use crate::state::support::spec_tags;
use crate::state::{Ec2State, InstanceRecord};
use crate::vpc::interfaces::{self, ipv6::NewInterfaceIpv6, records::NewInterface};
use crate::{
    catalogue, compute::iam_profiles, compute::launch_templates, images, keys::key_pairs, vpc::addresses, vpc::subnets,
};

// ----------------------------------------------------------------------------- launch

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
        let e = interfaces::records::get(state, &eni)?;
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

/// The hostname type and resource-name records: the request's, else the subnet's
/// settings for launches, else `ip-name` with no resource-name records.
fn dns_name_options(
    wanted: Option<&PrivateDnsNameOptionsRequest>,
    subnet: Option<&PrivateDnsNameOptionsOnLaunch>,
) -> Result<PrivateDnsNameOptionsResponse, ApiError> {
    let hostname_type = wanted
        .and_then(|w| w.hostname_type.clone())
        .or_else(|| subnet.and_then(|s| s.hostname_type.clone()))
        .unwrap_or_else(|| "ip-name".into());
    one_of("PrivateDnsNameOptions.HostnameType", &hostname_type, enums::HOSTNAME_TYPE)?;
    Ok(PrivateDnsNameOptionsResponse {
        hostname_type: Some(hostname_type),
        enable_resource_name_dns_a_record: Some(
            wanted
                .and_then(|w| w.enable_resource_name_dns_a_record)
                .or_else(|| subnet.and_then(|s| s.enable_resource_name_dns_a_record))
                .unwrap_or(false),
        ),
        enable_resource_name_dns_aaaa_record: Some(
            wanted
                .and_then(|w| w.enable_resource_name_dns_aaaa_record)
                .or_else(|| subnet.and_then(|s| s.enable_resource_name_dns_aaaa_record))
                .unwrap_or(false),
        ),
    })
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
        let (id, version, data) = launch_templates::data::resolve(state, &spec)?;
        launch_templates::data::merge_into_run_request(&data, &mut input)?;
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
    let image_id = images::aliases::resolve(ctx, shared, &image_id)?;
    let image = images::lookup::for_launch(state, ctx, shared, &image_id)?;
    let instance_type = input.instance_type.clone().unwrap_or_else(|| "m1.small".into());
    let info = catalogue::instance_type(&instance_type)
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
        return Err(invalid_value("instanceInitiatedShutdownBehavior", shutdown, ""));
    }
    let profile = input.iam_instance_profile.as_ref().map(|p| iam_profiles::resolve(ctx, p)).transpose()?;
    let subnet_id = choose_subnet(state, ctx, &input, &instance_type)?;
    let subnet = state.subnets[&subnet_id].subnet.clone();
    let zone = subnet.availability_zone.clone().unwrap_or_default();
    catalogue::check_offered(&ctx.region, &instance_type, &zone)?;
    let spot_ask = spot::requests::market_ask(ctx.now, input.instance_market_options.as_ref())?;
    if let Some(ask) = &spot_ask {
        spot::requests::check_price(ask, &instance_type, &zone, image.platform.as_deref(), ctx.now)?;
    }
    let spot_tags = spec_tags_for(&input, "spot-instances-request")?;
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
    // max, not min: a second instance could not have the same address, and the launch
    // must not stop half way.
    if wanted_ip.is_some() && input.max_count > 1 {
        return Err(errors::invalid_parameter_combination(
            "Cannot specify a private IP address when launching more than one instance.",
        ));
    }
    let ipv6 = plan_ipv6(state, &input, primary_spec, &subnet_id, &instance_type)?;
    // As many instances as the quota and the subnet's free addresses allow, from min to max.
    let live = state.live_instances();
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
    let placed = placement_groups::place(state, input.placement.as_ref(), &zone, count)?;
    let platform = spot::requests::product_of(image.platform.as_deref());
    let capacity = input.capacity_reservation_specification.as_ref();
    let reserved = capacity_reservations::place(state, ctx.now, capacity, &instance_type, &zone, platform, count)?;
    let targeted = capacity.and_then(|c| c.capacity_reservation_target.clone()).is_some();
    let host_id = hosts::capacity::place(state, input.placement.as_ref(), &zone, &instance_type, count, ctx.now)?;

    // New instances take the VPC's tenancy (`dedicated` wins) and the subnet's hostname
    // settings unless the request names its own.
    let vpc_tenancy =
        state.vpcs.get(&vpc_id).and_then(|v| v.vpc.instance_tenancy.clone()).unwrap_or_else(|| "default".into());
    let dns_options =
        dns_name_options(input.private_dns_name_options.as_ref(), subnet.private_dns_name_options_on_launch.as_ref())?;
    let auto_recovery =
        input.maintenance_options.as_ref().and_then(|m| m.auto_recovery.clone()).unwrap_or_else(|| "default".into());
    one_of("MaintenanceOptions.AutoRecovery", &auto_recovery, enums::INSTANCE_AUTO_RECOVERY_STATE)?;

    let reservation_id = ids::resource_id("r");
    let zone_id = subnet.availability_zone_id.clone().unwrap_or_default();
    let mut launched = Vec::with_capacity(count);
    for (index, (group_name, group_id, partition)) in placed.into_iter().enumerate() {
        let instance_id = ids::resource_id("i");
        // The primary interface with its addresses.
        let wanted: Vec<String> = wanted_ip.iter().cloned().collect();
        let extra = secondary + usize::from(wanted.is_empty());
        let ips = subnets::allocate_ips(state, &subnet_id, &wanted, extra)?;
        let eni = interfaces::records::create_interface_record(
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
        state.index.attach(&instance_id, &eni);
        ipv6.apply(state, &subnet_id, &eni);
        state.set_tags(&eni, interface_tags.clone());
        if auto_public_ip {
            let ip = addresses::next_public_ip(state, ctx);
            state.auto_public_ips.insert(eni.clone(), ip);
        }
        // Volumes, attached.
        for (device, mut new, delete) in devices.clone() {
            new.availability_zone = zone.clone();
            new.availability_zone_id = zone_id.clone();
            let vol = volumes::records::create_volume_record(state, ctx, new);
            volumes::records::attach_record(state, &vol, &instance_id, &device, delete, ctx.now);
            state.set_tags(&vol, volume_tags.clone());
        }
        let imds_v2 = image.imds_support.as_deref() == Some("v2.0");
        let meta = input.metadata_options.clone().unwrap_or_default();
        // What the request leaves out comes from the account's metadata defaults, then the image's.
        let defaults = &state.account.metadata_defaults;
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
            capacity_reservation_id: reserved[index].clone(),
            capacity_reservation_specification: Some(if targeted {
                CapacityReservationSpecificationResponse {
                    capacity_reservation_preference: None,
                    capacity_reservation_target: Some(CapacityReservationTargetResponse {
                        capacity_reservation_id: reserved[index].clone(),
                        capacity_reservation_resource_group_arn: None,
                    }),
                }
            } else {
                CapacityReservationSpecificationResponse {
                    capacity_reservation_preference: Some(
                        capacity
                            .and_then(|c| c.capacity_reservation_preference.clone())
                            .unwrap_or_else(|| "open".into()),
                    ),
                    capacity_reservation_target: None,
                }
            }),
            hibernation_options: Some(HibernationOptions { configured: Some(false) }),
            metadata_options: Some(InstanceMetadataOptionsResponse {
                state: Some("pending".into()),
                http_tokens: meta
                    .http_tokens
                    .or(defaults.http_tokens.clone())
                    .or(Some(if imds_v2 { "required" } else { "optional" }.into())),
                http_put_response_hop_limit: meta
                    .http_put_response_hop_limit
                    .or(defaults.http_put_response_hop_limit)
                    .or(Some(if imds_v2 { 2 } else { 1 })),
                http_endpoint: meta.http_endpoint.or(defaults.http_endpoint.clone()).or(Some("enabled".into())),
                http_protocol_ipv6: meta.http_protocol_ipv6.or(Some("disabled".into())),
                instance_metadata_tags: meta
                    .instance_metadata_tags
                    .or(defaults.instance_metadata_tags.clone())
                    .or(Some("disabled".into())),
            }),
            enclave_options: Some(EnclaveOptions { enabled: Some(false) }),
            boot_mode: image.boot_mode.clone(),
            platform_details: image.platform_details.clone(),
            usage_operation: image.usage_operation.clone(),
            usage_operation_update_time: Some(Timestamp(ctx.now)),
            private_dns_name_options: Some(dns_options.clone()),
            maintenance_options: Some(InstanceMaintenanceOptions {
                auto_recovery: Some(auto_recovery.clone()),
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
            private_dns_name: Some(interfaces::records::private_dns_name(&ctx.region, &ips[0])),
            state_transition_reason: Some(String::new()),
            key_name: input.key_name.clone(),
            ami_launch_index: Some(index as i32),
            product_codes: Some(Vec::new()),
            instance_type: Some(instance_type.clone()),
            launch_time: Some(Timestamp(ctx.now)),
            placement: Some(Placement {
                availability_zone: Some(zone.clone()),
                availability_zone_id: Some(zone_id.clone()),
                group_name: Some(group_name),
                group_id: Some(group_id).filter(|id| !id.is_empty()),
                partition_number: partition,
                tenancy: Some(if host_id.is_some() {
                    "host".into()
                } else if vpc_tenancy == "dedicated" {
                    // AWS: an instance in a dedicated VPC is a Dedicated Instance, whatever it asked.
                    vpc_tenancy.clone()
                } else {
                    input.placement.as_ref().and_then(|p| p.tenancy.clone()).unwrap_or_else(|| "default".into())
                }),
                host_id: host_id.clone(),
                affinity: host_id.as_ref().map(|_| {
                    input.placement.as_ref().and_then(|p| p.affinity.clone()).unwrap_or_else(|| "default".into())
                }),
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
                .or_else(|| crate::state::account::default_credits(state, &instance_type)),
            primary_interface: eni,
            auto_public_ip,
            reboots: 0,
        };
        state.instances.insert(instance_id.clone(), record);
        state.index.instance(&instance_id);
        state.set_tags(&instance_id, instance_tags.clone());
        state.set_tags(&instance_id, template_tags.clone());
        if let Some(profile) = profile.clone() {
            iam_profiles::associate_record(state, ctx, &instance_id, profile);
        }
        launched.push(instance_id);
    }
    if let Some(ask) = &spot_ask {
        spot::requests::record_for_instances(state, ctx, ask, &input, &launched, &spot_tags);
    }
    images::lookup::launched(state, &image_id, ctx.now);
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
/// The primary interface's IPv6 addresses: listed or counted (on the request or its
/// primary interface specification), else one when the subnet assigns one on creation and
/// the instance type supports IPv6.
fn plan_ipv6(
    state: &Ec2State,
    input: &RunInstancesRequest,
    primary_spec: Option<&InstanceNetworkInterfaceSpecification>,
    subnet_id: &str,
    instance_type: &str,
) -> Result<NewInterfaceIpv6, ApiError> {
    let listed: Vec<String> = input
        .ipv6_addresses
        .iter()
        .flatten()
        .chain(primary_spec.and_then(|n| n.ipv6_addresses.as_ref()).into_iter().flatten())
        .filter_map(|a| a.ipv6_address.clone())
        .collect();
    let count = input.ipv6_address_count.or(primary_spec.and_then(|n| n.ipv6_address_count));
    if !listed.is_empty() && input.max_count > 1 {
        // nimbus's wording, after the private address's.
        return Err(errors::invalid_parameter_combination(
            "Cannot specify IPv6 addresses when launching more than one instance.",
        ));
    }
    if listed.is_empty() && count.is_none() && !interfaces::ipv6::supports_ipv6(instance_type) {
        return Ok(NewInterfaceIpv6 { wanted: Vec::new(), count: 0 });
    }
    let plan = NewInterfaceIpv6::plan(state, subnet_id, &listed, count)?;
    interfaces::ipv6::check_instance_type(instance_type, plan.total())?;
    Ok(plan)
}

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
