//! What the walk reads of the partition's network: interfaces and their addresses,
//! the route table and network ACL of a subnet, longest-prefix route lookup, security
//! group rules and prefix-list entries, and components as the analysis names them.

use std::net::Ipv4Addr;

use nimbus_core::RequestContext;

use crate::generated::dto::{AnalysisComponent, NetworkAcl, NetworkInterface, Route};
use crate::state::cidr::Ipv4Cidr;
use crate::state::{Ec2State, SgRule};
use crate::transit::routes as tgw_routes;
use crate::vpc::{prefix_lists, route_tables, vpcs};

/// The resource type an id's ARN names, by prefix (the longest that matches).
fn arn_kind(id: &str) -> &'static str {
    const KINDS: &[(&str, &str)] = &[
        ("acl", "network-acl"),
        ("eni", "network-interface"),
        ("i", "instance"),
        ("igw", "internet-gateway"),
        ("nat", "natgateway"),
        ("pcx", "vpc-peering-connection"),
        ("rtb", "route-table"),
        ("sg", "security-group"),
        ("subnet", "subnet"),
        ("tgw", "transit-gateway"),
        ("tgw-attach", "transit-gateway-attachment"),
        ("tgw-rtb", "transit-gateway-route-table"),
        ("vgw", "vpn-gateway"),
        ("vpc", "vpc"),
        ("vpce", "vpc-endpoint"),
    ];
    KINDS
        .iter()
        .filter(|(p, _)| id.strip_prefix(p).is_some_and(|r| r.starts_with('-')))
        .max_by_key(|(p, _)| p.len())
        .map(|(_, k)| *k)
        .unwrap_or("resource")
}

/// A resource as the analysis names it: id, ARN and `Name` tag.
pub fn component(state: &Ec2State, ctx: &RequestContext, id: &str) -> AnalysisComponent {
    AnalysisComponent {
        id: Some(id.to_string()),
        arn: Some(format!("arn:aws:ec2:{}:{}:{}/{id}", ctx.region, ctx.account(), arn_kind(id))),
        name: state.tags.get(id).and_then(|t| t.get("Name")).cloned(),
    }
}

pub fn addr(s: &str) -> Option<u32> {
    s.parse::<Ipv4Addr>().ok().map(u32::from)
}

pub fn host(a: u32) -> Ipv4Cidr {
    Ipv4Cidr { addr: a, len: 32 }
}

/// The interface an instance sends from (its primary one).
pub fn instance_interface<'a>(state: &'a Ec2State, instance_id: &str) -> Option<&'a NetworkInterface> {
    let rec = state.instances.get(instance_id)?;
    state.network_interfaces.get(&rec.primary_interface)
}

/// The instance an interface is attached to.
pub fn attached_instance(eni: &NetworkInterface) -> Option<String> {
    eni.attachment.as_ref().and_then(|a| a.instance_id.clone())
}

pub fn private_ip(eni: &NetworkInterface) -> Option<u32> {
    eni.private_ip_address.as_deref().and_then(addr)
}

/// Every private IPv4 address of an interface.
fn private_ips(eni: &NetworkInterface) -> Vec<u32> {
    let mut out: Vec<u32> = eni
        .private_ip_addresses
        .iter()
        .flatten()
        .filter_map(|p| p.private_ip_address.as_deref().and_then(addr))
        .collect();
    out.extend(private_ip(eni));
    out
}

/// The public address mapped to an interface's primary address: an Elastic IP, else
/// the address it got at launch.
pub fn public_ip(state: &Ec2State, eni_id: &str) -> Option<u32> {
    let eip = state.addresses.values().find_map(|a| {
        (a.address.network_interface_id.as_deref() == Some(eni_id)).then(|| a.address.public_ip.clone()).flatten()
    });
    eip.or_else(|| state.auto_public_ips.get(eni_id).cloned()).as_deref().and_then(addr)
}

/// The interface of a VPC that holds an address (private, or public when `public`).
pub fn interface_with<'a>(state: &'a Ec2State, vpc_id: &str, a: u32, public: bool) -> Option<&'a NetworkInterface> {
    state.network_interfaces.values().filter(|e| e.vpc_id.as_deref() == Some(vpc_id)).find(|e| {
        if public {
            e.network_interface_id.as_deref().and_then(|id| public_ip(state, id)) == Some(a)
        } else {
            private_ips(e).contains(&a)
        }
    })
}

/// Whether an address lies in one of a VPC's IPv4 blocks.
pub fn in_vpc(state: &Ec2State, vpc_id: &str, block: Ipv4Cidr) -> bool {
    state.vpcs.get(vpc_id).is_some_and(|v| vpcs::ipv4_blocks(v).iter().any(|b| b.contains(&block)))
}

pub fn vpc_blocks(state: &Ec2State, vpc_id: &str) -> Vec<String> {
    state.vpcs.get(vpc_id).map(|v| vpcs::ipv4_blocks(v).iter().map(|b| b.to_string()).collect()).unwrap_or_default()
}

/// The route table a subnet uses: its explicit association, else its VPC's main table.
pub fn subnet_route_table(state: &Ec2State, subnet_id: &str) -> Option<String> {
    let explicit = state.route_tables.iter().find(|(_, t)| {
        t.associations.iter().flatten().any(|a| a.subnet_id.as_deref() == Some(subnet_id) && a.main != Some(true))
    });
    if let Some((id, _)) = explicit {
        return Some(id.clone());
    }
    let vpc_id = state.subnets.get(subnet_id)?.subnet.vpc_id.clone()?;
    state.vpcs.get(&vpc_id).map(|v| v.main_route_table_id.clone())
}

/// The network ACL a subnet is associated with.
pub fn subnet_acl<'a>(state: &'a Ec2State, subnet_id: &str) -> Option<&'a NetworkAcl> {
    state
        .network_acls
        .values()
        .find(|acl| acl.associations.iter().flatten().any(|a| a.subnet_id.as_deref() == Some(subnet_id)))
}

/// The entries of a prefix list (the account's own, or AWS's).
pub fn prefix_list_blocks(state: &Ec2State, id: &str) -> Vec<Ipv4Cidr> {
    let mut cidrs = tgw_routes::prefix_list_cidrs(state, id);
    if cidrs.is_empty() {
        cidrs = prefix_lists::aws_managed(&state.region)
            .into_iter()
            .find(|p| p.id == id)
            .map(|p| p.cidrs)
            .unwrap_or_default();
    }
    cidrs.iter().filter_map(|c| Ipv4Cidr::parse_loose(c)).collect()
}

/// A route's IPv4 destination blocks (a prefix list's entries for a prefix-list route).
fn route_blocks(state: &Ec2State, r: &Route) -> Vec<Ipv4Cidr> {
    if let Some(c) = r.destination_cidr_block.as_deref() {
        return Ipv4Cidr::parse_loose(c).into_iter().collect();
    }
    r.destination_prefix_list_id.as_deref().map(|pl| prefix_list_blocks(state, pl)).unwrap_or_default()
}

/// The id a route sends traffic to.
pub fn route_target(r: &Route) -> Option<&str> {
    r.gateway_id
        .as_deref()
        .or(r.nat_gateway_id.as_deref())
        .or(r.vpc_peering_connection_id.as_deref())
        .or(r.transit_gateway_id.as_deref())
        .or(r.network_interface_id.as_deref())
        .or(r.instance_id.as_deref())
        .or(r.egress_only_internet_gateway_id.as_deref())
        .or(r.local_gateway_id.as_deref())
        .or(r.carrier_gateway_id.as_deref())
}

/// The route of a table that carries `dst` (the longest prefix that contains it), with
/// the block that matched.
pub fn lookup(state: &Ec2State, table_id: &str, dst: Ipv4Cidr) -> Option<(Route, Ipv4Cidr)> {
    if !state.route_tables.contains_key(table_id) {
        return None;
    }
    let table = route_tables::describe_one(state, table_id);
    table
        .routes
        .unwrap_or_default()
        .into_iter()
        .flat_map(|r| route_blocks(state, &r).into_iter().map(move |b| (r.clone(), b)))
        .filter(|(_, b)| b.contains(&dst))
        .max_by_key(|(_, b)| b.len)
}

/// The route of a table that sends traffic to `target`, the most specific one first.
pub fn route_to(state: &Ec2State, table_id: &str, target: &str) -> Option<(Route, Ipv4Cidr)> {
    if !state.route_tables.contains_key(table_id) {
        return None;
    }
    let table = route_tables::describe_one(state, table_id);
    table
        .routes
        .unwrap_or_default()
        .into_iter()
        .filter(|r| route_target(r) == Some(target))
        .flat_map(|r| route_blocks(state, &r).into_iter().map(move |b| (r.clone(), b)))
        .max_by_key(|(_, b)| b.len)
}

/// The group ids of an interface.
pub fn groups(eni: &NetworkInterface) -> Vec<String> {
    eni.groups.iter().flatten().filter_map(|g| g.group_id.clone()).collect()
}

/// The rules of each group, by group id.
pub fn group_rules<'a>(state: &'a Ec2State, ids: &'a [String]) -> Vec<(&'a str, &'a [SgRule])> {
    ids.iter().filter_map(|id| state.security_groups.get(id).map(|g| (id.as_str(), g.rules.as_slice()))).collect()
}

/// Whether an address is private (RFC 1918) or shared (RFC 6598) space.
pub fn private_space(block: Ipv4Cidr) -> bool {
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]
        .iter()
        .filter_map(|c| Ipv4Cidr::parse(c))
        .any(|c| c.contains(&block))
}
