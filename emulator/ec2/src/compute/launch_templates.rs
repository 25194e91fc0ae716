//! Launch templates and their numbered versions. A version keeps its data as it was
//! given (`RequestLaunchTemplateData`, not validated, as at AWS) and answers it in the
//! response shape (`ResponseLaunchTemplateData`: the same members). RunInstances resolves
//! a `LaunchTemplate` specification with `resolve` and applies it with
//! `merge_into_run_request`.

use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};
use serde_json::{Map, Value};

use crate::generated::dto::{
    CreateLaunchTemplateRequest, CreateLaunchTemplateResult, CreateLaunchTemplateVersionRequest,
    CreateLaunchTemplateVersionResult, DeleteLaunchTemplateRequest, DeleteLaunchTemplateResult,
    DeleteLaunchTemplateVersionsRequest, DeleteLaunchTemplateVersionsResponseErrorItem,
    DeleteLaunchTemplateVersionsResponseSuccessItem, DeleteLaunchTemplateVersionsResult,
    DescribeLaunchTemplateVersionsRequest, DescribeLaunchTemplateVersionsResult, DescribeLaunchTemplatesRequest,
    DescribeLaunchTemplatesResult, GetLaunchTemplateDataRequest, GetLaunchTemplateDataResult, LaunchTemplate,
    LaunchTemplateSpecification, LaunchTemplateVersion, ModifyLaunchTemplateRequest, ModifyLaunchTemplateResult,
    RequestLaunchTemplateData, ResponseError, ResponseLaunchTemplateData, RunInstancesRequest,
};
use crate::generated::errors;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, paginate, spec_tags};
use crate::state::{Ec2State, LaunchTemplateRecord, LaunchTemplateVersionRecord};

/// AWS's quota of versions per launch template.
const MAX_VERSIONS: i64 = 10_000;

/// AWS's answer when DescribeLaunchTemplateVersions is asked for versions of no template.
const ALL_TEMPLATES_HINT: &str = "To describe the launch template data for all your launch templates, for ‘--versions’ specify ‘$Latest’, ‘$Default’, or both, and omit ‘--launch-template-id’, ‘--launch-template-name’, and version numbers. To describe the launch template data for a specific launch template, specify ‘--launch-template-id’ or ‘--launch-template-name’, and for ‘--versions’ specify one or more of the following values: ‘$Latest’, ‘$Default’, or one or more version numbers.";

/// 3 to 128 characters: letters, digits and `( ) . - / _`.
fn check_name(name: &str) -> Result<(), ApiError> {
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

fn by_id<'a>(state: &'a Ec2State, id: &str) -> Result<&'a LaunchTemplateRecord, ApiError> {
    if !id.starts_with("lt-") {
        return Err(errors::invalid_launch_template_id_malformed(id));
    }
    state.launch_templates.get(id).ok_or_else(|| errors::invalid_launch_template_id_not_found(id))
}

fn by_name<'a>(state: &'a Ec2State, name: &str) -> Option<&'a LaunchTemplateRecord> {
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

fn template_id(t: &LaunchTemplateRecord) -> String {
    t.template.launch_template_id.clone().unwrap_or_default()
}

/// A version named as `$Latest`, `$Default` or a number, if the template has it.
fn version_number(t: &LaunchTemplateRecord, version: &str) -> Option<i64> {
    let n = match version {
        "$Latest" => t.template.latest_version_number?,
        "$Default" => t.template.default_version_number?,
        n => n.trim().parse::<i64>().ok()?,
    };
    t.versions.contains_key(&n).then_some(n)
}

fn version_not_found(t: &LaunchTemplateRecord, version: &str) -> ApiError {
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

fn describe_template(state: &Ec2State, t: &LaunchTemplateRecord) -> LaunchTemplate {
    let mut out = t.template.clone();
    out.tags = state.dto_tags_if_any(&template_id(t));
    out
}

fn describe_version(t: &LaunchTemplateRecord, number: i64) -> LaunchTemplateVersion {
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

pub fn create_launch_template(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateLaunchTemplateRequest,
) -> Result<CreateLaunchTemplateResult, ApiError> {
    let name = input.launch_template_name;
    check_name(&name)?;
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
        input.max_results,
        input.next_token.as_deref(),
        (1, 200),
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
    _ctx: &RequestContext,
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
        input.max_results,
        input.next_token.as_deref(),
        (1, 200),
        false,
    )?;
    Ok(DescribeLaunchTemplateVersionsResult { launch_template_versions: Some(page), next_token: next })
}

/// GetLaunchTemplateData: an instance's launch parameters as template data, to make a
/// template from a running instance (what AWS's console "create template from instance"
/// does).
pub fn get_launch_template_data(
    state: &Ec2State,
    ctx: &RequestContext,
    input: GetLaunchTemplateDataRequest,
) -> Result<GetLaunchTemplateDataResult, ApiError> {
    let rec = crate::state::lookup::instance(state, &input.instance_id)?;
    let shown = serde_json::to_value(crate::compute::instances::describe::describe_one(state, ctx, &input.instance_id))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let i = |key: &str| shown.get(key).cloned().unwrap_or(Value::Null);
    let mut data = Map::new();
    let mut put = |key: &str, value: Value| {
        if !value.is_null() {
            data.insert(key.to_string(), value);
        }
    };
    put("ImageId", i("ImageId"));
    put("InstanceType", i("InstanceType"));
    put("KeyName", i("KeyName"));
    put("EbsOptimized", i("EbsOptimized"));
    put("DisableApiTermination", Value::Bool(rec.disable_api_termination));
    put("DisableApiStop", Value::Bool(rec.disable_api_stop));
    put("InstanceInitiatedShutdownBehavior", Value::String(rec.shutdown_behavior.clone()));
    put("UserData", rec.user_data.clone().map(Value::String).unwrap_or(Value::Null));
    let monitored = matches!(shown.pointer("/Monitoring/State").and_then(Value::as_str), Some("enabled" | "pending"));
    put("Monitoring", serde_json::json!({"Enabled": monitored}));
    put(
        "Placement",
        serde_json::json!({
            "AvailabilityZone": shown.pointer("/Placement/AvailabilityZone"),
            "GroupName": "",
            "Tenancy": shown.pointer("/Placement/Tenancy").and_then(Value::as_str).unwrap_or("default"),
        }),
    );
    if let Some(options) = shown.get("MetadataOptions").and_then(Value::as_object) {
        let mut m = options.clone();
        m.remove("State");
        put("MetadataOptions", Value::Object(m));
    }
    if let Some(credits) = rec.cpu_credits.as_ref() {
        put("CreditSpecification", serde_json::json!({"CpuCredits": credits}));
    }
    if let Some(arn) = shown.pointer("/IamInstanceProfile/Arn") {
        put("IamInstanceProfile", serde_json::json!({"Arn": arn}));
    }
    let nics: Vec<Value> = shown
        .get("NetworkInterfaces")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|n| {
            serde_json::json!({
                "AssociatePublicIpAddress": n.get("Association").is_some(),
                "DeleteOnTermination": n.pointer("/Attachment/DeleteOnTermination"),
                "Description": n.get("Description").cloned().unwrap_or(Value::String(String::new())),
                "DeviceIndex": n.pointer("/Attachment/DeviceIndex"),
                "Groups": n.get("Groups").and_then(Value::as_array).into_iter().flatten()
                    .filter_map(|g| g.get("GroupId").cloned()).collect::<Vec<_>>(),
                "InterfaceType": n.get("InterfaceType"),
                "Ipv6Addresses": [],
                "NetworkCardIndex": n.pointer("/Attachment/NetworkCardIndex"),
                "NetworkInterfaceId": n.get("NetworkInterfaceId"),
                "PrivateIpAddresses": n.get("PrivateIpAddresses").and_then(Value::as_array).into_iter().flatten()
                    .map(|p| serde_json::json!({"Primary": p.get("Primary"), "PrivateIpAddress": p.get("PrivateIpAddress")}))
                    .collect::<Vec<_>>(),
                "SubnetId": n.get("SubnetId"),
            })
        })
        .collect();
    put("NetworkInterfaces", Value::Array(nics));
    let devices: Vec<Value> = shown
        .get("BlockDeviceMappings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let volume = state.volumes.get(m.pointer("/Ebs/VolumeId")?.as_str()?)?;
            Some(serde_json::json!({
                "DeviceName": m.get("DeviceName"),
                "Ebs": {
                    "DeleteOnTermination": m.pointer("/Ebs/DeleteOnTermination"),
                    "Encrypted": volume.encrypted,
                    "Iops": volume.iops,
                    "SnapshotId": volume.snapshot_id.as_deref().filter(|s| !s.is_empty()),
                    "Throughput": volume.throughput,
                    "VolumeSize": volume.size,
                    "VolumeType": volume.volume_type,
                },
            }))
        })
        .collect();
    put("BlockDeviceMappings", Value::Array(devices));
    let tags: Vec<Value> = state
        .tags
        .get(&input.instance_id)
        .into_iter()
        .flatten()
        .filter(|(k, _)| !k.starts_with("aws:"))
        .map(|(k, v)| serde_json::json!({"Key": k, "Value": v}))
        .collect();
    if !tags.is_empty() {
        put("TagSpecifications", serde_json::json!([{"ResourceType": "instance", "Tags": tags}]));
    }
    put("CapacityReservationSpecification", serde_json::json!({"CapacityReservationPreference": "open"}));
    put("HibernationOptions", serde_json::json!({"Configured": false}));
    put("EnclaveOptions", serde_json::json!({"Enabled": false}));
    put("MaintenanceOptions", serde_json::json!({"AutoRecovery": "default"}));
    strip_nulls(&mut data);
    let data: ResponseLaunchTemplateData =
        serde_json::from_value(Value::Object(data)).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(GetLaunchTemplateDataResult { launch_template_data: Some(data) })
}

fn strip_nulls(map: &mut Map<String, Value>) {
    map.retain(|_, v| !v.is_null());
    for v in map.values_mut() {
        match v {
            Value::Object(m) => strip_nulls(m),
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(m) = item {
                        strip_nulls(m);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The template a RunInstances `LaunchTemplate` names: its id, the version chosen
/// (`$Default` when none is given) and that version's data.
pub fn resolve(
    state: &Ec2State,
    spec: &LaunchTemplateSpecification,
) -> Result<(String, i64, RequestLaunchTemplateData), ApiError> {
    let t = find(state, spec.launch_template_id.as_deref(), spec.launch_template_name.as_deref(), "use")?;
    let version = spec.version.as_deref().unwrap_or("$Default");
    let n = version_number(t, version).ok_or_else(|| version_not_found(t, version))?;
    Ok((template_id(t), n, t.versions[&n].data.clone()))
}

/// Applies a template's data to a RunInstances request, as AWS does: a parameter the
/// request sets wins over the template's (lists replace, they are not merged), except the
/// tag specifications, which are combined per resource type (the request's value wins
/// for a key both give).
pub fn merge_into_run_request(
    data: &RequestLaunchTemplateData,
    request: &mut RunInstancesRequest,
) -> Result<(), ApiError> {
    let (Ok(Value::Object(template)), Ok(Value::Object(mut run))) =
        (serde_json::to_value(data), serde_json::to_value(&*request))
    else {
        return Err(ApiError::internal("a launch template's data is not an object"));
    };
    for (key, value) in template {
        // The two shapes spell these members differently.
        let key = match key.as_str() {
            "RamDiskId" => "RamdiskId".to_string(),
            "ElasticGpuSpecifications" => "ElasticGpuSpecification".to_string(),
            _ => key,
        };
        if key == "TagSpecifications" {
            let combined = combine_tag_specifications(run.get(&key), &value);
            run.insert(key, combined);
        } else if run.get(&key).is_none_or(Value::is_null) {
            run.insert(key, value);
        }
    }
    // Both shapes come from the same model; a member that does not carry over is a
    // template the request cannot use, which AWS reports as a bad parameter.
    *request = serde_json::from_value(Value::Object(run)).map_err(|e| {
        errors::invalid_parameter_value(format!("The launch template's data cannot be used to launch: {e}"))
    })?;
    Ok(())
}

/// The request's tag specifications, with the template's tags added to those of the same
/// resource type (keys the request gives keep the request's values) and the template's
/// other resource types appended.
fn combine_tag_specifications(request: Option<&Value>, template: &Value) -> Value {
    let mut specs: Vec<Value> = request.and_then(Value::as_array).cloned().unwrap_or_default();
    for spec in template.as_array().into_iter().flatten() {
        let kind = spec.get("ResourceType").cloned().unwrap_or(Value::Null);
        let tags: Vec<Value> = spec.get("Tags").and_then(Value::as_array).cloned().unwrap_or_default();
        match specs.iter_mut().find(|s| s.get("ResourceType") == Some(&kind)) {
            Some(existing) => {
                let obj = existing.as_object_mut().expect("a tag specification is an object");
                let list = obj.entry("Tags").or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = list {
                    for tag in tags {
                        let key = tag.get("Key").cloned();
                        if !list.iter().any(|t| t.get("Key").cloned() == key) {
                            list.push(tag);
                        }
                    }
                }
            }
            None => {
                let mut obj = Map::new();
                obj.insert("ResourceType".into(), kind);
                obj.insert("Tags".into(), Value::Array(tags));
                specs.push(Value::Object(obj));
            }
        }
    }
    Value::Array(specs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::{
        Filter, LaunchTemplateInstanceMetadataOptionsRequest, LaunchTemplateTagSpecificationRequest, Tag,
        TagSpecification,
    };
    use crate::state::support::testing::setup;

    fn data(image: &str, instance_type: Option<&str>) -> RequestLaunchTemplateData {
        RequestLaunchTemplateData {
            image_id: Some(image.into()),
            instance_type: instance_type.map(str::to_string),
            ..Default::default()
        }
    }

    fn create(s: &mut Ec2State, ctx: &RequestContext, name: &str, d: RequestLaunchTemplateData) -> String {
        let input = CreateLaunchTemplateRequest {
            launch_template_name: name.into(),
            launch_template_data: d,
            version_description: Some("first".into()),
            ..Default::default()
        };
        create_launch_template(s, ctx, input).unwrap().launch_template.unwrap().launch_template_id.unwrap()
    }

    fn new_version(
        s: &mut Ec2State,
        ctx: &RequestContext,
        id: &str,
        source: Option<&str>,
        d: RequestLaunchTemplateData,
    ) -> Result<LaunchTemplateVersion, ApiError> {
        let input = CreateLaunchTemplateVersionRequest {
            launch_template_id: Some(id.into()),
            source_version: source.map(str::to_string),
            launch_template_data: d,
            ..Default::default()
        };
        create_launch_template_version(s, ctx, input).map(|o| o.launch_template_version.unwrap())
    }

    fn versions(s: &Ec2State, ctx: &RequestContext, input: DescribeLaunchTemplateVersionsRequest) -> Vec<i64> {
        describe_launch_template_versions(s, ctx, input)
            .unwrap()
            .launch_template_versions
            .unwrap()
            .iter()
            .map(|v| v.version_number.unwrap())
            .collect()
    }

    #[test]
    fn templates_are_named_uniquely_and_tagged() {
        let (mut s, ctx) = setup();
        let input = CreateLaunchTemplateRequest {
            launch_template_name: "web".into(),
            launch_template_data: data("ami-12345678", Some("t3.micro")),
            tag_specifications: Some(vec![TagSpecification {
                resource_type: Some("launch-template".into()),
                tags: Some(vec![Tag { key: Some("env".into()), value: Some("prod".into()) }]),
            }]),
            ..Default::default()
        };
        let lt = create_launch_template(&mut s, &ctx, input.clone()).unwrap().launch_template.unwrap();
        assert!(lt.launch_template_id.as_deref().unwrap().starts_with("lt-"));
        assert_eq!((lt.default_version_number, lt.latest_version_number), (Some(1), Some(1)));
        assert_eq!(lt.created_by.as_deref(), Some(ctx.caller.arn.as_str()));
        assert_eq!(lt.tags.unwrap().len(), 1);
        let err = create_launch_template(&mut s, &ctx, input.clone()).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.message.as_str()),
            ("InvalidLaunchTemplateName.AlreadyExistsException", "Launch template name already in use.")
        );
        for bad in ["ab", "has space", &"x".repeat(129)] {
            let input = CreateLaunchTemplateRequest { launch_template_name: bad.into(), ..input.clone() };
            let err = create_launch_template(&mut s, &ctx, input).unwrap_err();
            assert_eq!(err.code, "InvalidLaunchTemplateName.MalformedException", "{bad}");
        }
        let wrong_type = CreateLaunchTemplateRequest {
            launch_template_name: "other".into(),
            tag_specifications: Some(vec![TagSpecification { resource_type: Some("instance".into()), tags: None }]),
            ..input
        };
        assert_eq!(create_launch_template(&mut s, &ctx, wrong_type).unwrap_err().code, "InvalidParameterValue");

        let by = |name: &str, value: &str| DescribeLaunchTemplatesRequest {
            filters: Some(vec![Filter { name: Some(name.into()), values: Some(vec![value.into()]) }]),
            ..Default::default()
        };
        let found = |r| describe_launch_templates(&s, &ctx, r).unwrap().launch_templates.unwrap().len();
        assert_eq!(found(by("tag:env", "prod")), 1);
        assert_eq!(found(by("launch-template-name", "w*")), 1);
        assert_eq!(found(by("create-time", &Timestamp(ctx.now).iso8601())), 1);
        assert_eq!(found(by("launch-template-name", "nope")), 0);
        let err = describe_launch_templates(
            &s,
            &ctx,
            DescribeLaunchTemplatesRequest { launch_template_names: Some(vec!["nope".into()]), ..Default::default() },
        )
        .unwrap_err();
        assert_eq!(err.code, "InvalidLaunchTemplateName.NotFoundException");
        let err = describe_launch_templates(
            &s,
            &ctx,
            DescribeLaunchTemplatesRequest {
                launch_template_ids: Some(vec!["lt-0123456789abcdef0".into()]),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "The specified launch template, with template ID lt-0123456789abcdef0, does not exist."
        );
    }

    #[test]
    fn versions_build_on_their_source_and_the_default_moves() {
        let (mut s, ctx) = setup();
        let mut first = data("ami-1", Some("t3.micro"));
        first.security_group_ids = Some(vec!["sg-1".into(), "sg-2".into()]);
        let id = create(&mut s, &ctx, "app", first);
        let v2 = new_version(&mut s, &ctx, &id, None, data("ami-2", None)).unwrap();
        assert_eq!((v2.version_number, v2.default_version), (Some(2), Some(false)));
        assert_eq!(v2.launch_template_data.as_ref().unwrap().instance_type, None, "no source: nothing inherited");
        let mut over = data("ami-3", None);
        over.security_group_ids = Some(vec!["sg-3".into()]);
        let v3 = new_version(&mut s, &ctx, &id, Some("1"), over).unwrap();
        let d = v3.launch_template_data.unwrap();
        assert_eq!(d.image_id.as_deref(), Some("ami-3"));
        assert_eq!(d.instance_type.as_deref(), Some("t3.micro"), "inherited from version 1");
        assert_eq!(d.security_group_ids, Some(vec!["sg-3".to_string()]), "lists are replaced");
        let v4 = new_version(&mut s, &ctx, &id, Some("$Latest"), RequestLaunchTemplateData::default()).unwrap();
        assert_eq!(v4.launch_template_data.unwrap().image_id.as_deref(), Some("ami-3"));
        let err = new_version(&mut s, &ctx, &id, Some("9"), RequestLaunchTemplateData::default()).unwrap_err();
        assert_eq!(err.code, "InvalidLaunchTemplateId.VersionNotFound");

        let modify = |s: &mut Ec2State, v: &str| {
            modify_launch_template(
                s,
                &ctx,
                ModifyLaunchTemplateRequest {
                    launch_template_name: Some("app".into()),
                    default_version: Some(v.into()),
                    ..Default::default()
                },
            )
        };
        assert_eq!(modify(&mut s, "3").unwrap().launch_template.unwrap().default_version_number, Some(3));
        let err = modify(&mut s, "7").unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.message.as_str()),
            (
                "InvalidLaunchTemplateId.VersionNotFound",
                "The launch template version 7 is not found for the specified launch template."
            )
        );
        let both = ModifyLaunchTemplateRequest {
            launch_template_id: Some(id.clone()),
            launch_template_name: Some("app".into()),
            ..Default::default()
        };
        assert_eq!(modify_launch_template(&mut s, &ctx, both).unwrap_err().code, "InvalidParameterCombination");

        let of = |versions: &[&str]| DescribeLaunchTemplateVersionsRequest {
            launch_template_id: Some(id.clone()),
            versions: Some(versions.iter().map(|v| v.to_string()).collect()),
            ..Default::default()
        };
        assert_eq!(versions(&s, &ctx, of(&[])), vec![1, 2, 3, 4]);
        assert_eq!(versions(&s, &ctx, of(&["$Default", "$Latest", "1"])), vec![1, 3, 4]);
        let ranged = DescribeLaunchTemplateVersionsRequest {
            min_version: Some("2".into()),
            max_version: Some("3".into()),
            ..of(&[])
        };
        assert_eq!(versions(&s, &ctx, ranged), vec![2, 3]);
        let default_only = DescribeLaunchTemplateVersionsRequest {
            filters: Some(vec![Filter { name: Some("is-default-version".into()), values: Some(vec!["true".into()]) }]),
            ..of(&[])
        };
        assert_eq!(versions(&s, &ctx, default_only), vec![3]);
        let by_image = DescribeLaunchTemplateVersionsRequest {
            filters: Some(vec![Filter { name: Some("image-id".into()), values: Some(vec!["ami-3".into()]) }]),
            ..of(&[])
        };
        assert_eq!(versions(&s, &ctx, by_image), vec![3, 4]);
        let err = describe_launch_template_versions(&s, &ctx, of(&["8"])).unwrap_err();
        assert_eq!(
            err.message,
            format!("Could not find the specified version 8 for the launch template with ID {id}.")
        );
        let paged = DescribeLaunchTemplateVersionsRequest { max_results: Some(3), ..of(&[]) };
        let first_page = describe_launch_template_versions(&s, &ctx, paged.clone()).unwrap();
        assert_eq!(first_page.launch_template_versions.unwrap().len(), 3);
        let rest = DescribeLaunchTemplateVersionsRequest { next_token: first_page.next_token, ..paged };
        assert_eq!(versions(&s, &ctx, rest), vec![4]);
    }

    #[test]
    fn versions_of_every_template_only_by_alias() {
        let (mut s, ctx) = setup();
        let a = create(&mut s, &ctx, "aaa", data("ami-1", None));
        create(&mut s, &ctx, "bbb", data("ami-1", None));
        new_version(&mut s, &ctx, &a, None, data("ami-2", None)).unwrap();
        let all = |v: &[&str]| DescribeLaunchTemplateVersionsRequest {
            versions: Some(v.iter().map(|v| v.to_string()).collect()),
            ..Default::default()
        };
        assert_eq!(versions(&s, &ctx, all(&["$Latest"])).len(), 2);
        assert_eq!(versions(&s, &ctx, all(&["$Latest", "$Default"])).len(), 3);
        assert_eq!(describe_launch_template_versions(&s, &ctx, all(&["1"])).unwrap_err().code, "InvalidParameterValue");
        assert_eq!(describe_launch_template_versions(&s, &ctx, all(&[])).unwrap_err().code, "MissingParameter");
        let missing =
            DescribeLaunchTemplateVersionsRequest { launch_template_name: Some("zzz".into()), ..Default::default() };
        let err = describe_launch_template_versions(&s, &ctx, missing).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.message.as_str()),
            (
                "InvalidLaunchTemplateName.NotFoundException",
                "The specified launch template, with template name zzz, does not exist."
            )
        );
    }

    #[test]
    fn the_default_version_is_not_deleted_with_the_others() {
        let (mut s, ctx) = setup();
        let id = create(&mut s, &ctx, "app", data("ami-1", None));
        new_version(&mut s, &ctx, &id, None, data("ami-2", None)).unwrap();
        let input = DeleteLaunchTemplateVersionsRequest {
            launch_template_name: Some("app".into()),
            versions: vec!["1".into(), "2".into(), "5".into()],
            ..Default::default()
        };
        let out = delete_launch_template_versions(&mut s, &ctx, input).unwrap();
        let ok: Vec<i64> = out
            .successfully_deleted_launch_template_versions
            .unwrap()
            .iter()
            .map(|v| v.version_number.unwrap())
            .collect();
        assert_eq!(ok, vec![2]);
        let failed: Vec<(i64, String)> = out
            .unsuccessfully_deleted_launch_template_versions
            .unwrap()
            .iter()
            .map(|f| (f.version_number.unwrap(), f.response_error.clone().unwrap().code.unwrap()))
            .collect();
        assert_eq!(failed, vec![(1, "unexpectedError".into()), (5, "launchTemplateVersionDoesNotExist".into())]);
        let lt = &s.launch_templates[&id].template;
        assert_eq!(lt.latest_version_number, Some(2), "numbers are never reused");

        let gone = DeleteLaunchTemplateVersionsRequest {
            launch_template_id: Some("lt-0123456789abcdef0".into()),
            versions: vec!["1".into()],
            ..Default::default()
        };
        let out = delete_launch_template_versions(&mut s, &ctx, gone).unwrap();
        let f = &out.unsuccessfully_deleted_launch_template_versions.unwrap()[0];
        assert_eq!(f.response_error.clone().unwrap().code.as_deref(), Some("launchTemplateIdDoesNotExist"));

        let del = DeleteLaunchTemplateRequest { launch_template_id: Some(id.clone()), ..Default::default() };
        assert_eq!(
            delete_launch_template(&mut s, &ctx, del.clone()).unwrap().launch_template.unwrap().launch_template_id,
            Some(id.clone())
        );
        assert_eq!(delete_launch_template(&mut s, &ctx, del).unwrap_err().code, "InvalidLaunchTemplateId.NotFound");
        let malformed = DeleteLaunchTemplateRequest { launch_template_id: Some("nope".into()), ..Default::default() };
        assert_eq!(
            delete_launch_template(&mut s, &ctx, malformed).unwrap_err().code,
            "InvalidLaunchTemplateId.Malformed"
        );
        let neither = DeleteLaunchTemplateRequest::default();
        let err = delete_launch_template(&mut s, &ctx, neither).unwrap_err();
        assert_eq!(err.message, "The request must contain the parameter launch template ID or launch template name");
        create(&mut s, &ctx, "app", data("ami-1", None));
    }

    #[test]
    fn response_data_keeps_what_was_given() {
        let mut d = data("ami-1", Some("t3.small"));
        d.user_data = Some("IyEvYmluL3NoCg==".into());
        d.security_group_ids = Some(vec!["sg-1".into()]);
        d.metadata_options = Some(LaunchTemplateInstanceMetadataOptionsRequest {
            http_tokens: Some("required".into()),
            ..Default::default()
        });
        d.tag_specifications = Some(vec![LaunchTemplateTagSpecificationRequest {
            resource_type: Some("instance".into()),
            tags: Some(vec![Tag { key: Some("k".into()), value: Some("v".into()) }]),
        }]);
        let r = response_data(&d);
        assert_eq!(r.user_data.as_deref(), Some("IyEvYmluL3NoCg=="));
        assert_eq!(r.security_group_ids, Some(vec!["sg-1".to_string()]));
        assert_eq!(r.metadata_options.unwrap().http_tokens.as_deref(), Some("required"));
        let spec = &r.tag_specifications.unwrap()[0];
        assert_eq!(spec.resource_type.as_deref(), Some("instance"));
        assert_eq!(spec.tags.as_ref().unwrap()[0].key.as_deref(), Some("k"));
    }

    #[test]
    fn resolve_picks_the_version_asked_for() {
        let (mut s, ctx) = setup();
        let id = create(&mut s, &ctx, "app", data("ami-1", None));
        new_version(&mut s, &ctx, &id, None, data("ami-2", None)).unwrap();
        let spec = |name: Option<&str>, id: Option<&str>, version: Option<&str>| LaunchTemplateSpecification {
            launch_template_name: name.map(str::to_string),
            launch_template_id: id.map(str::to_string),
            version: version.map(str::to_string),
        };
        let (got, n, d) = resolve(&s, &spec(Some("app"), None, None)).unwrap();
        assert_eq!((got.as_str(), n, d.image_id.as_deref()), (id.as_str(), 1, Some("ami-1")));
        assert_eq!(resolve(&s, &spec(None, Some(&id), Some("$Latest"))).unwrap().1, 2);
        assert_eq!(resolve(&s, &spec(None, Some(&id), Some("2"))).unwrap().2.image_id.as_deref(), Some("ami-2"));
        let code = |sp| resolve(&s, &sp).unwrap_err().code;
        assert_eq!(code(spec(Some("nope"), None, None)), "InvalidLaunchTemplateName.NotFoundException");
        assert_eq!(code(spec(None, Some("lt-0123456789abcdef0"), None)), "InvalidLaunchTemplateId.NotFound");
        assert_eq!(code(spec(None, Some(&id), Some("3"))), "InvalidLaunchTemplateId.VersionNotFound");
        assert_eq!(code(spec(None, None, None)), "MissingParameter");
    }

    #[test]
    fn run_requests_keep_their_own_values_and_combine_tags() {
        let mut template = data("ami-template", Some("t3.large"));
        template.key_name = Some("ops".into());
        template.security_group_ids = Some(vec!["sg-a".into(), "sg-b".into()]);
        template.ram_disk_id = Some("ari-1".into());
        template.tag_specifications = Some(vec![
            LaunchTemplateTagSpecificationRequest {
                resource_type: Some("instance".into()),
                tags: Some(vec![
                    Tag { key: Some("team".into()), value: Some("template".into()) },
                    Tag { key: Some("cost".into()), value: Some("42".into()) },
                ]),
            },
            LaunchTemplateTagSpecificationRequest {
                resource_type: Some("volume".into()),
                tags: Some(vec![Tag { key: Some("v".into()), value: Some("1".into()) }]),
            },
        ]);
        let mut run = RunInstancesRequest {
            instance_type: Some("t3.nano".into()),
            security_group_ids: Some(vec!["sg-run".into()]),
            min_count: 1,
            max_count: 2,
            tag_specifications: Some(vec![TagSpecification {
                resource_type: Some("instance".into()),
                tags: Some(vec![Tag { key: Some("team".into()), value: Some("request".into()) }]),
            }]),
            ..Default::default()
        };
        merge_into_run_request(&template, &mut run).unwrap();
        assert_eq!(run.image_id.as_deref(), Some("ami-template"), "taken from the template");
        assert_eq!(run.key_name.as_deref(), Some("ops"));
        assert_eq!(run.ramdisk_id.as_deref(), Some("ari-1"));
        assert_eq!(run.instance_type.as_deref(), Some("t3.nano"), "the request wins");
        assert_eq!(run.security_group_ids, Some(vec!["sg-run".to_string()]), "lists are replaced, not merged");
        assert_eq!((run.min_count, run.max_count), (1, 2));
        let specs = run.tag_specifications.unwrap();
        assert_eq!(specs.len(), 2);
        let instance: Vec<(String, String)> =
            specs[0].tags.iter().flatten().map(|t| (t.key.clone().unwrap(), t.value.clone().unwrap())).collect();
        assert_eq!(instance, vec![("team".into(), "request".into()), ("cost".into(), "42".into())]);
        assert_eq!(specs[1].resource_type.as_deref(), Some("volume"));
    }

    #[test]
    fn run_instances_from_a_template_merges_the_request_over_it() {
        use crate::testing::{call, refused, str_at};
        use serde_json::json;
        let ec2 = crate::Ec2::default();
        let ctx = RequestContext::for_tests();
        let image = crate::catalogue::public_images(&ctx.region)
            .into_iter()
            .find(|i| i.architecture.as_deref() == Some("x86_64"))
            .and_then(|i| i.image_id)
            .unwrap();
        call(&ec2, &ctx, "CreateKeyPair", json!({"KeyName": "ops"}));
        let data = json!({
            "ImageId": image, "InstanceType": "t3.small", "KeyName": "ops",
            "UserData": "ZWNobyBoaQ==", "Monitoring": {"Enabled": true},
            "MetadataOptions": {"HttpTokens": "required"},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvdb", "Ebs": {"VolumeSize": 20, "VolumeType": "gp3"}}],
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Role", "Value": "web"}, {"Key": "Env", "Value": "t"}]}],
        });
        let made =
            call(&ec2, &ctx, "CreateLaunchTemplate", json!({"LaunchTemplateName": "web", "LaunchTemplateData": data}));
        let id = str_at(&made, "/LaunchTemplate/LaunchTemplateId");
        let run = json!({
            "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro",
            "LaunchTemplate": {"LaunchTemplateName": "web"},
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Env", "Value": "prod"}]}],
        });
        let launched = call(&ec2, &ctx, "RunInstances", run);
        let instance = &launched["Instances"][0];
        assert_eq!(instance["ImageId"], image.as_str());
        assert_eq!(instance["InstanceType"], "t3.micro", "the request wins");
        assert_eq!(instance["KeyName"], "ops");
        assert_eq!(instance["Monitoring"]["State"], "pending", "detailed monitoring is being enabled");
        assert_eq!(instance["MetadataOptions"]["HttpTokens"], "required");
        let tags: std::collections::BTreeMap<String, String> = instance["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["Key"].as_str().unwrap().into(), t["Value"].as_str().unwrap().into()))
            .collect();
        assert_eq!(tags["Env"], "prod");
        assert_eq!(tags["Role"], "web");
        assert_eq!(tags["aws:ec2launchtemplate:id"], id);
        assert_eq!(tags["aws:ec2launchtemplate:version"], "1");
        let devices = instance["BlockDeviceMappings"].as_array().unwrap();
        assert!(devices.iter().any(|d| d["DeviceName"] == "/dev/xvdb"), "{devices:?}");

        // The instance's parameters as template data, good for a new template.
        let instance_id = instance["InstanceId"].as_str().unwrap();
        let got =
            call(&ec2, &ctx, "GetLaunchTemplateData", json!({"InstanceId": instance_id}))["LaunchTemplateData"].clone();
        assert_eq!(got["ImageId"], image.as_str());
        assert_eq!(got["InstanceType"], "t3.micro");
        assert_eq!(got["KeyName"], "ops");
        assert_eq!(got["UserData"], "ZWNobyBoaQ==");
        assert_eq!(got["MetadataOptions"]["HttpTokens"], "required");
        assert_eq!(got["NetworkInterfaces"][0]["DeviceIndex"], 0);
        assert!(got["BlockDeviceMappings"].as_array().unwrap().iter().any(|d| d["DeviceName"] == "/dev/xvdb"
            && d["Ebs"]["VolumeSize"] == 20
            && d["Ebs"]["VolumeType"] == "gp3"));
        let tag_keys: Vec<&str> = got["TagSpecifications"][0]["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["Key"].as_str().unwrap())
            .collect();
        assert_eq!(tag_keys, ["Env", "Role"], "no aws: tags");
        let mut again = got.clone();
        again.as_object_mut().unwrap().remove("NetworkInterfaces");
        call(&ec2, &ctx, "CreateLaunchTemplate", json!({"LaunchTemplateName": "copy", "LaunchTemplateData": again}));
        let unknown = json!({"InstanceId": "i-0123456789abcdef0"});
        assert_eq!(refused(&ec2, &ctx, "GetLaunchTemplateData", unknown), "InvalidInstanceID.NotFound");

        let missing = json!({"MinCount": 1, "MaxCount": 1, "LaunchTemplate": {"LaunchTemplateName": "nope"}});
        assert_eq!(refused(&ec2, &ctx, "RunInstances", missing), "InvalidLaunchTemplateName.NotFoundException");
        let bad_version =
            json!({"MinCount": 1, "MaxCount": 1, "LaunchTemplate": {"LaunchTemplateId": id, "Version": "7"}});
        assert_eq!(refused(&ec2, &ctx, "RunInstances", bad_version), "InvalidLaunchTemplateId.VersionNotFound");
        let no_key =
            json!({"ImageId": image, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1, "KeyName": "absent"});
        assert_eq!(refused(&ec2, &ctx, "RunInstances", no_key), "InvalidKeyPair.NotFound");
    }
}
