//! A template's data at work: GetLaunchTemplateData (from an instance) and what
//! RunInstances takes from a template.

use nimbus_core::{ApiError, RequestContext};
use serde_json::{Map, Value};

use super::records::{find, template_id, version_not_found, version_number};
use crate::generated::dto::{
    GetLaunchTemplateDataRequest, GetLaunchTemplateDataResult, LaunchTemplateSpecification, RequestLaunchTemplateData,
    ResponseLaunchTemplateData, RunInstancesRequest,
};
use crate::generated::errors;
use crate::state::Ec2State;

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
