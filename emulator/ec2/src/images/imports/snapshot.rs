//! ImportSnapshot and DescribeImportSnapshotTasks: a completed task has registered one
//! snapshot, described as the request described it (VM Import's own wording otherwise).

use chrono::{DateTime, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::image::complete_snapshot;
use super::{bytes, declared_gib, disk_source, listed, not_found};
use crate::ebs::snapshots::{self, NewSnapshot};
use crate::ebs::volumes;
use crate::generated::dto::{
    DescribeImportSnapshotTasksRequest, DescribeImportSnapshotTasksResult, ImportSnapshotRequest, ImportSnapshotResult,
    ImportSnapshotTask, SnapshotTaskDetail,
};
use crate::generated::errors;
use crate::state::ebs::{task_phase, ImportSnapshotTaskRecord};
use crate::state::support::{filtered, paginate, spec_tags, tag_pairs};
use crate::state::Ec2State;

const FORMATS: &[&str] = &["VHD", "VMDK", "RAW"];

pub fn import_snapshot(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ImportSnapshotRequest,
) -> Result<ImportSnapshotResult, ApiError> {
    let c = input.disk_container.clone().ok_or_else(|| errors::missing_parameter("DiskContainer"))?;
    let src = disk_source(c.url.as_deref(), c.user_bucket.as_ref(), c.format.as_deref(), FORMATS)?;
    if input.kms_key_id.is_some() && input.encrypted != Some(true) {
        return Err(errors::invalid_parameter_dependency(
            "The parameter KmsKeyId requires the parameter Encrypted to be set.",
        ));
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "import-snapshot-task")?;
    let size = declared_gib(input.client_data.as_ref());
    let id = ids::resource_id("import-snap");
    let encrypted = input.encrypted == Some(true);
    let detail = SnapshotTaskDetail {
        description: c.description.clone().or_else(|| input.description.clone()),
        disk_image_size: Some(bytes(size)),
        encrypted: Some(encrypted),
        format: src.format,
        kms_key_id: match (&input.kms_key_id, encrypted) {
            (Some(k), true) => Some(volumes::records::kms_key_arn(ctx, k)),
            (None, true) => Some(volumes::records::default_kms_key(ctx)),
            _ => None,
        },
        url: src.url,
        user_bucket: src.bucket,
        ..Default::default()
    };
    let task = ImportSnapshotTask {
        description: input.description.clone(),
        import_task_id: Some(id.clone()),
        snapshot_task_detail: Some(detail),
        tags: None,
    };
    let record = ImportSnapshotTaskRecord { task, started: ctx.now, size, completed_at: None, cancelled: None };
    state.ebs.import_snapshot_tasks.insert(id.clone(), record);
    state.set_tags(&id, tags);
    let shown = view(state, &id, ctx.now);
    Ok(ImportSnapshotResult {
        description: shown.description,
        import_task_id: shown.import_task_id,
        snapshot_task_detail: shown.snapshot_task_detail,
        tags: shown.tags,
    })
}

fn view(state: &Ec2State, id: &str, now: DateTime<Utc>) -> ImportSnapshotTask {
    let rec = &state.ebs.import_snapshot_tasks[id];
    let mut t = rec.task.clone();
    let (status, message, progress) =
        task_phase(rec.started, rec.completed_at, rec.cancelled.as_ref(), state.transition_delay(), now);
    if let Some(d) = t.snapshot_task_detail.as_mut() {
        d.status = Some(status.into());
        d.status_message = message.map(String::from).or_else(|| rec.cancelled.as_ref().and_then(|c| c.reason.clone()));
        d.progress = progress.map(String::from);
    }
    t.tags = state.dto_tags(id);
    t
}

pub(super) fn due(state: &Ec2State, now: DateTime<Utc>) -> impl Iterator<Item = String> + '_ {
    let done = state.transition_delay() * 2;
    state
        .ebs
        .import_snapshot_tasks
        .iter()
        .filter(move |(_, r)| r.completed_at.is_none() && r.cancelled.is_none() && now >= r.started + done)
        .map(|(id, _)| id.clone())
}

pub(super) fn settle(state: &mut Ec2State, ctx: &RequestContext) {
    let due: Vec<String> = due(state, ctx.now).collect();
    for id in due {
        let rec = state.ebs.import_snapshot_tasks[&id].clone();
        let at = rec.started + state.transition_delay() * 2;
        let mut then = ctx.clone();
        then.now = at;
        let detail = rec.task.snapshot_task_detail.clone().unwrap_or_default();
        let new = NewSnapshot {
            volume_id: "vol-ffffffff".into(),
            volume_size: rec.size,
            encrypted: detail.encrypted == Some(true),
            kms_key_id: detail.kms_key_id.clone(),
            description: rec
                .task
                .description
                .clone()
                .unwrap_or_else(|| format!("Created by AWS-VMImport service for {id}")),
            tags: Vec::new(),
        };
        let snap = snapshots::create_snapshot_record(state, &then, new);
        complete_snapshot(state, &snap, at);
        let rec = state.ebs.import_snapshot_tasks.get_mut(&id).expect("due tasks exist");
        rec.completed_at = Some(at);
        if let Some(d) = rec.task.snapshot_task_detail.as_mut() {
            d.snapshot_id = Some(snap);
        }
    }
}

impl Filterable for ImportSnapshotTask {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        match name {
            "task-state" => {
                Some(self.snapshot_task_detail.as_ref().and_then(|d| d.status.clone()).into_iter().collect())
            }
            _ => None,
        }
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

pub fn describe_import_snapshot_tasks(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeImportSnapshotTasksRequest,
) -> Result<DescribeImportSnapshotTasksResult, ApiError> {
    let ids = input.import_task_ids.clone().unwrap_or_default();
    let visible = |id: &str| {
        state.ebs.import_snapshot_tasks.get(id).is_some_and(|r| {
            listed(r.completed_at.or(r.cancelled.as_ref().map(|c| c.at + state.transition_delay())), ctx.now)
        })
    };
    if let Some(missing) = ids.iter().find(|id| !visible(id)) {
        return Err(not_found(missing));
    }
    let all = state
        .ebs
        .import_snapshot_tasks
        .keys()
        .filter(|id| visible(id) && (ids.is_empty() || ids.contains(id)))
        .map(|id| view(state, id, ctx.now));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) =
        paginate(items, |t| t.import_task_id.clone().unwrap_or_default(), input.page(), !ids.is_empty())?;
    Ok(DescribeImportSnapshotTasksResult { import_snapshot_tasks: Some(page), next_token: next })
}
