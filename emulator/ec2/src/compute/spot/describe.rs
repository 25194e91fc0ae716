//! DescribeSpotInstanceRequests: a request's state and status, derived at `now` from its
//! instance as AWS's table of Spot request states says, with its filters and paging.

use chrono::{DateTime, Duration, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use crate::compute::spot::requests::{check_id, holding};
use crate::generated::dto::{
    DescribeSpotInstanceRequestsRequest, DescribeSpotInstanceRequestsResult, SpotInstanceRequest, SpotInstanceStatus,
};
use crate::state::lifecycle::{shown_state, InstanceStateName as Name};
use crate::state::spot::SpotRequestRecord;
use crate::state::support::{filtered, paginate, tag_pairs};
use crate::state::Ec2State;

/// How long AWS keeps showing a request that is over (cancelled or closed, its instance
/// gone): four hours.
const VISIBLE_AFTER_END_HOURS: i64 = 4;

/// (state, status code, message, since when). Messages AWS documents are used as they
/// are; the others are guesses in the same style.
fn status_at(
    state: &Ec2State,
    rec: &SpotRequestRecord,
    now: DateTime<Utc>,
) -> (&'static str, String, String, DateTime<Utc>) {
    let instance = rec.instance_id.as_ref().and_then(|i| state.instances.get(i)).map(|r| shown_state(state, r, now));
    let gone = |s: Name| matches!(s, Name::ShuttingDown | Name::Terminated);
    if let Some(at) = rec.cancelled_at {
        return match instance {
            Some((s, since)) if gone(s) => (
                "cancelled",
                "instance-terminated-by-user".into(),
                "Spot Instance terminated due to user-initiated termination.".into(),
                since.max(at),
            ),
            Some(_) => (
                "cancelled",
                "request-canceled-and-instance-running".into(),
                "Spot Instance Request is canceled, but the instance is still running.".into(),
                at,
            ),
            None if rec.instance_id.is_some() => (
                "cancelled",
                "instance-terminated-by-user".into(),
                "Spot Instance terminated due to user-initiated termination.".into(),
                at,
            ),
            None => (
                "cancelled",
                "canceled-before-fulfillment".into(),
                "Your Spot request is canceled before it was fulfilled.".into(),
                at,
            ),
        };
    }
    let persistent = rec.request.r#type.as_deref() == Some("persistent");
    let until = rec.request.valid_until.as_ref().map(|t| t.0);
    match instance {
        Some((Name::Pending | Name::Running, since)) => {
            if persistent && until.is_some_and(|u| u <= now) {
                // A persistent request ends at ValidUntil; its instance keeps running (a guess at the code).
                let u = until.unwrap_or(now);
                return (
                    "cancelled",
                    "request-canceled-and-instance-running".into(),
                    "Spot Instance Request is canceled, but the instance is still running.".into(),
                    u,
                );
            }
            ("active", "fulfilled".into(), "Your spot request is fulfilled.".into(), since.max(rec.since))
        }
        Some((Name::Stopping, since)) => {
            ("active", "marked-for-stop".into(), "Spot Instance is marked for stop.".into(), since)
        }
        Some((Name::Stopped, since)) => (
            "disabled",
            "instance-stopped-by-user".into(),
            "Spot Instance stopped due to user-initiated stop.".into(),
            since,
        ),
        Some((_, since)) if !persistent => (
            "closed",
            "instance-terminated-by-user".into(),
            "Spot Instance terminated due to user-initiated termination.".into(),
            since,
        ),
        None if rec.instance_id.is_some() && !persistent => (
            "closed",
            "instance-terminated-by-user".into(),
            "Spot Instance terminated due to user-initiated termination.".into(),
            rec.since,
        ),
        _ => {
            if let Some(u) = until.filter(|u| *u <= now) {
                return ("cancelled", "schedule-expired".into(), "Your Spot request has expired.".into(), u);
            }
            let zone = rec
                .request
                .launch_specification
                .as_ref()
                .and_then(|s| s.placement.as_ref())
                .and_then(|p| p.availability_zone.clone())
                .unwrap_or_default();
            let platform = (rec.request.product_description.as_deref() == Some("Windows")).then_some("windows");
            match holding(rec, &zone, platform, now) {
                Some((code, message)) => ("open", code, message, rec.since),
                None => (
                    "open",
                    "pending-evaluation".into(),
                    "Your Spot request has been submitted for review, and is pending evaluation.".into(),
                    rec.since,
                ),
            }
        }
    }
}

/// One request as DescribeSpotInstanceRequests shows it at `now`.
pub fn describe_one(state: &Ec2State, id: &str, now: DateTime<Utc>) -> SpotInstanceRequest {
    let Some(rec) = state.spot.requests.get(id) else { return SpotInstanceRequest::default() };
    let (st, code, message, since) = status_at(state, rec, now);
    let mut r = rec.request.clone();
    r.state = Some(st.into());
    r.status =
        Some(SpotInstanceStatus { code: Some(code), message: Some(message), update_time: Some(Timestamp(since)) });
    r.instance_id = rec.instance_id.clone();
    r.launched_availability_zone = rec.launched_zone.clone();
    r.tags = state.dto_tags(id);
    r
}

/// Whether AWS still shows the request: not more than four hours after it ended.
fn visible(state: &Ec2State, r: &SpotInstanceRequest, now: DateTime<Utc>) -> bool {
    let over = matches!(r.state.as_deref(), Some("cancelled" | "closed" | "failed"));
    let instance_up = r
        .instance_id
        .as_ref()
        .and_then(|i| state.instances.get(i))
        .is_some_and(|rec| !matches!(shown_state(state, rec, now).0, Name::Terminated | Name::ShuttingDown));
    let since = r.status.as_ref().and_then(|s| s.update_time.as_ref()).map(|t| t.0).unwrap_or(now);
    !over || instance_up || now <= since + Duration::hours(VISIBLE_AFTER_END_HOURS)
}

impl Filterable for SpotInstanceRequest {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| -> Vec<String> { v.iter().cloned().collect() };
        let time = |v: &Option<Timestamp>| -> Vec<String> {
            v.iter().map(|t| t.0.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)).collect()
        };
        let spec = self.launch_specification.clone().unwrap_or_default();
        let devices = spec.block_device_mappings.clone().unwrap_or_default();
        let ebs = |f: &dyn Fn(&crate::generated::dto::EbsBlockDevice) -> Option<String>| -> Vec<String> {
            devices.iter().filter_map(|d| d.ebs.as_ref().and_then(f)).collect()
        };
        let nics = spec.network_interfaces.clone().unwrap_or_default();
        let status = self.status.clone().unwrap_or_default();
        Some(match name {
            "availability-zone-group" => one(&self.availability_zone_group),
            "create-time" => time(&self.create_time),
            "fault-code" => self.fault.iter().filter_map(|f| f.code.clone()).collect(),
            "fault-message" => self.fault.iter().filter_map(|f| f.message.clone()).collect(),
            "instance-id" => one(&self.instance_id),
            "launch-group" => one(&self.launch_group),
            "launch.block-device-mapping.delete-on-termination" => {
                ebs(&|e| e.delete_on_termination.map(|b| b.to_string()))
            }
            "launch.block-device-mapping.device-name" => devices.iter().filter_map(|d| d.device_name.clone()).collect(),
            "launch.block-device-mapping.snapshot-id" => ebs(&|e| e.snapshot_id.clone()),
            "launch.block-device-mapping.volume-size" => ebs(&|e| e.volume_size.map(|s| s.to_string())),
            "launch.block-device-mapping.volume-type" => ebs(&|e| e.volume_type.clone()),
            "launch.group-id" => spec.security_groups.iter().flatten().filter_map(|g| g.group_id.clone()).collect(),
            "launch.group-name" => spec.security_groups.iter().flatten().filter_map(|g| g.group_name.clone()).collect(),
            "launch.image-id" => one(&spec.image_id),
            "launch.instance-type" => one(&spec.instance_type),
            "launch.kernel-id" => one(&spec.kernel_id),
            "launch.key-name" => one(&spec.key_name),
            "launch.monitoring-enabled" => spec.monitoring.iter().map(|m| m.enabled.to_string()).collect(),
            "launch.ramdisk-id" => one(&spec.ramdisk_id),
            "launched-availability-zone" => one(&self.launched_availability_zone),
            "network-interface.delete-on-termination" => {
                nics.iter().filter_map(|n| n.delete_on_termination.map(|b| b.to_string())).collect()
            }
            "network-interface.description" => nics.iter().filter_map(|n| n.description.clone()).collect(),
            "network-interface.device-index" => {
                nics.iter().filter_map(|n| n.device_index.map(|i| i.to_string())).collect()
            }
            "network-interface.group-id" => nics.iter().flat_map(|n| n.groups.clone().unwrap_or_default()).collect(),
            "network-interface.network-interface-id" => {
                nics.iter().filter_map(|n| n.network_interface_id.clone()).collect()
            }
            "network-interface.private-ip-address" => {
                nics.iter().filter_map(|n| n.private_ip_address.clone()).collect()
            }
            "network-interface.subnet-id" => nics.iter().filter_map(|n| n.subnet_id.clone()).collect(),
            "product-description" => one(&self.product_description),
            "spot-instance-request-id" => one(&self.spot_instance_request_id),
            "spot-price" => one(&self.spot_price),
            "state" => one(&self.state),
            "status-code" => one(&status.code),
            "status-message" => one(&status.message),
            "type" => one(&self.r#type),
            "valid-from" => time(&self.valid_from),
            "valid-until" => time(&self.valid_until),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_spot_instance_requests(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeSpotInstanceRequestsRequest,
) -> Result<DescribeSpotInstanceRequestsResult, ApiError> {
    let wanted = input.spot_instance_request_ids.clone().unwrap_or_default();
    for id in &wanted {
        check_id(state, id)?;
    }
    let items = state
        .spot
        .requests
        .keys()
        .filter(|id| wanted.is_empty() || wanted.contains(id))
        .map(|id| describe_one(state, id, ctx.now))
        .filter(|r| !wanted.is_empty() || visible(state, r, ctx.now));
    let items = filtered(items, input.filters.as_deref())?;
    let (page, next_token) =
        paginate(items, |r| r.spot_instance_request_id.clone().unwrap_or_default(), input.page(), !wanted.is_empty())?;
    Ok(DescribeSpotInstanceRequestsResult { spot_instance_requests: Some(page), next_token })
}
