//! An instance's attributes: Describe/ModifyInstanceAttribute, metadata options, the
//! console output, Windows password data and CPU credit specifications.

use base64::Engine as _;
use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use crate::catalogue;
use crate::compute::instances::describe::describe_one;
use crate::compute::instances::lifecycle::check_all;
use crate::generated::dto::{
    AttributeValue, DescribeInstanceAttributeRequest, DescribeInstanceCreditSpecificationsRequest,
    DescribeInstanceCreditSpecificationsResult, GetConsoleOutputRequest, GetConsoleOutputResult,
    GetPasswordDataRequest, GetPasswordDataResult, GroupIdentifier, InstanceAttribute, InstanceCreditSpecification,
    InstanceMonitoring, ModifyInstanceAttributeRequest, ModifyInstanceCreditSpecificationRequest,
    ModifyInstanceCreditSpecificationResult, ModifyInstanceMetadataOptionsRequest, ModifyInstanceMetadataOptionsResult,
    MonitorInstancesRequest, MonitorInstancesResult, Monitoring, SuccessfulInstanceCreditSpecificationItem,
    UnmonitorInstancesRequest, UnmonitorInstancesResult, UnsuccessfulInstanceCreditSpecificationItem,
    UnsuccessfulInstanceCreditSpecificationItemError,
};
use crate::generated::errors;
use crate::state::lifecycle::shown_state;
use crate::state::lifecycle::InstanceStateName;
use crate::state::params::invalid_value;
use crate::state::shared::Shared;
use crate::state::support::{bool_value, filtered, paginate};
use crate::state::Ec2State;

/// Detailed monitoring on (`enabled`) or off for every instance named, all of them checked
/// first. The answer shows the change under way (`pending`, `disabling`), as AWS's does;
/// an instance already in the wanted state answers that state.
fn set_monitoring(state: &mut Ec2State, ids: &[String], enabled: bool) -> Result<Vec<InstanceMonitoring>, ApiError> {
    check_all(state, ids)?;
    let (settled, moving) = if enabled { ("enabled", "pending") } else { ("disabled", "disabling") };
    let mut out = Vec::new();
    for id in ids {
        let rec = state.instances.get_mut(id).expect("checked above");
        let was = rec.instance.monitoring.as_ref().and_then(|m| m.state.clone()).unwrap_or_else(|| "disabled".into());
        let already = (was == "enabled" || was == "pending") == enabled;
        rec.instance.monitoring = Some(Monitoring { state: Some(settled.into()), ..Default::default() });
        out.push(InstanceMonitoring {
            instance_id: Some(id.clone()),
            monitoring: Some(Monitoring {
                state: Some(if already { settled } else { moving }.into()),
                ..Default::default()
            }),
        });
    }
    Ok(out)
}

pub fn monitor_instances(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: MonitorInstancesRequest,
) -> Result<MonitorInstancesResult, ApiError> {
    Ok(MonitorInstancesResult { instance_monitorings: Some(set_monitoring(state, &input.instance_ids, true)?) })
}

pub fn unmonitor_instances(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: UnmonitorInstancesRequest,
) -> Result<UnmonitorInstancesResult, ApiError> {
    Ok(UnmonitorInstancesResult { instance_monitorings: Some(set_monitoring(state, &input.instance_ids, false)?) })
}

fn value(v: Option<String>) -> Option<AttributeValue> {
    Some(AttributeValue { value: v })
}

pub fn describe_instance_attribute(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeInstanceAttributeRequest,
) -> Result<InstanceAttribute, ApiError> {
    let rec = crate::state::lookup::instance(state, &input.instance_id)?;
    let shown = describe_one(state, ctx, &input.instance_id);
    let mut out = InstanceAttribute { instance_id: Some(input.instance_id.clone()), ..Default::default() };
    match input.attribute.as_str() {
        "instanceType" => out.instance_type = value(shown.instance_type),
        "kernel" => out.kernel_id = value(shown.kernel_id),
        "ramdisk" => out.ramdisk_id = value(shown.ramdisk_id),
        "userData" => out.user_data = value(rec.user_data.clone()),
        "disableApiTermination" => out.disable_api_termination = Some(bool_value(rec.disable_api_termination)),
        "disableApiStop" => out.disable_api_stop = Some(bool_value(rec.disable_api_stop)),
        "instanceInitiatedShutdownBehavior" => {
            out.instance_initiated_shutdown_behavior = value(Some(rec.shutdown_behavior.clone()))
        }
        "rootDeviceName" => out.root_device_name = value(shown.root_device_name),
        "blockDeviceMapping" => out.block_device_mappings = shown.block_device_mappings,
        "productCodes" => out.product_codes = Some(shown.product_codes.unwrap_or_default()),
        "sourceDestCheck" => out.source_dest_check = Some(bool_value(shown.source_dest_check.unwrap_or(true))),
        "groupSet" => out.groups = shown.security_groups,
        "ebsOptimized" => out.ebs_optimized = Some(bool_value(shown.ebs_optimized.unwrap_or(false))),
        "sriovNetSupport" => out.sriov_net_support = value(shown.sriov_net_support),
        "enaSupport" => out.ena_support = Some(bool_value(shown.ena_support.unwrap_or(false))),
        "enclaveOptions" => out.enclave_options = shown.enclave_options,
        other => return Err(invalid_value("attribute", other, "Unknown attribute.")),
    }
    Ok(out)
}

/// `IncorrectInstanceState` unless the (existing) instance `id` is stopped.
pub(crate) fn require_stopped(state: &Ec2State, ctx: &RequestContext, id: &str) -> Result<(), ApiError> {
    let rec = &state.instances[id];
    if shown_state(state, rec, ctx.now).0 != InstanceStateName::Stopped {
        return Err(errors::incorrect_instance_state(format!("The instance '{id}' is not in the 'stopped' state.")));
    }
    Ok(())
}

/// The old form: `Attribute` names it and `Value` carries it.
fn from_attribute_value(input: &mut ModifyInstanceAttributeRequest) -> Result<(), ApiError> {
    let (Some(attribute), Some(v)) = (input.attribute.clone(), input.value.clone()) else {
        return Ok(());
    };
    let boolean = || match v.to_ascii_lowercase().as_str() {
        "true" => Ok(bool_value(true)),
        "false" => Ok(bool_value(false)),
        _ => Err(invalid_value("value", &v, "Expected 'true' or 'false'.")),
    };
    let text = || Some(AttributeValue { value: Some(v.clone()) });
    match attribute.as_str() {
        "instanceType" => input.instance_type = text(),
        "kernel" => input.kernel = text(),
        "ramdisk" => input.ramdisk = text(),
        "instanceInitiatedShutdownBehavior" => input.instance_initiated_shutdown_behavior = text(),
        "sriovNetSupport" => input.sriov_net_support = text(),
        "disableApiTermination" => input.disable_api_termination = Some(boolean()?),
        "disableApiStop" => input.disable_api_stop = Some(boolean()?),
        "sourceDestCheck" => input.source_dest_check = Some(boolean()?),
        "ebsOptimized" => input.ebs_optimized = Some(boolean()?),
        "enaSupport" => input.ena_support = Some(boolean()?),
        "userData" => {
            input.user_data = Some(crate::generated::dto::SecureBlobAttributeValue {
                value: Some(nimbus_core::types::Blob(v.clone().into_bytes())),
            })
        }
        other => return Err(invalid_value("attribute", other, "Unknown attribute.")),
    }
    Ok(())
}

pub fn modify_instance_attribute(
    state: &mut Ec2State,
    ctx: &RequestContext,
    mut input: ModifyInstanceAttributeRequest,
) -> Result<(), ApiError> {
    crate::state::lookup::instance(state, &input.instance_id)?;
    from_attribute_value(&mut input)?;
    let id = input.instance_id.clone();
    let flag = |v: &Option<crate::generated::dto::AttributeBooleanValue>| v.as_ref().and_then(|b| b.value);
    // Check everything first: a refused request changes nothing.
    if let Some(t) = input.instance_type.as_ref().and_then(|v| v.value.clone()) {
        require_stopped(state, ctx, &id)?;
        if !catalogue::is_instance_type(&t) {
            return Err(errors::invalid_parameter_value(format!("Invalid value '{t}' for InstanceType.")));
        }
    }
    if input.user_data.is_some()
        || input.kernel.is_some()
        || input.ramdisk.is_some()
        || input.ebs_optimized.is_some()
        || input.ena_support.is_some()
    {
        require_stopped(state, ctx, &id)?;
    }
    if let Some(b) = input.instance_initiated_shutdown_behavior.as_ref().and_then(|v| v.value.as_deref()) {
        if b != "stop" && b != "terminate" {
            return Err(invalid_value("instanceInitiatedShutdownBehavior", b, ""));
        }
    }
    let eni = state.instances[&id].primary_interface.clone();
    let mut new_groups: Option<Vec<GroupIdentifier>> = None;
    if let Some(groups) = &input.groups {
        let vpc = state.instances[&id].instance.vpc_id.clone().unwrap_or_default();
        let mut resolved = Vec::new();
        for g in groups {
            let rec = state.security_groups.get(g).ok_or_else(|| errors::invalid_group_not_found(g))?;
            if rec.vpc_id != vpc {
                return Err(errors::invalid_parameter(format!(
                    "Security group {g} and instance {id} belong to different networks."
                )));
            }
            resolved.push(GroupIdentifier { group_id: Some(g.clone()), group_name: Some(rec.group_name.clone()) });
        }
        if resolved.is_empty() {
            return Err(errors::missing_parameter("GroupId"));
        }
        new_groups = Some(resolved);
    }
    for m in input.block_device_mappings.iter().flatten() {
        let device = m.device_name.clone().unwrap_or_default();
        let attached = crate::ebs::volumes::records::attached_to(state, &id).iter().any(|(d, ..)| *d == device);
        if !attached {
            return Err(errors::invalid_parameter_value(format!("No device is currently mapped at {device}")));
        }
    }
    // Then apply.
    for m in input.block_device_mappings.iter().flatten() {
        if let Some(delete) = m.ebs.as_ref().and_then(|e| e.delete_on_termination) {
            crate::ebs::volumes::records::set_delete_on_termination(
                state,
                &id,
                m.device_name.as_deref().unwrap_or_default(),
                delete,
            );
        }
    }
    if let Some(groups) = new_groups {
        if let Some(e) = state.network_interfaces.get_mut(&eni) {
            e.groups = Some(groups);
        }
    }
    if let Some(v) = flag(&input.source_dest_check) {
        if let Some(e) = state.network_interfaces.get_mut(&eni) {
            e.source_dest_check = Some(v);
        }
    }
    let rec = state.instances.get_mut(&id).expect("checked above");
    if let Some(t) = input.instance_type.and_then(|v| v.value) {
        rec.instance.instance_type = Some(t);
    }
    if let Some(u) = input.user_data.and_then(|v| v.value) {
        // The blob arrives decoded; the attribute is kept base64, as DescribeInstanceAttribute shows it.
        rec.user_data = Some(base64::engine::general_purpose::STANDARD.encode(&u.0));
    }
    if let Some(v) = input.kernel.and_then(|v| v.value) {
        rec.instance.kernel_id = Some(v);
    }
    if let Some(v) = input.ramdisk.and_then(|v| v.value) {
        rec.instance.ramdisk_id = Some(v);
    }
    if let Some(v) = flag(&input.disable_api_termination) {
        rec.disable_api_termination = v;
    }
    if let Some(v) = flag(&input.disable_api_stop) {
        rec.disable_api_stop = v;
    }
    if let Some(v) = input.instance_initiated_shutdown_behavior.and_then(|v| v.value) {
        rec.shutdown_behavior = v;
    }
    if let Some(v) = flag(&input.ebs_optimized) {
        rec.instance.ebs_optimized = Some(v);
    }
    if let Some(v) = flag(&input.ena_support) {
        rec.instance.ena_support = Some(v);
    }
    if let Some(v) = input.sriov_net_support.and_then(|v| v.value) {
        rec.instance.sriov_net_support = Some(v);
    }
    Ok(())
}

pub fn modify_instance_metadata_options(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyInstanceMetadataOptionsRequest,
) -> Result<ModifyInstanceMetadataOptionsResult, ApiError> {
    crate::state::lookup::instance(state, &input.instance_id)?;
    let check = |name: &str, v: &Option<String>, allowed: &[&str]| -> Result<(), ApiError> {
        match v {
            Some(x) if !allowed.contains(&x.as_str()) => Err(errors::invalid_parameter_value(format!(
                "Value ({x}) for parameter {name} is invalid. Valid values: {}",
                allowed.join(", ")
            ))),
            _ => Ok(()),
        }
    };
    check("HttpTokens", &input.http_tokens, &["optional", "required"])?;
    check("HttpEndpoint", &input.http_endpoint, &["enabled", "disabled"])?;
    check("HttpProtocolIpv6", &input.http_protocol_ipv6, &["enabled", "disabled"])?;
    check("InstanceMetadataTags", &input.instance_metadata_tags, &["enabled", "disabled"])?;
    if let Some(h) = input.http_put_response_hop_limit {
        if !(1..=64).contains(&h) {
            return Err(invalid_value("HttpPutResponseHopLimit", h, "Valid values: 1-64"));
        }
    }
    let rec = state.instances.get_mut(&input.instance_id).expect("checked above");
    let m = rec.instance.metadata_options.get_or_insert_with(Default::default);
    if input.http_tokens.is_some() {
        m.http_tokens = input.http_tokens;
    }
    if input.http_endpoint.is_some() {
        m.http_endpoint = input.http_endpoint;
    }
    if input.http_protocol_ipv6.is_some() {
        m.http_protocol_ipv6 = input.http_protocol_ipv6;
    }
    if input.instance_metadata_tags.is_some() {
        m.instance_metadata_tags = input.instance_metadata_tags;
    }
    if input.http_put_response_hop_limit.is_some() {
        m.http_put_response_hop_limit = input.http_put_response_hop_limit;
    }
    let mut shown = m.clone();
    shown.state = Some("pending".into());
    Ok(ModifyInstanceMetadataOptionsResult {
        instance_id: Some(input.instance_id),
        instance_metadata_options: Some(shown),
    })
}

/// A plausible boot log: the kernel, cloud-init, and the user data script it ran.
fn boot_log(state: &Ec2State, ctx: &RequestContext, id: &str) -> String {
    let rec = &state.instances[id];
    let i = &rec.instance;
    let ip = i.private_ip_address.clone().unwrap_or_default();
    let host = format!("ip-{}", ip.replace('.', "-"));
    let launched = i.launch_time.map(|t| t.0).unwrap_or(ctx.now);
    let stamp = launched.format("%a, %d %b %Y %H:%M:%S +0000");
    let user_data = rec
        .user_data
        .as_deref()
        .and_then(|u| base64::engine::general_purpose::STANDARD.decode(u).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let arch = i.architecture.clone().unwrap_or_else(|| "x86_64".into());
    let mut log = format!(
        "[    0.000000] Linux version 6.1.115-126.197.amzn2023.{arch} (mockbuild@ip-10-0-48-186) (gcc (GCC) 11.4.1 20230605 (Red Hat 11.4.1-2)) #1 SMP PREEMPT_DYNAMIC\n\
    [    0.000000] Command line: BOOT_IMAGE=(hd0,gpt1)/boot/vmlinuz root=UUID=6a1c5d3e console=tty0 console=ttyS0,115200n8 nvme_core.io_timeout=4294967295\n\
    [    0.000000] DMI: Amazon EC2 {type}/, BIOS 1.0 10/16/2017\n\
    [    1.112233] EXT4-fs (nvme0n1p1): mounted filesystem with ordered data mode.\n\
    [    2.001234] cloud-init[1523]: Cloud-init v. 22.2.2 running 'init' at {stamp}. Up 8.02 seconds.\n\
    [    2.101234] cloud-init[1523]: ci-info: ++++++++++++++++++++++++++++Net device info++++++++++++++++++++++++++++\n\
    [    2.101234] cloud-init[1523]: ci-info: | ens5 | True | {ip} | 255.255.255.0 | global | {mac} |\n\
    [    3.201234] cloud-init[1645]: Cloud-init v. 22.2.2 running 'modules:config' at {stamp}. Up 10.35 seconds.\n",
        type = i.instance_type.clone().unwrap_or_default(),
        mac = state.network_interfaces.get(&rec.primary_interface).and_then(|e| e.mac_address.clone()).unwrap_or_default(),
    );
    if let Some(script) = user_data {
        log.push_str(&format!(
            "[    4.301234] cloud-init[1702]: Cloud-init v. 22.2.2 running 'modules:final' at {stamp}. Up 11.80 seconds.\n[    4.301300] cloud-init[1702]: running user data script ({} bytes)\n",
            script.len()
        ));
        for line in script.lines().take(50) {
            log.push_str(&format!("[    4.3014  ] cloud-init[1702]: + {line}\n"));
        }
        log.push_str("[    5.401234] cloud-init[1702]: user data script finished with exit code 0\n");
    }
    log.push_str(&format!(
        "[    6.501234] cloud-init[1702]: Cloud-init v. 22.2.2 finished at {stamp}. Datasource DataSourceEc2Local.  Up 12.94 seconds\n\n{host} login: \n"
    ));
    log
}

/// The most of a console EC2 returns: the last 64 KB.
const CONSOLE_MAX_BYTES: usize = 64 * 1024;

pub fn get_console_output(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: GetConsoleOutputRequest,
) -> Result<GetConsoleOutputResult, ApiError> {
    let rec = crate::state::lookup::instance(state, &input.instance_id)?;
    let (shown, _) = shown_state(state, rec, ctx.now);
    // A host that runs the instance has its real boot log; records get one written
    // as cloud-init would have.
    let log = match shared.host() {
        Some(host) => host.console_output(&input.instance_id, CONSOLE_MAX_BYTES),
        None => (shown != InstanceStateName::Pending).then(|| boot_log(state, ctx, &input.instance_id).into_bytes()),
    };
    let output = log.map(|log| base64::engine::general_purpose::STANDARD.encode(log));
    Ok(GetConsoleOutputResult { instance_id: Some(input.instance_id), timestamp: Some(Timestamp(ctx.now)), output })
}

pub fn get_password_data(
    state: &Ec2State,
    ctx: &RequestContext,
    input: GetPasswordDataRequest,
) -> Result<GetPasswordDataResult, ApiError> {
    crate::state::lookup::instance(state, &input.instance_id)?;
    // Linux instances have no password; a Windows one's is encrypted with its key pair,
    // which is only possible once key pairs exist (answered empty until then).
    Ok(GetPasswordDataResult {
        instance_id: Some(input.instance_id),
        timestamp: Some(Timestamp(ctx.now)),
        password_data: Some(String::new()),
    })
}

impl Filterable for InstanceCreditSpecification {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        Some(match name {
            "instance-id" => self.instance_id.iter().cloned().collect(),
            _ => return None,
        })
    }
}

fn burstable(state: &Ec2State, id: &str) -> bool {
    state
        .instances
        .get(id)
        .and_then(|r| r.instance.instance_type.as_deref())
        .and_then(catalogue::instance_type)
        .and_then(|t| t.burstable_performance_supported)
        == Some(true)
}

pub fn describe_instance_credit_specifications(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeInstanceCreditSpecificationsRequest,
) -> Result<DescribeInstanceCreditSpecificationsResult, ApiError> {
    let ids = input.instance_ids.clone().unwrap_or_default();
    for id in &ids {
        crate::state::lookup::instance(state, id)?;
    }
    let items = state
        .instances
        .iter()
        .filter(|(id, _)| ids.is_empty() || ids.contains(id))
        .filter(|(id, r)| burstable(state, id) && shown_state(state, r, ctx.now).0 != InstanceStateName::Terminated)
        .map(|(id, r)| InstanceCreditSpecification {
            instance_id: Some(id.clone()),
            cpu_credits: r.cpu_credits.clone(),
        });
    let items = filtered(items, input.filters.as_deref())?;
    let (page, next) = paginate(items, |c| c.instance_id.clone().unwrap_or_default(), input.page(), !ids.is_empty())?;
    Ok(DescribeInstanceCreditSpecificationsResult { instance_credit_specifications: Some(page), next_token: next })
}

pub fn modify_instance_credit_specification(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifyInstanceCreditSpecificationRequest,
) -> Result<ModifyInstanceCreditSpecificationResult, ApiError> {
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for spec in &input.instance_credit_specifications {
        let credits = spec.cpu_credits.clone().unwrap_or_default();
        let error = if !state.instances.contains_key(&spec.instance_id) {
            Some(("InvalidInstanceID.NotFound", format!("The instance ID '{}' does not exist", spec.instance_id)))
        } else if !burstable(state, &spec.instance_id) {
            Some((
                "InvalidInstanceID.Unsupported",
                format!("The specified instance '{}' is not a burstable performance instance.", spec.instance_id),
            ))
        } else if credits != "standard" && credits != "unlimited" {
            Some((
                "InvalidParameterValue",
                format!("Value ({credits}) for parameter CpuCredits is invalid. Valid values: standard, unlimited"),
            ))
        } else {
            None
        };
        match error {
            Some((code, message)) => failed.push(UnsuccessfulInstanceCreditSpecificationItem {
                instance_id: Some(spec.instance_id.clone()),
                error: Some(UnsuccessfulInstanceCreditSpecificationItemError {
                    code: Some(code.into()),
                    message: Some(message),
                }),
            }),
            None => {
                if let Some(r) = state.instances.get_mut(&spec.instance_id) {
                    r.cpu_credits = Some(credits);
                }
                ok.push(SuccessfulInstanceCreditSpecificationItem { instance_id: Some(spec.instance_id.clone()) });
            }
        }
    }
    Ok(ModifyInstanceCreditSpecificationResult {
        successful_instance_credit_specifications: Some(ok),
        unsuccessful_instance_credit_specifications: Some(failed),
    })
}

#[cfg(test)]
mod tests {
    use nimbus_core::RequestContext;
    use serde_json::json;

    use crate::testing::{al2023, call, launch, refused, str_at};
    use crate::Ec2;

    #[test]
    fn monitoring_turns_on_and_off_with_the_state_under_way_in_the_answer() {
        let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
        let image = al2023(&ec2, &ctx);
        let (id, _) = launch(&ec2, &ctx, &image, json!({}));
        let monitoring = |ec2: &Ec2| {
            let out = call(ec2, &ctx, "DescribeInstances", json!({ "InstanceIds": [id] }));
            str_at(&out, "/Reservations/0/Instances/0/Monitoring/State")
        };
        assert_eq!(monitoring(&ec2), "disabled");
        let out = call(&ec2, &ctx, "MonitorInstances", json!({ "InstanceIds": [id] }));
        assert_eq!(str_at(&out, "/InstanceMonitorings/0/Monitoring/State"), "pending");
        assert_eq!(monitoring(&ec2), "enabled");
        let again = call(&ec2, &ctx, "MonitorInstances", json!({ "InstanceIds": [id] }));
        assert_eq!(str_at(&again, "/InstanceMonitorings/0/Monitoring/State"), "enabled");
        let filtered = call(
            &ec2,
            &ctx,
            "DescribeInstances",
            json!({"Filters": [{"Name": "monitoring-state", "Values": ["enabled"]}]}),
        );
        assert_eq!(str_at(&filtered, "/Reservations/0/Instances/0/InstanceId"), id);
        let out = call(&ec2, &ctx, "UnmonitorInstances", json!({ "InstanceIds": [id] }));
        assert_eq!(str_at(&out, "/InstanceMonitorings/0/Monitoring/State"), "disabling");
        assert_eq!(monitoring(&ec2), "disabled");
    }

    #[test]
    fn monitoring_refuses_unknown_instances_and_changes_none() {
        let (ec2, ctx) = (Ec2::default(), RequestContext::for_tests());
        let image = al2023(&ec2, &ctx);
        let (id, _) = launch(&ec2, &ctx, &image, json!({}));
        let code = refused(&ec2, &ctx, "MonitorInstances", json!({ "InstanceIds": [id, "i-0123456789abcdef0"] }));
        assert_eq!(code, "InvalidInstanceID.NotFound");
        let out = call(&ec2, &ctx, "DescribeInstances", json!({ "InstanceIds": [id] }));
        assert_eq!(str_at(&out, "/Reservations/0/Instances/0/Monitoring/State"), "disabled", "nothing half-applied");
        assert_eq!(
            refused(&ec2, &ctx, "UnmonitorInstances", json!({ "InstanceIds": ["i-nope"] })),
            "InvalidInstanceID.Malformed"
        );
    }
}
