//! Authorize and Revoke, ingress and egress: permissions read into rules.

use nimbus_core::{ApiError, RequestContext};

use super::describe::rule_dto;
use super::groups::{new_rule, resolve, MAX_RULES};
use crate::generated::dto::{
    AuthorizeSecurityGroupEgressRequest, AuthorizeSecurityGroupEgressResult, AuthorizeSecurityGroupIngressRequest,
    AuthorizeSecurityGroupIngressResult, IpPermission, IpRange, RevokeSecurityGroupEgressRequest,
    RevokeSecurityGroupEgressResult, RevokeSecurityGroupIngressRequest, RevokeSecurityGroupIngressResult,
    RevokedSecurityGroupRule, SecurityGroupRule, TagSpecification, UserIdGroupPair,
};
use crate::generated::errors;
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::support::spec_tags;
use crate::state::{Ec2State, Peer, SecurityGroupRecord, SgRule};

/// `tcp`, `udp`, `icmp`, `icmpv6`, `-1` or a protocol number, as AWS stores them.
fn normalise_protocol(raw: &str) -> Result<String, ApiError> {
    let p = raw.trim().to_ascii_lowercase();
    Ok(match p.as_str() {
        "tcp" | "6" => "tcp".into(),
        "udp" | "17" => "udp".into(),
        "icmp" | "1" => "icmp".into(),
        "icmpv6" | "58" => "icmpv6".into(),
        "-1" | "all" => "-1".into(),
        n if n.parse::<u8>().is_ok() => n.into(),
        _ => {
            return Err(errors::invalid_parameter_value(format!(
                "Invalid value '{raw}' for IP protocol. Unknown protocol."
            )))
        }
    })
}

/// The port range a rule keeps for its protocol.
fn ports(protocol: &str, from: Option<i32>, to: Option<i32>) -> Result<(Option<i32>, Option<i32>), ApiError> {
    match protocol {
        "tcp" | "udp" => {
            let (Some(f), Some(t)) = (from, to) else {
                return Err(errors::invalid_parameter_value(
                    "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange. Must specify both from and to ports with TCP/UDP.",
                ));
            };
            if !(0..=65535).contains(&f) || !(0..=65535).contains(&t) || f > t {
                return Err(errors::invalid_parameter_value(format!(
                    "Invalid value 'from port {f} to port {t}' for portRange. Ports must be 0-65535 and from <= to."
                )));
            }
            Ok((Some(f), Some(t)))
        }
        "icmp" | "icmpv6" => {
            let f = from.unwrap_or(-1);
            let t = to.unwrap_or(-1);
            if !(-1..=255).contains(&f) || !(-1..=255).contains(&t) {
                return Err(errors::invalid_parameter_value(format!(
                    "Invalid value '{f}/{t}' for ICMP type/code. Must be between -1 and 255."
                )));
            }
            Ok((Some(f), Some(t)))
        }
        // All protocols, and protocols without ports: AWS keeps no range.
        _ => Ok((None, None)),
    }
}

/// The rules an `IpPermission` stands for, each with its description.
pub(super) fn expand(
    state: &Ec2State,
    ctx: &RequestContext,
    group: &SecurityGroupRecord,
    egress: bool,
    perm: &IpPermission,
) -> Result<Vec<SgRule>, ApiError> {
    let protocol = normalise_protocol(perm.ip_protocol.as_deref().unwrap_or("-1"))?;
    let (from, to) = ports(&protocol, perm.from_port, perm.to_port)?;
    let mut out = Vec::new();
    let mut push = |peer: Peer, description: &Option<String>| {
        let mut r = new_rule(egress, &protocol, from, to, peer);
        r.description = description.clone().filter(|d| !d.is_empty());
        out.push(r);
    };
    for r in perm.ip_ranges.iter().flatten() {
        let raw = r.cidr_ip.as_deref().unwrap_or_default();
        let c = Ipv4Cidr::parse_loose(raw)
            .ok_or_else(|| errors::invalid_parameter_value(format!("CIDR block {raw} is malformed")))?;
        push(Peer::Ipv4(c.to_string()), &r.description);
    }
    for r in perm.ipv6_ranges.iter().flatten() {
        let raw = r.cidr_ipv6.as_deref().unwrap_or_default();
        let c = Ipv6Cidr::parse(raw)
            .ok_or_else(|| errors::invalid_parameter_value(format!("CIDR block {raw} is malformed")))?;
        push(Peer::Ipv6(c.to_string()), &r.description);
    }
    for p in perm.prefix_list_ids.iter().flatten() {
        let id = p.prefix_list_id.clone().unwrap_or_default();
        if !crate::vpc::dependents::prefix_list_exists(state, &id) {
            return Err(ApiError::client(
                "InvalidPrefixListId.NotFound",
                format!("The prefix list ID '{id}' does not exist"),
            ));
        }
        push(Peer::PrefixList(id), &p.description);
    }
    for pair in perm.user_id_group_pairs.iter().flatten() {
        let user_id = pair.user_id.clone().unwrap_or_else(|| ctx.account().to_string());
        let group_id = match (&pair.group_id, &pair.group_name) {
            (Some(gid), _) => {
                if user_id == ctx.account() && !state.security_groups.contains_key(gid) {
                    return Err(errors::invalid_group_not_found(gid));
                }
                gid.clone()
            }
            (None, Some(name)) => state
                .security_groups
                .values()
                .find(|g| g.group_name == *name && g.vpc_id == group.vpc_id)
                .map(|g| g.group_id.clone())
                .ok_or_else(|| errors::invalid_group_not_found(name))?,
            (None, None) => return Err(errors::missing_parameter("GroupId or GroupName in UserIdGroupPairs")),
        };
        push(Peer::Group { group_id, user_id, vpc_id: pair.vpc_id.clone() }, &pair.description);
    }
    if out.is_empty() {
        // A permission with no peer: AWS takes it as 0.0.0.0/0 only for the legacy form.
        return Err(errors::invalid_parameter_value(
            "The request must contain at least one of IpRanges, Ipv6Ranges, PrefixListIds or UserIdGroupPairs",
        ));
    }
    Ok(out)
}

/// The legacy flat parameters (`IpProtocol`, `CidrIp`, `SourceSecurityGroupName`, ...) as permissions.
fn legacy_permissions(
    protocol: &Option<String>,
    from: Option<i32>,
    to: Option<i32>,
    cidr: &Option<String>,
    source_name: &Option<String>,
    source_owner: &Option<String>,
) -> Vec<IpPermission> {
    if cidr.is_none() && source_name.is_none() {
        return Vec::new();
    }
    vec![IpPermission {
        ip_protocol: Some(protocol.clone().unwrap_or_else(|| "-1".into())),
        from_port: from,
        to_port: to,
        ip_ranges: cidr.as_ref().map(|c| vec![IpRange { cidr_ip: Some(c.clone()), description: None }]),
        user_id_group_pairs: source_name.as_ref().map(|n| {
            vec![UserIdGroupPair { group_name: Some(n.clone()), user_id: source_owner.clone(), ..Default::default() }]
        }),
        ..Default::default()
    }]
}

pub(super) fn same_rule(a: &SgRule, b: &SgRule) -> bool {
    a.egress == b.egress
        && a.protocol == b.protocol
        && a.from_port == b.from_port
        && a.to_port == b.to_port
        && a.peer == b.peer
}

/// AWS's wording of a rule in `InvalidPermission.Duplicate`.
pub(super) fn describe_rule(r: &SgRule) -> String {
    let peer = match &r.peer {
        Peer::Ipv4(c) | Peer::Ipv6(c) | Peer::PrefixList(c) => c.clone(),
        Peer::Group { group_id, .. } => group_id.clone(),
    };
    let action = "ALLOW";
    match (r.protocol.as_str(), r.from_port, r.to_port) {
        ("-1", ..) => format!("peer: {peer}, ALL, {action}"),
        (p, Some(f), Some(t)) => {
            format!("peer: {peer}, {}, from port: {f}, to port: {t}, {action}", p.to_ascii_uppercase())
        }
        (p, ..) => format!("peer: {peer}, {}, {action}", p.to_ascii_uppercase()),
    }
}

fn authorize(
    state: &mut Ec2State,
    ctx: &RequestContext,
    group_id: &str,
    egress: bool,
    perms: Vec<IpPermission>,
    tag_specs: Option<&[TagSpecification]>,
) -> Result<Vec<SecurityGroupRule>, ApiError> {
    let group = state.security_groups.get(group_id).ok_or_else(|| errors::invalid_group_not_found(group_id))?.clone();
    if perms.is_empty() {
        return Err(errors::missing_parameter("IpPermissions"));
    }
    let tags = spec_tags(tag_specs, "security-group-rule")?;
    let mut new = Vec::new();
    for perm in &perms {
        for rule in expand(state, ctx, &group, egress, perm)? {
            if group.rules.iter().chain(new.iter()).any(|r| same_rule(r, &rule)) {
                return Err(errors::invalid_permission_duplicate(describe_rule(&rule)));
            }
            new.push(rule);
        }
    }
    let count = group.rules.iter().filter(|r| r.egress == egress).count() + new.len();
    if count > MAX_RULES {
        return Err(ApiError::client(
            "RulesPerSecurityGroupLimitExceeded",
            "The maximum number of rules per security group has been reached.",
        ));
    }
    for r in &new {
        state.set_tags(&r.id, tags.clone());
    }
    let shown: Vec<SecurityGroupRule> = new.iter().map(|r| rule_dto(state, ctx, &group, r)).collect();
    state.security_groups.get_mut(group_id).expect("checked above").rules.extend(new);
    Ok(shown)
}

pub fn authorize_security_group_ingress(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AuthorizeSecurityGroupIngressRequest,
) -> Result<AuthorizeSecurityGroupIngressResult, ApiError> {
    let group_id = resolve(state, input.group_id.as_deref(), input.group_name.as_deref())?.group_id.clone();
    let mut perms = input.ip_permissions.clone().unwrap_or_default();
    perms.extend(legacy_permissions(
        &input.ip_protocol,
        input.from_port,
        input.to_port,
        &input.cidr_ip,
        &input.source_security_group_name,
        &input.source_security_group_owner_id,
    ));
    let rules = authorize(state, ctx, &group_id, false, perms, input.tag_specifications.as_deref())?;
    Ok(AuthorizeSecurityGroupIngressResult { r#return: Some(true), security_group_rules: Some(rules) })
}

pub fn authorize_security_group_egress(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: AuthorizeSecurityGroupEgressRequest,
) -> Result<AuthorizeSecurityGroupEgressResult, ApiError> {
    resolve(state, Some(&input.group_id), None)?;
    let mut perms = input.ip_permissions.clone().unwrap_or_default();
    perms.extend(legacy_permissions(
        &input.ip_protocol,
        input.from_port,
        input.to_port,
        &input.cidr_ip,
        &input.source_security_group_name,
        &input.source_security_group_owner_id,
    ));
    let rules = authorize(state, ctx, &input.group_id, true, perms, input.tag_specifications.as_deref())?;
    Ok(AuthorizeSecurityGroupEgressResult { r#return: Some(true), security_group_rules: Some(rules) })
}

fn revoked(r: &SgRule, group_id: &str) -> RevokedSecurityGroupRule {
    let p = peer_parts(&r.peer);
    RevokedSecurityGroupRule {
        security_group_rule_id: Some(r.id.clone()),
        group_id: Some(group_id.into()),
        is_egress: Some(r.egress),
        ip_protocol: Some(r.protocol.clone()),
        from_port: Some(r.from_port.unwrap_or(-1)),
        to_port: Some(r.to_port.unwrap_or(-1)),
        cidr_ipv4: p.ipv4,
        cidr_ipv6: p.ipv6,
        prefix_list_id: p.prefix_list,
        referenced_group_id: p.group.map(|(g, _)| g),
        description: r.description.clone(),
    }
}

/// A rule's peer in the flat form of `SecurityGroupRule`.
#[derive(Default)]
pub(super) struct PeerParts {
    pub(super) ipv4: Option<String>,
    pub(super) ipv6: Option<String>,
    pub(super) prefix_list: Option<String>,
    pub(super) group: Option<(String, String)>,
}

pub(super) fn peer_parts(peer: &Peer) -> PeerParts {
    match peer {
        Peer::Ipv4(c) => PeerParts { ipv4: Some(c.clone()), ..Default::default() },
        Peer::Ipv6(c) => PeerParts { ipv6: Some(c.clone()), ..Default::default() },
        Peer::PrefixList(p) => PeerParts { prefix_list: Some(p.clone()), ..Default::default() },
        Peer::Group { group_id, user_id, .. } => {
            PeerParts { group: Some((group_id.clone(), user_id.clone())), ..Default::default() }
        }
    }
}

fn revoke(
    state: &mut Ec2State,
    ctx: &RequestContext,
    group_id: &str,
    egress: bool,
    perms: Vec<IpPermission>,
    rule_ids: Vec<String>,
) -> Result<Vec<RevokedSecurityGroupRule>, ApiError> {
    let group = state.security_groups.get(group_id).ok_or_else(|| errors::invalid_group_not_found(group_id))?.clone();
    if perms.is_empty() && rule_ids.is_empty() {
        return Err(errors::missing_parameter("IpPermissions or SecurityGroupRuleIds"));
    }
    let mut gone: Vec<String> = Vec::new();
    for id in &rule_ids {
        match group.rules.iter().find(|r| r.id == *id && r.egress == egress) {
            Some(r) => gone.push(r.id.clone()),
            None => return Err(errors::invalid_security_group_rule_id_not_found(id)),
        }
    }
    for perm in &perms {
        for rule in expand(state, ctx, &group, egress, perm)? {
            match group.rules.iter().find(|r| same_rule(r, &rule)) {
                Some(r) => gone.push(r.id.clone()),
                None => return Err(errors::invalid_permission_not_found()),
            }
        }
    }
    let out: Vec<RevokedSecurityGroupRule> =
        group.rules.iter().filter(|r| gone.contains(&r.id)).map(|r| revoked(r, group_id)).collect();
    state.security_groups.get_mut(group_id).expect("checked above").rules.retain(|r| !gone.contains(&r.id));
    for id in &gone {
        state.forget(id);
    }
    Ok(out)
}

pub fn revoke_security_group_ingress(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: RevokeSecurityGroupIngressRequest,
) -> Result<RevokeSecurityGroupIngressResult, ApiError> {
    let group_id = resolve(state, input.group_id.as_deref(), input.group_name.as_deref())?.group_id.clone();
    let mut perms = input.ip_permissions.clone().unwrap_or_default();
    perms.extend(legacy_permissions(
        &input.ip_protocol,
        input.from_port,
        input.to_port,
        &input.cidr_ip,
        &input.source_security_group_name,
        &input.source_security_group_owner_id,
    ));
    let out = revoke(state, ctx, &group_id, false, perms, input.security_group_rule_ids.unwrap_or_default())?;
    Ok(RevokeSecurityGroupIngressResult {
        r#return: Some(true),
        unknown_ip_permissions: None,
        revoked_security_group_rules: Some(out),
    })
}

pub fn revoke_security_group_egress(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: RevokeSecurityGroupEgressRequest,
) -> Result<RevokeSecurityGroupEgressResult, ApiError> {
    resolve(state, Some(&input.group_id), None)?;
    let mut perms = input.ip_permissions.clone().unwrap_or_default();
    perms.extend(legacy_permissions(
        &input.ip_protocol,
        input.from_port,
        input.to_port,
        &input.cidr_ip,
        &input.source_security_group_name,
        &input.source_security_group_owner_id,
    ));
    let out = revoke(state, ctx, &input.group_id, true, perms, input.security_group_rule_ids.unwrap_or_default())?;
    Ok(RevokeSecurityGroupEgressResult {
        r#return: Some(true),
        unknown_ip_permissions: None,
        revoked_security_group_rules: Some(out),
    })
}
