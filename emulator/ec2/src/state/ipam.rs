//! IPAM records: IPAMs with their scopes and default resource discovery, pools with the
//! CIDRs provisioned to them and the allocations made from those, and the address
//! arithmetic that picks the next free block.
//!
//! An IPAM lives in the partition of its home Region, and its pools serve VPCs of that
//! partition (CreateVpc and AssociateVpcCidrBlock with an IPAM pool), which is why the
//! allocation helpers sit here, below both the `ipam` and the `vpc` families.
//!
//! States are derived from what last happened and when (`Progress`) and nimbus's clock,
//! as for Transit Gateway: `create-in-progress` until the transition delay has passed,
//! then `create-complete`; deleted resources are forgotten at once (their delete answer
//! says `delete-in-progress`).

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, TimeDelta, Utc};
use nimbus_core::{ids, ApiError};
use serde::{Deserialize, Serialize};

use crate::generated::dto;
use crate::generated::errors;

/// The step a resource last took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    Create,
    Modify,
}

/// A step and when it began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub step: Step,
    pub since: DateTime<Utc>,
}

impl Progress {
    pub fn new(step: Step, since: DateTime<Utc>) -> Self {
        Progress { step, since }
    }

    /// `create-in-progress`, `create-complete`, `modify-in-progress`, `modify-complete`.
    pub fn shown(&self, delay: TimeDelta, now: DateTime<Utc>) -> String {
        let step = match self.step {
            Step::Create => "create",
            Step::Modify => "modify",
        };
        let phase = if now >= self.since + delay { "complete" } else { "in-progress" };
        format!("{step}-{phase}")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IpamRecord {
    /// Without its state and tags, which are derived when described.
    pub ipam: dto::Ipam,
    pub progress: Progress,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScopeRecord {
    pub scope: dto::IpamScope,
    pub progress: Progress,
}

/// A CIDR provisioned to a pool.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoolCidrRecord {
    pub id: String,
    pub cidr: String,
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoolRecord {
    pub pool: dto::IpamPool,
    pub progress: Progress,
    pub cidrs: Vec<PoolCidrRecord>,
    /// Allocations by allocation id: custom ones, VPCs' CIDRs and child pools' CIDRs.
    pub allocations: BTreeMap<String, dto::IpamPoolAllocation>,
}

impl PoolRecord {
    pub fn ipv6(&self) -> bool {
        self.pool.address_family.as_deref() == Some("ipv6")
    }

    pub fn id(&self) -> &str {
        self.pool.ipam_pool_id.as_deref().unwrap_or_default()
    }

    pub fn provisioned(&self) -> impl Iterator<Item = Block> + '_ {
        self.cidrs.iter().filter_map(|c| Block::parse(&c.cidr))
    }

    pub fn allocated(&self) -> impl Iterator<Item = Block> + '_ {
        self.allocations.values().filter_map(|a| a.cidr.as_deref().and_then(Block::parse))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IpamState {
    pub ipams: BTreeMap<String, IpamRecord>,
    pub scopes: BTreeMap<String, ScopeRecord>,
    pub pools: BTreeMap<String, PoolRecord>,
    /// Each IPAM's default resource discovery and its association, by id.
    pub discoveries: BTreeMap<String, dto::IpamResourceDiscovery>,
    pub discovery_associations: BTreeMap<String, dto::IpamResourceDiscoveryAssociation>,
}

/// An IPv4 or IPv6 block, as IPAM does arithmetic on both alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Block {
    pub v6: bool,
    pub addr: u128,
    pub len: u8,
}

impl Block {
    /// A block in CIDR notation whose address is the network address.
    pub fn parse(s: &str) -> Option<Block> {
        let (addr, len) = s.trim().split_once('/')?;
        let len: u8 = len.parse().ok()?;
        let block = if let Ok(a) = addr.parse::<Ipv4Addr>() {
            Block { v6: false, addr: u128::from(u32::from(a)), len }
        } else {
            Block { v6: true, addr: u128::from(addr.parse::<Ipv6Addr>().ok()?), len }
        };
        (len <= block.bits() && block.addr & block.mask() == block.addr).then_some(block)
    }

    pub fn bits(&self) -> u8 {
        if self.v6 {
            128
        } else {
            32
        }
    }

    fn host_bits(bits: u8, len: u8) -> u32 {
        u32::from(bits - len)
    }

    fn mask(&self) -> u128 {
        let host = Self::host_bits(self.bits(), self.len);
        let all = if self.v6 { u128::MAX } else { u128::from(u32::MAX) };
        if host >= 128 {
            0
        } else {
            all & !((1u128 << host) - 1)
        }
    }

    /// The last address of the block.
    pub fn last(&self) -> u128 {
        let host = Self::host_bits(self.bits(), self.len);
        if host >= 128 {
            u128::MAX
        } else {
            self.addr | ((1u128 << host) - 1)
        }
    }

    pub fn contains(&self, other: &Block) -> bool {
        self.v6 == other.v6 && other.len >= self.len && other.addr & self.mask() == self.addr
    }

    pub fn overlaps(&self, other: &Block) -> bool {
        self.v6 == other.v6 && self.addr <= other.last() && other.addr <= self.last()
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.v6 {
            write!(f, "{}/{}", Ipv6Addr::from(self.addr), self.len)
        } else {
            write!(f, "{}/{}", Ipv4Addr::from(self.addr as u32), self.len)
        }
    }
}

/// The lowest block of prefix length `len` inside one of `within` that overlaps none of
/// `taken`.
pub fn first_free(within: &[Block], taken: &[Block], len: u8) -> Option<Block> {
    let mut within = within.to_vec();
    within.sort();
    for outer in within.iter().filter(|o| o.len <= len) {
        let host = Block::host_bits(outer.bits(), len);
        if host >= 128 {
            // Only a whole /0 fits, and only when nothing is taken from it.
            if !taken.iter().any(|t| t.overlaps(outer)) {
                return Some(*outer);
            }
            continue;
        }
        let size = 1u128 << host;
        let mut candidate = outer.addr;
        loop {
            let block = Block { v6: outer.v6, addr: candidate, len };
            match taken.iter().filter(|t| t.overlaps(&block)).map(Block::last).max() {
                None => return Some(block),
                Some(end) => {
                    // The next aligned start after what is in the way.
                    let Some(next) = end.checked_add(1).and_then(|n| n.checked_add(size - 1)) else { break };
                    candidate = next & !(size - 1);
                    if candidate > outer.last() {
                        break;
                    }
                }
            }
        }
    }
    None
}

/// What asks a pool for a block: a VPC, a child pool or a custom allocation.
pub struct AllocationRequest<'a> {
    pub resource_type: &'a str,
    pub resource_id: Option<&'a str>,
    pub cidr: Option<&'a str>,
    pub netmask_length: Option<i32>,
    pub description: Option<String>,
    pub disallowed: Vec<Block>,
    /// Tags the resource carries, checked against the pool's allocation resource tags.
    pub resource_tags: Option<Vec<(String, String)>>,
}

impl IpamState {
    pub fn pool(&self, id: &str) -> Result<&PoolRecord, ApiError> {
        self.pools.get(id).ok_or_else(|| errors::invalid_ipam_pool_id_not_found(id))
    }

    /// Picks (or checks) a block for `req` in pool `pool_id` without recording it.
    pub fn choose(&self, pool_id: &str, req: &AllocationRequest<'_>) -> Result<Block, ApiError> {
        let pool = self.pool(pool_id)?;
        let bits: u8 = if pool.ipv6() { 128 } else { 32 };
        match (req.cidr, req.netmask_length.or(pool.pool.allocation_default_netmask_length)) {
            (Some(_), Some(_)) if req.netmask_length.is_some() => {
                return Err(errors::invalid_parameter_combination(
                    "The request cannot contain both a CIDR and a Netmask Length. Exactly one of them should be provided.",
                ))
            }
            (None, None) => {
                return Err(errors::invalid_parameter_combination(
                    "The request cannot contain empty CIDR and Netmask Length for a pool with no default allocation netmask length set. Exactly one of them should be provided.",
                ))
            }
            _ => {}
        }
        if let (Some(want), Some(tags)) = (pool.pool.allocation_resource_tags.as_ref(), req.resource_tags.as_ref()) {
            let missing = want
                .iter()
                .any(|w| !tags.iter().any(|(k, v)| Some(k) == w.key.as_ref() && Some(v) == w.value.as_ref()));
            if missing {
                return Err(errors::invalid_parameter_value(
                    "The resource is missing one or more of the resource tags required by the IPAM pool.",
                ));
            }
        }
        let provisioned: Vec<Block> = pool.provisioned().collect();
        let mut taken: Vec<Block> = pool.allocated().collect();
        taken.extend(req.disallowed.iter().copied());
        let min = pool.pool.allocation_min_netmask_length.unwrap_or(0);
        let max = pool.pool.allocation_max_netmask_length.unwrap_or(i32::from(bits));
        let too_big = || errors::invalid_parameter_value("The allocation size is too big for the pool.");
        let too_small = || errors::invalid_parameter_value("The allocation size is too small for the pool.");
        match (req.cidr, req.netmask_length) {
            (Some(cidr), _) => {
                let block = Block::parse(cidr)
                    .filter(|b| b.v6 == pool.ipv6())
                    .ok_or_else(|| errors::invalid_parameter_value(format!("The CIDR {cidr} is invalid.")))?;
                if i32::from(block.len) < min {
                    return Err(too_big());
                }
                if i32::from(block.len) > max {
                    return Err(too_small());
                }
                if !provisioned.iter().any(|p| p.contains(&block)) {
                    return Err(errors::invalid_parameter_value(format!(
                        "The CIDR {cidr} is not within a CIDR provisioned to the pool {pool_id}."
                    )));
                }
                if taken.iter().any(|t| t.overlaps(&block)) {
                    return Err(errors::invalid_parameter_value(format!(
                        "The CIDR {cidr} overlaps a CIDR already allocated in the pool {pool_id}."
                    )));
                }
                Ok(block)
            }
            (None, length) => {
                let len = length.or(pool.pool.allocation_default_netmask_length).unwrap_or_default();
                if !(0..=i32::from(bits)).contains(&len) {
                    return Err(errors::invalid_parameter_value(format!(
                        "The netmask length {len} is invalid: it must be between 0 and {bits}."
                    )));
                }
                if len < min {
                    return Err(too_big());
                }
                if len > max {
                    return Err(too_small());
                }
                first_free(&provisioned, &taken, len as u8).ok_or_else(too_big)
            }
        }
    }

    /// Records an allocation of `block` in `pool_id` and returns it.
    pub fn record(
        &mut self,
        pool_id: &str,
        block: Block,
        req: &AllocationRequest<'_>,
        account: &str,
        region: &str,
    ) -> dto::IpamPoolAllocation {
        let allocation = dto::IpamPoolAllocation {
            cidr: Some(block.to_string()),
            ipam_pool_allocation_id: Some(allocation_id()),
            description: req.description.clone(),
            resource_id: req.resource_id.map(str::to_string),
            resource_type: Some(req.resource_type.to_string()),
            resource_region: req.resource_id.map(|_| region.to_string()),
            resource_owner: Some(account.to_string()),
            ..Default::default()
        };
        if let Some(pool) = self.pools.get_mut(pool_id) {
            let id = allocation.ipam_pool_allocation_id.clone().unwrap_or_default();
            pool.allocations.insert(id, allocation.clone());
        }
        allocation
    }
}

/// `ipam-pool-alloc-` and 32 hex digits, as AWS's allocation ids.
pub fn allocation_id() -> String {
    long_id("ipam-pool-alloc")
}

/// `ipam-pool-cidr-` and 32 hex digits.
pub fn pool_cidr_id() -> String {
    long_id("ipam-pool-cidr")
}

fn long_id(prefix: &str) -> String {
    let a = ids::resource_id(prefix);
    let b = ids::resource_id("x");
    // 17 + 15 hex digits.
    format!("{a}{}", &b[2..17])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Block {
        Block::parse(s).unwrap()
    }

    #[test]
    fn blocks_parse_and_compare_in_both_families() {
        assert!(Block::parse("10.0.0.1/16").is_none());
        assert!(Block::parse("10.0.0.0/33").is_none());
        assert_eq!(b("10.0.0.0/16").to_string(), "10.0.0.0/16");
        assert_eq!(b("2600:1f00::/56").to_string(), "2600:1f00::/56");
        assert!(b("10.0.0.0/8").contains(&b("10.1.0.0/16")));
        assert!(!b("10.0.0.0/8").contains(&b("2600:1f00::/56")));
        assert!(b("10.0.0.0/16").overlaps(&b("10.0.255.0/24")));
        assert!(!b("10.0.0.0/16").overlaps(&b("10.1.0.0/16")));
        assert_eq!(b("0.0.0.0/0").last(), u128::from(u32::MAX));
    }

    #[test]
    fn the_next_free_block_is_the_lowest_aligned_one() {
        let pool = [b("10.0.0.0/16")];
        assert_eq!(first_free(&pool, &[], 24), Some(b("10.0.0.0/24")));
        let taken = [b("10.0.0.0/24"), b("10.0.1.0/25")];
        assert_eq!(first_free(&pool, &taken, 24), Some(b("10.0.2.0/24")));
        assert_eq!(first_free(&pool, &taken, 25), Some(b("10.0.1.128/25")));
        assert_eq!(first_free(&pool, &[b("10.0.0.0/17")], 17), Some(b("10.0.128.0/17")));
        assert_eq!(first_free(&pool, &[b("10.0.0.0/16")], 24), None);
        assert_eq!(first_free(&pool, &[], 15), None);
        let two = [b("10.1.0.0/24"), b("10.0.0.0/24")];
        assert_eq!(first_free(&two, &[b("10.0.0.0/24")], 24), Some(b("10.1.0.0/24")));
        let v6 = [b("2600:1f00::/52")];
        assert_eq!(first_free(&v6, &[b("2600:1f00::/56")], 56), Some(b("2600:1f00:0:100::/56")));
    }

    #[test]
    fn long_ids_have_aws_shape() {
        let id = allocation_id();
        assert!(id.starts_with("ipam-pool-alloc-"));
        assert_eq!(id.len(), "ipam-pool-alloc-".len() + 32);
    }
}
