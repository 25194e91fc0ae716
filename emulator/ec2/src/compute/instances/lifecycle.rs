//! The lifecycle: what the clock makes happen (settle) and what Start, Stop, Reboot and
//! TerminateInstances change.

use chrono::{DateTime, Duration, Utc};
use nimbus_core::{ApiError, RequestContext};

use crate::compute::{fleets, spot};
use crate::ebs::volumes;
use crate::generated::dto::{
    InstanceStateChange, RebootInstancesRequest, StartInstancesRequest, StartInstancesResult, StopInstancesRequest,
    StopInstancesResult, TerminateInstancesRequest, TerminateInstancesResult,
};
use crate::generated::errors;
use crate::state::lifecycle::{shown_state, InstanceStateName as Name};
use crate::state::lookup::instance as get;
use crate::state::shared::Shared;
use crate::state::{Ec2State, InstanceRecord};
use crate::vpc::interfaces;
use crate::{compute::iam_profiles, vpc::addresses, vpc::subnets};

/// How long a terminated instance stays visible, as at AWS (about an hour).
pub const DEFAULT_TERMINATED_VISIBLE_SECS: u32 = 3600;

fn terminated_visible(state: &Ec2State) -> Duration {
    Duration::seconds(i64::from(state.terminated_visible_secs.unwrap_or(DEFAULT_TERMINATED_VISIBLE_SECS)))
}
/// AWS's default On-Demand quota, as a number of instances per region.
pub const DEFAULT_INSTANCE_QUOTA: usize = 1000;

/// Whether the clock has moved this instance on (or made it vanish) since it was stored.
fn is_due(state: &Ec2State, rec: &InstanceRecord, now: DateTime<Utc>) -> bool {
    match rec.stored_state {
        Name::Pending | Name::Stopping | Name::ShuttingDown => now >= rec.since + state.transition_delay(),
        Name::Terminated => now > rec.since + terminated_visible(state),
        Name::Running | Name::Stopped => false,
    }
}

/// Whether `settle` has anything to do at `now`.
pub fn needs_settling(state: &Ec2State, now: DateTime<Utc>) -> bool {
    state.moving_instances().any(|(_, rec)| is_due(state, rec, now))
}

/// Applies what the clock has made happen: an instance that finished stopping loses its
/// public address; one that finished terminating loses its interfaces and volumes; a
/// terminated one is gone an hour later.
pub fn settle(state: &mut Ec2State, now: DateTime<Utc>) {
    let due: Vec<String> =
        state.moving_instances().filter(|(_, rec)| is_due(state, rec, now)).map(|(id, _)| id.clone()).collect();
    for id in due {
        let (shown, since) = shown_state(state, &state.instances[&id], now);
        if shown != state.instances[&id].stored_state {
            match shown {
                Name::Stopped => release_public_ip(state, &id),
                Name::Terminated => release_everything(state, &id),
                _ => {}
            }
            let rec = state.instances.get_mut(&id).expect("listed above");
            rec.stored_state = shown;
            rec.since = since;
        }
        if shown == Name::Terminated && now > since + terminated_visible(state) {
            state.instances.remove(&id);
            state.index.attached.remove(&id);
            state.forget(&id);
        }
    }
}

fn release_public_ip(state: &mut Ec2State, id: &str) {
    let eni = state.instances[id].primary_interface.clone();
    state.auto_public_ips.remove(&eni);
}

/// The interfaces attached to an instance: (interface id, device index, delete on termination).
pub fn attached_interfaces(state: &Ec2State, instance_id: &str) -> Vec<(String, i32, bool)> {
    let mut out: Vec<_> = state
        .interfaces_of(instance_id)
        .filter_map(|(id, e)| {
            let a = e.attachment.as_ref()?;
            Some((id.clone(), a.device_index.unwrap_or(0), a.delete_on_termination.unwrap_or(false)))
        })
        .collect();
    out.sort_by_key(|(_, index, _)| *index);
    out
}

fn release_everything(state: &mut Ec2State, id: &str) {
    release_public_ip(state, id);
    for (eni, _, delete) in attached_interfaces(state, id) {
        if delete {
            let subnet = state.network_interfaces[&eni].subnet_id.clone().unwrap_or_default();
            for ip in interfaces::records::private_ips(&state.network_interfaces[&eni]) {
                subnets::release_ip(state, &subnet, &ip);
            }
            interfaces::records::remove_interface_record(state, &eni);
            state.network_interfaces.remove(&eni);
            state.forget(&eni);
        } else if let Some(e) = state.network_interfaces.get_mut(&eni) {
            e.attachment = None;
            e.status = Some("available".into());
        }
    }
    volumes::records::on_instance_terminated(state, id);
    iam_profiles::on_instance_terminated(state, id);
}

/// Every id must exist (AWS names all the missing ones), before anything changes.
pub fn check_all(state: &Ec2State, ids: &[String]) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Err(errors::missing_parameter("InstanceId"));
    }
    let mut missing = Vec::new();
    for id in ids {
        match get(state, id) {
            Ok(_) => {}
            Err(e) if e.code == "InvalidInstanceID.Malformed" => return Err(e),
            Err(_) => missing.push(id.as_str()),
        }
    }
    match missing.as_slice() {
        [] => Ok(()),
        [one] => Err(errors::invalid_instance_id_not_found(one)),
        many => Err(ApiError::client(
            "InvalidInstanceID.NotFound",
            format!("The instance IDs '{}' do not exist", many.join(", ")),
        )),
    }
}

// ----------------------------------------------------------------------------- lifecycle

/// Applies `change` to every instance after checking all of them, so that a request is
/// applied whole or not at all.
fn change_states(
    state: &mut Ec2State,
    ctx: &RequestContext,
    ids: &[String],
    decide: impl Fn(&Ec2State, &str, &InstanceRecord, Name) -> Result<Option<Name>, ApiError>,
) -> Result<Vec<InstanceStateChange>, ApiError> {
    check_all(state, ids)?;
    let mut plan = Vec::new();
    for id in ids {
        let rec = &state.instances[id];
        let (shown, _) = shown_state(state, rec, ctx.now);
        let next = decide(state, id, rec, shown)?;
        plan.push((id.clone(), shown, next));
    }
    let mut out = Vec::new();
    for (id, previous, next) in plan {
        let current = match next {
            Some(next) => {
                let rec = state.instances.get_mut(&id).expect("checked above");
                rec.stored_state = next;
                rec.since = ctx.now;
                state.index.instance(&id);
                next
            }
            None => previous,
        };
        out.push(InstanceStateChange {
            instance_id: Some(id),
            current_state: Some(current.dto()),
            previous_state: Some(previous.dto()),
        });
    }
    Ok(out)
}

pub fn start_instances(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: StartInstancesRequest,
) -> Result<StartInstancesResult, ApiError> {
    let changes = change_states(state, ctx, &input.instance_ids, |_, id, _, shown| match shown {
        Name::Stopped => Ok(Some(Name::Pending)),
        Name::Pending | Name::Running => Ok(None),
        _ => Err(errors::incorrect_instance_state(format!(
            "The instance '{id}' is not in a state from which it can be started."
        ))),
    })?;
    // A started instance gets a new public address if it launched with one.
    for c in &changes {
        let id = c.instance_id.clone().unwrap_or_default();
        let rec = &state.instances[&id];
        if rec.auto_public_ip && c.previous_state.as_ref().and_then(|s| s.name.as_deref()) == Some("stopped") {
            let eni = rec.primary_interface.clone();
            let has_eip =
                state.addresses.values().any(|a| a.address.network_interface_id.as_deref() == Some(eni.as_str()));
            if !has_eip {
                let ip = addresses::next_public_ip(state, ctx);
                state.auto_public_ips.insert(eni, ip);
            }
        }
    }
    Ok(StartInstancesResult { starting_instances: Some(changes) })
}

pub fn stop_instances(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: StopInstancesRequest,
) -> Result<StopInstancesResult, ApiError> {
    let changes = change_states(state, ctx, &input.instance_ids, |state, id, rec, shown| {
        if shown.is_up() {
            spot::requests::check_stoppable(state, id)?;
        }
        if rec.disable_api_stop && shown.is_up() {
            return Err(errors::operation_not_permitted(format!(
                "The instance '{id}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again."
            )));
        }
        match shown {
            Name::Running | Name::Pending => Ok(Some(Name::Stopping)),
            Name::Stopping | Name::Stopped => Ok(None),
            _ => Err(errors::incorrect_instance_state(format!(
                "This instance '{id}' is not in a state from which it can be stopped."
            ))),
        }
    })?;
    // A maintain fleet replaces an instance that stops.
    fleets::engine::maintain_all(state, ctx, shared);
    Ok(StopInstancesResult { stopping_instances: Some(changes) })
}

pub fn terminate_instances(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: TerminateInstancesRequest,
) -> Result<TerminateInstancesResult, ApiError> {
    let changes = change_states(state, ctx, &input.instance_ids, |_, id, rec, shown| {
        if rec.disable_api_termination && shown != Name::Terminated {
            return Err(errors::operation_not_permitted(format!(
                "The instance '{id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again."
            )));
        }
        match shown {
            Name::Terminated | Name::ShuttingDown => Ok(None),
            _ => Ok(Some(Name::ShuttingDown)),
        }
    })?;
    // A persistent Spot request launches a new instance for one that terminates.
    spot::requests::fulfil_open_requests(state, ctx, shared);
    // So does a maintain fleet.
    fleets::engine::maintain_all(state, ctx, shared);
    Ok(TerminateInstancesResult { terminating_instances: Some(changes) })
}

pub fn reboot_instances(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: RebootInstancesRequest,
) -> Result<(), ApiError> {
    change_states(state, ctx, &input.instance_ids, |_, id, _, shown| match shown {
        Name::Running | Name::Pending => Ok(None),
        _ => Err(errors::incorrect_instance_state(format!(
            "The instance '{id}' is not in a state from which it can be rebooted."
        ))),
    })?;
    for id in &input.instance_ids {
        if let Some(rec) = state.instances.get_mut(id) {
            rec.reboots += 1;
        }
    }
    Ok(())
}
