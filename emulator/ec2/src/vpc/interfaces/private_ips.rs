//! AssignPrivateIpAddresses and UnassignPrivateIpAddresses.

use nimbus_core::{ApiError, RequestContext};

use super::records::{add_private_ips, get, private_ips, refuse_managed, remove_private_ips, MAX_PRIVATE_IPS};
use crate::generated::dto::{
    AssignPrivateIpAddressesRequest, AssignPrivateIpAddressesResult, AssignedPrivateIpAddress,
    UnassignPrivateIpAddressesRequest,
};
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::Ec2State;
use crate::{vpc::addresses, vpc::subnets};

pub fn assign_private_ip_addresses(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AssignPrivateIpAddressesRequest,
) -> Result<AssignPrivateIpAddressesResult, ApiError> {
    let id = input.network_interface_id.as_str();
    let eni = get(state, id)?.clone();
    refuse_managed(&eni)?;
    if input.ipv4_prefixes.as_deref().is_some_and(|p| !p.is_empty()) || input.ipv4_prefix_count.is_some_and(|n| n > 0) {
        return Err(errors::invalid_parameter_value("Prefix delegation is not supported by nimbus yet."));
    }
    let wanted = input.private_ip_addresses.clone().unwrap_or_default();
    let count = match (wanted.is_empty(), input.secondary_private_ip_address_count) {
        (false, Some(_)) => {
            return Err(errors::invalid_parameter_combination(
                "Only one of privateIpAddresses or secondaryPrivateIpAddressCount may be specified.",
            ))
        }
        (true, None) => return Err(errors::missing_parameter("privateIpAddresses or secondaryPrivateIpAddressCount")),
        (true, Some(n)) if n < 1 => return Err(invalid_value("secondaryPrivateIpAddressCount", n, "")),
        (true, Some(n)) => n as usize,
        (false, None) => 0,
    };
    if private_ips(&eni).len() + wanted.len() + count > MAX_PRIVATE_IPS {
        return Err(errors::private_ip_address_limit_exceeded());
    }
    let subnet_id = eni.subnet_id.clone().unwrap_or_default();
    let mine = private_ips(&eni);
    // Addresses held by other interfaces of the subnet move here only with AllowReassignment,
    // and never a primary address.
    let mut moved: Vec<(String, String)> = Vec::new();
    for ip in &wanted {
        if mine.contains(ip) {
            return Err(errors::invalid_parameter_value(format!(
                "Address {ip} is already assigned to interface {id}."
            )));
        }
        let owner = state.network_interfaces.iter().find(|(other, e)| {
            *other != id
                && e.subnet_id.as_deref() == Some(subnet_id.as_str())
                && e.private_ip_addresses.iter().flatten().any(|p| p.private_ip_address.as_deref() == Some(ip))
        });
        if let Some((other, e)) = owner {
            let primary = e.private_ip_address.as_deref() == Some(ip.as_str());
            if input.allow_reassignment != Some(true) || primary || e.requester_managed == Some(true) {
                return Err(errors::invalid_ip_address_in_use(format!("Address {ip} is in use.")));
            }
            moved.push((other.clone(), ip.clone()));
        }
    }
    let backup = (state.subnets.get(&subnet_id).cloned(), state.network_interfaces.clone(), state.addresses.clone());
    for (other, ip) in &moved {
        addresses::disassociate_from(state, other, Some(ip));
        remove_private_ips(state, other, std::slice::from_ref(ip));
        subnets::release_ip(state, &subnet_id, ip);
    }
    let ips = match subnets::allocate_ips(state, &subnet_id, &wanted, count) {
        Ok(ips) => ips,
        Err(e) => {
            let (subnet, enis, eips) = backup;
            if let Some(s) = subnet {
                state.subnets.insert(subnet_id, s);
            }
            state.network_interfaces = enis;
            state.addresses = eips;
            return Err(e);
        }
    };
    add_private_ips(state, ctx, id, &ips);
    Ok(AssignPrivateIpAddressesResult {
        network_interface_id: Some(id.to_string()),
        assigned_private_ip_addresses: Some(
            ips.into_iter().map(|ip| AssignedPrivateIpAddress { private_ip_address: Some(ip) }).collect(),
        ),
        assigned_ipv4_prefixes: None,
    })
}

pub fn unassign_private_ip_addresses(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: UnassignPrivateIpAddressesRequest,
) -> Result<(), ApiError> {
    let id = input.network_interface_id.as_str();
    let eni = get(state, id)?.clone();
    refuse_managed(&eni)?;
    if input.ipv4_prefixes.as_deref().is_some_and(|p| !p.is_empty()) {
        return Err(errors::invalid_parameter_value("Prefix delegation is not supported by nimbus yet."));
    }
    let wanted = input.private_ip_addresses.clone().unwrap_or_default();
    if wanted.is_empty() {
        return Err(errors::missing_parameter("privateIpAddress"));
    }
    let mine = private_ips(&eni);
    if wanted.iter().any(|ip| !mine.contains(ip)) {
        return Err(errors::invalid_parameter_value(format!(
            "Some of the specified addresses are not assigned to interface {id}"
        )));
    }
    if wanted.iter().any(|ip| eni.private_ip_address.as_ref() == Some(ip)) {
        return Err(errors::invalid_parameter_value(format!(
            "The primary private IP address of interface {id} cannot be unassigned."
        )));
    }
    let subnet_id = eni.subnet_id.clone().unwrap_or_default();
    for ip in &wanted {
        addresses::disassociate_from(state, id, Some(ip));
        subnets::release_ip(state, &subnet_id, ip);
    }
    remove_private_ips(state, id, &wanted);
    Ok(())
}
