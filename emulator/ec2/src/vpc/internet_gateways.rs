//! Internet gateways: create, attach (one per VPC), detach, delete. Egress-only internet
//! gateways (IPv6 outbound only): created attached to their VPC, deleted, described.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    AttachInternetGatewayRequest, CreateEgressOnlyInternetGatewayRequest, CreateEgressOnlyInternetGatewayResult,
    CreateInternetGatewayRequest, CreateInternetGatewayResult, DeleteEgressOnlyInternetGatewayRequest,
    DeleteEgressOnlyInternetGatewayResult, DeleteInternetGatewayRequest, DescribeEgressOnlyInternetGatewaysRequest,
    DescribeEgressOnlyInternetGatewaysResult, DescribeInternetGatewaysRequest, DescribeInternetGatewaysResult,
    DetachInternetGatewayRequest, EgressOnlyInternetGateway, InternetGateway, InternetGatewayAttachment,
};
use crate::generated::errors;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, paginate, spec_tags};
use crate::state::Ec2State;
use crate::vpc::vpcs;

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
        // AWS answers this one as a bad parameter, not as an association conflict.
        return Err(errors::invalid_parameter_value(format!(
            "Network {} already has an internet gateway attached",
            input.vpc_id
        )));
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
    if crate::vpc::dependents::vpc_has_public_addresses(state, &input.vpc_id) {
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
    let paging = input.page();
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
    let (page, next) = paginate(items, |g| g.internet_gateway_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeInternetGatewaysResult { internet_gateways: Some(page), next_token: next })
}

/// The VPC an egress-only internet gateway serves.
pub fn eigw_vpc(g: &EgressOnlyInternetGateway) -> Option<&str> {
    g.attachments.iter().flatten().find_map(|a| a.vpc_id.as_deref())
}

fn get_eigw<'a>(state: &'a Ec2State, id: &str) -> Result<&'a EgressOnlyInternetGateway, ApiError> {
    state.egress_only_internet_gateways.get(id).ok_or_else(|| errors::invalid_gateway_id_not_found(id, "eigw"))
}

fn describe_eigw(state: &Ec2State, id: &str) -> EgressOnlyInternetGateway {
    let mut g = state.egress_only_internet_gateways[id].clone();
    g.tags = state.dto_tags(id);
    g
}

pub fn create_egress_only_internet_gateway(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: CreateEgressOnlyInternetGatewayRequest,
) -> Result<CreateEgressOnlyInternetGatewayResult, ApiError> {
    vpcs::get(state, &input.vpc_id)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "egress-only-internet-gateway")?;
    let id = ids::resource_id("eigw");
    state.egress_only_internet_gateways.insert(
        id.clone(),
        EgressOnlyInternetGateway {
            attachments: Some(vec![InternetGatewayAttachment {
                state: Some("attached".into()),
                vpc_id: Some(input.vpc_id.clone()),
            }]),
            egress_only_internet_gateway_id: Some(id.clone()),
            tags: None,
        },
    );
    state.set_tags(&id, tags);
    Ok(CreateEgressOnlyInternetGatewayResult {
        client_token: input.client_token,
        egress_only_internet_gateway: Some(describe_eigw(state, &id)),
    })
}

/// Routes through the gateway stay, as `blackhole`.
pub fn delete_egress_only_internet_gateway(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteEgressOnlyInternetGatewayRequest,
) -> Result<DeleteEgressOnlyInternetGatewayResult, ApiError> {
    get_eigw(state, &input.egress_only_internet_gateway_id)?;
    state.egress_only_internet_gateways.remove(&input.egress_only_internet_gateway_id);
    state.forget(&input.egress_only_internet_gateway_id);
    Ok(DeleteEgressOnlyInternetGatewayResult { return_code: Some(true) })
}

/// AWS documents only the tag filters for this call.
impl Filterable for EgressOnlyInternetGateway {
    fn filter_values(&self, _name: &str) -> Option<Vec<String>> {
        None
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_egress_only_internet_gateways(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeEgressOnlyInternetGatewaysRequest,
) -> Result<DescribeEgressOnlyInternetGatewaysResult, ApiError> {
    let paging = input.page();
    let ids = input.egress_only_internet_gateway_ids.unwrap_or_default();
    for id in &ids {
        get_eigw(state, id)?;
    }
    let all = state
        .egress_only_internet_gateways
        .keys()
        .filter(|id| ids.is_empty() || ids.contains(id))
        .map(|id| describe_eigw(state, id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |g| g.egress_only_internet_gateway_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeEgressOnlyInternetGatewaysResult { egress_only_internet_gateways: Some(page), next_token: next })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::CreateRouteRequest;
    use crate::state::support::testing::{delete_vpc, route_table, routes, setup, vpc};
    use crate::vpc::route_tables;

    #[test]
    fn a_vpc_takes_one_internet_gateway() {
        let (mut s, ctx) = setup();
        let vpc_id = vpc(&mut s, &ctx, "10.0.0.0/16");
        let mut gateway = || {
            let out = create_internet_gateway(&mut s, &ctx, Default::default()).unwrap();
            out.internet_gateway.unwrap().internet_gateway_id.unwrap()
        };
        let (first, second) = (gateway(), gateway());
        let attach = |s: &mut Ec2State, igw: &str| {
            let input = AttachInternetGatewayRequest {
                internet_gateway_id: igw.into(),
                vpc_id: vpc_id.clone(),
                ..Default::default()
            };
            attach_internet_gateway(s, &ctx, input)
        };
        attach(&mut s, &first).unwrap();
        let err = attach(&mut s, &second).unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        assert_eq!(err.message, format!("Network {vpc_id} already has an internet gateway attached"));
        assert_eq!(attach(&mut s, &first).unwrap_err().code, "Resource.AlreadyAssociated");
    }

    #[test]
    fn egress_only_gateway_lives_in_its_vpc_and_its_routes_outlive_it() {
        let (mut s, ctx) = setup();
        let vpc_id = vpc(&mut s, &ctx, "10.0.0.0/16");
        let out = create_egress_only_internet_gateway(
            &mut s,
            &ctx,
            CreateEgressOnlyInternetGatewayRequest { vpc_id: vpc_id.clone(), ..Default::default() },
        )
        .unwrap();
        let g = out.egress_only_internet_gateway.unwrap();
        let id = g.egress_only_internet_gateway_id.clone().unwrap();
        assert!(id.starts_with("eigw-"));
        assert_eq!(eigw_vpc(&g), Some(vpc_id.as_str()));
        assert_eq!(g.attachments.unwrap()[0].state.as_deref(), Some("attached"));

        let rtb = route_table(&mut s, &ctx, &vpc_id);
        let route = CreateRouteRequest {
            route_table_id: rtb.clone(),
            destination_ipv6_cidr_block: Some("::/0".into()),
            egress_only_internet_gateway_id: Some(id.clone()),
            ..Default::default()
        };
        route_tables::create_route(&mut s, &ctx, route).unwrap();
        assert_eq!(routes(&s, &ctx, &rtb).last().unwrap().state.as_deref(), Some("active"));
        assert_eq!(delete_vpc(&mut s, &ctx, &vpc_id).unwrap_err().code, "DependencyViolation");

        let del = DeleteEgressOnlyInternetGatewayRequest {
            egress_only_internet_gateway_id: id.clone(),
            ..Default::default()
        };
        assert_eq!(delete_egress_only_internet_gateway(&mut s, &ctx, del.clone()).unwrap().return_code, Some(true));
        assert_eq!(routes(&s, &ctx, &rtb).last().unwrap().state.as_deref(), Some("blackhole"));
        assert_eq!(
            delete_egress_only_internet_gateway(&mut s, &ctx, del).unwrap_err().code,
            "InvalidGatewayID.NotFound"
        );
        let none = describe_egress_only_internet_gateways(&s, &ctx, Default::default()).unwrap();
        assert!(none.egress_only_internet_gateways.unwrap().is_empty());
    }

    #[test]
    fn egress_only_gateways_filter_by_tags_only() {
        let (mut s, ctx) = setup();
        let vpc_id = vpc(&mut s, &ctx, "10.0.0.0/16");
        let id = create_egress_only_internet_gateway(
            &mut s,
            &ctx,
            CreateEgressOnlyInternetGatewayRequest { vpc_id, ..Default::default() },
        )
        .unwrap()
        .egress_only_internet_gateway
        .unwrap()
        .egress_only_internet_gateway_id
        .unwrap();
        s.set_tags(&id, [("env".to_string(), "dev".to_string())]);
        let by_tag = |name: &str, value: &str| DescribeEgressOnlyInternetGatewaysRequest {
            filters: Some(vec![crate::generated::dto::Filter {
                name: Some(name.into()),
                values: Some(vec![value.into()]),
            }]),
            ..Default::default()
        };
        let found = describe_egress_only_internet_gateways(&s, &ctx, by_tag("tag:env", "dev")).unwrap();
        assert_eq!(found.egress_only_internet_gateways.unwrap().len(), 1);
        let err = describe_egress_only_internet_gateways(&s, &ctx, by_tag("vpc-id", "x")).unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
    }
}
