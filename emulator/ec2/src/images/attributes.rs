//! Image attributes and launch permissions, deprecation, deregistration protection.

use chrono::{Duration, Timelike};
use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    AttributeValue, DescribeImageAttributeRequest, DisableImageDeprecationRequest, DisableImageDeprecationResult,
    DisableImageDeregistrationProtectionRequest, DisableImageDeregistrationProtectionResult,
    EnableImageDeprecationRequest, EnableImageDeprecationResult, EnableImageDeregistrationProtectionRequest,
    EnableImageDeregistrationProtectionResult, ImageAttribute, LaunchPermission, ModifyImageAttributeRequest,
    ResetImageAttributeRequest,
};
use crate::generated::errors;
use crate::images::lookup::{image_at, iso, PROTECTION_COOLDOWN};
use crate::images::register::{check_description, check_enum, own};
use crate::state::params::invalid_value;
use crate::state::shared::Shared;
use crate::state::Ec2State;

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
        other => return Err(invalid_value("attribute", other, "Unknown attribute.")),
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
            Some(other) => return Err(invalid_value("operationType", other, "Valid values: add, remove")),
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
        return Err(invalid_value("attribute", a, "Unknown attribute."));
    }
    if add.is_empty() && remove.is_empty() && description.is_none() && imds.is_none() {
        return Err(errors::missing_parameter("LaunchPermission, Description or ImdsSupport"));
    }
    if add.iter().any(|p| p.group.as_deref() == Some("all")) {
        crate::state::account::check_image_may_go_public(state, &input.image_id)?;
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
