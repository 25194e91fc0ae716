//! Elastic network interfaces: private addresses taken from the subnet, security groups,
//! attachments, attributes, and the requester-managed interfaces AWS makes for NAT
//! gateways. The public side of an address (`Association`) comes from the Elastic IP
//! mapped to it and is derived when described.

use std::collections::BTreeSet;

use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    AssignPrivateIpAddressesRequest, AssignPrivateIpAddressesResult, AssignedPrivateIpAddress,
    AttachNetworkInterfaceRequest, AttachNetworkInterfaceResult, AttributeValue, CreateNetworkInterfaceRequest,
    CreateNetworkInterfaceResult, DeleteNetworkInterfaceRequest, DescribeNetworkInterfaceAttributeRequest,
    DescribeNetworkInterfaceAttributeResult, DescribeNetworkInterfacesRequest, DescribeNetworkInterfacesResult,
    DetachNetworkInterfaceRequest, GroupIdentifier, ModifyNetworkInterfaceAttributeRequest, NetworkInterface,
    NetworkInterfaceAssociation, NetworkInterfaceAttachment, NetworkInterfacePrivateIpAddress, OperatorResponse,
    ResetNetworkInterfaceAttributeRequest, UnassignPrivateIpAddressesRequest,
};
use crate::generated::errors;
use crate::state::resources;
use crate::state::support::tag_pairs;
use crate::state::support::{bool_value, filtered, paginate, spec_tags};
use crate::state::Ec2State;
use crate::{vpc::addresses, vpc::subnets};

/// The most private IPv4 addresses one interface can have (the largest instance types').
pub const MAX_PRIVATE_IPS: usize = 50;
/// AWS's default quota of security groups per interface.
const MAX_GROUPS: usize = 5;
/// The interface types CreateNetworkInterface accepts (`interface` is the default).
const CREATION_TYPES: &[&str] = &["interface", "efa", "efa-only", "branch", "trunk"];
/// Attachments AWS makes for its own services' interfaces; users cannot detach them.
const MANAGED_ATTACHMENT_PREFIX: &str = "ela-attach";

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

fn ip_entry(ctx: &RequestContext, ip: &str, primary: bool) -> NetworkInterfacePrivateIpAddress {
    NetworkInterfacePrivateIpAddress {
        association: None,
        primary: Some(primary),
        private_dns_name: Some(private_dns_name(&ctx.region, ip)),
        private_ip_address: Some(ip.to_string()),
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
fn resolve_groups(
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

pub fn create_network_interface(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateNetworkInterfaceRequest,
) -> Result<CreateNetworkInterfaceResult, ApiError> {
    let subnet = subnets::get(state, &input.subnet_id)?.subnet.clone();
    let vpc_id = subnet.vpc_id.clone().unwrap_or_default();
    let ipv6 = input.ipv6_addresses.as_deref().is_some_and(|a| !a.is_empty())
        || input.ipv6_address_count.is_some_and(|n| n > 0)
        || input.enable_primary_ipv6 == Some(true);
    if ipv6 {
        return Err(errors::invalid_parameter_value(
            "IPv6 addresses on network interfaces are not supported by nimbus yet.",
        ));
    }
    let prefixes = input.ipv4_prefixes.as_deref().is_some_and(|p| !p.is_empty())
        || input.ipv4_prefix_count.is_some_and(|n| n > 0)
        || input.ipv6_prefixes.as_deref().is_some_and(|p| !p.is_empty())
        || input.ipv6_prefix_count.is_some_and(|n| n > 0);
    if prefixes {
        return Err(errors::invalid_parameter_value("Prefix delegation is not supported by nimbus yet."));
    }
    let interface_type = input.interface_type.clone().unwrap_or_else(|| "interface".into());
    if !CREATION_TYPES.contains(&interface_type.as_str()) {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({interface_type}) for parameter interfaceType is invalid. Valid values: efa, efa-only, branch, trunk"
        )));
    }
    let groups = resolve_groups(state, &vpc_id, &input.subnet_id, input.groups.as_deref())?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "network-interface")?;

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
        return Err(errors::invalid_parameter_value(format!(
            "Value ({count}) for parameter secondaryPrivateIpAddressCount is invalid."
        )));
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

impl Filterable for NetworkInterface {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        let b = |v: Option<bool>| v.iter().map(|v| v.to_string()).collect::<Vec<_>>();
        let ips = self.private_ip_addresses.iter().flatten();
        let assocs = ips.clone().filter_map(|p| p.association.as_ref());
        let att = self.attachment.as_ref();
        let att_str = |f: fn(&NetworkInterfaceAttachment) -> Option<String>| att.and_then(f).into_iter().collect();
        Some(match name {
            "addresses.private-ip-address" | "private-ip-address" => {
                ips.filter_map(|p| p.private_ip_address.clone()).collect()
            }
            "addresses.primary" => ips.map(|p| p.primary.unwrap_or(false).to_string()).collect(),
            "addresses.association.public-ip" | "association.public-ip" => {
                assocs.filter_map(|a| a.public_ip.clone()).collect()
            }
            "addresses.association.owner-id" | "association.ip-owner-id" => {
                assocs.filter_map(|a| a.ip_owner_id.clone()).collect()
            }
            "association.allocation-id" => assocs.filter_map(|a| a.allocation_id.clone()).collect(),
            "association.association-id" => assocs.filter_map(|a| a.association_id.clone()).collect(),
            "association.public-dns-name" => assocs.filter_map(|a| a.public_dns_name.clone()).collect(),
            "attachment.attachment-id" => att_str(|a| a.attachment_id.clone()),
            "attachment.attach-time" => att_str(|a| a.attach_time.as_ref().map(|t| t.0.to_rfc3339())),
            "attachment.delete-on-termination" => att_str(|a| a.delete_on_termination.map(|v| v.to_string())),
            "attachment.device-index" => att_str(|a| a.device_index.map(|v| v.to_string())),
            "attachment.instance-id" => att_str(|a| a.instance_id.clone()),
            "attachment.instance-owner-id" => att_str(|a| a.instance_owner_id.clone()),
            "attachment.network-card-index" => att_str(|a| a.network_card_index.map(|v| v.to_string())),
            "attachment.status" => att_str(|a| a.status.clone()),
            "availability-zone" => opt(&self.availability_zone),
            "availability-zone-id" => opt(&self.availability_zone_id),
            "description" => opt(&self.description),
            "group-id" => self.groups.iter().flatten().filter_map(|g| g.group_id.clone()).collect(),
            "group-name" => self.groups.iter().flatten().filter_map(|g| g.group_name.clone()).collect(),
            "interface-type" => opt(&self.interface_type),
            "ipv6-addresses.ipv6-address" => {
                self.ipv6_addresses.iter().flatten().filter_map(|a| a.ipv6_address.clone()).collect()
            }
            "mac-address" => opt(&self.mac_address),
            "network-interface-id" => opt(&self.network_interface_id),
            "operator.managed" => b(self.operator.as_ref().and_then(|o| o.managed)),
            "operator.principal" => self.operator.as_ref().and_then(|o| o.principal.clone()).into_iter().collect(),
            "owner-id" => opt(&self.owner_id),
            "private-dns-name" => opt(&self.private_dns_name),
            "requester-id" => opt(&self.requester_id),
            "requester-managed" => b(self.requester_managed),
            "source-dest-check" => b(self.source_dest_check),
            "status" => opt(&self.status),
            "subnet-id" => opt(&self.subnet_id),
            "vpc-id" => opt(&self.vpc_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tag_set)
    }
}

pub fn describe_network_interfaces(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeNetworkInterfacesRequest,
) -> Result<DescribeNetworkInterfacesResult, ApiError> {
    let ids = input.network_interface_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all = state
        .network_interfaces
        .keys()
        .filter(|id| ids.is_empty() || ids.contains(id))
        .map(|id| describe_one(state, ctx, id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(
        items,
        |e| e.network_interface_id.clone().unwrap_or_default(),
        input.max_results,
        input.next_token.as_deref(),
        (5, 1000),
        !ids.is_empty(),
    )?;
    Ok(DescribeNetworkInterfacesResult { network_interfaces: Some(page), next_token: next })
}

pub fn attach_network_interface(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AttachNetworkInterfaceRequest,
) -> Result<AttachNetworkInterfaceResult, ApiError> {
    let id = input.network_interface_id.as_str();
    let eni = get(state, id)?;
    if !state.exists(&input.instance_id) {
        return Err(resources::not_found(&input.instance_id));
    }
    if eni.attachment.is_some() {
        return Err(errors::invalid_network_interface_in_use(id));
    }
    if !(0..=31).contains(&input.device_index) {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({}) for parameter deviceIndex is invalid.",
            input.device_index
        )));
    }
    let taken = state.network_interfaces.values().any(|e| {
        e.attachment.as_ref().is_some_and(|a| {
            a.instance_id.as_deref() == Some(input.instance_id.as_str()) && a.device_index == Some(input.device_index)
        })
    });
    if taken {
        return Err(errors::invalid_parameter_value(format!(
            "Instance '{}' already has an interface attached at device index '{}'.",
            input.instance_id, input.device_index
        )));
    }
    let attachment_id = ids::resource_id("eni-attach");
    let card = input.network_card_index.unwrap_or(0);
    let eni = state.network_interfaces.get_mut(id).expect("checked above");
    eni.attachment = Some(NetworkInterfaceAttachment {
        attach_time: Some(Timestamp(ctx.now)),
        attachment_id: Some(attachment_id.clone()),
        delete_on_termination: Some(false),
        device_index: Some(input.device_index),
        network_card_index: Some(card),
        instance_id: Some(input.instance_id.clone()),
        instance_owner_id: Some(ctx.account().to_string()),
        status: Some("attached".into()),
        ..Default::default()
    });
    eni.status = Some("in-use".into());
    Ok(AttachNetworkInterfaceResult { attachment_id: Some(attachment_id), network_card_index: Some(card) })
}

/// The interface an attachment belongs to.
fn by_attachment(state: &Ec2State, attachment_id: &str) -> Result<String, ApiError> {
    state
        .network_interfaces
        .iter()
        .find(|(_, e)| e.attachment.as_ref().and_then(|a| a.attachment_id.as_deref()) == Some(attachment_id))
        .map(|(id, _)| id.clone())
        .ok_or_else(|| errors::invalid_attachment_id_not_found(attachment_id))
}

pub fn detach_network_interface(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DetachNetworkInterfaceRequest,
) -> Result<(), ApiError> {
    let id = by_attachment(state, &input.attachment_id)?;
    if input.attachment_id.starts_with(MANAGED_ATTACHMENT_PREFIX) {
        return Err(errors::operation_not_permitted(format!(
            "You are not allowed to manage '{MANAGED_ATTACHMENT_PREFIX}' attachments."
        )));
    }
    let eni = state.network_interfaces.get_mut(&id).expect("found above");
    if eni.attachment.as_ref().and_then(|a| a.device_index) == Some(0) {
        return Err(errors::operation_not_permitted("The network interface at device index 0 cannot be detached."));
    }
    eni.attachment = None;
    eni.status = Some("available".into());
    Ok(())
}

pub fn modify_network_interface_attribute(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyNetworkInterfaceAttributeRequest,
) -> Result<(), ApiError> {
    let id = input.network_interface_id.as_str();
    let eni = get(state, id)?.clone();
    refuse_managed(&eni)?;
    let unsupported = input.ena_srd_specification.is_some()
        || input.enable_primary_ipv6.is_some()
        || input.connection_tracking_specification.is_some()
        || input.associate_public_ip_address.is_some()
        || input.associated_subnet_ids.is_some();
    if unsupported {
        return Err(errors::invalid_parameter_value(
            "nimbus supports modifying description, sourceDestCheck, groupSet and attachment.",
        ));
    }
    let given = [
        input.description.is_some(),
        input.source_dest_check.is_some(),
        input.groups.is_some(),
        input.attachment.is_some(),
    ];
    if !given.iter().any(|g| *g) {
        return Err(errors::missing_parameter("an attribute to modify"));
    }
    let groups = match input.groups.as_deref() {
        Some([]) => return Err(errors::missing_parameter("groupId")),
        Some(g) => Some(resolve_groups(
            state,
            eni.vpc_id.as_deref().unwrap_or_default(),
            eni.subnet_id.as_deref().unwrap_or_default(),
            Some(g),
        )?),
        None => None,
    };
    let delete_on_termination = match &input.attachment {
        Some(changes) => {
            let wanted = changes.attachment_id.as_deref().unwrap_or_default();
            let current = eni.attachment.as_ref().and_then(|a| a.attachment_id.as_deref());
            if current != Some(wanted) {
                return Err(errors::invalid_attachment_id_not_found(wanted));
            }
            changes.delete_on_termination
        }
        None => None,
    };
    let source_dest_check = match &input.source_dest_check {
        Some(v) => Some(v.value.ok_or_else(|| errors::missing_parameter("SourceDestCheck.Value"))?),
        None => None,
    };
    let eni = state.network_interfaces.get_mut(id).expect("checked above");
    if let Some(d) = &input.description {
        eni.description = Some(d.value.clone().unwrap_or_default());
    }
    if let Some(v) = source_dest_check {
        eni.source_dest_check = Some(v);
    }
    if let Some(g) = groups {
        eni.groups = Some(g);
    }
    if let (Some(v), Some(a)) = (delete_on_termination, eni.attachment.as_mut()) {
        a.delete_on_termination = Some(v);
    }
    Ok(())
}

pub fn describe_network_interface_attribute(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeNetworkInterfaceAttributeRequest,
) -> Result<DescribeNetworkInterfaceAttributeResult, ApiError> {
    let eni = get(state, &input.network_interface_id)?;
    let mut out = DescribeNetworkInterfaceAttributeResult {
        network_interface_id: Some(input.network_interface_id.clone()),
        ..Default::default()
    };
    match input.attribute.as_deref() {
        Some("description") => out.description = Some(AttributeValue { value: eni.description.clone() }),
        Some("groupSet") => out.groups = eni.groups.clone(),
        Some("sourceDestCheck") => out.source_dest_check = Some(bool_value(eni.source_dest_check.unwrap_or(true))),
        Some("attachment") => out.attachment = eni.attachment.clone(),
        Some("associatePublicIpAddress") => out.associate_public_ip_address = Some(false),
        Some(other) => {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )))
        }
        None => return Err(errors::missing_parameter("attribute")),
    }
    Ok(out)
}

pub fn reset_network_interface_attribute(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ResetNetworkInterfaceAttributeRequest,
) -> Result<(), ApiError> {
    refuse_managed(get(state, &input.network_interface_id)?)?;
    match input.source_dest_check.as_deref() {
        Some(_) => {
            let eni = state.network_interfaces.get_mut(&input.network_interface_id).expect("checked above");
            eni.source_dest_check = Some(true);
            Ok(())
        }
        None => Err(errors::missing_parameter("sourceDestCheck")),
    }
}

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
        (true, Some(n)) if n < 1 => {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({n}) for parameter secondaryPrivateIpAddressCount is invalid."
            )))
        }
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
        if let Some(e) = state.network_interfaces.get_mut(other) {
            if let Some(list) = e.private_ip_addresses.as_mut() {
                list.retain(|p| p.private_ip_address.as_deref() != Some(ip.as_str()));
            }
        }
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
    let eni = state.network_interfaces.get_mut(id).expect("checked above");
    let list = eni.private_ip_addresses.get_or_insert_with(Vec::new);
    list.extend(ips.iter().map(|ip| ip_entry(ctx, ip, false)));
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
    let eni = state.network_interfaces.get_mut(id).expect("checked above");
    if let Some(list) = eni.private_ip_addresses.as_mut() {
        list.retain(|p| !p.private_ip_address.as_ref().is_some_and(|ip| wanted.contains(ip)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use nimbus_core::RequestContext;
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::{available_ips, call, network, refused, str_at};
    use crate::Ec2;

    fn create(ec2: &Ec2, ctx: &RequestContext, input: Value) -> Value {
        call(ec2, ctx, "CreateNetworkInterface", input)["NetworkInterface"].clone()
    }

    fn ids(out: &Value) -> Vec<String> {
        out["NetworkInterfaces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["NetworkInterfaceId"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn a_new_interface_has_aws_shape() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
        let eni = create(&ec2, &ctx, json!({"SubnetId": subnet, "Description": "web"}));
        assert!(str_at(&eni, "/NetworkInterfaceId").starts_with("eni-"));
        assert_eq!(str_at(&eni, "/PrivateIpAddress"), "10.0.1.4");
        assert_eq!(str_at(&eni, "/PrivateDnsName"), "ip-10-0-1-4.ec2.internal");
        assert_eq!(eni["PrivateIpAddresses"][0]["Primary"], json!(true));
        assert_eq!(str_at(&eni, "/Status"), "available");
        assert_eq!(str_at(&eni, "/InterfaceType"), "interface");
        assert_eq!(str_at(&eni, "/VpcId"), vpc);
        assert_eq!(str_at(&eni, "/OwnerId"), "000000000000");
        assert_eq!(str_at(&eni, "/Description"), "web");
        assert_eq!((eni["SourceDestCheck"].clone(), eni["RequesterManaged"].clone()), (json!(true), json!(false)));
        let mac = str_at(&eni, "/MacAddress");
        assert_eq!(mac.len(), 17);
        assert_eq!(mac.split(':').count(), 6);
        let default_sg = call(
            &ec2,
            &ctx,
            "DescribeSecurityGroups",
            json!({"Filters": [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]}),
        )["SecurityGroups"][0]["GroupId"]
            .clone();
        assert_eq!(eni["Groups"], json!([{"GroupId": default_sg, "GroupName": "default"}]));
        let mut eu = ctx.clone();
        eu.region = "eu-west-1".into();
        let (_, eu_subnet) = network(&ec2, &eu, "10.0.1.0/24", false);
        let eni = create(&ec2, &eu, json!({"SubnetId": eu_subnet}));
        assert_eq!(str_at(&eni, "/PrivateDnsName"), "ip-10-0-1-4.eu-west-1.compute.internal");
    }

    #[test]
    fn addresses_asked_for_and_counted_come_from_the_subnet() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (_, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
        let eni = create(
            &ec2,
            &ctx,
            json!({"SubnetId": subnet, "PrivateIpAddresses": [
                {"PrivateIpAddress": "10.0.1.20", "Primary": true}, {"PrivateIpAddress": "10.0.1.4"}],
                "SecondaryPrivateIpAddressCount": 2}),
        );
        let ips: Vec<&str> = eni["PrivateIpAddresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["PrivateIpAddress"].as_str().unwrap())
            .collect();
        assert_eq!(ips, vec!["10.0.1.20", "10.0.1.4", "10.0.1.5", "10.0.1.6"]);
        assert_eq!(str_at(&eni, "/PrivateIpAddress"), "10.0.1.20");
        assert_eq!(available_ips(&ec2, &ctx, &subnet), 251 - 4);
        let taken = json!({"SubnetId": subnet, "PrivateIpAddress": "10.0.1.5"});
        assert_eq!(refused(&ec2, &ctx, "CreateNetworkInterface", taken), "InvalidIPAddress.InUse");
        let outside = json!({"SubnetId": subnet, "PrivateIpAddress": "10.0.2.5"});
        assert_eq!(refused(&ec2, &ctx, "CreateNetworkInterface", outside), "InvalidParameterValue");
        let too_many = json!({"SubnetId": subnet, "SecondaryPrivateIpAddressCount": 50});
        assert_eq!(refused(&ec2, &ctx, "CreateNetworkInterface", too_many), "PrivateIpAddressLimitExceeded");
        assert_eq!(available_ips(&ec2, &ctx, &subnet), 251 - 4, "refusals take nothing");
    }

    #[test]
    fn concurrent_creates_in_one_partition_never_share_an_address() {
        let ec2 = Arc::new(Ec2::default());
        let ctx = RequestContext::for_tests();
        let (_, subnet) = network(&ec2, &ctx, "10.0.0.0/22", false);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (ec2, ctx, subnet) = (ec2.clone(), ctx.clone(), subnet.clone());
                std::thread::spawn(move || {
                    (0..25)
                        .flat_map(|i| {
                            let eni = create(
                                &ec2,
                                &ctx,
                                json!({"SubnetId": subnet, "SecondaryPrivateIpAddressCount": i % 3}),
                            );
                            let ips: Vec<String> = eni["PrivateIpAddresses"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|p| p["PrivateIpAddress"].as_str().unwrap().to_string())
                                .collect();
                            ips
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let all: Vec<String> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
        let distinct: BTreeSet<&String> = all.iter().collect();
        assert_eq!(distinct.len(), all.len(), "an address was handed out twice");
        assert_eq!(available_ips(&ec2, &ctx, &subnet), 1019 - all.len() as i64);
    }

    #[test]
    fn security_groups_are_checked_and_held() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
        let sg = call(&ec2, &ctx, "CreateSecurityGroup", json!({"GroupName": "web", "Description": "w", "VpcId": vpc}))
            ["GroupId"]
            .clone();
        let other_vpc_sg =
            call(&ec2, &ctx, "CreateSecurityGroup", json!({"GroupName": "x", "Description": "x"}))["GroupId"].clone();
        let wrong = json!({"SubnetId": subnet, "Groups": [other_vpc_sg]});
        assert_eq!(refused(&ec2, &ctx, "CreateNetworkInterface", wrong), "InvalidParameter");
        let missing = json!({"SubnetId": subnet, "Groups": ["sg-0000000000000000a"]});
        assert_eq!(refused(&ec2, &ctx, "CreateNetworkInterface", missing), "InvalidGroup.NotFound");
        let eni = create(&ec2, &ctx, json!({"SubnetId": subnet, "Groups": [sg]}));
        assert_eq!(eni["Groups"], json!([{"GroupId": sg, "GroupName": "web"}]));
        assert_eq!(refused(&ec2, &ctx, "DeleteSecurityGroup", json!({"GroupId": sg})), "DependencyViolation");
        assert_eq!(refused(&ec2, &ctx, "DeleteVpc", json!({"VpcId": vpc})), "DependencyViolation");
        let id = eni["NetworkInterfaceId"].clone();
        call(&ec2, &ctx, "DeleteNetworkInterface", json!({"NetworkInterfaceId": id}));
        call(&ec2, &ctx, "DeleteSecurityGroup", json!({"GroupId": sg}));
    }

    #[test]
    fn private_addresses_are_assigned_and_unassigned() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (_, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
        let a = str_at(&create(&ec2, &ctx, json!({"SubnetId": subnet})), "/NetworkInterfaceId");
        let b = str_at(&create(&ec2, &ctx, json!({"SubnetId": subnet})), "/NetworkInterfaceId");
        let out = call(
            &ec2,
            &ctx,
            "AssignPrivateIpAddresses",
            json!({"NetworkInterfaceId": a, "SecondaryPrivateIpAddressCount": 2}),
        );
        assert_eq!(
            out["AssignedPrivateIpAddresses"],
            json!([{"PrivateIpAddress": "10.0.1.6"}, {"PrivateIpAddress": "10.0.1.7"}])
        );
        assert_eq!(available_ips(&ec2, &ctx, &subnet), 251 - 4);
        // Another interface's address moves only with AllowReassignment; a primary never.
        let steal = json!({"NetworkInterfaceId": b, "PrivateIpAddresses": ["10.0.1.7"]});
        assert_eq!(refused(&ec2, &ctx, "AssignPrivateIpAddresses", steal.clone()), "InvalidIPAddress.InUse");
        let mut allowed = steal.clone();
        allowed["AllowReassignment"] = json!(true);
        call(&ec2, &ctx, "AssignPrivateIpAddresses", allowed);
        let primary = json!({"NetworkInterfaceId": b, "PrivateIpAddresses": ["10.0.1.4"], "AllowReassignment": true});
        assert_eq!(refused(&ec2, &ctx, "AssignPrivateIpAddresses", primary), "InvalidIPAddress.InUse");
        let described = call(&ec2, &ctx, "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": [a, b]}));
        let count = |i: usize| described["NetworkInterfaces"][i]["PrivateIpAddresses"].as_array().unwrap().len();
        assert_eq!((count(0), count(1)), (2, 2));
        assert_eq!(available_ips(&ec2, &ctx, &subnet), 251 - 4);
        // All or nothing: one bad address, nothing assigned.
        let mixed = json!({"NetworkInterfaceId": a, "PrivateIpAddresses": ["10.0.1.30", "10.0.9.9"]});
        assert_eq!(refused(&ec2, &ctx, "AssignPrivateIpAddresses", mixed), "InvalidParameterValue");
        assert_eq!(available_ips(&ec2, &ctx, &subnet), 251 - 4);
        let both =
            json!({"NetworkInterfaceId": a, "PrivateIpAddresses": ["10.0.1.30"], "SecondaryPrivateIpAddressCount": 1});
        assert_eq!(refused(&ec2, &ctx, "AssignPrivateIpAddresses", both), "InvalidParameterCombination");
        let primary_out = json!({"NetworkInterfaceId": a, "PrivateIpAddresses": ["10.0.1.4"]});
        assert_eq!(refused(&ec2, &ctx, "UnassignPrivateIpAddresses", primary_out), "InvalidParameterValue");
        let not_mine = json!({"NetworkInterfaceId": a, "PrivateIpAddresses": ["10.0.1.7"]});
        assert_eq!(refused(&ec2, &ctx, "UnassignPrivateIpAddresses", not_mine), "InvalidParameterValue");
        call(
            &ec2,
            &ctx,
            "UnassignPrivateIpAddresses",
            json!({"NetworkInterfaceId": a, "PrivateIpAddresses": ["10.0.1.6"]}),
        );
        assert_eq!(available_ips(&ec2, &ctx, &subnet), 251 - 3);
    }

    #[test]
    fn filters_and_pages() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
        let mut made = Vec::new();
        for i in 0..7 {
            let tags = json!([{"ResourceType": "network-interface", "Tags": [{"Key": "n", "Value": i.to_string()}]}]);
            made.push(str_at(
                &create(
                    &ec2,
                    &ctx,
                    json!({"SubnetId": subnet, "Description": format!("d{i}"), "TagSpecifications": tags}),
                ),
                "/NetworkInterfaceId",
            ));
        }
        made.sort();
        let find = |filters: Value| ids(&call(&ec2, &ctx, "DescribeNetworkInterfaces", json!({"Filters": filters})));
        assert_eq!(find(json!([{"Name": "vpc-id", "Values": [vpc]}])), made);
        assert_eq!(find(json!([{"Name": "description", "Values": ["d3"]}])).len(), 1);
        assert_eq!(find(json!([{"Name": "tag:n", "Values": ["1", "2"]}])).len(), 2);
        assert_eq!(find(json!([{"Name": "private-ip-address", "Values": ["10.0.1.4"]}])).len(), 1);
        assert_eq!(
            find(json!([{"Name": "addresses.private-ip-address", "Values": ["10.0.1.1*", "10.0.1.5"]}])).len(),
            2
        );
        assert_eq!(
            find(json!([{"Name": "status", "Values": ["available"]}, {"Name": "subnet-id", "Values": [subnet]}])),
            made
        );
        assert_eq!(find(json!([{"Name": "requester-managed", "Values": ["false"]}])), made);
        assert_eq!(find(json!([{"Name": "attachment.status", "Values": ["attached"]}])).len(), 0);
        assert_eq!(
            find(json!([{"Name": "group-name", "Values": ["default"]}, {"Name": "vpc-id", "Values": [vpc]}])),
            made
        );
        let bad = json!({"Filters": [{"Name": "no-such", "Values": ["x"]}]});
        assert_eq!(refused(&ec2, &ctx, "DescribeNetworkInterfaces", bad), "InvalidParameterValue");
        let p1 = call(
            &ec2,
            &ctx,
            "DescribeNetworkInterfaces",
            json!({"MaxResults": 5, "Filters": [{"Name": "vpc-id", "Values": [vpc]}]}),
        );
        let p2 = call(
            &ec2,
            &ctx,
            "DescribeNetworkInterfaces",
            json!({"MaxResults": 5, "NextToken": p1["NextToken"], "Filters": [{"Name": "vpc-id", "Values": [vpc]}]}),
        );
        assert!(p2.get("NextToken").is_none());
        assert_eq!([ids(&p1), ids(&p2)].concat(), made);
    }

    #[test]
    fn attributes_and_attachments() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
        let id = str_at(&create(&ec2, &ctx, json!({"SubnetId": subnet})), "/NetworkInterfaceId");
        let sg = call(&ec2, &ctx, "CreateSecurityGroup", json!({"GroupName": "g", "Description": "g", "VpcId": vpc}))
            ["GroupId"]
            .clone();
        call(
            &ec2,
            &ctx,
            "ModifyNetworkInterfaceAttribute",
            json!({"NetworkInterfaceId": id, "SourceDestCheck": {"Value": false}, "Description": {"Value": "nat box"}, "Groups": [sg]}),
        );
        let attr = |name: &str| {
            call(&ec2, &ctx, "DescribeNetworkInterfaceAttribute", json!({"NetworkInterfaceId": id, "Attribute": name}))
        };
        assert_eq!(attr("sourceDestCheck")["SourceDestCheck"], json!({"Value": false}));
        assert_eq!(attr("description")["Description"], json!({"Value": "nat box"}));
        assert_eq!(attr("groupSet")["Groups"][0]["GroupId"], sg);
        call(
            &ec2,
            &ctx,
            "ResetNetworkInterfaceAttribute",
            json!({"NetworkInterfaceId": id, "SourceDestCheck": "sourceDestCheck"}),
        );
        assert_eq!(attr("sourceDestCheck")["SourceDestCheck"], json!({"Value": true}));
        let bad_attachment = json!({"NetworkInterfaceId": id, "Attachment": {"AttachmentId": "eni-attach-0000000000000000a", "DeleteOnTermination": true}});
        assert_eq!(
            refused(&ec2, &ctx, "ModifyNetworkInterfaceAttribute", bad_attachment),
            "InvalidAttachmentID.NotFound"
        );
        // Instances come later: an instance id names nothing yet.
        let attach = json!({"NetworkInterfaceId": id, "InstanceId": "i-0000000000000000a", "DeviceIndex": 1});
        assert_eq!(refused(&ec2, &ctx, "AttachNetworkInterface", attach), "InvalidInstanceID.NotFound");
        let detach = json!({"AttachmentId": "eni-attach-0000000000000000a"});
        assert_eq!(refused(&ec2, &ctx, "DetachNetworkInterface", detach), "InvalidAttachmentID.NotFound");
        let missing = json!({"NetworkInterfaceId": "eni-0000000000000000a"});
        assert_eq!(refused(&ec2, &ctx, "DeleteNetworkInterface", missing), "InvalidNetworkInterfaceID.NotFound");
        let malformed = json!({"NetworkInterfaceIds": ["nope"]});
        assert_eq!(refused(&ec2, &ctx, "DescribeNetworkInterfaces", malformed), "InvalidNetworkInterfaceID.Malformed");
    }

    #[test]
    fn an_attached_interface_cannot_be_deleted() {
        // No instances exist yet, so the attachment is made in the state directly.
        let ctx = RequestContext::for_tests();
        let mut s = Ec2State::default();
        crate::vpc::vpcs::ensure_initialized(&mut s, &ctx);
        let subnet = s.subnets.keys().next().unwrap().clone();
        let ips = subnets::allocate_ips(&mut s, &subnet, &[], 1).unwrap();
        let id = create_interface_record(
            &mut s,
            &ctx,
            NewInterface {
                subnet_id: subnet,
                ips,
                groups: Vec::new(),
                description: String::new(),
                interface_type: "interface".into(),
                requester_managed: false,
            },
        );
        s.network_interfaces.get_mut(&id).unwrap().attachment = Some(NetworkInterfaceAttachment {
            attachment_id: Some("eni-attach-0123456789abcdef0".into()),
            instance_id: Some("i-0123456789abcdef0".into()),
            device_index: Some(1),
            ..Default::default()
        });
        let input = DeleteNetworkInterfaceRequest { network_interface_id: id.clone(), ..Default::default() };
        let err = delete_network_interface(&mut s, &ctx, input).unwrap_err();
        assert_eq!(err.code, "InvalidNetworkInterface.InUse");
        let detach = DetachNetworkInterfaceRequest {
            attachment_id: "eni-attach-0123456789abcdef0".into(),
            ..Default::default()
        };
        detach_network_interface(&mut s, &ctx, detach).unwrap();
        assert_eq!(s.network_interfaces[&id].status.as_deref(), Some("available"));
        let input = DeleteNetworkInterfaceRequest { network_interface_id: id.clone(), ..Default::default() };
        delete_network_interface(&mut s, &ctx, input).unwrap();
    }
}
