//! VPC CIDR blocks drawn from IPAM pools (CreateVpc and AssociateVpcCidrBlock with an
//! `Ipv4IpamPoolId` or `Ipv6IpamPoolId`): the pool picks or checks the block, and the
//! allocation it records names the VPC until the block leaves the VPC.

use nimbus_core::{ApiError, RequestContext};

use crate::generated::errors;
use crate::state::ipam::{AllocationRequest, Block};
use crate::state::params::invalid_value;
use crate::state::Ec2State;

/// A block a pool has agreed to give, before the VPC that takes it is recorded.
pub struct Draw {
    pub pool_id: String,
    pub block: Block,
}

/// Picks (or checks) a block of the wanted family from `pool_id` for a VPC of this
/// Region carrying `tags`.
pub fn draw(
    state: &Ec2State,
    ctx: &RequestContext,
    pool_id: &str,
    cidr: Option<&str>,
    netmask_length: Option<i32>,
    v6: bool,
    tags: &[(String, String)],
) -> Result<Draw, ApiError> {
    let pool = state.ipam.pool(pool_id)?;
    if pool.ipv6() != v6 {
        let family = if v6 { "IPv6" } else { "IPv4" };
        return Err(invalid_value(
            if v6 { "Ipv6IpamPoolId" } else { "Ipv4IpamPoolId" },
            pool_id,
            &format!("The pool is not an {family} pool."),
        ));
    }
    if let Some(locale) = pool.pool.locale.as_deref().filter(|l| *l != "None" && *l != ctx.region) {
        return Err(errors::invalid_parameter_value(format!(
            "The locale of the IPAM pool {pool_id} ({locale}) does not match the Region of the VPC ({}).",
            ctx.region
        )));
    }
    let req = request(cidr, netmask_length, Some(tags.to_vec()));
    let block = state.ipam.choose(pool_id, &req)?;
    Ok(Draw { pool_id: pool_id.to_string(), block })
}

fn request(
    cidr: Option<&str>,
    netmask_length: Option<i32>,
    tags: Option<Vec<(String, String)>>,
) -> AllocationRequest<'_> {
    AllocationRequest {
        resource_type: "vpc",
        resource_id: None,
        cidr,
        netmask_length,
        description: None,
        disallowed: Vec::new(),
        resource_tags: tags,
    }
}

/// Records the drawn block as the VPC's allocation.
pub fn keep(state: &mut Ec2State, ctx: &RequestContext, draw: &Draw, vpc_id: &str) {
    let cidr = draw.block.to_string();
    let mut req = request(Some(&cidr), None, None);
    req.resource_id = Some(vpc_id);
    state.ipam.record(&draw.pool_id, draw.block, &req, ctx.account(), &ctx.region);
}

/// Releases what the VPC holds of IPAM pools: one block, or all of them.
pub fn release(state: &mut Ec2State, vpc_id: &str, cidr: Option<&str>) {
    for pool in state.ipam.pools.values_mut() {
        pool.allocations.retain(|_, a| {
            let mine = a.resource_type.as_deref() == Some("vpc") && a.resource_id.as_deref() == Some(vpc_id);
            let block = a.cidr.as_deref().and_then(Block::parse);
            !(mine && cidr.is_none_or(|c| Block::parse(c) == block))
        });
    }
}
