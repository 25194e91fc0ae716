//! ImportImage and DescribeImportImageTasks. A completed task has registered an AMI
//! named after the task, with one snapshot per disk (the first is the root device,
//! `/dev/sda1`), as VM Import registers them.

use chrono::{DateTime, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, RequestContext};

use super::{bytes, declared_gib, disk_source, listed, not_found};
use crate::ebs::snapshots::{self, NewSnapshot};
use crate::ebs::volumes;
use crate::generated::dto::{
    BlockDeviceMapping, DescribeImportImageTasksRequest, DescribeImportImageTasksResult, EbsBlockDevice,
    ImportImageLicenseConfigurationResponse, ImportImageRequest, ImportImageResult, ImportImageTask, SnapshotDetail,
};
use crate::generated::{enums, errors};
use crate::images::register::{check_enum, create_image_record, new_image};
use crate::state::ebs::{task_phase, ImportImageTaskRecord};
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::Ec2State;

const FORMATS: &[&str] = &["OVA", "VHD", "VHDX", "VMDK", "RAW"];

fn device(i: usize) -> String {
    if i == 0 {
        "/dev/sda1".into()
    } else {
        format!("/dev/sd{}", char::from(b'a' + (i as u8).min(25)))
    }
}

pub fn import_image(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: ImportImageRequest,
) -> Result<ImportImageResult, ApiError> {
    let containers = input.disk_containers.clone().unwrap_or_default();
    if containers.is_empty() {
        return Err(errors::missing_parameter("DiskContainer"));
    }
    check_enum(input.architecture.as_deref(), "Architecture", &["i386", "x86_64", "arm64"])?;
    check_enum(input.platform.as_deref(), "Platform", &["Windows", "Linux"])?;
    check_enum(input.hypervisor.as_deref(), "Hypervisor", &["xen"])?;
    check_enum(input.license_type.as_deref(), "LicenseType", &["AWS", "BYOL"])?;
    check_enum(input.boot_mode.as_deref(), "BootMode", enums::BOOT_MODE_VALUES)?;
    if input.kms_key_id.is_some() && input.encrypted != Some(true) {
        return Err(errors::invalid_parameter_dependency(
            "The parameter KmsKeyId requires the parameter Encrypted to be set.",
        ));
    }
    let mut details = Vec::new();
    let mut sizes = Vec::new();
    for (i, c) in containers.iter().enumerate() {
        let (mut detail, size) = match &c.snapshot_id {
            Some(snap) if c.url.is_none() && c.user_bucket.is_none() => {
                let s = snapshots::find(state, ctx, shared, snap)?;
                if s.state.as_deref() != Some("completed") {
                    return Err(errors::incorrect_snapshot_state(format!(
                        "Snapshot {snap} is not in the completed state."
                    )));
                }
                (SnapshotDetail::default(), s.volume_size.unwrap_or(1))
            }
            Some(_) => {
                return Err(errors::invalid_parameter_combination(
                    "A disk container takes either SnapshotId or a disk image location (Url or UserBucket).",
                ))
            }
            None => {
                let src = disk_source(c.url.as_deref(), c.user_bucket.as_ref(), c.format.as_deref(), FORMATS)?;
                let d =
                    SnapshotDetail { format: src.format, url: src.url, user_bucket: src.bucket, ..Default::default() };
                (d, declared_gib(input.client_data.as_ref()))
            }
        };
        detail.description = c.description.clone();
        detail.device_name = Some(c.device_name.clone().unwrap_or_else(|| device(i)));
        detail.disk_image_size = Some(bytes(size));
        details.push(detail);
        sizes.push(size);
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "import-image-task")?;
    let id = ids::resource_id("import-ami");
    let kms_key_id = match (input.encrypted, &input.kms_key_id) {
        (Some(true), Some(k)) => Some(volumes::records::kms_key_arn(ctx, k)),
        (Some(true), None) => Some(volumes::records::default_kms_key(ctx)),
        _ => None,
    };
    let task = ImportImageTask {
        architecture: input.architecture.clone(),
        description: input.description.clone(),
        encrypted: input.encrypted,
        hypervisor: input.hypervisor.clone(),
        import_task_id: Some(id.clone()),
        kms_key_id,
        license_type: input.license_type.clone(),
        platform: input.platform.clone(),
        snapshot_details: Some(details),
        license_specifications: input.license_specifications.as_ref().map(|l| {
            l.iter()
                .map(|c| ImportImageLicenseConfigurationResponse {
                    license_configuration_arn: c.license_configuration_arn.clone(),
                })
                .collect()
        }),
        usage_operation: input.usage_operation.clone(),
        boot_mode: input.boot_mode.clone(),
        ..Default::default()
    };
    let record = ImportImageTaskRecord { task, started: ctx.now, sizes, completed_at: None, cancelled: None };
    state.ebs.import_image_tasks.insert(id.clone(), record);
    state.set_tags(&id, tags);
    let shown = view(state, &id, ctx.now);
    Ok(ImportImageResult {
        architecture: shown.architecture,
        description: shown.description,
        encrypted: shown.encrypted,
        hypervisor: shown.hypervisor,
        image_id: None,
        import_task_id: shown.import_task_id,
        kms_key_id: shown.kms_key_id,
        license_type: shown.license_type,
        platform: shown.platform,
        progress: shown.progress,
        snapshot_details: shown.snapshot_details,
        status: shown.status,
        status_message: shown.status_message,
        license_specifications: shown.license_specifications,
        tags: shown.tags,
        usage_operation: shown.usage_operation,
    })
}

/// The task as DescribeImportImageTasks shows it at `now`.
fn view(state: &Ec2State, id: &str, now: DateTime<Utc>) -> ImportImageTask {
    let rec = &state.ebs.import_image_tasks[id];
    let mut t = rec.task.clone();
    let (status, message, progress) =
        task_phase(rec.started, rec.completed_at, rec.cancelled.as_ref(), state.transition_delay(), now);
    t.status = Some(status.into());
    t.status_message = message.map(String::from).or_else(|| rec.cancelled.as_ref().and_then(|c| c.reason.clone()));
    t.progress = progress.map(String::from);
    let detail_status = if status == "active" { "active" } else { status };
    for d in t.snapshot_details.iter_mut().flatten() {
        d.status = Some(detail_status.into());
        if status == "active" {
            d.status_message = message.map(String::from);
            d.progress = progress.map(String::from);
        }
    }
    t.tags = state.dto_tags(id);
    t
}

/// The image tasks whose conversion is over at `now`, not yet registered.
pub(super) fn due(state: &Ec2State, now: DateTime<Utc>) -> impl Iterator<Item = String> + '_ {
    let done = state.transition_delay() * 2;
    state
        .ebs
        .import_image_tasks
        .iter()
        .filter(move |(_, r)| r.completed_at.is_none() && r.cancelled.is_none() && now >= r.started + done)
        .map(|(id, _)| id.clone())
}

/// Registers the snapshots and the AMI of each task that is due, as of when it completed.
pub(super) fn settle(state: &mut Ec2State, ctx: &RequestContext) {
    let due: Vec<String> = due(state, ctx.now).collect();
    for id in due {
        let rec = state.ebs.import_image_tasks[&id].clone();
        let at = rec.started + state.transition_delay() * 2;
        let mut then = ctx.clone();
        then.now = at;
        let t = &rec.task;
        let encrypted = t.encrypted == Some(true);
        let mut mappings = Vec::new();
        let mut details = t.snapshot_details.clone().unwrap_or_default();
        for (detail, size) in details.iter_mut().zip(&rec.sizes) {
            let new = NewSnapshot {
                volume_id: "vol-ffffffff".into(),
                volume_size: *size,
                encrypted,
                kms_key_id: t.kms_key_id.clone(),
                description: format!("Created by AWS-VMImport service for {id}"),
                tags: Vec::new(),
            };
            let snap = snapshots::create_snapshot_record(state, &then, new);
            complete_snapshot(state, &snap, at);
            detail.snapshot_id = Some(snap.clone());
            mappings.push(BlockDeviceMapping {
                device_name: detail.device_name.clone(),
                ebs: Some(EbsBlockDevice {
                    snapshot_id: Some(snap),
                    volume_size: Some(*size),
                    volume_type: Some("gp2".into()),
                    delete_on_termination: Some(true),
                    encrypted: Some(encrypted),
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
        let ami = ids::resource_id("ami");
        let mut image = new_image(&then, &ami, &id, t.description.clone());
        image.architecture = Some(t.architecture.clone().unwrap_or_else(|| "x86_64".into()));
        image.virtualization_type = Some("hvm".into());
        image.root_device_name = Some("/dev/sda1".into());
        image.boot_mode = t.boot_mode.clone();
        image.block_device_mappings = Some(mappings);
        if t.platform.as_deref() == Some("Windows") {
            image.platform = Some("windows".into());
            image.platform_details = Some("Windows".into());
            image.usage_operation = Some("RunInstances:0002".into());
        }
        image.state = Some("available".into());
        create_image_record(state, &then, image, Vec::new());
        let rec = state.ebs.import_image_tasks.get_mut(&id).expect("due tasks exist");
        rec.completed_at = Some(at);
        rec.task.image_id = Some(ami);
        rec.task.snapshot_details = Some(details);
        rec.task.architecture.get_or_insert_with(|| "x86_64".into());
        rec.task.platform.get_or_insert_with(|| "Linux".into());
        rec.task.license_type.get_or_insert_with(|| "BYOL".into());
    }
}

/// A snapshot an import made is complete when its task is.
pub(super) fn complete_snapshot(state: &mut Ec2State, id: &str, at: DateTime<Utc>) {
    if let Some(r) = state.snapshots.get_mut(id) {
        r.snapshot.state = Some("completed".into());
        r.snapshot.progress = Some("100%".into());
        r.snapshot.completion_time = Some(Timestamp(at));
    }
}

impl Filterable for ImportImageTask {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        match name {
            "task-state" => Some(self.status.iter().cloned().collect()),
            _ => None,
        }
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_import_image_tasks(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeImportImageTasksRequest,
) -> Result<DescribeImportImageTasksResult, ApiError> {
    let ids = input.import_task_ids.clone().unwrap_or_default();
    let visible = |id: &str| {
        state.ebs.import_image_tasks.get(id).is_some_and(|r| {
            listed(r.completed_at.or(r.cancelled.as_ref().map(|c| c.at + state.transition_delay())), ctx.now)
        })
    };
    if let Some(missing) = ids.iter().find(|id| !visible(id)) {
        return Err(not_found(missing));
    }
    let all = state
        .ebs
        .import_image_tasks
        .keys()
        .filter(|id| visible(id) && (ids.is_empty() || ids.contains(id)))
        .map(|id| view(state, id, ctx.now));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |t| t.import_task_id.clone().unwrap_or_default(), input.page(), !ids.is_empty())?;
    Ok(DescribeImportImageTasksResult { import_image_tasks: Some(page), next_token: next })
}
