//! IPv6 addresses of interfaces: taken from the subnet's /64 at random (AWS does not hand
//! them out in order, as it does private IPv4 addresses), AssignIpv6Addresses and
//! UnassignIpv6Addresses, and the checks RunInstances and CreateNetworkInterface make
//! before they take any, so that a launch never stops half way.
//!
//! Which addresses a subnet has given out is read off its interfaces: there is no second
//! record to keep in step.
//!
//! Wording: AWS documents none of these refusals; the messages marked "nimbus's" are ours.

use std::collections::BTreeSet;
use std::net::Ipv6Addr;

use nimbus_core::{ids, ApiError, RequestContext};

use super::records::{get, refuse_managed, MAX_PRIVATE_IPS};
use crate::catalogue;
use crate::generated::dto::{
    AssignIpv6AddressesRequest, AssignIpv6AddressesResult, NetworkInterface, NetworkInterfaceIpv6Address,
    UnassignIpv6AddressesRequest, UnassignIpv6AddressesResult,
};
use crate::generated::errors;
use crate::state::cidr::Ipv6Cidr;
use crate::state::params::invalid_value;
use crate::state::Ec2State;

/// The subnet's IPv6 block, if it has one associated.
pub fn subnet_block(state: &Ec2State, subnet_id: &str) -> Option<Ipv6Cidr> {
    let subnet = &state.subnets.get(subnet_id)?.subnet;
    subnet.ipv6_cidr_block_association_set.iter().flatten().find_map(|a| {
        let associated = a.ipv6_cidr_block_state.as_ref().and_then(|s| s.state.as_deref()) == Some("associated");
        associated.then(|| a.ipv6_cidr_block.as_deref().and_then(Ipv6Cidr::parse)).flatten()
    })
}

/// The IPv6 addresses an interface has.
pub fn interface_ipv6(eni: &NetworkInterface) -> Vec<String> {
    eni.ipv6_addresses.iter().flatten().filter_map(|a| a.ipv6_address.clone()).collect()
}

/// The IPv6 addresses the subnet's interfaces hold.
fn in_use(state: &Ec2State, subnet_id: &str) -> BTreeSet<u128> {
    state
        .network_interfaces
        .values()
        .filter(|e| e.subnet_id.as_deref() == Some(subnet_id))
        .flat_map(interface_ipv6)
        .filter_map(|a| a.parse::<Ipv6Addr>().ok().map(u128::from))
        .collect()
}

/// Whether any interface of the subnet holds an IPv6 address.
pub fn subnet_has_ipv6_in_use(state: &Ec2State, subnet_id: &str) -> bool {
    !in_use(state, subnet_id).is_empty()
}

/// The most IPv6 addresses the interface may hold: its instance type's figure when it is
/// attached to an instance, else the largest any type allows.
fn limit(state: &Ec2State, eni: &NetworkInterface) -> usize {
    eni.attachment
        .as_ref()
        .and_then(|a| a.instance_id.as_ref())
        .and_then(|i| state.instances.get(i))
        .and_then(|r| r.instance.instance_type.as_deref())
        .and_then(catalogue::instance_type)
        .and_then(|t| t.network_info.and_then(|n| n.ipv6_addresses_per_interface))
        .map_or(MAX_PRIVATE_IPS, |n| n.max(0) as usize)
}

/// Whether the catalogue says the instance type supports IPv6.
pub fn supports_ipv6(instance_type: &str) -> bool {
    catalogue::instance_type(instance_type).and_then(|t| t.network_info).and_then(|n| n.ipv6_supported).unwrap_or(false)
}

/// What an instance type allows: whether it supports IPv6 at all, and how many
/// addresses one interface may have.
pub fn check_instance_type(instance_type: &str, wanted: usize) -> Result<(), ApiError> {
    if wanted == 0 {
        return Ok(());
    }
    if !supports_ipv6(instance_type) {
        // nimbus's wording.
        return Err(errors::invalid_parameter_combination(format!(
            "The instance type '{instance_type}' does not support IPv6 addresses."
        )));
    }
    let net = catalogue::instance_type(instance_type).and_then(|t| t.network_info);
    let most = net.and_then(|n| n.ipv6_addresses_per_interface).unwrap_or(0).max(0) as usize;
    if wanted > most {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({wanted}) for parameter ipv6AddressCount is invalid. The instance type '{instance_type}' supports at most {most} IPv6 addresses per network interface."
        )));
    }
    Ok(())
}

/// AWS keeps the first four addresses and the last one of a subnet's block.
fn reserved(block: &Ipv6Cidr, addr: u128) -> bool {
    addr < block.addr + 4 || addr == block.addr | host_mask(block)
}

/// The bits of an address in `block` that are not its prefix.
fn host_mask(block: &Ipv6Cidr) -> u128 {
    u128::MAX.checked_shr(u32::from(block.len)).unwrap_or(0)
}

/// Checks the addresses asked for in `subnet_id` (and that the subnet has IPv6 at all when
/// any are asked for, by address or by `count`): each in the block, not reserved, not
/// taken, not asked twice. Returns them as numbers, in the order given.
pub fn check_request(
    state: &Ec2State,
    subnet_id: &str,
    wanted: &[String],
    count: usize,
    parameter: &str,
) -> Result<Vec<u128>, ApiError> {
    if wanted.is_empty() && count == 0 {
        return Ok(Vec::new());
    }
    let Some(block) = subnet_block(state, subnet_id) else {
        // nimbus's wording.
        return Err(errors::invalid_parameter_value(format!(
            "The subnet '{subnet_id}' has no IPv6 CIDR block associated, so it cannot assign IPv6 addresses."
        )));
    };
    let used = in_use(state, subnet_id);
    let mut numbers = Vec::with_capacity(wanted.len());
    for raw in wanted {
        let addr = raw
            .trim()
            .parse::<Ipv6Addr>()
            .map(u128::from)
            .map_err(|_| invalid_value(parameter, raw, "It is not a valid IPv6 address."))?;
        if !block.contains(&Ipv6Cidr { addr, len: 128 }) {
            return Err(errors::invalid_parameter_value(format!(
                "Address {raw} does not fall within the subnet's address range"
            )));
        }
        if reserved(&block, addr) {
            return Err(errors::invalid_parameter_value(format!(
                "Address {raw} is reserved: AWS reserves the first four and the last address of subnet {subnet_id} ({block})"
            )));
        }
        if used.contains(&addr) || numbers.contains(&addr) {
            return Err(errors::invalid_ip_address_in_use(format!("Address {raw} is in use.")));
        }
        numbers.push(addr);
    }
    Ok(numbers)
}

/// The addresses checked by [`check_request`], then `count` more at random in the block,
/// as AWS writes them. Call only after `check_request` passed for the same subnet.
pub fn take(state: &Ec2State, subnet_id: &str, wanted: Vec<u128>, count: usize) -> Vec<String> {
    let Some(block) = subnet_block(state, subnet_id) else { return Vec::new() };
    let mut used = in_use(state, subnet_id);
    used.extend(wanted.iter().copied());
    let mask = host_mask(&block);
    let mut taken = wanted;
    let target = taken.len() + count;
    // A subnet's block is a /64: a random pick is free but for a one in 2^64 chance, and
    // the bound only keeps a degenerate block from looping.
    let mut attempts = 0usize;
    while taken.len() < target && attempts < 64 * target + 1024 {
        attempts += 1;
        let candidate = block.addr | (u128::from(ids::random_u64()) & mask);
        if !reserved(&block, candidate) && used.insert(candidate) {
            taken.push(candidate);
        }
    }
    taken.into_iter().map(|a| Ipv6Addr::from(a).to_string()).collect()
}

/// Adds IPv6 addresses (already checked) to an interface.
pub fn add_to_interface(state: &mut Ec2State, id: &str, addrs: &[String]) {
    if let Some(eni) = state.network_interfaces.get_mut(id) {
        let list = eni.ipv6_addresses.get_or_insert_with(Vec::new);
        list.extend(addrs.iter().map(|a| NetworkInterfaceIpv6Address {
            ipv6_address: Some(a.clone()),
            is_primary_ipv6: Some(false),
            public_ipv6_dns_name: None,
        }));
    }
}

/// How many addresses an AssignIpv6Addresses-like request asks for beside the listed ones.
fn requested_count(wanted: &[String], count: Option<i32>) -> Result<usize, ApiError> {
    match (wanted.is_empty(), count) {
        (false, Some(_)) => Err(errors::invalid_parameter_combination(
            "Only one of ipv6Addresses or ipv6AddressCount may be specified.",
        )),
        (true, None) => Err(errors::missing_parameter("ipv6Addresses or ipv6AddressCount")),
        (true, Some(n)) if n < 1 => Err(invalid_value("ipv6AddressCount", n, "")),
        (true, Some(n)) => Ok(n as usize),
        (false, None) => Ok(0),
    }
}

pub fn assign_ipv6_addresses(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: AssignIpv6AddressesRequest,
) -> Result<AssignIpv6AddressesResult, ApiError> {
    let id = input.network_interface_id.as_str();
    let eni = get(state, id)?.clone();
    refuse_managed(&eni)?;
    if input.ipv6_prefixes.as_deref().is_some_and(|p| !p.is_empty()) || input.ipv6_prefix_count.is_some_and(|n| n > 0) {
        return Err(errors::invalid_parameter_value("Prefix delegation is not supported by nimbus yet."));
    }
    let wanted = input.ipv6_addresses.clone().unwrap_or_default();
    let count = requested_count(&wanted, input.ipv6_address_count)?;
    let mine: BTreeSet<u128> =
        interface_ipv6(&eni).iter().filter_map(|a| a.parse::<Ipv6Addr>().ok().map(u128::from)).collect();
    for raw in &wanted {
        if raw.trim().parse::<Ipv6Addr>().is_ok_and(|a| mine.contains(&u128::from(a))) {
            return Err(errors::invalid_parameter_value(format!(
                "Address {raw} is already assigned to interface {id}."
            )));
        }
    }
    if mine.len() + wanted.len() + count > limit(state, &eni) {
        return Err(errors::private_ip_address_limit_exceeded());
    }
    let subnet_id = eni.subnet_id.clone().unwrap_or_default();
    let numbers = check_request(state, &subnet_id, &wanted, count, "ipv6Addresses")?;
    let addrs = take(state, &subnet_id, numbers, count);
    add_to_interface(state, id, &addrs);
    Ok(AssignIpv6AddressesResult {
        assigned_ipv6_addresses: Some(addrs),
        assigned_ipv6_prefixes: None,
        network_interface_id: Some(id.to_string()),
    })
}

pub fn unassign_ipv6_addresses(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: UnassignIpv6AddressesRequest,
) -> Result<UnassignIpv6AddressesResult, ApiError> {
    let id = input.network_interface_id.as_str();
    let eni = get(state, id)?.clone();
    refuse_managed(&eni)?;
    if input.ipv6_prefixes.as_deref().is_some_and(|p| !p.is_empty()) {
        return Err(errors::invalid_parameter_value("Prefix delegation is not supported by nimbus yet."));
    }
    let wanted = input.ipv6_addresses.clone().unwrap_or_default();
    if wanted.is_empty() {
        return Err(errors::missing_parameter("ipv6Addresses"));
    }
    let number = |raw: &str| raw.trim().parse::<Ipv6Addr>().ok().map(u128::from);
    let mine = interface_ipv6(&eni);
    let gone: BTreeSet<u128> = wanted.iter().filter_map(|w| number(w)).collect();
    let held = |raw: &String| number(raw).is_some_and(|n| mine.iter().any(|m| number(m) == Some(n)));
    if !wanted.iter().all(held) {
        return Err(errors::invalid_parameter_value(format!(
            "Some of the specified addresses are not assigned to interface {id}"
        )));
    }
    if let Some(list) = state.network_interfaces.get_mut(id).and_then(|e| e.ipv6_addresses.as_mut()) {
        list.retain(|a| !a.ipv6_address.as_deref().and_then(number).is_some_and(|n| gone.contains(&n)));
    }
    Ok(UnassignIpv6AddressesResult {
        network_interface_id: Some(id.to_string()),
        unassigned_ipv6_addresses: Some(wanted),
        unassigned_ipv6_prefixes: None,
    })
}

/// What a new interface asks for (CreateNetworkInterface, RunInstances): the addresses
/// listed, or a count, or, with neither, one when the subnet assigns an address on
/// creation. Checked against the subnet, nothing taken yet.
pub struct NewInterfaceIpv6 {
    pub wanted: Vec<u128>,
    pub count: usize,
}

impl NewInterfaceIpv6 {
    pub fn plan(
        state: &Ec2State,
        subnet_id: &str,
        listed: &[String],
        count: Option<i32>,
    ) -> Result<NewInterfaceIpv6, ApiError> {
        let count = match (listed.is_empty(), count) {
            (false, Some(_)) => {
                return Err(errors::invalid_parameter_combination(
                    "Only one of ipv6Addresses or ipv6AddressCount may be specified.",
                ))
            }
            (true, Some(n)) if n < 0 => return Err(invalid_value("ipv6AddressCount", n, "")),
            (true, Some(n)) => n as usize,
            (true, None) => {
                let auto = state.subnets.get(subnet_id).and_then(|s| s.subnet.assign_ipv6_address_on_creation);
                usize::from(auto == Some(true))
            }
            (false, None) => 0,
        };
        let wanted = check_request(state, subnet_id, listed, count, "ipv6Addresses")?;
        Ok(NewInterfaceIpv6 { wanted, count })
    }

    /// How many addresses the interface gets.
    pub fn total(&self) -> usize {
        self.wanted.len() + self.count
    }

    /// Takes the addresses and puts them on the interface.
    pub fn apply(&self, state: &mut Ec2State, subnet_id: &str, interface_id: &str) {
        if self.total() == 0 {
            return;
        }
        let addrs = take(state, subnet_id, self.wanted.clone(), self.count);
        add_to_interface(state, interface_id, &addrs);
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv6Addr;

    use nimbus_core::RequestContext;
    use serde_json::{json, Value};

    use crate::testing::{al2023, call, launch, refused, str_at};
    use crate::Ec2;

    /// A VPC with an Amazon-provided /56 and a subnet with the first /64 of it.
    fn dual_stack(ec2: &Ec2, ctx: &RequestContext, auto: bool) -> (String, String) {
        let vpc = call(ec2, ctx, "CreateVpc", json!({"CidrBlock": "10.0.0.0/16", "AmazonProvidedIpv6CidrBlock": true}));
        let vpc_id = str_at(&vpc, "/Vpc/VpcId");
        let described = call(ec2, ctx, "DescribeVpcs", json!({"VpcIds": [vpc_id]}));
        let v6 = str_at(&described, "/Vpcs/0/Ipv6CidrBlockAssociationSet/0/Ipv6CidrBlock");
        let block = v6.replace("00::/56", "00::/64");
        let subnet = call(
            ec2,
            ctx,
            "CreateSubnet",
            json!({"VpcId": vpc_id, "CidrBlock": "10.0.1.0/24", "Ipv6CidrBlock": block}),
        );
        let subnet_id = str_at(&subnet, "/Subnet/SubnetId");
        if auto {
            call(
                ec2,
                ctx,
                "ModifySubnetAttribute",
                json!({"SubnetId": subnet_id, "AssignIpv6AddressOnCreation": {"Value": true}}),
            );
        }
        (subnet_id, block)
    }

    fn addresses(eni: &Value) -> Vec<String> {
        eni["Ipv6Addresses"].as_array().unwrap().iter().map(|a| str_at(a, "/Ipv6Address")).collect()
    }

    fn in_block(block: &str, addr: &str) -> bool {
        let prefix: Ipv6Addr = block.split('/').next().unwrap().parse().unwrap();
        let a: Ipv6Addr = addr.parse().unwrap();
        u128::from(a) >> 64 == u128::from(prefix) >> 64
    }

    #[test]
    fn interfaces_take_addresses_from_the_subnet_block_and_give_them_back() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (subnet, block) = dual_stack(&ec2, &ctx, false);
        let eni = call(&ec2, &ctx, "CreateNetworkInterface", json!({"SubnetId": subnet, "Ipv6AddressCount": 2}));
        let eni_id = str_at(&eni, "/NetworkInterface/NetworkInterfaceId");
        let first = addresses(&eni["NetworkInterface"]);
        assert_eq!(first.len(), 2);
        assert!(first.iter().all(|a| in_block(&block, a)), "{first:?} in {block}");
        assert_eq!(eni["NetworkInterface"]["Ipv6Addresses"][0]["IsPrimaryIpv6"], json!(false));

        let out = call(&ec2, &ctx, "AssignIpv6Addresses", json!({"NetworkInterfaceId": eni_id, "Ipv6AddressCount": 1}));
        let added = out["AssignedIpv6Addresses"].as_array().unwrap().clone();
        assert_eq!(added.len(), 1);
        // An address another interface holds is refused; so is a taken one, a reserved
        // one and one outside the block.
        let other = call(&ec2, &ctx, "CreateNetworkInterface", json!({"SubnetId": subnet}));
        let other_id = str_at(&other, "/NetworkInterface/NetworkInterfaceId");
        let assign = |addr: &str| {
            refused(&ec2, &ctx, "AssignIpv6Addresses", json!({"NetworkInterfaceId": other_id, "Ipv6Addresses": [addr]}))
        };
        assert_eq!(assign(&first[0]), "InvalidIPAddress.InUse");
        let network = block.split('/').next().unwrap().to_string();
        assert_eq!(assign(&network), "InvalidParameterValue");
        assert_eq!(assign("2001:db8::10"), "InvalidParameterValue");
        assert_eq!(assign("not-an-address"), "InvalidParameterValue");
        let chosen = network.replace("::", "::abcd");
        let out = call(
            &ec2,
            &ctx,
            "AssignIpv6Addresses",
            json!({"NetworkInterfaceId": other_id, "Ipv6Addresses": [chosen.clone()]}),
        );
        assert_eq!(out["AssignedIpv6Addresses"], json!([chosen]));
        assert_eq!(
            refused(
                &ec2,
                &ctx,
                "AssignIpv6Addresses",
                json!({"NetworkInterfaceId": other_id, "Ipv6Addresses": [chosen.clone()], "Ipv6AddressCount": 1})
            ),
            "InvalidParameterCombination"
        );
        assert_eq!(
            refused(&ec2, &ctx, "AssignIpv6Addresses", json!({"NetworkInterfaceId": other_id})),
            "MissingParameter"
        );

        // Unassigned addresses can be taken again; an address not held is refused, all or none.
        assert_eq!(
            refused(
                &ec2,
                &ctx,
                "UnassignIpv6Addresses",
                json!({"NetworkInterfaceId": eni_id, "Ipv6Addresses": [first[0].clone(), chosen.clone()]})
            ),
            "InvalidParameterValue"
        );
        call(&ec2, &ctx, "UnassignIpv6Addresses", json!({"NetworkInterfaceId": eni_id, "Ipv6Addresses": [first[0]]}));
        let described = call(&ec2, &ctx, "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": [eni_id]}));
        assert_eq!(addresses(&described["NetworkInterfaces"][0]).len(), 2);
        call(&ec2, &ctx, "AssignIpv6Addresses", json!({"NetworkInterfaceId": other_id, "Ipv6Addresses": [first[0]]}));
        let found = call(
            &ec2,
            &ctx,
            "DescribeNetworkInterfaces",
            json!({"Filters": [{"Name": "ipv6-addresses.ipv6-address", "Values": [first[0]]}]}),
        );
        assert_eq!(str_at(&found, "/NetworkInterfaces/0/NetworkInterfaceId"), other_id);
    }

    #[test]
    fn a_subnet_without_ipv6_refuses_and_its_block_stays_while_addresses_are_used() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (plain_vpc, plain) = crate::testing::network(&ec2, &ctx, "10.0.1.0/24", false);
        let _ = plain_vpc;
        assert_eq!(
            refused(&ec2, &ctx, "CreateNetworkInterface", json!({"SubnetId": plain, "Ipv6AddressCount": 1})),
            "InvalidParameterValue"
        );
        let (subnet, _) = dual_stack(&ec2, &ctx, true);
        // The subnet assigns one on creation.
        let eni = call(&ec2, &ctx, "CreateNetworkInterface", json!({"SubnetId": subnet}));
        assert_eq!(addresses(&eni["NetworkInterface"]).len(), 1);
        let assoc = call(&ec2, &ctx, "DescribeSubnets", json!({"SubnetIds": [subnet]}));
        let assoc_id = str_at(&assoc, "/Subnets/0/Ipv6CidrBlockAssociationSet/0/AssociationId");
        let disassociate = || refused(&ec2, &ctx, "DisassociateSubnetCidrBlock", json!({"AssociationId": assoc_id}));
        assert_eq!(disassociate(), "InvalidCidrBlock.InUse");
        call(
            &ec2,
            &ctx,
            "ModifySubnetAttribute",
            json!({"SubnetId": subnet, "AssignIpv6AddressOnCreation": {"Value": false}}),
        );
        assert_eq!(disassociate(), "InvalidCidrBlock.InUse");
        let eni_id = str_at(&eni, "/NetworkInterface/NetworkInterfaceId");
        call(&ec2, &ctx, "DeleteNetworkInterface", json!({"NetworkInterfaceId": eni_id}));
        call(&ec2, &ctx, "DisassociateSubnetCidrBlock", json!({"AssociationId": assoc_id}));
    }

    #[test]
    fn run_instances_gives_the_primary_interface_ipv6_addresses() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let image = al2023(&ec2, &ctx);
        let (subnet, block) = dual_stack(&ec2, &ctx, false);
        let (id, _) = launch(&ec2, &ctx, &image, json!({"SubnetId": subnet, "Ipv6AddressCount": 2}));
        let out = call(&ec2, &ctx, "DescribeInstances", json!({"InstanceIds": [id]}));
        let nic = &out["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0];
        let v6 = addresses(nic);
        assert_eq!(v6.len(), 2);
        assert!(v6.iter().all(|a| in_block(&block, a)));
        let found = call(
            &ec2,
            &ctx,
            "DescribeInstances",
            json!({"Filters": [{"Name": "network-interface.ipv6-addresses.ipv6-address", "Values": [v6[1]]}]}),
        );
        assert_eq!(str_at(&found, "/Reservations/0/Instances/0/InstanceId"), id);
        // Through the interface specification, by address.
        let chosen = block.split('/').next().unwrap().replace("::", "::42");
        let (id2, _) = launch(
            &ec2,
            &ctx,
            &image,
            json!({"NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": subnet, "Ipv6Addresses": [{"Ipv6Address": chosen}]}]}),
        );
        let out = call(&ec2, &ctx, "DescribeInstances", json!({"InstanceIds": [id2]}));
        assert_eq!(addresses(&out["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0]), vec![chosen.clone()]);
        // The per-interface limit of the type, a type without IPv6, a taken address, and
        // a subnet without a block are refused before anything is launched.
        let count = |out: &Value| out["Reservations"].as_array().unwrap().len();
        let before = count(&call(&ec2, &ctx, "DescribeInstances", json!({})));
        let run = |extra: Value| {
            let mut input =
                json!({"ImageId": image, "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro", "SubnetId": subnet});
            for (k, v) in extra.as_object().unwrap() {
                input[k] = v.clone();
            }
            refused(&ec2, &ctx, "RunInstances", input)
        };
        assert_eq!(run(json!({"Ipv6AddressCount": 13})), "InvalidParameterValue");
        assert_eq!(run(json!({"Ipv6AddressCount": 1, "InstanceType": "m1.small"})), "InvalidParameterCombination");
        assert_eq!(run(json!({"Ipv6Addresses": [{"Ipv6Address": chosen}]})), "InvalidIPAddress.InUse");
        assert_eq!(
            run(json!({"Ipv6Addresses": [{"Ipv6Address": chosen.replace("::42", "::43")}], "MaxCount": 2})),
            "InvalidParameterCombination"
        );
        assert_eq!(count(&call(&ec2, &ctx, "DescribeInstances", json!({}))), before);
        // Terminated, the instance gives its addresses back.
        call(&ec2, &ctx, "TerminateInstances", json!({"InstanceIds": [id2]}));
        let (id3, _) =
            launch(&ec2, &ctx, &image, json!({"SubnetId": subnet, "Ipv6Addresses": [{"Ipv6Address": chosen}]}));
        assert!(id3.starts_with("i-"));
    }
}
