//! Dedicated Hosts: AllocateHosts, DescribeHosts, ModifyHosts, ReleaseHosts, and the
//! instances RunInstances places on them (`capacity.rs`). A host is `available` from its
//! allocation until it is released; released hosts stay in DescribeHosts (as AWS's
//! ReleaseHosts page says) but take no instances and no changes.

pub mod capacity;
mod mac;
#[cfg(test)]
mod tests;

use nimbus_core::filter::Filterable;
use nimbus_core::regions;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

pub use mac::describe_mac_hosts;

use crate::catalogue;
use crate::generated::dto::{
    AllocateHostsRequest, AllocateHostsResult, DescribeHostsRequest, DescribeHostsResult, Host, ModifyHostsRequest,
    ModifyHostsResult, ReleaseHostsRequest, ReleaseHostsResult, UnsuccessfulItem, UnsuccessfulItemError,
};
use crate::generated::{enums, errors};
use crate::state::params::{invalid_value, one_of};
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::Ec2State;

pub fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a Host, ApiError> {
    state.hosts.get(id).ok_or_else(|| {
        if id.starts_with("h-") {
            errors::invalid_host_id_not_found(id)
        } else {
            errors::invalid_host_id_malformed(id)
        }
    })
}

/// The family or the one type a host is allocated for: (family, type).
fn host_kind(instance_type: Option<&str>, instance_family: Option<&str>) -> Result<(String, Option<String>), ApiError> {
    match (instance_type.filter(|t| !t.is_empty()), instance_family.filter(|f| !f.is_empty())) {
        (Some(_), Some(_)) => {
            Err(errors::invalid_parameter_combination("Only one of instanceType or instanceFamily may be specified."))
        }
        (None, None) => Err(errors::missing_parameter("instanceType or instanceFamily")),
        (Some(t), None) => {
            if !catalogue::is_instance_type(t) {
                return Err(errors::invalid_parameter_value(format!("Invalid value '{t}' for InstanceType.")));
            }
            Ok((capacity::family_of(t).to_string(), Some(t.to_string())))
        }
        (None, Some(f)) => Ok((f.to_string(), None)),
    }
}

fn on_off(parameter: &str, value: &Option<String>, valid: &[&str]) -> Result<(), ApiError> {
    match value {
        Some(v) => one_of(parameter, v, valid),
        None => Ok(()),
    }
}

pub fn allocate_hosts(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AllocateHostsRequest,
) -> Result<AllocateHostsResult, ApiError> {
    let zones = regions::availability_zones(&ctx.region);
    let zone = match (input.availability_zone.as_deref(), input.availability_zone_id.as_deref()) {
        (None, None) => return Err(errors::missing_parameter("availabilityZone")),
        (Some(name), _) => zones.iter().find(|z| z.zone_name == name),
        (None, Some(id)) => zones.iter().find(|z| z.zone_id == id),
    };
    let Some(zone) = zone else {
        let given = input.availability_zone.clone().or(input.availability_zone_id.clone()).unwrap_or_default();
        return Err(invalid_value("availabilityZone", given, ""));
    };
    let (family, instance_type) = host_kind(input.instance_type.as_deref(), input.instance_family.as_deref())?;
    let Some(properties) = capacity::properties(&family, instance_type.as_deref()) else {
        // nimbus's wording.
        return Err(errors::invalid_parameter_value(format!(
            "Dedicated Hosts do not support the instance {} '{}'.",
            if instance_type.is_some() { "type" } else { "family" },
            instance_type.clone().unwrap_or(family.clone())
        )));
    };
    if let Some(t) = &instance_type {
        if !capacity::family_sizes(&family).iter().any(|(n, _)| n == t) {
            return Err(errors::invalid_parameter_value(format!(
                "Dedicated Hosts do not support the instance type '{t}'."
            )));
        }
    }
    on_off("autoPlacement", &input.auto_placement, enums::AUTO_PLACEMENT)?;
    on_off("hostRecovery", &input.host_recovery, enums::HOST_RECOVERY)?;
    on_off("hostMaintenance", &input.host_maintenance, enums::HOST_MAINTENANCE)?;
    let quantity = input.quantity.unwrap_or(1);
    if quantity < 1 {
        return Err(invalid_value("quantity", quantity, ""));
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "dedicated-host")?;
    let mut host_ids = Vec::with_capacity(quantity as usize);
    for _ in 0..quantity {
        let id = ids::resource_id("h");
        let host = Host {
            allocation_time: Some(Timestamp(ctx.now)),
            allows_multiple_instance_types: Some(if instance_type.is_some() { "off" } else { "on" }.into()),
            auto_placement: Some(input.auto_placement.clone().unwrap_or_else(|| "off".into())),
            availability_zone: Some(zone.zone_name.clone()),
            availability_zone_id: Some(zone.zone_id.clone()),
            client_token: input.client_token.clone(),
            host_id: Some(id.clone()),
            host_maintenance: Some(input.host_maintenance.clone().unwrap_or_else(|| "on".into())),
            host_properties: Some(properties.clone()),
            host_recovery: Some(input.host_recovery.clone().unwrap_or_else(|| "off".into())),
            member_of_service_linked_resource_group: Some(false),
            owner_id: Some(ctx.account().to_string()),
            state: Some("available".into()),
            ..Default::default()
        };
        state.hosts.insert(id.clone(), host);
        state.set_tags(&id, tags.clone());
        host_ids.push(id);
    }
    Ok(AllocateHostsResult { host_ids: Some(host_ids) })
}

/// A host as DescribeHosts shows it: with the instances on it, what it can still take,
/// and its tags.
pub fn describe_one(state: &Ec2State, ctx: &RequestContext, id: &str) -> Host {
    let mut host = state.hosts[id].clone();
    let mut instances = capacity::instances_on(state, id, ctx.now);
    for i in &mut instances {
        i.owner_id = host.owner_id.clone();
    }
    host.available_capacity = Some(capacity::available(&host, &instances));
    host.instances = Some(instances);
    host.tags = state.dto_tags(id);
    host
}

impl Filterable for Host {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| -> Vec<String> { v.iter().cloned().collect() };
        let props = self.host_properties.clone().unwrap_or_default();
        Some(match name {
            "auto-placement" => one(&self.auto_placement),
            "availability-zone" => one(&self.availability_zone),
            "client-token" => one(&self.client_token),
            "host-reservation-id" => one(&self.host_reservation_id),
            "instance-type" => one(&props.instance_type),
            "state" => one(&self.state),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_hosts(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeHostsRequest,
) -> Result<DescribeHostsResult, ApiError> {
    let wanted = input.host_ids.clone().unwrap_or_default();
    for id in &wanted {
        get(state, id)?;
    }
    let items =
        state.hosts.keys().filter(|id| wanted.is_empty() || wanted.contains(id)).map(|id| describe_one(state, ctx, id));
    let items = filtered(items, input.filter.as_deref())?;
    let (hosts, next_token) =
        paginate(items, |h| h.host_id.clone().unwrap_or_default(), input.page(), !wanted.is_empty())?;
    Ok(DescribeHostsResult { hosts: Some(hosts), next_token })
}

fn unsuccessful(id: &str, error: ApiError) -> UnsuccessfulItem {
    UnsuccessfulItem {
        error: Some(UnsuccessfulItemError { code: Some(error.code), message: Some(error.message) }),
        resource_id: Some(id.to_string()),
    }
}

/// Each host of a ModifyHosts or ReleaseHosts call: changed, or listed as unsuccessful
/// with the reason; the call itself succeeds.
fn each_host(
    state: &mut Ec2State,
    ids: &[String],
    mut change: impl FnMut(&mut Ec2State, &str) -> Result<(), ApiError>,
) -> (Vec<String>, Vec<UnsuccessfulItem>) {
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for id in ids {
        let result = get(state, id).map(|_| ()).and_then(|_| {
            if state.hosts[id].state.as_deref() == Some("released") {
                // nimbus's wording.
                return Err(errors::invalid_parameter_value(format!("The host {id} has been released.")));
            }
            change(state, id)
        });
        match result {
            Ok(()) => ok.push(id.clone()),
            Err(e) => failed.push(unsuccessful(id, e)),
        }
    }
    (ok, failed)
}

pub fn modify_hosts(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyHostsRequest,
) -> Result<ModifyHostsResult, ApiError> {
    if input.host_ids.is_empty() {
        return Err(errors::missing_parameter("hostId"));
    }
    on_off("autoPlacement", &input.auto_placement, enums::AUTO_PLACEMENT)?;
    on_off("hostRecovery", &input.host_recovery, enums::HOST_RECOVERY)?;
    on_off("hostMaintenance", &input.host_maintenance, enums::HOST_MAINTENANCE)?;
    let new_kind = if input.instance_type.is_some() || input.instance_family.is_some() {
        Some(host_kind(input.instance_type.as_deref(), input.instance_family.as_deref())?)
    } else {
        None
    };
    let now = ctx.now;
    let (successful, unsuccessful) = each_host(state, &input.host_ids, |state, id| {
        let mut host = state.hosts[id].clone();
        if let Some((family, instance_type)) = &new_kind {
            // AWS changes what a host supports only while it is empty.
            if !capacity::instances_on(state, id, now).is_empty() {
                return Err(errors::invalid_parameter_value(format!(
                    "The host {id} has running instances; its instance type or family cannot be changed."
                )));
            }
            let props = capacity::properties(family, instance_type.as_deref()).ok_or_else(|| {
                errors::invalid_parameter_value(format!(
                    "Dedicated Hosts do not support the instance family '{family}'."
                ))
            })?;
            host.host_properties = Some(props);
            host.allows_multiple_instance_types = Some(if instance_type.is_some() { "off" } else { "on" }.into());
        }
        if let Some(v) = &input.auto_placement {
            host.auto_placement = Some(v.clone());
        }
        if let Some(v) = &input.host_recovery {
            host.host_recovery = Some(v.clone());
        }
        if let Some(v) = &input.host_maintenance {
            host.host_maintenance = Some(v.clone());
        }
        state.hosts.insert(id.to_string(), host);
        Ok(())
    });
    Ok(ModifyHostsResult { successful: Some(successful), unsuccessful: Some(unsuccessful) })
}

pub fn release_hosts(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ReleaseHostsRequest,
) -> Result<ReleaseHostsResult, ApiError> {
    if input.host_ids.is_empty() {
        return Err(errors::missing_parameter("hostId"));
    }
    let now = ctx.now;
    let (successful, unsuccessful) = each_host(state, &input.host_ids, |state, id| {
        // "You must stop or terminate all instances on a host before it can be released."
        // (AWS's ReleaseHosts page); the code and wording are nimbus's.
        if capacity::running_on(state, id, now) > 0 {
            return Err(ApiError::client(
                "Client.InvalidHost.Occupied",
                format!("The host {id} has instances on it; stop or terminate them before you release it."),
            ));
        }
        let host = state.hosts.get_mut(id).expect("checked by each_host");
        host.state = Some("released".into());
        host.release_time = Some(Timestamp(now));
        host.auto_placement = Some("off".into());
        Ok(())
    });
    Ok(ReleaseHostsResult { successful: Some(successful), unsuccessful: Some(unsuccessful) })
}
