//! CreateSecurityGroup and DeleteSecurityGroup, and the default group every VPC has.

use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    CreateSecurityGroupRequest, CreateSecurityGroupResult, DeleteSecurityGroupRequest, DeleteSecurityGroupResult,
};
use crate::generated::errors;
use crate::state::support::spec_tags;
use crate::state::{Ec2State, Peer, SecurityGroupRecord, SgRule};
use crate::vpc::vpcs;

/// AWS's default quota of rules per direction.
pub(super) const MAX_RULES: usize = 60;

pub(super) fn new_rule(egress: bool, protocol: &str, from: Option<i32>, to: Option<i32>, peer: Peer) -> SgRule {
    SgRule {
        id: ids::resource_id("sgr"),
        egress,
        protocol: protocol.into(),
        from_port: from,
        to_port: to,
        peer,
        description: None,
    }
}

/// The default group every VPC gets: all traffic in from itself, all out.
pub fn create_default_group(state: &mut Ec2State, ctx: &RequestContext, vpc_id: &str) -> String {
    let id = ids::resource_id("sg");
    let group = SecurityGroupRecord {
        group_id: id.clone(),
        group_name: "default".into(),
        description: "default VPC security group".into(),
        vpc_id: vpc_id.into(),
        owner_id: ctx.account().into(),
        rules: vec![
            new_rule(
                false,
                "-1",
                None,
                None,
                Peer::Group { group_id: id.clone(), user_id: ctx.account().into(), vpc_id: None },
            ),
            new_rule(true, "-1", None, None, Peer::Ipv4("0.0.0.0/0".into())),
        ],
    };
    state.security_groups.insert(id.clone(), group);
    id
}

fn default_vpc(state: &Ec2State) -> Option<String> {
    state.vpcs.iter().find(|(_, v)| v.vpc.is_default == Some(true)).map(|(id, _)| id.clone())
}

/// A group by id, or by name in the default VPC (the only place names identify groups).
pub(super) fn resolve<'a>(
    state: &'a Ec2State,
    id: Option<&str>,
    name: Option<&str>,
) -> Result<&'a SecurityGroupRecord, ApiError> {
    match (id, name) {
        (Some(id), _) => state.security_groups.get(id).ok_or_else(|| {
            if id.starts_with("sg-") {
                errors::invalid_group_not_found(id)
            } else {
                errors::invalid_group_id_malformed(id)
            }
        }),
        (None, Some(name)) => {
            let vpc = default_vpc(state).ok_or_else(errors::vpc_id_not_specified)?;
            state
                .security_groups
                .values()
                .find(|g| g.group_name == name && g.vpc_id == vpc)
                .ok_or_else(|| errors::invalid_group_not_found(name))
        }
        (None, None) => Err(errors::missing_parameter("GroupId or GroupName")),
    }
}

pub fn create_security_group(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateSecurityGroupRequest,
) -> Result<CreateSecurityGroupResult, ApiError> {
    let vpc_id = match input.vpc_id.clone() {
        Some(v) => {
            vpcs::get(state, &v)?;
            v
        }
        None => default_vpc(state).ok_or_else(errors::vpc_id_not_specified)?,
    };
    let name = input.group_name.trim();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(errors::invalid_parameter_value(
            "Invalid value for parameter GroupName: must be 1 to 255 characters",
        ));
    }
    if name.eq_ignore_ascii_case("default") {
        return Err(errors::invalid_group_reserved());
    }
    if name.starts_with("sg-") {
        return Err(errors::invalid_parameter_value(format!("Group names may not be in the format sg-*: {name}")));
    }
    if input.description.chars().count() > 255 || !input.description.is_ascii() {
        return Err(errors::invalid_parameter_value(
            "Invalid value for parameter GroupDescription: must be at most 255 ASCII characters",
        ));
    }
    if state.security_groups.values().any(|g| g.vpc_id == vpc_id && g.group_name == name) {
        return Err(errors::invalid_group_duplicate(name, &vpc_id));
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "security-group")?;
    let id = ids::resource_id("sg");
    let mut rules = vec![new_rule(true, "-1", None, None, Peer::Ipv4("0.0.0.0/0".into()))];
    if state.vpcs.get(&vpc_id).is_some_and(|v| !vpcs::ipv6_blocks(v).is_empty()) {
        rules.push(new_rule(true, "-1", None, None, Peer::Ipv6("::/0".into())));
    }
    state.security_groups.insert(
        id.clone(),
        SecurityGroupRecord {
            group_id: id.clone(),
            group_name: name.into(),
            description: input.description.clone(),
            vpc_id,
            owner_id: ctx.account().into(),
            rules,
        },
    );
    state.set_tags(&id, tags);
    Ok(CreateSecurityGroupResult {
        security_group_arn: Some(arn(ctx, &id)),
        tags: state.dto_tags_if_any(&id),
        group_id: Some(id),
    })
}

pub(super) fn arn(ctx: &RequestContext, id: &str) -> String {
    format!("arn:aws:ec2:{}:{}:security-group/{id}", ctx.region, ctx.account())
}

pub fn delete_security_group(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteSecurityGroupRequest,
) -> Result<DeleteSecurityGroupResult, ApiError> {
    let group = resolve(state, input.group_id.as_deref(), input.group_name.as_deref())?;
    let id = group.group_id.clone();
    if group.group_name == "default" {
        return Err(errors::cannot_delete(&id));
    }
    let referenced = state.security_groups.values().any(|g| {
        g.group_id != id && g.rules.iter().any(|r| matches!(&r.peer, Peer::Group { group_id, .. } if *group_id == id))
    });
    if referenced || crate::vpc::dependents::security_group_in_use(state, &id) {
        return Err(errors::dependency_violation(format!("resource {id} has a dependent object")));
    }
    if let Some(g) = state.security_groups.remove(&id) {
        for r in &g.rules {
            state.forget(&r.id);
        }
    }
    state.forget(&id);
    Ok(DeleteSecurityGroupResult { r#return: Some(true), group_id: Some(id) })
}
