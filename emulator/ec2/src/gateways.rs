//! Internet gateways: create, attach (one per VPC), detach, delete.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    AttachInternetGatewayRequest, CreateInternetGatewayRequest, CreateInternetGatewayResult,
    DeleteInternetGatewayRequest, DescribeInternetGatewaysRequest, DescribeInternetGatewaysResult,
    DetachInternetGatewayRequest, InternetGateway, InternetGatewayAttachment,
};
use crate::generated::errors;
use crate::state::Ec2State;
use crate::support::{filtered, paginate, spec_tags};
use crate::vpcs::{self, tag_pairs};

pub fn create_igw_record(state: &mut Ec2State, ctx: &RequestContext) -> String {
    let id = ids::resource_id("igw");
    state.internet_gateways.insert(
        id.clone(),
        InternetGateway {
            attachments: Some(Vec::new()),
            internet_gateway_id: Some(id.clone()),
            owner_id: Some(ctx.account().to_string()),
            tags: None,
        },
    );
    id
}

pub fn attach_igw_record(state: &mut Ec2State, igw_id: &str, vpc_id: &str) {
    if let Some(igw) = state.internet_gateways.get_mut(igw_id) {
        igw.attachments =
            Some(vec![InternetGatewayAttachment { state: Some("available".into()), vpc_id: Some(vpc_id.to_string()) }]);
    }
}

fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a InternetGateway, ApiError> {
    state.internet_gateways.get(id).ok_or_else(|| errors::invalid_internet_gateway_id_not_found(id))
}

/// The VPC an internet gateway is attached to.
pub fn attached_vpc(igw: &InternetGateway) -> Option<&str> {
    igw.attachments.iter().flatten().find_map(|a| a.vpc_id.as_deref())
}

pub fn describe_one(state: &Ec2State, id: &str) -> InternetGateway {
    let mut igw = state.internet_gateways[id].clone();
    igw.tags = state.dto_tags(id);
    igw
}

pub fn create_internet_gateway(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateInternetGatewayRequest,
) -> Result<CreateInternetGatewayResult, ApiError> {
    let tags = spec_tags(input.tag_specifications.as_deref(), "internet-gateway")?;
    let id = create_igw_record(state, ctx);
    state.set_tags(&id, tags);
    Ok(CreateInternetGatewayResult { internet_gateway: Some(describe_one(state, &id)) })
}

pub fn attach_internet_gateway(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: AttachInternetGatewayRequest,
) -> Result<(), ApiError> {
    let igw = get(state, &input.internet_gateway_id)?;
    vpcs::get(state, &input.vpc_id)?;
    if let Some(vpc) = attached_vpc(igw) {
        return Err(errors::resource_already_associated(&input.internet_gateway_id, vpc));
    }
    let vpc_has_one = state.internet_gateways.values().any(|g| attached_vpc(g) == Some(input.vpc_id.as_str()));
    if vpc_has_one {
        return Err(nimbus_core::ApiError::client(
            "Resource.AlreadyAssociated",
            format!("Network {} already has an internet gateway attached", input.vpc_id),
        ));
    }
    attach_igw_record(state, &input.internet_gateway_id, &input.vpc_id);
    Ok(())
}

pub fn detach_internet_gateway(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DetachInternetGatewayRequest,
) -> Result<(), ApiError> {
    let igw = get(state, &input.internet_gateway_id)?;
    vpcs::get(state, &input.vpc_id)?;
    if attached_vpc(igw) != Some(input.vpc_id.as_str()) {
        return Err(errors::gateway_not_attached(&input.internet_gateway_id, &input.vpc_id));
    }
    if crate::dependents::vpc_has_public_addresses(state, &input.vpc_id) {
        return Err(errors::dependency_violation(format!(
            "Network {} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.",
            input.vpc_id
        )));
    }
    if let Some(igw) = state.internet_gateways.get_mut(&input.internet_gateway_id) {
        igw.attachments = Some(Vec::new());
    }
    Ok(())
}

pub fn delete_internet_gateway(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteInternetGatewayRequest,
) -> Result<(), ApiError> {
    let igw = get(state, &input.internet_gateway_id)?;
    if attached_vpc(igw).is_some() {
        return Err(errors::dependency_violation(format!(
            "The internetGateway '{}' has dependencies and cannot be deleted.",
            input.internet_gateway_id
        )));
    }
    state.internet_gateways.remove(&input.internet_gateway_id);
    state.forget(&input.internet_gateway_id);
    Ok(())
}

impl Filterable for InternetGateway {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let att = self.attachments.iter().flatten();
        Some(match name {
            "attachment.state" => att.filter_map(|a| a.state.clone()).collect(),
            "attachment.vpc-id" => att.filter_map(|a| a.vpc_id.clone()).collect(),
            "internet-gateway-id" => self.internet_gateway_id.iter().cloned().collect(),
            "owner-id" => self.owner_id.iter().cloned().collect(),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_internet_gateways(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeInternetGatewaysRequest,
) -> Result<DescribeInternetGatewaysResult, ApiError> {
    let ids = input.internet_gateway_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all = state
        .internet_gateways
        .keys()
        .filter(|id| ids.is_empty() || ids.contains(id))
        .map(|id| describe_one(state, id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(
        items,
        |g| g.internet_gateway_id.clone().unwrap_or_default(),
        input.max_results,
        input.next_token.as_deref(),
        (5, 1000),
        !ids.is_empty(),
    )?;
    Ok(DescribeInternetGatewaysResult { internet_gateways: Some(page), next_token: next })
}
