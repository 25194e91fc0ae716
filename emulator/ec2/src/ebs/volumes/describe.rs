//! DescribeVolumes and DescribeVolumeStatus.

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use crate::ebs::volumes::lifecycle::{describe_one, volume_at};
use crate::generated::dto::{
    DescribeVolumeStatusRequest, DescribeVolumeStatusResult, DescribeVolumesRequest, DescribeVolumesResult, Volume,
    VolumeStatusAttachmentStatus, VolumeStatusDetails, VolumeStatusInfo, VolumeStatusItem,
};
use crate::generated::errors;
use crate::state::support::{filtered, paginate, tag_pairs};
use crate::state::Ec2State;

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
    let (page, next) = paginate(items, |s| s.volume_id.clone().unwrap_or_default(), input.page(), !ids.is_empty())?;
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
    let paging = input.page();
    let ids = input.volume_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all =
        state.volumes.keys().filter(|id| ids.is_empty() || ids.contains(id)).map(|id| describe_one(state, id, ctx.now));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |v| v.volume_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeVolumesResult { volumes: Some(page), next_token: next })
}
