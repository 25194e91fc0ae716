//! EBS volumes: CreateVolume, DeleteVolume, Attach/DetachVolume, ModifyVolume and its
//! modifications, the volume attributes and status, DescribeVolumes; and the volumes
//! instances launch with (from the image's block-device mapping and the request's),
//! their attachments, DeleteOnTermination.
//!
//! Lifecycles run on nimbus's clock, as NAT gateways' do: a volume is stored `creating`,
//! an attachment `attaching` or `detaching`, a modification `modifying`, each dated in
//! `Ec2State::timestamps`; what is shown is computed (`shown`), and `settle` writes it
//! back before each request. With `transition_delay_secs` at 0 only the changing call's
//! answer shows the transitional state.

use chrono::{DateTime, Duration, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, regions, ApiError, RequestContext};

use crate::ebs::snapshots;
use crate::generated::dto::{
    AttachVolumeRequest, CreateVolumeRequest, DeleteVolumeRequest, DescribeVolumeAttributeRequest,
    DescribeVolumeAttributeResult, DescribeVolumeStatusRequest, DescribeVolumeStatusResult,
    DescribeVolumesModificationsRequest, DescribeVolumesModificationsResult, DescribeVolumesRequest,
    DescribeVolumesResult, DetachVolumeRequest, ModifyVolumeAttributeRequest, ModifyVolumeRequest, ModifyVolumeResult,
    Volume, VolumeAttachment, VolumeModification, VolumeStatusAttachmentStatus, VolumeStatusDetails, VolumeStatusInfo,
    VolumeStatusItem,
};
use crate::generated::errors;
use crate::state::lifecycle::InstanceStateName;
use crate::state::shared::Shared;
use crate::state::support::tag_pairs;
use crate::state::support::{bool_value, filtered, paginate, spec_tags};
use crate::state::Ec2State;

/// Provisioned IOPS: minimum, maximum, maximum per GiB.
type Provisioned = (i32, i32, i32);

/// The volume types, with their sizes (GiB) and provisioned IOPS: (type, min size, max
/// size, IOPS range and maximum IOPS per GiB when IOPS are provisioned). AWS's EBS volume
/// types page; gp3 as extended in September 2025 (64 TiB, 80,000 IOPS, 2,000 MiB/s).
const TYPES: &[(&str, i32, i32, Option<Provisioned>)] = &[
    ("gp2", 1, 16_384, None),
    ("gp3", 1, 65_536, Some((3_000, 80_000, 500))),
    ("io1", 4, 16_384, Some((100, 64_000, 50))),
    ("io2", 4, 65_536, Some((100, 256_000, 1_000))),
    ("st1", 125, 16_384, None),
    ("sc1", 125, 16_384, None),
    ("standard", 1, 1_024, None),
];
/// gp3 throughput (MiB/s), and its maximum per provisioned IOPS.
const GP3_THROUGHPUT: (i32, i32) = (125, 2_000);
const GP3_THROUGHPUT_PER_IOPS: f64 = 0.25;
/// How many instances one Multi-Attach volume may be attached to.
const MAX_MULTI_ATTACH: usize = 16;
/// How long after a modification the next one is refused (AWS's Elastic Volumes limit).
const MODIFICATION_INTERVAL: Duration = Duration::hours(6);

/// What a new volume is made of.
#[derive(Debug, Clone, Default)]
pub struct NewVolume {
    pub availability_zone: String,
    pub availability_zone_id: String,
    pub size_gib: i32,
    pub volume_type: String,
    pub iops: Option<i32>,
    pub throughput: Option<i32>,
    pub encrypted: bool,
    pub kms_key_id: Option<String>,
    pub snapshot_id: Option<String>,
    pub multi_attach: bool,
}

/// The performance AWS gives a volume type when the request names none.
pub fn default_performance(volume_type: &str, size_gib: i32) -> (Option<i32>, Option<i32>) {
    match volume_type {
        "gp3" => (Some(3000), Some(125)),
        // gp2: 3 IOPS per GiB, at least 100, at most 16,000.
        "gp2" => (Some((size_gib.saturating_mul(3)).clamp(100, 16_000)), None),
        "io1" | "io2" => (Some(100), None),
        _ => (None, None),
    }
}

/// The ARN of the AWS managed key for EBS, which encrypts volumes no key is named for.
pub fn default_kms_key(ctx: &RequestContext) -> String {
    format!("arn:aws:kms:{}:{}:alias/aws/ebs", ctx.region, ctx.account())
}

/// A KMS key as given (key id, alias, key or alias ARN), as the ARN AWS records.
pub fn kms_key_arn(ctx: &RequestContext, key: &str) -> String {
    if key.starts_with("arn:") {
        key.to_string()
    } else if key.starts_with("alias/") {
        format!("arn:aws:kms:{}:{}:{key}", ctx.region, ctx.account())
    } else {
        format!("arn:aws:kms:{}:{}:key/{key}", ctx.region, ctx.account())
    }
}

pub fn create_volume_record(state: &mut Ec2State, ctx: &RequestContext, new: NewVolume) -> String {
    let id = ids::resource_id("vol");
    let (default_iops, default_throughput) = default_performance(&new.volume_type, new.size_gib);
    let kms_key_id = match (new.encrypted, new.kms_key_id) {
        (true, Some(key)) => Some(kms_key_arn(ctx, &key)),
        (true, None) => Some(default_kms_key(ctx)),
        (false, _) => None,
    };
    let volume = Volume {
        availability_zone_id: Some(new.availability_zone_id),
        iops: new.iops.or(default_iops),
        volume_type: Some(new.volume_type),
        multi_attach_enabled: Some(new.multi_attach),
        throughput: new.throughput.or(default_throughput),
        volume_id: Some(id.clone()),
        volume_arn: Some(format!("arn:aws:ec2:{}:{}:volume/{id}", ctx.region, ctx.account())),
        size: Some(new.size_gib),
        snapshot_id: Some(new.snapshot_id.unwrap_or_default()),
        availability_zone: Some(new.availability_zone),
        state: Some("available".into()),
        create_time: Some(Timestamp(ctx.now)),
        attachments: Some(Vec::new()),
        encrypted: Some(new.encrypted),
        kms_key_id,
        fast_restored: Some(false),
        ..Default::default()
    };
    state.volumes.insert(id.clone(), volume);
    id
}

/// The key under which an attachment's state change is dated.
fn attachment_key(volume_id: &str, instance_id: &str) -> String {
    format!("{volume_id}/{instance_id}")
}

fn modification_key(volume_id: &str) -> String {
    format!("{volume_id}/modification")
}

/// When the transition dated under `key` ends.
/// Attaches a volume in the state given (`attached` at launch, `attaching` otherwise).
fn add_attachment(
    state: &mut Ec2State,
    volume_id: &str,
    instance_id: &str,
    device: &str,
    delete_on_termination: bool,
    attachment_state: &str,
    now: DateTime<Utc>,
) {
    if let Some(v) = state.volumes.get_mut(volume_id) {
        v.state = Some("in-use".into());
        v.attachments.get_or_insert_with(Vec::new).push(VolumeAttachment {
            delete_on_termination: Some(delete_on_termination),
            volume_id: Some(volume_id.to_string()),
            instance_id: Some(instance_id.to_string()),
            device: Some(device.to_string()),
            state: Some(attachment_state.into()),
            attach_time: Some(Timestamp(now)),
            ..Default::default()
        });
    }
    state.timestamps.insert(attachment_key(volume_id, instance_id), now);
}

/// Attaches a volume made for an instance at launch.
pub fn attach_record(
    state: &mut Ec2State,
    volume_id: &str,
    instance_id: &str,
    device: &str,
    delete_on_termination: bool,
    now: DateTime<Utc>,
) {
    add_attachment(state, volume_id, instance_id, device, delete_on_termination, "attached", now);
}

/// The volumes attached to an instance: (device, volume id, attach time, delete on termination).
pub fn attached_to(state: &Ec2State, instance_id: &str) -> Vec<(String, String, Option<Timestamp>, bool)> {
    let mut out: Vec<_> = state
        .volumes
        .values()
        .flat_map(|v| v.attachments.iter().flatten())
        .filter(|a| a.instance_id.as_deref() == Some(instance_id))
        .map(|a| {
            (
                a.device.clone().unwrap_or_default(),
                a.volume_id.clone().unwrap_or_default(),
                a.attach_time,
                a.delete_on_termination.unwrap_or(false),
            )
        })
        .collect();
    out.sort();
    out
}

/// The state of a volume's attachment to an instance (`attaching`, `attached`, `detaching`).
pub fn attachment_state(state: &Ec2State, volume_id: &str, instance_id: &str) -> String {
    state
        .volumes
        .get(volume_id)
        .and_then(|v| v.attachments.iter().flatten().find(|a| a.instance_id.as_deref() == Some(instance_id)))
        .and_then(|a| a.state.clone())
        .unwrap_or_else(|| "attached".into())
}

/// Removes one attachment; the volume is available once it has none.
fn remove_attachment(state: &mut Ec2State, volume_id: &str, instance_id: &str) {
    if let Some(v) = state.volumes.get_mut(volume_id) {
        let atts = v.attachments.get_or_insert_with(Vec::new);
        atts.retain(|a| a.instance_id.as_deref() != Some(instance_id));
        if atts.is_empty() {
            v.state = Some("available".into());
        }
    }
    state.timestamps.remove(&attachment_key(volume_id, instance_id));
}

/// Forgets a volume and what is kept about it.
fn remove_volume(state: &mut Ec2State, volume_id: &str) {
    let instances: Vec<String> =
        state.volumes[volume_id].attachments.iter().flatten().filter_map(|a| a.instance_id.clone()).collect();
    for i in instances {
        state.timestamps.remove(&attachment_key(volume_id, &i));
    }
    state.volumes.remove(volume_id);
    state.volume_modifications.remove(volume_id);
    state.volume_auto_enable_io.remove(volume_id);
    state.timestamps.remove(&modification_key(volume_id));
    state.forget(volume_id);
}

/// When an instance terminates: volumes with DeleteOnTermination go, the others are
/// detached and become available.
pub fn on_instance_terminated(state: &mut Ec2State, instance_id: &str) {
    for (_, volume_id, _, delete) in attached_to(state, instance_id) {
        remove_attachment(state, &volume_id, instance_id);
        let unattached = state.volumes.get(&volume_id).is_some_and(|v| v.attachments.iter().flatten().count() == 0);
        if delete && unattached {
            remove_volume(state, &volume_id);
        }
    }
}

pub fn set_delete_on_termination(state: &mut Ec2State, instance_id: &str, device: &str, value: bool) -> bool {
    let mut found = false;
    for v in state.volumes.values_mut() {
        for a in v.attachments.iter_mut().flatten() {
            if a.instance_id.as_deref() == Some(instance_id) && a.device.as_deref() == Some(device) {
                a.delete_on_termination = Some(value);
                found = true;
            }
        }
    }
    found
}

// ----------------------------------------------------------------------------- lifecycle

/// A volume as it is at `now`: creation, attachments and detachments that are over.
fn volume_at(state: &Ec2State, id: &str, now: DateTime<Utc>) -> Volume {
    let mut v = state.volumes[id].clone();
    if v.state.as_deref() == Some("creating") && now >= state.transition_ends(id) {
        v.state = Some("available".into());
    }
    if let Some(atts) = v.attachments.as_mut() {
        let done = |a: &VolumeAttachment| {
            now >= state.transition_ends(&attachment_key(id, a.instance_id.as_deref().unwrap_or("")))
        };
        atts.retain(|a| !(a.state.as_deref() == Some("detaching") && done(a)));
        for a in atts.iter_mut() {
            if a.state.as_deref() == Some("attaching") && done(a) {
                a.state = Some("attached".into());
            }
        }
        if atts.is_empty() && v.state.as_deref() == Some("in-use") {
            v.state = Some("available".into());
        }
    }
    v
}

/// A modification as it is at `now`: `modifying` for the transition delay, then
/// `optimizing` as long again, then `completed`.
fn modification_at(state: &Ec2State, volume_id: &str, now: DateTime<Utc>) -> VolumeModification {
    let mut m = state.volume_modifications[volume_id].clone();
    if matches!(m.modification_state.as_deref(), Some("completed" | "failed")) {
        return m;
    }
    let start = state.timestamps.get(&modification_key(volume_id)).copied().unwrap_or(DateTime::<Utc>::MIN_UTC);
    if now >= start + state.transition_delay() + state.transition_delay() {
        m.modification_state = Some("completed".into());
        m.progress = Some(100);
        m.end_time = Some(Timestamp(start + state.transition_delay() + state.transition_delay()));
    } else if now >= start + state.transition_delay() {
        m.modification_state = Some("optimizing".into());
        m.progress = Some(50);
    }
    m
}

fn volume_moves(state: &Ec2State, id: &str, v: &Volume, now: DateTime<Utc>) -> bool {
    (v.state.as_deref() == Some("creating") && now >= state.transition_ends(id))
        || v.attachments.iter().flatten().any(|a| {
            matches!(a.state.as_deref(), Some("attaching" | "detaching"))
                && now >= state.transition_ends(&attachment_key(id, a.instance_id.as_deref().unwrap_or("")))
        })
}

/// Whether `settle` has anything to do at `now`.
pub fn needs_settling(state: &Ec2State, now: DateTime<Utc>) -> bool {
    state.volumes.iter().any(|(id, v)| volume_moves(state, id, v, now))
        || state.volume_modifications.iter().any(|(id, m)| {
            m.modification_state.as_deref() != modification_at(state, id, now).modification_state.as_deref()
        })
}

/// Applies the transitions that are due at `now`.
pub fn settle(state: &mut Ec2State, now: DateTime<Utc>) {
    let moving: Vec<String> =
        state.volumes.iter().filter(|(id, v)| volume_moves(state, id, v, now)).map(|(id, _)| id.clone()).collect();
    for id in moving {
        let shown = volume_at(state, &id, now);
        let gone: Vec<String> = state.volumes[&id]
            .attachments
            .iter()
            .flatten()
            .filter_map(|a| a.instance_id.clone())
            .filter(|i| !shown.attachments.iter().flatten().any(|a| a.instance_id.as_deref() == Some(i.as_str())))
            .collect();
        for i in gone {
            state.timestamps.remove(&attachment_key(&id, &i));
        }
        state.volumes.insert(id, shown);
    }
    let ids: Vec<String> = state.volume_modifications.keys().cloned().collect();
    for id in ids {
        let shown = modification_at(state, &id, now);
        state.volume_modifications.insert(id, shown);
    }
}

pub fn describe_one(state: &Ec2State, id: &str, now: DateTime<Utc>) -> Volume {
    let mut v = volume_at(state, id, now);
    v.tags = state.dto_tags_if_any(id);
    v
}

// ----------------------------------------------------------------------------- checks

fn type_limits(volume_type: &str) -> Result<(i32, i32, Option<Provisioned>), ApiError> {
    TYPES.iter().find(|(t, ..)| *t == volume_type).map(|(_, min, max, iops)| (*min, *max, *iops)).ok_or_else(|| {
        errors::invalid_parameter_value(format!(
            "Value ({volume_type}) for parameter volumeType is invalid. Valid values: gp2, gp3, io1, io2, st1, sc1, standard"
        ))
    })
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
fn valid_device_name(device: &str) -> bool {
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

pub fn attach_volume(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AttachVolumeRequest,
) -> Result<VolumeAttachment, ApiError> {
    let volume = volume_at(state, get(state, &input.volume_id).map(|_| input.volume_id.as_str())?, ctx.now);
    let rec = crate::state::lookup::instance(state, &input.instance_id)?;
    let (instance_state, _) = crate::state::lifecycle::shown_state(state, rec, ctx.now);
    if !valid_device_name(&input.device) {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({0}) for parameter device is invalid. {0} is not a valid EBS device name.",
            input.device
        )));
    }
    let zone = rec.instance.placement.as_ref().and_then(|p| p.availability_zone.clone()).unwrap_or_default();
    if volume.availability_zone.as_deref() != Some(zone.as_str()) {
        return Err(errors::invalid_volume_zone_mismatch(&input.instance_id, &input.volume_id));
    }
    let attachments = volume.attachments.clone().unwrap_or_default();
    match volume.state.as_deref() {
        Some("available") => {}
        Some("in-use") if volume.multi_attach_enabled == Some(true) => {
            if attachments.iter().any(|a| a.instance_id.as_deref() == Some(input.instance_id.as_str())) {
                return Err(errors::volume_in_use(format!(
                    "{} is already attached to instance {}",
                    input.volume_id, input.instance_id
                )));
            }
            if attachments.len() >= MAX_MULTI_ATTACH {
                return Err(errors::volume_in_use(format!(
                    "{} is already attached to {MAX_MULTI_ATTACH} instances",
                    input.volume_id
                )));
            }
        }
        Some("in-use") => {
            return Err(errors::volume_in_use(format!("{} is already attached to an instance", input.volume_id)))
        }
        other => {
            return Err(errors::incorrect_state(format!(
                "Volume '{}' is in the '{}' state.",
                input.volume_id,
                other.unwrap_or_default()
            )))
        }
    }
    if !matches!(instance_state.as_str(), "running" | "stopped") {
        return Err(errors::incorrect_state(format!(
            "Instance '{}' is not 'running' or 'stopped'.",
            input.instance_id
        )));
    }
    let taken = attached_to(state, &input.instance_id).iter().any(|(d, ..)| *d == input.device);
    if taken {
        return Err(errors::invalid_parameter_value(format!("Attachment point {} is already in use", input.device)));
    }
    add_attachment(state, &input.volume_id, &input.instance_id, &input.device, false, "attaching", ctx.now);
    Ok(VolumeAttachment {
        volume_id: Some(input.volume_id.clone()),
        instance_id: Some(input.instance_id.clone()),
        device: Some(input.device.clone()),
        state: Some("attaching".into()),
        attach_time: Some(Timestamp(ctx.now)),
        ..Default::default()
    })
}

pub fn detach_volume(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DetachVolumeRequest,
) -> Result<VolumeAttachment, ApiError> {
    get(state, &input.volume_id)?;
    let volume = volume_at(state, &input.volume_id, ctx.now);
    let attachments = volume.attachments.clone().unwrap_or_default();
    if attachments.is_empty() {
        return Err(errors::incorrect_state(format!(
            "Volume '{}' is in the '{}' state.",
            input.volume_id,
            volume.state.as_deref().unwrap_or_default()
        )));
    }
    if let Some(i) = input.instance_id.as_deref() {
        crate::state::lookup::instance(state, i)?;
    }
    let attachment = match input.instance_id.as_deref() {
        Some(i) => attachments.iter().find(|a| a.instance_id.as_deref() == Some(i)).ok_or_else(|| {
            errors::invalid_attachment_not_found(format!(
                "Volume {} can not be detached from {i} because it is not attached",
                input.volume_id
            ))
        })?,
        None if attachments.len() > 1 => return Err(errors::missing_parameter("instanceId")),
        None => &attachments[0],
    };
    let instance_id = attachment.instance_id.clone().unwrap_or_default();
    let device = attachment.device.clone().unwrap_or_default();
    if let Some(d) = input.device.as_deref().filter(|d| *d != device) {
        return Err(errors::invalid_attachment_not_found(format!(
            "The volume {} is not attached to instance {instance_id} as device {d}",
            input.volume_id
        )));
    }
    if attachment.state.as_deref() == Some("detaching") {
        return Err(errors::incorrect_state(format!("Volume '{}' is in the 'detaching' state.", input.volume_id)));
    }
    // The root device of an instance that is not stopped stays (Force is for a stuck detach, not this).
    let rec = crate::state::lookup::instance(state, &instance_id)?;
    let (instance_state, _) = crate::state::lifecycle::shown_state(state, rec, ctx.now);
    let is_root = rec.instance.root_device_name.as_deref() == Some(device.as_str());
    if is_root && instance_state != InstanceStateName::Stopped {
        return Err(errors::operation_not_permitted(format!(
            "Unable to detach root volume '{}' from instance '{instance_id}'",
            input.volume_id
        )));
    }
    if let Some(v) = state.volumes.get_mut(&input.volume_id) {
        for a in v.attachments.iter_mut().flatten() {
            if a.instance_id.as_deref() == Some(instance_id.as_str()) {
                a.state = Some("detaching".into());
            }
        }
    }
    state.timestamps.insert(attachment_key(&input.volume_id, &instance_id), ctx.now);
    Ok(VolumeAttachment {
        volume_id: Some(input.volume_id.clone()),
        instance_id: Some(instance_id),
        device: Some(device),
        state: Some("detaching".into()),
        attach_time: attachment.attach_time,
        delete_on_termination: attachment.delete_on_termination,
        ..Default::default()
    })
}

pub fn modify_volume(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVolumeRequest,
) -> Result<ModifyVolumeResult, ApiError> {
    let id = input.volume_id.clone();
    get(state, &id)?;
    let volume = volume_at(state, &id, ctx.now);
    if let Some(previous) = state.volume_modifications.get(&id).map(|_| modification_at(state, &id, ctx.now)) {
        let phase = previous.modification_state.clone().unwrap_or_default();
        if matches!(phase.as_str(), "modifying" | "optimizing") {
            return Err(errors::incorrect_modification_state(&id, phase.to_ascii_uppercase()));
        }
        let started = previous.start_time.map(|t| t.0).unwrap_or(DateTime::<Utc>::MIN_UTC);
        if ctx.now < started + MODIFICATION_INTERVAL {
            return Err(errors::volume_modification_rate_exceeded());
        }
    }
    if !matches!(volume.state.as_deref(), Some("available" | "in-use")) {
        return Err(errors::incorrect_state(format!(
            "Volume '{id}' is in the '{}' state.",
            volume.state.as_deref().unwrap_or_default()
        )));
    }
    let size = volume.size.unwrap_or(1);
    let current_type = volume.volume_type.clone().unwrap_or_else(|| "gp2".into());
    if let Some(new) = input.size {
        if new < size {
            return Err(errors::invalid_parameter_value(format!(
                "New size cannot be smaller than existing size. Existing size: {size}GiB, requested size: {new}GiB"
            )));
        }
    }
    let target_size = input.size.unwrap_or(size);
    let target_type = input.volume_type.clone().unwrap_or_else(|| current_type.clone());
    type_limits(&target_type)?;
    let same_type = target_type == current_type;
    // IOPS and throughput carry over within a type; a new type starts from its defaults
    // (ModifyVolume's: 3,000 IOPS for gp3, io1 and io2).
    let (default_iops, default_throughput) = default_performance(&target_type, target_size);
    let provisioned = |t: &str| matches!(t, "gp3" | "io1" | "io2");
    let target_iops = match input.iops {
        Some(i) => Some(i),
        None if same_type && provisioned(&target_type) => volume.iops,
        None if provisioned(&target_type) => Some(3000),
        None => default_iops,
    };
    let target_throughput = match input.throughput {
        Some(t) => Some(t),
        None if same_type => volume.throughput,
        None => default_throughput,
    };
    let checked_iops = if provisioned(&target_type) { target_iops } else { input.iops };
    let checked_throughput = if target_type == "gp3" { target_throughput } else { input.throughput };
    check_configuration(&target_type, target_size, checked_iops, checked_throughput)?;
    let target_multi = input.multi_attach_enabled.unwrap_or(volume.multi_attach_enabled.unwrap_or(false));
    if target_multi && !matches!(target_type.as_str(), "io1" | "io2") {
        return Err(errors::invalid_parameter_combination(format!(
            "The parameter multiAttachEnabled is not supported for {target_type} volumes."
        )));
    }
    let unchanged = target_size == size
        && same_type
        && target_iops == volume.iops
        && target_throughput == volume.throughput
        && target_multi == volume.multi_attach_enabled.unwrap_or(false);
    if unchanged {
        return Err(errors::invalid_parameter_combination(
            "New volume configuration is the same as the current configuration.",
        ));
    }
    let target_throughput = if target_type == "gp3" { target_throughput } else { None };
    let modification = VolumeModification {
        volume_id: Some(id.clone()),
        modification_state: Some("modifying".into()),
        target_size: Some(target_size),
        target_iops,
        target_volume_type: Some(target_type.clone()),
        target_throughput,
        target_multi_attach_enabled: Some(target_multi),
        original_size: Some(size),
        original_iops: volume.iops,
        original_volume_type: Some(current_type),
        original_throughput: volume.throughput,
        original_multi_attach_enabled: volume.multi_attach_enabled,
        progress: Some(0),
        start_time: Some(Timestamp(ctx.now)),
        ..Default::default()
    };
    // The new configuration is in effect at once (AWS's volume shows it while optimizing).
    if let Some(v) = state.volumes.get_mut(&id) {
        v.size = Some(target_size);
        v.volume_type = Some(target_type);
        v.iops = target_iops;
        v.throughput = target_throughput;
        v.multi_attach_enabled = Some(target_multi);
    }
    state.volume_modifications.insert(id.clone(), modification.clone());
    state.timestamps.insert(modification_key(&id), ctx.now);
    Ok(ModifyVolumeResult { volume_modification: Some(modification) })
}

impl Filterable for VolumeModification {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        let num = |n: Option<i32>| n.map(|x| vec![x.to_string()]).unwrap_or_default();
        let b = |v: Option<bool>| v.map(|x| vec![x.to_string()]).unwrap_or_default();
        Some(match name {
            "modification-state" => opt(&self.modification_state),
            "original-iops" => num(self.original_iops),
            "original-size" => num(self.original_size),
            "original-volume-type" => opt(&self.original_volume_type),
            "original-multi-attach-enabled" => b(self.original_multi_attach_enabled),
            "original-throughput" => num(self.original_throughput),
            "start-time" => self.start_time.map(|t| vec![t.iso8601()]).unwrap_or_default(),
            "target-iops" => num(self.target_iops),
            "target-size" => num(self.target_size),
            "target-volume-type" => opt(&self.target_volume_type),
            "target-throughput" => num(self.target_throughput),
            "target-multi-attach-enabled" => b(self.target_multi_attach_enabled),
            "volume-id" => opt(&self.volume_id),
            _ => return None,
        })
    }
}

pub fn describe_volumes_modifications(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeVolumesModificationsRequest,
) -> Result<DescribeVolumesModificationsResult, ApiError> {
    let ids = input.volume_ids.clone().unwrap_or_default();
    for id in &ids {
        get(state, id)?;
        if !state.volume_modifications.contains_key(id) {
            return Err(errors::invalid_volume_modification_not_found(id));
        }
    }
    let all = state
        .volume_modifications
        .keys()
        .filter(|id| ids.is_empty() || ids.contains(id))
        .map(|id| modification_at(state, id, ctx.now));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(
        items,
        |m| m.volume_id.clone().unwrap_or_default(),
        input.max_results,
        input.next_token.as_deref(),
        (1, 500),
        false,
    )?;
    Ok(DescribeVolumesModificationsResult { volumes_modifications: Some(page), next_token: next })
}

pub fn describe_volume_attribute(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeVolumeAttributeRequest,
) -> Result<DescribeVolumeAttributeResult, ApiError> {
    get(state, &input.volume_id)?;
    let mut out = DescribeVolumeAttributeResult { volume_id: Some(input.volume_id.clone()), ..Default::default() };
    match input.attribute.as_str() {
        "autoEnableIO" => out.auto_enable_io = Some(bool_value(state.volume_auto_enable_io.contains(&input.volume_id))),
        "productCodes" => out.product_codes = Some(Vec::new()),
        other => {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )))
        }
    }
    Ok(out)
}

pub fn modify_volume_attribute(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyVolumeAttributeRequest,
) -> Result<(), ApiError> {
    get(state, &input.volume_id)?;
    let Some(value) = input.auto_enable_io.and_then(|v| v.value) else {
        return Err(errors::missing_parameter("AutoEnableIO"));
    };
    if value {
        state.volume_auto_enable_io.insert(input.volume_id);
    } else {
        state.volume_auto_enable_io.remove(&input.volume_id);
    }
    Ok(())
}

impl Filterable for VolumeStatusItem {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let status = self.volume_status.as_ref();
        let details = status.iter().flat_map(|s| s.details.iter().flatten());
        Some(match name {
            "availability-zone" => self.availability_zone.iter().cloned().collect(),
            "volume-status.status" => status.and_then(|s| s.status.clone()).into_iter().collect(),
            "volume-status.details-name" => details.filter_map(|d| d.name.clone()).collect(),
            "volume-status.details-status" => details.filter_map(|d| d.status.clone()).collect(),
            // No volume has scheduled events or actions.
            "action.code" | "action.description" | "action.event-id" | "event.description" | "event.event-id"
            | "event.event-type" | "event.not-after" | "event.not-before" => Vec::new(),
            _ => return None,
        })
    }
}

pub fn describe_volume_status(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeVolumeStatusRequest,
) -> Result<DescribeVolumeStatusResult, ApiError> {
    let ids = input.volume_ids.clone().unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all = state.volumes.keys().filter(|id| ids.is_empty() || ids.contains(id)).map(|id| {
        let v = volume_at(state, id, ctx.now);
        let provisioned = matches!(v.volume_type.as_deref(), Some("io1" | "io2"));
        let creating = v.state.as_deref() == Some("creating");
        let detail =
            |name: &str, status: &str| VolumeStatusDetails { name: Some(name.into()), status: Some(status.into()) };
        VolumeStatusItem {
            actions: Some(Vec::new()),
            availability_zone: v.availability_zone.clone(),
            availability_zone_id: v.availability_zone_id.clone(),
            events: Some(Vec::new()),
            volume_id: Some(id.clone()),
            volume_status: Some(VolumeStatusInfo {
                details: Some(vec![
                    detail("io-enabled", if creating { "not-applicable" } else { "passed" }),
                    detail("io-performance", if provisioned && !creating { "normal" } else { "not-applicable" }),
                ]),
                status: Some(if creating { "insufficient-data" } else { "ok" }.into()),
            }),
            attachment_statuses: Some(
                v.attachments
                    .iter()
                    .flatten()
                    .map(|a| VolumeStatusAttachmentStatus {
                        instance_id: a.instance_id.clone(),
                        io_performance: provisioned.then(|| "normal".to_string()),
                    })
                    .collect(),
            ),
            ..Default::default()
        }
    });
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(
        items,
        |s| s.volume_id.clone().unwrap_or_default(),
        input.max_results,
        input.next_token.as_deref(),
        (5, 1000),
        !ids.is_empty(),
    )?;
    Ok(DescribeVolumeStatusResult { volume_statuses: Some(page), next_token: next })
}

pub fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a Volume, ApiError> {
    state.volumes.get(id).ok_or_else(|| {
        let well_formed = id
            .strip_prefix("vol-")
            .is_some_and(|h| (8..=17).contains(&h.len()) && h.chars().all(|c| c.is_ascii_hexdigit()));
        if well_formed {
            errors::invalid_volume_not_found(id)
        } else {
            errors::invalid_volume_id_malformed(id)
        }
    })
}
impl Filterable for Volume {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        let att = self.attachments.iter().flatten();
        Some(match name {
            "attachment.attach-time" => att.filter_map(|a| a.attach_time.map(|t| t.iso8601())).collect(),
            "attachment.delete-on-termination" => {
                att.filter_map(|a| a.delete_on_termination.map(|d| d.to_string())).collect()
            }
            "attachment.device" => att.filter_map(|a| a.device.clone()).collect(),
            "attachment.instance-id" => att.filter_map(|a| a.instance_id.clone()).collect(),
            "attachment.status" => att.filter_map(|a| a.state.clone()).collect(),
            "availability-zone" => opt(&self.availability_zone),
            "availability-zone-id" => opt(&self.availability_zone_id),
            "create-time" => self.create_time.map(|t| vec![t.iso8601()]).unwrap_or_default(),
            "encrypted" => self.encrypted.map(|e| vec![e.to_string()]).unwrap_or_default(),
            "fast-restored" => self.fast_restored.map(|e| vec![e.to_string()]).unwrap_or_default(),
            "multi-attach-enabled" => self.multi_attach_enabled.map(|e| vec![e.to_string()]).unwrap_or_default(),
            "size" => self.size.map(|s| vec![s.to_string()]).unwrap_or_default(),
            "snapshot-id" => opt(&self.snapshot_id),
            "status" => opt(&self.state),
            "volume-id" => opt(&self.volume_id),
            "volume-type" => opt(&self.volume_type),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_volumes(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeVolumesRequest,
) -> Result<DescribeVolumesResult, ApiError> {
    let ids = input.volume_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all =
        state.volumes.keys().filter(|id| ids.is_empty() || ids.contains(id)).map(|id| describe_one(state, id, ctx.now));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(
        items,
        |v| v.volume_id.clone().unwrap_or_default(),
        input.max_results,
        input.next_token.as_deref(),
        (5, 500),
        !ids.is_empty(),
    )?;
    Ok(DescribeVolumesResult { volumes: Some(page), next_token: next })
}

#[cfg(test)]
mod tests {
    use nimbus_core::RequestContext;
    use serde_json::{json, Value};

    use crate::testing::{al2023, call, later, launch, refused, str_at, with_delay};
    use crate::Ec2;

    fn volume(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
        call(ec2, ctx, "DescribeVolumes", json!({"VolumeIds": [id]}))["Volumes"][0].clone()
    }

    fn create(ec2: &Ec2, ctx: &RequestContext, input: Value) -> String {
        str_at(&call(ec2, ctx, "CreateVolume", input), "/VolumeId")
    }

    #[test]
    fn defaults_follow_aws() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let out = call(&ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1a", "Size": 10}));
        assert_eq!(out["State"], "creating");
        assert_eq!(out["VolumeType"], "gp2");
        assert_eq!(out["Iops"], 100, "gp2: 3 IOPS per GiB, at least 100");
        assert_eq!(out["Encrypted"], false);
        assert_eq!(out["SnapshotId"], "");
        assert_eq!(out["MultiAttachEnabled"], false);
        assert!(out.get("Throughput").is_none());
        let gp3 = call(
            &ec2,
            &ctx,
            "CreateVolume",
            json!({"AvailabilityZone": "us-east-1a", "Size": 10, "VolumeType": "gp3", "Encrypted": true}),
        );
        assert_eq!((gp3["Iops"].clone(), gp3["Throughput"].clone()), (json!(3000), json!(125)));
        assert_eq!(gp3["KmsKeyId"], "arn:aws:kms:us-east-1:000000000000:alias/aws/ebs");
        let big = call(&ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1a", "Size": 1000}));
        assert_eq!(big["Iops"], 3000);
        let v = volume(&ec2, &ctx, &str_at(&out, "/VolumeId"));
        assert_eq!(v["State"], "available", "without a delay the volume is available at once");
        assert!(v["AvailabilityZoneId"].as_str().unwrap().starts_with("use1-az"));
    }

    #[test]
    fn sizes_iops_and_throughput_are_checked() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let bad = |input: Value| {
            let mut i = json!({"AvailabilityZone": "us-east-1a"});
            for (k, v) in input.as_object().unwrap() {
                i[k] = v.clone();
            }
            refused(&ec2, &ctx, "CreateVolume", i)
        };
        assert_eq!(bad(json!({"Size": 0})), "InvalidParameterValue");
        assert_eq!(bad(json!({"Size": 16_385})), "InvalidParameterValue");
        assert_eq!(bad(json!({"Size": 100, "VolumeType": "st1"})), "InvalidParameterValue", "st1 starts at 125 GiB");
        assert_eq!(bad(json!({"Size": 10, "VolumeType": "io1"})), "MissingParameter", "io1 needs Iops");
        assert_eq!(bad(json!({"Size": 10, "VolumeType": "io1", "Iops": 1000})), "InvalidParameterValue", "50:1");
        assert_eq!(bad(json!({"Size": 10, "VolumeType": "gp3", "Iops": 2000})), "InvalidParameterValue");
        assert_eq!(
            bad(json!({"Size": 10, "VolumeType": "gp3", "Throughput": 1000})),
            "InvalidParameterValue",
            "0.25 MiB/s per IOPS"
        );
        assert_eq!(bad(json!({"Size": 10, "VolumeType": "gp3", "Throughput": 100})), "InvalidParameterValue");
        assert_eq!(bad(json!({"Size": 10, "Iops": 300})), "InvalidParameterCombination", "gp2 has no Iops");
        assert_eq!(bad(json!({"Size": 10, "Throughput": 200})), "InvalidParameterCombination");
        assert_eq!(bad(json!({"Size": 10, "VolumeType": "gp4"})), "InvalidParameterValue");
        assert_eq!(bad(json!({"Size": 10, "MultiAttachEnabled": true})), "InvalidParameterCombination");
        assert_eq!(bad(json!({"Size": 10, "KmsKeyId": "alias/mine"})), "InvalidParameterDependency");
        assert_eq!(bad(json!({})), "MissingParameter");
        assert_eq!(
            refused(&ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1z", "Size": 1})),
            "InvalidZone.NotFound"
        );
        assert_eq!(bad(json!({"SnapshotId": "snap-0123456789abcdef0"})), "InvalidSnapshot.NotFound");
        assert_eq!(bad(json!({"SnapshotId": "snapshot"})), "InvalidSnapshotID.Malformed");
        let out = call(&ec2, &ctx, "DescribeVolumes", json!({}));
        assert!(out["Volumes"].as_array().unwrap().is_empty(), "no refused request made a volume");
        let ok = call(
            &ec2,
            &ctx,
            "CreateVolume",
            json!({"AvailabilityZone": "us-east-1a", "Size": 100, "VolumeType": "io2", "Iops": 50_000, "MultiAttachEnabled": true}),
        );
        assert_eq!((ok["Iops"].clone(), ok["MultiAttachEnabled"].clone()), (json!(50_000), json!(true)));
    }

    #[test]
    fn states_follow_the_clock() {
        let ec2 = with_delay(10);
        let ctx = RequestContext::for_tests();
        let image = al2023(&ec2, &ctx);
        let (instance, zone) = launch(&ec2, &ctx, &image, json!({}));
        let vol = create(&ec2, &ctx, json!({"AvailabilityZone": zone, "Size": 8}));
        assert_eq!(volume(&ec2, &later(&ctx, 9), &vol)["State"], "creating");
        assert_eq!(
            refused(
                &ec2,
                &later(&ctx, 9),
                "AttachVolume",
                json!({"VolumeId": vol, "InstanceId": instance, "Device": "/dev/sdf"})
            ),
            "IncorrectState"
        );
        let t = later(&ctx, 10);
        assert_eq!(volume(&ec2, &t, &vol)["State"], "available");
        let att =
            call(&ec2, &t, "AttachVolume", json!({"VolumeId": vol, "InstanceId": instance, "Device": "/dev/sdf"}));
        assert_eq!(att["State"], "attaching");
        let v = volume(&ec2, &later(&ctx, 15), &vol);
        assert_eq!((v["State"].clone(), v["Attachments"][0]["State"].clone()), (json!("in-use"), json!("attaching")));
        let i = call(&ec2, &later(&ctx, 15), "DescribeInstances", json!({"InstanceIds": [instance]}));
        let mappings = i["Reservations"][0]["Instances"][0]["BlockDeviceMappings"].as_array().unwrap().clone();
        let sdf = mappings.iter().find(|m| m["DeviceName"] == "/dev/sdf").unwrap();
        assert_eq!(sdf["Ebs"]["Status"], "attaching", "the instance shows the attachment's state");
        let v = volume(&ec2, &later(&ctx, 20), &vol);
        assert_eq!(v["Attachments"][0]["State"], "attached");
        assert_eq!(v["Attachments"][0]["DeleteOnTermination"], false);
        let filtered = call(
            &ec2,
            &later(&ctx, 20),
            "DescribeVolumes",
            json!({"Filters": [{"Name": "attachment.instance-id", "Values": [instance]}]}),
        );
        assert_eq!(filtered["Volumes"].as_array().unwrap().len(), 2, "the root volume and this one");
        let t = later(&ctx, 30);
        assert_eq!(refused(&ec2, &t, "DeleteVolume", json!({"VolumeId": vol})), "VolumeInUse");
        let det = call(&ec2, &t, "DetachVolume", json!({"VolumeId": vol}));
        assert_eq!(det["State"], "detaching");
        assert_eq!(refused(&ec2, &later(&ctx, 35), "DetachVolume", json!({"VolumeId": vol})), "IncorrectState");
        let v = volume(&ec2, &later(&ctx, 35), &vol);
        assert_eq!((v["State"].clone(), v["Attachments"][0]["State"].clone()), (json!("in-use"), json!("detaching")));
        let v = volume(&ec2, &later(&ctx, 40), &vol);
        assert_eq!(v["State"], "available");
        assert!(v["Attachments"].as_array().unwrap().is_empty());
        call(&ec2, &later(&ctx, 40), "DeleteVolume", json!({"VolumeId": vol}));
        assert_eq!(
            refused(&ec2, &later(&ctx, 40), "DescribeVolumes", json!({"VolumeIds": [vol]})),
            "InvalidVolume.NotFound"
        );
    }

    #[test]
    fn attach_and_detach_refusals() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let image = al2023(&ec2, &ctx);
        let (instance, zone) = launch(&ec2, &ctx, &image, json!({}));
        let other_zone = if zone == "us-east-1b" { "us-east-1c" } else { "us-east-1b" };
        let far = create(&ec2, &ctx, json!({"AvailabilityZone": other_zone, "Size": 8}));
        let vol = create(&ec2, &ctx, json!({"AvailabilityZone": zone, "Size": 8}));
        let attach = |v: &str, i: &str, d: &str| {
            refused(&ec2, &ctx, "AttachVolume", json!({"VolumeId": v, "InstanceId": i, "Device": d}))
        };
        assert_eq!(attach(&far, &instance, "/dev/sdf"), "InvalidVolume.ZoneMismatch");
        assert_eq!(attach("vol-0123456789abcdef0", &instance, "/dev/sdf"), "InvalidVolume.NotFound");
        assert_eq!(attach("volume-1", &instance, "/dev/sdf"), "InvalidVolumeID.Malformed");
        assert_eq!(attach(&vol, "i-0123456789abcdef0", "/dev/sdf"), "InvalidInstanceID.NotFound");
        assert_eq!(attach(&vol, &instance, "/dev/banana"), "InvalidParameterValue");
        assert_eq!(attach(&vol, &instance, "/dev/xvda"), "InvalidParameterValue", "the root device's name is taken");
        call(&ec2, &ctx, "AttachVolume", json!({"VolumeId": vol, "InstanceId": instance, "Device": "/dev/sdf"}));
        assert_eq!(attach(&vol, &instance, "/dev/sdg"), "VolumeInUse");
        assert_eq!(refused(&ec2, &ctx, "DetachVolume", json!({"VolumeId": far})), "IncorrectState");
        assert_eq!(
            refused(&ec2, &ctx, "DetachVolume", json!({"VolumeId": vol, "Device": "/dev/sdg"})),
            "InvalidAttachment.NotFound"
        );
        let root = call(
            &ec2,
            &ctx,
            "DescribeVolumes",
            json!({"Filters": [{"Name": "attachment.device", "Values": ["/dev/xvda"]}]}),
        );
        let root = str_at(&root, "/Volumes/0/VolumeId");
        assert_eq!(refused(&ec2, &ctx, "DetachVolume", json!({"VolumeId": root})), "OperationNotPermitted");
        let v = volume(&ec2, &ctx, &vol);
        assert_eq!(v["Attachments"].as_array().unwrap().len(), 1, "refusals changed nothing");
        assert_eq!(v["Attachments"][0]["State"], "attached");
    }

    #[test]
    fn delete_on_termination_is_honoured() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let image = al2023(&ec2, &ctx);
        let bdm = json!([
            {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 5, "DeleteOnTermination": true}},
            {"DeviceName": "/dev/sdg", "Ebs": {"VolumeSize": 6, "VolumeType": "gp3", "DeleteOnTermination": false}},
        ]);
        let (instance, zone) = launch(&ec2, &ctx, &image, json!({"BlockDeviceMappings": bdm}));
        let kept = create(&ec2, &ctx, json!({"AvailabilityZone": zone, "Size": 7}));
        call(&ec2, &ctx, "AttachVolume", json!({"VolumeId": kept, "InstanceId": instance, "Device": "/dev/sdh"}));
        let mine = json!({"Filters": [{"Name": "attachment.instance-id", "Values": [instance]}]});
        let vols = call(&ec2, &ctx, "DescribeVolumes", mine.clone())["Volumes"].as_array().unwrap().clone();
        assert_eq!(vols.len(), 4);
        let by_device = |d: &str| vols.iter().find(|v| v["Attachments"][0]["Device"] == d).unwrap().clone();
        assert_eq!(by_device("/dev/xvda")["Attachments"][0]["DeleteOnTermination"], true);
        assert_eq!(by_device("/dev/sdg")["Size"], 6);
        assert_eq!(by_device("/dev/sdg")["Iops"], 3000);
        let survivor = str_at(&by_device("/dev/sdg"), "/VolumeId");
        call(&ec2, &ctx, "TerminateInstances", json!({"InstanceIds": [instance]}));
        let t = later(&ctx, 1);
        let left: Vec<String> = call(&ec2, &t, "DescribeVolumes", json!({}))["Volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                assert_eq!(v["State"], "available");
                assert!(v["Attachments"].as_array().unwrap().is_empty());
                str_at(v, "/VolumeId")
            })
            .collect();
        let mut expected = vec![kept, survivor];
        expected.sort();
        assert_eq!(left, expected);
    }

    #[test]
    fn modifications_follow_the_clock() {
        let ec2 = with_delay(10);
        let ctx = RequestContext::for_tests();
        let vol = create(&ec2, &ctx, json!({"AvailabilityZone": "us-east-1a", "Size": 10, "VolumeType": "gp3"}));
        let t = later(&ctx, 10);
        assert_eq!(
            refused(&ec2, &t, "DescribeVolumesModifications", json!({"VolumeIds": [vol]})),
            "InvalidVolumeModification.NotFound"
        );
        assert_eq!(refused(&ec2, &t, "ModifyVolume", json!({"VolumeId": vol, "Size": 5})), "InvalidParameterValue");
        assert_eq!(
            refused(&ec2, &t, "ModifyVolume", json!({"VolumeId": vol, "Iops": 100_000})),
            "InvalidParameterValue"
        );
        assert_eq!(
            refused(&ec2, &t, "ModifyVolume", json!({"VolumeId": vol, "Size": 10})),
            "InvalidParameterCombination",
            "nothing changes"
        );
        assert_eq!(volume(&ec2, &t, &vol)["Size"], 10, "refusals changed nothing");
        let m = call(&ec2, &t, "ModifyVolume", json!({"VolumeId": vol, "Size": 20, "Iops": 4000}));
        let m = &m["VolumeModification"];
        assert_eq!(m["ModificationState"], "modifying");
        assert_eq!((m["OriginalSize"].clone(), m["TargetSize"].clone()), (json!(10), json!(20)));
        assert_eq!((m["OriginalIops"].clone(), m["TargetIops"].clone()), (json!(3000), json!(4000)));
        assert_eq!(m["TargetThroughput"], 125);
        assert_eq!(
            refused(&ec2, &later(&ctx, 12), "ModifyVolume", json!({"VolumeId": vol, "Size": 30})),
            "IncorrectModificationState"
        );
        let state_at = |secs: i64| {
            let out = call(&ec2, &later(&ctx, secs), "DescribeVolumesModifications", json!({"VolumeIds": [vol]}));
            str_at(&out, "/VolumesModifications/0/ModificationState")
        };
        assert_eq!(state_at(19), "modifying");
        assert_eq!(state_at(20), "optimizing");
        assert_eq!(state_at(30), "completed");
        let v = volume(&ec2, &later(&ctx, 30), &vol);
        assert_eq!((v["Size"].clone(), v["Iops"].clone()), (json!(20), json!(4000)));
        assert_eq!(
            refused(&ec2, &later(&ctx, 40), "ModifyVolume", json!({"VolumeId": vol, "Size": 30})),
            "VolumeModificationRateExceeded"
        );
        let m = call(&ec2, &later(&ctx, 6 * 3600 + 10), "ModifyVolume", json!({"VolumeId": vol, "VolumeType": "io2"}));
        assert_eq!(m["VolumeModification"]["TargetVolumeType"], "io2");
        assert_eq!(m["VolumeModification"]["TargetIops"], 3000, "ModifyVolume's default for a new type");
        assert!(m["VolumeModification"].get("TargetThroughput").is_none());
    }

    #[test]
    fn attributes_and_status() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let vol = create(&ec2, &ctx, json!({"AvailabilityZone": "us-east-1a", "Size": 1}));
        let attr = |a: &str| call(&ec2, &ctx, "DescribeVolumeAttribute", json!({"VolumeId": vol, "Attribute": a}));
        assert_eq!(attr("autoEnableIO")["AutoEnableIO"]["Value"], false);
        call(&ec2, &ctx, "ModifyVolumeAttribute", json!({"VolumeId": vol, "AutoEnableIO": {"Value": true}}));
        assert_eq!(attr("autoEnableIO")["AutoEnableIO"]["Value"], true);
        assert_eq!(
            refused(&ec2, &ctx, "DescribeVolumeAttribute", json!({"VolumeId": vol, "Attribute": "size"})),
            "InvalidParameterValue"
        );
        let st = call(&ec2, &ctx, "DescribeVolumeStatus", json!({"VolumeIds": [vol]}));
        assert_eq!(st["VolumeStatuses"][0]["VolumeStatus"]["Status"], "ok");
        call(&ec2, &ctx, "DeleteVolume", json!({"VolumeId": vol}));
        assert_eq!(refused(&ec2, &ctx, "DeleteVolume", json!({"VolumeId": vol})), "InvalidVolume.NotFound");
        assert_eq!(refused(&ec2, &ctx, "DescribeVolumeStatus", json!({"VolumeIds": [vol]})), "InvalidVolume.NotFound");
    }
}
