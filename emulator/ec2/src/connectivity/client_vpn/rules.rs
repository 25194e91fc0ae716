//! Ingress authorization rules: AuthorizeClientVpnIngress, RevokeClientVpnIngress and
//! DescribeClientVpnAuthorizationRules. A rule opens a destination network to one access
//! group (of Active Directory or the SAML provider) or to all clients; `authorizing` ->
//! `active`, `revoking`, then gone.

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use super::endpoints::{get_live, get_mut};
use crate::generated::dto::{
    AuthorizationRule, AuthorizeClientVpnIngressRequest, AuthorizeClientVpnIngressResult,
    ClientVpnAuthorizationRuleStatus, DescribeClientVpnAuthorizationRulesRequest,
    DescribeClientVpnAuthorizationRulesResult, RevokeClientVpnIngressRequest, RevokeClientVpnIngressResult,
};
use crate::generated::errors;
use crate::state::cidr::Ipv4Cidr;
use crate::state::client_vpn::ClientVpnRule;
use crate::state::params::invalid_value;
use crate::state::support::{filtered, paginate};
use crate::state::transit::{Life, Stage};
use crate::state::Ec2State;

fn status(code: &str) -> Option<ClientVpnAuthorizationRuleStatus> {
    Some(ClientVpnAuthorizationRuleStatus { code: Some(code.into()), message: None })
}

/// The group a request names: an access group, or `None` for all groups (exactly one
/// of the two must be given).
fn group_of(group: Option<&String>, all: Option<bool>) -> Result<Option<String>, ApiError> {
    let group = group.filter(|g| !g.is_empty());
    match (group, all.unwrap_or(false)) {
        (Some(_), true) => {
            Err(errors::invalid_parameter_combination("You cannot specify both an access group and all groups."))
        }
        (Some(g), false) => Ok(Some(g.clone())),
        (None, true) => Ok(None),
        (None, false) => Err(errors::missing_parameter("AccessGroupId or AuthorizeAllGroups")),
    }
}

fn check_cidr(cidr: &str) -> Result<(), ApiError> {
    Ipv4Cidr::parse(cidr).map(|_| ()).ok_or_else(|| invalid_value("TargetNetworkCidr", cidr, ""))
}

fn group_text(group: &Option<String>) -> &str {
    group.as_deref().unwrap_or("all groups")
}

pub fn authorize_client_vpn_ingress(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AuthorizeClientVpnIngressRequest,
) -> Result<AuthorizeClientVpnIngressResult, ApiError> {
    let id = input.client_vpn_endpoint_id.clone();
    get_live(state, &id)?;
    check_cidr(&input.target_network_cidr)?;
    let group = group_of(input.access_group_id.as_ref(), input.authorize_all_groups)?;
    let rec = get_mut(state, ctx, &id)?;
    let cidr = input.target_network_cidr;
    if rec.rules.iter().any(|r| r.cidr == cidr && r.group_id == group && r.life.stage != Stage::Deleted) {
        return Err(errors::invalid_client_vpn_duplicate_authorization_rule(&cidr, group_text(&group), &id));
    }
    rec.rules.push(ClientVpnRule {
        cidr,
        group_id: group,
        description: input.description,
        life: Life::new(Stage::Created, ctx.now),
    });
    rec.rules.sort_by_key(|r| r.key());
    Ok(AuthorizeClientVpnIngressResult { status: status("authorizing") })
}

pub fn revoke_client_vpn_ingress(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: RevokeClientVpnIngressRequest,
) -> Result<RevokeClientVpnIngressResult, ApiError> {
    let id = input.client_vpn_endpoint_id.clone();
    get_live(state, &id)?;
    check_cidr(&input.target_network_cidr)?;
    let group = group_of(input.access_group_id.as_ref(), input.revoke_all_groups)?;
    let rec = get_mut(state, ctx, &id)?;
    let cidr = input.target_network_cidr;
    let rule = rec
        .rules
        .iter_mut()
        .find(|r| r.cidr == cidr && r.group_id == group && r.life.stage != Stage::Deleted)
        .ok_or_else(|| {
        errors::invalid_client_vpn_endpoint_authorization_rule_not_found(&cidr, group_text(&group), &id)
    })?;
    rule.life = Life::new(Stage::Deleted, ctx.now);
    Ok(RevokeClientVpnIngressResult { status: status("revoking") })
}

impl Filterable for AuthorizationRule {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "description" => opt(&self.description),
            "destination-cidr" => opt(&self.destination_cidr),
            "group-id" => opt(&self.group_id),
            _ => return None,
        })
    }
}

pub fn describe_client_vpn_authorization_rules(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeClientVpnAuthorizationRulesRequest,
) -> Result<DescribeClientVpnAuthorizationRulesResult, ApiError> {
    let paging = input.page();
    let rec = get_live(state, &input.client_vpn_endpoint_id)?;
    let delay = state.transition_delay();
    let items: Vec<AuthorizationRule> = rec
        .rules
        .iter()
        .filter_map(|r| {
            let code = match (r.life.stage, r.life.settled(delay, ctx.now)) {
                (Stage::Deleted, true) => return None,
                (Stage::Deleted, false) => "revoking",
                (_, false) => "authorizing",
                (_, true) => "active",
            };
            Some(AuthorizationRule {
                client_vpn_endpoint_id: Some(rec.id().to_string()),
                description: r.description.clone(),
                group_id: r.group_id.clone(),
                access_all: Some(r.group_id.is_none()),
                destination_cidr: Some(r.cidr.clone()),
                status: status(code),
            })
        })
        .collect();
    let items = filtered(items, input.filters.as_deref())?;
    // The order of `ClientVpnRule::key`, which the rules are kept in.
    let key = |r: &AuthorizationRule| {
        format!("{}|{}", r.destination_cidr.as_deref().unwrap_or(""), r.group_id.as_deref().unwrap_or(""))
    };
    let (page, next) = paginate(items, key, paging, false)?;
    Ok(DescribeClientVpnAuthorizationRulesResult { authorization_rules: Some(page), next_token: next })
}
