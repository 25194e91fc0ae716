//! DHCP options sets: the region's default set, custom sets, association with VPCs.

use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use crate::generated::dto::{
    AssociateDhcpOptionsRequest, AttributeValue, CreateDhcpOptionsRequest, CreateDhcpOptionsResult,
    DeleteDhcpOptionsRequest, DescribeDhcpOptionsRequest, DescribeDhcpOptionsResult, DhcpConfiguration, DhcpOptions,
};
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, paginate, spec_tags};
use crate::state::Ec2State;
use crate::vpc::vpcs;

const KEYS: &[&str] = &[
    "domain-name",
    "domain-name-servers",
    "ntp-servers",
    "netbios-name-servers",
    "netbios-node-type",
    "ipv6-address-preferred-lease-time",
];

/// AWS's default set: `ec2.internal` in us-east-1, `<region>.compute.internal` elsewhere.
pub fn create_default_options(state: &mut Ec2State, ctx: &RequestContext) {
    let id = ids::resource_id("dopt");
    let domain =
        if ctx.region == "us-east-1" { "ec2.internal".to_string() } else { format!("{}.compute.internal", ctx.region) };
    state.dhcp_options.insert(
        id.clone(),
        DhcpOptions {
            owner_id: Some(ctx.account().to_string()),
            tags: None,
            dhcp_options_id: Some(id.clone()),
            dhcp_configurations: Some(vec![
                config("domain-name", vec![domain]),
                config("domain-name-servers", vec!["AmazonProvidedDNS".into()]),
            ]),
        },
    );
    state.default_dhcp_options_id = id;
}

fn config(key: &str, values: Vec<String>) -> DhcpConfiguration {
    DhcpConfiguration {
        key: Some(key.to_string()),
        values: Some(values.into_iter().map(|v| AttributeValue { value: Some(v) }).collect()),
    }
}

fn get<'a>(state: &'a Ec2State, id: &str) -> Result<&'a DhcpOptions, ApiError> {
    state.dhcp_options.get(id).ok_or_else(|| errors::invalid_dhcp_option_id_not_found(id))
}

pub fn describe_one(state: &Ec2State, id: &str) -> DhcpOptions {
    let mut d = state.dhcp_options[id].clone();
    d.tags = state.dto_tags(id);
    d
}

pub fn create_dhcp_options(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateDhcpOptionsRequest,
) -> Result<CreateDhcpOptionsResult, ApiError> {
    let mut configs: Vec<DhcpConfiguration> = Vec::new();
    for c in &input.dhcp_configurations {
        let key = c.key.clone().unwrap_or_default();
        if !KEYS.contains(&key.as_str()) {
            return Err(invalid_value("DhcpConfiguration", key, "Unrecognized key is specified."));
        }
        let values = c.values.clone().unwrap_or_default();
        if values.is_empty() {
            return Err(errors::invalid_parameter_value(format!("Value for parameter {key} is empty.")));
        }
        if key.ends_with("-servers") && values.len() > 4 {
            return Err(errors::invalid_parameter_value(format!("Too many values for {key}: at most 4 are allowed.")));
        }
        if key == "netbios-node-type" && !values.iter().all(|v| ["1", "2", "4", "8"].contains(&v.as_str())) {
            return Err(errors::invalid_parameter_value("Value for netbios-node-type must be 1, 2, 4 or 8."));
        }
        if configs.iter().any(|x| x.key.as_deref() == Some(&key)) {
            return Err(errors::invalid_parameter_value(format!("Duplicate DHCP option key {key}.")));
        }
        configs.push(config(&key, values));
    }
    if configs.is_empty() {
        return Err(errors::missing_parameter("DhcpConfiguration"));
    }
    configs.sort_by(|a, b| a.key.cmp(&b.key));
    let tags = spec_tags(input.tag_specifications.as_deref(), "dhcp-options")?;
    let id = ids::resource_id("dopt");
    state.dhcp_options.insert(
        id.clone(),
        DhcpOptions {
            owner_id: Some(ctx.account().to_string()),
            tags: None,
            dhcp_options_id: Some(id.clone()),
            dhcp_configurations: Some(configs),
        },
    );
    state.set_tags(&id, tags);
    Ok(CreateDhcpOptionsResult { dhcp_options: Some(describe_one(state, &id)) })
}

pub fn delete_dhcp_options(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteDhcpOptionsRequest,
) -> Result<(), ApiError> {
    get(state, &input.dhcp_options_id)?;
    if state.vpcs.values().any(|v| v.vpc.dhcp_options_id.as_deref() == Some(input.dhcp_options_id.as_str())) {
        return Err(errors::dependency_violation(format!(
            "The dhcpOptions '{}' has dependencies and cannot be deleted.",
            input.dhcp_options_id
        )));
    }
    state.dhcp_options.remove(&input.dhcp_options_id);
    state.forget(&input.dhcp_options_id);
    Ok(())
}

pub fn associate_dhcp_options(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: AssociateDhcpOptionsRequest,
) -> Result<(), ApiError> {
    vpcs::get(state, &input.vpc_id)?;
    if input.dhcp_options_id != "default" {
        get(state, &input.dhcp_options_id)?;
    }
    state.vpcs.get_mut(&input.vpc_id).expect("checked above").vpc.dhcp_options_id = Some(input.dhcp_options_id);
    Ok(())
}

impl Filterable for DhcpOptions {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let configs = self.dhcp_configurations.iter().flatten();
        Some(match name {
            "dhcp-options-id" => self.dhcp_options_id.iter().cloned().collect(),
            "key" => configs.filter_map(|c| c.key.clone()).collect(),
            "value" => configs.flat_map(|c| c.values.iter().flatten().filter_map(|v| v.value.clone())).collect(),
            "owner-id" => self.owner_id.iter().cloned().collect(),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_dhcp_options(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeDhcpOptionsRequest,
) -> Result<DescribeDhcpOptionsResult, ApiError> {
    let paging = input.page();
    let ids = input.dhcp_options_ids.unwrap_or_default();
    for id in &ids {
        get(state, id)?;
    }
    let all =
        state.dhcp_options.keys().filter(|id| ids.is_empty() || ids.contains(id)).map(|id| describe_one(state, id));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |d| d.dhcp_options_id.clone().unwrap_or_default(), paging, !ids.is_empty())?;
    Ok(DescribeDhcpOptionsResult { dhcp_options: Some(page), next_token: next })
}
