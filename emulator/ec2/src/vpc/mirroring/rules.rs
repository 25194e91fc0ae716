//! Traffic Mirror filter rules: per direction, numbered 1 to 32766 (each number once per
//! direction, at most ten rules per direction), accept or reject, source and destination
//! CIDR blocks of one IP version, an optional protocol number and, for TCP and UDP, port
//! ranges.

use std::net::IpAddr;

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::{filter_exists, num, opt};
use crate::generated::dto::{
    CreateTrafficMirrorFilterRuleRequest, CreateTrafficMirrorFilterRuleResult, DeleteTrafficMirrorFilterRuleRequest,
    DeleteTrafficMirrorFilterRuleResult, DescribeTrafficMirrorFilterRulesRequest,
    DescribeTrafficMirrorFilterRulesResult, ModifyTrafficMirrorFilterRuleRequest, ModifyTrafficMirrorFilterRuleResult,
    TrafficMirrorFilterRule, TrafficMirrorPortRange, TrafficMirrorPortRangeRequest,
};
use crate::generated::{enums, errors};
use crate::state::params::{invalid_value, one_of};
use crate::state::support::{describe_page, spec_tags, tag_pairs};
use crate::state::Ec2State;

/// AWS's quota: rules per filter and direction.
pub const RULES_PER_DIRECTION: usize = 10;

/// The rule as AWS shows it, with its tags when it has any.
pub(super) fn shown(state: &Ec2State, rule: &TrafficMirrorFilterRule) -> TrafficMirrorFilterRule {
    let mut r = rule.clone();
    r.tags = state.dto_tags_if_any(rule.traffic_mirror_filter_rule_id.as_deref().unwrap_or_default());
    r
}

/// The IP version of a CIDR block (`a.b.c.d/n` or an IPv6 block), or AWS's refusal.
fn cidr_version(parameter: &str, value: &str) -> Result<u8, ApiError> {
    let bad = || invalid_value(parameter, value, "");
    let (addr, len) = value.split_once('/').ok_or_else(bad)?;
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().map_err(|_| bad())?;
    match addr {
        IpAddr::V4(_) if len <= 32 => Ok(4),
        IpAddr::V6(_) if len <= 128 => Ok(6),
        _ => Err(bad()),
    }
}

fn port_range(parameter: &str, r: &TrafficMirrorPortRangeRequest) -> Result<TrafficMirrorPortRange, ApiError> {
    let from = r.from_port.unwrap_or(0);
    let to = r.to_port.unwrap_or(from);
    for (name, p) in [("FromPort", from), ("ToPort", to)] {
        if !(0..=65535).contains(&p) {
            return Err(invalid_value(&format!("{parameter}.{name}"), p, "Ports must be between 0 and 65535."));
        }
    }
    if from > to {
        return Err(errors::invalid_parameter_value(format!(
            "The {parameter} is invalid: FromPort {from} is greater than ToPort {to}."
        )));
    }
    Ok(TrafficMirrorPortRange { from_port: Some(from), to_port: Some(to) })
}

/// Checks a rule as it would stand after a create or modify, against the other rules of
/// its filter.
fn check(state: &Ec2State, rule: &TrafficMirrorFilterRule, is_new: bool) -> Result<(), ApiError> {
    let direction = rule.traffic_direction.as_deref().unwrap_or_default();
    one_of("TrafficDirection", direction, enums::TRAFFIC_DIRECTION)?;
    one_of("RuleAction", rule.rule_action.as_deref().unwrap_or_default(), enums::TRAFFIC_MIRROR_RULE_ACTION)?;
    let number = rule.rule_number.unwrap_or_default();
    if !(1..=32766).contains(&number) {
        return Err(invalid_value("RuleNumber", number, "Rule numbers must be between 1 and 32766."));
    }
    if let Some(p) = rule.protocol {
        if !(0..=255).contains(&p) {
            return Err(invalid_value("Protocol", p, "Protocol numbers must be between 0 and 255."));
        }
    }
    let ports = rule.source_port_range.is_some() || rule.destination_port_range.is_some();
    if ports && !matches!(rule.protocol, Some(6 | 17)) {
        return Err(errors::invalid_parameter_combination(
            "Port ranges can only be specified for the TCP (6) and UDP (17) protocols.",
        ));
    }
    let source = cidr_version("SourceCidrBlock", rule.source_cidr_block.as_deref().unwrap_or_default())?;
    let destination = cidr_version("DestinationCidrBlock", rule.destination_cidr_block.as_deref().unwrap_or_default())?;
    if source != destination {
        return Err(errors::invalid_parameter_combination(
            "SourceCidrBlock and DestinationCidrBlock must be of the same IP version.",
        ));
    }
    let filter = rule.traffic_mirror_filter_id.as_deref().unwrap_or_default();
    let id = rule.traffic_mirror_filter_rule_id.as_deref();
    let others: Vec<&TrafficMirrorFilterRule> = state
        .mirroring
        .rules
        .values()
        .filter(|r| r.traffic_mirror_filter_id.as_deref() == Some(filter))
        .filter(|r| r.traffic_direction.as_deref() == Some(direction))
        .filter(|r| r.traffic_mirror_filter_rule_id.as_deref() != id)
        .collect();
    if others.iter().any(|r| r.rule_number == Some(number)) {
        return Err(errors::traffic_mirror_filter_rule_already_exists(direction, filter, number));
    }
    if is_new && others.len() >= RULES_PER_DIRECTION {
        return Err(errors::traffic_mirror_filter_rule_limit_exceeded(direction, filter, RULES_PER_DIRECTION));
    }
    Ok(())
}

fn rule<'a>(state: &'a Ec2State, id: &str) -> Result<&'a TrafficMirrorFilterRule, ApiError> {
    state.mirroring.rules.get(id).ok_or_else(|| errors::invalid_traffic_mirror_filter_rule_id_not_found(id))
}

pub fn create_traffic_mirror_filter_rule(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: CreateTrafficMirrorFilterRuleRequest,
) -> Result<CreateTrafficMirrorFilterRuleResult, ApiError> {
    filter_exists(state, &input.traffic_mirror_filter_id)?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "traffic-mirror-filter-rule")?;
    let mut r = TrafficMirrorFilterRule {
        traffic_mirror_filter_rule_id: None,
        traffic_mirror_filter_id: Some(input.traffic_mirror_filter_id),
        traffic_direction: Some(input.traffic_direction),
        rule_number: Some(input.rule_number),
        rule_action: Some(input.rule_action),
        protocol: input.protocol,
        destination_port_range: input
            .destination_port_range
            .as_ref()
            .map(|p| port_range("DestinationPortRange", p))
            .transpose()?,
        source_port_range: input.source_port_range.as_ref().map(|p| port_range("SourcePortRange", p)).transpose()?,
        destination_cidr_block: Some(input.destination_cidr_block),
        source_cidr_block: Some(input.source_cidr_block),
        description: input.description,
        tags: None,
    };
    check(state, &r, true)?;
    let id = ids::resource_id("tmfr");
    r.traffic_mirror_filter_rule_id = Some(id.clone());
    state.mirroring.rules.insert(id.clone(), r);
    state.set_tags(&id, tags);
    let shown = shown(state, &state.mirroring.rules[&id]);
    Ok(CreateTrafficMirrorFilterRuleResult {
        traffic_mirror_filter_rule: Some(shown),
        client_token: input.client_token,
    })
}

pub fn modify_traffic_mirror_filter_rule(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyTrafficMirrorFilterRuleRequest,
) -> Result<ModifyTrafficMirrorFilterRuleResult, ApiError> {
    let id = input.traffic_mirror_filter_rule_id.as_str();
    let mut r = rule(state, id)?.clone();
    let remove = input.remove_fields.unwrap_or_default();
    for field in &remove {
        one_of("RemoveField", field, enums::TRAFFIC_MIRROR_FILTER_RULE_FIELD)?;
    }
    let set_and_removed = [
        ("destination-port-range", input.destination_port_range.is_some()),
        ("source-port-range", input.source_port_range.is_some()),
        ("protocol", input.protocol.is_some()),
        ("description", input.description.is_some()),
    ];
    if let Some((field, _)) = set_and_removed.iter().find(|(f, set)| *set && remove.iter().any(|r| r == f)) {
        return Err(errors::invalid_parameter_combination(format!(
            "The field {field} cannot be both set and removed in one request."
        )));
    }
    if let Some(v) = input.traffic_direction {
        r.traffic_direction = Some(v);
    }
    if let Some(v) = input.rule_number {
        r.rule_number = Some(v);
    }
    if let Some(v) = input.rule_action {
        r.rule_action = Some(v);
    }
    if let Some(p) = &input.destination_port_range {
        r.destination_port_range = Some(port_range("DestinationPortRange", p)?);
    }
    if let Some(p) = &input.source_port_range {
        r.source_port_range = Some(port_range("SourcePortRange", p)?);
    }
    if let Some(v) = input.protocol {
        r.protocol = Some(v);
    }
    if let Some(v) = input.destination_cidr_block {
        r.destination_cidr_block = Some(v);
    }
    if let Some(v) = input.source_cidr_block {
        r.source_cidr_block = Some(v);
    }
    if let Some(v) = input.description {
        r.description = Some(v);
    }
    for field in &remove {
        match field.as_str() {
            "destination-port-range" => r.destination_port_range = None,
            "source-port-range" => r.source_port_range = None,
            "protocol" => r.protocol = None,
            _ => r.description = None,
        }
    }
    check(state, &r, false)?;
    state.mirroring.rules.insert(id.to_string(), r);
    Ok(ModifyTrafficMirrorFilterRuleResult {
        traffic_mirror_filter_rule: Some(shown(state, &state.mirroring.rules[id])),
    })
}

pub fn delete_traffic_mirror_filter_rule(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteTrafficMirrorFilterRuleRequest,
) -> Result<DeleteTrafficMirrorFilterRuleResult, ApiError> {
    let id = input.traffic_mirror_filter_rule_id;
    rule(state, &id)?;
    state.mirroring.rules.remove(&id);
    state.forget(&id);
    Ok(DeleteTrafficMirrorFilterRuleResult { traffic_mirror_filter_rule_id: Some(id) })
}

impl Filterable for TrafficMirrorFilterRule {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "description" => opt(&self.description),
            "destination-cidr-block" => opt(&self.destination_cidr_block),
            "protocol" => num(self.protocol),
            "rule-action" => opt(&self.rule_action),
            "rule-number" => num(self.rule_number),
            "source-cidr-block" => opt(&self.source_cidr_block),
            "traffic-direction" => opt(&self.traffic_direction),
            "traffic-mirror-filter-id" => opt(&self.traffic_mirror_filter_id),
            "traffic-mirror-filter-rule-id" => opt(&self.traffic_mirror_filter_rule_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_traffic_mirror_filter_rules(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeTrafficMirrorFilterRulesRequest,
) -> Result<DescribeTrafficMirrorFilterRulesResult, ApiError> {
    let page = input.page();
    if let Some(f) = &input.traffic_mirror_filter_id {
        filter_exists(state, f)?;
    }
    let ids = input.traffic_mirror_filter_rule_ids.unwrap_or_default();
    let filter = input.traffic_mirror_filter_id.as_deref();
    let all = state
        .mirroring
        .rules
        .values()
        .filter(|r| filter.is_none() || r.traffic_mirror_filter_id.as_deref() == filter)
        .map(|r| shown(state, r));
    let (items, next) = describe_page(
        &ids,
        |id| state.mirroring.rules.contains_key(id),
        errors::invalid_traffic_mirror_filter_rule_id_not_found,
        all,
        |r| r.traffic_mirror_filter_rule_id.clone().unwrap_or_default(),
        input.filters.as_deref(),
        page,
    )?;
    Ok(DescribeTrafficMirrorFilterRulesResult { traffic_mirror_filter_rules: Some(items), next_token: next })
}
