//! DescribeFleets, DescribeFleetInstances and DescribeFleetHistory: a fleet's state,
//! activity and capacity derived at `now` from its instances, with filters and paging.

use chrono::{DateTime, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use super::common::{activity, phase};
use super::ec2_fleet::{check_id, state_name};
use super::engine::{fulfilled, live_members};
use crate::generated::dto::{
    ActiveInstance, DescribeFleetError, DescribeFleetHistoryRequest, DescribeFleetHistoryResult,
    DescribeFleetInstancesRequest, DescribeFleetInstancesResult, DescribeFleetsInstances, DescribeFleetsRequest,
    DescribeFleetsResult, EventInformation, FleetData, HistoryRecordEntry,
};
use crate::generated::enums;
use crate::state::fleet::{EventKind, FleetApi, FleetRecord};
use crate::state::params::one_of;
use crate::state::support::{filtered, paginate, tag_pairs};
use crate::state::Ec2State;

impl Filterable for FleetData {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| -> Vec<String> { v.iter().cloned().collect() };
        Some(match name {
            "activity-status" => one(&self.activity_status),
            "excess-capacity-termination-policy" => one(&self.excess_capacity_termination_policy),
            "fleet-state" => one(&self.fleet_state),
            "replace-unhealthy-instances" => self.replace_unhealthy_instances.iter().map(|b| b.to_string()).collect(),
            "type" => one(&self.r#type),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

impl Filterable for ActiveInstance {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        match name {
            "instance-type" => Some(self.instance_type.iter().cloned().collect()),
            _ => None,
        }
    }
}

/// A fleet as DescribeFleets answers it at `now`.
pub fn describe_one(state: &Ec2State, id: &str, now: DateTime<Utc>) -> FleetData {
    let rec = &state.fleets.fleets[id];
    let (total, od) = fulfilled(state, rec, now);
    let mut data = rec.ec2.clone().unwrap_or_default();
    data.fleet_id = Some(id.to_string());
    data.create_time = Some(Timestamp(rec.create_time));
    data.fleet_state = Some(state_name(phase(state, rec, now)).into());
    data.activity_status = Some(activity(state, rec, now).into());
    data.fulfilled_capacity = Some(total);
    data.fulfilled_on_demand_capacity = Some(od);
    data.tags = state.dto_tags(id);
    if rec.fleet_type == "instant" {
        // Instant fleets answer what their launch did (AWS: "Valid only when Type is set to instant").
        let lifecycle = |spot: bool| Some(if spot { "spot" } else { "on-demand" }.to_string());
        let mut groups: Vec<DescribeFleetsInstances> = Vec::new();
        for m in &rec.members {
            let instance_type = state.instances.get(&m.instance_id).and_then(|r| r.instance.instance_type.clone());
            match groups.iter_mut().find(|g| {
                g.lifecycle == lifecycle(m.spot)
                    && g.launch_template_and_overrides == rec.pools[m.pool].template_and_overrides
            }) {
                Some(g) => g.instance_ids.get_or_insert_with(Vec::new).push(m.instance_id.clone()),
                None => groups.push(DescribeFleetsInstances {
                    launch_template_and_overrides: rec.pools[m.pool].template_and_overrides.clone(),
                    lifecycle: lifecycle(m.spot),
                    instance_ids: Some(vec![m.instance_id.clone()]),
                    instance_type,
                    platform: None,
                }),
            }
        }
        data.instances = Some(groups);
        data.errors = Some(
            rec.failures
                .iter()
                .map(|f| DescribeFleetError {
                    launch_template_and_overrides: rec.pools[f.pool].template_and_overrides.clone(),
                    lifecycle: lifecycle(f.spot),
                    error_code: Some(f.code.clone()),
                    error_message: Some(f.message.clone()),
                })
                .collect(),
        );
    }
    data
}

fn ec2_fleets(state: &Ec2State) -> impl Iterator<Item = (&String, &FleetRecord)> {
    state.fleets.fleets.iter().filter(|(_, r)| r.api == FleetApi::Ec2Fleet)
}

pub fn describe_fleets(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeFleetsRequest,
) -> Result<DescribeFleetsResult, ApiError> {
    let wanted = input.fleet_ids.clone().unwrap_or_default();
    for id in &wanted {
        check_id(state, id)?;
    }
    // Without ids AWS lists maintain and request fleets, not instant ones (aws/aws-cli#4889).
    let items = ec2_fleets(state)
        .filter(|(id, r)| if wanted.is_empty() { r.fleet_type != "instant" } else { wanted.contains(id) })
        .map(|(id, _)| describe_one(state, id, ctx.now));
    let items = filtered(items, input.filters.as_deref())?;
    let (page, next_token) = paginate(items, |f| f.fleet_id.clone().unwrap_or_default(), input.page(), false)?;
    Ok(DescribeFleetsResult { fleets: Some(page), next_token })
}

pub fn describe_fleet_instances(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeFleetInstancesRequest,
) -> Result<DescribeFleetInstancesResult, ApiError> {
    check_id(state, &input.fleet_id)?;
    let rec = &state.fleets.fleets[&input.fleet_id];
    if rec.fleet_type == "instant" {
        // AWS's answer, as reported in boto/boto3#4005.
        return Err(ApiError::client(
            "Unsupported",
            format!(
                "Fleet {} is instant fleet. Describe fleet instances is not supported by this type of fleet",
                input.fleet_id
            ),
        ));
    }
    let items = active_instances(state, rec, ctx.now);
    let items = filtered(items, input.filters.as_deref())?;
    let (page, next_token) = paginate(items, |i| i.instance_id.clone().unwrap_or_default(), input.page(), false)?;
    Ok(DescribeFleetInstancesResult { active_instances: Some(page), next_token, fleet_id: Some(input.fleet_id) })
}

/// The fleet's instances that count, in instance-id order (the paging key).
pub fn active_instances(state: &Ec2State, rec: &FleetRecord, now: DateTime<Utc>) -> Vec<ActiveInstance> {
    let mut out: Vec<ActiveInstance> = live_members(state, rec, now)
        .into_iter()
        .map(|m| {
            let i = &state.instances[&m.instance_id].instance;
            ActiveInstance {
                instance_id: Some(m.instance_id.clone()),
                instance_type: i.instance_type.clone(),
                spot_instance_request_id: i.spot_instance_request_id.clone(),
                instance_health: Some("healthy".into()),
            }
        })
        .collect();
    out.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
    out
}

/// The history records of a fleet from `start`, optionally of one kind, oldest first;
/// paged by position.
pub fn history_page(
    rec: &FleetRecord,
    start: DateTime<Utc>,
    kind: Option<EventKind>,
    max_results: Option<i32>,
    next_token: Option<&str>,
) -> Result<(Vec<crate::state::fleet::FleetEvent>, Option<String>), ApiError> {
    let items: Vec<_> = rec
        .history
        .iter()
        .enumerate()
        .filter(|(_, e)| e.at >= start && kind.is_none_or(|k| e.kind == k))
        .map(|(n, e)| (format!("{n:010}"), e.clone()))
        .collect();
    let page = nimbus_core::paging::Page { max_results, next_token: next_token.map(str::to_string), bounds: None };
    let (items, token) = paginate(items, |(key, _)| key.clone(), page, false)?;
    Ok((items.into_iter().map(|(_, e)| e).collect(), token))
}

pub fn describe_fleet_history(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeFleetHistoryRequest,
) -> Result<DescribeFleetHistoryResult, ApiError> {
    check_id(state, &input.fleet_id)?;
    let kind = match input.event_type.as_deref() {
        None => None,
        Some(t) => {
            one_of("EventType", t, enums::FLEET_EVENT_TYPE)?;
            Some(match t {
                "instance-change" => EventKind::Instance,
                "fleet-change" => EventKind::Fleet,
                _ => EventKind::Error,
            })
        }
    };
    let rec = &state.fleets.fleets[&input.fleet_id];
    let (events, next_token) =
        history_page(rec, input.start_time.0, kind, input.max_results, input.next_token.as_deref())?;
    let records = events
        .into_iter()
        .map(|e| HistoryRecordEntry {
            event_type: Some(
                match e.kind {
                    EventKind::Instance => "instance-change",
                    EventKind::Fleet => "fleet-change",
                    EventKind::Error => "service-error",
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
    Ok(DescribeFleetHistoryResult {
        last_evaluated_time: next_token.is_none().then_some(Timestamp(ctx.now)),
        history_records: Some(records),
        next_token,
        fleet_id: Some(input.fleet_id),
        start_time: Some(input.start_time),
    })
}
