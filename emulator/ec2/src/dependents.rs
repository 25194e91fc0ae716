//! Questions one resource family asks about the others ("does anything still use this
//! VPC?"), answered in one place so that each family added extends them here.

use crate::state::Ec2State;
use crate::{gateways, prefix_lists, vpn_gateways};

/// Resources other than subnets, gateways, route tables, ACLs and groups that keep a
/// VPC from being deleted: egress-only internet gateways and VPN gateway attachments, as at AWS.
pub fn vpc_has_dependents(state: &Ec2State, vpc_id: &str) -> bool {
    state.egress_only_internet_gateways.values().any(|g| gateways::eigw_vpc(g) == Some(vpc_id))
        || vpn_gateways::attached_vpcs(state).any(|v| v == vpc_id)
}

/// Resources (beyond used addresses) that keep a subnet from being deleted.
pub fn subnet_has_dependents(_state: &Ec2State, _subnet_id: &str) -> bool {
    false
}

/// Elastic IPs mapped in the VPC (an internet gateway cannot be detached under them).
pub fn vpc_has_public_addresses(_state: &Ec2State, _vpc_id: &str) -> bool {
    false
}

/// Whether a security group is attached to an interface or instance.
pub fn security_group_in_use(_state: &Ec2State, _group_id: &str) -> bool {
    false
}

/// Whether a route's target is usable, so that the route is `active` rather than
/// `blackhole`: a VPN gateway must be attached, the others must exist.
pub fn route_target_alive(state: &Ec2State, target: &str) -> bool {
    match target.split_once('-').map(|(p, _)| p) {
        Some("vgw") => vpn_gateways::attached_vpc(state, target).is_some(),
        _ => state.exists(target),
    }
}

/// Whether a route may be created towards a target: it exists (a peering connection
/// VPN gateway not deleted).
pub fn route_target_exists(state: &Ec2State, target: &str) -> bool {
    match target.split_once('-').map(|(p, _)| p) {
        Some("vgw") => vpn_gateways::is_live(state, target),
        _ => state.exists(target),
    }
}

/// Customer-managed prefix lists and AWS's own in this region.
pub fn prefix_list_exists(state: &Ec2State, id: &str) -> bool {
    state.prefix_lists.contains_key(id) || prefix_lists::aws_managed(&state.region).iter().any(|p| p.id == id)
}
