//! Elastic IPs: allocation from an AWS-looking public pool, association with a network
//! interface's private address (instances reach them through their interfaces),
//! disassociation, release, and the reverse DNS (`domain-name`) attribute.

use std::net::Ipv4Addr;

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    Address, AddressAttribute, AllocateAddressRequest, AllocateAddressResult, AssociateAddressRequest,
    AssociateAddressResult, DescribeAddressesAttributeRequest, DescribeAddressesAttributeResult,
    DescribeAddressesRequest, DescribeAddressesResult, DisassociateAddressRequest, ModifyAddressAttributeRequest,
    ModifyAddressAttributeResult, PtrUpdateStatus, ReleaseAddressRequest, ResetAddressAttributeRequest,
    ResetAddressAttributeResult,
};
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::resources;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, paginate, spec_tags};
use crate::state::{AddressRecord, Ec2State};
use crate::{vpc::interfaces, vpc::internet_gateways};

/// Blocks AWS announces for EC2 public addresses (us-east-1's), from which nimbus's
/// Elastic IPs are drawn: `(network address, prefix length)`.
const POOL: &[(u32, u8)] = &[
    (u32::from_be_bytes([3, 208, 0, 0]), 12),
    (u32::from_be_bytes([18, 204, 0, 0]), 14),
    (u32::from_be_bytes([34, 192, 0, 0]), 12),
    (u32::from_be_bytes([44, 192, 0, 0]), 11),
    (u32::from_be_bytes([54, 144, 0, 0]), 12),
];

/// FNV-1a, so that each account and region draws its own deterministic sequence.
fn partition_seed(ctx: &RequestContext) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in ctx.account().bytes().chain([0]).chain(ctx.region.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A bijection of `bits`-bit numbers (multiplications by odd constants and xor-shifts,
/// each invertible modulo 2^bits), so that consecutive addresses do not look sequential.
fn permute(x: u64, bits: u32) -> u64 {
    let mask = (1u64 << bits) - 1;
    let mut x = x & mask;
    for c in [0x9e37_79b9_7f4a_7c15u64, 0xbf58_476d_1ce4_e5b9, 0x94d0_49bb_1331_11eb] {
        x = x.wrapping_mul(c) & mask;
        x ^= x >> (bits / 2);
    }
    x
}

/// The `n`-th address of a partition's sequence: the blocks take turns, and within a
/// block the sequence is a bijection, so no two `n` below the block size collide.
fn pool_address(seed: u64, n: u64) -> u32 {
    let k = POOL.len() as u64;
    let block = n % k;
    let (base, len) = POOL[block as usize];
    let bits = 32 - u32::from(len);
    let start = permute(seed ^ block.wrapping_mul(0xd6e8_feb8_6659_fd93), 32);
    base + permute(start.wrapping_add(n / k), bits) as u32
}

fn in_pool(addr: u32) -> bool {
    POOL.iter().any(|(base, len)| addr >> (32 - u32::from(*len)) == base >> (32 - u32::from(*len)))
}

/// A network or broadcast-looking address (`.0`, `.255`), which nimbus never hands out.
fn looks_odd(addr: u32) -> bool {
    matches!(addr & 0xff, 0 | 255)
}

fn public_ip_taken(state: &Ec2State, ip: &str) -> bool {
    state.addresses.values().any(|r| r.address.public_ip.as_deref() == Some(ip))
        || state.auto_public_ips.values().any(|a| a == ip)
}

/// The next address of the partition's sequence that is not allocated here.
pub fn next_public_ip(state: &mut Ec2State, ctx: &RequestContext) -> String {
    let seed = partition_seed(ctx);
    loop {
        let n = state.public_ip_sequence;
        state.public_ip_sequence += 1;
        let addr = pool_address(seed, n);
        let ip = Ipv4Addr::from(addr).to_string();
        if !looks_odd(addr) && !public_ip_taken(state, &ip) {
            return ip;
        }
    }
}

pub fn get<'a>(state: &'a Ec2State, allocation_id: &str) -> Result<&'a AddressRecord, ApiError> {
    state.addresses.get(allocation_id).ok_or_else(|| {
        if allocation_id.starts_with("eipalloc-") {
            errors::invalid_allocation_id_not_found(allocation_id)
        } else {
            errors::invalid_allocation_id_malformed(allocation_id)
        }
    })
}

fn by_public_ip(state: &Ec2State, ip: &str) -> Result<String, ApiError> {
    state
        .addresses
        .iter()
        .find(|(_, r)| r.address.public_ip.as_deref() == Some(ip))
        .map(|(id, _)| id.clone())
        .ok_or_else(|| errors::invalid_address_not_found(ip))
}

/// The allocation an operation names, by `AllocationId` or (as older clients do) `PublicIp`.
fn resolve(state: &Ec2State, allocation_id: Option<&str>, public_ip: Option<&str>) -> Result<String, ApiError> {
    match (allocation_id, public_ip) {
        (Some(id), _) => get(state, id).map(|_| id.to_string()),
        (None, Some(ip)) => by_public_ip(state, ip),
        (None, None) => Err(errors::missing_parameter("AllocationId")),
    }
}

/// Maps an Elastic IP to one private address of an interface; returns the association id.
pub fn associate_record(state: &mut Ec2State, allocation_id: &str, eni_id: &str, private_ip: &str) -> String {
    let association_id = ids::resource_id("eipassoc");
    let owner = state.network_interfaces.get(eni_id).and_then(|e| e.owner_id.clone());
    if let Some(r) = state.addresses.get_mut(allocation_id) {
        r.address.association_id = Some(association_id.clone());
        r.address.network_interface_id = Some(eni_id.to_string());
        r.address.network_interface_owner_id = owner;
        r.address.private_ip_address = Some(private_ip.to_string());
    }
    association_id
}

fn clear_association(a: &mut Address) {
    a.association_id = None;
    a.network_interface_id = None;
    a.network_interface_owner_id = None;
    a.private_ip_address = None;
}

/// Disassociates the Elastic IPs mapped to an interface (to one of its addresses, or to any).
pub fn disassociate_from(state: &mut Ec2State, eni_id: &str, private_ip: Option<&str>) {
    for r in state.addresses.values_mut() {
        let on_it = r.address.network_interface_id.as_deref() == Some(eni_id)
            && private_ip.is_none_or(|ip| r.address.private_ip_address.as_deref() == Some(ip));
        if on_it {
            clear_association(&mut r.address);
        }
    }
}

/// Disassociates one association, if it is still there.
pub fn disassociate_record(state: &mut Ec2State, association_id: &str) {
    for r in state.addresses.values_mut() {
        if r.address.association_id.as_deref() == Some(association_id) {
            clear_association(&mut r.address);
        }
    }
}

/// Whether an Elastic IP is mapped to an interface in the VPC.
pub fn vpc_has_associations(state: &Ec2State, vpc_id: &str) -> bool {
    state.addresses.values().any(|r| {
        r.address
            .network_interface_id
            .as_ref()
            .and_then(|eni| state.network_interfaces.get(eni))
            .is_some_and(|e| e.vpc_id.as_deref() == Some(vpc_id))
    })
}

/// The NAT gateway whose interface an Elastic IP is mapped to.
fn nat_gateway_of(state: &Ec2State, a: &Address) -> Option<String> {
    let eni = a.network_interface_id.as_deref()?;
    state
        .nat_gateways
        .iter()
        .find(|(_, n)| n.nat_gateway_addresses.iter().flatten().any(|x| x.network_interface_id.as_deref() == Some(eni)))
        .map(|(id, _)| id.clone())
}

pub fn describe_one(state: &Ec2State, allocation_id: &str) -> Address {
    let mut a = state.addresses[allocation_id].address.clone();
    a.instance_id = a
        .network_interface_id
        .as_ref()
        .and_then(|eni| state.network_interfaces.get(eni))
        .and_then(|e| e.attachment.as_ref())
        .and_then(|att| att.instance_id.clone());
    a.tags = state.dto_tags_if_any(allocation_id);
    a
}

pub fn allocate_address(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AllocateAddressRequest,
) -> Result<AllocateAddressResult, ApiError> {
    if let Some(d) = input.domain.as_deref().filter(|d| *d != "vpc") {
        return Err(invalid_value("domain", d, "EC2-Classic is retired; the only domain is vpc."));
    }
    if let Some(pool) = input.public_ipv4_pool.as_deref().filter(|p| *p != "amazon") {
        return Err(ApiError::client(
            "InvalidPublicIpv4PoolID.NotFound",
            format!("The public IPv4 pool '{pool}' does not exist. nimbus has the 'amazon' pool only."),
        ));
    }
    if let Some(group) = input.network_border_group.as_deref().filter(|g| *g != ctx.region) {
        return Err(errors::invalid_parameter_value(format!(
            "Invalid value '{group}' for networkBorderGroup. The network border group of {} is {}.",
            ctx.region, ctx.region
        )));
    }
    if input.customer_owned_ipv4_pool.is_some() || input.ipam_pool_id.is_some() {
        return Err(errors::invalid_parameter_value(
            "Customer-owned and IPAM pools are not supported by nimbus; allocate from the 'amazon' pool.",
        ));
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "elastic-ip")?;
    let public_ip = match input.address.as_deref() {
        // Recovering a released address: it must be one of the pool's and free.
        Some(raw) => {
            let addr = raw.trim().parse::<Ipv4Addr>().map_err(|_| invalid_value("address", raw, ""))?;
            let ip = addr.to_string();
            if !in_pool(u32::from(addr)) || looks_odd(u32::from(addr)) {
                return Err(errors::invalid_parameter_value(format!(
                    "The address {ip} is not available for recovery in the 'amazon' pool."
                )));
            }
            if public_ip_taken(state, &ip) {
                return Err(errors::invalid_ip_address_in_use(format!("Address {ip} is already allocated.")));
            }
            ip
        }
        None => next_public_ip(state, ctx),
    };
    let id = ids::resource_id("eipalloc");
    let address = Address {
        allocation_id: Some(id.clone()),
        domain: Some("vpc".into()),
        public_ipv4_pool: Some("amazon".into()),
        network_border_group: Some(ctx.region.clone()),
        public_ip: Some(public_ip),
        ..Default::default()
    };
    state.addresses.insert(id.clone(), AddressRecord { address: address.clone(), domain_name: None });
    state.set_tags(&id, tags);
    Ok(AllocateAddressResult {
        allocation_id: address.allocation_id,
        public_ipv4_pool: address.public_ipv4_pool,
        network_border_group: address.network_border_group,
        domain: address.domain,
        public_ip: address.public_ip,
        ..Default::default()
    })
}

pub fn release_address(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ReleaseAddressRequest,
) -> Result<(), ApiError> {
    let id = resolve(state, input.allocation_id.as_deref(), input.public_ip.as_deref())?;
    let a = &state.addresses[&id].address;
    if let Some(group) = input.network_border_group.as_deref() {
        if a.network_border_group.as_deref() != Some(group) {
            return Err(errors::invalid_parameter_value(format!(
                "Invalid value '{group}' for networkBorderGroup. The address was allocated in {}.",
                a.network_border_group.as_deref().unwrap_or_default()
            )));
        }
    }
    if a.association_id.is_some() {
        return Err(errors::invalid_ip_address_in_use(format!(
            "Address {} is in use.",
            a.public_ip.as_deref().unwrap_or_default()
        )));
    }
    state.addresses.remove(&id);
    state.forget(&id);
    Ok(())
}

pub fn associate_address(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: AssociateAddressRequest,
) -> Result<AssociateAddressResult, ApiError> {
    let allocation_id = resolve(state, input.allocation_id.as_deref(), input.public_ip.as_deref())?;
    let eni_id = match (input.instance_id.as_deref(), input.network_interface_id.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(errors::invalid_parameter_combination(
                "You can specify either an instance ID or a network interface ID, but not both.",
            ))
        }
        (None, None) => return Err(errors::missing_parameter("instanceId or networkInterfaceId")),
        (None, Some(eni)) => interfaces::records::get(state, eni).map(|_| eni.to_string())?,
        (Some(instance), None) => {
            if !state.exists(instance) {
                return Err(resources::not_found(instance));
            }
            // An instance's Elastic IP is mapped to its primary interface.
            state
                .network_interfaces
                .iter()
                .find(|(_, e)| {
                    e.attachment
                        .as_ref()
                        .is_some_and(|a| a.instance_id.as_deref() == Some(instance) && a.device_index == Some(0))
                })
                .map(|(id, _)| id.clone())
                .ok_or_else(|| {
                    errors::invalid_parameter_value(format!(
                        "The instance '{instance}' has no primary network interface to associate an address with."
                    ))
                })?
        }
    };
    let eni = &state.network_interfaces[&eni_id];
    interfaces::records::refuse_managed(eni)?;
    let private_ip = match input.private_ip_address.as_deref() {
        Some(ip) if interfaces::records::private_ips(eni).iter().any(|p| p == ip) => ip.to_string(),
        Some(ip) => {
            return Err(errors::invalid_parameter_value(format!(
                "The private IP address {ip} is not assigned to network interface {eni_id}."
            )))
        }
        None => eni.private_ip_address.clone().unwrap_or_default(),
    };
    let vpc_id = eni.vpc_id.clone().unwrap_or_default();
    let has_gateway =
        state.internet_gateways.values().any(|g| internet_gateways::attached_vpc(g) == Some(vpc_id.as_str()));
    if !has_gateway {
        return Err(ApiError::client(
            "Gateway.NotAttached",
            format!("Network {vpc_id} is not attached to any internet gateway"),
        ));
    }
    let current = state.addresses[&allocation_id].address.clone();
    if let Some(assoc) = current.association_id.as_deref() {
        if let Some(nat) = nat_gateway_of(state, &current) {
            return Err(ApiError::client(
                "Resource.AlreadyAssociated",
                format!("resource {allocation_id} is already associated with NAT gateway {nat}"),
            ));
        }
        if input.allow_reassociation != Some(true) {
            return Err(ApiError::client(
                "Resource.AlreadyAssociated",
                format!("resource {allocation_id} is already associated with associate-id {assoc}"),
            ));
        }
    }
    // The address moves: from wherever it was, and whatever was on the target goes.
    if let Some(assoc) = current.association_id.as_deref() {
        disassociate_record(state, assoc);
    }
    disassociate_from(state, &eni_id, Some(&private_ip));
    let association_id = associate_record(state, &allocation_id, &eni_id, &private_ip);
    Ok(AssociateAddressResult { association_id: Some(association_id) })
}

pub fn disassociate_address(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DisassociateAddressRequest,
) -> Result<(), ApiError> {
    let association_id = match (input.association_id.as_deref(), input.public_ip.as_deref()) {
        (Some(id), _) => {
            if !state.addresses.values().any(|r| r.address.association_id.as_deref() == Some(id)) {
                return Err(errors::invalid_association_id_not_found(id));
            }
            id.to_string()
        }
        (None, Some(ip)) => {
            let alloc = by_public_ip(state, ip)?;
            state.addresses[&alloc]
                .address
                .association_id
                .clone()
                .ok_or_else(|| errors::invalid_association_id_not_found(ip))?
        }
        (None, None) => return Err(errors::missing_parameter("AssociationId")),
    };
    let a = state
        .addresses
        .values()
        .find(|r| r.address.association_id.as_deref() == Some(association_id.as_str()))
        .map(|r| r.address.clone())
        .expect("checked above");
    if let Some(nat) = nat_gateway_of(state, &a) {
        return Err(errors::operation_not_permitted(format!(
            "The association {association_id} belongs to NAT gateway {nat}; delete the NAT gateway to release it."
        )));
    }
    disassociate_record(state, &association_id);
    Ok(())
}

impl Filterable for Address {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "allocation-id" => opt(&self.allocation_id),
            "association-id" => opt(&self.association_id),
            "domain" => opt(&self.domain),
            "instance-id" => opt(&self.instance_id),
            "network-border-group" => opt(&self.network_border_group),
            "network-interface-id" => opt(&self.network_interface_id),
            "network-interface-owner-id" => opt(&self.network_interface_owner_id),
            "private-ip-address" => opt(&self.private_ip_address),
            "public-ip" => opt(&self.public_ip),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_addresses(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeAddressesRequest,
) -> Result<DescribeAddressesResult, ApiError> {
    let mut wanted: Vec<String> = Vec::new();
    for id in input.allocation_ids.iter().flatten() {
        get(state, id)?;
        wanted.push(id.clone());
    }
    for ip in input.public_ips.iter().flatten() {
        wanted.push(by_public_ip(state, ip)?);
    }
    let all =
        state.addresses.keys().filter(|id| wanted.is_empty() || wanted.contains(id)).map(|id| describe_one(state, id));
    Ok(DescribeAddressesResult { addresses: Some(filtered(all, input.filters.as_deref())?) })
}

/// The address's reverse DNS record: the one set, else AWS's default name.
fn attribute(ctx: &RequestContext, r: &AddressRecord) -> AddressAttribute {
    let ip = r.address.public_ip.clone().unwrap_or_default();
    AddressAttribute {
        ptr_record: Some(
            r.domain_name
                .clone()
                .unwrap_or_else(|| format!("{}.", interfaces::records::public_dns_name(&ctx.region, &ip))),
        ),
        public_ip: Some(ip),
        allocation_id: r.address.allocation_id.clone(),
        ptr_record_update: None,
    }
}

fn check_domain_attribute(attribute: &str) -> Result<(), ApiError> {
    if attribute != "domain-name" {
        return Err(invalid_value("attribute", attribute, "Valid values: domain-name"));
    }
    Ok(())
}

pub fn describe_addresses_attribute(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeAddressesAttributeRequest,
) -> Result<DescribeAddressesAttributeResult, ApiError> {
    check_domain_attribute(input.attribute.as_deref().unwrap_or("domain-name"))?;
    let paging = input.page();
    let ids = input.allocation_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let items: Vec<AddressAttribute> = state
        .addresses
        .iter()
        .filter(|(id, _)| ids.is_empty() || ids.contains(id))
        .map(|(_, r)| attribute(ctx, r))
        .collect();
    let (page, next) = paginate(items, |a| a.allocation_id.clone().unwrap_or_default(), paging, false)?;
    Ok(DescribeAddressesAttributeResult { addresses: Some(page), next_token: next })
}

pub fn modify_address_attribute(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyAddressAttributeRequest,
) -> Result<ModifyAddressAttributeResult, ApiError> {
    get(state, &input.allocation_id)?;
    let name = input.domain_name.clone().ok_or_else(|| errors::missing_parameter("domainName"))?;
    let valid = !name.is_empty()
        && name.len() <= 253
        && name
            .trim_end_matches('.')
            .split('.')
            .all(|l| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !valid {
        return Err(invalid_value("domainName", name, ""));
    }
    let record = if name.ends_with('.') { name.clone() } else { format!("{name}.") };
    let r = state.addresses.get_mut(&input.allocation_id).expect("checked above");
    let mut shown = attribute(ctx, r);
    shown.ptr_record_update =
        Some(PtrUpdateStatus { value: Some(record.clone()), status: Some("PENDING".into()), reason: None });
    r.domain_name = Some(record);
    Ok(ModifyAddressAttributeResult { address: Some(shown) })
}

pub fn reset_address_attribute(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ResetAddressAttributeRequest,
) -> Result<ResetAddressAttributeResult, ApiError> {
    get(state, &input.allocation_id)?;
    check_domain_attribute(&input.attribute)?;
    let r = state.addresses.get_mut(&input.allocation_id).expect("checked above");
    let mut shown = attribute(ctx, r);
    r.domain_name = None;
    let default = attribute(ctx, r).ptr_record;
    shown.ptr_record_update = Some(PtrUpdateStatus { value: default, status: Some("PENDING".into()), reason: None });
    Ok(ResetAddressAttributeResult { address: Some(shown) })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use nimbus_core::RequestContext;
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::{call, network, refused, str_at};
    use crate::Ec2;

    fn allocate(ec2: &Ec2, ctx: &RequestContext) -> (String, String) {
        let out = call(ec2, ctx, "AllocateAddress", json!({"Domain": "vpc"}));
        (str_at(&out, "/AllocationId"), str_at(&out, "/PublicIp"))
    }

    fn eni(ec2: &Ec2, ctx: &RequestContext, subnet: &str) -> String {
        let out =
            call(ec2, ctx, "CreateNetworkInterface", json!({"SubnetId": subnet, "SecondaryPrivateIpAddressCount": 1}));
        str_at(&out, "/NetworkInterface/NetworkInterfaceId")
    }

    fn address(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Value {
        call(ec2, ctx, "DescribeAddresses", json!({"AllocationIds": [id]}))["Addresses"][0].clone()
    }

    #[test]
    fn the_pool_sequence_never_repeats_within_a_block() {
        for seed in [0, 1, 0xdead_beef, u64::MAX] {
            let seen: BTreeSet<u32> = (0..20_000).map(|n| pool_address(seed, n)).collect();
            assert_eq!(seen.len(), 20_000);
            assert!(seen.iter().all(|a| in_pool(*a)));
        }
    }

    #[test]
    fn allocations_look_like_aws_and_are_deterministic_per_partition() {
        let ctx = RequestContext::for_tests();
        let first = |ctx: &RequestContext| allocate(&Ec2::default(), ctx).1;
        assert_eq!(first(&ctx), first(&ctx));
        let mut eu = ctx.clone();
        eu.region = "eu-west-1".into();
        assert_ne!(first(&ctx), first(&eu));
        let ec2 = Ec2::default();
        let out = call(&ec2, &ctx, "AllocateAddress", json!({}));
        assert!(str_at(&out, "/AllocationId").starts_with("eipalloc-"));
        assert_eq!(
            (str_at(&out, "/Domain"), str_at(&out, "/PublicIpv4Pool"), str_at(&out, "/NetworkBorderGroup")),
            ("vpc".into(), "amazon".into(), "us-east-1".into())
        );
        let ip: Ipv4Addr = str_at(&out, "/PublicIp").parse().unwrap();
        assert!(in_pool(u32::from(ip)) && !looks_odd(u32::from(ip)));
        let refused_pool = json!({"PublicIpv4Pool": "ipv4pool-ec2-0123"});
        assert_eq!(refused(&ec2, &ctx, "AllocateAddress", refused_pool), "InvalidPublicIpv4PoolID.NotFound");
        let other_group = json!({"NetworkBorderGroup": "us-west-2"});
        assert_eq!(refused(&ec2, &ctx, "AllocateAddress", other_group), "InvalidParameterValue");
    }

    #[test]
    fn concurrent_allocations_in_one_partition_never_share_an_address() {
        let ec2 = Arc::new(Ec2::default());
        let ctx = RequestContext::for_tests();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (ec2, ctx) = (ec2.clone(), ctx.clone());
                std::thread::spawn(move || (0..50).map(|_| allocate(&ec2, &ctx).1).collect::<Vec<_>>())
            })
            .collect();
        let all: Vec<String> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
        assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 400);
    }

    #[test]
    fn a_released_address_can_be_recovered_but_not_twice() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (id, ip) = allocate(&ec2, &ctx);
        assert_eq!(refused(&ec2, &ctx, "AllocateAddress", json!({"Address": ip})), "InvalidIPAddress.InUse");
        call(&ec2, &ctx, "ReleaseAddress", json!({"AllocationId": id}));
        assert_eq!(refused(&ec2, &ctx, "ReleaseAddress", json!({"AllocationId": id})), "InvalidAllocationID.NotFound");
        let again = call(&ec2, &ctx, "AllocateAddress", json!({"Address": ip}));
        assert_eq!(str_at(&again, "/PublicIp"), ip);
        assert_eq!(refused(&ec2, &ctx, "AllocateAddress", json!({"Address": "192.0.2.1"})), "InvalidParameterValue");
        let next = allocate(&ec2, &ctx).1;
        assert_ne!(next, ip, "the sequence skips an address recovered out of turn");
    }

    #[test]
    fn association_rules() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (vpc, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
        let (a, ip_a) = allocate(&ec2, &ctx);
        let (b, _) = allocate(&ec2, &ctx);
        let e1 = eni(&ec2, &ctx, &subnet);
        let e2 = eni(&ec2, &ctx, &subnet);
        let assoc = |alloc: &str, eni: &str, extra: Value| {
            let mut input = json!({"AllocationId": alloc, "NetworkInterfaceId": eni});
            input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            input
        };
        // No internet gateway, no public address.
        assert_eq!(refused(&ec2, &ctx, "AssociateAddress", assoc(&a, &e1, json!({}))), "Gateway.NotAttached");
        let igw = call(&ec2, &ctx, "CreateInternetGateway", json!({}))["InternetGateway"]["InternetGatewayId"].clone();
        call(&ec2, &ctx, "AttachInternetGateway", json!({"InternetGatewayId": igw, "VpcId": vpc}));
        let first = str_at(&call(&ec2, &ctx, "AssociateAddress", assoc(&a, &e1, json!({}))), "/AssociationId");
        assert!(first.starts_with("eipassoc-"));
        let shown = address(&ec2, &ctx, &a);
        assert_eq!(shown["NetworkInterfaceId"], json!(e1));
        assert_eq!(shown["PrivateIpAddress"], json!("10.0.1.4"));
        assert_eq!(shown["NetworkInterfaceOwnerId"], json!("000000000000"));
        let described = call(&ec2, &ctx, "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": [e1]}));
        assert_eq!(described["NetworkInterfaces"][0]["Association"]["PublicIp"], json!(ip_a));
        assert_eq!(described["NetworkInterfaces"][0]["Association"]["AllocationId"], json!(a));
        // Already associated: refused unless reassociation is allowed; then it moves.
        assert_eq!(refused(&ec2, &ctx, "AssociateAddress", assoc(&a, &e2, json!({}))), "Resource.AlreadyAssociated");
        let moved = call(&ec2, &ctx, "AssociateAddress", assoc(&a, &e2, json!({"AllowReassociation": true})));
        assert_ne!(str_at(&moved, "/AssociationId"), first);
        assert_eq!(address(&ec2, &ctx, &a)["NetworkInterfaceId"], json!(e2));
        let no_such = json!({"AssociationId": first});
        assert_eq!(refused(&ec2, &ctx, "DisassociateAddress", no_such), "InvalidAssociationID.NotFound");
        // A private address the interface does not have.
        let wrong_ip = assoc(&b, &e2, json!({"PrivateIpAddress": "10.0.1.200"}));
        assert_eq!(refused(&ec2, &ctx, "AssociateAddress", wrong_ip), "InvalidParameterValue");
        call(&ec2, &ctx, "AssociateAddress", assoc(&b, &e2, json!({"PrivateIpAddress": "10.0.1.7"})));
        // Released only when free; the gateway cannot be detached under mapped addresses.
        assert_eq!(refused(&ec2, &ctx, "ReleaseAddress", json!({"AllocationId": a})), "InvalidIPAddress.InUse");
        let detach = json!({"InternetGatewayId": igw, "VpcId": vpc});
        assert_eq!(refused(&ec2, &ctx, "DetachInternetGateway", detach.clone()), "DependencyViolation");
        call(&ec2, &ctx, "DisassociateAddress", json!({"AssociationId": moved["AssociationId"]}));
        assert!(address(&ec2, &ctx, &a).get("AssociationId").is_none());
        call(&ec2, &ctx, "ReleaseAddress", json!({"AllocationId": a}));
        // Unassigning the private address, or deleting the interface, disassociates.
        call(
            &ec2,
            &ctx,
            "UnassignPrivateIpAddresses",
            json!({"NetworkInterfaceId": e2, "PrivateIpAddresses": ["10.0.1.7"]}),
        );
        assert!(address(&ec2, &ctx, &b).get("AssociationId").is_none());
        call(&ec2, &ctx, "AssociateAddress", assoc(&b, &e1, json!({})));
        call(&ec2, &ctx, "DeleteNetworkInterface", json!({"NetworkInterfaceId": e1}));
        assert!(address(&ec2, &ctx, &b).get("NetworkInterfaceId").is_none());
        call(&ec2, &ctx, "DetachInternetGateway", detach);
        let instance = json!({"AllocationId": b, "InstanceId": "i-0000000000000000a"});
        assert_eq!(refused(&ec2, &ctx, "AssociateAddress", instance), "InvalidInstanceID.NotFound");
    }

    #[test]
    fn describe_filters_and_errors() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (_, subnet) = network(&ec2, &ctx, "10.0.1.0/24", true);
        let (a, ip_a) = allocate(&ec2, &ctx);
        let tagged =
            json!({"TagSpecifications": [{"ResourceType": "elastic-ip", "Tags": [{"Key": "role", "Value": "nat"}]}]});
        let b = str_at(&call(&ec2, &ctx, "AllocateAddress", tagged), "/AllocationId");
        let e = eni(&ec2, &ctx, &subnet);
        call(&ec2, &ctx, "AssociateAddress", json!({"AllocationId": a, "NetworkInterfaceId": e}));
        let find = |filters: Value| -> Vec<String> {
            call(&ec2, &ctx, "DescribeAddresses", json!({"Filters": filters}))["Addresses"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["AllocationId"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(find(json!([{"Name": "network-interface-id", "Values": [e]}])), vec![a.clone()]);
        assert_eq!(find(json!([{"Name": "public-ip", "Values": [ip_a]}])), vec![a.clone()]);
        assert_eq!(find(json!([{"Name": "private-ip-address", "Values": ["10.0.1.4"]}])), vec![a.clone()]);
        assert_eq!(find(json!([{"Name": "tag:role", "Values": ["nat"]}])), vec![b.clone()]);
        assert_eq!(find(json!([{"Name": "domain", "Values": ["vpc"]}])).len(), 2);
        assert_eq!(find(json!([{"Name": "network-border-group", "Values": ["us-east-1"]}])).len(), 2);
        assert_eq!(find(json!([{"Name": "association-id", "Values": ["eipassoc-*"]}])), vec![a.clone()]);
        assert_eq!(find(json!([{"Name": "instance-id", "Values": ["i-*"]}])).len(), 0);
        let by_ip = call(&ec2, &ctx, "DescribeAddresses", json!({"PublicIps": [ip_a]}));
        assert_eq!(by_ip["Addresses"][0]["AllocationId"], json!(a));
        let unknown_ip = json!({"PublicIps": ["198.51.100.7"]});
        assert_eq!(refused(&ec2, &ctx, "DescribeAddresses", unknown_ip), "InvalidAddress.NotFound");
        let unknown_id = json!({"AllocationIds": ["eipalloc-0000000000000000a"]});
        assert_eq!(refused(&ec2, &ctx, "DescribeAddresses", unknown_id), "InvalidAllocationID.NotFound");
        let bad = json!({"Filters": [{"Name": "nope", "Values": ["x"]}]});
        assert_eq!(refused(&ec2, &ctx, "DescribeAddresses", bad), "InvalidParameterValue");
    }

    #[test]
    fn the_reverse_dns_attribute() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (a, ip) = allocate(&ec2, &ctx);
        let attr = || {
            call(&ec2, &ctx, "DescribeAddressesAttribute", json!({"AllocationIds": [a], "Attribute": "domain-name"}))
                ["Addresses"][0]
                .clone()
        };
        let default = format!("ec2-{}.compute-1.amazonaws.com.", ip.replace('.', "-"));
        assert_eq!(attr()["PtrRecord"], json!(default));
        let out =
            call(&ec2, &ctx, "ModifyAddressAttribute", json!({"AllocationId": a, "DomainName": "mail.example.com"}));
        assert_eq!(out["Address"]["PtrRecordUpdate"]["Value"], json!("mail.example.com."));
        assert_eq!(attr()["PtrRecord"], json!("mail.example.com."));
        let bad = json!({"AllocationId": a, "DomainName": "not a name"});
        assert_eq!(refused(&ec2, &ctx, "ModifyAddressAttribute", bad), "InvalidParameterValue");
        call(&ec2, &ctx, "ResetAddressAttribute", json!({"AllocationId": a, "Attribute": "domain-name"}));
        assert_eq!(attr()["PtrRecord"], json!(default));
    }
}
