//! What a Dedicated Host holds: its hardware (from its instance family in the catalogue),
//! the instances on it, what it can still take, and where RunInstances puts an instance.
//!
//! A host's size is its family's largest instance type in vCPUs (an m5 host has the 96
//! vCPUs of m5.24xlarge): nimbus's model of AWS's per-family host specifications, which
//! the catalogue does not carry. Sockets: two for hosts of 64 vCPUs or more, else one.

use chrono::{DateTime, Utc};
use nimbus_core::ApiError;

use crate::catalogue;
use crate::generated::dto::{AvailableCapacity, Host, HostInstance, HostProperties, InstanceCapacity, Placement};
use crate::generated::errors;
use crate::state::lifecycle::{shown_state, InstanceStateName as Name};
use crate::state::Ec2State;

pub fn family_of(instance_type: &str) -> &str {
    instance_type.split('.').next().unwrap_or(instance_type)
}

fn vcpus(instance_type: &str) -> Option<(i32, i32)> {
    let info = catalogue::instance_type(instance_type)?;
    if info.dedicated_hosts_supported != Some(true) {
        return None;
    }
    let v = info.v_cpu_info?;
    Some((v.default_v_cpus?, v.default_cores.unwrap_or(v.default_v_cpus? / 2)))
}

/// The family's types a host can run, with their vCPUs, smallest first.
pub fn family_sizes(family: &str) -> Vec<(String, i32)> {
    let prefix = format!("{family}.");
    let mut sizes: Vec<(String, i32)> = catalogue::instance_type_names()
        .filter(|n| n.starts_with(&prefix))
        .filter_map(|n| vcpus(n).map(|(v, _)| (n.to_string(), v)))
        .collect();
    sizes.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    sizes
}

/// The hardware of a host for `family`, or None when no type of it runs on Dedicated Hosts.
pub fn properties(family: &str, instance_type: Option<&str>) -> Option<HostProperties> {
    let largest = family_sizes(family).into_iter().max_by_key(|(_, v)| *v)?;
    let (total, cores) = vcpus(&largest.0)?;
    Some(HostProperties {
        cores: Some(cores),
        instance_type: instance_type.map(str::to_string),
        instance_family: instance_type.is_none().then(|| family.to_string()),
        sockets: Some(if total >= 64 { 2 } else { 1 }),
        total_v_cpus: Some(total),
    })
}

/// The instances on a host that hold its capacity (everything not terminated).
pub fn instances_on(state: &Ec2State, host_id: &str, now: DateTime<Utc>) -> Vec<HostInstance> {
    state
        .instances
        .values()
        .filter(|r| r.instance.placement.as_ref().and_then(|p| p.host_id.as_deref()) == Some(host_id))
        .filter(|r| shown_state(state, r, now).0 != Name::Terminated)
        .map(|r| HostInstance {
            instance_id: r.instance.instance_id.clone(),
            instance_type: r.instance.instance_type.clone(),
            owner_id: None,
        })
        .collect()
}

/// The instances on a host that keep it from being released: all but stopped and
/// terminated ones ("You must stop or terminate all instances on a host before it can be
/// released", AWS's ReleaseHosts page).
pub fn running_on(state: &Ec2State, host_id: &str, now: DateTime<Utc>) -> usize {
    state
        .instances
        .values()
        .filter(|r| r.instance.placement.as_ref().and_then(|p| p.host_id.as_deref()) == Some(host_id))
        .filter(|r| !matches!(shown_state(state, r, now).0, Name::Terminated | Name::Stopped))
        .count()
}

fn used_vcpus(instances: &[HostInstance]) -> i32 {
    instances.iter().filter_map(|i| i.instance_type.as_deref().and_then(vcpus)).map(|(v, _)| v).sum()
}

/// The types a host runs: its one type, or every size of its family.
fn host_types(host: &Host) -> Vec<(String, i32)> {
    let props = host.host_properties.clone().unwrap_or_default();
    match props.instance_type {
        Some(t) => vcpus(&t).map(|(v, _)| vec![(t, v)]).unwrap_or_default(),
        None => family_sizes(props.instance_family.as_deref().unwrap_or_default()),
    }
}

/// What a host can still take. A released host takes nothing.
pub fn available(host: &Host, instances: &[HostInstance]) -> AvailableCapacity {
    let total = host.host_properties.as_ref().and_then(|p| p.total_v_cpus).unwrap_or(0);
    let released = host.state.as_deref() != Some("available");
    let free = if released { 0 } else { (total - used_vcpus(instances)).max(0) };
    AvailableCapacity {
        available_instance_capacity: Some(
            host_types(host)
                .into_iter()
                .map(|(t, v)| InstanceCapacity {
                    available_capacity: Some(free / v.max(1)),
                    instance_type: Some(t),
                    total_capacity: Some(total / v.max(1)),
                })
                .collect(),
        ),
        available_v_cpus: Some(free),
    }
}

fn fits(state: &Ec2State, host: &Host, instance_type: &str, count: usize, now: DateTime<Utc>) -> bool {
    let host_id = host.host_id.as_deref().unwrap_or_default();
    let Some((need, _)) = vcpus(instance_type) else { return false };
    let runs = host_types(host).iter().any(|(t, _)| t == instance_type);
    let free = available(host, &instances_on(state, host_id, now)).available_v_cpus.unwrap_or(0);
    runs && i64::from(free) >= i64::from(need) * count as i64
}

/// The host RunInstances puts `count` instances on: the one named (which must be
/// available, in `zone`, run the type and have room for all of them), or with tenancy
/// `host` and no host named, the first host with auto-placement on that does. `None`
/// when the launch asks for no host. Refusals' wording is nimbus's.
pub fn place(
    state: &Ec2State,
    placement: Option<&Placement>,
    zone: &str,
    instance_type: &str,
    count: usize,
    now: DateTime<Utc>,
) -> Result<Option<String>, ApiError> {
    let Some(p) = placement else { return Ok(None) };
    let named = p.host_id.clone().filter(|h| !h.is_empty());
    if named.is_none() && p.tenancy.as_deref() != Some("host") {
        return Ok(None);
    }
    let short = |what: String| Err(errors::insufficient_host_capacity(what));
    match named {
        Some(id) => {
            let host = super::get(state, &id)?;
            if host.state.as_deref() != Some("available") {
                return Err(errors::invalid_parameter_value(format!("The host {id} is not in the available state.")));
            }
            if host.availability_zone.as_deref() != Some(zone) {
                return Err(errors::invalid_parameter_value(format!(
                    "The host {id} is in {}, not in {zone}, where the instance would be launched.",
                    host.availability_zone.as_deref().unwrap_or_default()
                )));
            }
            if !fits(state, host, instance_type, count, now) {
                return short(format!(
                    "Insufficient capacity on host {id} for {count} instance(s) of type {instance_type}."
                ));
            }
            Ok(Some(id))
        }
        None => state
            .hosts
            .values()
            .filter(|h| h.auto_placement.as_deref() == Some("on") && h.availability_zone.as_deref() == Some(zone))
            .filter(|h| h.state.as_deref() == Some("available"))
            .find(|h| fits(state, h, instance_type, count, now))
            .map(|h| Some(h.host_id.clone().unwrap_or_default()))
            .map_or_else(
                || short(format!("There is no Dedicated Host with auto-placement on in {zone} with capacity for {count} instance(s) of type {instance_type}.")),
                Ok,
            ),
    }
}
