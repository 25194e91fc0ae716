//! CreateVolume and DeleteVolume, and the checks of a volume's configuration.

use nimbus_core::{regions, ApiError, RequestContext};

use crate::ebs::snapshots;
use crate::ebs::volumes::describe::get;
use crate::ebs::volumes::lifecycle::volume_at;
use crate::ebs::volumes::records::{
    create_volume_record, remove_volume, NewVolume, Provisioned, GP3_THROUGHPUT, GP3_THROUGHPUT_PER_IOPS, TYPES,
};
use crate::generated::dto::{CreateVolumeRequest, DeleteVolumeRequest, Volume};
use crate::generated::enums;
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::params::one_of;
use crate::state::shared::Shared;
use crate::state::support::spec_tags;
use crate::state::Ec2State;

// ----------------------------------------------------------------------------- checks

pub fn type_limits(volume_type: &str) -> Result<(i32, i32, Option<Provisioned>), ApiError> {
    one_of("volumeType", volume_type, enums::VOLUME_TYPE)?;
    TYPES
        .iter()
        .find(|(t, ..)| *t == volume_type)
        .map(|(_, min, max, iops)| (*min, *max, *iops))
        .ok_or_else(|| invalid_value("volumeType", volume_type, ""))
}

/// Checks a volume's size and performance against its type's limits, as AWS does at
/// creation and modification.
pub fn check_configuration(
    volume_type: &str,
    size: i32,
    iops: Option<i32>,
    throughput: Option<i32>,
) -> Result<(), ApiError> {
    let (min, max, provisioned) = type_limits(volume_type)?;
    if size < min {
        return Err(errors::invalid_parameter_value(format!(
            "The volume size is invalid for {volume_type} volumes: {size} GiB. {volume_type} volumes must be at least {min} GiB in size. Please specify a volume size above the minimum limit."
        )));
    }
    if size > max {
        return Err(errors::invalid_parameter_value(format!(
            "Volume of {size}GiB is too large for volume type {volume_type}; maximum is {max}GiB"
        )));
    }
    match (provisioned, iops) {
        (None, Some(_)) => {
            return Err(errors::invalid_parameter_combination(format!(
                "The parameter iops is not supported for {volume_type} volumes."
            )))
        }
        (Some(_), None) if volume_type != "gp3" => return Err(errors::missing_parameter("iops")),
        (Some((low, high, per_gib)), Some(iops)) => {
            if iops < low {
                return Err(errors::invalid_parameter_value(format!(
                    "Volume iops of {iops} is too low; minimum is {low}."
                )));
            }
            if iops > high {
                return Err(errors::invalid_parameter_value(format!(
                    "Volume iops of {iops} is too high; maximum is {high}."
                )));
            }
            let ratio = f64::from(iops) / f64::from(size.max(1));
            if ratio > f64::from(per_gib) && iops > low {
                return Err(errors::invalid_parameter_value(format!(
                    "Iops to volume size ratio of {ratio:.6} is too high; maximum is {per_gib}"
                )));
            }
        }
        _ => {}
    }
    if let Some(t) = throughput {
        if volume_type != "gp3" {
            return Err(errors::invalid_parameter_combination(format!(
                "The parameter throughput is not supported for {volume_type} volumes."
            )));
        }
        let (low, high) = GP3_THROUGHPUT;
        if t < low || t > high {
            return Err(errors::invalid_parameter_value(format!(
                "Throughput ({t}) is invalid. Throughput must be between {low} and {high} MiB/s."
            )));
        }
        let iops = iops.unwrap_or(3000);
        if f64::from(t) > f64::from(iops) * GP3_THROUGHPUT_PER_IOPS && t > low {
            return Err(errors::invalid_parameter_value(format!(
                "Throughput ({t}) is too high for the provisioned IOPS ({iops}); the maximum is {} MiB/s.",
                (f64::from(iops) * GP3_THROUGHPUT_PER_IOPS) as i32
            )));
        }
    }
    Ok(())
}

/// Whether `device` is a name AWS accepts for an EBS volume (`/dev/sdf`, `/dev/xvdf`,
/// `xvdba`, `/dev/sda1`, ...).
pub fn valid_device_name(device: &str) -> bool {
    let name = device.strip_prefix("/dev/").unwrap_or(device);
    let rest = ["xvd", "sd", "hd"].iter().find_map(|p| name.strip_prefix(p));
    let Some(rest) = rest else { return false };
    let letters = rest.chars().take_while(|c| c.is_ascii_lowercase()).count();
    let digits = &rest[letters..];
    (1..=2).contains(&letters) && digits.chars().all(|c| c.is_ascii_digit()) && digits.len() <= 2
}

/// The zone named by AvailabilityZone or AvailabilityZoneId: (name, id).
fn resolve_zone(ctx: &RequestContext, name: Option<&str>, id: Option<&str>) -> Result<(String, String), ApiError> {
    let zones = regions::availability_zones(&ctx.region);
    let found = match (name, id) {
        (Some(_), Some(_)) => {
            return Err(errors::invalid_parameter_combination(
                "Only one of availabilityZone or availabilityZoneId may be specified",
            ))
        }
        (Some(n), None) => zones.iter().find(|z| z.zone_name == n).ok_or_else(|| errors::invalid_zone_not_found(n)),
        (None, Some(i)) => zones.iter().find(|z| z.zone_id == i).ok_or_else(|| errors::invalid_zone_not_found(i)),
        (None, None) => Err(errors::missing_parameter("AvailabilityZone")),
    }?;
    Ok((found.zone_name.clone(), found.zone_id.clone()))
}

// ----------------------------------------------------------------------------- handlers

pub fn create_volume(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CreateVolumeRequest,
) -> Result<Volume, ApiError> {
    let (zone, zone_id) = resolve_zone(ctx, input.availability_zone.as_deref(), input.availability_zone_id.as_deref())?;
    if input.outpost_arn.is_some() {
        return Err(errors::invalid_parameter_value("Outposts are not supported by nimbus."));
    }
    let snapshot = match input.snapshot_id.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => Some(snapshots::find(state, ctx, shared, id)?),
        None => None,
    };
    let snapshot_size = snapshot.as_ref().and_then(|s| s.volume_size);
    let size = match (input.size, snapshot_size) {
        (Some(size), Some(min)) if size < min => {
            return Err(errors::invalid_parameter_value(format!(
                "Volume of size {size}GB is smaller than snapshot '{}', expect size >= {min}GB",
                input.snapshot_id.clone().unwrap_or_default()
            )))
        }
        (Some(size), _) => size,
        (None, Some(min)) => min,
        (None, None) => return Err(errors::missing_parameter("size or snapshotId")),
    };
    let volume_type = input.volume_type.clone().unwrap_or_else(|| "gp2".into());
    check_configuration(&volume_type, size, input.iops, input.throughput)?;
    let multi_attach = input.multi_attach_enabled.unwrap_or(false);
    if multi_attach && !matches!(volume_type.as_str(), "io1" | "io2") {
        return Err(errors::invalid_parameter_combination(format!(
            "The parameter multiAttachEnabled is not supported for {volume_type} volumes."
        )));
    }
    if input.kms_key_id.is_some()
        && input.encrypted != Some(true)
        && snapshot.as_ref().is_none_or(|s| s.encrypted != Some(true))
    {
        return Err(errors::invalid_parameter_dependency(
            "The parameter KmsKeyId requires the parameter Encrypted to be set.",
        ));
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "volume")?;
    // A volume of an encrypted snapshot is encrypted, with the snapshot's key unless another is named.
    let from_encrypted = snapshot.as_ref().is_some_and(|s| s.encrypted == Some(true));
    let encrypted = input.encrypted.unwrap_or(false) || from_encrypted;
    let kms_key_id = input
        .kms_key_id
        .clone()
        .or_else(|| snapshot.as_ref().filter(|_| from_encrypted).and_then(|s| s.kms_key_id.clone()));
    let id = create_volume_record(
        state,
        ctx,
        NewVolume {
            availability_zone: zone,
            availability_zone_id: zone_id,
            size_gib: size,
            volume_type,
            iops: input.iops,
            throughput: input.throughput,
            encrypted,
            kms_key_id,
            snapshot_id: input.snapshot_id.clone().filter(|s| !s.is_empty()),
            multi_attach,
        },
    );
    if let Some(v) = state.volumes.get_mut(&id) {
        v.state = Some("creating".into());
    }
    state.index.volume(&id);
    state.timestamps.insert(id.clone(), ctx.now);
    state.set_tags(&id, tags);
    let mut shown = state.volumes[&id].clone();
    shown.tags = state.dto_tags_if_any(&id);
    Ok(shown)
}

pub fn delete_volume(state: &mut Ec2State, ctx: &RequestContext, input: DeleteVolumeRequest) -> Result<(), ApiError> {
    get(state, &input.volume_id)?;
    let v = volume_at(state, &input.volume_id, ctx.now);
    if let Some(a) = v.attachments.iter().flatten().next() {
        return Err(errors::volume_in_use(format!(
            "Volume {} is currently attached to {}",
            input.volume_id,
            a.instance_id.as_deref().unwrap_or_default()
        )));
    }
    remove_volume(state, &input.volume_id);
    Ok(())
}
