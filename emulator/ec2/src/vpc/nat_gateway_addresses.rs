//! A NAT gateway's secondary addresses after creation: AssociateNatGatewayAddress and
//! DisassociateNatGatewayAddress (secondary Elastic IPs of a public gateway, each on a
//! private address of the gateway's interface) and AssignPrivateNatGatewayAddress and
//! UnassignPrivateNatGatewayAddress (secondary private addresses, of either kind).
//!
//! The change is made at once; the answer shows the addresses in flight (`associating`,
//! `disassociating`, `assigning`, `unassigning`) and DescribeNatGateways the settled
//! gateway, as nimbus does for every lifecycle with the default transition delay. A
//! disassociated Elastic IP leaves its private address assigned to the gateway, as at
//! AWS; an unassigned address goes back to the subnet. Terraform's aws_nat_gateway waits
//! for an associated address to show `succeeded` and for a disassociated or unassigned
//! one to be gone.
//!
//! AWS documents these refusals without their wording; the messages here are nimbus's.

use chrono::{DateTime, Utc};
use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    AssignPrivateNatGatewayAddressRequest, AssignPrivateNatGatewayAddressResult, AssociateNatGatewayAddressRequest,
    AssociateNatGatewayAddressResult, DisassociateNatGatewayAddressRequest, DisassociateNatGatewayAddressResult,
    NatGateway, NatGatewayAddress, UnassignPrivateNatGatewayAddressRequest, UnassignPrivateNatGatewayAddressResult,
};
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::Ec2State;
use crate::vpc::nat_gateways::{self, MAX_SECONDARY_ALLOCATIONS};
use crate::vpc::{addresses, interfaces, subnets};

/// The gateway, which must be `available` for its addresses to change.
fn available<'a>(state: &'a Ec2State, id: &str, now: DateTime<Utc>) -> Result<&'a NatGateway, ApiError> {
    let nat = nat_gateways::get(state, id, now)?;
    let (shown, _) = nat_gateways::state_at(state, id, now);
    if shown != "available" {
        return Err(errors::incorrect_state(format!(
            "The NAT gateway {id} is {shown}; its addresses can change only while it is available."
        )));
    }
    Ok(nat)
}

fn addresses_of(nat: &NatGateway) -> Vec<NatGatewayAddress> {
    nat.nat_gateway_addresses.clone().unwrap_or_default()
}

fn interface_of(nat: &NatGateway) -> String {
    addresses_of(nat).iter().find_map(|a| a.network_interface_id.clone()).unwrap_or_default()
}

fn set_addresses(state: &mut Ec2State, id: &str, addresses: Vec<NatGatewayAddress>) {
    if let Some(n) = state.nat_gateways.get_mut(id) {
        n.nat_gateway_addresses = Some(addresses);
    }
}

/// MaxDrainDurationSeconds: 1-4000 seconds, as AWS documents.
fn check_drain(seconds: Option<i32>) -> Result<(), ApiError> {
    match seconds {
        Some(drain) if !(1..=4000).contains(&drain) => {
            Err(invalid_value("maxDrainDurationSeconds", drain, "The drain time must be 1-4000 seconds."))
        }
        _ => Ok(()),
    }
}

/// The answer's view of some addresses, in flight.
fn in_flight(addresses: Vec<NatGatewayAddress>, status: &str) -> Option<Vec<NatGatewayAddress>> {
    Some(addresses.into_iter().map(|a| NatGatewayAddress { status: Some(status.into()), ..a }).collect())
}

/// New private addresses of the gateway's subnet: the ones asked for, else `count` free ones.
fn take_private_ips(
    state: &mut Ec2State,
    subnet_id: &str,
    wanted: &[String],
    count: usize,
) -> Result<Vec<String>, ApiError> {
    if wanted.is_empty() {
        subnets::allocate_ips(state, subnet_id, &[], count)
    } else {
        subnets::allocate_ips(state, subnet_id, wanted, 0)
    }
}

pub fn associate_nat_gateway_address(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AssociateNatGatewayAddressRequest,
) -> Result<AssociateNatGatewayAddressResult, ApiError> {
    let id = input.nat_gateway_id.clone();
    let nat = available(state, &id, ctx.now)?;
    if nat.connectivity_type.as_deref() != Some("public") {
        return Err(errors::invalid_parameter_value(format!(
            "The NAT gateway {id} has private connectivity: it cannot have Elastic IP addresses."
        )));
    }
    let current = addresses_of(nat);
    let subnet_id = nat.subnet_id.clone().unwrap_or_default();
    let eni = interface_of(nat);
    let allocations = input.allocation_ids.clone();
    if allocations.is_empty() {
        return Err(errors::missing_parameter("allocationId"));
    }
    for (i, alloc) in allocations.iter().enumerate() {
        let rec = addresses::get(state, alloc)?;
        if allocations[..i].contains(alloc) {
            return Err(errors::invalid_parameter_value(format!("The allocation ID {alloc} is given more than once.")));
        }
        let on_a_gateway = state.nat_gateways.values().any(|n| {
            nat_gateways::holds_network(n)
                && n.nat_gateway_addresses.iter().flatten().any(|a| a.allocation_id.as_deref() == Some(alloc.as_str()))
        });
        if rec.address.association_id.is_some() || on_a_gateway {
            return Err(ApiError::client(
                "Resource.AlreadyAssociated",
                format!("Elastic IP address {alloc} is already associated"),
            ));
        }
    }
    let secondary_eips = current.iter().filter(|a| a.is_primary != Some(true) && a.allocation_id.is_some()).count();
    if secondary_eips + allocations.len() > MAX_SECONDARY_ALLOCATIONS {
        return Err(errors::invalid_parameter_value(format!(
            "A NAT gateway can have at most {MAX_SECONDARY_ALLOCATIONS} secondary Elastic IP addresses."
        )));
    }
    // The private addresses the Elastic IPs go on: given (existing secondary addresses
    // without an Elastic IP, or free ones of the subnet), or new ones.
    let wanted = input.private_ip_addresses.clone().unwrap_or_default();
    if !wanted.is_empty() && wanted.len() != allocations.len() {
        return Err(errors::invalid_parameter_value(
            "The number of private IP addresses must match the number of allocation IDs.",
        ));
    }
    let free_on_gateway: Vec<String> = current
        .iter()
        .filter(|a| a.is_primary != Some(true) && a.allocation_id.is_none())
        .filter_map(|a| a.private_ip.clone())
        .collect();
    let fresh: Vec<String> = wanted.iter().filter(|ip| !free_on_gateway.contains(ip)).cloned().collect();
    let held = current.iter().filter(|a| a.is_primary != Some(true)).count();
    let new_count = if wanted.is_empty() { allocations.len() } else { fresh.len() };
    nat_gateways::check_secondary_private_ips(held + new_count)?;
    let new_ips = if new_count == 0 { Vec::new() } else { take_private_ips(state, &subnet_id, &fresh, new_count)? };
    interfaces::records::add_private_ips(state, ctx, &eni, &new_ips);
    let targets: Vec<String> = if wanted.is_empty() { new_ips.clone() } else { wanted.clone() };
    let mut all = current;
    let mut changed = Vec::new();
    for (alloc, ip) in allocations.iter().zip(&targets) {
        let association = addresses::associate_record(state, alloc, &eni, ip);
        let address = NatGatewayAddress {
            allocation_id: Some(alloc.clone()),
            association_id: Some(association),
            network_interface_id: Some(eni.clone()),
            private_ip: Some(ip.clone()),
            public_ip: state.addresses.get(alloc).and_then(|r| r.address.public_ip.clone()),
            is_primary: Some(false),
            ..Default::default()
        };
        match all.iter_mut().find(|a| a.private_ip.as_deref() == Some(ip.as_str())) {
            Some(existing) => *existing = address.clone(),
            None => all.push(address.clone()),
        }
        changed.push(address);
    }
    set_addresses(state, &id, all);
    Ok(AssociateNatGatewayAddressResult {
        nat_gateway_id: Some(id),
        nat_gateway_addresses: in_flight(changed, "associating"),
    })
}

pub fn disassociate_nat_gateway_address(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DisassociateNatGatewayAddressRequest,
) -> Result<DisassociateNatGatewayAddressResult, ApiError> {
    let id = input.nat_gateway_id.clone();
    let nat = available(state, &id, ctx.now)?;
    let mut all = addresses_of(nat);
    check_drain(input.max_drain_duration_seconds)?;
    for assoc in &input.association_ids {
        match all.iter().find(|a| a.association_id.as_deref() == Some(assoc.as_str())) {
            None => return Err(errors::invalid_association_id_not_found(assoc)),
            Some(a) if a.is_primary == Some(true) => {
                return Err(errors::invalid_parameter_value(format!(
                    "The association {assoc} is of the NAT gateway's primary address, which cannot be disassociated."
                )))
            }
            Some(_) => {}
        }
    }
    let mut changed = Vec::new();
    for assoc in &input.association_ids {
        addresses::disassociate_record(state, assoc);
        if let Some(a) = all.iter_mut().find(|a| a.association_id.as_deref() == Some(assoc.as_str())) {
            changed.push(a.clone());
            a.allocation_id = None;
            a.association_id = None;
            a.public_ip = None;
        }
    }
    set_addresses(state, &id, all);
    Ok(DisassociateNatGatewayAddressResult {
        nat_gateway_id: Some(id),
        nat_gateway_addresses: in_flight(changed, "disassociating"),
    })
}

pub fn assign_private_nat_gateway_address(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AssignPrivateNatGatewayAddressRequest,
) -> Result<AssignPrivateNatGatewayAddressResult, ApiError> {
    let id = input.nat_gateway_id.clone();
    let nat = available(state, &id, ctx.now)?;
    let current = addresses_of(nat);
    let subnet_id = nat.subnet_id.clone().unwrap_or_default();
    let eni = interface_of(nat);
    let wanted = input.private_ip_addresses.clone().unwrap_or_default();
    let count = match (wanted.is_empty(), input.private_ip_address_count) {
        (false, Some(_)) => {
            return Err(errors::invalid_parameter_combination(
                "Only one of privateIpAddresses or privateIpAddressCount may be specified.",
            ))
        }
        (true, None) => return Err(errors::missing_parameter("privateIpAddressCount")),
        (true, Some(n)) if n < 1 => return Err(invalid_value("privateIpAddressCount", n, "")),
        (true, Some(n)) => n as usize,
        (false, None) => wanted.len(),
    };
    let held = current.iter().filter(|a| a.is_primary != Some(true)).count();
    nat_gateways::check_secondary_private_ips(held + count)?;
    let ips = take_private_ips(state, &subnet_id, &wanted, count)?;
    interfaces::records::add_private_ips(state, ctx, &eni, &ips);
    let changed: Vec<NatGatewayAddress> = ips
        .iter()
        .map(|ip| NatGatewayAddress {
            network_interface_id: Some(eni.clone()),
            private_ip: Some(ip.clone()),
            is_primary: Some(false),
            ..Default::default()
        })
        .collect();
    let mut all = current;
    all.extend(changed.iter().cloned());
    set_addresses(state, &id, all);
    Ok(AssignPrivateNatGatewayAddressResult {
        nat_gateway_id: Some(id),
        nat_gateway_addresses: in_flight(changed, "assigning"),
    })
}

pub fn unassign_private_nat_gateway_address(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: UnassignPrivateNatGatewayAddressRequest,
) -> Result<UnassignPrivateNatGatewayAddressResult, ApiError> {
    let id = input.nat_gateway_id.clone();
    let nat = available(state, &id, ctx.now)?;
    let mut all = addresses_of(nat);
    let subnet_id = nat.subnet_id.clone().unwrap_or_default();
    let eni = interface_of(nat);
    check_drain(input.max_drain_duration_seconds)?;
    if input.private_ip_addresses.is_empty() {
        return Err(errors::missing_parameter("privateIpAddress"));
    }
    for ip in &input.private_ip_addresses {
        match all.iter().find(|a| a.private_ip.as_deref() == Some(ip.as_str())) {
            None => {
                return Err(errors::invalid_parameter_value(format!(
                    "The private IP address {ip} is not assigned to the NAT gateway {id}."
                )))
            }
            Some(a) if a.is_primary == Some(true) => {
                return Err(errors::invalid_parameter_value(format!(
                    "The private IP address {ip} is the NAT gateway's primary address and cannot be unassigned."
                )))
            }
            Some(a) if a.association_id.is_some() => {
                return Err(errors::invalid_parameter_value(format!(
                    "The private IP address {ip} has an Elastic IP address; disassociate it first."
                )))
            }
            Some(_) => {}
        }
    }
    let mut changed = Vec::new();
    for ip in &input.private_ip_addresses {
        if let Some(i) = all.iter().position(|a| a.private_ip.as_deref() == Some(ip.as_str())) {
            changed.push(all.remove(i));
        }
        interfaces::records::remove_private_ips(state, &eni, std::slice::from_ref(ip));
        subnets::release_ip(state, &subnet_id, ip);
    }
    set_addresses(state, &id, all);
    Ok(UnassignPrivateNatGatewayAddressResult {
        nat_gateway_id: Some(id),
        nat_gateway_addresses: in_flight(changed, "unassigning"),
    })
}

#[cfg(test)]
mod tests {
    use nimbus_core::RequestContext;
    use serde_json::{json, Value};

    use crate::testing::{available_ips, call, network, refused, str_at};
    use crate::Ec2;

    fn addresses(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Vec<Value> {
        call(ec2, ctx, "DescribeNatGateways", json!({"NatGatewayIds": [id]}))["NatGateways"][0]["NatGatewayAddresses"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn eni_ips(ec2: &Ec2, ctx: &RequestContext, eni: &str) -> usize {
        call(ec2, ctx, "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": [eni]}))["NetworkInterfaces"][0]
            ["PrivateIpAddresses"]
            .as_array()
            .map_or(0, Vec::len)
    }

    #[test]
    fn secondary_elastic_ips_and_private_addresses_come_and_go() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (_, subnet) = network(&ec2, &ctx, "10.0.1.0/24", true);
        let alloc = |ec2: &Ec2| str_at(&call(ec2, &ctx, "AllocateAddress", json!({})), "/AllocationId");
        let primary = alloc(&ec2);
        let created = call(&ec2, &ctx, "CreateNatGateway", json!({"SubnetId": subnet, "AllocationId": primary}));
        let id = str_at(&created, "/NatGateway/NatGatewayId");
        let eni = str_at(&created, "/NatGateway/NatGatewayAddresses/0/NetworkInterfaceId");
        let free = available_ips(&ec2, &ctx, &subnet);

        // Associate: a new private address for the Elastic IP, `associating` in the answer.
        let second = alloc(&ec2);
        let out =
            call(&ec2, &ctx, "AssociateNatGatewayAddress", json!({"NatGatewayId": id, "AllocationIds": [second]}));
        assert_eq!(str_at(&out, "/NatGatewayAddresses/0/Status"), "associating");
        let shown = addresses(&ec2, &ctx, &id);
        assert_eq!(shown.len(), 2);
        assert_eq!(shown[1]["AllocationId"], json!(second));
        assert_eq!(shown[1]["Status"], "succeeded");
        assert_eq!(shown[1]["IsPrimary"], false);
        assert_eq!(available_ips(&ec2, &ctx, &subnet), free - 1);
        assert_eq!(eni_ips(&ec2, &ctx, &eni), 2);
        let eip = call(&ec2, &ctx, "DescribeAddresses", json!({"AllocationIds": [second]}))["Addresses"][0].clone();
        assert_eq!(eip["NetworkInterfaceId"], json!(eni));
        assert_eq!(
            refused(&ec2, &ctx, "AssociateNatGatewayAddress", json!({"NatGatewayId": id, "AllocationIds": [second]})),
            "Resource.AlreadyAssociated"
        );

        // Assign two private addresses by count, one by address.
        let out =
            call(&ec2, &ctx, "AssignPrivateNatGatewayAddress", json!({"NatGatewayId": id, "PrivateIpAddressCount": 2}));
        assert_eq!(out["NatGatewayAddresses"].as_array().unwrap().len(), 2);
        assert_eq!(str_at(&out, "/NatGatewayAddresses/0/Status"), "assigning");
        call(
            &ec2,
            &ctx,
            "AssignPrivateNatGatewayAddress",
            json!({"NatGatewayId": id, "PrivateIpAddresses": ["10.0.1.200"]}),
        );
        assert_eq!(addresses(&ec2, &ctx, &id).len(), 5);
        assert_eq!(
            refused(
                &ec2,
                &ctx,
                "AssignPrivateNatGatewayAddress",
                json!({"NatGatewayId": id, "PrivateIpAddresses": ["10.0.1.201"], "PrivateIpAddressCount": 1})
            ),
            "InvalidParameterCombination"
        );
        // An Elastic IP onto an address the gateway already has.
        let third = alloc(&ec2);
        call(
            &ec2,
            &ctx,
            "AssociateNatGatewayAddress",
            json!({"NatGatewayId": id, "AllocationIds": [third], "PrivateIpAddresses": ["10.0.1.200"]}),
        );
        let on_200 = addresses(&ec2, &ctx, &id).into_iter().find(|a| a["PrivateIp"] == "10.0.1.200").unwrap();
        assert_eq!(on_200["AllocationId"], json!(third));
        assert_eq!(addresses(&ec2, &ctx, &id).len(), 5);

        // Unassigning an address with an Elastic IP, or the primary, is refused.
        let primary_ip = str_at(&created, "/NatGateway/NatGatewayAddresses/0/PrivateIp");
        for ip in ["10.0.1.200", primary_ip.as_str(), "10.0.1.250"] {
            assert_eq!(
                refused(
                    &ec2,
                    &ctx,
                    "UnassignPrivateNatGatewayAddress",
                    json!({"NatGatewayId": id, "PrivateIpAddresses": [ip]})
                ),
                "InvalidParameterValue",
                "{ip}"
            );
        }
        // Disassociate: the Elastic IP goes, the private address stays.
        let assoc = on_200["AssociationId"].as_str().unwrap().to_string();
        let out =
            call(&ec2, &ctx, "DisassociateNatGatewayAddress", json!({"NatGatewayId": id, "AssociationIds": [assoc]}));
        assert_eq!(str_at(&out, "/NatGatewayAddresses/0/Status"), "disassociating");
        let after = addresses(&ec2, &ctx, &id);
        assert!(after.iter().all(|a| a["AllocationId"] != json!(third)));
        assert!(after.iter().any(|a| a["PrivateIp"] == "10.0.1.200"));
        let eip = call(&ec2, &ctx, "DescribeAddresses", json!({"AllocationIds": [third]}))["Addresses"][0].clone();
        assert!(eip.get("AssociationId").is_none(), "{eip}");
        let primary_assoc = after[0]["AssociationId"].as_str().unwrap().to_string();
        assert_eq!(
            refused(
                &ec2,
                &ctx,
                "DisassociateNatGatewayAddress",
                json!({"NatGatewayId": id, "AssociationIds": [primary_assoc]})
            ),
            "InvalidParameterValue"
        );
        // Unassign: the address goes back to the subnet and off the interface.
        let before = available_ips(&ec2, &ctx, &subnet);
        let out = call(
            &ec2,
            &ctx,
            "UnassignPrivateNatGatewayAddress",
            json!({"NatGatewayId": id, "PrivateIpAddresses": ["10.0.1.200"]}),
        );
        assert_eq!(str_at(&out, "/NatGatewayAddresses/0/Status"), "unassigning");
        assert_eq!(available_ips(&ec2, &ctx, &subnet), before + 1);
        assert_eq!(addresses(&ec2, &ctx, &id).len(), 4);
        assert_eq!(eni_ips(&ec2, &ctx, &eni), 4);
        // A private NAT gateway takes no Elastic IP.
        let private = call(&ec2, &ctx, "CreateNatGateway", json!({"SubnetId": subnet, "ConnectivityType": "private"}));
        let private = str_at(&private, "/NatGateway/NatGatewayId");
        let fourth = alloc(&ec2);
        assert_eq!(
            refused(
                &ec2,
                &ctx,
                "AssociateNatGatewayAddress",
                json!({"NatGatewayId": private, "AllocationIds": [fourth]})
            ),
            "InvalidParameterValue"
        );
        assert_eq!(
            refused(
                &ec2,
                &ctx,
                "AssignPrivateNatGatewayAddress",
                json!({"NatGatewayId": "nat-0123456789abcdef0", "PrivateIpAddressCount": 1})
            ),
            "NatGatewayNotFound"
        );
    }
}
