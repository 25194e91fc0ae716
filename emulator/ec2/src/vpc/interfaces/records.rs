//! Interface records: what RunInstances, NAT gateways and the handlers create and
//! remove, DNS names, and an interface as AWS shows it.

use std::collections::BTreeSet;

use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    GroupIdentifier, NetworkInterface, NetworkInterfaceAssociation, NetworkInterfaceAttachment,
    NetworkInterfacePrivateIpAddress, OperatorResponse,
};
use crate::generated::errors;
use crate::state::{resources, Ec2State};
use crate::{vpc::addresses, vpc::subnets};

/// The most private IPv4 addresses one interface can have (the largest instance types').
pub const MAX_PRIVATE_IPS: usize = 50;
/// AWS's default quota of security groups per interface.
const MAX_GROUPS: usize = 5;
/// Attachments AWS makes for its own services' interfaces; users cannot detach them.
pub(super) const MANAGED_ATTACHMENT_PREFIX: &str = "ela-attach";

/// `ip-10-0-1-5.ec2.internal` in us-east-1, `ip-10-0-1-5.<region>.compute.internal` elsewhere.
pub fn private_dns_name(region: &str, ip: &str) -> String {
    let host = format!("ip-{}", ip.replace('.', "-"));
    if region == "us-east-1" {
        format!("{host}.ec2.internal")
    } else {
        format!("{host}.{region}.compute.internal")
    }
}

/// `ec2-54-1-2-3.compute-1.amazonaws.com` in us-east-1, `ec2-54-1-2-3.<region>.compute.amazonaws.com` elsewhere.
pub fn public_dns_name(region: &str, ip: &str) -> String {
    let host = format!("ec2-{}", ip.replace('.', "-"));
    if region == "us-east-1" {
        format!("{host}.compute-1.amazonaws.com")
    } else {
        format!("{host}.{region}.compute.amazonaws.com")
    }
}

/// A MAC address of the locally administered kind AWS gives interfaces.
fn mac_address() -> String {
    let b: [u8; 8] = nimbus_core::ids::random_u64().to_le_bytes();
    format!("0e:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4])
}

pub fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a NetworkInterface, ApiError> {
    state.network_interfaces.get(id).ok_or_else(|| {
        if id.starts_with("eni-") {
            errors::invalid_network_interface_id_not_found(id)
        } else {
            errors::invalid_network_interface_id_malformed(id)
        }
    })
}

pub(super) fn ip_entry(ctx: &RequestContext, ip: &str, primary: bool) -> NetworkInterfacePrivateIpAddress {
    NetworkInterfacePrivateIpAddress {
        association: None,
        primary: Some(primary),
        private_dns_name: Some(private_dns_name(&ctx.region, ip)),
        private_ip_address: Some(ip.to_string()),
    }
}

/// Adds secondary private addresses (already taken from the subnet) to an interface.
pub fn add_private_ips(state: &mut Ec2State, ctx: &RequestContext, id: &str, ips: &[String]) {
    if let Some(eni) = state.network_interfaces.get_mut(id) {
        let list = eni.private_ip_addresses.get_or_insert_with(Vec::new);
        list.extend(ips.iter().map(|ip| ip_entry(ctx, ip, false)));
    }
}

/// Takes private addresses off an interface (the caller gives them back to the subnet).
pub fn remove_private_ips(state: &mut Ec2State, id: &str, ips: &[String]) {
    if let Some(list) = state.network_interfaces.get_mut(id).and_then(|e| e.private_ip_addresses.as_mut()) {
        list.retain(|p| !p.private_ip_address.as_ref().is_some_and(|ip| ips.contains(ip)));
    }
}

/// What a new interface is made of; its addresses are already taken from the subnet,
/// the first being the primary one.
pub struct NewInterface {
    pub subnet_id: String,
    pub ips: Vec<String>,
    pub groups: Vec<GroupIdentifier>,
    pub description: String,
    pub interface_type: String,
    pub requester_managed: bool,
}

/// Stores a new interface and returns its id.
pub fn create_interface_record(state: &mut Ec2State, ctx: &RequestContext, new: NewInterface) -> String {
    let id = ids::resource_id("eni");
    let subnet = &state.subnets[&new.subnet_id].subnet;
    let primary = new.ips.first().cloned().unwrap_or_default();
    let eni = NetworkInterface {
        availability_zone: subnet.availability_zone.clone(),
        availability_zone_id: subnet.availability_zone_id.clone(),
        description: Some(new.description),
        groups: Some(new.groups),
        interface_type: Some(new.interface_type),
        ipv6_addresses: Some(Vec::new()),
        mac_address: Some(mac_address()),
        network_interface_id: Some(id.clone()),
        owner_id: Some(ctx.account().to_string()),
        private_dns_name: Some(private_dns_name(&ctx.region, &primary)),
        private_ip_address: Some(primary),
        private_ip_addresses: Some(new.ips.iter().enumerate().map(|(i, ip)| ip_entry(ctx, ip, i == 0)).collect()),
        requester_managed: Some(new.requester_managed),
        source_dest_check: Some(!new.requester_managed),
        status: Some(if new.requester_managed { "in-use" } else { "available" }.into()),
        subnet_id: Some(new.subnet_id.clone()),
        vpc_id: subnet.vpc_id.clone(),
        ipv6_native: Some(false),
        operator: Some(OperatorResponse { managed: Some(false), ..Default::default() }),
        attachment: new.requester_managed.then(|| NetworkInterfaceAttachment {
            attach_time: Some(Timestamp(ctx.now)),
            attachment_id: Some(ids::resource_id(MANAGED_ATTACHMENT_PREFIX)),
            delete_on_termination: Some(false),
            device_index: Some(1),
            instance_owner_id: Some("amazon-aws".into()),
            status: Some("attached".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    state.network_interfaces.insert(id.clone(), eni);
    id
}

/// Deletes an interface: its Elastic IPs are disassociated, its addresses go back to the
/// subnet, its tags are forgotten.
pub fn remove_interface_record(state: &mut Ec2State, id: &str) {
    addresses::disassociate_from(state, id, None);
    let Some(eni) = state.network_interfaces.remove(id) else { return };
    let subnet_id = eni.subnet_id.clone().unwrap_or_default();
    for ip in private_ips(&eni) {
        subnets::release_ip(state, &subnet_id, &ip);
    }
    state.forget(id);
}

/// Refuses changes to an interface an AWS service manages (a NAT gateway's).
pub fn refuse_managed(eni: &NetworkInterface) -> Result<(), ApiError> {
    if eni.requester_managed == Some(true) {
        return Err(errors::invalid_parameter_value(format!(
            "The network interface {} is managed by AWS and cannot be changed.",
            eni.network_interface_id.as_deref().unwrap_or_default()
        )));
    }
    Ok(())
}

pub fn private_ips(eni: &NetworkInterface) -> Vec<String> {
    eni.private_ip_addresses.iter().flatten().filter_map(|p| p.private_ip_address.clone()).collect()
}

/// The security groups given for an interface in `vpc_id` (its VPC's default group when
/// none are given), checked and named.
pub fn resolve_groups(
    state: &Ec2State,
    vpc_id: &str,
    subnet_id: &str,
    given: Option<&[String]>,
) -> Result<Vec<GroupIdentifier>, ApiError> {
    let ids: Vec<String> = match given {
        Some(g) if !g.is_empty() => g.iter().collect::<BTreeSet<_>>().into_iter().cloned().collect(),
        _ => vec![state.vpcs.get(vpc_id).map(|v| v.default_security_group_id.clone()).unwrap_or_default()],
    };
    if ids.len() > MAX_GROUPS {
        return Err(errors::security_groups_per_interface_limit_exceeded());
    }
    ids.iter()
        .map(|id| {
            let g = state.security_groups.get(id).ok_or_else(|| resources::not_found(id))?;
            if g.vpc_id != vpc_id {
                return Err(errors::invalid_parameter(format!(
                    "Security group {id} and subnet {subnet_id} belong to different networks."
                )));
            }
            Ok(GroupIdentifier { group_id: Some(g.group_id.clone()), group_name: Some(g.group_name.clone()) })
        })
        .collect()
}

/// An interface as DescribeNetworkInterfaces shows it: with its tags and, for each
/// private address an Elastic IP is mapped to, that address's association.
pub fn describe_one(state: &Ec2State, ctx: &RequestContext, id: &str) -> NetworkInterface {
    let mut eni = state.network_interfaces[id].clone();
    let dns = eni
        .vpc_id
        .as_ref()
        .and_then(|v| state.vpcs.get(v))
        .is_some_and(|v| v.enable_dns_hostnames && v.enable_dns_support);
    for entry in eni.private_ip_addresses.iter_mut().flatten() {
        let ip = entry.private_ip_address.as_deref().unwrap_or_default();
        entry.association = state
            .addresses
            .values()
            .map(|r| &r.address)
            .find(|a| a.network_interface_id.as_deref() == Some(id) && a.private_ip_address.as_deref() == Some(ip))
            .map(|a| {
                let public_ip = a.public_ip.clone().unwrap_or_default();
                NetworkInterfaceAssociation {
                    allocation_id: a.allocation_id.clone(),
                    association_id: a.association_id.clone(),
                    ip_owner_id: Some(ctx.account().to_string()),
                    public_dns_name: dns.then(|| public_dns_name(&ctx.region, &public_ip)),
                    public_ip: Some(public_ip),
                    ..Default::default()
                }
            });
    }
    // The public address AWS gave the interface at launch (not an Elastic IP).
    if let Some(public_ip) = state.auto_public_ips.get(id) {
        if let Some(primary) = eni.private_ip_addresses.iter_mut().flatten().find(|p| p.primary == Some(true)) {
            if primary.association.is_none() {
                primary.association = Some(NetworkInterfaceAssociation {
                    ip_owner_id: Some("amazon".into()),
                    public_dns_name: dns.then(|| public_dns_name(&ctx.region, public_ip)),
                    public_ip: Some(public_ip.clone()),
                    ..Default::default()
                });
            }
        }
    }
    eni.association =
        eni.private_ip_addresses.iter().flatten().find(|p| p.primary == Some(true)).and_then(|p| p.association.clone());
    eni.tag_set = Some(state.dto_tags(id).unwrap_or_default());
    eni
}
