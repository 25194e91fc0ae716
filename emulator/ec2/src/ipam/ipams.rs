//! IPAMs: creation with a public and a private default scope and a default resource
//! discovery associated with it; operating Regions; the tier; deletion (with `Cascade`,
//! of everything the IPAM holds).

use nimbus_core::filter::Filterable;
use nimbus_core::regions;
use nimbus_core::{ids, ApiError, RequestContext};

use super::{arn, delay};
use crate::generated::dto::{
    AddIpamOperatingRegion, CreateIpamRequest, CreateIpamResult, DeleteIpamRequest, DeleteIpamResult,
    DescribeIpamResourceDiscoveriesRequest, DescribeIpamResourceDiscoveriesResult,
    DescribeIpamResourceDiscoveryAssociationsRequest, DescribeIpamResourceDiscoveryAssociationsResult,
    DescribeIpamsRequest, DescribeIpamsResult, Ipam, IpamOperatingRegion, IpamResourceDiscovery,
    IpamResourceDiscoveryAssociation, IpamScope, ModifyIpamRequest, ModifyIpamResult,
};
use crate::generated::{enums, errors};
use crate::state::ipam::{IpamRecord, Progress, ScopeRecord, Step};
use crate::state::params::{invalid_value, one_of};
use crate::state::support::{describe_page, spec_tags, tag_pairs};
use crate::state::Ec2State;

fn regions_of(list: Option<&[AddIpamOperatingRegion]>) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for r in list.unwrap_or_default() {
        let name = r.region_name.clone().unwrap_or_default();
        if !regions::is_known(&name) {
            return Err(invalid_value("OperatingRegions", &name, "The Region is not a valid AWS Region."));
        }
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

fn operating(names: &[String]) -> Option<Vec<IpamOperatingRegion>> {
    Some(names.iter().map(|n| IpamOperatingRegion { region_name: Some(n.clone()) }).collect())
}

pub(super) fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a IpamRecord, ApiError> {
    state.ipam.ipams.get(id).ok_or_else(|| errors::invalid_ipam_id_not_found(id))
}

fn new_scope(state: &mut Ec2State, ctx: &RequestContext, ipam: &Ipam, kind: &str) -> String {
    let id = ids::resource_id("ipam-scope");
    let scope = IpamScope {
        owner_id: Some(ctx.account().to_string()),
        ipam_scope_id: Some(id.clone()),
        ipam_scope_arn: Some(arn(ctx, "ipam-scope", &id)),
        ipam_arn: ipam.ipam_arn.clone(),
        ipam_region: ipam.ipam_region.clone(),
        ipam_scope_type: Some(kind.to_string()),
        is_default: Some(true),
        pool_count: Some(0),
        ..Default::default()
    };
    state.ipam.scopes.insert(id.clone(), ScopeRecord { scope, progress: Progress::new(Step::Create, ctx.now) });
    id
}

pub fn create_ipam(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateIpamRequest,
) -> Result<CreateIpamResult, ApiError> {
    let tier = input.tier.clone().unwrap_or_else(|| "advanced".into());
    one_of("Tier", &tier, enums::IPAM_TIER)?;
    if let Some(m) = input.metered_account.as_deref() {
        one_of("MeteredAccount", m, enums::IPAM_METERED_ACCOUNT)?;
    }
    let mut names = regions_of(input.operating_regions.as_deref())?;
    if !names.contains(&ctx.region) {
        names.insert(0, ctx.region.clone());
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "ipam")?;
    let id = ids::resource_id("ipam");
    let mut ipam = Ipam {
        owner_id: Some(ctx.account().to_string()),
        ipam_id: Some(id.clone()),
        ipam_arn: Some(arn(ctx, "ipam", &id)),
        ipam_region: Some(ctx.region.clone()),
        description: input.description.clone(),
        operating_regions: operating(&names),
        tier: Some(tier),
        enable_private_gua: Some(input.enable_private_gua.unwrap_or(false)),
        metered_account: Some(input.metered_account.clone().unwrap_or_else(|| "ipam-owner".into())),
        scope_count: Some(2),
        resource_discovery_association_count: Some(1),
        ..Default::default()
    };
    ipam.public_default_scope_id = Some(new_scope(state, ctx, &ipam, "public"));
    ipam.private_default_scope_id = Some(new_scope(state, ctx, &ipam, "private"));
    let discovery_id = ids::resource_id("ipam-res-disco");
    let association_id = ids::resource_id("ipam-res-disco-assoc");
    state.ipam.discoveries.insert(
        discovery_id.clone(),
        IpamResourceDiscovery {
            owner_id: Some(ctx.account().to_string()),
            ipam_resource_discovery_id: Some(discovery_id.clone()),
            ipam_resource_discovery_arn: Some(arn(ctx, "ipam-resource-discovery", &discovery_id)),
            ipam_resource_discovery_region: Some(ctx.region.clone()),
            operating_regions: operating(&names),
            is_default: Some(true),
            state: Some("create-complete".into()),
            ..Default::default()
        },
    );
    state.ipam.discovery_associations.insert(
        association_id.clone(),
        IpamResourceDiscoveryAssociation {
            owner_id: Some(ctx.account().to_string()),
            ipam_resource_discovery_association_id: Some(association_id.clone()),
            ipam_resource_discovery_association_arn: Some(arn(
                ctx,
                "ipam-resource-discovery-association",
                &association_id,
            )),
            ipam_resource_discovery_id: Some(discovery_id.clone()),
            ipam_id: Some(id.clone()),
            ipam_arn: ipam.ipam_arn.clone(),
            ipam_region: Some(ctx.region.clone()),
            is_default: Some(true),
            resource_discovery_status: Some("active".into()),
            state: Some("associate-complete".into()),
            ..Default::default()
        },
    );
    ipam.default_resource_discovery_id = Some(discovery_id);
    ipam.default_resource_discovery_association_id = Some(association_id);
    state.ipam.ipams.insert(id.clone(), IpamRecord { ipam, progress: Progress::new(Step::Create, ctx.now) });
    state.set_tags(&id, tags);
    let mut shown = describe_one(state, ctx, &id);
    shown.state = Some("create-in-progress".into());
    Ok(CreateIpamResult { ipam: Some(shown) })
}

pub(super) fn describe_one(state: &Ec2State, ctx: &RequestContext, id: &str) -> Ipam {
    let Some(rec) = state.ipam.ipams.get(id) else { return Ipam::default() };
    let mut ipam = rec.ipam.clone();
    ipam.state = Some(rec.progress.shown(delay(state), ctx.now));
    ipam.scope_count = Some(
        state.ipam.scopes.values().filter(|s| s.scope.ipam_arn == ipam.ipam_arn).count().try_into().unwrap_or(i32::MAX),
    );
    ipam.tags = state.dto_tags(id);
    ipam
}

impl Filterable for Ipam {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect();
        Some(match name {
            "ipam-id" => one(&self.ipam_id),
            "ipam-region" => one(&self.ipam_region),
            "owner-id" => one(&self.owner_id),
            "description" => one(&self.description),
            "state" => one(&self.state),
            "tier" => one(&self.tier),
            "operating-region" => {
                self.operating_regions.iter().flatten().filter_map(|r| r.region_name.clone()).collect()
            }
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_ipams(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeIpamsRequest,
) -> Result<DescribeIpamsResult, ApiError> {
    let all = state.ipam.ipams.keys().map(|id| describe_one(state, ctx, id));
    let (ipams, next_token) = describe_page(
        &input.ipam_ids.clone().unwrap_or_default(),
        |id: &str| state.ipam.ipams.contains_key(id),
        errors::invalid_ipam_id_not_found,
        all,
        |i| i.ipam_id.clone().unwrap_or_default(),
        input.filters.as_deref(),
        input.page(),
    )?;
    Ok(DescribeIpamsResult { ipams: Some(ipams), next_token })
}

pub fn modify_ipam(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyIpamRequest,
) -> Result<ModifyIpamResult, ApiError> {
    let current = get(state, &input.ipam_id)?.ipam.clone();
    if let Some(tier) = input.tier.as_deref() {
        one_of("Tier", tier, enums::IPAM_TIER)?;
    }
    if let Some(m) = input.metered_account.as_deref() {
        one_of("MeteredAccount", m, enums::IPAM_METERED_ACCOUNT)?;
    }
    let add = regions_of(input.add_operating_regions.as_deref())?;
    let remove: Vec<String> =
        input.remove_operating_regions.iter().flatten().filter_map(|r| r.region_name.clone()).collect();
    if remove.contains(&ctx.region) {
        return Err(errors::invalid_parameter_value(
            "You cannot remove the IPAM's home Region from its operating Regions.",
        ));
    }
    let mut names: Vec<String> =
        current.operating_regions.iter().flatten().filter_map(|r| r.region_name.clone()).collect();
    names.extend(add.into_iter().filter(|n| !names.contains(n)).collect::<Vec<_>>());
    names.retain(|n| !remove.contains(n));
    let in_use = state.ipam.pools.values().filter(|p| p.pool.ipam_arn == current.ipam_arn);
    if let Some(locale) = in_use.filter_map(|p| p.pool.locale.clone()).find(|l| l != "None" && remove.contains(l)) {
        return Err(errors::incorrect_state(format!(
            "The operating Region {locale} is the locale of a pool in the IPAM and cannot be removed."
        )));
    }
    let rec = state.ipam.ipams.get_mut(&input.ipam_id).expect("checked above");
    if let Some(d) = input.description {
        rec.ipam.description = Some(d);
    }
    if let Some(t) = input.tier {
        rec.ipam.tier = Some(t);
    }
    if let Some(g) = input.enable_private_gua {
        rec.ipam.enable_private_gua = Some(g);
    }
    if let Some(m) = input.metered_account {
        rec.ipam.metered_account = Some(m);
    }
    rec.ipam.operating_regions = operating(&names);
    rec.progress = Progress::new(Step::Modify, ctx.now);
    let mut shown = describe_one(state, ctx, &input.ipam_id);
    shown.state = Some("modify-in-progress".into());
    Ok(ModifyIpamResult { ipam: Some(shown) })
}

pub fn delete_ipam(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteIpamRequest,
) -> Result<DeleteIpamResult, ApiError> {
    let arn = get(state, &input.ipam_id)?.ipam.ipam_arn.clone();
    let pools: Vec<String> =
        state.ipam.pools.iter().filter(|(_, p)| p.pool.ipam_arn == arn).map(|(id, _)| id.clone()).collect();
    let custom_scopes = state.ipam.scopes.values().any(|s| s.scope.ipam_arn == arn && s.scope.is_default != Some(true));
    if input.cascade != Some(true) && (!pools.is_empty() || custom_scopes) {
        return Err(errors::incorrect_state(format!(
            "The IPAM {} has pools or non-default scopes. Delete them first, or use Cascade.",
            input.ipam_id
        )));
    }
    if input.cascade == Some(true) {
        if let Some(vpc) = pools
            .iter()
            .find_map(|p| state.ipam.pools[p].allocations.values().find(|a| a.resource_type.as_deref() == Some("vpc")))
        {
            return Err(errors::incorrect_state(format!(
                "The IPAM has a pool allocation for {}. Release it before deleting the IPAM.",
                vpc.resource_id.as_deref().unwrap_or_default()
            )));
        }
    }
    let mut shown = describe_one(state, ctx, &input.ipam_id);
    shown.state = Some("delete-in-progress".into());
    for id in pools {
        state.ipam.pools.remove(&id);
        state.forget(&id);
    }
    let scopes: Vec<String> =
        state.ipam.scopes.iter().filter(|(_, s)| s.scope.ipam_arn == arn).map(|(id, _)| id.clone()).collect();
    for id in scopes {
        state.ipam.scopes.remove(&id);
        state.forget(&id);
    }
    let rec = state.ipam.ipams.remove(&input.ipam_id).expect("checked above");
    if let Some(d) = rec.ipam.default_resource_discovery_id {
        state.ipam.discoveries.remove(&d);
    }
    if let Some(a) = rec.ipam.default_resource_discovery_association_id {
        state.ipam.discovery_associations.remove(&a);
    }
    state.forget(&input.ipam_id);
    Ok(DeleteIpamResult { ipam: Some(shown) })
}

impl Filterable for IpamResourceDiscovery {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect();
        Some(match name {
            "ipam-resource-discovery-id" => one(&self.ipam_resource_discovery_id),
            "owner-id" => one(&self.owner_id),
            "is-default" => self.is_default.iter().map(bool::to_string).collect(),
            "state" => one(&self.state),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

impl Filterable for IpamResourceDiscoveryAssociation {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect();
        Some(match name {
            "ipam-resource-discovery-association-id" => one(&self.ipam_resource_discovery_association_id),
            "ipam-resource-discovery-id" => one(&self.ipam_resource_discovery_id),
            "ipam-id" => one(&self.ipam_id),
            "owner-id" => one(&self.owner_id),
            "is-default" => self.is_default.iter().map(bool::to_string).collect(),
            "state" => one(&self.state),
            "resource-discovery-status" => one(&self.resource_discovery_status),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_ipam_resource_discoveries(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeIpamResourceDiscoveriesRequest,
) -> Result<DescribeIpamResourceDiscoveriesResult, ApiError> {
    let all =
        state.ipam.discoveries.iter().map(|(id, d)| IpamResourceDiscovery { tags: state.dto_tags(id), ..d.clone() });
    let (items, next_token) = describe_page(
        &input.ipam_resource_discovery_ids.clone().unwrap_or_default(),
        |id: &str| state.ipam.discoveries.contains_key(id),
        errors::invalid_ipam_resource_discovery_id_not_found,
        all,
        |d| d.ipam_resource_discovery_id.clone().unwrap_or_default(),
        input.filters.as_deref(),
        input.page(),
    )?;
    Ok(DescribeIpamResourceDiscoveriesResult { ipam_resource_discoveries: Some(items), next_token })
}

pub fn describe_ipam_resource_discovery_associations(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeIpamResourceDiscoveryAssociationsRequest,
) -> Result<DescribeIpamResourceDiscoveryAssociationsResult, ApiError> {
    let all = state
        .ipam
        .discovery_associations
        .iter()
        .map(|(id, a)| IpamResourceDiscoveryAssociation { tags: state.dto_tags(id), ..a.clone() });
    let (items, next_token) = describe_page(
        &input.ipam_resource_discovery_association_ids.clone().unwrap_or_default(),
        |id: &str| state.ipam.discovery_associations.contains_key(id),
        errors::invalid_ipam_resource_discovery_association_id_not_found,
        all,
        |a| a.ipam_resource_discovery_association_id.clone().unwrap_or_default(),
        input.filters.as_deref(),
        input.page(),
    )?;
    Ok(DescribeIpamResourceDiscoveryAssociationsResult {
        ipam_resource_discovery_associations: Some(items),
        next_token,
    })
}
