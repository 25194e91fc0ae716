//! Network ACLs: numbered entries per direction (evaluated in rule-number order, the
//! `*` rule 32767 last), the default ACL of each VPC, subnet associations.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    CreateNetworkAclEntryRequest, CreateNetworkAclRequest, CreateNetworkAclResult, DeleteNetworkAclEntryRequest,
    DeleteNetworkAclRequest, DescribeNetworkAclsRequest, DescribeNetworkAclsResult, IcmpTypeCode, NetworkAcl,
    NetworkAclAssociation, NetworkAclEntry, PortRange, ReplaceNetworkAclAssociationRequest,
    ReplaceNetworkAclAssociationResult, ReplaceNetworkAclEntryRequest,
};
use crate::generated::enums;
use crate::generated::errors;
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::params::invalid_value;
use crate::state::params::one_of;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, paginate, spec_tags};
use crate::state::Ec2State;
use crate::vpc::vpcs;

/// The rule number AWS shows for the catch-all `*` deny rule (IPv6: 32768).
const DENY_ALL: i32 = 32767;

fn entry(egress: bool, number: i32, action: &str, v4: Option<&str>, v6: Option<&str>) -> NetworkAclEntry {
    NetworkAclEntry {
        cidr_block: v4.map(str::to_string),
        ipv6_cidr_block: v6.map(str::to_string),
        egress: Some(egress),
        protocol: Some("-1".into()),
        rule_action: Some(action.into()),
        rule_number: Some(number),
        ..Default::default()
    }
}

pub fn create_acl_record(state: &mut Ec2State, ctx: &RequestContext, vpc_id: &str, default: bool) -> String {
    let id = ids::resource_id("acl");
    let has_ipv6 = state.vpcs.get(vpc_id).is_some_and(|v| !vpcs::ipv6_blocks(v).is_empty());
    let mut entries = Vec::new();
    for egress in [true, false] {
        if default {
            entries.push(entry(egress, 100, "allow", Some("0.0.0.0/0"), None));
            if has_ipv6 {
                entries.push(entry(egress, 101, "allow", None, Some("::/0")));
            }
        }
        entries.push(entry(egress, DENY_ALL, "deny", Some("0.0.0.0/0"), None));
        if has_ipv6 {
            entries.push(entry(egress, DENY_ALL + 1, "deny", None, Some("::/0")));
        }
    }
    state.network_acls.insert(
        id.clone(),
        NetworkAcl {
            associations: Some(Vec::new()),
            entries: Some(entries),
            is_default: Some(default),
            network_acl_id: Some(id.clone()),
            tags: None,
            vpc_id: Some(vpc_id.to_string()),
            owner_id: Some(ctx.account().to_string()),
        },
    );
    id
}

pub fn associate_subnet(state: &mut Ec2State, acl_id: &str, subnet_id: &str) {
    if let Some(acl) = state.network_acls.get_mut(acl_id) {
        acl.associations.get_or_insert_with(Vec::new).push(NetworkAclAssociation {
            network_acl_association_id: Some(ids::resource_id("aclassoc")),
            network_acl_id: Some(acl_id.to_string()),
            subnet_id: Some(subnet_id.to_string()),
        });
    }
}

pub fn forget_subnet(state: &mut Ec2State, subnet_id: &str) {
    for acl in state.network_acls.values_mut() {
        if let Some(a) = acl.associations.as_mut() {
            a.retain(|a| a.subnet_id.as_deref() != Some(subnet_id));
        }
    }
}

fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a NetworkAcl, ApiError> {
    state.network_acls.get(id).ok_or_else(|| errors::invalid_network_acl_id_not_found(id))
}

pub fn describe_one(state: &Ec2State, id: &str) -> NetworkAcl {
    let mut acl = state.network_acls[id].clone();
    if let Some(entries) = acl.entries.as_mut() {
        entries.sort_by_key(|e| (!e.egress.unwrap_or(false), e.rule_number.unwrap_or(0)));
    }
    acl.tags = state.dto_tags(id);
    acl
}

pub fn create_network_acl(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateNetworkAclRequest,
) -> Result<CreateNetworkAclResult, ApiError> {
    vpcs::get(state, &input.vpc_id)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "network-acl")?;
    let id = create_acl_record(state, ctx, &input.vpc_id, false);
    state.set_tags(&id, tags);
    Ok(CreateNetworkAclResult { network_acl: Some(describe_one(state, &id)), client_token: input.client_token })
}

pub fn delete_network_acl(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteNetworkAclRequest,
) -> Result<(), ApiError> {
    let acl = get(state, &input.network_acl_id)?;
    if acl.is_default == Some(true) {
        return Err(errors::invalid_parameter_value(format!(
            "cannot delete default network ACL {}",
            input.network_acl_id
        )));
    }
    if !acl.associations.as_deref().unwrap_or_default().is_empty() {
        return Err(errors::dependency_violation(format!(
            "The networkAcl '{}' has dependencies and cannot be deleted.",
            input.network_acl_id
        )));
    }
    state.network_acls.remove(&input.network_acl_id);
    state.forget(&input.network_acl_id);
    Ok(())
}

fn protocol_number(raw: &str) -> Result<String, ApiError> {
    let p = raw.trim().to_ascii_lowercase();
    Ok(match p.as_str() {
        "-1" | "all" => "-1".into(),
        "tcp" | "6" => "6".into(),
        "udp" | "17" => "17".into(),
        "icmp" | "1" => "1".into(),
        "icmpv6" | "58" => "58".into(),
        n if n.parse::<u8>().is_ok() => n.into(),
        _ => {
            return Err(errors::invalid_parameter_value(format!(
                "Invalid value '{raw}' for protocol. Unknown protocol."
            )))
        }
    })
}

#[allow(clippy::too_many_arguments)]
fn build_entry(
    number: i32,
    protocol: &str,
    action: &str,
    egress: bool,
    cidr: Option<&str>,
    ipv6: Option<&str>,
    icmp: Option<&IcmpTypeCode>,
    ports: Option<&PortRange>,
) -> Result<NetworkAclEntry, ApiError> {
    if !(1..=32766).contains(&number) {
        return Err(invalid_value("ruleNumber", number, "Valid values are 1 to 32766."));
    }
    let action = action.to_ascii_lowercase();
    one_of("ruleAction", &action, enums::RULE_ACTION)?;
    let protocol = protocol_number(protocol)?;
    let (v4, v6) = match (cidr, ipv6) {
        (Some(c), None) => (
            Some(
                Ipv4Cidr::parse_loose(c)
                    .ok_or_else(|| invalid_value("cidrBlock", c, "This is not a valid CIDR block."))?
                    .to_string(),
            ),
            None,
        ),
        (None, Some(c)) => (
            None,
            Some(
                Ipv6Cidr::parse(c)
                    .ok_or_else(|| invalid_value("ipv6CidrBlock", c, "This is not a valid CIDR block."))?
                    .to_string(),
            ),
        ),
        (None, None) => return Err(errors::missing_parameter("cidrBlock or ipv6CidrBlock")),
        _ => {
            return Err(errors::invalid_parameter_combination(
                "Only one of cidrBlock or ipv6CidrBlock may be specified",
            ))
        }
    };
    let mut e = NetworkAclEntry {
        cidr_block: v4,
        ipv6_cidr_block: v6,
        egress: Some(egress),
        protocol: Some(protocol.clone()),
        rule_action: Some(action),
        rule_number: Some(number),
        ..Default::default()
    };
    match protocol.as_str() {
        "6" | "17" => {
            let p = ports.ok_or_else(|| errors::missing_parameter("portRange"))?;
            let (Some(from), Some(to)) = (p.from, p.to) else {
                return Err(errors::missing_parameter("portRange"));
            };
            if !(0..=65535).contains(&from) || !(0..=65535).contains(&to) || from > to {
                return Err(errors::invalid_parameter_value(format!("Invalid port range {from}-{to}")));
            }
            e.port_range = Some(PortRange { from: Some(from), to: Some(to) });
        }
        "1" | "58" => {
            let i = icmp.ok_or_else(|| errors::missing_parameter("icmpTypeCode"))?;
            e.icmp_type_code =
                Some(IcmpTypeCode { code: Some(i.code.unwrap_or(-1)), r#type: Some(i.r#type.unwrap_or(-1)) });
        }
        _ => {}
    }
    Ok(e)
}

pub fn create_network_acl_entry(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: CreateNetworkAclEntryRequest,
) -> Result<(), ApiError> {
    let acl = get(state, &input.network_acl_id)?;
    let e = build_entry(
        input.rule_number,
        &input.protocol,
        &input.rule_action,
        input.egress,
        input.cidr_block.as_deref(),
        input.ipv6_cidr_block.as_deref(),
        input.icmp_type_code.as_ref(),
        input.port_range.as_ref(),
    )?;
    if acl.entries.iter().flatten().any(|x| x.rule_number == e.rule_number && x.egress == e.egress) {
        return Err(errors::network_acl_entry_already_exists(input.rule_number));
    }
    state
        .network_acls
        .get_mut(&input.network_acl_id)
        .expect("checked above")
        .entries
        .get_or_insert_with(Vec::new)
        .push(e);
    Ok(())
}

pub fn replace_network_acl_entry(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ReplaceNetworkAclEntryRequest,
) -> Result<(), ApiError> {
    get(state, &input.network_acl_id)?;
    let e = build_entry(
        input.rule_number,
        &input.protocol,
        &input.rule_action,
        input.egress,
        input.cidr_block.as_deref(),
        input.ipv6_cidr_block.as_deref(),
        input.icmp_type_code.as_ref(),
        input.port_range.as_ref(),
    )?;
    let acl = state.network_acls.get_mut(&input.network_acl_id).expect("checked above");
    let slot = acl.entries.iter_mut().flatten().find(|x| x.rule_number == e.rule_number && x.egress == e.egress);
    match slot {
        Some(s) => *s = e,
        None => return Err(errors::invalid_network_acl_entry_not_found(input.rule_number)),
    }
    Ok(())
}

pub fn delete_network_acl_entry(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteNetworkAclEntryRequest,
) -> Result<(), ApiError> {
    get(state, &input.network_acl_id)?;
    if !(1..=32766).contains(&input.rule_number) {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({}) for parameter ruleNumber is invalid. Valid values are 1 to 32766.",
            input.rule_number
        )));
    }
    let acl = state.network_acls.get_mut(&input.network_acl_id).expect("checked above");
    let entries = acl.entries.get_or_insert_with(Vec::new);
    let before = entries.len();
    entries.retain(|x| !(x.rule_number == Some(input.rule_number) && x.egress == Some(input.egress)));
    if entries.len() == before {
        return Err(errors::invalid_network_acl_entry_not_found(input.rule_number));
    }
    Ok(())
}

pub fn replace_network_acl_association(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ReplaceNetworkAclAssociationRequest,
) -> Result<ReplaceNetworkAclAssociationResult, ApiError> {
    let target = get(state, &input.network_acl_id)?;
    let found = state.network_acls.iter().find_map(|(acl_id, acl)| {
        acl.associations
            .iter()
            .flatten()
            .find(|a| a.network_acl_association_id.as_deref() == Some(input.association_id.as_str()))
            .map(|a| (acl_id.clone(), a.subnet_id.clone().unwrap_or_default()))
    });
    let Some((old_acl, subnet_id)) = found else {
        return Err(errors::invalid_association_id_not_found(&input.association_id));
    };
    if state.network_acls[&old_acl].vpc_id != target.vpc_id {
        return Err(errors::invalid_parameter_value(format!(
            "network acl {} and subnet {subnet_id} belong to different networks",
            input.network_acl_id
        )));
    }
    forget_subnet(state, &subnet_id);
    associate_subnet(state, &input.network_acl_id, &subnet_id);
    let new_id = state.network_acls[&input.network_acl_id]
        .associations
        .iter()
        .flatten()
        .find(|a| a.subnet_id.as_deref() == Some(&subnet_id))
        .and_then(|a| a.network_acl_association_id.clone());
    Ok(ReplaceNetworkAclAssociationResult { new_association_id: new_id })
}

impl Filterable for NetworkAcl {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let assoc = self.associations.iter().flatten();
        let entries = self.entries.iter().flatten();
        let num = |v: Option<i32>| v.map(|n| n.to_string());
        Some(match name {
            "association.association-id" => assoc.filter_map(|a| a.network_acl_association_id.clone()).collect(),
            "association.network-acl-id" => assoc.filter_map(|a| a.network_acl_id.clone()).collect(),
            "association.subnet-id" => assoc.filter_map(|a| a.subnet_id.clone()).collect(),
            "default" => vec![self.is_default.unwrap_or(false).to_string()],
            "entry.cidr" => entries.filter_map(|e| e.cidr_block.clone()).collect(),
            "entry.ipv6-cidr" => entries.filter_map(|e| e.ipv6_cidr_block.clone()).collect(),
            "entry.icmp.code" => entries.filter_map(|e| num(e.icmp_type_code.as_ref().and_then(|i| i.code))).collect(),
            "entry.icmp.type" => {
                entries.filter_map(|e| num(e.icmp_type_code.as_ref().and_then(|i| i.r#type))).collect()
            }
            "entry.port-range.from" => {
                entries.filter_map(|e| num(e.port_range.as_ref().and_then(|p| p.from))).collect()
            }
            "entry.port-range.to" => entries.filter_map(|e| num(e.port_range.as_ref().and_then(|p| p.to))).collect(),
            "entry.protocol" => entries.filter_map(|e| e.protocol.clone()).collect(),
            "entry.rule-action" => entries.filter_map(|e| e.rule_action.clone()).collect(),
            "entry.egress" => entries.map(|e| e.egress.unwrap_or(false).to_string()).collect(),
            "entry.rule-number" => entries.filter_map(|e| num(e.rule_number)).collect(),
            "network-acl-id" => self.network_acl_id.iter().cloned().collect(),
            "owner-id" => self.owner_id.iter().cloned().collect(),
            "vpc-id" => self.vpc_id.iter().cloned().collect(),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_network_acls(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeNetworkAclsRequest,
) -> Result<DescribeNetworkAclsResult, ApiError> {
    let paging = input.page();
    let ids = input.network_acl_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all =
        state.network_acls.keys().filter(|id| ids.is_empty() || ids.contains(id)).map(|id| describe_one(state, id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |a| a.network_acl_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeNetworkAclsResult { network_acls: Some(page), next_token: next })
}
