//! IPAM scopes: the two default scopes an IPAM comes with and the private scopes a user
//! adds (public scopes cannot be created), each holding pools.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::{arn, delay, ipams};
use crate::generated::dto::{
    CreateIpamScopeRequest, CreateIpamScopeResult, DeleteIpamScopeRequest, DeleteIpamScopeResult,
    DescribeIpamScopesRequest, DescribeIpamScopesResult, IpamScope, ModifyIpamScopeRequest, ModifyIpamScopeResult,
};
use crate::generated::errors;
use crate::state::ipam::{Progress, ScopeRecord, Step};
use crate::state::support::{describe_page, spec_tags, tag_pairs};
use crate::state::Ec2State;

pub(super) fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a ScopeRecord, ApiError> {
    state.ipam.scopes.get(id).ok_or_else(|| errors::invalid_ipam_scope_id_not_found(id))
}

fn external_authority_unsupported() -> ApiError {
    errors::invalid_parameter_value("External authority configurations (Infoblox) are not available in nimbus.")
}

pub fn create_ipam_scope(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateIpamScopeRequest,
) -> Result<CreateIpamScopeResult, ApiError> {
    let ipam = ipams::get(state, &input.ipam_id)?.ipam.clone();
    if input.external_authority_configuration.is_some() {
        return Err(external_authority_unsupported());
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "ipam-scope")?;
    let id = ids::resource_id("ipam-scope");
    let scope = IpamScope {
        owner_id: Some(ctx.account().to_string()),
        ipam_scope_id: Some(id.clone()),
        ipam_scope_arn: Some(arn(ctx, "ipam-scope", &id)),
        ipam_arn: ipam.ipam_arn,
        ipam_region: ipam.ipam_region,
        ipam_scope_type: Some("private".into()),
        is_default: Some(false),
        description: input.description,
        ..Default::default()
    };
    state.ipam.scopes.insert(id.clone(), ScopeRecord { scope, progress: Progress::new(Step::Create, ctx.now) });
    state.set_tags(&id, tags);
    let mut shown = describe_one(state, ctx, &id);
    shown.state = Some("create-in-progress".into());
    Ok(CreateIpamScopeResult { ipam_scope: Some(shown) })
}

fn describe_one(state: &Ec2State, ctx: &RequestContext, id: &str) -> IpamScope {
    let Some(rec) = state.ipam.scopes.get(id) else { return IpamScope::default() };
    let mut scope = rec.scope.clone();
    scope.state = Some(rec.progress.shown(delay(state), ctx.now));
    let pools = state.ipam.pools.values().filter(|p| p.pool.ipam_scope_arn == scope.ipam_scope_arn).count();
    scope.pool_count = Some(pools.try_into().unwrap_or(i32::MAX));
    scope.tags = state.dto_tags(id);
    scope
}

impl Filterable for IpamScope {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let one = |v: &Option<String>| v.iter().cloned().collect();
        Some(match name {
            "ipam-scope-id" => one(&self.ipam_scope_id),
            "ipam-arn" => one(&self.ipam_arn),
            "ipam-region" => one(&self.ipam_region),
            "ipam-scope-type" => one(&self.ipam_scope_type),
            "is-default" => self.is_default.iter().map(bool::to_string).collect(),
            "owner-id" => one(&self.owner_id),
            "description" => one(&self.description),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_ipam_scopes(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeIpamScopesRequest,
) -> Result<DescribeIpamScopesResult, ApiError> {
    let all = state.ipam.scopes.keys().map(|id| describe_one(state, ctx, id));
    let (scopes, next_token) = describe_page(
        &input.ipam_scope_ids.clone().unwrap_or_default(),
        |id: &str| state.ipam.scopes.contains_key(id),
        errors::invalid_ipam_scope_id_not_found,
        all,
        |s| s.ipam_scope_id.clone().unwrap_or_default(),
        input.filters.as_deref(),
        input.page(),
    )?;
    Ok(DescribeIpamScopesResult { ipam_scopes: Some(scopes), next_token })
}

pub fn modify_ipam_scope(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyIpamScopeRequest,
) -> Result<ModifyIpamScopeResult, ApiError> {
    get(state, &input.ipam_scope_id)?;
    if input.external_authority_configuration.is_some() {
        return Err(external_authority_unsupported());
    }
    let rec = state.ipam.scopes.get_mut(&input.ipam_scope_id).expect("checked above");
    if let Some(d) = input.description {
        rec.scope.description = Some(d);
    }
    rec.progress = Progress::new(Step::Modify, ctx.now);
    let mut shown = describe_one(state, ctx, &input.ipam_scope_id);
    shown.state = Some("modify-in-progress".into());
    Ok(ModifyIpamScopeResult { ipam_scope: Some(shown) })
}

pub fn delete_ipam_scope(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteIpamScopeRequest,
) -> Result<DeleteIpamScopeResult, ApiError> {
    let scope = get(state, &input.ipam_scope_id)?.scope.clone();
    if scope.is_default == Some(true) {
        return Err(errors::invalid_parameter_value(format!(
            "The scope {} is a default scope of its IPAM and cannot be deleted.",
            input.ipam_scope_id
        )));
    }
    if state.ipam.pools.values().any(|p| p.pool.ipam_scope_arn == scope.ipam_scope_arn) {
        return Err(errors::incorrect_state(format!(
            "The scope {} has pools. Delete its pools before deleting the scope.",
            input.ipam_scope_id
        )));
    }
    let mut shown = describe_one(state, ctx, &input.ipam_scope_id);
    shown.state = Some("delete-in-progress".into());
    state.ipam.scopes.remove(&input.ipam_scope_id);
    state.forget(&input.ipam_scope_id);
    Ok(DeleteIpamScopeResult { ipam_scope: Some(shown) })
}
