//! DescribeSpotFleetRequests, DescribeSpotFleetInstances and
//! DescribeSpotFleetRequestHistory.

use chrono::{DateTime, Utc};
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use super::common::{activity, phase};
use super::ec2_describe::{active_instances, history_page};
use super::engine::fulfilled;
use super::spot_fleet::{check_id, state_name};
use crate::generated::dto::{
    DescribeSpotFleetInstancesRequest, DescribeSpotFleetInstancesResponse, DescribeSpotFleetRequestHistoryRequest,
    DescribeSpotFleetRequestHistoryResponse, DescribeSpotFleetRequestsRequest, DescribeSpotFleetRequestsResponse,
    EventInformation, HistoryRecord, SpotFleetRequestConfig,
};
use crate::generated::enums;
use crate::state::fleet::{EventKind, FleetApi};
use crate::state::params::one_of;
use crate::state::support::paginate;
use crate::state::Ec2State;

/// A request as DescribeSpotFleetRequests answers it at `now`.
pub fn describe_one(state: &Ec2State, id: &str, now: DateTime<Utc>) -> SpotFleetRequestConfig {
    let rec = &state.fleets.fleets[id];
    let (total, od) = fulfilled(state, rec, now);
    let mut config = rec.spot.clone().unwrap_or_default();
    config.fulfilled_capacity = Some(total);
    config.on_demand_fulfilled_capacity = Some(od);
    SpotFleetRequestConfig {
        activity_status: Some(activity(state, rec, now).into()),
        create_time: Some(Timestamp(rec.create_time)),
        spot_fleet_request_config: Some(config),
        spot_fleet_request_id: Some(id.to_string()),
        spot_fleet_request_state: Some(state_name(phase(state, rec, now)).into()),
        tags: state.dto_tags(id),
    }
}

pub fn describe_spot_fleet_requests(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeSpotFleetRequestsRequest,
) -> Result<DescribeSpotFleetRequestsResponse, ApiError> {
    let wanted = input.spot_fleet_request_ids.clone().unwrap_or_default();
    for id in &wanted {
        check_id(state, id)?;
    }
    let items: Vec<SpotFleetRequestConfig> = state
        .fleets
        .fleets
        .iter()
        .filter(|(id, r)| r.api == FleetApi::SpotFleet && (wanted.is_empty() || wanted.contains(id)))
        .map(|(id, _)| describe_one(state, id, ctx.now))
        .collect();
    let (page, next_token) =
        paginate(items, |r| r.spot_fleet_request_id.clone().unwrap_or_default(), input.page(), false)?;
    Ok(DescribeSpotFleetRequestsResponse { spot_fleet_request_configs: Some(page), next_token })
}

pub fn describe_spot_fleet_instances(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeSpotFleetInstancesRequest,
) -> Result<DescribeSpotFleetInstancesResponse, ApiError> {
    check_id(state, &input.spot_fleet_request_id)?;
    let items = active_instances(state, &state.fleets.fleets[&input.spot_fleet_request_id], ctx.now);
    let (page, next_token) = paginate(items, |i| i.instance_id.clone().unwrap_or_default(), input.page(), false)?;
    Ok(DescribeSpotFleetInstancesResponse {
        active_instances: Some(page),
        next_token,
        spot_fleet_request_id: Some(input.spot_fleet_request_id),
    })
}

pub fn describe_spot_fleet_request_history(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeSpotFleetRequestHistoryRequest,
) -> Result<DescribeSpotFleetRequestHistoryResponse, ApiError> {
    check_id(state, &input.spot_fleet_request_id)?;
    let page = input.page();
    let kind = match input.event_type.as_deref() {
        None => None,
        Some(t) => {
            one_of("EventType", t, enums::EVENT_TYPE)?;
            Some(t.to_string())
        }
    };
    let rec = &state.fleets.fleets[&input.spot_fleet_request_id];
    // nimbus records no `information` events, so asking for them finds none.
    let (events, next_token) = match kind.as_deref() {
        Some("information") => (Vec::new(), None),
        other => {
            let kind = other.map(|t| match t {
                "instanceChange" => EventKind::Instance,
                "fleetRequestChange" => EventKind::Fleet,
                _ => EventKind::Error,
            });
            if let (Some(m), Some((lo, hi))) = (page.max_results, page.bounds) {
                if m < lo || m > hi {
                    return Err(crate::generated::errors::invalid_parameter_value(format!(
                        "Value ( {m} ) for parameter maxResults is invalid. Parameter must be between {lo} and {hi}."
                    )));
                }
            }
            history_page(rec, input.start_time.0, kind, page.max_results, page.next_token.as_deref())?
        }
    };
    let records = events
        .into_iter()
        .map(|e| HistoryRecord {
            event_type: Some(
                match e.kind {
                    EventKind::Instance => "instanceChange",
                    EventKind::Fleet => "fleetRequestChange",
                    EventKind::Error => "error",
                }
                .into(),
            ),
            timestamp: Some(Timestamp(e.at)),
            event_information: Some(EventInformation {
                event_description: Some(e.description).filter(|d| !d.is_empty()),
                event_sub_type: Some(e.sub_type),
                instance_id: e.instance_id,
            }),
        })
        .collect();
    Ok(DescribeSpotFleetRequestHistoryResponse {
        last_evaluated_time: next_token.is_none().then_some(Timestamp(ctx.now)),
        history_records: Some(records),
        next_token,
        spot_fleet_request_id: Some(input.spot_fleet_request_id),
        start_time: Some(input.start_time),
    })
}
