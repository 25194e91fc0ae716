//! Multicast group members and sources: interfaces in the subnets associated with a
//! domain, registered statically under a group address (IPv4 224.0.0.0/4 or IPv6
//! ff00::/8), and SearchTransitGatewayMulticastGroups over them (a row per registration:
//! an interface that is both member and source of a group is two rows, as AWS answers).

use std::net::IpAddr;

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use super::common::{self, delay};
use super::multicast::{available_domain, domain};
use crate::generated::dto::{
    DeregisterTransitGatewayMulticastGroupMembersRequest, DeregisterTransitGatewayMulticastGroupMembersResult,
    DeregisterTransitGatewayMulticastGroupSourcesRequest, DeregisterTransitGatewayMulticastGroupSourcesResult,
    RegisterTransitGatewayMulticastGroupMembersRequest, RegisterTransitGatewayMulticastGroupMembersResult,
    RegisterTransitGatewayMulticastGroupSourcesRequest, RegisterTransitGatewayMulticastGroupSourcesResult,
    SearchTransitGatewayMulticastGroupsRequest, SearchTransitGatewayMulticastGroupsResult,
    TransitGatewayMulticastDeregisteredGroupMembers, TransitGatewayMulticastDeregisteredGroupSources,
    TransitGatewayMulticastGroup, TransitGatewayMulticastRegisteredGroupMembers,
    TransitGatewayMulticastRegisteredGroupSources,
};
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate};
use crate::state::Ec2State;

/// A group address as AWS takes it: a multicast address, in its canonical form.
fn group_address(value: Option<&str>) -> Result<String, ApiError> {
    let value = value.ok_or_else(|| errors::missing_parameter("GroupIpAddress"))?;
    match value.parse::<IpAddr>() {
        Ok(ip) if ip.is_multicast() => Ok(ip.to_string()),
        _ => Err(invalid_value(
            "GroupIpAddress",
            value,
            "The group address must be an IPv4 multicast address (224.0.0.0/4) or an IPv6 multicast address (ff00::/8).",
        )),
    }
}

/// Checks that each interface exists and sits in a subnet associated with the domain;
/// answers each with its subnet.
fn interfaces_in_domain(
    state: &Ec2State,
    ctx: &RequestContext,
    domain_id: &str,
    enis: &[String],
) -> Result<Vec<(String, String)>, ApiError> {
    let m = available_domain(state, ctx, domain_id)?;
    if enis.is_empty() {
        return Err(errors::missing_parameter("NetworkInterfaceIds"));
    }
    let d = delay(state);
    enis.iter()
        .map(|eni| {
            let i =
                state.network_interfaces.get(eni).ok_or_else(|| errors::invalid_network_interface_id_not_found(eni))?;
            let subnet = i.subnet_id.clone().unwrap_or_default();
            let associated = m.associations.get(&subnet).and_then(|a| a.shown(d, ctx.now)) == Some("associated");
            if !associated {
                return Err(invalid_value(
                    "NetworkInterfaceIds",
                    eni,
                    &format!(
                        "Its subnet {subnet} is not associated with Transit Gateway Multicast Domain {domain_id}."
                    ),
                ));
            }
            Ok((eni.clone(), subnet))
        })
        .collect()
}

/// Registers the interfaces as members (`sources` false) or sources of the group.
fn register(
    state: &mut Ec2State,
    ctx: &RequestContext,
    domain_id: &str,
    group: Option<&str>,
    enis: &[String],
    sources: bool,
) -> Result<(String, Vec<String>), ApiError> {
    let group = group_address(group)?;
    let found = interfaces_in_domain(state, ctx, domain_id, enis)?;
    let m = state.transit.multicast_domains.get_mut(domain_id).expect("checked above");
    let g = m.groups.entry(group.clone()).or_default();
    let registered = if sources { &mut g.sources } else { &mut g.members };
    let ids = found.iter().map(|(e, _)| e.clone()).collect();
    registered.extend(found);
    Ok((group, ids))
}

/// Deregisters the interfaces from the group; each must be registered.
fn deregister(
    state: &mut Ec2State,
    domain_id: Option<&str>,
    group: Option<&str>,
    enis: Option<&[String]>,
    sources: bool,
) -> Result<(String, String, Vec<String>), ApiError> {
    let domain_id = domain_id.ok_or_else(|| errors::missing_parameter("TransitGatewayMulticastDomainId"))?;
    domain(state, domain_id)?;
    let group = group_address(group)?;
    let enis = enis.filter(|e| !e.is_empty()).ok_or_else(|| errors::missing_parameter("NetworkInterfaceIds"))?;
    let m = state.transit.multicast_domains.get_mut(domain_id).expect("checked above");
    let g = m.groups.get(&group);
    for eni in enis {
        let registered = g.is_some_and(|g| if sources { &g.sources } else { &g.members }.contains_key(eni));
        if !registered {
            let (what, err): (&str, fn(String) -> ApiError) = if sources {
                ("source", |m| errors::transit_gateway_multicast_group_source_not_found(m))
            } else {
                ("member", |m| errors::transit_gateway_multicast_group_member_not_found(m))
            };
            return Err(err(format!(
                "The network interface {eni} is not a {what} of multicast group {group} in Transit Gateway Multicast Domain {domain_id}."
            )));
        }
    }
    if let Some(g) = m.groups.get_mut(&group) {
        let registered = if sources { &mut g.sources } else { &mut g.members };
        for eni in enis {
            registered.remove(eni);
        }
    }
    m.groups.retain(|_, g| !g.members.is_empty() || !g.sources.is_empty());
    Ok((domain_id.to_string(), group, enis.to_vec()))
}

pub fn register_transit_gateway_multicast_group_members(
    state: &mut Ec2State,
    ctx: &RequestContext,
    _shared: &Shared,
    input: RegisterTransitGatewayMulticastGroupMembersRequest,
) -> Result<RegisterTransitGatewayMulticastGroupMembersResult, ApiError> {
    let domain_id = input.transit_gateway_multicast_domain_id;
    let (group, ids) =
        register(state, ctx, &domain_id, input.group_ip_address.as_deref(), &input.network_interface_ids, false)?;
    Ok(RegisterTransitGatewayMulticastGroupMembersResult {
        registered_multicast_group_members: Some(TransitGatewayMulticastRegisteredGroupMembers {
            transit_gateway_multicast_domain_id: Some(domain_id),
            registered_network_interface_ids: Some(ids),
            group_ip_address: Some(group),
        }),
    })
}

pub fn register_transit_gateway_multicast_group_sources(
    state: &mut Ec2State,
    ctx: &RequestContext,
    _shared: &Shared,
    input: RegisterTransitGatewayMulticastGroupSourcesRequest,
) -> Result<RegisterTransitGatewayMulticastGroupSourcesResult, ApiError> {
    let domain_id = input.transit_gateway_multicast_domain_id;
    let (group, ids) =
        register(state, ctx, &domain_id, input.group_ip_address.as_deref(), &input.network_interface_ids, true)?;
    Ok(RegisterTransitGatewayMulticastGroupSourcesResult {
        registered_multicast_group_sources: Some(TransitGatewayMulticastRegisteredGroupSources {
            transit_gateway_multicast_domain_id: Some(domain_id),
            registered_network_interface_ids: Some(ids),
            group_ip_address: Some(group),
        }),
    })
}

pub fn deregister_transit_gateway_multicast_group_members(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    _shared: &Shared,
    input: DeregisterTransitGatewayMulticastGroupMembersRequest,
) -> Result<DeregisterTransitGatewayMulticastGroupMembersResult, ApiError> {
    let (domain_id, group, ids) = deregister(
        state,
        input.transit_gateway_multicast_domain_id.as_deref(),
        input.group_ip_address.as_deref(),
        input.network_interface_ids.as_deref(),
        false,
    )?;
    Ok(DeregisterTransitGatewayMulticastGroupMembersResult {
        deregistered_multicast_group_members: Some(TransitGatewayMulticastDeregisteredGroupMembers {
            transit_gateway_multicast_domain_id: Some(domain_id),
            deregistered_network_interface_ids: Some(ids),
            group_ip_address: Some(group),
        }),
    })
}

pub fn deregister_transit_gateway_multicast_group_sources(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    _shared: &Shared,
    input: DeregisterTransitGatewayMulticastGroupSourcesRequest,
) -> Result<DeregisterTransitGatewayMulticastGroupSourcesResult, ApiError> {
    let (domain_id, group, ids) = deregister(
        state,
        input.transit_gateway_multicast_domain_id.as_deref(),
        input.group_ip_address.as_deref(),
        input.network_interface_ids.as_deref(),
        true,
    )?;
    Ok(DeregisterTransitGatewayMulticastGroupSourcesResult {
        deregistered_multicast_group_sources: Some(TransitGatewayMulticastDeregisteredGroupSources {
            transit_gateway_multicast_domain_id: Some(domain_id),
            deregistered_network_interface_ids: Some(ids),
            group_ip_address: Some(group),
        }),
    })
}

/// A search row with the key it is paged by.
#[derive(Debug, Clone, Default)]
struct Row {
    key: String,
    group: TransitGatewayMulticastGroup,
}

impl Filterable for Row {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let g = &self.group;
        let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
        let flag = |v: Option<bool>| vec![v.unwrap_or(false).to_string()];
        Some(match name {
            "group-ip-address" => one(&g.group_ip_address),
            "is-group-member" => flag(g.group_member),
            "is-group-source" => flag(g.group_source),
            "member-type" => one(&g.member_type),
            "resource-id" => one(&g.resource_id),
            "resource-owner-id" => one(&g.resource_owner_id),
            "resource-type" => one(&g.resource_type),
            "source-type" => one(&g.source_type),
            "subnet-id" => one(&g.subnet_id),
            "transit-gateway-attachment-id" => one(&g.transit_gateway_attachment_id),
            _ => return None,
        })
    }
}

pub fn search_transit_gateway_multicast_groups(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: SearchTransitGatewayMulticastGroupsRequest,
) -> Result<SearchTransitGatewayMulticastGroupsResult, ApiError> {
    let paging = input.page();
    let m = domain(state, &input.transit_gateway_multicast_domain_id)?;
    let mut rows = Vec::new();
    for (ip, g) in &m.groups {
        for (enis, source) in [(&g.members, false), (&g.sources, true)] {
            for (eni, subnet) in enis {
                let attachment_id = m.associations.get(subnet).map(|a| a.attachment_id.clone());
                let a = attachment_id
                    .as_deref()
                    .and_then(|id| common::find_attachment(state, shared, ctx, id, "Attachment").ok());
                let kind = if source { "source" } else { "member" };
                rows.push(Row {
                    key: format!("{ip}/{eni}/{kind}"),
                    group: TransitGatewayMulticastGroup {
                        group_ip_address: Some(ip.clone()),
                        transit_gateway_attachment_id: attachment_id,
                        subnet_id: Some(subnet.clone()),
                        resource_id: a.as_ref().map(|a| a.resource_id.clone()),
                        resource_type: a.as_ref().map(|a| a.resource_type.clone()),
                        resource_owner_id: a.as_ref().map(|a| a.resource_owner.clone()),
                        network_interface_id: Some(eni.clone()),
                        group_member: Some(!source),
                        group_source: Some(source),
                        member_type: (!source).then(|| "static".to_string()),
                        source_type: source.then(|| "static".to_string()),
                    },
                });
            }
        }
    }
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    let rows = filtered(rows, input.filters.as_deref())?;
    let (page, next) = paginate(rows, |r| r.key.clone(), paging, false)?;
    Ok(SearchTransitGatewayMulticastGroupsResult {
        multicast_groups: Some(page.into_iter().map(|r| r.group).collect()),
        next_token: next,
    })
}
