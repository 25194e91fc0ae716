//! DescribeSecurityGroups and DescribeSecurityGroupRules with their filters.

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use super::groups::{arn, resolve};
use super::rules::peer_parts;
use crate::generated::dto::{
    DescribeSecurityGroupRulesRequest, DescribeSecurityGroupRulesResult, DescribeSecurityGroupsRequest,
    DescribeSecurityGroupsResult, IpPermission, IpRange, Ipv6Range, PrefixListId, ReferencedSecurityGroup,
    SecurityGroup, SecurityGroupRule, UserIdGroupPair,
};
use crate::generated::errors;
use crate::state::support::{filtered, paginate, tag_pairs};
use crate::state::{Ec2State, Peer, SecurityGroupRecord, SgRule};

/// The rules of one direction in AWS's `IpPermissions` shape: one permission per
/// (protocol, port range), peers listed under it in rule order.
fn permissions(rules: &[SgRule], egress: bool) -> Vec<IpPermission> {
    let mut out: Vec<IpPermission> = Vec::new();
    for r in rules.iter().filter(|r| r.egress == egress) {
        let i = match out.iter().position(|p| {
            p.ip_protocol.as_deref() == Some(&r.protocol) && p.from_port == r.from_port && p.to_port == r.to_port
        }) {
            Some(i) => i,
            None => {
                out.push(IpPermission {
                    ip_protocol: Some(r.protocol.clone()),
                    from_port: r.from_port,
                    to_port: r.to_port,
                    user_id_group_pairs: Some(Vec::new()),
                    ip_ranges: Some(Vec::new()),
                    ipv6_ranges: Some(Vec::new()),
                    prefix_list_ids: Some(Vec::new()),
                });
                out.len() - 1
            }
        };
        let p = &mut out[i];
        match &r.peer {
            Peer::Ipv4(c) => p
                .ip_ranges
                .get_or_insert_with(Vec::new)
                .push(IpRange { cidr_ip: Some(c.clone()), description: r.description.clone() }),
            Peer::Ipv6(c) => p
                .ipv6_ranges
                .get_or_insert_with(Vec::new)
                .push(Ipv6Range { cidr_ipv6: Some(c.clone()), description: r.description.clone() }),
            Peer::PrefixList(id) => p
                .prefix_list_ids
                .get_or_insert_with(Vec::new)
                .push(PrefixListId { prefix_list_id: Some(id.clone()), description: r.description.clone() }),
            Peer::Group { group_id, user_id, vpc_id } => {
                p.user_id_group_pairs.get_or_insert_with(Vec::new).push(UserIdGroupPair {
                    description: r.description.clone(),
                    user_id: Some(user_id.clone()),
                    group_id: Some(group_id.clone()),
                    vpc_id: vpc_id.clone(),
                    ..Default::default()
                })
            }
        }
    }
    out
}

pub fn describe_one(state: &Ec2State, ctx: &RequestContext, id: &str) -> SecurityGroup {
    let g = &state.security_groups[id];
    SecurityGroup {
        group_id: Some(g.group_id.clone()),
        ip_permissions_egress: Some(permissions(&g.rules, true)),
        tags: state.dto_tags_if_any(id),
        vpc_id: Some(g.vpc_id.clone()),
        security_group_arn: Some(arn(ctx, id)),
        owner_id: Some(g.owner_id.clone()),
        group_name: Some(g.group_name.clone()),
        description: Some(g.description.clone()),
        ip_permissions: Some(permissions(&g.rules, false)),
    }
}

fn perm_values(perms: &Option<Vec<IpPermission>>, what: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in perms.iter().flatten() {
        match what {
            "cidr" => out.extend(p.ip_ranges.iter().flatten().filter_map(|r| r.cidr_ip.clone())),
            "ipv6-cidr" => out.extend(p.ipv6_ranges.iter().flatten().filter_map(|r| r.cidr_ipv6.clone())),
            "prefix-list-id" => out.extend(p.prefix_list_ids.iter().flatten().filter_map(|r| r.prefix_list_id.clone())),
            "group-id" => out.extend(p.user_id_group_pairs.iter().flatten().filter_map(|r| r.group_id.clone())),
            "group-name" => out.extend(p.user_id_group_pairs.iter().flatten().filter_map(|r| r.group_name.clone())),
            "user-id" => out.extend(p.user_id_group_pairs.iter().flatten().filter_map(|r| r.user_id.clone())),
            "protocol" => out.extend(p.ip_protocol.clone()),
            "from-port" => out.extend(p.from_port.map(|n| n.to_string())),
            "to-port" => out.extend(p.to_port.map(|n| n.to_string())),
            _ => {}
        }
    }
    out
}

impl Filterable for SecurityGroup {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        const PERM: &[&str] = &[
            "cidr",
            "ipv6-cidr",
            "prefix-list-id",
            "group-id",
            "group-name",
            "user-id",
            "protocol",
            "from-port",
            "to-port",
        ];
        if let Some(what) = name.strip_prefix("egress.ip-permission.") {
            return PERM.contains(&what).then(|| perm_values(&self.ip_permissions_egress, what));
        }
        if let Some(what) = name.strip_prefix("ip-permission.") {
            return PERM.contains(&what).then(|| perm_values(&self.ip_permissions, what));
        }
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "description" => opt(&self.description),
            "group-id" => opt(&self.group_id),
            "group-name" => opt(&self.group_name),
            "owner-id" => opt(&self.owner_id),
            "vpc-id" => opt(&self.vpc_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_security_groups(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeSecurityGroupsRequest,
) -> Result<DescribeSecurityGroupsResult, ApiError> {
    let mut wanted: Vec<String> = Vec::new();
    for id in input.group_ids.iter().flatten() {
        wanted.push(resolve(state, Some(id), None)?.group_id.clone());
    }
    for name in input.group_names.iter().flatten() {
        wanted.push(resolve(state, None, Some(name))?.group_id.clone());
    }
    let all = state
        .security_groups
        .keys()
        .filter(|id| wanted.is_empty() || wanted.contains(id))
        .map(|id| describe_one(state, ctx, id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |g| g.group_id.clone().unwrap_or_default(), input.page(), !wanted.is_empty())?;
    Ok(DescribeSecurityGroupsResult { security_groups: Some(page), next_token: next })
}

pub(super) fn rule_dto(
    state: &Ec2State,
    ctx: &RequestContext,
    group: &SecurityGroupRecord,
    r: &SgRule,
) -> SecurityGroupRule {
    let p = peer_parts(&r.peer);
    SecurityGroupRule {
        security_group_rule_id: Some(r.id.clone()),
        group_id: Some(group.group_id.clone()),
        group_owner_id: Some(group.owner_id.clone()),
        is_egress: Some(r.egress),
        ip_protocol: Some(r.protocol.clone()),
        from_port: Some(r.from_port.unwrap_or(-1)),
        to_port: Some(r.to_port.unwrap_or(-1)),
        cidr_ipv4: p.ipv4,
        cidr_ipv6: p.ipv6,
        prefix_list_id: p.prefix_list,
        referenced_group_info: p.group.map(|(group_id, user_id)| ReferencedSecurityGroup {
            group_id: Some(group_id),
            user_id: Some(user_id),
            ..Default::default()
        }),
        description: r.description.clone(),
        tags: state.dto_tags(&r.id),
        security_group_rule_arn: Some(format!(
            "arn:aws:ec2:{}:{}:security-group-rule/{}",
            ctx.region, group.owner_id, r.id
        )),
    }
}

impl Filterable for SecurityGroupRule {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "group-id" => self.group_id.iter().cloned().collect(),
            "security-group-rule-id" => self.security_group_rule_id.iter().cloned().collect(),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

fn all_rules(state: &Ec2State, ctx: &RequestContext) -> Vec<SecurityGroupRule> {
    state
        .security_groups
        .values()
        .flat_map(|g| g.rules.iter().map(move |r| (g, r)))
        .map(|(g, r)| rule_dto(state, ctx, g, r))
        .collect()
}

pub fn describe_security_group_rules(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeSecurityGroupRulesRequest,
) -> Result<DescribeSecurityGroupRulesResult, ApiError> {
    let paging = input.page();
    // A group id that cannot be one is refused, not answered with nothing.
    for f in input.filters.iter().flatten().filter(|f| f.name.as_deref() == Some("group-id")) {
        if let Some(bad) = f.values.iter().flatten().find(|v| !well_formed_group_id(v)) {
            return Err(errors::invalid_group_id_malformed(bad));
        }
    }
    let ids = input.security_group_rule_ids.unwrap_or_default();
    let mut rules = all_rules(state, ctx);
    for id in &ids {
        if !rules.iter().any(|r| r.security_group_rule_id.as_deref() == Some(id)) {
            return Err(errors::invalid_security_group_rule_id_not_found(id));
        }
    }
    if !ids.is_empty() {
        rules.retain(|r| r.security_group_rule_id.as_ref().is_some_and(|id| ids.contains(id)));
    }
    rules.sort_by(|a, b| a.security_group_rule_id.cmp(&b.security_group_rule_id));
    let items = filtered(rules, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |r| r.security_group_rule_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeSecurityGroupRulesResult { security_group_rules: Some(page), next_token: next })
}

/// `sg-` and 8 or 17 hexadecimal digits (wildcards allowed, as filters take them).
fn well_formed_group_id(id: &str) -> bool {
    id.strip_prefix("sg-").is_some_and(|h| {
        (1..=17).contains(&h.len()) && h.chars().all(|c| c.is_ascii_hexdigit() || c == '*' || c == '?')
    }) || id == "*"
}
