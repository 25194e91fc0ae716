//! Verified Access groups: endpoints of one instance that share an access policy. A group
//! with endpoints cannot be deleted.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::common::{self, time};
use crate::generated::dto::{
    CreateVerifiedAccessGroupRequest, CreateVerifiedAccessGroupResult, DeleteVerifiedAccessGroupRequest,
    DeleteVerifiedAccessGroupResult, DescribeVerifiedAccessGroupsRequest, DescribeVerifiedAccessGroupsResult,
    GetVerifiedAccessGroupPolicyRequest, GetVerifiedAccessGroupPolicyResult, ModifyVerifiedAccessGroupPolicyRequest,
    ModifyVerifiedAccessGroupPolicyResult, ModifyVerifiedAccessGroupRequest, ModifyVerifiedAccessGroupResult,
    VerifiedAccessGroup,
};
use crate::generated::errors;
use crate::state::support::{describe_page, spec_tags, tag_pairs};
use crate::state::verified_access::VaGroupRecord;
use crate::state::Ec2State;

fn describe_one(state: &Ec2State, id: &str) -> VerifiedAccessGroup {
    let mut g = state.verified_access.groups[id].group.clone();
    g.tags = state.dto_tags(id);
    g
}

pub fn create_verified_access_group(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateVerifiedAccessGroupRequest,
) -> Result<CreateVerifiedAccessGroupResult, ApiError> {
    let vai = input.verified_access_instance_id;
    common::instance(state, &vai)?;
    let sse = common::sse(input.sse_specification.as_ref())?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "verified-access-group")?;
    let id = ids::resource_id("vagr");
    let group = VerifiedAccessGroup {
        verified_access_group_id: Some(id.clone()),
        verified_access_instance_id: Some(vai),
        description: Some(input.description.unwrap_or_default()),
        owner: Some(ctx.account().to_string()),
        verified_access_group_arn: Some(format!(
            "arn:aws:ec2:{}:{}:verified-access-group/{id}",
            ctx.region,
            ctx.account()
        )),
        creation_time: Some(time(ctx.now)),
        last_updated_time: Some(time(ctx.now)),
        deletion_time: None,
        tags: None,
        sse_specification: sse,
    };
    let policy = common::initial_policy(input.policy_document.as_deref());
    state.verified_access.groups.insert(id.clone(), VaGroupRecord { group, policy });
    state.set_tags(&id, tags);
    Ok(CreateVerifiedAccessGroupResult { verified_access_group: Some(describe_one(state, &id)) })
}

impl Filterable for VerifiedAccessGroup {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "verified-access-group-id" => opt(&self.verified_access_group_id),
            "verified-access-instance-id" => opt(&self.verified_access_instance_id),
            "description" => opt(&self.description),
            "owner" => opt(&self.owner),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_verified_access_groups(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeVerifiedAccessGroupsRequest,
) -> Result<DescribeVerifiedAccessGroupsResult, ApiError> {
    let paging = input.page();
    let ids = input.verified_access_group_ids.unwrap_or_default();
    let instance = input.verified_access_instance_id;
    if let Some(vai) = &instance {
        common::instance(state, vai)?;
    }
    let all = state
        .verified_access
        .groups
        .iter()
        .filter(|(_, g)| instance.is_none() || g.group.verified_access_instance_id == instance)
        .map(|(id, _)| describe_one(state, id));
    let (page, next) = describe_page(
        &ids,
        |id| state.verified_access.groups.contains_key(id),
        errors::invalid_verified_access_group_id_not_found,
        all,
        |g| g.verified_access_group_id.clone().unwrap_or_default(),
        input.filters.as_deref(),
        paging,
    )?;
    Ok(DescribeVerifiedAccessGroupsResult { verified_access_groups: Some(page), next_token: next })
}

pub fn modify_verified_access_group(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVerifiedAccessGroupRequest,
) -> Result<ModifyVerifiedAccessGroupResult, ApiError> {
    let id = input.verified_access_group_id;
    common::group(state, &id)?;
    if let Some(vai) = &input.verified_access_instance_id {
        common::instance(state, vai)?;
    }
    let record = state.verified_access.groups.get_mut(&id).expect("checked above");
    if let Some(vai) = input.verified_access_instance_id {
        record.group.verified_access_instance_id = Some(vai.clone());
        // The group's endpoints move with it.
        for e in state.verified_access.endpoints.values_mut() {
            if e.endpoint.verified_access_group_id.as_deref() == Some(id.as_str()) {
                e.endpoint.verified_access_instance_id = Some(vai.clone());
            }
        }
    }
    let record = state.verified_access.groups.get_mut(&id).expect("checked above");
    if let Some(d) = input.description {
        record.group.description = Some(d);
    }
    record.group.last_updated_time = Some(time(ctx.now));
    Ok(ModifyVerifiedAccessGroupResult { verified_access_group: Some(describe_one(state, &id)) })
}

pub fn delete_verified_access_group(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteVerifiedAccessGroupRequest,
) -> Result<DeleteVerifiedAccessGroupResult, ApiError> {
    let id = input.verified_access_group_id;
    common::group(state, &id)?;
    common::drop_deleted_endpoints(state, ctx.now);
    let endpoint = state
        .verified_access
        .endpoints
        .iter()
        .find(|(_, e)| e.endpoint.verified_access_group_id.as_deref() == Some(id.as_str()));
    if let Some((vae, _)) = endpoint {
        return Err(errors::dependency_violation(format!(
            "The Verified Access group {id} has dependent Verified Access endpoints ({vae}) and cannot be deleted."
        )));
    }
    let mut shown = describe_one(state, &id);
    shown.deletion_time = Some(time(ctx.now));
    state.verified_access.groups.remove(&id);
    state.forget(&id);
    Ok(DeleteVerifiedAccessGroupResult { verified_access_group: Some(shown) })
}

pub fn get_verified_access_group_policy(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: GetVerifiedAccessGroupPolicyRequest,
) -> Result<GetVerifiedAccessGroupPolicyResult, ApiError> {
    let policy = &common::group(state, &input.verified_access_group_id)?.policy;
    Ok(GetVerifiedAccessGroupPolicyResult {
        policy_enabled: Some(policy.enabled),
        policy_document: policy.document.clone(),
    })
}

pub fn modify_verified_access_group_policy(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVerifiedAccessGroupPolicyRequest,
) -> Result<ModifyVerifiedAccessGroupPolicyResult, ApiError> {
    let id = input.verified_access_group_id;
    let record = common::group(state, &id)?;
    let policy = common::modified_policy(&record.policy, input.policy_enabled, input.policy_document.as_deref())?;
    let sse = match &input.sse_specification {
        Some(given) => common::sse(Some(given))?,
        None => record.group.sse_specification.clone(),
    };
    let record = state.verified_access.groups.get_mut(&id).expect("checked above");
    record.policy = policy.clone();
    record.group.sse_specification = sse.clone();
    record.group.last_updated_time = Some(time(ctx.now));
    Ok(ModifyVerifiedAccessGroupPolicyResult {
        policy_enabled: Some(policy.enabled),
        policy_document: policy.document,
        sse_specification: sse,
    })
}
