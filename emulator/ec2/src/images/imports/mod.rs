//! VM Import: ImportImage and ImportSnapshot tasks, their Describe calls and
//! CancelImportTask. A task is `active` (`pending`, then `converting` one transition
//! later) and `completed` one more transition on, when the snapshots (and, for an image,
//! the AMI) it made are registered in the account, visible through DescribeSnapshots and
//! DescribeImages; a cancelled task is `deleting`, then `deleted`. Finished tasks are
//! listed for seven days, as AWS lists them.
//!
//! nimbus has no S3: a disk's location (an `s3://` or `https://` URL, or a bucket and key)
//! is checked for form and recorded, never read. The disk's size is the upload size the
//! client declares (`ClientData.UploadSize`, rounded up to whole GiB) or 8 GiB, or the size
//! of the EBS snapshot a container names.

pub mod image;
pub mod snapshot;

use chrono::{DateTime, Utc};
use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{
    CancelImportTaskRequest, CancelImportTaskResult, ClientData, UserBucket, UserBucketDetails,
};
use crate::generated::errors;
use crate::state::ebs::{Cancellation, TASKS_VISIBLE};
use crate::state::Ec2State;

/// GiB of a disk whose size the client does not declare.
const DEFAULT_DISK_GIB: i32 = 8;

const GIB: f64 = 1_073_741_824.0;

/// Where a disk image is, as a task shows it: its URL or bucket and key, and its format.
pub(crate) struct DiskSource {
    pub url: Option<String>,
    pub bucket: Option<UserBucketDetails>,
    pub format: Option<String>,
}

fn bucket_name_ok(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// Checks a disk's location and format (one of `formats`, any case; shown in capitals).
pub(crate) fn disk_source(
    url: Option<&str>,
    bucket: Option<&UserBucket>,
    format: Option<&str>,
    formats: &[&str],
) -> Result<DiskSource, ApiError> {
    let format = match format {
        Some(f) if formats.iter().any(|v| v.eq_ignore_ascii_case(f)) => Some(f.to_ascii_uppercase()),
        Some(f) => {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({f}) for parameter Format is invalid. Valid values: {}",
                formats.join(", ")
            )))
        }
        None => return Err(errors::missing_parameter("Format")),
    };
    match (url, bucket) {
        (Some(_), Some(_)) => Err(errors::invalid_parameter_combination(
            "Only one of Url or UserBucket may be specified for a disk container.",
        )),
        (Some(u), None) => {
            let rest = u.strip_prefix("s3://").or_else(|| u.strip_prefix("https://"));
            match rest.and_then(|r| r.split_once('/')) {
                Some((host, key)) if !host.is_empty() && !key.is_empty() => {
                    Ok(DiskSource { url: Some(u.to_string()), bucket: None, format })
                }
                _ => Err(errors::invalid_parameter_value(format!(
                    "The URL {u} is not valid. Specify an Amazon S3 URL (s3://bucket/key) or an HTTPS URL."
                ))),
            }
        }
        (None, Some(b)) => {
            let name = b.s3_bucket.as_deref().ok_or_else(|| errors::missing_parameter("UserBucket.S3Bucket"))?;
            let key = b.s3_key.as_deref().filter(|k| !k.is_empty());
            let key = key.ok_or_else(|| errors::missing_parameter("UserBucket.S3Key"))?;
            if !bucket_name_ok(name) {
                return Err(errors::invalid_parameter_value(format!("The S3 bucket name {name} is not valid.")));
            }
            let details = UserBucketDetails { s3_bucket: Some(name.to_string()), s3_key: Some(key.to_string()) };
            Ok(DiskSource { url: None, bucket: Some(details), format })
        }
        (None, None) => Err(errors::missing_parameter("UserBucket")),
    }
}

/// GiB of an uploaded disk, from the upload size the client declares.
pub(crate) fn declared_gib(client: Option<&ClientData>) -> i32 {
    match client.and_then(|c| c.upload_size).filter(|s| s.is_finite() && *s > 0.0) {
        Some(size) => size.ceil().min(16_384.0) as i32,
        None => DEFAULT_DISK_GIB,
    }
}

pub(crate) fn bytes(gib: i32) -> f64 {
    f64::from(gib) * GIB
}

/// The not-found error of a well-formed task id, or the malformed one.
pub(crate) fn not_found(id: &str) -> ApiError {
    let well_formed = ["import-ami-", "import-snap-"].iter().any(|p| {
        id.strip_prefix(p).is_some_and(|h| (8..=17).contains(&h.len()) && h.chars().all(|c| c.is_ascii_hexdigit()))
    });
    if well_formed {
        errors::invalid_conversion_task_id(id)
    } else {
        errors::invalid_conversion_task_id_malformed(id)
    }
}

/// Whether a finished task is still listed at `now`.
pub(crate) fn listed(finished: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    finished.is_none_or(|at| now < at + TASKS_VISIBLE)
}

/// Registers what the tasks due by `now` made.
pub fn settle(state: &mut Ec2State, ctx: &RequestContext) {
    image::settle(state, ctx);
    snapshot::settle(state, ctx);
}

pub fn needs_settling(state: &Ec2State, now: DateTime<Utc>) -> bool {
    image::due(state, now).next().is_some() || snapshot::due(state, now).next().is_some()
}

pub fn cancel_import_task(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CancelImportTaskRequest,
) -> Result<CancelImportTaskResult, ApiError> {
    let id = input.import_task_id.ok_or_else(|| errors::missing_parameter("ImportTaskId"))?;
    let cancellation = Cancellation { at: ctx.now, reason: input.cancel_reason };
    let (completed, cancelled) = if let Some(t) = state.ebs.import_image_tasks.get_mut(&id) {
        (t.completed_at.is_some(), &mut t.cancelled)
    } else if let Some(t) = state.ebs.import_snapshot_tasks.get_mut(&id) {
        (t.completed_at.is_some(), &mut t.cancelled)
    } else {
        return Err(not_found(&id));
    };
    if completed || cancelled.is_some() {
        let now = if completed { "completed" } else { "cancelled" };
        return Err(errors::incorrect_state(format!("The import task {id} is {now} and can't be cancelled.")));
    }
    *cancelled = Some(cancellation);
    Ok(CancelImportTaskResult {
        import_task_id: Some(id),
        previous_state: Some("active".into()),
        state: Some("deleting".into()),
    })
}

#[cfg(test)]
mod tests;
