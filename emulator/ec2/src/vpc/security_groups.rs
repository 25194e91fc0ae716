//! Security groups and their rules. Rules are kept one per (direction, protocol, port
//! range, peer) with an `sgr-` id, and grouped into AWS's `IpPermissions` shape when
//! described.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    AuthorizeSecurityGroupEgressRequest, AuthorizeSecurityGroupEgressResult, AuthorizeSecurityGroupIngressRequest,
    AuthorizeSecurityGroupIngressResult, CreateSecurityGroupRequest, CreateSecurityGroupResult,
    DeleteSecurityGroupRequest, DeleteSecurityGroupResult, DescribeSecurityGroupRulesRequest,
    DescribeSecurityGroupRulesResult, DescribeSecurityGroupsRequest, DescribeSecurityGroupsResult, IpPermission,
    IpRange, Ipv6Range, ModifySecurityGroupRulesRequest, ModifySecurityGroupRulesResult, PrefixListId,
    ReferencedSecurityGroup, RevokeSecurityGroupEgressRequest, RevokeSecurityGroupEgressResult,
    RevokeSecurityGroupIngressRequest, RevokeSecurityGroupIngressResult, RevokedSecurityGroupRule, SecurityGroup,
    SecurityGroupRule, SecurityGroupRuleDescription, SecurityGroupRuleRequest, TagSpecification,
    UpdateSecurityGroupRuleDescriptionsEgressRequest, UpdateSecurityGroupRuleDescriptionsEgressResult,
    UpdateSecurityGroupRuleDescriptionsIngressRequest, UpdateSecurityGroupRuleDescriptionsIngressResult,
    UserIdGroupPair,
};
use crate::generated::errors;
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, paginate, spec_tags};
use crate::state::{Ec2State, Peer, SecurityGroupRecord, SgRule};
use crate::vpc::vpcs;

/// AWS's default quota of rules per direction.
const MAX_RULES: usize = 60;

fn new_rule(egress: bool, protocol: &str, from: Option<i32>, to: Option<i32>, peer: Peer) -> SgRule {
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
fn resolve<'a>(state: &'a Ec2State, id: Option<&str>, name: Option<&str>) -> Result<&'a SecurityGroupRecord, ApiError> {
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

fn arn(ctx: &RequestContext, id: &str) -> String {
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
fn expand(
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

fn same_rule(a: &SgRule, b: &SgRule) -> bool {
    a.egress == b.egress
        && a.protocol == b.protocol
        && a.from_port == b.from_port
        && a.to_port == b.to_port
        && a.peer == b.peer
}

/// AWS's wording of a rule in `InvalidPermission.Duplicate`.
fn describe_rule(r: &SgRule) -> String {
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
struct PeerParts {
    ipv4: Option<String>,
    ipv6: Option<String>,
    prefix_list: Option<String>,
    group: Option<(String, String)>,
}

fn peer_parts(peer: &Peer) -> PeerParts {
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
    let (page, next) = paginate(
        items,
        |g| g.group_id.clone().unwrap_or_default(),
        input.max_results,
        input.next_token.as_deref(),
        (5, 1000),
        !wanted.is_empty(),
    )?;
    Ok(DescribeSecurityGroupsResult { security_groups: Some(page), next_token: next })
}

fn rule_dto(state: &Ec2State, ctx: &RequestContext, group: &SecurityGroupRecord, r: &SgRule) -> SecurityGroupRule {
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
    let (page, next) = paginate(
        items,
        |r| r.security_group_rule_id.clone().unwrap_or_default(),
        input.max_results,
        input.next_token.as_deref(),
        (5, 1000),
        !ids.is_empty(),
    )?;
    Ok(DescribeSecurityGroupRulesResult { security_group_rules: Some(page), next_token: next })
}

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
