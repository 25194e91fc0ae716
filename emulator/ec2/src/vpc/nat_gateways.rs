//! NAT gateways, public (with Elastic IPs mapped to the requester-managed interface AWS
//! makes for the gateway in its subnet) or private, and their lifecycle:
//! `pending` -> `available` (or `failed`), and `deleting` -> `deleted`.
//!
//! The state a gateway is in is computed from its stored state, the time it entered it
//! (`Ec2State::timestamps`) and nimbus's clock (`state_at`); `settle` applies what a
//! transition does to the other resources (a deleted gateway gives its interface and
//! addresses back) before each request. Gateways that ended (`deleted`, `failed`) stay
//! visible for an hour, as at AWS, then are forgotten.

use chrono::{DateTime, Duration, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    CreateNatGatewayRequest, CreateNatGatewayResult, DeleteNatGatewayRequest, DeleteNatGatewayResult,
    DescribeNatGatewaysRequest, DescribeNatGatewaysResult, NatGateway, NatGatewayAddress,
};
use crate::generated::enums;
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::params::one_of;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, paginate, spec_tags};
use crate::state::Ec2State;
use crate::{vpc::addresses, vpc::interfaces, vpc::internet_gateways, vpc::subnets};

/// How long a deleted or failed NAT gateway stays visible.
const RETENTION: Duration = Duration::hours(1);
/// AWS's quotas of secondary Elastic IPs and secondary private addresses per NAT gateway.
pub const MAX_SECONDARY_ALLOCATIONS: usize = 7;
const MAX_SECONDARY_PRIVATE_IPS: usize = 31;

/// Refuses more secondary private addresses than a NAT gateway may have.
pub fn check_secondary_private_ips(count: usize) -> Result<(), ApiError> {
    if count > MAX_SECONDARY_PRIVATE_IPS {
        return Err(errors::invalid_parameter_value(format!(
            "A NAT gateway can have at most {MAX_SECONDARY_PRIVATE_IPS} secondary private IPv4 addresses."
        )));
    }
    Ok(())
}

fn since(state: &Ec2State, id: &str) -> DateTime<Utc> {
    state.timestamps.get(id).copied().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The state a NAT gateway is in at `now`, and since when.
pub fn state_at(state: &Ec2State, id: &str, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
    let nat = &state.nat_gateways[id];
    let stored = nat.state.clone().unwrap_or_default();
    let entered = since(state, id);
    let done = entered + state.transition_delay();
    if now < done {
        return (stored, entered);
    }
    match stored.as_str() {
        "pending" if nat.failure_code.is_some() => ("failed".into(), done),
        "pending" => ("available".into(), done),
        "deleting" => ("deleted".into(), done),
        _ => (stored, entered),
    }
}

/// Whether a gateway is over (deleted or failed) for longer than AWS shows such gateways.
fn expired(state: &Ec2State, id: &str, now: DateTime<Utc>) -> bool {
    let (s, at) = state_at(state, id, now);
    matches!(s.as_str(), "deleted" | "failed") && now >= at + RETENTION
}

/// Whether a NAT gateway still routes (a route to it is `active`) and holds its subnet.
pub fn is_live(state: &Ec2State, id: &str) -> bool {
    state.nat_gateways.get(id).and_then(|n| n.state.as_deref()).is_some_and(|s| matches!(s, "pending" | "available"))
}

/// Whether a NAT gateway still occupies its subnet and VPC (it is not deleted or failed).
pub fn holds_network(nat: &NatGateway) -> bool {
    matches!(nat.state.as_deref(), Some("pending" | "available" | "deleting"))
}

/// Applies the transitions that are due at `now`: a deleted gateway's addresses are
/// disassociated and its interface deleted; gateways over for an hour are forgotten.
/// Whether `settle` has anything to do at `now`.
pub fn needs_settling(state: &Ec2State, now: DateTime<Utc>) -> bool {
    state.nat_gateways.keys().any(|id| {
        let (shown, _) = state_at(state, id, now);
        state.nat_gateways[id].state.as_deref() != Some(shown.as_str()) || expired(state, id, now)
    })
}

pub fn settle(state: &mut Ec2State, now: DateTime<Utc>) {
    let ids: Vec<String> = state.nat_gateways.keys().cloned().collect();
    for id in ids {
        let (shown, at) = state_at(state, &id, now);
        let nat = &state.nat_gateways[&id];
        if nat.state.as_deref() != Some(shown.as_str()) {
            if shown == "deleted" {
                release_network(state, &id);
                if let Some(n) = state.nat_gateways.get_mut(&id) {
                    n.delete_time = Some(Timestamp(at));
                }
            }
            if let Some(n) = state.nat_gateways.get_mut(&id) {
                n.state = Some(shown);
            }
            state.timestamps.insert(id.clone(), at);
        }
        if expired(state, &id, now) {
            state.nat_gateways.remove(&id);
            state.forget(&id);
        }
    }
}

/// Gives a gateway's Elastic IPs, interface and private addresses back.
fn release_network(state: &mut Ec2State, id: &str) {
    let addrs = state.nat_gateways[id].nat_gateway_addresses.clone().unwrap_or_default();
    for a in &addrs {
        if let Some(assoc) = a.association_id.as_deref() {
            addresses::disassociate_record(state, assoc);
        }
    }
    let enis: std::collections::BTreeSet<String> =
        addrs.iter().filter_map(|a| a.network_interface_id.clone()).collect();
    for eni in enis {
        interfaces::records::remove_interface_record(state, &eni);
    }
}

pub fn get<'a>(state: &'a Ec2State, id: &str, now: DateTime<Utc>) -> Result<&'a NatGateway, ApiError> {
    match state.nat_gateways.get(id) {
        Some(n) if !expired(state, id, now) => Ok(n),
        _ if !id.starts_with("nat-") => Err(errors::nat_gateway_malformed(id)),
        _ => Err(errors::nat_gateway_not_found(id)),
    }
}

/// A NAT gateway as DescribeNatGateways shows it at `now`.
pub fn describe_one(state: &Ec2State, id: &str, now: DateTime<Utc>) -> NatGateway {
    let mut nat = state.nat_gateways[id].clone();
    let (shown, at) = state_at(state, id, now);
    let address_status = match shown.as_str() {
        "pending" => "associating",
        "deleting" => "disassociating",
        "failed" => "failed",
        _ => "succeeded",
    };
    for a in nat.nat_gateway_addresses.iter_mut().flatten() {
        a.status = Some(address_status.into());
        if shown != "failed" {
            a.failure_message = None;
        }
    }
    if shown != "failed" {
        nat.failure_code = None;
        nat.failure_message = None;
    }
    if shown == "deleted" && nat.delete_time.is_none() {
        nat.delete_time = Some(Timestamp(at));
    }
    nat.state = Some(shown);
    nat.tags = state.dto_tags(id);
    nat
}

/// Why AWS would fail to make a public NAT gateway with these Elastic IPs in this VPC.
fn public_failure(state: &Ec2State, vpc_id: &str, allocations: &[String]) -> Option<(String, String)> {
    let has_gateway = state.internet_gateways.values().any(|g| internet_gateways::attached_vpc(g) == Some(vpc_id));
    if !has_gateway {
        return Some(("Gateway.NotAttached".into(), format!("Network {vpc_id} has no Internet gateway attached")));
    }
    let taken = allocations.iter().find(|id| {
        state.addresses.get(*id).is_some_and(|r| r.address.association_id.is_some())
            || state.nat_gateways.values().any(|n| {
                holds_network(n)
                    && n.failure_code.is_none()
                    && n.nat_gateway_addresses.iter().flatten().any(|a| a.allocation_id.as_deref() == Some(id.as_str()))
            })
    });
    taken.map(|id| ("Resource.AlreadyAssociated".into(), format!("Elastic IP address {id} is already associated")))
}

pub fn create_nat_gateway(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateNatGatewayRequest,
) -> Result<CreateNatGatewayResult, ApiError> {
    let regional = input.vpc_id.is_some()
        || input.availability_mode.as_deref().is_some_and(|m| m != "zonal")
        || input.availability_zone_addresses.is_some();
    if regional {
        return Err(errors::invalid_parameter_value(
            "Regional NAT gateways are not supported by nimbus yet; give a SubnetId.",
        ));
    }
    let subnet_id = input.subnet_id.clone().ok_or_else(|| errors::missing_parameter("subnetId"))?;
    let subnet = subnets::get(state, &subnet_id)?.subnet.clone();
    let vpc_id = subnet.vpc_id.clone().unwrap_or_default();
    let connectivity = input.connectivity_type.clone().unwrap_or_else(|| "public".into());
    let secondary_allocations = input.secondary_allocation_ids.clone().unwrap_or_default();
    let allocations: Vec<String> = match connectivity.as_str() {
        "public" => {
            let primary = input.allocation_id.clone().ok_or_else(|| errors::missing_parameter("allocationId"))?;
            std::iter::once(primary).chain(secondary_allocations.iter().cloned()).collect()
        }
        "private" => {
            if input.allocation_id.is_some() || !secondary_allocations.is_empty() {
                return Err(errors::invalid_parameter_combination(
                    "Elastic IP addresses cannot be given for a NAT gateway with private connectivity.",
                ));
            }
            Vec::new()
        }
        other => {
            return Err(one_of("connectivityType", other, enums::CONNECTIVITY_TYPE)
                .err()
                .unwrap_or_else(|| invalid_value("connectivityType", other, "")))
        }
    };
    for (i, id) in allocations.iter().enumerate() {
        addresses::get(state, id)?;
        if allocations[..i].contains(id) {
            return Err(errors::invalid_parameter_value(format!("The allocation ID {id} is given more than once.")));
        }
    }
    let wanted_secondaries = input.secondary_private_ip_addresses.clone().unwrap_or_default();
    let secondary_count = match (wanted_secondaries.is_empty(), input.secondary_private_ip_address_count) {
        (false, Some(_)) => {
            return Err(errors::invalid_parameter_combination(
                "Only one of secondaryPrivateIpAddresses or secondaryPrivateIpAddressCount may be specified.",
            ))
        }
        (_, Some(n)) if n < 0 => return Err(invalid_value("secondaryPrivateIpAddressCount", n, "")),
        (_, Some(n)) => n as usize,
        (_, None) => 0,
    };
    // Each secondary Elastic IP is mapped to a secondary private address of its own.
    let auto_secondaries = secondary_count.max(secondary_allocations.len().saturating_sub(wanted_secondaries.len()));
    if secondary_allocations.len() > MAX_SECONDARY_ALLOCATIONS {
        return Err(errors::invalid_parameter_value(format!(
            "A NAT gateway can have at most {MAX_SECONDARY_ALLOCATIONS} secondary Elastic IP addresses."
        )));
    }
    check_secondary_private_ips(wanted_secondaries.len() + auto_secondaries)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "natgateway")?;

    let id = ids::resource_id("nat");
    let mut failure = if connectivity == "public" { public_failure(state, &vpc_id, &allocations) } else { None };
    let mut ips = Vec::new();
    if failure.is_none() {
        let wanted: Vec<String> = input.private_ip_address.iter().cloned().chain(wanted_secondaries).collect();
        let primary_auto = input.private_ip_address.is_none();
        // The addresses asked for first, so that none chosen by nimbus is taken from under them.
        let taken = subnets::allocate_ips(state, &subnet_id, &wanted, 0).and_then(|mut taken| {
            match subnets::allocate_ips(state, &subnet_id, &[], auto_secondaries + usize::from(primary_auto)) {
                Ok(mut more) => {
                    if primary_auto {
                        taken.insert(0, more.remove(0));
                    }
                    taken.extend(more);
                    Ok(taken)
                }
                Err(e) => {
                    for ip in &taken {
                        subnets::release_ip(state, &subnet_id, ip);
                    }
                    Err(e)
                }
            }
        });
        match taken {
            Ok(t) => ips = t,
            Err(e) if e.code == "InsufficientFreeAddressesInSubnet" => {
                failure =
                    Some((e.code.clone(), "Subnet has insufficient free addresses to create this NAT gateway".into()));
            }
            Err(e) => return Err(e),
        }
    }
    let nat_addresses: Vec<NatGatewayAddress> = match &failure {
        Some((_, message)) => allocations
            .iter()
            .enumerate()
            .map(|(i, alloc)| NatGatewayAddress {
                allocation_id: Some(alloc.clone()),
                is_primary: Some(i == 0),
                failure_message: Some(message.clone()),
                ..Default::default()
            })
            .collect(),
        None => {
            let eni = interfaces::records::create_interface_record(
                state,
                ctx,
                interfaces::records::NewInterface {
                    subnet_id: subnet_id.clone(),
                    ips: ips.clone(),
                    groups: Vec::new(),
                    description: format!("Interface for NAT Gateway {id}"),
                    interface_type: "nat_gateway".into(),
                    requester_managed: true,
                },
            );
            ips.iter()
                .enumerate()
                .map(|(i, ip)| {
                    let allocation = allocations.get(i).cloned();
                    let association =
                        allocation.as_deref().map(|alloc| addresses::associate_record(state, alloc, &eni, ip));
                    NatGatewayAddress {
                        public_ip: allocation
                            .as_deref()
                            .and_then(|alloc| state.addresses.get(alloc))
                            .and_then(|r| r.address.public_ip.clone()),
                        allocation_id: allocation,
                        association_id: association,
                        network_interface_id: Some(eni.clone()),
                        private_ip: Some(ip.clone()),
                        is_primary: Some(i == 0),
                        ..Default::default()
                    }
                })
                .collect()
        }
    };
    let (failure_code, failure_message) = failure.unzip();
    let nat = NatGateway {
        create_time: Some(Timestamp(ctx.now)),
        failure_code,
        failure_message,
        nat_gateway_addresses: Some(nat_addresses),
        nat_gateway_id: Some(id.clone()),
        state: Some("pending".into()),
        subnet_id: Some(subnet_id),
        vpc_id: Some(vpc_id),
        connectivity_type: Some(connectivity),
        availability_mode: Some("zonal".into()),
        ..Default::default()
    };
    state.nat_gateways.insert(id.clone(), nat);
    state.timestamps.insert(id.clone(), ctx.now);
    state.set_tags(&id, tags);
    // The answer shows the gateway as it starts, `pending`, as AWS's does.
    let mut shown = describe_one(state, &id, ctx.now);
    shown.state = Some("pending".into());
    for a in shown.nat_gateway_addresses.iter_mut().flatten() {
        a.status = Some("associating".into());
        a.failure_message = None;
    }
    shown.failure_code = None;
    shown.failure_message = None;
    Ok(CreateNatGatewayResult { client_token: input.client_token, nat_gateway: Some(shown) })
}

pub fn delete_nat_gateway(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteNatGatewayRequest,
) -> Result<DeleteNatGatewayResult, ApiError> {
    let id = input.nat_gateway_id.as_str();
    get(state, id, ctx.now)?;
    let (shown, _) = state_at(state, id, ctx.now);
    let next = match shown.as_str() {
        "pending" | "available" => Some("deleting"),
        "failed" => Some("deleted"),
        _ => None,
    };
    if let Some(next) = next {
        if let Some(n) = state.nat_gateways.get_mut(id) {
            n.state = Some(next.into());
            if next == "deleted" {
                n.delete_time = Some(Timestamp(ctx.now));
            }
        }
        state.timestamps.insert(id.to_string(), ctx.now);
    }
    Ok(DeleteNatGatewayResult { nat_gateway_id: Some(input.nat_gateway_id) })
}

impl Filterable for NatGateway {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "nat-gateway-id" => opt(&self.nat_gateway_id),
            "state" => opt(&self.state),
            "subnet-id" => opt(&self.subnet_id),
            "vpc-id" => opt(&self.vpc_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_nat_gateways(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeNatGatewaysRequest,
) -> Result<DescribeNatGatewaysResult, ApiError> {
    let paging = input.page();
    let ids = input.nat_gateway_ids.unwrap_or_default();
    for id in &ids {
        get(state, id, ctx.now)?;
    }
    let all = state
        .nat_gateways
        .keys()
        .filter(|id| ids.is_empty() || ids.contains(id))
        .filter(|id| !expired(state, id, ctx.now))
        .map(|id| describe_one(state, id, ctx.now));
    let items = filtered(all, input.filter.as_deref())?;
    let (page, next) = paginate(items, |n| n.nat_gateway_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeNatGatewaysResult { nat_gateways: Some(page), next_token: next })
}

#[cfg(test)]
mod tests {
    use nimbus_core::RequestContext;
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::{available_ips, call, network, refused, str_at};
    use crate::Ec2;

    fn later(ctx: &RequestContext, secs: i64) -> RequestContext {
        let mut c = ctx.clone();
        c.now += Duration::seconds(secs);
        c
    }

    fn describe(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
        call(ec2, ctx, "DescribeNatGateways", json!({"NatGatewayIds": [id]}))["NatGateways"][0].clone()
    }

    fn route_state(ec2: &Ec2, ctx: &RequestContext, rtb: &Value) -> String {
        let t = call(ec2, ctx, "DescribeRouteTables", json!({"RouteTableIds": [rtb]}))["RouteTables"][0].clone();
        let route = t["Routes"].as_array().unwrap().iter().find(|r| r["DestinationCidrBlock"] == "0.0.0.0/0").unwrap();
        route["State"].as_str().unwrap().to_string()
    }

    #[test]
    fn a_public_nat_gateway_lives_and_dies() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", true);
        let eip = call(&ec2, &ctx, "AllocateAddress", json!({}));
        let alloc = str_at(&eip, "/AllocationId");
        let tags = json!([{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "gw"}]}]);
        let created = call(
            &ec2,
            &ctx,
            "CreateNatGateway",
            json!({"SubnetId": subnet, "AllocationId": alloc, "TagSpecifications": tags, "ClientToken": "t1"}),
        );
        let nat = created["NatGateway"].clone();
        let id = str_at(&nat, "/NatGatewayId");
        assert!(id.starts_with("nat-"));
        assert_eq!(str_at(&nat, "/State"), "pending");
        assert_eq!(str_at(&nat, "/ConnectivityType"), "public");
        assert_eq!(nat["Tags"], json!([{"Key": "Name", "Value": "gw"}]));
        // ClientToken: the same answer again, nothing new made.
        let again = call(
            &ec2,
            &ctx,
            "CreateNatGateway",
            json!({"SubnetId": subnet, "AllocationId": alloc, "TagSpecifications": tags, "ClientToken": "t1"}),
        );
        assert_eq!(again["NatGateway"]["NatGatewayId"], json!(id));

        let shown = describe(&ec2, &ctx, &id);
        assert_eq!(str_at(&shown, "/State"), "available");
        let addr = shown["NatGatewayAddresses"][0].clone();
        assert_eq!((addr["AllocationId"].clone(), addr["PublicIp"].clone()), (json!(alloc), eip["PublicIp"].clone()));
        assert_eq!((addr["IsPrimary"].clone(), addr["Status"].clone()), (json!(true), json!("succeeded")));
        assert_eq!(str_at(&addr, "/PrivateIp"), "10.0.1.4");
        let eni_id = str_at(&addr, "/NetworkInterfaceId");
        let eni = call(&ec2, &ctx, "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": [eni_id]}))
            ["NetworkInterfaces"][0]
            .clone();
        assert_eq!(str_at(&eni, "/InterfaceType"), "nat_gateway");
        assert_eq!(eni["RequesterManaged"], json!(true));
        assert_eq!(str_at(&eni, "/Description"), format!("Interface for NAT Gateway {id}"));
        assert_eq!(eni["Association"]["PublicIp"], eip["PublicIp"]);
        let e = call(&ec2, &ctx, "DescribeAddresses", json!({"AllocationIds": [alloc]}))["Addresses"][0].clone();
        assert_eq!(
            (e["NetworkInterfaceId"].clone(), e["AssociationId"].clone()),
            (json!(eni_id), addr["AssociationId"].clone())
        );
        // Managed: its interface and association are not the user's to change.
        assert_eq!(
            refused(&ec2, &ctx, "DeleteNetworkInterface", json!({"NetworkInterfaceId": eni_id})),
            "InvalidParameterValue"
        );
        let assign = json!({"NetworkInterfaceId": eni_id, "SecondaryPrivateIpAddressCount": 1});
        assert_eq!(refused(&ec2, &ctx, "AssignPrivateIpAddresses", assign), "InvalidParameterValue");
        let modify = json!({"NetworkInterfaceId": eni_id, "SourceDestCheck": {"Value": true}});
        assert_eq!(refused(&ec2, &ctx, "ModifyNetworkInterfaceAttribute", modify), "InvalidParameterValue");
        let other = call(&ec2, &ctx, "AllocateAddress", json!({}))["AllocationId"].clone();
        let onto = json!({"AllocationId": other, "NetworkInterfaceId": eni_id});
        assert_eq!(refused(&ec2, &ctx, "AssociateAddress", onto), "InvalidParameterValue");
        let assoc = json!({"AssociationId": addr["AssociationId"]});
        assert_eq!(refused(&ec2, &ctx, "DisassociateAddress", assoc), "OperationNotPermitted");
        assert_eq!(refused(&ec2, &ctx, "ReleaseAddress", json!({"AllocationId": alloc})), "InvalidIPAddress.InUse");
        assert_eq!(refused(&ec2, &ctx, "DeleteSubnet", json!({"SubnetId": subnet})), "DependencyViolation");
        assert_eq!(refused(&ec2, &ctx, "DeleteVpc", json!({"VpcId": vpc})), "DependencyViolation");

        let rtb = call(&ec2, &ctx, "CreateRouteTable", json!({"VpcId": vpc}))["RouteTable"]["RouteTableId"].clone();
        call(
            &ec2,
            &ctx,
            "CreateRoute",
            json!({"RouteTableId": rtb, "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": id}),
        );
        assert_eq!(route_state(&ec2, &ctx, &rtb), "active");

        let deleted = call(&ec2, &ctx, "DeleteNatGateway", json!({"NatGatewayId": id}));
        assert_eq!(deleted["NatGatewayId"], json!(id));
        let shown = describe(&ec2, &ctx, &id);
        assert_eq!(str_at(&shown, "/State"), "deleted");
        assert!(shown.get("DeleteTime").is_some());
        assert_eq!(route_state(&ec2, &ctx, &rtb), "blackhole");
        let route_to_it = json!({"RouteTableId": rtb, "DestinationCidrBlock": "10.9.0.0/16", "NatGatewayId": id});
        assert_eq!(refused(&ec2, &ctx, "CreateRoute", route_to_it), "InvalidNatGatewayID.NotFound");
        let e = call(&ec2, &ctx, "DescribeAddresses", json!({"AllocationIds": [alloc]}))["Addresses"][0].clone();
        assert!(e.get("AssociationId").is_none());
        let missing = json!({"NetworkInterfaceIds": [eni_id]});
        assert_eq!(refused(&ec2, &ctx, "DescribeNetworkInterfaces", missing), "InvalidNetworkInterfaceID.NotFound");
        assert_eq!(available_ips(&ec2, &ctx, &subnet), 251);
        // Deleting again is harmless; an hour on, the gateway is gone.
        call(&ec2, &ctx, "DeleteNatGateway", json!({"NatGatewayId": id}));
        let hour = later(&ctx, 3601);
        let gone = json!({"NatGatewayIds": [id]});
        assert_eq!(refused(&ec2, &hour, "DescribeNatGateways", gone), "NatGatewayNotFound");
        assert_eq!(refused(&ec2, &hour, "DeleteNatGateway", json!({"NatGatewayId": id})), "NatGatewayNotFound");
        call(&ec2, &hour, "ReleaseAddress", json!({"AllocationId": alloc}));
        call(&ec2, &hour, "DeleteSubnet", json!({"SubnetId": subnet}));
    }

    #[test]
    fn a_private_nat_gateway_takes_the_address_asked_for() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (_, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
        let input = json!({"SubnetId": subnet, "ConnectivityType": "private", "PrivateIpAddress": "10.0.1.50",
            "SecondaryPrivateIpAddressCount": 2});
        let id = str_at(&call(&ec2, &ctx, "CreateNatGateway", input), "/NatGateway/NatGatewayId");
        let shown = describe(&ec2, &ctx, &id);
        assert_eq!(str_at(&shown, "/State"), "available");
        let ips: Vec<&str> =
            shown["NatGatewayAddresses"].as_array().unwrap().iter().map(|a| a["PrivateIp"].as_str().unwrap()).collect();
        assert_eq!(ips, vec!["10.0.1.50", "10.0.1.4", "10.0.1.5"]);
        assert!(shown["NatGatewayAddresses"][0].get("PublicIp").is_none());
        assert_eq!(available_ips(&ec2, &ctx, &subnet), 248);
        let with_eip =
            json!({"SubnetId": subnet, "ConnectivityType": "private", "AllocationId": "eipalloc-0000000000000000a"});
        assert_eq!(refused(&ec2, &ctx, "CreateNatGateway", with_eip), "InvalidParameterCombination");
        let taken = json!({"SubnetId": subnet, "ConnectivityType": "private", "PrivateIpAddress": "10.0.1.50"});
        assert_eq!(refused(&ec2, &ctx, "CreateNatGateway", taken), "InvalidIPAddress.InUse");
    }

    #[test]
    fn input_errors() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (_, subnet) = network(&ec2, &ctx, "10.0.1.0/24", true);
        assert_eq!(refused(&ec2, &ctx, "CreateNatGateway", json!({"SubnetId": subnet})), "MissingParameter");
        let unknown = json!({"SubnetId": subnet, "AllocationId": "eipalloc-0000000000000000a"});
        assert_eq!(refused(&ec2, &ctx, "CreateNatGateway", unknown), "InvalidAllocationID.NotFound");
        let no_subnet = json!({"SubnetId": "subnet-0000000000000000a", "ConnectivityType": "private"});
        assert_eq!(refused(&ec2, &ctx, "CreateNatGateway", no_subnet), "InvalidSubnetID.NotFound");
        let nat = json!({"NatGatewayIds": ["nat-0000000000000000a"]});
        assert_eq!(refused(&ec2, &ctx, "DescribeNatGateways", nat), "NatGatewayNotFound");
        let bad_filter = json!({"Filter": [{"Name": "nope", "Values": ["x"]}]});
        assert_eq!(refused(&ec2, &ctx, "DescribeNatGateways", bad_filter), "InvalidParameterValue");
        assert_eq!(refused(&ec2, &ctx, "DescribeNatGateways", json!({"MaxResults": 4})), "InvalidParameterValue");
    }

    #[test]
    fn without_an_internet_gateway_or_with_a_taken_address_it_fails() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
        let alloc = str_at(&call(&ec2, &ctx, "AllocateAddress", json!({})), "/AllocationId");
        let input = json!({"SubnetId": subnet, "AllocationId": alloc});
        let created = call(&ec2, &ctx, "CreateNatGateway", input.clone());
        assert_eq!(str_at(&created, "/NatGateway/State"), "pending");
        let id = str_at(&created, "/NatGateway/NatGatewayId");
        let shown = describe(&ec2, &ctx, &id);
        assert_eq!(
            (str_at(&shown, "/State"), str_at(&shown, "/FailureCode")),
            ("failed".into(), "Gateway.NotAttached".into())
        );
        assert_eq!(available_ips(&ec2, &ctx, &subnet), 251, "a failed gateway holds nothing");
        call(&ec2, &ctx, "DeleteSubnet", json!({"SubnetId": subnet}));
        let subnet = call(&ec2, &ctx, "CreateSubnet", json!({"VpcId": vpc, "CidrBlock": "10.0.2.0/24"}))["Subnet"]
            ["SubnetId"]
            .clone();
        let igw = call(&ec2, &ctx, "CreateInternetGateway", json!({}))["InternetGateway"]["InternetGatewayId"].clone();
        call(&ec2, &ctx, "AttachInternetGateway", json!({"InternetGatewayId": igw, "VpcId": vpc}));
        let first = call(&ec2, &ctx, "CreateNatGateway", json!({"SubnetId": subnet, "AllocationId": alloc}));
        let second = call(&ec2, &ctx, "CreateNatGateway", json!({"SubnetId": subnet, "AllocationId": alloc}));
        let id1 = str_at(&first, "/NatGateway/NatGatewayId");
        let id2 = str_at(&second, "/NatGateway/NatGatewayId");
        assert_eq!(str_at(&describe(&ec2, &ctx, &id1), "/State"), "available");
        assert_eq!(str_at(&describe(&ec2, &ctx, &id2), "/FailureCode"), "Resource.AlreadyAssociated");
        let failed =
            call(&ec2, &ctx, "DescribeNatGateways", json!({"Filter": [{"Name": "state", "Values": ["failed"]}]}));
        assert_eq!(failed["NatGateways"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn with_a_transition_delay_states_follow_the_clock() {
        let ctx = RequestContext::for_tests();
        let mut s = Ec2State::default();
        crate::vpc::vpcs::ensure_initialized(&mut s, &ctx);
        s.transition_delay_secs = 60;
        let subnet = s.subnets.keys().next().unwrap().clone();
        let input = CreateNatGatewayRequest {
            subnet_id: Some(subnet),
            connectivity_type: Some("private".into()),
            ..Default::default()
        };
        let id = create_nat_gateway(&mut s, &ctx, input).unwrap().nat_gateway.unwrap().nat_gateway_id.unwrap();
        let at = |s: &Ec2State, secs| state_at(s, &id, ctx.now + Duration::seconds(secs)).0;
        assert_eq!((at(&s, 0), at(&s, 59), at(&s, 60)), ("pending".into(), "pending".into(), "available".into()));
        settle(&mut s, ctx.now + Duration::seconds(70));
        assert_eq!(s.nat_gateways[&id].state.as_deref(), Some("available"));
        let delete_at = later(&ctx, 100);
        delete_nat_gateway(
            &mut s,
            &delete_at,
            DeleteNatGatewayRequest { nat_gateway_id: id.clone(), ..Default::default() },
        )
        .unwrap();
        settle(&mut s, delete_at.now + Duration::seconds(30));
        assert_eq!(s.nat_gateways[&id].state.as_deref(), Some("deleting"));
        assert_eq!(s.network_interfaces.len(), 1, "the interface stays while deleting");
        assert!(!is_live(&s, &id));
        settle(&mut s, delete_at.now + Duration::seconds(61));
        assert_eq!(s.nat_gateways[&id].state.as_deref(), Some("deleted"));
        assert!(s.network_interfaces.is_empty());
        let shown = describe_one(&s, &id, delete_at.now + Duration::seconds(61));
        assert_eq!(shown.delete_time, Some(Timestamp(delete_at.now + Duration::seconds(60))));
        settle(&mut s, delete_at.now + Duration::seconds(60 + 3600));
        assert!(s.nat_gateways.is_empty() && !s.timestamps.contains_key(&id));
    }

    #[test]
    fn filters_and_pages() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
        let mut made: Vec<String> = (0..7)
            .map(|i| {
                let tags = json!([{"ResourceType": "natgateway", "Tags": [{"Key": "i", "Value": i.to_string()}]}]);
                let input = json!({"SubnetId": subnet, "ConnectivityType": "private", "TagSpecifications": tags});
                str_at(&call(&ec2, &ctx, "CreateNatGateway", input), "/NatGateway/NatGatewayId")
            })
            .collect();
        made.sort();
        call(&ec2, &ctx, "DeleteNatGateway", json!({"NatGatewayId": made[0]}));
        let find = |input: Value| -> (Vec<String>, Option<Value>) {
            let out = call(&ec2, &ctx, "DescribeNatGateways", input);
            let ids = out["NatGateways"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["NatGatewayId"].as_str().unwrap().to_string())
                .collect();
            (ids, out.get("NextToken").cloned())
        };
        assert_eq!(find(json!({"Filter": [{"Name": "vpc-id", "Values": [vpc]}]})).0, made);
        assert_eq!(find(json!({"Filter": [{"Name": "state", "Values": ["available"]}]})).0, made[1..].to_vec());
        assert_eq!(find(json!({"Filter": [{"Name": "state", "Values": ["deleted"]}]})).0, made[..1].to_vec());
        assert_eq!(find(json!({"Filter": [{"Name": "tag:i", "Values": ["3", "4"]}]})).0.len(), 2);
        assert_eq!(find(json!({"Filter": [{"Name": "subnet-id", "Values": [subnet]}, {"Name": "nat-gateway-id", "Values": [made[2]]}]})).0, vec![made[2].clone()]);
        let (p1, token) = find(json!({"MaxResults": 5}));
        let (p2, end) = find(json!({"MaxResults": 5, "NextToken": token.unwrap()}));
        assert!(end.is_none());
        assert_eq!([p1, p2].concat(), made);
    }
}
