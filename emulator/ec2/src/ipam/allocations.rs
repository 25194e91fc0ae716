//! Allocations from a pool: custom ones (AllocateIpamPoolCidr, with a preview of the next
//! free block), and the ones VPCs and nested pools hold, all listed by
//! GetIpamPoolAllocations.

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    AllocateIpamPoolCidrRequest, AllocateIpamPoolCidrResult, GetIpamPoolAllocationsRequest,
    GetIpamPoolAllocationsResult, IpamPoolAllocation, ReleaseIpamPoolAllocationRequest,
    ReleaseIpamPoolAllocationResult,
};
use crate::generated::errors;
use crate::state::ipam::{AllocationRequest, Block};
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::Ec2State;

fn blocks(list: Option<&[String]>) -> Result<Vec<Block>, ApiError> {
    list.unwrap_or_default()
        .iter()
        .map(|c| Block::parse(c).ok_or_else(|| errors::invalid_parameter_value(format!("The CIDR {c} is invalid."))))
        .collect()
}

pub fn allocate_ipam_pool_cidr(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AllocateIpamPoolCidrRequest,
) -> Result<AllocateIpamPoolCidrResult, ApiError> {
    let id = input.ipam_pool_id.clone();
    let pool = state.ipam.pool(&id)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "ipam-pool-allocation")?;
    let mut disallowed = blocks(input.disallowed_cidrs.as_deref())?;
    let allowed = blocks(input.allowed_cidrs.as_deref())?;
    if !allowed.is_empty() {
        // What lies outside every allowed block is as good as disallowed.
        let outside = pool.provisioned().flat_map(|p| outside_of(p, &allowed)).collect::<Vec<_>>();
        disallowed.extend(outside);
    }
    let req = AllocationRequest {
        resource_type: "custom",
        resource_id: None,
        cidr: input.cidr.as_deref(),
        netmask_length: input.netmask_length,
        description: input.description.clone(),
        disallowed,
        resource_tags: None,
    };
    let block = state.ipam.choose(&id, &req)?;
    if input.preview_next_cidr == Some(true) {
        let preview = IpamPoolAllocation { cidr: Some(block.to_string()), ..Default::default() };
        return Ok(AllocateIpamPoolCidrResult { ipam_pool_allocation: Some(preview) });
    }
    let mut allocation = state.ipam.record(&id, block, &req, ctx.account(), &ctx.region);
    let allocation_id = allocation.ipam_pool_allocation_id.clone().unwrap_or_default();
    state.set_tags(&allocation_id, tags);
    allocation.tags = state.dto_tags_if_any(&allocation_id);
    Ok(AllocateIpamPoolCidrResult { ipam_pool_allocation: Some(allocation) })
}

/// The parts of `block` that no block of `allowed` covers, as blocks (halving down to the
/// allowed blocks' sizes).
fn outside_of(block: Block, allowed: &[Block]) -> Vec<Block> {
    if allowed.iter().any(|a| a.contains(&block)) {
        return Vec::new();
    }
    if !allowed.iter().any(|a| a.overlaps(&block)) || block.len >= block.bits() {
        return vec![block];
    }
    let len = block.len + 1;
    let half = 1u128 << (u32::from(block.bits()) - u32::from(len));
    let lower = Block { len, ..block };
    let upper = Block { addr: block.addr + half, len, ..block };
    let mut out = outside_of(lower, allowed);
    out.extend(outside_of(upper, allowed));
    out
}

pub fn release_ipam_pool_allocation(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ReleaseIpamPoolAllocationRequest,
) -> Result<ReleaseIpamPoolAllocationResult, ApiError> {
    let pool = state.ipam.pool(&input.ipam_pool_id)?;
    let Some(allocation) = pool.allocations.get(&input.ipam_pool_allocation_id) else {
        return Err(errors::invalid_ipam_pool_allocation_id_not_found(&input.ipam_pool_allocation_id));
    };
    if Block::parse(&input.cidr).is_none()
        || allocation.cidr.as_deref().and_then(Block::parse) != Block::parse(&input.cidr)
    {
        return Err(errors::invalid_parameter_combination(format!(
            "No allocation found for allocation ID {} and CIDR {}.",
            input.ipam_pool_allocation_id, input.cidr
        )));
    }
    if allocation.resource_type.as_deref() != Some("custom") {
        return Err(errors::invalid_parameter_value(format!(
            "The allocation {} belongs to {} and is released with it.",
            input.ipam_pool_allocation_id,
            allocation.resource_id.as_deref().unwrap_or_default()
        )));
    }
    let pool = state.ipam.pools.get_mut(&input.ipam_pool_id).expect("checked above");
    pool.allocations.remove(&input.ipam_pool_allocation_id);
    state.forget(&input.ipam_pool_allocation_id);
    Ok(ReleaseIpamPoolAllocationResult { success: Some(true) })
}

impl Filterable for IpamPoolAllocation {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect();
        Some(match name {
            "cidr" => one(&self.cidr),
            "ipam-pool-allocation-id" => one(&self.ipam_pool_allocation_id),
            "resource-id" => one(&self.resource_id),
            "resource-type" => one(&self.resource_type),
            "resource-owner" => one(&self.resource_owner),
            "description" => one(&self.description),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn get_ipam_pool_allocations(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: GetIpamPoolAllocationsRequest,
) -> Result<GetIpamPoolAllocationsResult, ApiError> {
    let pool = state.ipam.pool(&input.ipam_pool_id)?;
    let one = input.ipam_pool_allocation_id.as_deref();
    if let Some(id) = one.filter(|id| !pool.allocations.contains_key(*id)) {
        return Err(errors::invalid_ipam_pool_allocation_id_not_found(id));
    }
    let all = pool
        .allocations
        .iter()
        .filter(|(id, _)| one.is_none_or(|o| o == id.as_str()))
        .map(|(id, a)| IpamPoolAllocation { tags: state.dto_tags_if_any(id), ..a.clone() });
    let items = filtered(all, input.filters.as_deref())?;
    let (allocations, next_token) =
        paginate(items, |a| a.ipam_pool_allocation_id.clone().unwrap_or_default(), input.page(), one.is_some())?;
    Ok(GetIpamPoolAllocationsResult { ipam_pool_allocations: Some(allocations), next_token })
}
