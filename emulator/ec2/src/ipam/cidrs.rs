//! The CIDRs provisioned to a pool: a top-level pool's are given outright (BYOIP ones
//! with an authorization context), a nested pool's are allocated from its source pool,
//! and an Amazon-provided public IPv6 pool's come from Amazon's range.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::delay;
use crate::generated::dto::{
    DeprovisionIpamPoolCidrRequest, DeprovisionIpamPoolCidrResult, GetIpamPoolCidrsRequest, GetIpamPoolCidrsResult,
    IpamPoolCidr, ProvisionIpamPoolCidrRequest, ProvisionIpamPoolCidrResult,
};
use crate::generated::errors;
use crate::state::ipam::{pool_cidr_id, AllocationRequest, Block, PoolCidrRecord};
use crate::state::support::{filtered, paginate};
use crate::state::Ec2State;

/// Amazon's IPv6 range that Amazon-provided blocks come from.
const AMAZON_IPV6: &str = "2600:1f00::/24";

fn amazon_block(state: &Ec2State, len: u8) -> Option<Block> {
    let range = Block::parse(AMAZON_IPV6)?;
    if len < range.len || len > 128 {
        return None;
    }
    let taken: Vec<Block> = state.ipam.pools.values().flat_map(|p| p.provisioned().collect::<Vec<_>>()).collect();
    for _ in 0..64 {
        let span = u32::from(len - range.len).min(64);
        let pick = u128::from(ids::random_u64()) & ((1u128 << span) - 1);
        let addr = range.addr | (pick << (128 - u32::from(len)));
        let block = Block { v6: true, addr, len };
        if !taken.iter().any(|t| t.overlaps(&block)) {
            return Some(block);
        }
    }
    None
}

fn shown(record: &PoolCidrRecord, provisioned: bool) -> IpamPoolCidr {
    let block = Block::parse(&record.cidr);
    IpamPoolCidr {
        cidr: Some(record.cidr.clone()),
        state: Some(if provisioned { "provisioned" } else { "pending-provision" }.into()),
        ipam_pool_cidr_id: Some(record.id.clone()),
        netmask_length: block.map(|b| i32::from(b.len)),
        ..Default::default()
    }
}

pub fn provision_ipam_pool_cidr(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ProvisionIpamPoolCidrRequest,
) -> Result<ProvisionIpamPoolCidrResult, ApiError> {
    let id = input.ipam_pool_id.clone();
    let pool = state.ipam.pool(&id)?;
    let (ipv6, source) = (pool.ipv6(), pool.pool.source_ipam_pool_id.clone());
    let public = pool.pool.ipam_scope_type.as_deref() == Some("public");
    let amazon = public && pool.pool.public_ip_source.as_deref() == Some("amazon");
    if input.cidr.is_some() && input.netmask_length.is_some() {
        return Err(errors::invalid_parameter_combination(
            "The request cannot contain both a CIDR and a Netmask Length. Exactly one of them should be provided.",
        ));
    }
    let block = if let Some(parent) = source.as_deref() {
        let req = AllocationRequest {
            resource_type: "ipam-pool",
            resource_id: Some(&id),
            cidr: input.cidr.as_deref(),
            netmask_length: input.netmask_length,
            description: None,
            disallowed: Vec::new(),
            resource_tags: None,
        };
        let block = state.ipam.choose(parent, &req)?;
        state.ipam.record(parent, block, &req, ctx.account(), &ctx.region);
        block
    } else if amazon {
        let len = input.netmask_length.ok_or_else(|| {
            errors::invalid_parameter_combination(
                "An Amazon-provided pool is provisioned by NetmaskLength, not by CIDR.",
            )
        })?;
        u8::try_from(len).ok().and_then(|l| amazon_block(state, l)).ok_or_else(|| {
            errors::invalid_parameter_value(format!("The netmask length {len} is invalid for this pool."))
        })?
    } else {
        let Some(cidr) = input.cidr.as_deref() else {
            return Err(errors::invalid_parameter_combination(
                "The request must contain a CIDR for a pool that has no source pool.",
            ));
        };
        if public && input.cidr_authorization_context.is_none() {
            return Err(errors::invalid_parameter_combination(
                "The request must contain a CIDR Authorization Context.",
            ));
        }
        let block = Block::parse(cidr)
            .filter(|b| b.v6 == ipv6)
            .ok_or_else(|| errors::invalid_parameter_value(format!("The CIDR {cidr} is invalid for this pool.")))?;
        if let Some(clash) = state.ipam.pool(&id)?.provisioned().find(|p| p.overlaps(&block)) {
            return Err(errors::invalid_parameter_value(format!(
                "The CIDR {block} overlaps the CIDR {clash} already provisioned to the pool."
            )));
        }
        block
    };
    let record = PoolCidrRecord { id: pool_cidr_id(), cidr: block.to_string(), since: ctx.now };
    let answer = shown(&record, false);
    state.ipam.pools.get_mut(&id).expect("checked above").cidrs.push(record);
    Ok(ProvisionIpamPoolCidrResult { ipam_pool_cidr: Some(answer) })
}

pub fn deprovision_ipam_pool_cidr(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeprovisionIpamPoolCidrRequest,
) -> Result<DeprovisionIpamPoolCidrResult, ApiError> {
    let id = input.ipam_pool_id.clone();
    let pool = state.ipam.pool(&id)?;
    let Some(cidr) = input.cidr.as_deref() else { return Err(errors::missing_parameter("Cidr")) };
    let Some(position) = pool.cidrs.iter().position(|c| Block::parse(&c.cidr) == Block::parse(cidr)) else {
        return Err(errors::invalid_parameter_value(format!("The CIDR {cidr} is not provisioned to the pool {id}.")));
    };
    let block = Block::parse(&pool.cidrs[position].cidr);
    if let Some(a) = pool.allocated().find(|a| block.is_some_and(|b| b.contains(a))) {
        return Err(errors::incorrect_state(format!(
            "The CIDR {cidr} has allocations ({a}). Release them before deprovisioning the CIDR."
        )));
    }
    let source = pool.pool.source_ipam_pool_id.clone();
    let record = state.ipam.pools.get_mut(&id).expect("checked above").cidrs.remove(position);
    if let Some(parent) = source.and_then(|p| state.ipam.pools.get_mut(&p)) {
        parent.allocations.retain(|_, a| {
            !(a.resource_id.as_deref() == Some(id.as_str()) && a.cidr.as_deref() == Some(record.cidr.as_str()))
        });
    }
    let mut answer = shown(&record, true);
    answer.state = Some("pending-deprovision".into());
    Ok(DeprovisionIpamPoolCidrResult { ipam_pool_cidr: Some(answer) })
}

impl Filterable for IpamPoolCidr {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect();
        Some(match name {
            "cidr" => one(&self.cidr),
            "ipam-pool-cidr-id" => one(&self.ipam_pool_cidr_id),
            "state" => one(&self.state),
            _ => return None,
        })
    }
}

pub fn get_ipam_pool_cidrs(
    state: &Ec2State,
    ctx: &RequestContext,
    input: GetIpamPoolCidrsRequest,
) -> Result<GetIpamPoolCidrsResult, ApiError> {
    let pool = state.ipam.pool(&input.ipam_pool_id)?;
    let all = pool.cidrs.iter().map(|c| shown(c, ctx.now >= c.since + delay(state)));
    let items = filtered(all, input.filters.as_deref())?;
    let (cidrs, next_token) =
        paginate(items, |c| c.ipam_pool_cidr_id.clone().unwrap_or_default(), input.page(), false)?;
    Ok(GetIpamPoolCidrsResult { ipam_pool_cidrs: Some(cidrs), next_token })
}
