//! DescribeNetworkInterfaces and its filters.

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use super::records::{describe_one, get};
use crate::generated::dto::{
    DescribeNetworkInterfacesRequest, DescribeNetworkInterfacesResult, NetworkInterface, NetworkInterfaceAttachment,
};
use crate::state::support::{filtered, paginate, tag_pairs};
use crate::state::Ec2State;

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
    let paging = input.page();
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
    let (page, next) =
        paginate(items, |e| e.network_interface_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeNetworkInterfacesResult { network_interfaces: Some(page), next_token: next })
}
