//! Questions one resource family asks about the others ("does anything still use this
//! VPC?"), answered in one place so that each family added extends them here.

use crate::state::Ec2State;

/// Resources other than subnets, gateways, route tables, ACLs and groups that keep a
/// VPC from being deleted.
pub fn vpc_has_dependents(_state: &Ec2State, _vpc_id: &str) -> bool {
    false
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

/// Whether a route's target still exists.
pub fn route_target_alive(state: &Ec2State, target: &str) -> bool {
    state.exists(target)
}

pub fn prefix_list_exists(state: &Ec2State, id: &str) -> bool {
    state.exists(id)
}
