//! DescribeInstanceStatus: the status checks and scheduled events of running instances.

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use chrono::Timelike;
use nimbus_core::types::Timestamp;

use crate::compute::instances::lifecycle::check_all;
use crate::generated::dto::{
    DescribeInstanceStatusRequest, DescribeInstanceStatusResult, InstanceStatus, InstanceStatusDetails,
    InstanceStatusSummary, OperatorResponse,
};
use crate::state::host::{Check, HostStatus};
use crate::state::lifecycle::{shown_state, InstanceStateName as Name};
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate};
use crate::state::Ec2State;

impl Filterable for InstanceStatus {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let summary = |s: &Option<InstanceStatusSummary>| {
            s.as_ref().and_then(|s| s.status.clone()).into_iter().collect::<Vec<_>>()
        };
        let reach = |s: &Option<InstanceStatusSummary>| {
            s.as_ref()
                .and_then(|s| {
                    s.details.as_ref()?.iter().find(|d| d.name.as_deref() == Some("reachability"))?.status.clone()
                })
                .into_iter()
                .collect::<Vec<_>>()
        };
        Some(match name {
            "availability-zone" => self.availability_zone.iter().cloned().collect(),
            "instance-state-name" => self.instance_state.as_ref().and_then(|s| s.name.clone()).into_iter().collect(),
            "instance-state-code" => {
                self.instance_state.as_ref().and_then(|s| s.code).map(|c| vec![c.to_string()]).unwrap_or_default()
            }
            "instance-status.status" => summary(&self.instance_status),
            "instance-status.reachability" => reach(&self.instance_status),
            "system-status.status" => summary(&self.system_status),
            "system-status.reachability" => reach(&self.system_status),
            "event.code" | "event.description" | "event.not-after" | "event.not-before" => Vec::new(),
            _ => return None,
        })
    }
}

/// A check's summary: `ok` with reachability `passed`, `initializing`, or `impaired`
/// with reachability `failed` (`ImpairedSince` is the time of the answer: the host
/// reports the checks as they are, not when they changed).
fn status_summary(check: Check, impaired_since: Timestamp) -> Option<InstanceStatusSummary> {
    let (status, reachability) = match check {
        Check::Passed => ("ok", "passed"),
        Check::Initializing => ("initializing", "initializing"),
        Check::Failed => ("impaired", "failed"),
    };
    Some(InstanceStatusSummary {
        details: Some(vec![InstanceStatusDetails {
            impaired_since: (check == Check::Failed).then_some(impaired_since),
            name: Some("reachability".into()),
            status: Some(reachability.into()),
        }]),
        status: Some(status.into()),
    })
}

fn not_applicable() -> Option<InstanceStatusSummary> {
    Some(InstanceStatusSummary { details: None, status: Some("not-applicable".into()) })
}

pub fn describe_instance_status(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DescribeInstanceStatusRequest,
) -> Result<DescribeInstanceStatusResult, ApiError> {
    let ids = input.instance_ids.clone().unwrap_or_default();
    if !ids.is_empty() {
        check_all(state, &ids)?;
    }
    let all = input.include_all_instances == Some(true);
    let statuses =
        state.instances.iter().filter(|(id, _)| ids.is_empty() || ids.contains(id)).filter_map(|(id, rec)| {
            let (shown, since) = shown_state(state, rec, ctx.now);
            if shown != Name::Running && !all {
                return None;
            }
            // On a host that runs instances, the checks are what it observed; for records
            // they pass once the instance has been running for the transition delay.
            let checks = if shown != Name::Running {
                None
            } else if let Some(host) = shared.host() {
                Some(
                    host.status(id)
                        .unwrap_or(HostStatus { instance: Check::Initializing, system: Check::Initializing }),
                )
            } else {
                let check =
                    if ctx.now >= since + state.transition_delay() { Check::Passed } else { Check::Initializing };
                Some(HostStatus { instance: check, system: check })
            };
            let placement = rec.instance.placement.clone().unwrap_or_default();
            let now = Timestamp(ctx.now.with_nanosecond(0).unwrap_or(ctx.now));
            Some(InstanceStatus {
                availability_zone: placement.availability_zone,
                availability_zone_id: placement.availability_zone_id,
                operator: Some(OperatorResponse { managed: Some(false), ..Default::default() }),
                events: None,
                instance_id: Some(id.clone()),
                instance_state: Some(shown.dto()),
                instance_status: checks.map_or_else(not_applicable, |c| status_summary(c.instance, now)),
                system_status: checks.map_or_else(not_applicable, |c| status_summary(c.system, now)),
                ..Default::default()
            })
        });
    let items = filtered(statuses, input.filters.as_deref())?;
    let (page, next) = paginate(items, |s| s.instance_id.clone().unwrap_or_default(), input.page(), !ids.is_empty())?;
    Ok(DescribeInstanceStatusResult { instance_statuses: Some(page), next_token: next })
}
