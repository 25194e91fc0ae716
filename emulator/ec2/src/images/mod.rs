//! Images: the region's public catalogue (from fixtures), the account's own AMIs and
//! those other accounts share with it (through the service's registry, `shared.rs`);
//! DescribeImages with owners, executable users, deprecation and every filter; the
//! lookup RunInstances launches from; the AMI lifecycle: CreateImage (snapshots of the
//! instance's volumes), RegisterImage, CopyImage (also from another region),
//! DeregisterImage, the image attributes (launch permissions, public or shared),
//! deprecation and deregistration protection.
//!
//! A new image is stored `pending`, dated in `Ec2State::timestamps`, and shown
//! `available` once the transition delay has passed; its snapshots follow the same clock.

use chrono::{DateTime, Duration, SecondsFormat, Timelike, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::{ids, regions, ApiError, RequestContext};

use crate::catalogue;
use crate::ebs::{snapshots, volumes};
use crate::generated::dto::{
    AttributeValue, BlockDeviceMapping, CopyImageRequest, CopyImageResult, CreateImageRequest, CreateImageResult,
    DeleteSnapshotReturnCode, DeregisterImageRequest, DeregisterImageResult, DescribeImageAttributeRequest,
    DescribeImagesRequest, DescribeImagesResult, DisableImageDeprecationRequest, DisableImageDeprecationResult,
    DisableImageDeregistrationProtectionRequest, DisableImageDeregistrationProtectionResult, EbsBlockDevice,
    EnableImageDeprecationRequest, EnableImageDeprecationResult, EnableImageDeregistrationProtectionRequest,
    EnableImageDeregistrationProtectionResult, Image, ImageAttribute, LaunchPermission, ModifyImageAttributeRequest,
    RegisterImageRequest, RegisterImageResult, ResetImageAttributeRequest, TagSpecification,
};
use crate::generated::errors;
use crate::state::shared::Shared;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, paginate, spec_tags};
use crate::state::{Ec2State, ImageRecord};

type Tags = Vec<(String, String)>;

/// How long deregistration stays refused after protection with a cooldown is disabled.
const PROTECTION_COOLDOWN: Duration = Duration::hours(24);

fn check_id(id: &str) -> Result<(), ApiError> {
    let well_formed = id
        .strip_prefix("ami-")
        .is_some_and(|hex| (8..=17).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit()));
    if well_formed {
        Ok(())
    } else {
        Err(errors::invalid_amiid_malformed(id))
    }
}

/// One of the account's images as it is at `now`, with its tags.
pub fn image_at(state: &Ec2State, id: &str, now: DateTime<Utc>) -> Image {
    let rec = &state.images[id];
    let mut img = rec.image.clone();
    if img.state.as_deref() == Some("pending") && now >= state.transition_ends(id) {
        img.state = Some("available".into());
    }
    img.public = Some(rec.launch_groups.iter().any(|g| g == "all"));
    img.tags = state.dto_tags_if_any(id);
    img
}

pub fn needs_settling(state: &Ec2State, now: DateTime<Utc>) -> bool {
    state.images.iter().any(|(id, r)| r.image.state.as_deref() == Some("pending") && now >= state.transition_ends(id))
}

pub fn settle(state: &mut Ec2State, now: DateTime<Utc>) {
    let due: Vec<String> = state
        .images
        .iter()
        .filter(|(id, r)| r.image.state.as_deref() == Some("pending") && now >= state.transition_ends(id))
        .map(|(id, _)| id.clone())
        .collect();
    for id in due {
        if let Some(r) = state.images.get_mut(&id) {
            r.image.state = Some("available".into());
        }
    }
}

/// An image the caller may launch or describe by id: its own, one another account
/// shares with it or made public, or one of the region's public images.
pub fn find(state: &Ec2State, ctx: &RequestContext, shared: &Shared, id: &str) -> Result<Image, ApiError> {
    check_id(id)?;
    if state.images.contains_key(id) {
        return Ok(image_at(state, id, ctx.now));
    }
    if let Some(p) = shared.image(&ctx.region, id).filter(|p| p.launchable_by(ctx.account())) {
        return Ok(p.image_at(ctx.now));
    }
    catalogue::public_images(&ctx.region)
        .into_iter()
        .find(|i| i.image_id.as_deref() == Some(id) && catalogue::visible_to(i, ctx.account()))
        .ok_or_else(|| errors::invalid_amiid_not_found(id))
}

/// The image RunInstances launches from; it must be available.
pub fn for_launch(state: &Ec2State, ctx: &RequestContext, shared: &Shared, id: &str) -> Result<Image, ApiError> {
    let img = find(state, ctx, shared, id)?;
    match img.state.as_deref() {
        Some("available") | None => Ok(img),
        Some(other) => Err(errors::invalid_amiid_unavailable(id, other)),
    }
}

/// Records that an image of the account was launched (its `lastLaunchedTime`).
pub fn launched(state: &mut Ec2State, id: &str, now: DateTime<Utc>) {
    if let Some(r) = state.images.get_mut(id) {
        r.image.last_launched_time = Some(iso(now));
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn deprecated(img: &Image, ctx: &RequestContext) -> bool {
    img.deprecation_time
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| t <= ctx.now)
}

/// Whether `owners` (`self`, `amazon`, `aws-marketplace`, account ids) include the image.
fn owned_by(img: &Image, owners: &[String], ctx: &RequestContext) -> bool {
    owners.is_empty()
        || owners.iter().any(|o| match o.as_str() {
            "self" => img.owner_id.as_deref() == Some(ctx.account()),
            "amazon" | "aws-marketplace" => img.image_owner_alias.as_deref() == Some(o.as_str()),
            id => img.owner_id.as_deref() == Some(id),
        })
}

pub fn describe_images(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DescribeImagesRequest,
) -> Result<DescribeImagesResult, ApiError> {
    let ids = input.image_ids.clone().unwrap_or_default();
    let owners = input.owners.clone().unwrap_or_default();
    let users = input.executable_users.clone().unwrap_or_default();
    let mut found = Vec::new();
    if !ids.is_empty() {
        let mut missing = Vec::new();
        for id in &ids {
            check_id(id)?;
            match find(state, ctx, shared, id) {
                Ok(img) => found.push(img),
                Err(_) => missing.push(id.clone()),
            }
        }
        if !missing.is_empty() {
            return Err(errors::invalid_amiid_not_found(missing.join(", ")));
        }
    } else {
        found.extend(state.images.keys().map(|id| image_at(state, id, ctx.now)));
        found.extend(shared.images_visible_to(&ctx.region, ctx.account()).iter().map(|p| p.image_at(ctx.now)));
        found.extend(
            catalogue::public_images(&ctx.region).into_iter().filter(|i| catalogue::visible_to(i, ctx.account())),
        );
        // Deprecated public images show only on request; an owner always sees its own.
        if input.include_deprecated != Some(true) {
            found.retain(|i| i.owner_id.as_deref() == Some(ctx.account()) || !deprecated(i, ctx));
        }
    }
    found.retain(|i| owned_by(i, &owners, ctx));
    if !users.is_empty() {
        // Who may launch each image: its own launch permissions, or the registry's copy.
        let shared_with = |i: &Image, account: &str| {
            let id = i.image_id.as_deref().unwrap_or_default();
            state.shared_with(i, account)
                || shared.image(&ctx.region, id).is_some_and(|p| p.record.launch_users.iter().any(|u| u == account))
        };
        // `all`: the public images; an account: the images shared with it explicitly (its
        // own too, for the caller's: the owner's implicit permission), not the public ones.
        found.retain(|i| {
            users.iter().any(|u| match u.as_str() {
                "all" => i.public == Some(true),
                "self" => i.owner_id.as_deref() == Some(ctx.account()) || shared_with(i, ctx.account()),
                account if account == ctx.account() => {
                    i.owner_id.as_deref() == Some(account) || shared_with(i, account)
                }
                account => shared_with(i, account),
            })
        });
    }
    if input.include_disabled != Some(true) {
        found.retain(|i| i.state.as_deref() != Some("disabled"));
    }
    let mut items = filtered(found, input.filters.as_deref())?;
    items.sort_by(|a, b| a.image_id.cmp(&b.image_id));
    let (page, next) = paginate(
        items,
        |i| i.image_id.clone().unwrap_or_default(),
        input.max_results,
        input.next_token.as_deref(),
        (1, 1000),
        !ids.is_empty(),
    )?;
    Ok(DescribeImagesResult { images: Some(page), next_token: next })
}

// ----------------------------------------------------------------------------- lifecycle

/// AWS's rule for AMI names: 3 to 128 letters, digits and `()[] ./-'@_`.
fn check_name(name: &str) -> Result<(), ApiError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "()[] ./-'@_".contains(c);
    if (3..=128).contains(&name.chars().count()) && name.chars().all(allowed) {
        Ok(())
    } else {
        Err(errors::invalid_ami_name_malformed())
    }
}

/// Names are unique among the account's images in the region.
fn check_unique(state: &Ec2State, name: &str) -> Result<(), ApiError> {
    match state.images.iter().find(|(_, r)| r.image.name.as_deref() == Some(name)) {
        Some((id, _)) => Err(errors::invalid_ami_name_duplicate(id, name)),
        None => Ok(()),
    }
}

fn check_description(description: Option<&str>) -> Result<(), ApiError> {
    match description {
        Some(d) if d.chars().count() > 255 => {
            Err(errors::invalid_parameter_value("The description of an image must be at most 255 characters long."))
        }
        _ => Ok(()),
    }
}

/// The tags of each resource type an AMI request may tag (`image`, `snapshot`).
fn image_and_snapshot_tags(specs: Option<&[TagSpecification]>, allowed: &[&str]) -> Result<(Tags, Tags), ApiError> {
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
fn create_image_record(
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
fn new_image(ctx: &RequestContext, id: &str, name: &str, description: Option<String>) -> Image {
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
        volumes::check_configuration(&volume_type, size, iops.filter(|_| volume_type != "gp2"), throughput)?;
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
    if let Some(m) =
        input.boot_mode_override.as_deref().filter(|m| !matches!(*m, "legacy-bios" | "uefi" | "uefi-preferred"))
    {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({m}) for parameter bootModeOverride is invalid. Valid values: legacy-bios, uefi, uefi-preferred"
        )));
    }
    let instance = rec.instance.clone();
    let root = instance.root_device_name.clone().unwrap_or_default();
    // The instance's volumes as mappings (snapshot ids filled in below), changed by the request's.
    let attached = volumes::attached_to(state, &input.instance_id);
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
    Ok(CreateImageResult { image_id: Some(id) })
}

fn check_enum(value: Option<&str>, parameter: &str, valid: &[&str]) -> Result<(), ApiError> {
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
            volumes::check_configuration(
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

pub fn copy_image(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CopyImageRequest,
) -> Result<CopyImageResult, ApiError> {
    if !regions::is_known(&input.source_region) {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({}) for parameter sourceRegion is invalid.",
            input.source_region
        )));
    }
    check_id(&input.source_image_id)?;
    // The source: in this region as DescribeImages finds it; in another through the registry.
    let (source, source_tags) = if input.source_region == ctx.region {
        let tags = if state.images.contains_key(&input.source_image_id) {
            state.tag_pairs(&input.source_image_id)
        } else {
            Vec::new()
        };
        (find(state, ctx, shared, &input.source_image_id)?, tags)
    } else {
        match shared.image(&input.source_region, &input.source_image_id).filter(|p| p.launchable_by(ctx.account())) {
            Some(p) => {
                let tags = if p.account == ctx.account() { p.tags.clone() } else { Vec::new() };
                (p.image_at(ctx.now), tags)
            }
            None => catalogue::public_images(&input.source_region)
                .into_iter()
                .find(|i| i.image_id.as_deref() == Some(input.source_image_id.as_str()))
                .map(|i| (i, Vec::new()))
                .ok_or_else(|| errors::invalid_amiid_not_found(&input.source_image_id))?,
        }
    };
    if source.state.as_deref() != Some("available") {
        return Err(errors::invalid_amiid_unavailable(
            &input.source_image_id,
            source.state.as_deref().unwrap_or_default(),
        ));
    }
    check_name(&input.name)?;
    check_unique(state, &input.name)?;
    check_description(input.description.as_deref())?;
    if input.kms_key_id.is_some() && input.encrypted != Some(true) {
        return Err(errors::invalid_parameter_dependency(
            "The parameter KmsKeyId requires the parameter Encrypted to be set.",
        ));
    }
    let (mut image_tags, snapshot_tags) =
        image_and_snapshot_tags(input.tag_specifications.as_deref(), &["image", "snapshot"])?;
    if input.copy_image_tags == Some(true) {
        let mut all = source_tags;
        all.retain(|(k, _)| !image_tags.iter().any(|(k2, _)| k2 == k));
        all.extend(image_tags);
        image_tags = all;
    }
    let id = ids::resource_id("ami");
    let mut mappings = source.block_device_mappings.clone().unwrap_or_default();
    for m in mappings.iter_mut() {
        let Some(ebs) = m.ebs.as_mut() else { continue };
        let Some(source_snapshot) = ebs.snapshot_id.clone() else { continue };
        let encrypted = input.encrypted == Some(true) || ebs.encrypted == Some(true);
        let kms_key_id = match (&input.kms_key_id, encrypted) {
            (Some(k), _) => Some(volumes::kms_key_arn(ctx, k)),
            (None, true) => ebs.kms_key_id.clone().or_else(|| Some(volumes::default_kms_key(ctx))),
            (None, false) => None,
        };
        let new = snapshots::NewSnapshot {
            volume_id: "vol-ffffffff".into(),
            volume_size: ebs.volume_size.unwrap_or(8),
            encrypted,
            kms_key_id: kms_key_id.clone(),
            description: format!(
                "Copied for DestinationAmi {id} from SourceAmi {} for SourceSnapshot {source_snapshot}. Task created on {}.",
                input.source_image_id,
                iso(ctx.now)
            ),
            tags: snapshot_tags.clone(),
        };
        ebs.snapshot_id = Some(snapshots::create_snapshot_record(state, ctx, new));
        ebs.encrypted = Some(encrypted);
        ebs.kms_key_id = kms_key_id;
    }
    let mut image = source.clone();
    let base = new_image(ctx, &id, &input.name, input.description.clone().or(source.description.clone()));
    image.image_id = base.image_id;
    image.name = base.name;
    image.description = base.description;
    image.image_location = base.image_location;
    image.owner_id = base.owner_id;
    image.public = base.public;
    image.state = base.state;
    image.creation_date = base.creation_date;
    image.image_owner_alias = None;
    image.deprecation_time = None;
    image.last_launched_time = None;
    image.deregistration_protection = None;
    image.source_instance_id = None;
    image.tags = None;
    image.source_image_id = Some(input.source_image_id.clone());
    image.source_image_region = Some(input.source_region.clone());
    image.block_device_mappings = Some(mappings);
    let id = create_image_record(state, ctx, image, image_tags);
    Ok(CopyImageResult { image_id: Some(id) })
}

/// One of the account's own images, for the calls only its owner may make. Another
/// account's image that the caller can see is refused as at AWS.
fn own<'a>(state: &'a Ec2State, ctx: &RequestContext, shared: &Shared, id: &str) -> Result<&'a ImageRecord, ApiError> {
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

fn value(v: Option<String>) -> Option<AttributeValue> {
    Some(AttributeValue { value: v })
}

pub fn describe_image_attribute(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DescribeImageAttributeRequest,
) -> Result<ImageAttribute, ApiError> {
    own(state, ctx, shared, &input.image_id)?;
    let rec = &state.images[&input.image_id];
    let img = image_at(state, &input.image_id, ctx.now);
    let mut out = ImageAttribute { image_id: Some(input.image_id.clone()), ..Default::default() };
    match input.attribute.as_str() {
        "description" => out.description = value(img.description),
        "kernel" => out.kernel_id = value(img.kernel_id),
        "ramdisk" => out.ramdisk_id = value(img.ramdisk_id),
        "launchPermission" => {
            let groups =
                rec.launch_groups.iter().map(|g| LaunchPermission { group: Some(g.clone()), ..Default::default() });
            let users =
                rec.launch_users.iter().map(|u| LaunchPermission { user_id: Some(u.clone()), ..Default::default() });
            out.launch_permissions = Some(groups.chain(users).collect());
        }
        "productCodes" => out.product_codes = Some(img.product_codes.unwrap_or_default()),
        "blockDeviceMapping" => out.block_device_mappings = Some(img.block_device_mappings.unwrap_or_default()),
        "sriovNetSupport" => out.sriov_net_support = value(img.sriov_net_support),
        "bootMode" => out.boot_mode = value(img.boot_mode),
        "tpmSupport" => out.tpm_support = value(img.tpm_support),
        "uefiData" => out.uefi_data = value(None),
        "lastLaunchedTime" => out.last_launched_time = value(img.last_launched_time),
        "imdsSupport" => out.imds_support = value(img.imds_support),
        "deregistrationProtection" => {
            out.deregistration_protection =
                value(Some(img.deregistration_protection.unwrap_or_else(|| "disabled".into())))
        }
        other => {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )))
        }
    }
    Ok(out)
}

pub fn modify_image_attribute(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: ModifyImageAttributeRequest,
) -> Result<(), ApiError> {
    own(state, ctx, shared, &input.image_id)?;
    let attribute = input.attribute.clone();
    let (mut add, mut remove) = (Vec::new(), Vec::new());
    if let Some(m) = &input.launch_permission {
        add.extend(m.add.clone().unwrap_or_default());
        remove.extend(m.remove.clone().unwrap_or_default());
    }
    // The old form: Attribute=launchPermission, OperationType, UserIds and UserGroups.
    let listed: Vec<LaunchPermission> = input
        .user_ids
        .iter()
        .flatten()
        .map(|u| LaunchPermission { user_id: Some(u.clone()), ..Default::default() })
        .chain(
            input
                .user_groups
                .iter()
                .flatten()
                .map(|g| LaunchPermission { group: Some(g.clone()), ..Default::default() }),
        )
        .collect();
    if !listed.is_empty() {
        match input.operation_type.as_deref() {
            Some("add") => add.extend(listed),
            Some("remove") => remove.extend(listed),
            Some(other) => {
                return Err(errors::invalid_parameter_value(format!(
                    "Value ({other}) for parameter operationType is invalid. Valid values: add, remove"
                )))
            }
            None => return Err(errors::missing_parameter("OperationType")),
        }
    }
    if input.organization_arns.is_some()
        || input.organizational_unit_arns.is_some()
        || add.iter().chain(&remove).any(|p| p.organization_arn.is_some() || p.organizational_unit_arn.is_some())
    {
        return Err(errors::invalid_parameter_value(
            "Sharing with organizations or organizational units is not supported by nimbus.",
        ));
    }
    for p in add.iter().chain(&remove) {
        if let Some(u) = &p.user_id {
            if !(u.len() == 12 && u.chars().all(|c| c.is_ascii_digit())) {
                return Err(errors::invalid_ami_attribute_item_value("userId", u));
            }
        }
        if let Some(g) = p.group.as_deref().filter(|g| *g != "all") {
            return Err(errors::invalid_ami_attribute_item_value("group", g));
        }
    }
    if input.product_codes.is_some() || attribute.as_deref() == Some("productCodes") {
        return Err(errors::invalid_parameter_value("Product codes cannot be added to this image."));
    }
    let description = input
        .description
        .as_ref()
        .map(|d| d.value.clone().unwrap_or_default())
        .or_else(|| input.value.clone().filter(|_| attribute.as_deref() == Some("description")));
    check_description(description.as_deref())?;
    let imds = input
        .imds_support
        .as_ref()
        .and_then(|v| v.value.clone())
        .or_else(|| input.value.clone().filter(|_| attribute.as_deref() == Some("imdsSupport")));
    check_enum(imds.as_deref(), "imdsSupport", &["v2.0"])?;
    if let Some(a) = attribute.as_deref().filter(|a| !matches!(*a, "launchPermission" | "description" | "imdsSupport"))
    {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({a}) for parameter attribute is invalid. Unknown attribute."
        )));
    }
    if add.is_empty() && remove.is_empty() && description.is_none() && imds.is_none() {
        return Err(errors::missing_parameter("LaunchPermission, Description or ImdsSupport"));
    }
    let rec = state.images.get_mut(&input.image_id).expect("checked above");
    for p in add {
        if let Some(u) = p.user_id.filter(|u| !rec.launch_users.contains(u)) {
            rec.launch_users.push(u);
        }
        if let Some(g) = p.group.filter(|g| !rec.launch_groups.contains(g)) {
            rec.launch_groups.push(g);
        }
    }
    for p in remove {
        rec.launch_users.retain(|u| Some(u) != p.user_id.as_ref());
        rec.launch_groups.retain(|g| Some(g) != p.group.as_ref());
    }
    rec.image.public = Some(rec.launch_groups.iter().any(|g| g == "all"));
    if let Some(d) = description {
        rec.image.description = Some(d);
    }
    if let Some(v) = imds {
        rec.image.imds_support = Some(v);
    }
    state.unpublished.insert(input.image_id);
    Ok(())
}

pub fn reset_image_attribute(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: ResetImageAttributeRequest,
) -> Result<(), ApiError> {
    own(state, ctx, shared, &input.image_id)?;
    if input.attribute != "launchPermission" {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({}) for parameter attribute is invalid. Only launchPermission can be reset.",
            input.attribute
        )));
    }
    let rec = state.images.get_mut(&input.image_id).expect("checked above");
    rec.launch_users.clear();
    rec.launch_groups.clear();
    rec.image.public = Some(false);
    state.unpublished.insert(input.image_id);
    Ok(())
}

pub fn enable_image_deprecation(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: EnableImageDeprecationRequest,
) -> Result<EnableImageDeprecationResult, ApiError> {
    own(state, ctx, shared, &input.image_id)?;
    // AWS keeps the time to the minute (seconds round to the nearest minute).
    let at = input.deprecate_at.0;
    let rounded = at.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(at)
        + if at.second() >= 30 { Duration::minutes(1) } else { Duration::zero() };
    if rounded > ctx.now + Duration::days(365 * 10) {
        return Err(errors::invalid_parameter_value("The deprecation time can be at most 10 years from now."));
    }
    let rec = state.images.get_mut(&input.image_id).expect("checked above");
    rec.image.deprecation_time = Some(iso(rounded));
    state.unpublished.insert(input.image_id);
    Ok(EnableImageDeprecationResult { r#return: Some(true) })
}

pub fn disable_image_deprecation(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DisableImageDeprecationRequest,
) -> Result<DisableImageDeprecationResult, ApiError> {
    own(state, ctx, shared, &input.image_id)?;
    let rec = state.images.get_mut(&input.image_id).expect("checked above");
    rec.image.deprecation_time = None;
    state.unpublished.insert(input.image_id);
    Ok(DisableImageDeprecationResult { r#return: Some(true) })
}

pub fn enable_image_deregistration_protection(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: EnableImageDeregistrationProtectionRequest,
) -> Result<EnableImageDeregistrationProtectionResult, ApiError> {
    own(state, ctx, shared, &input.image_id)?;
    let rec = state.images.get_mut(&input.image_id).expect("checked above");
    let mode = if input.with_cooldown == Some(true) { "enabled-with-cooldown" } else { "enabled" };
    rec.image.deregistration_protection = Some(mode.into());
    rec.protected_until = None;
    state.unpublished.insert(input.image_id);
    Ok(EnableImageDeregistrationProtectionResult { r#return: Some("true".into()) })
}

pub fn disable_image_deregistration_protection(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DisableImageDeregistrationProtectionRequest,
) -> Result<DisableImageDeregistrationProtectionResult, ApiError> {
    own(state, ctx, shared, &input.image_id)?;
    let rec = state.images.get_mut(&input.image_id).expect("checked above");
    if rec.image.deregistration_protection.as_deref() == Some("enabled-with-cooldown") {
        rec.protected_until = Some(ctx.now + PROTECTION_COOLDOWN);
    }
    rec.image.deregistration_protection = Some("disabled".into());
    state.unpublished.insert(input.image_id);
    Ok(DisableImageDeregistrationProtectionResult { r#return: Some("true".into()) })
}

impl Filterable for Image {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        let b = |v: Option<bool>| v.map(|x| vec![x.to_string()]).unwrap_or_default();
        let bdm = self.block_device_mappings.iter().flatten();
        Some(match name {
            "architecture" => opt(&self.architecture),
            "block-device-mapping.delete-on-termination" => {
                bdm.filter_map(|m| m.ebs.as_ref()?.delete_on_termination.map(|d| d.to_string())).collect()
            }
            "block-device-mapping.device-name" => bdm.filter_map(|m| m.device_name.clone()).collect(),
            "block-device-mapping.snapshot-id" => bdm.filter_map(|m| m.ebs.as_ref()?.snapshot_id.clone()).collect(),
            "block-device-mapping.volume-size" => {
                bdm.filter_map(|m| m.ebs.as_ref()?.volume_size.map(|s| s.to_string())).collect()
            }
            "block-device-mapping.volume-type" => bdm.filter_map(|m| m.ebs.as_ref()?.volume_type.clone()).collect(),
            "block-device-mapping.encrypted" => {
                bdm.filter_map(|m| m.ebs.as_ref()?.encrypted.map(|e| e.to_string())).collect()
            }
            "creation-date" => opt(&self.creation_date),
            "description" => opt(&self.description),
            "ena-support" => b(self.ena_support),
            "hypervisor" => opt(&self.hypervisor),
            "image-allowed" => b(self.image_allowed),
            "image-id" => opt(&self.image_id),
            "image-type" => opt(&self.image_type),
            "is-public" => b(self.public),
            "kernel-id" => opt(&self.kernel_id),
            "manifest-location" => opt(&self.image_location),
            "name" => opt(&self.name),
            "owner-alias" => opt(&self.image_owner_alias),
            "owner-id" => opt(&self.owner_id),
            "platform" => opt(&self.platform),
            "platform-details" => opt(&self.platform_details),
            "product-code" => self.product_codes.iter().flatten().filter_map(|p| p.product_code_id.clone()).collect(),
            "product-code.type" => {
                self.product_codes.iter().flatten().filter_map(|p| p.product_code_type.clone()).collect()
            }
            "ramdisk-id" => opt(&self.ramdisk_id),
            "root-device-name" => opt(&self.root_device_name),
            "root-device-type" => opt(&self.root_device_type),
            "source-image-id" => opt(&self.source_image_id),
            "source-image-region" => opt(&self.source_image_region),
            "source-instance-id" => opt(&self.source_instance_id),
            "state" => opt(&self.state),
            "state-reason-code" => self.state_reason.as_ref().and_then(|r| r.code.clone()).into_iter().collect(),
            "state-reason-message" => self.state_reason.as_ref().and_then(|r| r.message.clone()).into_iter().collect(),
            "sriov-net-support" => opt(&self.sriov_net_support),
            "usage-operation" => opt(&self.usage_operation),
            "virtualization-type" => opt(&self.virtualization_type),
            "boot-mode" => opt(&self.boot_mode),
            "imds-support" => opt(&self.imds_support),
            "free-tier-eligible" => b(self.free_tier_eligible),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::generated::dto::Filter;
    use crate::testing::{al2023, call, later, launch, refused, str_at, with_delay};
    use crate::Ec2;

    fn other_account(ctx: &RequestContext) -> RequestContext {
        let mut c = ctx.clone();
        c.caller.account = "111111111111".into();
        c
    }

    fn in_region(ctx: &RequestContext, region: &str) -> RequestContext {
        let mut c = ctx.clone();
        c.region = region.into();
        c
    }

    fn image(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
        call(ec2, ctx, "DescribeImages", json!({"ImageIds": [id]}))["Images"][0].clone()
    }

    fn count(v: &Value, key: &str) -> usize {
        v[key].as_array().map_or(0, Vec::len)
    }

    #[test]
    fn create_image_from_an_instance_then_launch_it() {
        let ec2 = with_delay(20);
        let ctx = RequestContext::for_tests();
        let public = al2023(&ec2, &ctx);
        let bdm = json!([{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 4, "VolumeType": "gp3"}}]);
        let (instance, _) = launch(&ec2, &ctx, &public, json!({"BlockDeviceMappings": bdm}));
        assert_eq!(
            refused(&ec2, &ctx, "CreateImage", json!({"InstanceId": instance, "Name": "web"})),
            "IncorrectInstanceState",
            "a pending instance"
        );
        let t = later(&ctx, 20);
        let tags = json!([
            {"ResourceType": "image", "Tags": [{"Key": "app", "Value": "web"}]},
            {"ResourceType": "snapshot", "Tags": [{"Key": "of", "Value": "web"}]},
        ]);
        assert_eq!(
            refused(&ec2, &t, "CreateImage", json!({"InstanceId": instance, "Name": "x"})),
            "InvalidAMIName.Malformed"
        );
        assert_eq!(
            refused(
                &ec2,
                &t,
                "CreateImage",
                json!({"InstanceId": instance, "Name": "web", "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "NoDevice": ""}]})
            ),
            "InvalidBlockDeviceMapping"
        );
        let nothing = call(&ec2, &t, "DescribeSnapshots", json!({"OwnerIds": ["self"]}));
        assert_eq!(count(&nothing, "Snapshots"), 0, "refused requests made no snapshots");
        let out = call(
            &ec2,
            &t,
            "CreateImage",
            json!({"InstanceId": instance, "Name": "web", "Description": "web server", "TagSpecifications": tags}),
        );
        let id = str_at(&out, "/ImageId");
        assert_eq!(
            refused(&ec2, &t, "CreateImage", json!({"InstanceId": instance, "Name": "web"})),
            "InvalidAMIName.Duplicate"
        );
        let img = image(&ec2, &t, &id);
        assert_eq!(img["State"], "pending");
        assert_eq!(img["ImageLocation"], "000000000000/web");
        assert_eq!(img["OwnerId"], "000000000000");
        assert_eq!(img["Public"], false);
        assert_eq!(img["PlatformDetails"], "Linux/UNIX");
        assert_eq!(img["UsageOperation"], "RunInstances");
        assert_eq!(img["RootDeviceName"], "/dev/xvda");
        assert_eq!(img["RootDeviceType"], "ebs");
        assert_eq!(img["ImageType"], "machine");
        assert_eq!(img["SourceInstanceId"], instance.as_str());
        assert_eq!(img["Tags"][0]["Key"], "app");
        let created = img["CreationDate"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(created).is_ok() && created.ends_with('Z') && created.len() == 24);
        let mappings = img["BlockDeviceMappings"].as_array().unwrap();
        assert_eq!(mappings.len(), 2);
        let data = mappings.iter().find(|m| m["DeviceName"] == "/dev/sdf").unwrap();
        assert_eq!((data["Ebs"]["VolumeSize"].clone(), data["Ebs"]["VolumeType"].clone()), (json!(4), json!("gp3")));
        let snaps: Vec<String> = mappings.iter().map(|m| str_at(m, "/Ebs/SnapshotId")).collect();
        let s = call(&ec2, &t, "DescribeSnapshots", json!({"SnapshotIds": snaps}));
        assert_eq!(count(&s, "Snapshots"), 2);
        assert!(s["Snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["State"] == "pending" && s["Tags"][0]["Key"] == "of"));
        assert_eq!(
            refused(&ec2, &t, "RunInstances", json!({"ImageId": id, "MinCount": 1, "MaxCount": 1})),
            "InvalidAMIID.Unavailable"
        );
        assert_eq!(refused(&ec2, &t, "DeleteSnapshot", json!({"SnapshotId": snaps[0]})), "InvalidSnapshot.InUse");
        let t = later(&ctx, 40);
        assert_eq!(image(&ec2, &t, &id)["State"], "available");
        let s = call(&ec2, &t, "DescribeSnapshots", json!({"SnapshotIds": snaps}));
        assert!(s["Snapshots"].as_array().unwrap().iter().all(|s| s["State"] == "completed"));
        let (copy, _) = launch(&ec2, &t, &id, json!({}));
        let vols = call(
            &ec2,
            &t,
            "DescribeVolumes",
            json!({"Filters": [{"Name": "attachment.instance-id", "Values": [copy]}]}),
        );
        let mut from: Vec<String> =
            vols["Volumes"].as_array().unwrap().iter().map(|v| str_at(v, "/SnapshotId")).collect();
        from.sort();
        let mut expected = snaps.clone();
        expected.sort();
        assert_eq!(from, expected, "the new instance's volumes come from the image's snapshots");
        assert!(image(&ec2, &t, &id)["LastLaunchedTime"].is_string());
    }

    #[test]
    fn launch_permissions_share_an_image_with_another_account() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let other = other_account(&ctx);
        let (instance, _) = launch(&ec2, &ctx, &al2023(&ec2, &ctx), json!({}));
        let id =
            str_at(&call(&ec2, &ctx, "CreateImage", json!({"InstanceId": instance, "Name": "shared"})), "/ImageId");
        assert_eq!(refused(&ec2, &other, "DescribeImages", json!({"ImageIds": [id]})), "InvalidAMIID.NotFound");
        let bad = json!({"ImageId": id, "LaunchPermission": {"Add": [{"UserId": "abc"}]}});
        assert_eq!(refused(&ec2, &ctx, "ModifyImageAttribute", bad), "InvalidAMIAttributeItemValue");
        let add = json!({"ImageId": id, "LaunchPermission": {"Add": [{"UserId": "111111111111"}]}});
        call(&ec2, &ctx, "ModifyImageAttribute", add);
        let attr = call(&ec2, &ctx, "DescribeImageAttribute", json!({"ImageId": id, "Attribute": "launchPermission"}));
        assert_eq!(attr["LaunchPermissions"], json!([{"UserId": "111111111111"}]));
        let seen = call(&ec2, &other, "DescribeImages", json!({"ExecutableUsers": ["self"]}));
        let ids: Vec<String> = seen["Images"].as_array().unwrap().iter().map(|i| str_at(i, "/ImageId")).collect();
        assert!(ids.contains(&id), "{ids:?}");
        let img = image(&ec2, &other, &id);
        assert_eq!((img["OwnerId"].clone(), img["State"].clone()), (json!("000000000000"), json!("available")));
        assert_eq!(count(&img, "Tags"), 0);
        let (launched, _) = launch(&ec2, &other, &id, json!({}));
        assert!(launched.starts_with("i-"));
        let by_owner = call(&ec2, &ctx, "DescribeImages", json!({"ExecutableUsers": ["111111111111"]}));
        assert_eq!(count(&by_owner, "Images"), 1);
        assert_eq!(
            refused(&ec2, &other, "ModifyImageAttribute", json!({"ImageId": id, "Description": {"Value": "mine"}})),
            "AuthFailure"
        );
        assert_eq!(refused(&ec2, &other, "DeregisterImage", json!({"ImageId": id})), "AuthFailure");
        call(&ec2, &ctx, "ResetImageAttribute", json!({"ImageId": id, "Attribute": "launchPermission"}));
        assert_eq!(refused(&ec2, &other, "DescribeImages", json!({"ImageIds": [id]})), "InvalidAMIID.NotFound");
        let seen =
            call(&ec2, &other, "DescribeImages", json!({"ExecutableUsers": ["self"], "Owners": ["000000000000"]}));
        assert_eq!(count(&seen, "Images"), 0);
        // Public.
        let public = json!({"ImageId": id, "LaunchPermission": {"Add": [{"Group": "all"}]}});
        call(&ec2, &ctx, "ModifyImageAttribute", public);
        assert_eq!(image(&ec2, &ctx, &id)["Public"], true);
        assert_eq!(image(&ec2, &other, &id)["Public"], true);
    }

    #[test]
    fn copy_image_to_another_region() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let eu = in_region(&ctx, "eu-west-1");
        let (instance, _) = launch(&ec2, &ctx, &al2023(&ec2, &ctx), json!({}));
        let tags = json!([{"ResourceType": "image", "Tags": [{"Key": "app", "Value": "web"}]}]);
        let id =
            call(&ec2, &ctx, "CreateImage", json!({"InstanceId": instance, "Name": "web", "TagSpecifications": tags}));
        let id = str_at(&id, "/ImageId");
        let req = |extra: Value| {
            let mut i = json!({"SourceImageId": id, "SourceRegion": "us-east-1", "Name": "web-eu"});
            for (k, v) in extra.as_object().unwrap() {
                i[k] = v.clone();
            }
            i
        };
        assert_eq!(
            refused(
                &ec2,
                &eu,
                "CopyImage",
                json!({"SourceImageId": "ami-0123456789abcdef0", "SourceRegion": "us-east-1", "Name": "x-y"})
            ),
            "InvalidAMIID.NotFound"
        );
        assert_eq!(refused(&ec2, &other_account(&eu), "CopyImage", req(json!({}))), "InvalidAMIID.NotFound");
        let copy = str_at(&call(&ec2, &eu, "CopyImage", req(json!({"CopyImageTags": true}))), "/ImageId");
        assert_ne!(copy, id);
        let img = image(&ec2, &eu, &copy);
        assert_eq!(img["Name"], "web-eu");
        assert_eq!(img["SourceImageId"], id.as_str());
        assert_eq!(img["SourceImageRegion"], "us-east-1");
        assert_eq!(img["ImageLocation"], "000000000000/web-eu");
        assert_eq!(img["Tags"][0]["Key"], "app");
        let snap = str_at(&img, "/BlockDeviceMappings/0/Ebs/SnapshotId");
        assert_eq!(count(&call(&ec2, &eu, "DescribeSnapshots", json!({"SnapshotIds": [snap]})), "Snapshots"), 1);
        assert_eq!(refused(&ec2, &ctx, "DescribeImages", json!({"ImageIds": [copy]})), "InvalidAMIID.NotFound");
        assert_eq!(refused(&ec2, &eu, "DescribeImages", json!({"ImageIds": [id]})), "InvalidAMIID.NotFound");
        assert_eq!(refused(&ec2, &eu, "CopyImage", req(json!({"Name": "web-eu"}))), "InvalidAMIName.Duplicate");
        let (launched, _) = launch(&ec2, &eu, &copy, json!({}));
        assert!(launched.starts_with("i-"));
    }

    #[test]
    fn register_deregister_and_protection() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let vol = call(&ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1a", "Size": 8}));
        let snap = call(&ec2, &ctx, "CreateSnapshot", json!({"VolumeId": vol["VolumeId"]}));
        let snap = str_at(&snap, "/SnapshotId");
        let reg = |name: &str, bdm: Value| json!({"Name": name, "RootDeviceName": "/dev/xvda", "BlockDeviceMappings": bdm, "VirtualizationType": "hvm", "Architecture": "x86_64"});
        let root = json!([{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap, "VolumeSize": 10}}]);
        assert_eq!(
            refused(
                &ec2,
                &ctx,
                "RegisterImage",
                reg("a-b", json!([{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap, "VolumeSize": 4}}]))
            ),
            "InvalidBlockDeviceMapping"
        );
        assert_eq!(
            refused(
                &ec2,
                &ctx,
                "RegisterImage",
                reg("a-b", json!([{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-0123456789abcdef0"}}]))
            ),
            "InvalidSnapshot.NotFound"
        );
        assert_eq!(
            refused(
                &ec2,
                &ctx,
                "RegisterImage",
                reg("a-b", json!([{"DeviceName": "/dev/sdf", "Ebs": {"SnapshotId": snap}}]))
            ),
            "InvalidBlockDeviceMapping",
            "the root device must be mapped"
        );
        let id = str_at(&call(&ec2, &ctx, "RegisterImage", reg("registered", root)), "/ImageId");
        let img = image(&ec2, &ctx, &id);
        assert_eq!(img["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"], 10);
        assert_eq!(img["BlockDeviceMappings"][0]["Ebs"]["DeleteOnTermination"], true);
        assert_eq!(img["VirtualizationType"], "hvm");
        call(&ec2, &ctx, "EnableImageDeregistrationProtection", json!({"ImageId": id}));
        assert_eq!(refused(&ec2, &ctx, "DeregisterImage", json!({"ImageId": id})), "OperationNotPermitted");
        let attr =
            call(&ec2, &ctx, "DescribeImageAttribute", json!({"ImageId": id, "Attribute": "deregistrationProtection"}));
        assert_eq!(attr["DeregistrationProtection"]["Value"], "enabled");
        call(&ec2, &ctx, "DisableImageDeregistrationProtection", json!({"ImageId": id}));
        let out = call(&ec2, &ctx, "DeregisterImage", json!({"ImageId": id, "DeleteAssociatedSnapshots": true}));
        assert_eq!(out["DeleteSnapshotResults"][0]["ReturnCode"], "success");
        assert_eq!(refused(&ec2, &ctx, "DescribeImages", json!({"ImageIds": [id]})), "InvalidAMIID.NotFound");
        assert_eq!(refused(&ec2, &ctx, "DeregisterImage", json!({"ImageId": id})), "InvalidAMIID.NotFound");
        assert_eq!(refused(&ec2, &ctx, "DeregisterImage", json!({"ImageId": "image-1"})), "InvalidAMIID.Malformed");
        assert_eq!(
            refused(&ec2, &ctx, "DescribeSnapshots", json!({"SnapshotIds": [snap]})),
            "InvalidSnapshot.NotFound"
        );
    }

    #[test]
    fn deprecation_hides_an_image_from_others_only() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let other = other_account(&ctx);
        let (instance, _) = launch(&ec2, &ctx, &al2023(&ec2, &ctx), json!({}));
        let id = str_at(&call(&ec2, &ctx, "CreateImage", json!({"InstanceId": instance, "Name": "old"})), "/ImageId");
        call(
            &ec2,
            &ctx,
            "ModifyImageAttribute",
            json!({"ImageId": id, "LaunchPermission": {"Add": [{"Group": "all"}]}}),
        );
        let at = (ctx.now + Duration::minutes(10)).timestamp();
        call(&ec2, &ctx, "EnableImageDeprecation", json!({"ImageId": id, "DeprecateAt": at}));
        let t = later(&ctx, 3600);
        let listed = |c: &RequestContext, extra: bool| {
            let out = call(&ec2, c, "DescribeImages", json!({"Owners": ["000000000000"], "IncludeDeprecated": extra}));
            count(&out, "Images")
        };
        assert_eq!((listed(&t, false), listed(&later(&other, 3600), false)), (1, 0));
        assert_eq!(listed(&later(&other, 3600), true), 1);
        assert!(image(&ec2, &later(&other, 3600), &id)["DeprecationTime"].is_string());
    }

    fn f(name: &str, values: &[&str]) -> Filter {
        Filter { name: Some(name.into()), values: Some(values.iter().map(|v| v.to_string()).collect()) }
    }

    #[test]
    fn most_recent_al2023_by_name_filter() {
        let state = Ec2State::default();
        let ctx = RequestContext::for_tests();
        let out = describe_images(
            &state,
            &ctx,
            &Shared::default(),
            DescribeImagesRequest {
                owners: Some(vec!["amazon".into()]),
                filters: Some(vec![f("name", &["al2023-ami-2023.*-x86_64"]), f("architecture", &["x86_64"])]),
                ..Default::default()
            },
        )
        .unwrap();
        let images = out.images.unwrap();
        assert!(!images.is_empty(), "a current AL2023 image");
        assert!(images.iter().all(|i| i.name.as_deref().unwrap().starts_with("al2023-ami-2023.")));
        assert!(images.iter().all(|i| !deprecated(i, &ctx)));
    }

    #[test]
    fn unknown_and_malformed_ids() {
        let state = Ec2State::default();
        let ctx = RequestContext::for_tests();
        let req = |id: &str| DescribeImagesRequest { image_ids: Some(vec![id.into()]), ..Default::default() };
        assert_eq!(
            describe_images(&state, &ctx, &Shared::default(), req("ami-0123456789abcdef0")).unwrap_err().code,
            "InvalidAMIID.NotFound"
        );
        assert_eq!(
            describe_images(&state, &ctx, &Shared::default(), req("image-1")).unwrap_err().code,
            "InvalidAMIID.Malformed"
        );
        let first = catalogue::public_images(&ctx.region)[0].image_id.clone().unwrap();
        assert_eq!(describe_images(&state, &ctx, &Shared::default(), req(&first)).unwrap().images.unwrap().len(), 1);
    }
}
