//! VPC Block Public Access (BPA): one mode per account and Region for traffic through
//! internet gateways and egress-only internet gateways (`off`, `block-bidirectional`,
//! `block-ingress`), and exclusions that exempt one VPC or subnet from it
//! (`allow-bidirectional`, `allow-egress`). Exclusions may be made while the mode is
//! off, so that turning BPA on later disrupts nothing.
//!
//! Lifecycles follow AWS's: the call that changes the mode answers `update-in-progress`
//! and a later describe `update-complete` (`default-state` while the mode was never
//! set); an exclusion goes `create-in-progress` -> `create-complete`, `update-in-progress`
//! -> `update-complete`, `delete-in-progress` -> `delete-complete`, and a deleted one
//! stays visible for an hour, as deleted resources do at AWS (Terraform's destroy check
//! reads `delete-complete` as gone). Deleting the VPC or subnet deletes its exclusion.
//! DescribeVpcs and DescribeSubnets show the mode in force for each (exclusions counted);
//! Network Insights does not count it yet.

use chrono::{DateTime, TimeDelta, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    CreateVpcBlockPublicAccessExclusionRequest, CreateVpcBlockPublicAccessExclusionResult,
    DeleteVpcBlockPublicAccessExclusionRequest, DeleteVpcBlockPublicAccessExclusionResult,
    DescribeVpcBlockPublicAccessExclusionsRequest, DescribeVpcBlockPublicAccessExclusionsResult,
    DescribeVpcBlockPublicAccessOptionsRequest, DescribeVpcBlockPublicAccessOptionsResult,
    ModifyVpcBlockPublicAccessExclusionRequest, ModifyVpcBlockPublicAccessExclusionResult,
    ModifyVpcBlockPublicAccessOptionsRequest, ModifyVpcBlockPublicAccessOptionsResult, VpcBlockPublicAccessExclusion,
    VpcBlockPublicAccessOptions,
};
use crate::generated::{enums, errors};
use crate::state::block_public_access::{BpaExclusion, VpcBpaState};
use crate::state::params::one_of;
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::Ec2State;
use crate::vpc::{subnets, vpcs};

/// How long a deleted exclusion stays visible in `delete-complete`.
const DELETED_VISIBLE: TimeDelta = TimeDelta::hours(1);

fn options(state: &Ec2State, ctx: &RequestContext) -> VpcBlockPublicAccessOptions {
    let bpa = &state.vpc_bpa;
    VpcBlockPublicAccessOptions {
        aws_account_id: Some(ctx.account().to_string()),
        aws_region: Some(ctx.region.to_string()),
        state: Some(if bpa.mode.is_some() { "update-complete" } else { "default-state" }.into()),
        internet_gateway_block_mode: Some(bpa.mode().to_string()),
        reason: None,
        last_update_timestamp: bpa.last_update.map(Timestamp),
        managed_by: Some("account".into()),
        exclusions_allowed: Some("allowed".into()),
    }
}

pub fn describe_vpc_block_public_access_options(
    state: &Ec2State,
    ctx: &RequestContext,
    _input: DescribeVpcBlockPublicAccessOptionsRequest,
) -> Result<DescribeVpcBlockPublicAccessOptionsResult, ApiError> {
    Ok(DescribeVpcBlockPublicAccessOptionsResult { vpc_block_public_access_options: Some(options(state, ctx)) })
}

pub fn modify_vpc_block_public_access_options(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVpcBlockPublicAccessOptionsRequest,
) -> Result<ModifyVpcBlockPublicAccessOptionsResult, ApiError> {
    one_of("InternetGatewayBlockMode", &input.internet_gateway_block_mode, enums::INTERNET_GATEWAY_BLOCK_MODE)?;
    state.vpc_bpa.mode = Some(input.internet_gateway_block_mode.clone());
    state.vpc_bpa.last_update = Some(ctx.now);
    let mut answer = options(state, ctx);
    answer.state = Some("update-in-progress".into());
    Ok(ModifyVpcBlockPublicAccessOptionsResult { vpc_block_public_access_options: Some(answer) })
}

/// Whether a deleted exclusion is still shown at `now`.
fn shown(e: &BpaExclusion, now: DateTime<Utc>) -> bool {
    e.deleted.is_none_or(|at| now <= at + DELETED_VISIBLE)
}

fn dto(state: &Ec2State, e: &BpaExclusion) -> VpcBlockPublicAccessExclusion {
    VpcBlockPublicAccessExclusion {
        exclusion_id: Some(e.id.clone()),
        internet_gateway_exclusion_mode: Some(e.mode.clone()),
        resource_arn: Some(e.resource_arn.clone()),
        state: Some(e.state().into()),
        reason: None,
        creation_timestamp: Some(Timestamp(e.created)),
        last_update_timestamp: Some(Timestamp(e.last_update)),
        deletion_timestamp: e.deleted.map(Timestamp),
        tags: state.dto_tags(&e.id),
    }
}

/// A shown exclusion by id, or AWS's not-found error.
fn get<'a>(state: &'a Ec2State, ctx: &RequestContext, id: &str) -> Result<&'a BpaExclusion, ApiError> {
    state
        .vpc_bpa
        .exclusions
        .get(id)
        .filter(|e| shown(e, ctx.now))
        .ok_or_else(|| errors::invalid_vpc_block_public_access_exclusion_id_not_found(id))
}

/// A deleted exclusion can be neither modified nor deleted again (AWS's refusal; the
/// Terraform provider matches its "is in delete-complete state" wording).
fn live<'a>(e: &'a BpaExclusion, verb: &str) -> Result<&'a BpaExclusion, ApiError> {
    if e.live() {
        return Ok(e);
    }
    Err(errors::invalid_parameter_value(format!(
        "Exclusion {} is in delete-complete state and cannot be {verb}.",
        e.id
    )))
}

pub fn create_vpc_block_public_access_exclusion(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateVpcBlockPublicAccessExclusionRequest,
) -> Result<CreateVpcBlockPublicAccessExclusionResult, ApiError> {
    let (resource_id, vpc_id, kind) = match (input.vpc_id.as_deref(), input.subnet_id.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(errors::invalid_parameter_combination("Only one of VpcId or SubnetId can be specified."))
        }
        (None, None) => return Err(errors::missing_parameter("VpcId or SubnetId")),
        (Some(vpc), None) => {
            vpcs::get(state, vpc)?;
            (vpc.to_string(), vpc.to_string(), "vpc")
        }
        (None, Some(subnet)) => {
            let rec = subnets::get(state, subnet)?;
            (subnet.to_string(), rec.subnet.vpc_id.clone().unwrap_or_default(), "subnet")
        }
    };
    one_of(
        "InternetGatewayExclusionMode",
        &input.internet_gateway_exclusion_mode,
        enums::INTERNET_GATEWAY_EXCLUSION_MODE,
    )?;
    if let Some(other) = state.vpc_bpa.exclusion_of(&resource_id) {
        return Err(errors::invalid_parameter_value(format!(
            "Resource {resource_id} already has an exclusion ({}).",
            other.id
        )));
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "vpc-block-public-access-exclusion")?;
    let id = ids::resource_id("vpcbpa-exclude");
    let exclusion = BpaExclusion {
        id: id.clone(),
        resource_arn: format!("arn:aws:ec2:{}:{}:{kind}/{resource_id}", ctx.region, ctx.account()),
        resource_id,
        vpc_id,
        mode: input.internet_gateway_exclusion_mode.clone(),
        created: ctx.now,
        last_update: ctx.now,
        modified: false,
        deleted: None,
    };
    state.vpc_bpa.exclusions.insert(id.clone(), exclusion);
    state.set_tags(&id, tags);
    let mut answer = dto(state, &state.vpc_bpa.exclusions[&id]);
    answer.state = Some("create-in-progress".into());
    Ok(CreateVpcBlockPublicAccessExclusionResult { vpc_block_public_access_exclusion: Some(answer) })
}

pub fn modify_vpc_block_public_access_exclusion(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVpcBlockPublicAccessExclusionRequest,
) -> Result<ModifyVpcBlockPublicAccessExclusionResult, ApiError> {
    live(get(state, ctx, &input.exclusion_id)?, "modified")?;
    one_of(
        "InternetGatewayExclusionMode",
        &input.internet_gateway_exclusion_mode,
        enums::INTERNET_GATEWAY_EXCLUSION_MODE,
    )?;
    let e = state.vpc_bpa.exclusions.get_mut(&input.exclusion_id).expect("checked above");
    e.mode = input.internet_gateway_exclusion_mode.clone();
    e.modified = true;
    e.last_update = ctx.now;
    let mut answer = dto(state, &state.vpc_bpa.exclusions[&input.exclusion_id]);
    answer.state = Some("update-in-progress".into());
    Ok(ModifyVpcBlockPublicAccessExclusionResult { vpc_block_public_access_exclusion: Some(answer) })
}

pub fn delete_vpc_block_public_access_exclusion(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteVpcBlockPublicAccessExclusionRequest,
) -> Result<DeleteVpcBlockPublicAccessExclusionResult, ApiError> {
    live(get(state, ctx, &input.exclusion_id)?, "deleted")?;
    let e = state.vpc_bpa.exclusions.get_mut(&input.exclusion_id).expect("checked above");
    e.deleted = Some(ctx.now);
    e.last_update = ctx.now;
    let mut answer = dto(state, &state.vpc_bpa.exclusions[&input.exclusion_id]);
    answer.state = Some("delete-in-progress".into());
    Ok(DeleteVpcBlockPublicAccessExclusionResult { vpc_block_public_access_exclusion: Some(answer) })
}

pub fn describe_vpc_block_public_access_exclusions(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeVpcBlockPublicAccessExclusionsRequest,
) -> Result<DescribeVpcBlockPublicAccessExclusionsResult, ApiError> {
    let ids = input.exclusion_ids.clone().unwrap_or_default();
    for id in &ids {
        get(state, ctx, id)?;
    }
    let all = state
        .vpc_bpa
        .exclusions
        .values()
        .filter(|e| shown(e, ctx.now) && (ids.is_empty() || ids.contains(&e.id)))
        .map(|e| dto(state, e));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next_token) =
        paginate(items, |e| e.exclusion_id.clone().unwrap_or_default(), input.page(), !ids.is_empty())?;
    Ok(DescribeVpcBlockPublicAccessExclusionsResult { vpc_block_public_access_exclusions: Some(page), next_token })
}

/// A VPC or subnet was deleted: its exclusion goes with it.
pub fn resource_deleted(state: &mut Ec2State, resource_id: &str, now: DateTime<Utc>) {
    let bpa: &mut VpcBpaState = &mut state.vpc_bpa;
    for e in bpa.exclusions.values_mut().filter(|e| e.live() && e.resource_id == resource_id) {
        e.deleted = Some(now);
        e.last_update = now;
    }
}

impl Filterable for VpcBlockPublicAccessExclusion {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "resource-arn" => opt(&self.resource_arn),
            "internet-gateway-exclusion-mode" => opt(&self.internet_gateway_exclusion_mode),
            "state" => opt(&self.state),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

#[cfg(test)]
mod tests {
    use nimbus_core::regions;
    use serde_json::json;

    use super::*;
    use crate::generated::dto::{DeleteSubnetRequest, DeleteVpcRequest};
    use crate::state::cidr::Ipv4Cidr;

    fn scene() -> (Ec2State, RequestContext, String, String) {
        let ctx = RequestContext::for_tests();
        let mut s = Ec2State::default();
        vpcs::ensure_initialized(&mut s, &ctx);
        let vpc =
            vpcs::create_vpc_record(&mut s, &ctx, Ipv4Cidr::parse("10.0.0.0/16").unwrap(), false, "default", None);
        let zone = regions::availability_zones("us-east-1")[0];
        let subnet =
            subnets::create_subnet_record(&mut s, &ctx, &vpc, Ipv4Cidr::parse("10.0.1.0/24").unwrap(), zone, false);
        (s, ctx, vpc, subnet)
    }

    fn create(
        s: &mut Ec2State,
        ctx: &RequestContext,
        body: serde_json::Value,
    ) -> Result<VpcBlockPublicAccessExclusion, ApiError> {
        create_vpc_block_public_access_exclusion(s, ctx, serde_json::from_value(body).unwrap())
            .map(|r| r.vpc_block_public_access_exclusion.unwrap())
    }

    fn describe(
        s: &Ec2State,
        ctx: &RequestContext,
        body: serde_json::Value,
    ) -> Result<Vec<VpcBlockPublicAccessExclusion>, ApiError> {
        describe_vpc_block_public_access_exclusions(s, ctx, serde_json::from_value(body).unwrap())
            .map(|r| r.vpc_block_public_access_exclusions.unwrap())
    }

    #[test]
    fn the_mode_starts_off_and_settles_after_a_change() {
        let (mut s, ctx, _, _) = scene();
        let shown = |s: &Ec2State| {
            describe_vpc_block_public_access_options(s, &ctx, Default::default())
                .unwrap()
                .vpc_block_public_access_options
                .unwrap()
        };
        let first = shown(&s);
        assert_eq!(first.state.as_deref(), Some("default-state"));
        assert_eq!(first.internet_gateway_block_mode.as_deref(), Some("off"));
        assert_eq!(first.aws_account_id.as_deref(), Some(ctx.account()));
        assert!(first.last_update_timestamp.is_none());
        let modify = |s: &mut Ec2State, mode: &str| {
            modify_vpc_block_public_access_options(
                s,
                &ctx,
                serde_json::from_value(json!({"InternetGatewayBlockMode": mode})).unwrap(),
            )
        };
        let changed = modify(&mut s, "block-ingress").unwrap().vpc_block_public_access_options.unwrap();
        assert_eq!(changed.state.as_deref(), Some("update-in-progress"));
        let later = shown(&s);
        assert_eq!(
            (later.state.as_deref(), later.internet_gateway_block_mode.as_deref()),
            (Some("update-complete"), Some("block-ingress"))
        );
        assert!(later.last_update_timestamp.is_some());
        assert_eq!(modify(&mut s, "block-everything").unwrap_err().code, "InvalidParameterValue");
    }

    #[test]
    fn exclusions_have_a_lifecycle_filters_and_errors() {
        let (mut s, ctx, vpc, subnet) = scene();
        let made = create(&mut s, &ctx, json!({"VpcId": vpc, "InternetGatewayExclusionMode": "allow-egress",
            "TagSpecifications": [{"ResourceType": "vpc-block-public-access-exclusion", "Tags": [{"Key": "k", "Value": "v"}]}]}))
        .unwrap();
        let id = made.exclusion_id.clone().unwrap();
        assert!(id.starts_with("vpcbpa-exclude-"));
        assert_eq!(made.state.as_deref(), Some("create-in-progress"));
        assert_eq!(made.resource_arn, Some(format!("arn:aws:ec2:{}:{}:vpc/{vpc}", ctx.region, ctx.account())));
        let code = |s: &mut Ec2State, body: serde_json::Value| create(s, &ctx, body).unwrap_err().code;
        assert_eq!(
            code(&mut s, json!({"VpcId": vpc, "InternetGatewayExclusionMode": "allow-egress"})),
            "InvalidParameterValue"
        );
        assert_eq!(
            code(&mut s, json!({"VpcId": vpc, "SubnetId": subnet, "InternetGatewayExclusionMode": "allow-egress"})),
            "InvalidParameterCombination"
        );
        assert_eq!(code(&mut s, json!({"InternetGatewayExclusionMode": "allow-egress"})), "MissingParameter");
        assert_eq!(
            code(&mut s, json!({"VpcId": "vpc-0000000000000000a", "InternetGatewayExclusionMode": "allow-egress"})),
            "InvalidVpcID.NotFound"
        );
        assert_eq!(
            code(
                &mut s,
                json!({"SubnetId": "subnet-0000000000000000a", "InternetGatewayExclusionMode": "allow-egress"})
            ),
            "InvalidSubnetID.NotFound"
        );
        assert_eq!(
            code(&mut s, json!({"SubnetId": subnet, "InternetGatewayExclusionMode": "allow-all"})),
            "InvalidParameterValue"
        );
        let on_subnet =
            create(&mut s, &ctx, json!({"SubnetId": subnet, "InternetGatewayExclusionMode": "allow-bidirectional"}))
                .unwrap()
                .exclusion_id
                .unwrap();

        let all = describe(&s, &ctx, json!({})).unwrap();
        assert!(all.iter().all(|e| e.state.as_deref() == Some("create-complete")));
        let by_mode = describe(
            &s,
            &ctx,
            json!({"Filters": [{"Name": "internet-gateway-exclusion-mode", "Values": ["allow-egress"]}]}),
        )
        .unwrap();
        assert_eq!(by_mode.len(), 1);
        assert_eq!(by_mode[0].tags.as_ref().unwrap()[0].key.as_deref(), Some("k"));
        let by_tag = describe(&s, &ctx, json!({"Filters": [{"Name": "tag:k", "Values": ["v"]}]})).unwrap();
        assert_eq!(by_tag[0].exclusion_id.as_deref(), Some(id.as_str()));
        assert_eq!(
            describe(&s, &ctx, json!({"ExclusionIds": ["vpcbpa-exclude-0000000000000000a"]})).unwrap_err().code,
            "InvalidVpcBlockPublicAccessExclusionId.NotFound"
        );
        assert_eq!(
            describe(&s, &ctx, json!({"Filters": [{"Name": "nope", "Values": ["x"]}]})).unwrap_err().code,
            "InvalidParameterValue"
        );

        let modified = modify_vpc_block_public_access_exclusion(
            &mut s,
            &ctx,
            serde_json::from_value(json!({"ExclusionId": id, "InternetGatewayExclusionMode": "allow-bidirectional"}))
                .unwrap(),
        )
        .unwrap()
        .vpc_block_public_access_exclusion
        .unwrap();
        assert_eq!(modified.state.as_deref(), Some("update-in-progress"));
        let one = describe(&s, &ctx, json!({"ExclusionIds": [id]})).unwrap();
        assert_eq!(
            (one[0].state.as_deref(), one[0].internet_gateway_exclusion_mode.as_deref()),
            (Some("update-complete"), Some("allow-bidirectional"))
        );

        let delete = |s: &mut Ec2State, id: &str| {
            delete_vpc_block_public_access_exclusion(
                s,
                &ctx,
                serde_json::from_value(json!({"ExclusionId": id})).unwrap(),
            )
        };
        let gone = delete(&mut s, &id).unwrap().vpc_block_public_access_exclusion.unwrap();
        assert_eq!(gone.state.as_deref(), Some("delete-in-progress"));
        assert!(gone.deletion_timestamp.is_some());
        let err = delete(&mut s, &id).unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        assert!(err.message.contains("is in delete-complete state and cannot be deleted"), "{}", err.message);
        let one = describe(&s, &ctx, json!({"ExclusionIds": [id]})).unwrap();
        assert_eq!(one[0].state.as_deref(), Some("delete-complete"));
        // A new exclusion for the VPC may be made once the old one is deleted.
        create(&mut s, &ctx, json!({"VpcId": vpc, "InternetGatewayExclusionMode": "allow-egress"})).unwrap();

        let mut later = ctx.clone();
        later.now += TimeDelta::hours(2);
        assert_eq!(
            describe(&s, &later, json!({"ExclusionIds": [id]})).unwrap_err().code,
            "InvalidVpcBlockPublicAccessExclusionId.NotFound"
        );

        // Deleting the subnet deletes its exclusion.
        subnets::delete_subnet(&mut s, &ctx, DeleteSubnetRequest { subnet_id: subnet, ..Default::default() }).unwrap();
        let one = describe(&s, &ctx, json!({"ExclusionIds": [on_subnet]})).unwrap();
        assert_eq!(one[0].state.as_deref(), Some("delete-complete"));
        vpcs::delete_vpc(&mut s, &ctx, DeleteVpcRequest { vpc_id: vpc.clone(), ..Default::default() }).unwrap();
        assert!(s.vpc_bpa.exclusion_of(&vpc).is_none());
    }

    #[test]
    fn exclusions_page() {
        let (mut s, ctx, vpc, _) = scene();
        let zone = regions::availability_zones("us-east-1")[0];
        for i in 0..6 {
            let cidr = Ipv4Cidr::parse(&format!("10.0.{}.0/24", 10 + i)).unwrap();
            let subnet = subnets::create_subnet_record(&mut s, &ctx, &vpc, cidr, zone, false);
            create(&mut s, &ctx, json!({"SubnetId": subnet, "InternetGatewayExclusionMode": "allow-egress"})).unwrap();
        }
        let first = describe_vpc_block_public_access_exclusions(
            &s,
            &ctx,
            serde_json::from_value(json!({"MaxResults": 5})).unwrap(),
        )
        .unwrap();
        assert_eq!(first.vpc_block_public_access_exclusions.unwrap().len(), 5);
        let rest = describe_vpc_block_public_access_exclusions(
            &s,
            &ctx,
            serde_json::from_value(json!({"MaxResults": 5, "NextToken": first.next_token.unwrap()})).unwrap(),
        )
        .unwrap();
        assert_eq!(rest.vpc_block_public_access_exclusions.unwrap().len(), 1);
        assert!(rest.next_token.is_none());
    }
}
