//! Volume records and attachments: what RunInstances, termination and the handlers
//! create and remove, and the volume types' limits.

use chrono::{DateTime, Duration, Utc};
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, RequestContext};

use crate::generated::dto::{Volume, VolumeAttachment};
use crate::state::Ec2State;

pub type Provisioned = (i32, i32, i32);

/// The volume types, with their sizes (GiB) and provisioned IOPS: (type, min size, max
/// size, IOPS range and maximum IOPS per GiB when IOPS are provisioned). AWS's EBS volume
/// types page; gp3 as extended in September 2025 (64 TiB, 80,000 IOPS, 2,000 MiB/s).
pub const TYPES: &[(&str, i32, i32, Option<Provisioned>)] = &[
    ("gp2", 1, 16_384, None),
    ("gp3", 1, 65_536, Some((3_000, 80_000, 500))),
    ("io1", 4, 16_384, Some((100, 64_000, 50))),
    ("io2", 4, 65_536, Some((100, 256_000, 1_000))),
    ("st1", 125, 16_384, None),
    ("sc1", 125, 16_384, None),
    ("standard", 1, 1_024, None),
];
/// gp3 throughput (MiB/s), and its maximum per provisioned IOPS.
pub const GP3_THROUGHPUT: (i32, i32) = (125, 2_000);
pub const GP3_THROUGHPUT_PER_IOPS: f64 = 0.25;
/// How many instances one Multi-Attach volume may be attached to.
pub const MAX_MULTI_ATTACH: usize = 16;
/// How long after a modification the next one is refused (AWS's Elastic Volumes limit).
pub const MODIFICATION_INTERVAL: Duration = Duration::hours(6);

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
    // With encryption by default, every new volume is encrypted; an encrypted volume
    // without a named key gets the account's default key.
    let encrypted = new.encrypted || state.account.ebs_encryption_by_default;
    let account_key = state.account.ebs_default_kms_key_id.as_deref().map(|k| kms_key_arn(ctx, k));
    let kms_key_id = match (encrypted, new.kms_key_id) {
        (true, Some(key)) => Some(kms_key_arn(ctx, &key)),
        (true, None) => Some(account_key.unwrap_or_else(|| default_kms_key(ctx))),
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
        encrypted: Some(encrypted),
        kms_key_id,
        fast_restored: Some(false),
        ..Default::default()
    };
    state.volumes.insert(id.clone(), volume);
    id
}

/// The key under which an attachment's state change is dated.
pub fn attachment_key(volume_id: &str, instance_id: &str) -> String {
    format!("{volume_id}/{instance_id}")
}

pub fn modification_key(volume_id: &str) -> String {
    format!("{volume_id}/modification")
}

/// When the transition dated under `key` ends.
/// Attaches a volume in the state given (`attached` at launch, `attaching` otherwise).
pub fn add_attachment(
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
    state.index.attach(instance_id, volume_id);
    if attachment_state != "attached" {
        state.index.volume(volume_id);
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
        .volumes_of(instance_id)
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
pub fn remove_volume(state: &mut Ec2State, volume_id: &str) {
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
