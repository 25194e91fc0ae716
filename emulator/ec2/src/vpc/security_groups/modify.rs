//! ModifySecurityGroupRules and the rule descriptions.

use nimbus_core::{ApiError, RequestContext};

use super::groups::resolve;
use super::rules::{describe_rule, expand, same_rule};
use crate::generated::dto::{
    IpPermission, IpRange, Ipv6Range, ModifySecurityGroupRulesRequest, ModifySecurityGroupRulesResult, PrefixListId,
    SecurityGroupRuleDescription, SecurityGroupRuleRequest, UpdateSecurityGroupRuleDescriptionsEgressRequest,
    UpdateSecurityGroupRuleDescriptionsEgressResult, UpdateSecurityGroupRuleDescriptionsIngressRequest,
    UpdateSecurityGroupRuleDescriptionsIngressResult, UserIdGroupPair,
};
use crate::generated::errors;
use crate::state::Ec2State;

fn request_to_permission(r: &SecurityGroupRuleRequest) -> IpPermission {
    IpPermission {
        ip_protocol: r.ip_protocol.clone(),
        from_port: r.from_port,
        to_port: r.to_port,
        ip_ranges: r
            .cidr_ipv4
            .as_ref()
            .map(|c| vec![IpRange { cidr_ip: Some(c.clone()), description: r.description.clone() }]),
        ipv6_ranges: r
            .cidr_ipv6
            .as_ref()
            .map(|c| vec![Ipv6Range { cidr_ipv6: Some(c.clone()), description: r.description.clone() }]),
        prefix_list_ids: r
            .prefix_list_id
            .as_ref()
            .map(|p| vec![PrefixListId { prefix_list_id: Some(p.clone()), description: r.description.clone() }]),
        user_id_group_pairs: r.referenced_group_id.as_ref().map(|g| {
            vec![UserIdGroupPair {
                group_id: Some(g.clone()),
                description: r.description.clone(),
                ..Default::default()
            }]
        }),
    }
}

pub fn modify_security_group_rules(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifySecurityGroupRulesRequest,
) -> Result<ModifySecurityGroupRulesResult, ApiError> {
    let group = resolve(state, Some(&input.group_id), None)?.clone();
    let mut updated = group.rules.clone();
    for update in &input.security_group_rules {
        let Some(pos) = updated.iter().position(|r| r.id == update.security_group_rule_id) else {
            return Err(errors::invalid_security_group_rule_id_not_found(&update.security_group_rule_id));
        };
        let Some(req) = &update.security_group_rule else {
            return Err(errors::missing_parameter("SecurityGroupRule"));
        };
        let mut rules = expand(state, ctx, &group, updated[pos].egress, &request_to_permission(req))?;
        if rules.len() != 1 {
            return Err(errors::invalid_parameter_value("A security group rule must have exactly one peer"));
        }
        let mut rule = rules.remove(0);
        rule.id = updated[pos].id.clone();
        if updated.iter().enumerate().any(|(i, r)| i != pos && same_rule(r, &rule)) {
            return Err(errors::invalid_permission_duplicate(describe_rule(&rule)));
        }
        updated[pos] = rule;
    }
    state.security_groups.get_mut(&input.group_id).expect("checked above").rules = updated;
    Ok(ModifySecurityGroupRulesResult { r#return: Some(true) })
}

fn update_descriptions(
    state: &mut Ec2State,
    ctx: &RequestContext,
    group_id: Option<&str>,
    group_name: Option<&str>,
    egress: bool,
    perms: Vec<IpPermission>,
    by_id: Vec<SecurityGroupRuleDescription>,
) -> Result<(), ApiError> {
    let group = resolve(state, group_id, group_name)?.clone();
    let mut rules = group.rules.clone();
    for d in &by_id {
        let id = d.security_group_rule_id.as_deref().unwrap_or_default();
        let r = rules
            .iter_mut()
            .find(|r| r.id == id && r.egress == egress)
            .ok_or_else(|| errors::invalid_security_group_rule_id_not_found(id))?;
        r.description = d.description.clone().filter(|s| !s.is_empty());
    }
    for perm in &perms {
        for wanted in expand(state, ctx, &group, egress, perm)? {
            let r =
                rules.iter_mut().find(|r| same_rule(r, &wanted)).ok_or_else(errors::invalid_permission_not_found)?;
            r.description = wanted.description.clone();
        }
    }
    state.security_groups.get_mut(&group.group_id).expect("resolved above").rules = rules;
    Ok(())
}

pub fn update_security_group_rule_descriptions_ingress(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: UpdateSecurityGroupRuleDescriptionsIngressRequest,
) -> Result<UpdateSecurityGroupRuleDescriptionsIngressResult, ApiError> {
    update_descriptions(
        state,
        ctx,
        input.group_id.as_deref(),
        input.group_name.as_deref(),
        false,
        input.ip_permissions.unwrap_or_default(),
        input.security_group_rule_descriptions.unwrap_or_default(),
    )?;
    Ok(UpdateSecurityGroupRuleDescriptionsIngressResult { r#return: Some(true) })
}

pub fn update_security_group_rule_descriptions_egress(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: UpdateSecurityGroupRuleDescriptionsEgressRequest,
) -> Result<UpdateSecurityGroupRuleDescriptionsEgressResult, ApiError> {
    update_descriptions(
        state,
        ctx,
        input.group_id.as_deref(),
        input.group_name.as_deref(),
        true,
        input.ip_permissions.unwrap_or_default(),
        input.security_group_rule_descriptions.unwrap_or_default(),
    )?;
    Ok(UpdateSecurityGroupRuleDescriptionsEgressResult { r#return: Some(true) })
}
