//! Subnets: create inside the VPC's blocks without overlap, private address allocation
//! (AWS reserves the first four and the last address), attributes, IPv6 blocks.

use std::net::Ipv4Addr;

use nimbus_core::filter::Filterable;
use nimbus_core::regions::{self, Zone};
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    AssociateSubnetCidrBlockRequest, AssociateSubnetCidrBlockResult, BlockPublicAccessStates,
    CreateDefaultSubnetRequest, CreateDefaultSubnetResult, CreateSubnetRequest, CreateSubnetResult,
    DeleteSubnetRequest, DescribeSubnetsRequest, DescribeSubnetsResult, DisassociateSubnetCidrBlockRequest,
    DisassociateSubnetCidrBlockResult, ModifySubnetAttributeRequest, PrivateDnsNameOptionsOnLaunch, Subnet,
    SubnetCidrBlockState, SubnetIpv6CidrBlockAssociation,
};
use crate::generated::errors;
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::params::invalid_value;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, paginate, spec_tags};
use crate::state::{Ec2State, SubnetRecord};
use crate::vpc::{interfaces, subnet_cidr_reservations, vpcs};
use crate::{vpc::network_acls, vpc::route_tables};

/// Addresses AWS keeps in every subnet: network, router, DNS, future use, broadcast.
const RESERVED: u64 = 5;

/// The first and last address (inclusive) AWS lets resources use in a block: after the
/// network, router, DNS and future-use addresses, before the broadcast address.
fn usable_range(block: Ipv4Cidr) -> (u32, u32) {
    (block.addr.saturating_add(4), block.addr.saturating_add((block.size() - 2) as u32))
}

/// Takes a private IPv4 address of a subnet: `wanted` if it is in the subnet's block,
/// usable and free, else the lowest free one.
/// The lowest address in `first..=last` not in `used`, walking the used addresses in
/// order (a lookup per candidate address made filling a large subnet quadratic).
fn lowest_free(used: &std::collections::BTreeSet<u32>, first: u32, last: u32) -> Option<u32> {
    if first > last {
        return None;
    }
    let mut candidate = first;
    for &taken in used.range(first..=last) {
        if taken != candidate {
            break;
        }
        candidate = candidate.checked_add(1)?;
    }
    (candidate <= last).then_some(candidate)
}

/// The lowest free address that no subnet CIDR reservation holds (automatic assignment
/// leaves reserved ranges to those who ask for their addresses). The walk starts at
/// `used_below` (everything before it is taken), so filling a subnet in order costs a
/// step per address, not a walk over every address taken so far.
fn lowest_unreserved(rec: &mut SubnetRecord, first: u32, last: u32) -> Option<u32> {
    let reserved = subnet_cidr_reservations::reserved_ipv4(rec);
    let lowest = lowest_free(&rec.used_ips, first.max(rec.used_below), last);
    rec.used_below = lowest.unwrap_or(last.saturating_add(1)).max(rec.used_below);
    let mut first = lowest?;
    loop {
        let candidate = lowest_free(&rec.used_ips, first, last)?;
        match reserved.iter().find(|(lo, hi)| (*lo..=*hi).contains(&candidate)) {
            Some(&(_, hi)) => first = hi.checked_add(1)?,
            None => return Some(candidate),
        }
    }
}

pub fn allocate_ip(state: &mut Ec2State, subnet_id: &str, wanted: Option<&str>) -> Result<String, ApiError> {
    let rec = get(state, subnet_id)?;
    let block = rec
        .subnet
        .cidr_block
        .as_deref()
        .and_then(Ipv4Cidr::parse)
        .ok_or_else(|| errors::insufficient_free_addresses_in_subnet(subnet_id))?;
    let (first, last) = usable_range(block);
    let addr = match wanted {
        Some(raw) => {
            let addr =
                raw.trim().parse::<Ipv4Addr>().map(u32::from).map_err(|_| {
                    errors::invalid_parameter_value(format!("invalid value for parameter address: {raw}"))
                })?;
            if !block.contains_addr(addr) {
                return Err(errors::invalid_parameter_value(format!(
                    "Address {raw} does not fall within the subnet's address range"
                )));
            }
            if addr < first || addr > last {
                return Err(errors::invalid_parameter_value(format!(
                    "Address {raw} is reserved: AWS reserves the first four and the last address of subnet {subnet_id} ({block})"
                )));
            }
            if rec.used_ips.contains(&addr) {
                return Err(errors::invalid_ip_address_in_use("The specified address is already in use."));
            }
            addr
        }
        None => {
            let rec = state.subnets.get_mut(subnet_id).expect("checked above");
            lowest_unreserved(rec, first, last)
                .ok_or_else(|| errors::insufficient_free_addresses_in_subnet(subnet_id))?
        }
    };
    state.subnets.get_mut(subnet_id).expect("checked above").used_ips.insert(addr);
    Ok(Ipv4Addr::from(addr).to_string())
}

/// Takes the `wanted` addresses, then `extra` more, all or none.
pub fn allocate_ips(
    state: &mut Ec2State,
    subnet_id: &str,
    wanted: &[String],
    extra: usize,
) -> Result<Vec<String>, ApiError> {
    let mut taken = Vec::new();
    let requests = wanted.iter().map(|w| Some(w.as_str())).chain(std::iter::repeat_n(None, extra));
    for want in requests {
        match allocate_ip(state, subnet_id, want) {
            Ok(ip) => taken.push(ip),
            Err(e) => {
                for ip in &taken {
                    release_ip(state, subnet_id, ip);
                }
                return Err(e);
            }
        }
    }
    Ok(taken)
}

/// Gives a private address back to its subnet.
pub fn release_ip(state: &mut Ec2State, subnet_id: &str, ip: &str) {
    if let (Some(rec), Ok(addr)) = (state.subnets.get_mut(subnet_id), ip.parse::<Ipv4Addr>()) {
        rec.used_ips.remove(&u32::from(addr));
        rec.used_below = rec.used_below.min(u32::from(addr));
    }
}

pub fn create_subnet_record(
    state: &mut Ec2State,
    ctx: &RequestContext,
    vpc_id: &str,
    block: Ipv4Cidr,
    zone: &Zone,
    default_for_az: bool,
) -> String {
    let subnet_id = ids::resource_id("subnet");
    let subnet = Subnet {
        availability_zone_id: Some(zone.zone_id.clone()),
        map_customer_owned_ip_on_launch: Some(false),
        owner_id: Some(ctx.account().to_string()),
        assign_ipv6_address_on_creation: Some(false),
        ipv6_cidr_block_association_set: Some(Vec::new()),
        subnet_arn: Some(format!("arn:aws:ec2:{}:{}:subnet/{subnet_id}", ctx.region, ctx.account())),
        enable_dns64: Some(false),
        ipv6_native: Some(false),
        private_dns_name_options_on_launch: Some(PrivateDnsNameOptionsOnLaunch {
            hostname_type: Some("ip-name".into()),
            enable_resource_name_dns_a_record: Some(false),
            enable_resource_name_dns_aaaa_record: Some(false),
        }),
        block_public_access_states: Some(BlockPublicAccessStates { internet_gateway_block_mode: Some("off".into()) }),
        subnet_id: Some(subnet_id.clone()),
        state: Some("available".into()),
        vpc_id: Some(vpc_id.to_string()),
        cidr_block: Some(block.to_string()),
        available_ip_address_count: Some((block.size().saturating_sub(RESERVED)) as i32),
        availability_zone: Some(zone.zone_name.clone()),
        default_for_az: Some(default_for_az),
        map_public_ip_on_launch: Some(default_for_az),
        ..Default::default()
    };
    state.subnets.insert(subnet_id.clone(), SubnetRecord { subnet, ..Default::default() });
    let acl = state.vpcs.get(vpc_id).map(|v| v.default_network_acl_id.clone()).unwrap_or_default();
    network_acls::associate_subnet(state, &acl, &subnet_id);
    subnet_id
}

pub fn get<'a>(state: &'a Ec2State, subnet_id: &str) -> Result<&'a SubnetRecord, ApiError> {
    state.subnets.get(subnet_id).ok_or_else(|| {
        if subnet_id.starts_with("subnet-") {
            errors::invalid_subnet_id_not_found(subnet_id)
        } else {
            errors::invalid_subnet_id_malformed(subnet_id)
        }
    })
}

pub fn describe_one(state: &Ec2State, subnet_id: &str) -> Subnet {
    let rec = &state.subnets[subnet_id];
    let mut s = rec.subnet.clone();
    let size = s.cidr_block.as_deref().and_then(Ipv4Cidr::parse).map_or(0, |c| c.size());
    s.available_ip_address_count = Some(size.saturating_sub(RESERVED + rec.used_ips.len() as u64) as i32);
    s.tags = state.dto_tags_if_any(subnet_id);
    let vpc = s.vpc_id.as_deref().unwrap_or_default();
    s.block_public_access_states = Some(BlockPublicAccessStates {
        internet_gateway_block_mode: Some(state.vpc_bpa.effective_mode(vpc, Some(subnet_id))),
    });
    s
}

/// Resolves `AvailabilityZone` or `AvailabilityZoneId` in the caller's region; neither
/// picks one, as AWS does.
fn resolve_zone(ctx: &RequestContext, name: Option<&str>, id: Option<&str>) -> Result<&'static Zone, ApiError> {
    let zones = regions::availability_zones(&ctx.region);
    let list = || zones.iter().map(|z| z.zone_name.as_str()).collect::<Vec<_>>().join(", ");
    match (name, id) {
        (Some(_), Some(_)) => Err(errors::invalid_parameter_combination(
            "Only one of availabilityZone or availabilityZoneId may be specified",
        )),
        (Some(n), None) => zones.iter().copied().find(|z| z.zone_name == n).ok_or_else(|| {
            errors::invalid_parameter_value(format!(
                "Value ({n}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: {}.",
                list()
            ))
        }),
        (None, Some(i)) => zones.iter().copied().find(|z| z.zone_id == i).ok_or_else(|| {
            errors::invalid_parameter_value(format!(
                "Value ({i}) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zones: {}.",
                list()
            ))
        }),
        (None, None) => zones.first().copied().ok_or_else(|| errors::invalid_parameter_value("The region has no availability zones.")),
    }
}

pub fn create_subnet(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateSubnetRequest,
) -> Result<CreateSubnetResult, ApiError> {
    let vpc = vpcs::get(state, &input.vpc_id)?.clone();
    let zone = resolve_zone(ctx, input.availability_zone.as_deref(), input.availability_zone_id.as_deref())?;
    if input.ipv6_native == Some(true) {
        return create_ipv6_only_subnet(state, ctx, &input, zone);
    }
    let Some(raw) = input.cidr_block.as_deref() else {
        return Err(errors::missing_parameter("cidrBlock"));
    };
    let block =
        Ipv4Cidr::parse(raw).ok_or_else(|| invalid_value("cidrBlock", raw, "This is not a valid CIDR block."))?;
    if !(16..=28).contains(&block.len) || !vpcs::ipv4_blocks(&vpc).iter().any(|v| v.contains(&block)) {
        return Err(errors::invalid_subnet_range(raw));
    }
    let conflict = state.subnets.values().any(|s| {
        s.subnet.vpc_id.as_deref() == Some(input.vpc_id.as_str())
            && s.subnet.cidr_block.as_deref().and_then(Ipv4Cidr::parse).is_some_and(|c| c.overlaps(&block))
    });
    if conflict {
        return Err(errors::invalid_subnet_conflict(raw));
    }
    let ipv6 = match input.ipv6_cidr_block.as_deref() {
        Some(raw6) => Some(check_ipv6_block(state, &input.vpc_id, raw6)?),
        None => None,
    };
    let tags = spec_tags(input.tag_specifications.as_deref(), "subnet")?;
    let id = create_subnet_record(state, ctx, &input.vpc_id, block, zone, false);
    if let Some(b) = ipv6 {
        let assoc = ipv6_association(b);
        state.subnets.get_mut(&id).expect("just made").subnet.ipv6_cidr_block_association_set = Some(vec![assoc]);
    }
    state.set_tags(&id, tags);
    let mut subnet = describe_one(state, &id);
    subnet.state = Some("pending".into());
    Ok(CreateSubnetResult { subnet: Some(subnet) })
}

/// An IPv6-only subnet (`Ipv6Native`): a /64 of the VPC's IPv6 block and no IPv4 range;
/// its instances are named by resource (`i-...`), and get IPv6 addresses at launch.
fn create_ipv6_only_subnet(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: &CreateSubnetRequest,
    zone: &Zone,
) -> Result<CreateSubnetResult, ApiError> {
    if input.cidr_block.is_some() {
        return Err(errors::invalid_parameter_combination(
            "The parameter cidrBlock cannot be used with the parameter ipv6Native.",
        ));
    }
    let Some(raw6) = input.ipv6_cidr_block.as_deref() else {
        return Err(errors::missing_parameter("ipv6CidrBlock"));
    };
    let block = check_ipv6_block(state, &input.vpc_id, raw6)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "subnet")?;
    let id = create_subnet_record(state, ctx, &input.vpc_id, Ipv4Cidr { addr: 0, len: 32 }, zone, false);
    let rec = &mut state.subnets.get_mut(&id).expect("just made").subnet;
    rec.cidr_block = None;
    rec.available_ip_address_count = Some(0);
    rec.ipv6_native = Some(true);
    rec.assign_ipv6_address_on_creation = Some(true);
    rec.ipv6_cidr_block_association_set = Some(vec![ipv6_association(block)]);
    rec.private_dns_name_options_on_launch = Some(PrivateDnsNameOptionsOnLaunch {
        hostname_type: Some("resource-name".into()),
        enable_resource_name_dns_a_record: Some(false),
        enable_resource_name_dns_aaaa_record: Some(true),
    });
    state.set_tags(&id, tags);
    let mut subnet = describe_one(state, &id);
    subnet.state = Some("pending".into());
    Ok(CreateSubnetResult { subnet: Some(subnet) })
}

fn check_ipv6_block(state: &Ec2State, vpc_id: &str, raw: &str) -> Result<Ipv6Cidr, ApiError> {
    let block = Ipv6Cidr::parse(raw)
        .filter(|b| b.len == 64)
        .ok_or_else(|| invalid_value("ipv6CidrBlock", raw, "This is not a valid /64 IPv6 CIDR block."))?;
    let vpc = vpcs::get(state, vpc_id)?;
    if !vpcs::ipv6_blocks(vpc).iter().any(|v| v.contains(&block)) {
        return Err(errors::invalid_subnet_range(raw));
    }
    let taken = state.subnets.values().any(|s| {
        s.subnet.vpc_id.as_deref() == Some(vpc_id)
            && s.subnet
                .ipv6_cidr_block_association_set
                .iter()
                .flatten()
                .any(|a| a.ipv6_cidr_block.as_deref().and_then(Ipv6Cidr::parse).is_some_and(|c| c.overlaps(&block)))
    });
    if taken {
        return Err(errors::invalid_subnet_conflict(raw));
    }
    Ok(block)
}

fn ipv6_association(block: Ipv6Cidr) -> SubnetIpv6CidrBlockAssociation {
    SubnetIpv6CidrBlockAssociation {
        association_id: Some(ids::resource_id("subnet-cidr-assoc")),
        ipv6_cidr_block: Some(block.to_string()),
        ipv6_cidr_block_state: Some(SubnetCidrBlockState { state: Some("associated".into()), status_message: None }),
        ipv6_address_attribute: Some("public".into()),
        ip_source: Some("amazon".into()),
    }
}

pub fn create_default_subnet(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateDefaultSubnetRequest,
) -> Result<CreateDefaultSubnetResult, ApiError> {
    let zone = resolve_zone(ctx, input.availability_zone.as_deref(), input.availability_zone_id.as_deref())?;
    let Some(vpc_id) = state.vpcs.iter().find(|(_, v)| v.vpc.is_default == Some(true)).map(|(id, _)| id.clone()) else {
        return Err(errors::no_default_vpc_for_account());
    };
    let exists = state.subnets.values().any(|s| {
        s.subnet.vpc_id.as_deref() == Some(&vpc_id)
            && s.subnet.default_for_az == Some(true)
            && s.subnet.availability_zone.as_deref() == Some(&zone.zone_name)
    });
    if exists {
        return Err(errors::default_subnet_already_exists_in_availability_zone(&zone.zone_name));
    }
    // The next free /20 of the default VPC's block.
    let vpc_block = Ipv4Cidr::parse(vpcs::DEFAULT_VPC_CIDR).expect("a valid constant");
    let taken: Vec<Ipv4Cidr> = state
        .subnets
        .values()
        .filter(|s| s.subnet.vpc_id.as_deref() == Some(&vpc_id))
        .filter_map(|s| s.subnet.cidr_block.as_deref().and_then(Ipv4Cidr::parse))
        .collect();
    let block = (0..16u32)
        .map(|i| Ipv4Cidr { addr: vpc_block.addr + (i << 12), len: 20 })
        .find(|b| !taken.iter().any(|t| t.overlaps(b)))
        .ok_or_else(|| errors::invalid_subnet_conflict(vpcs::DEFAULT_VPC_CIDR))?;
    let id = create_subnet_record(state, ctx, &vpc_id, block, zone, true);
    Ok(CreateDefaultSubnetResult { subnet: Some(describe_one(state, &id)) })
}

impl Filterable for Subnet {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        let b = |v: Option<bool>| vec![v.unwrap_or(false).to_string()];
        let v6 = self.ipv6_cidr_block_association_set.iter().flatten();
        let dns = self.private_dns_name_options_on_launch.as_ref();
        Some(match name {
            "availability-zone" | "availabilityZone" => opt(&self.availability_zone),
            "availability-zone-id" | "availabilityZoneId" => opt(&self.availability_zone_id),
            "available-ip-address-count" => self.available_ip_address_count.iter().map(|n| n.to_string()).collect(),
            "cidr-block" | "cidr" | "cidrBlock" => opt(&self.cidr_block),
            "customer-owned-ipv4-pool" => opt(&self.customer_owned_ipv4_pool),
            "default-for-az" | "defaultForAz" => b(self.default_for_az),
            "enable-dns64" => b(self.enable_dns64),
            "enable-lni-at-device-index" => self.enable_lni_at_device_index.iter().map(|n| n.to_string()).collect(),
            "ipv6-cidr-block-association.ipv6-cidr-block" => v6.filter_map(|a| a.ipv6_cidr_block.clone()).collect(),
            "ipv6-cidr-block-association.association-id" => v6.filter_map(|a| a.association_id.clone()).collect(),
            "ipv6-cidr-block-association.state" => {
                v6.filter_map(|a| a.ipv6_cidr_block_state.as_ref().and_then(|s| s.state.clone())).collect()
            }
            "ipv6-native" => b(self.ipv6_native),
            "map-customer-owned-ip-on-launch" => b(self.map_customer_owned_ip_on_launch),
            "map-public-ip-on-launch" => b(self.map_public_ip_on_launch),
            "outpost-arn" => opt(&self.outpost_arn),
            "owner-id" => opt(&self.owner_id),
            "private-dns-name-options-on-launch.hostname-type" => {
                dns.and_then(|d| d.hostname_type.clone()).into_iter().collect()
            }
            "private-dns-name-options-on-launch.enable-resource-name-dns-a-record" => {
                b(dns.and_then(|d| d.enable_resource_name_dns_a_record))
            }
            "private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record" => {
                b(dns.and_then(|d| d.enable_resource_name_dns_aaaa_record))
            }
            "state" => opt(&self.state),
            "subnet-arn" => opt(&self.subnet_arn),
            "subnet-id" => opt(&self.subnet_id),
            "vpc-id" => opt(&self.vpc_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_subnets(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeSubnetsRequest,
) -> Result<DescribeSubnetsResult, ApiError> {
    let paging = input.page();
    let ids = input.subnet_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all = state.subnets.keys().filter(|id| ids.is_empty() || ids.contains(id)).map(|id| describe_one(state, id));
    let subnets = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(subnets, |s| s.subnet_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeSubnetsResult { subnets: Some(page), next_token: next })
}

pub fn delete_subnet(state: &mut Ec2State, ctx: &RequestContext, input: DeleteSubnetRequest) -> Result<(), ApiError> {
    let rec = get(state, &input.subnet_id)?;
    if !rec.used_ips.is_empty() || crate::vpc::dependents::subnet_has_dependents(state, &input.subnet_id) {
        return Err(errors::dependency_violation(format!(
            "The subnet '{}' has dependencies and cannot be deleted.",
            input.subnet_id
        )));
    }
    route_tables::forget_subnet(state, &input.subnet_id);
    network_acls::forget_subnet(state, &input.subnet_id);
    if let Some(gone) = state.subnets.remove(&input.subnet_id) {
        for reservation in gone.cidr_reservations.keys() {
            state.forget(reservation);
        }
    }
    state.forget(&input.subnet_id);
    crate::vpc::block_public_access::resource_deleted(state, &input.subnet_id, ctx.now);
    Ok(())
}

pub fn modify_subnet_attribute(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifySubnetAttributeRequest,
) -> Result<(), ApiError> {
    let rec = get(state, &input.subnet_id)?;
    let has_ipv6 = !rec.subnet.ipv6_cidr_block_association_set.as_deref().unwrap_or_default().is_empty();
    let value =
        |v: &Option<crate::generated::dto::AttributeBooleanValue>| v.as_ref().and_then(|b| b.value).unwrap_or(false);
    let given = [
        input.assign_ipv6_address_on_creation.is_some(),
        input.map_public_ip_on_launch.is_some(),
        input.map_customer_owned_ip_on_launch.is_some(),
        input.enable_dns64.is_some(),
        input.private_dns_hostname_type_on_launch.is_some(),
        input.enable_resource_name_dns_a_record_on_launch.is_some(),
        input.enable_resource_name_dns_aaaa_record_on_launch.is_some(),
        input.enable_lni_at_device_index.is_some(),
        input.disable_lni_at_device_index.is_some(),
    ];
    if !given.iter().any(|g| *g) {
        return Err(errors::missing_parameter("an attribute to modify"));
    }
    if value(&input.assign_ipv6_address_on_creation) && !has_ipv6 {
        return Err(errors::invalid_parameter_value(format!(
            "Invalid value 'true' for assignIpv6AddressOnCreation. Cannot set assignIpv6AddressOnCreation to true unless the subnet ({}) has an IPv6 CIDR block associated with it.",
            input.subnet_id
        )));
    }
    if value(&input.map_customer_owned_ip_on_launch) && input.customer_owned_ipv4_pool.is_none() {
        return Err(errors::invalid_parameter_combination(
            "When specifying MapCustomerOwnedIpOnLaunch, CustomerOwnedIpv4Pool must also be specified",
        ));
    }
    if let Some(t) = input.private_dns_hostname_type_on_launch.as_deref() {
        if t != "ip-name" && t != "resource-name" {
            return Err(invalid_value("privateDnsHostnameTypeOnLaunch", t, ""));
        }
    }
    let s = &mut state.subnets.get_mut(&input.subnet_id).expect("checked above").subnet;
    if input.assign_ipv6_address_on_creation.is_some() {
        s.assign_ipv6_address_on_creation = Some(value(&input.assign_ipv6_address_on_creation));
    }
    if input.map_public_ip_on_launch.is_some() {
        s.map_public_ip_on_launch = Some(value(&input.map_public_ip_on_launch));
    }
    if input.map_customer_owned_ip_on_launch.is_some() {
        s.map_customer_owned_ip_on_launch = Some(value(&input.map_customer_owned_ip_on_launch));
        s.customer_owned_ipv4_pool = input.customer_owned_ipv4_pool.clone();
    }
    if input.enable_dns64.is_some() {
        s.enable_dns64 = Some(value(&input.enable_dns64));
    }
    let dns = s.private_dns_name_options_on_launch.get_or_insert_with(Default::default);
    if let Some(t) = input.private_dns_hostname_type_on_launch {
        dns.hostname_type = Some(t);
    }
    if input.enable_resource_name_dns_a_record_on_launch.is_some() {
        dns.enable_resource_name_dns_a_record = Some(value(&input.enable_resource_name_dns_a_record_on_launch));
    }
    if input.enable_resource_name_dns_aaaa_record_on_launch.is_some() {
        dns.enable_resource_name_dns_aaaa_record = Some(value(&input.enable_resource_name_dns_aaaa_record_on_launch));
    }
    if let Some(i) = input.enable_lni_at_device_index {
        s.enable_lni_at_device_index = Some(i);
    }
    if value(&input.disable_lni_at_device_index) {
        s.enable_lni_at_device_index = None;
    }
    Ok(())
}

pub fn associate_subnet_cidr_block(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: AssociateSubnetCidrBlockRequest,
) -> Result<AssociateSubnetCidrBlockResult, ApiError> {
    let rec = get(state, &input.subnet_id)?;
    let vpc_id = rec.subnet.vpc_id.clone().unwrap_or_default();
    if !rec.subnet.ipv6_cidr_block_association_set.as_deref().unwrap_or_default().is_empty() {
        return Err(errors::cidr_limit_exceeded(&input.subnet_id, 1));
    }
    let Some(raw) = input.ipv6_cidr_block.as_deref() else {
        return Err(errors::missing_parameter("ipv6CidrBlock"));
    };
    let block = check_ipv6_block(state, &vpc_id, raw)?;
    let assoc = ipv6_association(block);
    state.subnets.get_mut(&input.subnet_id).expect("checked above").subnet.ipv6_cidr_block_association_set =
        Some(vec![assoc.clone()]);
    Ok(AssociateSubnetCidrBlockResult { ipv6_cidr_block_association: Some(assoc), subnet_id: Some(input.subnet_id) })
}

pub fn disassociate_subnet_cidr_block(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DisassociateSubnetCidrBlockRequest,
) -> Result<DisassociateSubnetCidrBlockResult, ApiError> {
    let id = &input.association_id;
    let found = state.subnets.iter().find_map(|(sid, s)| {
        s.subnet
            .ipv6_cidr_block_association_set
            .iter()
            .flatten()
            .position(|a| a.association_id.as_deref() == Some(id))
            .map(|i| (sid.clone(), i))
    });
    let Some((subnet_id, index)) = found else {
        return Err(errors::invalid_subnet_cidr_block_association_id_not_found(id));
    };
    if state.subnets[&subnet_id].subnet.assign_ipv6_address_on_creation == Some(true) {
        return Err(errors::invalid_cidr_block_in_use(
            id,
            "its subnet has assign-ipv6-address-on-creation set to true",
        ));
    }
    if interfaces::ipv6::subnet_has_ipv6_in_use(state, &subnet_id) {
        // The reason is nimbus's wording.
        return Err(errors::invalid_cidr_block_in_use(id, "some of its IPv6 addresses are in use"));
    }
    let subnet = &mut state.subnets.get_mut(&subnet_id).expect("found above").subnet;
    let mut assoc = subnet.ipv6_cidr_block_association_set.as_mut().expect("found above").remove(index);
    assoc.ipv6_cidr_block_state =
        Some(SubnetCidrBlockState { state: Some("disassociating".into()), status_message: None });
    Ok(DisassociateSubnetCidrBlockResult { ipv6_cidr_block_association: Some(assoc), subnet_id: Some(subnet_id) })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use nimbus_core::RequestContext;
    use serde_json::json;

    use super::*;
    use crate::testing::{available_ips, call, network, refused};

    #[test]
    fn ipv6_only_subnets_take_a_64_and_no_ipv4_range() {
        use nimbus_core::Service;
        let (ec2, ctx) = (crate::Ec2::default(), RequestContext::for_tests());
        let call = |op: &str, input: serde_json::Value| ec2.call(&ctx, op, input);
        let vpc =
            call("CreateVpc", serde_json::json!({"CidrBlock": "10.0.0.0/16", "AmazonProvidedIpv6CidrBlock": true}))
                .unwrap();
        let vpc_id = vpc["Vpc"]["VpcId"].as_str().unwrap().to_string();
        let described = call("DescribeVpcs", serde_json::json!({"VpcIds": [vpc_id]})).unwrap();
        let v6 = described["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"].as_str().unwrap().to_string();
        let block = v6.replace("::/56", "::/64");
        let out =
            call("CreateSubnet", serde_json::json!({"VpcId": vpc_id, "Ipv6Native": true, "Ipv6CidrBlock": block}))
                .unwrap();
        let subnet = &out["Subnet"];
        assert_eq!(subnet["Ipv6Native"], true);
        assert!(subnet.get("CidrBlock").is_none());
        assert_eq!(subnet["AvailableIpAddressCount"], 0);
        assert_eq!(subnet["PrivateDnsNameOptionsOnLaunch"]["HostnameType"], "resource-name");
        let code = |input: serde_json::Value| call("CreateSubnet", input).unwrap_err().code;
        assert_eq!(code(serde_json::json!({"VpcId": vpc_id, "Ipv6Native": true})), "MissingParameter");
        assert_eq!(
            code(
                serde_json::json!({"VpcId": vpc_id, "Ipv6Native": true, "Ipv6CidrBlock": block, "CidrBlock": "10.0.1.0/24"})
            ),
            "InvalidParameterCombination"
        );
        assert_eq!(
            code(serde_json::json!({"VpcId": vpc_id, "Ipv6Native": true, "Ipv6CidrBlock": block})),
            "InvalidSubnet.Conflict"
        );
    }

    #[test]
    fn the_lowest_free_address_fills_gaps_first() {
        let used: BTreeSet<u32> = [4, 5, 7, 100].into_iter().collect();
        assert_eq!(lowest_free(&used, 4, 10), Some(6));
        assert_eq!(lowest_free(&used, 7, 7), None);
        assert_eq!(lowest_free(&BTreeSet::new(), 4, 10), Some(4));
        let full: BTreeSet<u32> = (4..=10).collect();
        assert_eq!(lowest_free(&full, 4, 10), None);
        assert_eq!(lowest_free(&full, 4, 11), Some(11));
        assert_eq!(lowest_free(&used, 99, 101), Some(99));
    }
    use crate::Ec2;

    fn subnet_state(cidr: &str) -> (Ec2State, String) {
        let ctx = RequestContext::for_tests();
        let mut s = Ec2State::default();
        vpcs::ensure_initialized(&mut s, &ctx);
        let vpc =
            vpcs::create_vpc_record(&mut s, &ctx, Ipv4Cidr::parse("10.0.0.0/16").unwrap(), false, "default", None);
        let zone = regions::availability_zones("us-east-1")[0];
        let id = create_subnet_record(&mut s, &ctx, &vpc, Ipv4Cidr::parse(cidr).unwrap(), zone, false);
        (s, id)
    }

    #[test]
    fn allocation_skips_reserved_addresses_and_refuses_bad_wishes() {
        let (mut s, id) = subnet_state("10.0.1.0/28");
        assert_eq!(allocate_ip(&mut s, &id, None).unwrap(), "10.0.1.4");
        assert_eq!(allocate_ip(&mut s, &id, Some("10.0.1.9")).unwrap(), "10.0.1.9");
        assert_eq!(allocate_ip(&mut s, &id, None).unwrap(), "10.0.1.5");
        let code = |s: &mut Ec2State, ip| allocate_ip(s, &id, Some(ip)).unwrap_err().code;
        assert_eq!(code(&mut s, "10.0.1.9"), "InvalidIPAddress.InUse");
        for reserved in ["10.0.1.0", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.15"] {
            assert_eq!(code(&mut s, reserved), "InvalidParameterValue", "{reserved}");
        }
        assert_eq!(code(&mut s, "10.0.2.4"), "InvalidParameterValue");
        assert_eq!(code(&mut s, "10.0.1"), "InvalidParameterValue");
        assert_eq!(allocate_ip(&mut s, "subnet-0000000000000000a", None).unwrap_err().code, "InvalidSubnetID.NotFound");
    }

    #[test]
    fn a_full_subnet_is_refused_until_an_address_is_released() {
        let (mut s, id) = subnet_state("10.0.1.0/28");
        let all: Vec<String> = (0..11).map(|_| allocate_ip(&mut s, &id, None).unwrap()).collect();
        assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 11);
        assert_eq!(describe_one(&s, &id).available_ip_address_count, Some(0));
        assert_eq!(allocate_ip(&mut s, &id, None).unwrap_err().code, "InsufficientFreeAddressesInSubnet");
        release_ip(&mut s, &id, "10.0.1.8");
        assert_eq!(describe_one(&s, &id).available_ip_address_count, Some(1));
        assert_eq!(allocate_ip(&mut s, &id, None).unwrap(), "10.0.1.8");
    }

    /// The search that starts past the addresses known taken (`used_below`) finds what
    /// a search from the block's first usable address finds, whatever was taken and
    /// given back before, wished-for addresses included.
    #[test]
    fn the_lowest_free_address_is_found_from_where_the_taken_ones_end() {
        let mut seed = 14u64;
        let mut below = |n: u32| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % u64::from(n.max(1))) as u32
        };
        let (mut s, id) = subnet_state("10.0.1.0/26");
        let (first, last) = usable_range(Ipv4Cidr::parse("10.0.1.0/26").unwrap());
        for step in 0..5_000 {
            let used = s.subnets[&id].used_ips.clone();
            let expected = lowest_free(&used, first, last).map(|a| Ipv4Addr::from(a).to_string());
            match below(4) {
                0 | 1 => {
                    let got = allocate_ip(&mut s, &id, None).ok();
                    assert_eq!(got, expected, "step {step}");
                }
                2 => {
                    let ip = Ipv4Addr::from(first + below(last - first + 1)).to_string();
                    let _ = allocate_ip(&mut s, &id, Some(&ip));
                }
                _ => {
                    if let Some(&a) = used.iter().nth(below(used.len() as u32) as usize) {
                        release_ip(&mut s, &id, &Ipv4Addr::from(a).to_string());
                    }
                }
            }
        }
    }

    #[test]
    fn several_addresses_are_taken_all_or_none() {
        let (mut s, id) = subnet_state("10.0.1.0/28");
        allocate_ip(&mut s, &id, Some("10.0.1.7")).unwrap();
        let wanted = vec!["10.0.1.5".to_string(), "10.0.1.7".to_string()];
        assert_eq!(allocate_ips(&mut s, &id, &wanted, 2).unwrap_err().code, "InvalidIPAddress.InUse");
        assert_eq!(s.subnets[&id].used_ips.len(), 1, "nothing half-taken");
        assert_eq!(allocate_ips(&mut s, &id, &[], 20).unwrap_err().code, "InsufficientFreeAddressesInSubnet");
        assert_eq!(s.subnets[&id].used_ips.len(), 1);
        let got = allocate_ips(&mut s, &id, &wanted[..1], 2).unwrap();
        assert_eq!(got, vec!["10.0.1.5", "10.0.1.4", "10.0.1.6"]);
    }

    #[test]
    fn a_subnet_with_addresses_in_use_cannot_be_deleted() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let (_, subnet) = network(&ec2, &ctx, "10.0.1.0/24", false);
        assert_eq!(available_ips(&ec2, &ctx, &subnet), 251);
        let eni = call(&ec2, &ctx, "CreateNetworkInterface", json!({"SubnetId": subnet}));
        assert_eq!(available_ips(&ec2, &ctx, &subnet), 250);
        assert_eq!(refused(&ec2, &ctx, "DeleteSubnet", json!({"SubnetId": subnet})), "DependencyViolation");
        let id = eni["NetworkInterface"]["NetworkInterfaceId"].clone();
        call(&ec2, &ctx, "DeleteNetworkInterface", json!({"NetworkInterfaceId": id}));
        assert_eq!(available_ips(&ec2, &ctx, &subnet), 251);
        call(&ec2, &ctx, "DeleteSubnet", json!({"SubnetId": subnet}));
    }
}
