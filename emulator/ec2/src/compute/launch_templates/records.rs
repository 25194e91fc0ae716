//! Finding a template and a version, and their AWS shapes.

use nimbus_core::ApiError;

use crate::generated::dto::{
    LaunchTemplate, LaunchTemplateVersion, RequestLaunchTemplateData, ResponseLaunchTemplateData,
};
use crate::generated::errors;
use crate::state::{Ec2State, LaunchTemplateRecord};

/// AWS's quota of versions per launch template.
pub(super) const MAX_VERSIONS: i64 = 10_000;

/// AWS's answer when DescribeLaunchTemplateVersions is asked for versions of no template.
pub(super) const ALL_TEMPLATES_HINT: &str = "To describe the launch template data for all your launch templates, for ‘--versions’ specify ‘$Latest’, ‘$Default’, or both, and omit ‘--launch-template-id’, ‘--launch-template-name’, and version numbers. To describe the launch template data for a specific launch template, specify ‘--launch-template-id’ or ‘--launch-template-name’, and for ‘--versions’ specify one or more of the following values: ‘$Latest’, ‘$Default’, or one or more version numbers.";

/// 3 to 128 characters: letters, digits and `( ) . - / _`.
pub(super) fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = (3..=128).contains(&name.chars().count())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "().-/_".contains(c));
    if ok {
        Ok(())
    } else {
        Err(errors::invalid_launch_template_name_malformed_exception())
    }
}

fn name_not_found(name: &str) -> ApiError {
    errors::invalid_launch_template_name_not_found_exception(format!(
        "The specified launch template, with template name {name}, does not exist."
    ))
}

pub(super) fn by_id<'a>(state: &'a Ec2State, id: &str) -> Result<&'a LaunchTemplateRecord, ApiError> {
    if !id.starts_with("lt-") {
        return Err(errors::invalid_launch_template_id_malformed(id));
    }
    state.launch_templates.get(id).ok_or_else(|| errors::invalid_launch_template_id_not_found(id))
}

pub(super) fn by_name<'a>(state: &'a Ec2State, name: &str) -> Option<&'a LaunchTemplateRecord> {
    state.launch_templates.values().find(|t| t.template.launch_template_name.as_deref() == Some(name))
}

/// The template a request names by id or by name (exactly one of them).
pub fn find<'a>(
    state: &'a Ec2State,
    id: Option<&str>,
    name: Option<&str>,
    verb: &str,
) -> Result<&'a LaunchTemplateRecord, ApiError> {
    match (id, name) {
        (Some(_), Some(_)) => Err(errors::invalid_parameter_combination(format!(
            "Either provide launch template ID or launch template name to {verb} the template."
        ))),
        (Some(id), None) => by_id(state, id),
        (None, Some(name)) => by_name(state, name).ok_or_else(|| name_not_found(name)),
        (None, None) => Err(errors::missing_parameter("launch template ID or launch template name")),
    }
}

pub(super) fn template_id(t: &LaunchTemplateRecord) -> String {
    t.template.launch_template_id.clone().unwrap_or_default()
}

/// A version named as `$Latest`, `$Default` or a number, if the template has it.
pub(super) fn version_number(t: &LaunchTemplateRecord, version: &str) -> Option<i64> {
    let n = match version {
        "$Latest" => t.template.latest_version_number?,
        "$Default" => t.template.default_version_number?,
        n => n.trim().parse::<i64>().ok()?,
    };
    t.versions.contains_key(&n).then_some(n)
}

pub(super) fn version_not_found(t: &LaunchTemplateRecord, version: &str) -> ApiError {
    errors::invalid_launch_template_id_version_not_found(format!(
        "Could not find the specified version {version} for the launch template with ID {}.",
        template_id(t)
    ))
}

/// The data in the shape Describe answers: the response shape has the request shape's
/// members (and a few read-only ones AWS fills in), so a serde round trip converts it.
pub fn response_data(data: &RequestLaunchTemplateData) -> ResponseLaunchTemplateData {
    serde_json::to_value(data).and_then(serde_json::from_value).unwrap_or_default()
}

pub(super) fn describe_template(state: &Ec2State, t: &LaunchTemplateRecord) -> LaunchTemplate {
    let mut out = t.template.clone();
    out.tags = state.dto_tags_if_any(&template_id(t));
    out
}

pub(super) fn describe_version(t: &LaunchTemplateRecord, number: i64) -> LaunchTemplateVersion {
    let v = &t.versions[&number];
    LaunchTemplateVersion {
        launch_template_id: t.template.launch_template_id.clone(),
        launch_template_name: t.template.launch_template_name.clone(),
        version_number: Some(number),
        version_description: v.description.clone(),
        create_time: Some(v.create_time),
        created_by: Some(v.created_by.clone()),
        default_version: Some(t.template.default_version_number == Some(number)),
        launch_template_data: Some(response_data(&v.data)),
        operator: None,
    }
}

pub fn check_description(description: Option<&str>) -> Result<(), ApiError> {
    if description.is_some_and(|d| d.chars().count() > 255) {
        return Err(errors::invalid_parameter_value(
            "Value for parameter versionDescription is invalid. Length exceeds maximum of 255 characters",
        ));
    }
    Ok(())
}
