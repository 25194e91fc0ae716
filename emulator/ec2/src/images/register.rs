//! New images and their end: CreateImage (snapshots of an instance's volumes),
//! RegisterImage, DeregisterImage.

use nimbus_core::{ids, ApiError, RequestContext};

use crate::ebs::{snapshots, volumes};
use crate::generated::dto::{
    BlockDeviceMapping, CreateImageRequest, CreateImageResult, DeleteSnapshotReturnCode, DeregisterImageRequest,
    DeregisterImageResult, EbsBlockDevice, Image, RegisterImageRequest, RegisterImageResult, TagSpecification,
};
use crate::generated::enums;
use crate::generated::errors;
use crate::images::lookup::{check_id, find, iso, Tags};
use crate::images::rootfs;
use crate::state::params::one_of;
use crate::state::shared::Shared;
use crate::state::support::spec_tags;
use crate::state::{Ec2State, ImageRecord};

// ----------------------------------------------------------------------------- lifecycle

/// AWS's rule for AMI names: 3 to 128 letters, digits and `()[] ./-'@_`.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "()[] ./-'@_".contains(c);
    if (3..=128).contains(&name.chars().count()) && name.chars().all(allowed) {
        Ok(())
    } else {
        Err(errors::invalid_ami_name_malformed())
    }
}

/// Names are unique among the account's images in the region.
pub fn check_unique(state: &Ec2State, name: &str) -> Result<(), ApiError> {
    match state.images.iter().find(|(_, r)| r.image.name.as_deref() == Some(name)) {
        Some((id, _)) => Err(errors::invalid_ami_name_duplicate(id, name)),
        None => Ok(()),
    }
}

pub fn check_description(description: Option<&str>) -> Result<(), ApiError> {
    match description {
        Some(d) if d.chars().count() > 255 => {
            Err(errors::invalid_parameter_value("The description of an image must be at most 255 characters long."))
        }
        _ => Ok(()),
    }
}

/// The tags of each resource type an AMI request may tag (`image`, `snapshot`).
pub fn image_and_snapshot_tags(specs: Option<&[TagSpecification]>, allowed: &[&str]) -> Result<(Tags, Tags), ApiError> {
    let specs = specs.unwrap_or_default();
    for s in specs {
        let rt = s.resource_type.as_deref().unwrap_or("");
        if !allowed.contains(&rt) {
            return Err(errors::invalid_parameter_value(format!(
                "'{rt}' is not a valid taggable resource type for this operation."
            )));
        }
    }
    let of = |t: &str| -> Result<Vec<(String, String)>, ApiError> {
        let mine: Vec<TagSpecification> =
            specs.iter().filter(|s| s.resource_type.as_deref() == Some(t)).cloned().collect();
        spec_tags(Some(&mine), t)
    };
    Ok((of("image")?, of("snapshot")?))
}

/// Records a new `pending` image of the account.
pub fn create_image_record(
    state: &mut Ec2State,
    ctx: &RequestContext,
    image: Image,
    tags: Vec<(String, String)>,
) -> String {
    let id = image.image_id.clone().unwrap_or_default();
    state.images.insert(id.clone(), ImageRecord { image, ..Default::default() });
    state.timestamps.insert(id.clone(), ctx.now);
    state.set_tags(&id, tags);
    state.unpublished.insert(id.clone());
    id
}

/// The base of a new image of the account.
pub fn new_image(ctx: &RequestContext, id: &str, name: &str, description: Option<String>) -> Image {
    Image {
        image_id: Some(id.to_string()),
        name: Some(name.to_string()),
        description,
        image_location: Some(format!("{}/{name}", ctx.account())),
        image_type: Some("machine".into()),
        owner_id: Some(ctx.account().to_string()),
        public: Some(false),
        state: Some("pending".into()),
        creation_date: Some(iso(ctx.now)),
        hypervisor: Some("xen".into()),
        root_device_type: Some("ebs".into()),
        platform_details: Some("Linux/UNIX".into()),
        usage_operation: Some("RunInstances".into()),
        product_codes: Some(Vec::new()),
        ..Default::default()
    }
}

/// Applies a request's block-device mappings to an image's (by device name): NoDevice
/// removes one, an EBS mapping changes or adds one. Sizes never shrink below the
/// snapshot's.
fn override_mappings(
    mut base: Vec<BlockDeviceMapping>,
    overrides: &[BlockDeviceMapping],
    root: &str,
) -> Result<Vec<BlockDeviceMapping>, ApiError> {
    for m in overrides {
        let Some(device) = m.device_name.clone() else {
            return Err(errors::missing_parameter("BlockDeviceMapping.DeviceName"));
        };
        let existing = base.iter().position(|b| b.device_name.as_deref() == Some(device.as_str()));
        if m.no_device.is_some() {
            if device == root {
                return Err(errors::invalid_block_device_mapping(format!(
                    "The device {device} is the root device of the image and cannot be removed."
                )));
            }
            if let Some(i) = existing {
                base.remove(i);
            }
            continue;
        }
        if m.virtual_name.is_some() {
            let mapping = BlockDeviceMapping {
                device_name: Some(device),
                virtual_name: m.virtual_name.clone(),
                ..Default::default()
            };
            match existing {
                Some(i) => base[i] = mapping,
                None => base.push(mapping),
            }
            continue;
        }
        let Some(ebs) = &m.ebs else { continue };
        let old = existing.and_then(|i| base[i].ebs.clone()).unwrap_or_default();
        let min = old.volume_size.unwrap_or(1);
        let size = ebs.volume_size.or(old.volume_size);
        let Some(size) = size else {
            return Err(errors::missing_parameter("BlockDeviceMapping.Ebs.VolumeSize"));
        };
        if existing.is_some() && size < min {
            return Err(errors::invalid_block_device_mapping(format!(
                "Volume of size {size}GB is smaller than snapshot '{}', expect size >= {min}GB",
                old.snapshot_id.clone().unwrap_or_default()
            )));
        }
        let volume_type = ebs.volume_type.clone().or(old.volume_type.clone()).unwrap_or_else(|| "gp2".into());
        let same_type = old.volume_type.as_deref() == Some(volume_type.as_str());
        let iops = ebs.iops.or(if same_type { old.iops } else { None });
        let throughput = ebs.throughput.or(if same_type { old.throughput } else { None });
        volumes::create::check_configuration(&volume_type, size, iops.filter(|_| volume_type != "gp2"), throughput)?;
        let merged = EbsBlockDevice {
            delete_on_termination: ebs.delete_on_termination.or(old.delete_on_termination).or(Some(true)),
            snapshot_id: ebs.snapshot_id.clone().or(old.snapshot_id),
            volume_size: Some(size),
            volume_type: Some(volume_type),
            iops,
            throughput,
            encrypted: ebs.encrypted.or(old.encrypted).or(Some(false)),
            kms_key_id: ebs.kms_key_id.clone().or(old.kms_key_id),
            ..Default::default()
        };
        let mapping = BlockDeviceMapping { device_name: Some(device), ebs: Some(merged), ..Default::default() };
        match existing {
            Some(i) => base[i] = mapping,
            None => base.push(mapping),
        }
    }
    Ok(base)
}

pub fn create_image(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateImageRequest,
) -> Result<CreateImageResult, ApiError> {
    let rec = crate::state::lookup::instance(state, &input.instance_id)?;
    let (shown, _) = crate::state::lifecycle::shown_state(state, rec, ctx.now);
    if !matches!(shown.as_str(), "running" | "stopped") {
        return Err(errors::incorrect_instance_state(format!(
            "The instance '{}' is not in the 'running' or 'stopped' state.",
            input.instance_id
        )));
    }
    check_name(&input.name)?;
    check_unique(state, &input.name)?;
    check_description(input.description.as_deref())?;
    let (image_tags, snapshot_tags) =
        image_and_snapshot_tags(input.tag_specifications.as_deref(), &["image", "snapshot"])?;
    if let Some(m) = input.boot_mode_override.as_deref() {
        one_of("bootModeOverride", m, enums::BOOT_MODE_VALUES)?;
    }
    let instance = rec.instance.clone();
    let root = instance.root_device_name.clone().unwrap_or_default();
    // The instance's volumes as mappings (snapshot ids filled in below), changed by the request's.
    let attached = volumes::records::attached_to(state, &input.instance_id);
    let base: Vec<BlockDeviceMapping> = attached
        .iter()
        .map(|(device, volume_id, _, delete)| {
            let v = &state.volumes[volume_id];
            BlockDeviceMapping {
                device_name: Some(device.clone()),
                ebs: Some(EbsBlockDevice {
                    delete_on_termination: Some(*delete),
                    snapshot_id: Some(volume_id.clone()),
                    volume_size: v.size,
                    volume_type: v.volume_type.clone(),
                    iops: v.iops.filter(|_| v.volume_type.as_deref() != Some("gp2")),
                    throughput: v.throughput,
                    encrypted: v.encrypted,
                    kms_key_id: v.kms_key_id.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let mut mappings = override_mappings(base, input.block_device_mappings.as_deref().unwrap_or_default(), &root)?;
    let id = ids::resource_id("ami");
    // A snapshot of each volume still mapped (mappings name the volume until now).
    for m in mappings.iter_mut() {
        let Some(ebs) = m.ebs.as_mut() else { continue };
        let Some(volume_id) = ebs.snapshot_id.clone().filter(|v| v.starts_with("vol-")) else { continue };
        let description = format!("Created by CreateImage({}) for {id}", input.instance_id);
        ebs.snapshot_id = Some(snapshots::snapshot_volume(state, ctx, &volume_id, description, snapshot_tags.clone()));
    }
    let mut image = new_image(ctx, &id, &input.name, input.description.clone());
    image.architecture = instance.architecture.clone();
    image.platform = instance.platform.clone();
    image.platform_details = instance.platform_details.clone().or(image.platform_details);
    image.usage_operation = instance.usage_operation.clone().or(image.usage_operation);
    image.root_device_name = instance.root_device_name.clone();
    image.virtualization_type = instance.virtualization_type.clone();
    image.ena_support = instance.ena_support;
    image.sriov_net_support = instance.sriov_net_support.clone();
    image.boot_mode = input.boot_mode_override.clone().or(instance.boot_mode.clone());
    image.tpm_support = instance.tpm_support.clone();
    image.source_instance_id = Some(input.instance_id.clone());
    image.block_device_mappings = Some(mappings);
    let id = create_image_record(state, ctx, image, image_tags);
    if let Some(rec) = state.images.get_mut(&id) {
        rec.no_reboot = input.no_reboot.unwrap_or(false);
    }
    Ok(CreateImageResult { image_id: Some(id) })
}

pub fn check_enum(value: Option<&str>, parameter: &str, valid: &[&str]) -> Result<(), ApiError> {
    match value {
        Some(v) if !valid.contains(&v) => Err(errors::invalid_parameter_value(format!(
            "Value ({v}) for parameter {parameter} is invalid. Valid values: {}",
            valid.join(", ")
        ))),
        _ => Ok(()),
    }
}

pub fn register_image(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: RegisterImageRequest,
) -> Result<RegisterImageResult, ApiError> {
    if let Some(path) = rootfs::location(&input).map(String::from) {
        return rootfs::register_root_filesystem(state, ctx, input, &path);
    }
    check_name(&input.name)?;
    check_unique(state, &input.name)?;
    check_description(input.description.as_deref())?;
    let given = input.block_device_mappings.clone().unwrap_or_default();
    if given.is_empty() {
        return Err(if input.image_location.is_some() {
            errors::invalid_parameter_value(
                "Registering instance store-backed AMIs from Amazon S3 is not supported by nimbus.",
            )
        } else {
            errors::missing_parameter("BlockDeviceMapping")
        });
    }
    let root = input.root_device_name.clone().ok_or_else(|| errors::missing_parameter("rootDeviceName"))?;
    check_enum(input.architecture.as_deref(), "architecture", &["i386", "x86_64", "arm64", "x86_64_mac", "arm64_mac"])?;
    check_enum(input.virtualization_type.as_deref(), "virtualizationType", &["hvm", "paravirtual"])?;
    check_enum(input.boot_mode.as_deref(), "bootMode", &["legacy-bios", "uefi", "uefi-preferred"])?;
    check_enum(input.tpm_support.as_deref(), "tpmSupport", &["v2.0"])?;
    check_enum(input.imds_support.as_deref(), "imdsSupport", &["v2.0"])?;
    check_enum(input.sriov_net_support.as_deref(), "sriovNetSupport", &["simple"])?;
    if input.tpm_support.is_some() && input.boot_mode.as_deref() != Some("uefi") {
        return Err(errors::invalid_parameter_combination("NitroTPM requires the uefi boot mode."));
    }
    // Each snapshot must be one the account may use, and gives the volume its default size.
    let mut mappings = Vec::new();
    for m in &given {
        let mut m = m.clone();
        if let Some(ebs) = m.ebs.as_mut() {
            if let Some(snap_id) = ebs.snapshot_id.clone() {
                let snap = snapshots::find(state, ctx, shared, &snap_id)?;
                let min = snap.volume_size.unwrap_or(1);
                let size = ebs.volume_size.unwrap_or(min);
                if size < min {
                    return Err(errors::invalid_block_device_mapping(format!(
                        "Volume of size {size}GB is smaller than snapshot '{snap_id}', expect size >= {min}GB"
                    )));
                }
                ebs.volume_size = Some(size);
                ebs.encrypted = Some(snap.encrypted.unwrap_or(false));
            } else if ebs.volume_size.is_none() {
                return Err(errors::missing_parameter("BlockDeviceMapping.Ebs.VolumeSize"));
            }
            let volume_type = ebs.volume_type.clone().unwrap_or_else(|| "gp2".into());
            let size = ebs.volume_size.unwrap_or(1);
            volumes::create::check_configuration(
                &volume_type,
                size,
                ebs.iops.filter(|_| volume_type != "gp2"),
                ebs.throughput,
            )?;
            ebs.volume_type = Some(volume_type);
            ebs.delete_on_termination = Some(ebs.delete_on_termination.unwrap_or(true));
        }
        mappings.push(m);
    }
    let root_mapped = mappings.iter().any(|m| {
        m.device_name.as_deref() == Some(root.as_str()) && m.ebs.as_ref().is_some_and(|e| e.snapshot_id.is_some())
    });
    if !root_mapped {
        return Err(errors::invalid_block_device_mapping(format!(
            "The root device {root} must be mapped to an EBS snapshot."
        )));
    }
    let (image_tags, _) = image_and_snapshot_tags(input.tag_specifications.as_deref(), &["image"])?;
    let id = ids::resource_id("ami");
    let mut image = new_image(ctx, &id, &input.name, input.description.clone());
    image.architecture = Some(input.architecture.clone().unwrap_or_else(|| "x86_64".into()));
    // RegisterImage's documented default.
    image.virtualization_type = Some(input.virtualization_type.clone().unwrap_or_else(|| "paravirtual".into()));
    image.root_device_name = Some(root);
    image.ena_support = input.ena_support;
    image.sriov_net_support = input.sriov_net_support.clone();
    image.boot_mode = input.boot_mode.clone();
    image.tpm_support = input.tpm_support.clone();
    image.imds_support = input.imds_support.clone();
    image.kernel_id = input.kernel_id.clone();
    image.ramdisk_id = input.ramdisk_id.clone();
    image.block_device_mappings = Some(mappings);
    let id = create_image_record(state, ctx, image, image_tags);
    Ok(RegisterImageResult { image_id: Some(id) })
}

/// One of the account's own images, for the calls only its owner may make. Another
/// account's image that the caller can see is refused as at AWS.
pub fn own<'a>(
    state: &'a Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    id: &str,
) -> Result<&'a ImageRecord, ApiError> {
    check_id(id)?;
    if let Some(r) = state.images.get(id) {
        return Ok(r);
    }
    if find(state, ctx, shared, id).is_ok() {
        return Err(errors::auth_failure(format!("Not authorized for image:{id}")));
    }
    Err(errors::invalid_amiid_not_found(id))
}

pub fn deregister_image(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DeregisterImageRequest,
) -> Result<DeregisterImageResult, ApiError> {
    let rec = own(state, ctx, shared, &input.image_id)?;
    let protected = matches!(rec.image.deregistration_protection.as_deref(), Some("enabled" | "enabled-with-cooldown"))
        || rec.protected_until.is_some_and(|until| ctx.now < until);
    if protected {
        return Err(errors::operation_not_permitted(format!(
            "The image {} has deregistration protection enabled and cannot be deregistered.",
            input.image_id
        )));
    }
    let snapshot_ids: Vec<String> =
        rec.image.block_device_mappings.iter().flatten().filter_map(|m| m.ebs.as_ref()?.snapshot_id.clone()).collect();
    state.images.remove(&input.image_id);
    state.forget(&input.image_id);
    state.unpublished.insert(input.image_id.clone());
    let mut results = Vec::new();
    if input.delete_associated_snapshots == Some(true) {
        for snap in snapshot_ids {
            let code = if !state.snapshots.contains_key(&snap) {
                "missing-permissions"
            } else if crate::state::lookup::image_using_snapshot(state, &snap).is_some() {
                "skipped"
            } else {
                snapshots::remove(state, &snap);
                "success"
            };
            results.push(DeleteSnapshotReturnCode { snapshot_id: Some(snap), return_code: Some(code.into()) });
        }
    }
    Ok(DeregisterImageResult { r#return: Some(true), delete_snapshot_results: Some(results) })
}
