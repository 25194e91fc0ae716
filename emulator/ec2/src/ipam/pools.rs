//! IPAM pools: top-level pools of a scope and pools nested in a source pool, IPv4 or
//! IPv6, with a locale (an operating Region of the IPAM), allocation rules (netmask
//! lengths, required resource tags) and, in the public scope, Amazon-provided IPv6.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::{arn, delay, ipams, scopes};
use crate::generated::dto::{
    CreateIpamPoolRequest, CreateIpamPoolResult, DeleteIpamPoolRequest, DeleteIpamPoolResult, DescribeIpamPoolsRequest,
    DescribeIpamPoolsResult, IpamPool, IpamResourceTag, ModifyIpamPoolRequest, ModifyIpamPoolResult,
    RequestIpamResourceTag,
};
use crate::generated::{enums, errors};
use crate::state::ipam::{PoolRecord, Progress, Step};
use crate::state::params::{invalid_value, one_of};
use crate::state::support::{describe_page, spec_tags, tag_pairs};
use crate::state::Ec2State;

/// AWS's limit on how deep pools nest.
const MAX_DEPTH: i32 = 10;

fn resource_tags(tags: Option<&[RequestIpamResourceTag]>) -> Vec<IpamResourceTag> {
    tags.unwrap_or_default().iter().map(|t| IpamResourceTag { key: t.key.clone(), value: t.value.clone() }).collect()
}

/// Netmask lengths must lie within the family's range and in order: min <= default <= max.
fn check_lengths(bits: i32, min: Option<i32>, default: Option<i32>, max: Option<i32>) -> Result<(), ApiError> {
    for (name, v) in [
        ("AllocationMinNetmaskLength", min),
        ("AllocationDefaultNetmaskLength", default),
        ("AllocationMaxNetmaskLength", max),
    ] {
        if let Some(v) = v.filter(|v| !(0..=bits).contains(v)) {
            return Err(invalid_value(name, v, &format!("It must be between 0 and {bits}.")));
        }
    }
    let (lo, hi) = (min.unwrap_or(0), max.unwrap_or(bits));
    if lo > hi || default.is_some_and(|d| d < lo || d > hi) {
        return Err(errors::invalid_parameter_combination(
            "The allocation netmask lengths must satisfy minimum <= default <= maximum.",
        ));
    }
    Ok(())
}

pub fn create_ipam_pool(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateIpamPoolRequest,
) -> Result<CreateIpamPoolResult, ApiError> {
    let scope = scopes::get(state, &input.ipam_scope_id)?.scope.clone();
    one_of("AddressFamily", &input.address_family, enums::ADDRESS_FAMILY)?;
    let ipv6 = input.address_family == "ipv6";
    let ipam_id = scope.ipam_arn.as_deref().and_then(|a| a.rsplit('/').next()).unwrap_or_default().to_string();
    let ipam = ipams::get(state, &ipam_id)?.ipam.clone();
    let locale = input.locale.clone().filter(|l| l != "None");
    if let Some(l) = &locale {
        let operating = ipam.operating_regions.iter().flatten().any(|r| r.region_name.as_ref() == Some(l));
        if !operating {
            return Err(invalid_value("Locale", l, "The locale must be one of the IPAM's operating Regions."));
        }
    }
    let public = scope.ipam_scope_type.as_deref() == Some("public");
    if input.publicly_advertisable.is_some() && !ipv6 {
        return Err(errors::invalid_parameter_combination("PubliclyAdvertisable is only valid for IPv6 pools."));
    }
    if let Some(s) = input.aws_service.as_deref() {
        one_of("AwsService", s, enums::IPAM_POOL_AWS_SERVICE)?;
    }
    if let Some(s) = input.public_ip_source.as_deref() {
        one_of("PublicIpSource", s, enums::IPAM_POOL_PUBLIC_IP_SOURCE)?;
        if !public {
            return Err(errors::invalid_parameter_combination(
                "PublicIpSource is only valid for pools in a public scope.",
            ));
        }
    }
    if input.source_resource.is_some() {
        return Err(errors::invalid_parameter_value(
            "Pools sourced from a resource (a VPC) are not available in nimbus.",
        ));
    }
    let bits = if ipv6 { 128 } else { 32 };
    check_lengths(
        bits,
        input.allocation_min_netmask_length,
        input.allocation_default_netmask_length,
        input.allocation_max_netmask_length,
    )?;
    let mut depth = 1;
    if let Some(source_id) = input.source_ipam_pool_id.as_deref() {
        let source = state.ipam.pool(source_id)?;
        if source.pool.ipam_scope_arn != scope.ipam_scope_arn {
            return Err(errors::invalid_parameter_combination(
                "The source pool must be in the same scope as the pool.",
            ));
        }
        if source.ipv6() != ipv6 {
            return Err(errors::invalid_parameter_combination(
                "The source pool must have the same address family as the pool.",
            ));
        }
        if let (Some(mine), Some(theirs)) = (&locale, source.pool.locale.as_ref().filter(|l| *l != "None")) {
            if mine != theirs {
                return Err(errors::invalid_parameter_combination(
                    "The locale of the pool must match the locale of its source pool.",
                ));
            }
        }
        depth = source.pool.pool_depth.unwrap_or(1) + 1;
        if depth > MAX_DEPTH {
            return Err(errors::invalid_parameter_value(format!("Pools cannot be nested more than {MAX_DEPTH} deep.")));
        }
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "ipam-pool")?;
    let id = ids::resource_id("ipam-pool");
    let pool = IpamPool {
        owner_id: Some(ctx.account().to_string()),
        ipam_pool_id: Some(id.clone()),
        source_ipam_pool_id: input.source_ipam_pool_id,
        ipam_pool_arn: Some(arn(ctx, "ipam-pool", &id)),
        ipam_scope_arn: scope.ipam_scope_arn,
        ipam_scope_type: scope.ipam_scope_type,
        ipam_arn: ipam.ipam_arn,
        ipam_region: ipam.ipam_region,
        locale: Some(locale.unwrap_or_else(|| "None".into())),
        pool_depth: Some(depth),
        description: input.description,
        auto_import: Some(input.auto_import.unwrap_or(false)),
        publicly_advertisable: ipv6.then(|| input.publicly_advertisable.unwrap_or(false)),
        address_family: Some(input.address_family),
        allocation_min_netmask_length: input.allocation_min_netmask_length,
        allocation_max_netmask_length: input.allocation_max_netmask_length,
        allocation_default_netmask_length: input.allocation_default_netmask_length,
        allocation_resource_tags: Some(resource_tags(input.allocation_resource_tags.as_deref())),
        aws_service: input.aws_service,
        public_ip_source: public.then(|| input.public_ip_source.unwrap_or_else(|| "byoip".into())),
        ..Default::default()
    };
    let record = PoolRecord {
        pool,
        progress: Progress::new(Step::Create, ctx.now),
        cidrs: Vec::new(),
        allocations: Default::default(),
    };
    state.ipam.pools.insert(id.clone(), record);
    state.set_tags(&id, tags);
    let mut shown = describe_one(state, ctx, &id);
    shown.state = Some("create-in-progress".into());
    Ok(CreateIpamPoolResult { ipam_pool: Some(shown) })
}

pub(super) fn describe_one(state: &Ec2State, ctx: &RequestContext, id: &str) -> IpamPool {
    let Some(rec) = state.ipam.pools.get(id) else { return IpamPool::default() };
    let mut pool = rec.pool.clone();
    pool.state = Some(rec.progress.shown(delay(state), ctx.now));
    pool.tags = state.dto_tags(id);
    pool
}

impl Filterable for IpamPool {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect();
        let flag = |v: Option<bool>| v.iter().map(bool::to_string).collect();
        Some(match name {
            "ipam-pool-id" => one(&self.ipam_pool_id),
            "ipam-scope-arn" => one(&self.ipam_scope_arn),
            "ipam-scope-type" => one(&self.ipam_scope_type),
            "ipam-arn" => one(&self.ipam_arn),
            "source-ipam-pool-id" => one(&self.source_ipam_pool_id),
            "address-family" => one(&self.address_family),
            "locale" => one(&self.locale),
            "state" => one(&self.state),
            "description" => one(&self.description),
            "owner-id" => one(&self.owner_id),
            "aws-service" => one(&self.aws_service),
            "auto-import" => flag(self.auto_import),
            "publicly-advertisable" => flag(self.publicly_advertisable),
            "pool-depth" => self.pool_depth.iter().map(i32::to_string).collect(),
            "allocation-resource-tag-key" => {
                self.allocation_resource_tags.iter().flatten().filter_map(|t| t.key.clone()).collect()
            }
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_ipam_pools(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeIpamPoolsRequest,
) -> Result<DescribeIpamPoolsResult, ApiError> {
    let all = state.ipam.pools.keys().map(|id| describe_one(state, ctx, id));
    let (pools, next_token) = describe_page(
        &input.ipam_pool_ids.clone().unwrap_or_default(),
        |id: &str| state.ipam.pools.contains_key(id),
        errors::invalid_ipam_pool_id_not_found,
        all,
        |p| p.ipam_pool_id.clone().unwrap_or_default(),
        input.filters.as_deref(),
        input.page(),
    )?;
    Ok(DescribeIpamPoolsResult { ipam_pools: Some(pools), next_token })
}

pub fn modify_ipam_pool(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyIpamPoolRequest,
) -> Result<ModifyIpamPoolResult, ApiError> {
    let rec = state.ipam.pool(&input.ipam_pool_id)?;
    let changes = input.description.is_some()
        || input.auto_import.is_some()
        || input.allocation_min_netmask_length.is_some()
        || input.allocation_max_netmask_length.is_some()
        || input.allocation_default_netmask_length.is_some()
        || input.clear_allocation_default_netmask_length == Some(true)
        || input.add_allocation_resource_tags.is_some()
        || input.remove_allocation_resource_tags.is_some();
    if !changes {
        return Err(errors::invalid_parameter_combination("The request must contain a modification to the ipam pool"));
    }
    if input.clear_allocation_default_netmask_length == Some(true) && input.allocation_default_netmask_length.is_some()
    {
        return Err(errors::invalid_parameter_combination(
            "ClearAllocationDefaultNetmaskLength cannot be combined with AllocationDefaultNetmaskLength.",
        ));
    }
    let p = &rec.pool;
    let min = input.allocation_min_netmask_length.or(p.allocation_min_netmask_length);
    let max = input.allocation_max_netmask_length.or(p.allocation_max_netmask_length);
    let default = if input.clear_allocation_default_netmask_length == Some(true) {
        None
    } else {
        input.allocation_default_netmask_length.or(p.allocation_default_netmask_length)
    };
    check_lengths(if rec.ipv6() { 128 } else { 32 }, min, default, max)?;
    let rec = state.ipam.pools.get_mut(&input.ipam_pool_id).expect("checked above");
    let pool = &mut rec.pool;
    if let Some(d) = input.description {
        pool.description = Some(d);
    }
    if let Some(a) = input.auto_import {
        pool.auto_import = Some(a);
    }
    (pool.allocation_min_netmask_length, pool.allocation_max_netmask_length) = (min, max);
    pool.allocation_default_netmask_length = default;
    let mut tags = pool.allocation_resource_tags.take().unwrap_or_default();
    for add in resource_tags(input.add_allocation_resource_tags.as_deref()) {
        if !tags.contains(&add) {
            tags.push(add);
        }
    }
    let remove = resource_tags(input.remove_allocation_resource_tags.as_deref());
    tags.retain(|t| !remove.contains(t));
    pool.allocation_resource_tags = Some(tags);
    rec.progress = Progress::new(Step::Modify, ctx.now);
    let mut shown = describe_one(state, ctx, &input.ipam_pool_id);
    shown.state = Some("modify-in-progress".into());
    Ok(ModifyIpamPoolResult { ipam_pool: Some(shown) })
}

pub fn delete_ipam_pool(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteIpamPoolRequest,
) -> Result<DeleteIpamPoolResult, ApiError> {
    let id = input.ipam_pool_id.clone();
    let rec = state.ipam.pool(&id)?;
    if let Some(child) = state.ipam.pools.values().find(|p| p.pool.source_ipam_pool_id.as_deref() == Some(id.as_str()))
    {
        return Err(errors::incorrect_state(format!(
            "The pool {id} is the source of pool {}. Delete that pool first.",
            child.id()
        )));
    }
    let in_use = rec.allocations.values().find(|a| a.resource_type.as_deref() != Some("custom"));
    if let Some(a) = in_use {
        return Err(errors::incorrect_state(format!(
            "The pool {id} has an allocation for {}. Release it before deleting the pool.",
            a.resource_id.as_deref().unwrap_or_default()
        )));
    }
    if input.cascade != Some(true) && (!rec.cidrs.is_empty() || !rec.allocations.is_empty()) {
        return Err(errors::incorrect_state(format!(
            "The pool {id} has provisioned CIDRs or allocations. Deprovision them first, or use Cascade."
        )));
    }
    let mut shown = describe_one(state, ctx, &id);
    shown.state = Some("delete-in-progress".into());
    let rec = state.ipam.pools.remove(&id).expect("checked above");
    if let Some(parent) = rec.pool.source_ipam_pool_id.as_deref().and_then(|p| state.ipam.pools.get_mut(p)) {
        parent.allocations.retain(|_, a| a.resource_id.as_deref() != Some(id.as_str()));
    }
    for a in rec.allocations.keys() {
        state.forget(a);
    }
    state.forget(&id);
    Ok(DeleteIpamPoolResult { ipam_pool: Some(shown) })
}
