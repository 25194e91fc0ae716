//! DescribeLaunchTemplates and DescribeLaunchTemplateVersions with their filters.

use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use super::records::{
    by_id, by_name, describe_template, describe_version, find, template_id, version_not_found, version_number,
    ALL_TEMPLATES_HINT,
};
use crate::generated::dto::{
    DescribeLaunchTemplateVersionsRequest, DescribeLaunchTemplateVersionsResult, DescribeLaunchTemplatesRequest,
    DescribeLaunchTemplatesResult, LaunchTemplate, LaunchTemplateVersion,
};
use crate::generated::errors;
use crate::images::aliases;
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate, tag_pairs};
use crate::state::Ec2State;

impl Filterable for LaunchTemplate {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "create-time" => self.create_time.iter().map(Timestamp::iso8601).collect(),
            "launch-template-name" => opt(&self.launch_template_name),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

/// Named templates that do not exist are refused, as AWS refuses them.
pub fn describe_launch_templates(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeLaunchTemplatesRequest,
) -> Result<DescribeLaunchTemplatesResult, ApiError> {
    let paging = input.page();
    let ids = input.launch_template_ids.unwrap_or_default();
    let names = input.launch_template_names.unwrap_or_default();
    for id in &ids {
        by_id(state, id)?;
    }
    if names.iter().any(|n| by_name(state, n).is_none()) {
        return Err(errors::invalid_launch_template_name_not_found_exception(
            "At least one of the launch templates specified in the request does not exist.",
        ));
    }
    let all = state
        .launch_templates
        .values()
        .filter(|t| ids.is_empty() || ids.contains(&template_id(t)))
        .filter(|t| names.is_empty() || t.template.launch_template_name.as_ref().is_some_and(|n| names.contains(n)))
        .map(|t| describe_template(state, t));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(
        items,
        |t| t.launch_template_id.clone().unwrap_or_default(),
        paging,
        !ids.is_empty() || !names.is_empty(),
    )?;
    Ok(DescribeLaunchTemplatesResult { launch_templates: Some(page), next_token: next })
}

impl Filterable for LaunchTemplateVersion {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let d = self.launch_template_data.clone().unwrap_or_default();
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        let flag = |b: Option<bool>| b.iter().map(|b| b.to_string()).collect::<Vec<_>>();
        let metadata = d.metadata_options.clone().unwrap_or_default();
        Some(match name {
            "create-time" => self.create_time.iter().map(Timestamp::iso8601).collect(),
            "ebs-optimized" => flag(d.ebs_optimized),
            "http-endpoint" => opt(&metadata.http_endpoint),
            // The IPv4 endpoint is on unless the metadata service is off.
            "http-protocol-ipv4" => vec![metadata.http_endpoint.clone().unwrap_or_else(|| "enabled".into())],
            "http-tokens" => opt(&metadata.http_tokens),
            "host-resource-group-arn" => opt(&d.placement.as_ref().and_then(|p| p.host_resource_group_arn.clone())),
            "iam-instance-profile" => {
                d.iam_instance_profile.iter().flat_map(|p| p.arn.iter().chain(p.name.iter()).cloned()).collect()
            }
            "image-id" => opt(&d.image_id),
            "instance-type" => opt(&d.instance_type),
            "is-default-version" => flag(self.default_version),
            "kernel-id" => opt(&d.kernel_id),
            "license-configuration-arn" => {
                d.license_specifications.iter().flatten().filter_map(|l| l.license_configuration_arn.clone()).collect()
            }
            "network-card-index" => d
                .network_interfaces
                .iter()
                .flatten()
                .filter_map(|n| n.network_card_index.map(|i| i.to_string()))
                .collect(),
            "ram-disk-id" => opt(&d.ram_disk_id),
            _ => return None,
        })
    }
}

/// Versions of one template (by number, `$Latest`, `$Default`, between MinVersion and
/// MaxVersion), or the `$Latest`/`$Default` versions of every template.
pub fn describe_launch_template_versions(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DescribeLaunchTemplateVersionsRequest,
) -> Result<DescribeLaunchTemplateVersionsResult, ApiError> {
    let requested = input.versions.clone().unwrap_or_default();
    let mut items = Vec::new();
    if input.launch_template_id.is_none() && input.launch_template_name.is_none() {
        if requested.is_empty() {
            // MissingParameter with a message of its own (the catalogue's names a parameter).
            return Err(ApiError::client("MissingParameter", ALL_TEMPLATES_HINT));
        }
        if requested.iter().any(|v| v != "$Latest" && v != "$Default") {
            return Err(errors::invalid_parameter_value(ALL_TEMPLATES_HINT));
        }
        for t in state.launch_templates.values() {
            let mut numbers: Vec<i64> = requested.iter().filter_map(|v| version_number(t, v)).collect();
            numbers.sort_unstable();
            numbers.dedup();
            items.extend(numbers.into_iter().map(|n| describe_version(t, n)));
        }
    } else {
        let t = find(state, input.launch_template_id.as_deref(), input.launch_template_name.as_deref(), "describe")?;
        let bound = |v: Option<&str>| -> Result<Option<i64>, ApiError> {
            v.map(|v| v.trim().parse::<i64>().map_err(|_| version_not_found(t, v))).transpose()
        };
        let (min, max) = (bound(input.min_version.as_deref())?, bound(input.max_version.as_deref())?);
        let mut numbers: Vec<i64> = if requested.is_empty() {
            t.versions.keys().copied().collect()
        } else {
            requested
                .iter()
                .map(|v| version_number(t, v).ok_or_else(|| version_not_found(t, v)))
                .collect::<Result<_, _>>()?
        };
        numbers.retain(|n| min.is_none_or(|m| *n >= m) && max.is_none_or(|m| *n <= m));
        numbers.sort_unstable();
        numbers.dedup();
        items.extend(numbers.into_iter().map(|n| describe_version(t, n)));
    }
    if input.resolve_alias == Some(true) {
        // AWS shows the AMI the alias names now; an alias that no longer resolves stays.
        for data in items.iter_mut().filter_map(|v| v.launch_template_data.as_mut()) {
            if let Some(id) = data.image_id.as_deref() {
                if let Ok(resolved) = aliases::resolve(ctx, shared, id) {
                    data.image_id = Some(resolved);
                }
            }
        }
    }
    let items = filtered(items, input.filters.as_deref())?;
    let (page, next) = paginate(
        items,
        |v| {
            format!(
                "{}\u{1}{:020}",
                v.launch_template_id.as_deref().unwrap_or_default(),
                v.version_number.unwrap_or_default()
            )
        },
        input.page(),
        false,
    )?;
    Ok(DescribeLaunchTemplateVersionsResult { launch_template_versions: Some(page), next_token: next })
}
