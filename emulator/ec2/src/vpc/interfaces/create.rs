//! CreateNetworkInterface and DeleteNetworkInterface.

use nimbus_core::{ApiError, RequestContext};

use super::ipv6::NewInterfaceIpv6;
use super::records::{
    create_interface_record, describe_one, get, remove_interface_record, resolve_groups, NewInterface, MAX_PRIVATE_IPS,
};
use crate::generated::dto::{
    CreateNetworkInterfaceRequest, CreateNetworkInterfaceResult, DeleteNetworkInterfaceRequest,
};
use crate::generated::enums;
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::params::one_of;
use crate::state::support::spec_tags;
use crate::state::Ec2State;
use crate::vpc::subnets;

pub fn create_network_interface(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateNetworkInterfaceRequest,
) -> Result<CreateNetworkInterfaceResult, ApiError> {
    let subnet = subnets::get(state, &input.subnet_id)?.subnet.clone();
    let vpc_id = subnet.vpc_id.clone().unwrap_or_default();
    if input.enable_primary_ipv6 == Some(true) {
        return Err(errors::invalid_parameter_value("Primary IPv6 addresses are not supported by nimbus yet."));
    }
    let prefixes = input.ipv4_prefixes.as_deref().is_some_and(|p| !p.is_empty())
        || input.ipv4_prefix_count.is_some_and(|n| n > 0)
        || input.ipv6_prefixes.as_deref().is_some_and(|p| !p.is_empty())
        || input.ipv6_prefix_count.is_some_and(|n| n > 0);
    if prefixes {
        return Err(errors::invalid_parameter_value("Prefix delegation is not supported by nimbus yet."));
    }
    let interface_type = input.interface_type.clone().unwrap_or_else(|| "interface".into());
    if interface_type != "interface" {
        one_of("interfaceType", &interface_type, enums::NETWORK_INTERFACE_CREATION_TYPE)?;
    }
    let groups = resolve_groups(state, &vpc_id, &input.subnet_id, input.groups.as_deref())?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "network-interface")?;

    let listed6: Vec<String> = input.ipv6_addresses.iter().flatten().filter_map(|a| a.ipv6_address.clone()).collect();
    let ipv6 = NewInterfaceIpv6::plan(state, &input.subnet_id, &listed6, input.ipv6_address_count)?;
    if ipv6.total() > MAX_PRIVATE_IPS {
        return Err(errors::private_ip_address_limit_exceeded());
    }
    // The primary address (given or not), the secondary addresses given, and how many more.
    let listed = input.private_ip_addresses.clone().unwrap_or_default();
    let listed_primaries: Vec<&String> =
        listed.iter().filter(|p| p.primary == Some(true)).filter_map(|p| p.private_ip_address.as_ref()).collect();
    if listed_primaries.len() > 1 {
        return Err(errors::invalid_parameter_value("Only one primary private IP address may be specified."));
    }
    let primary = match (input.private_ip_address.as_ref(), listed_primaries.first()) {
        (Some(a), Some(b)) if a != *b => {
            return Err(errors::invalid_parameter_combination(
                "The primary private IP address given in privateIpAddress and in privateIpAddresses differ.",
            ))
        }
        (Some(a), _) => Some(a.clone()),
        (None, Some(b)) => Some((*b).clone()),
        (None, None) => None,
    };
    let secondaries: Vec<String> = listed
        .iter()
        .filter(|p| p.primary != Some(true))
        .filter_map(|p| p.private_ip_address.clone())
        .filter(|ip| Some(ip) != primary.as_ref())
        .collect();
    let count = input.secondary_private_ip_address_count.unwrap_or(0);
    if count < 0 {
        return Err(invalid_value("secondaryPrivateIpAddressCount", count, ""));
    }
    if 1 + secondaries.len() + count as usize > MAX_PRIVATE_IPS {
        return Err(errors::private_ip_address_limit_exceeded());
    }
    // Addresses asked for are taken before any chosen by nimbus, so none is taken from under them.
    let wanted: Vec<String> = primary.iter().cloned().chain(secondaries).collect();
    let mut ips = subnets::allocate_ips(state, &input.subnet_id, &wanted, 0)?;
    let more = count as usize + usize::from(primary.is_none());
    match subnets::allocate_ips(state, &input.subnet_id, &[], more) {
        Ok(mut extra) => {
            if primary.is_none() {
                // The lowest chosen address is the primary one.
                let p = extra.remove(0);
                ips.insert(0, p);
            }
            ips.extend(extra);
        }
        Err(e) => {
            for ip in &ips {
                subnets::release_ip(state, &input.subnet_id, ip);
            }
            return Err(e);
        }
    }
    let id = create_interface_record(
        state,
        ctx,
        NewInterface {
            subnet_id: input.subnet_id.clone(),
            ips,
            groups,
            description: input.description.clone().unwrap_or_default(),
            interface_type,
            requester_managed: false,
        },
    );
    ipv6.apply(state, &input.subnet_id, &id);
    state.set_tags(&id, tags);
    Ok(CreateNetworkInterfaceResult {
        network_interface: Some(describe_one(state, ctx, &id)),
        client_token: input.client_token,
    })
}

pub fn delete_network_interface(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteNetworkInterfaceRequest,
) -> Result<(), ApiError> {
    let id = input.network_interface_id.as_str();
    let eni = get(state, id)?;
    if eni.requester_managed == Some(true) {
        // AWS's answer for the interfaces its services manage.
        return Err(errors::invalid_parameter_value(format!("Network interface '{id}' is currently in use.")));
    }
    if eni.attachment.is_some() {
        return Err(errors::invalid_network_interface_in_use(id));
    }
    remove_interface_record(state, id);
    Ok(())
}
