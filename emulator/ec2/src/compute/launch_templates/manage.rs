//! CreateLaunchTemplate, CreateLaunchTemplateVersion, ModifyLaunchTemplate,
//! DeleteLaunchTemplate, DeleteLaunchTemplateVersions.

use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};
use serde_json::Value;

use super::records::{
    by_name, check_description, check_name, describe_template, describe_version, find, template_id, version_not_found,
    version_number, MAX_VERSIONS,
};
use crate::generated::dto::{
    CreateLaunchTemplateRequest, CreateLaunchTemplateResult, CreateLaunchTemplateVersionRequest,
    CreateLaunchTemplateVersionResult, DeleteLaunchTemplateRequest, DeleteLaunchTemplateResult,
    DeleteLaunchTemplateVersionsRequest, DeleteLaunchTemplateVersionsResponseErrorItem,
    DeleteLaunchTemplateVersionsResponseSuccessItem, DeleteLaunchTemplateVersionsResult, LaunchTemplate,
    ModifyLaunchTemplateRequest, ModifyLaunchTemplateResult, RequestLaunchTemplateData, ResponseError,
};
use crate::generated::errors;
use crate::images::aliases;
use crate::state::shared::Shared;
use crate::state::support::spec_tags;
use crate::state::{Ec2State, LaunchTemplateRecord, LaunchTemplateVersionRecord};

pub fn create_launch_template(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CreateLaunchTemplateRequest,
) -> Result<CreateLaunchTemplateResult, ApiError> {
    let name = input.launch_template_name;
    check_name(&name)?;
    aliases::check(ctx, shared, input.launch_template_data.image_id.as_deref())?;
    check_description(input.version_description.as_deref())?;
    let tags = spec_tags(input.tag_specifications.as_deref(), "launch-template")?;
    if by_name(state, &name).is_some() {
        return Err(errors::invalid_launch_template_name_already_exists_exception());
    }
    let id = ids::resource_id("lt");
    let created = Timestamp(ctx.now);
    let template = LaunchTemplate {
        launch_template_id: Some(id.clone()),
        launch_template_name: Some(name),
        create_time: Some(created),
        created_by: Some(ctx.caller.arn.clone()),
        default_version_number: Some(1),
        latest_version_number: Some(1),
        tags: None,
        operator: None,
    };
    let version = LaunchTemplateVersionRecord {
        description: input.version_description,
        create_time: created,
        created_by: ctx.caller.arn.clone(),
        data: without_empty_user_data(input.launch_template_data),
    };
    let record = LaunchTemplateRecord { template, versions: [(1, version)].into() };
    state.launch_templates.insert(id.clone(), record);
    state.set_tags(&id, tags);
    Ok(CreateLaunchTemplateResult {
        launch_template: Some(describe_template(state, &state.launch_templates[&id])),
        warning: None,
    })
}

/// Empty user data is no user data: AWS leaves it out of the template (the provider sends
/// `UserData=""` for a template without any, and reads any user data it finds back into
/// the instances launched from it).
fn without_empty_user_data(mut data: RequestLaunchTemplateData) -> RequestLaunchTemplateData {
    if data.user_data.as_deref() == Some("") {
        data.user_data = None;
    }
    data
}

/// Top-level members given in `over` replace the source's (lists and structures whole).
fn overlay(base: &RequestLaunchTemplateData, over: &RequestLaunchTemplateData) -> RequestLaunchTemplateData {
    let (Ok(Value::Object(mut merged)), Ok(Value::Object(given))) =
        (serde_json::to_value(base), serde_json::to_value(over))
    else {
        return over.clone();
    };
    merged.extend(given);
    serde_json::from_value(Value::Object(merged)).unwrap_or_else(|_| over.clone())
}

pub fn create_launch_template_version(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CreateLaunchTemplateVersionRequest,
) -> Result<CreateLaunchTemplateVersionResult, ApiError> {
    let t = find(state, input.launch_template_id.as_deref(), input.launch_template_name.as_deref(), "modify")?;
    check_description(input.version_description.as_deref())?;
    let data = without_empty_user_data(match input.source_version.as_deref() {
        None => input.launch_template_data,
        Some(source) => {
            let n = version_number(t, source).ok_or_else(|| version_not_found(t, source))?;
            overlay(&t.versions[&n].data, &input.launch_template_data)
        }
    });
    aliases::check(ctx, shared, data.image_id.as_deref())?;
    let latest = t.template.latest_version_number.unwrap_or(0);
    if latest >= MAX_VERSIONS {
        return Err(errors::invalid_parameter_value(format!(
            "The launch template {} has reached the limit of {MAX_VERSIONS} versions.",
            template_id(t)
        )));
    }
    let id = template_id(t);
    let number = latest + 1;
    let t = state.launch_templates.get_mut(&id).expect("found above");
    t.template.latest_version_number = Some(number);
    t.versions.insert(
        number,
        LaunchTemplateVersionRecord {
            description: input.version_description,
            create_time: Timestamp(ctx.now),
            created_by: ctx.caller.arn.clone(),
            data,
        },
    );
    Ok(CreateLaunchTemplateVersionResult { launch_template_version: Some(describe_version(t, number)), warning: None })
}

/// `SetDefaultVersion` (`DefaultVersion` in the model) chooses the default version.
pub fn modify_launch_template(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyLaunchTemplateRequest,
) -> Result<ModifyLaunchTemplateResult, ApiError> {
    let t = find(state, input.launch_template_id.as_deref(), input.launch_template_name.as_deref(), "modify")?;
    let id = template_id(t);
    if let Some(v) = input.default_version.as_deref() {
        let n = version_number(t, v).ok_or_else(|| {
            errors::invalid_launch_template_id_version_not_found(format!(
                "The launch template version {v} is not found for the specified launch template."
            ))
        })?;
        state.launch_templates.get_mut(&id).expect("found above").template.default_version_number = Some(n);
    }
    Ok(ModifyLaunchTemplateResult { launch_template: Some(describe_template(state, &state.launch_templates[&id])) })
}

pub fn delete_launch_template(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteLaunchTemplateRequest,
) -> Result<DeleteLaunchTemplateResult, ApiError> {
    let t = find(state, input.launch_template_id.as_deref(), input.launch_template_name.as_deref(), "delete")?;
    let id = template_id(t);
    let described = describe_template(state, t);
    state.launch_templates.remove(&id);
    state.forget(&id);
    Ok(DeleteLaunchTemplateResult { launch_template: Some(described) })
}

fn delete_error(
    id: Option<String>,
    name: Option<String>,
    version: Option<i64>,
    code: &str,
    message: String,
) -> DeleteLaunchTemplateVersionsResponseErrorItem {
    DeleteLaunchTemplateVersionsResponseErrorItem {
        launch_template_id: id,
        launch_template_name: name,
        version_number: version,
        response_error: Some(ResponseError { code: Some(code.into()), message: Some(message) }),
    }
}

/// Each version is deleted or answered in `UnsuccessfullyDeletedLaunchTemplateVersions`:
/// the default version stays (DeleteLaunchTemplate removes a template with all of them),
/// and so does every version of a template that does not exist.
pub fn delete_launch_template_versions(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: DeleteLaunchTemplateVersionsRequest,
) -> Result<DeleteLaunchTemplateVersionsResult, ApiError> {
    if input.versions.is_empty() {
        return Err(errors::missing_parameter("LaunchTemplateVersion"));
    }
    if input.versions.len() > 200 {
        return Err(errors::invalid_parameter_value(
            "You can specify up to 200 launch template version numbers in a single request.",
        ));
    }
    let (given_id, given_name) = (input.launch_template_id.clone(), input.launch_template_name.clone());
    let numbers: Vec<Option<i64>> = input.versions.iter().map(|v| v.trim().parse::<i64>().ok()).collect();
    let template = match find(state, given_id.as_deref(), given_name.as_deref(), "delete") {
        Ok(t) => template_id(t),
        Err(e) => {
            let code = match e.code.as_str() {
                "InvalidLaunchTemplateId.Malformed" => "launchTemplateIdMalformed",
                "InvalidLaunchTemplateId.NotFound" => "launchTemplateIdDoesNotExist",
                "InvalidLaunchTemplateName.NotFoundException" => "launchTemplateNameDoesNotExist",
                _ => return Err(e),
            };
            let failed = numbers
                .iter()
                .map(|n| delete_error(given_id.clone(), given_name.clone(), *n, code, e.message.clone()))
                .collect();
            return Ok(DeleteLaunchTemplateVersionsResult {
                successfully_deleted_launch_template_versions: Some(Vec::new()),
                unsuccessfully_deleted_launch_template_versions: Some(failed),
            });
        }
    };
    let t = state.launch_templates.get_mut(&template).expect("found above");
    let (id, name) = (t.template.launch_template_id.clone(), t.template.launch_template_name.clone());
    let mut deleted = Vec::new();
    let mut failed = Vec::new();
    for n in numbers {
        match n {
            Some(n) if t.template.default_version_number == Some(n) => failed.push(delete_error(
                id.clone(),
                name.clone(),
                Some(n),
                "unexpectedError",
                "Cannot delete the default version of a launch template. Set another version as the default first, or delete the launch template."
                    .into(),
            )),
            Some(n) if t.versions.remove(&n).is_some() => deleted.push(DeleteLaunchTemplateVersionsResponseSuccessItem {
                launch_template_id: id.clone(),
                launch_template_name: name.clone(),
                version_number: Some(n),
            }),
            n => failed.push(delete_error(
                id.clone(),
                name.clone(),
                n,
                "launchTemplateVersionDoesNotExist",
                "The launch template version does not exist.".into(),
            )),
        }
    }
    Ok(DeleteLaunchTemplateVersionsResult {
        successfully_deleted_launch_template_versions: Some(deleted),
        unsuccessfully_deleted_launch_template_versions: Some(failed),
    })
}
