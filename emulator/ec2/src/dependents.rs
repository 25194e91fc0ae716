//! Questions one resource family asks about the others ("does anything still use this
//! VPC?"), answered in one place so that each family added extends them here.

use crate::state::Ec2State;
use crate::{addresses, nat_gateways};

/// Resources other than subnets, gateways, route tables, ACLs and groups that keep a
/// VPC from being deleted: network interfaces and NAT gateways not yet deleted.
pub fn vpc_has_dependents(state: &Ec2State, vpc_id: &str) -> bool {
    state.network_interfaces.values().any(|e| e.vpc_id.as_deref() == Some(vpc_id))
        || state.nat_gateways.values().any(|n| n.vpc_id.as_deref() == Some(vpc_id) && nat_gateways::holds_network(n))
}

/// Resources (beyond used addresses) that keep a subnet from being deleted: network
/// interfaces and NAT gateways not yet deleted.
pub fn subnet_has_dependents(state: &Ec2State, subnet_id: &str) -> bool {
    state.network_interfaces.values().any(|e| e.subnet_id.as_deref() == Some(subnet_id))
        || state
            .nat_gateways
            .values()
            .any(|n| n.subnet_id.as_deref() == Some(subnet_id) && nat_gateways::holds_network(n))
}

/// Elastic IPs mapped in the VPC (an internet gateway cannot be detached under them).
pub fn vpc_has_public_addresses(state: &Ec2State, vpc_id: &str) -> bool {
    addresses::vpc_has_associations(state, vpc_id)
}

/// Whether a security group is attached to an interface or instance.
pub fn security_group_in_use(state: &Ec2State, group_id: &str) -> bool {
    state
        .network_interfaces
        .values()
        .any(|e| e.groups.iter().flatten().any(|g| g.group_id.as_deref() == Some(group_id)))
}

/// Whether a route's target still exists (a NAT gateway: is not deleting or deleted).
pub fn route_target_alive(state: &Ec2State, target: &str) -> bool {
    if target.starts_with("nat-") {
        return nat_gateways::is_live(state, target);
    }
    state.exists(target)
}

pub fn prefix_list_exists(state: &Ec2State, id: &str) -> bool {
    state.exists(id)
}
