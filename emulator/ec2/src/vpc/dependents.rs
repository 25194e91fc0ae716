//! Questions one resource family asks about the others ("does anything still use this
//! VPC?"), answered in one place so that each family added extends them here.

use crate::state::Ec2State;
use crate::{
    vpc::addresses, vpc::endpoints, vpc::internet_gateways, vpc::nat_gateways, vpc::peering, vpc::prefix_lists,
    vpc::vpn_gateways,
};

/// Resources other than subnets, gateways, route tables, ACLs and groups that keep a
/// VPC from being deleted, as at AWS: network interfaces, NAT gateways not yet deleted,
/// VPC endpoints, egress-only internet gateways, VPN gateway attachments, active
/// peering connections and route server associations.
pub fn vpc_has_dependents(state: &Ec2State, vpc_id: &str) -> bool {
    state.network_interfaces.values().any(|e| e.vpc_id.as_deref() == Some(vpc_id))
        || state.nat_gateways.values().any(|n| n.vpc_id.as_deref() == Some(vpc_id) && nat_gateways::holds_network(n))
        || state.vpc_endpoints.values().any(|e| e.vpc_id.as_deref() == Some(vpc_id))
        || state.egress_only_internet_gateways.values().any(|g| internet_gateways::eigw_vpc(g) == Some(vpc_id))
        || vpn_gateways::attached_vpcs(state).any(|v| v == vpc_id)
        || peering::active_in_vpc(state, vpc_id)
        || state.connectivity.uses_vpc(vpc_id)
        || state.route_servers.uses_vpc(vpc_id)
}

/// Resources (beyond used addresses) that keep a subnet from being deleted: network
/// interfaces, NAT gateways not yet deleted, interface endpoints and Verified Access
/// endpoints placed in it.
pub fn subnet_has_dependents(state: &Ec2State, subnet_id: &str) -> bool {
    state.network_interfaces.values().any(|e| e.subnet_id.as_deref() == Some(subnet_id))
        || state
            .nat_gateways
            .values()
            .any(|n| n.subnet_id.as_deref() == Some(subnet_id) && nat_gateways::holds_network(n))
        || endpoints::uses_subnet(state, subnet_id)
        || state.connectivity.uses_subnet(subnet_id)
        || state.verified_access.uses_subnet(subnet_id)
}

/// Elastic IPs mapped in the VPC (an internet gateway cannot be detached under them).
pub fn vpc_has_public_addresses(state: &Ec2State, vpc_id: &str) -> bool {
    addresses::vpc_has_associations(state, vpc_id)
}

/// Whether a security group is attached to an interface, instance, interface endpoint or
/// Verified Access endpoint.
pub fn security_group_in_use(state: &Ec2State, group_id: &str) -> bool {
    state
        .network_interfaces
        .values()
        .any(|e| e.groups.iter().flatten().any(|g| g.group_id.as_deref() == Some(group_id)))
        || endpoints::uses_security_group(state, group_id)
        || state.connectivity.uses_security_group(group_id)
        || state.verified_access.uses_security_group(group_id)
}

/// Whether a route's target is usable, so that the route is `active` rather than
/// `blackhole`: a NAT gateway not deleting or deleted, a peering connection active, a
/// VPN gateway attached; the others must exist.
pub fn route_target_alive(state: &Ec2State, target: &str) -> bool {
    match target.split_once('-').map(|(p, _)| p) {
        Some("nat") => nat_gateways::is_live(state, target),
        Some("pcx") => peering::is_active(state, target),
        Some("vgw") => vpn_gateways::attached_vpc(state, target).is_some(),
        _ => state.exists(target),
    }
}

/// Whether a route may be created towards a target: it exists (a NAT gateway not
/// deleting or deleted, a peering connection that is pending acceptance or active, a VPN
/// gateway not deleted).
pub fn route_target_exists(state: &Ec2State, target: &str) -> bool {
    match target.split_once('-').map(|(p, _)| p) {
        Some("nat") => nat_gateways::is_live(state, target),
        Some("pcx") => peering::can_route(state, target),
        Some("vgw") => vpn_gateways::is_live(state, target),
        _ => state.exists(target),
    }
}

/// Customer-managed prefix lists and AWS's own in this region.
pub fn prefix_list_exists(state: &Ec2State, id: &str) -> bool {
    state.prefix_lists.contains_key(id) || prefix_lists::aws_managed(&state.region).iter().any(|p| p.id == id)
}
