//! EBS volumes: the volumes instances launch with (from the image's block-device
//! mapping and the request's), their attachments, DeleteOnTermination, DescribeVolumes.

use chrono::{DateTime, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{DescribeVolumesRequest, DescribeVolumesResult, Volume, VolumeAttachment};
use crate::generated::errors;
use crate::state::Ec2State;
use crate::support::{filtered, paginate};
use crate::vpcs::tag_pairs;

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
}

/// The performance AWS gives a volume type when the request names none.
pub fn default_performance(volume_type: &str, size_gib: i32) -> (Option<i32>, Option<i32>) {
    match volume_type {
        "gp3" => (Some(3000), Some(125)),
        // gp2: 3 IOPS per GiB, at least 100, at most 16,000.
        "gp2" => (Some((size_gib * 3).clamp(100, 16_000)), None),
        "io1" | "io2" => (Some(100), None),
        _ => (None, None),
    }
}

pub fn create_volume_record(state: &mut Ec2State, ctx: &RequestContext, new: NewVolume) -> String {
    let id = ids::resource_id("vol");
    let (default_iops, default_throughput) = default_performance(&new.volume_type, new.size_gib);
    let volume = Volume {
        availability_zone_id: Some(new.availability_zone_id),
        iops: new.iops.or(default_iops),
        volume_type: Some(new.volume_type),
        multi_attach_enabled: Some(false),
        throughput: new.throughput.or(default_throughput),
        volume_id: Some(id.clone()),
        size: Some(new.size_gib),
        snapshot_id: Some(new.snapshot_id.unwrap_or_default()),
        availability_zone: Some(new.availability_zone),
        state: Some("available".into()),
        create_time: Some(Timestamp(ctx.now)),
        attachments: Some(Vec::new()),
        encrypted: Some(new.encrypted),
        kms_key_id: new.kms_key_id,
        ..Default::default()
    };
    state.volumes.insert(id.clone(), volume);
    id
}

pub fn attach_record(
    state: &mut Ec2State,
    volume_id: &str,
    instance_id: &str,
    device: &str,
    delete_on_termination: bool,
    now: DateTime<Utc>,
) {
    if let Some(v) = state.volumes.get_mut(volume_id) {
        v.state = Some("in-use".into());
        v.attachments = Some(vec![VolumeAttachment {
            delete_on_termination: Some(delete_on_termination),
            volume_id: Some(volume_id.to_string()),
            instance_id: Some(instance_id.to_string()),
            device: Some(device.to_string()),
            state: Some("attached".into()),
            attach_time: Some(Timestamp(now)),
            ..Default::default()
        }]);
    }
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

/// When an instance terminates: volumes with DeleteOnTermination go, the others are
/// detached and become available.
pub fn on_instance_terminated(state: &mut Ec2State, instance_id: &str) {
    for (_, volume_id, _, delete) in attached_to(state, instance_id) {
        if delete {
            state.volumes.remove(&volume_id);
            state.forget(&volume_id);
        } else if let Some(v) = state.volumes.get_mut(&volume_id) {
            v.state = Some("available".into());
            v.attachments = Some(Vec::new());
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

fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a Volume, ApiError> {
    state.volumes.get(id).ok_or_else(|| errors::invalid_volume_not_found(id))
}

pub fn describe_one(state: &Ec2State, id: &str) -> Volume {
    let mut v = state.volumes[id].clone();
    v.tags = state.dto_tags(id);
    v
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
    _ctx: &RequestContext,
    input: DescribeVolumesRequest,
) -> Result<DescribeVolumesResult, ApiError> {
    let ids = input.volume_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all = state.volumes.keys().filter(|id| ids.is_empty() || ids.contains(id)).map(|id| describe_one(state, id));
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
