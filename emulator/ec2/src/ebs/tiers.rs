//! Snapshot storage tiers: ModifySnapshotTier moves a completed snapshot to the archive
//! tier (`archival-in-progress`, then `archival-completed` one transition later),
//! RestoreSnapshotTier brings it back for a number of days or for good, and
//! DescribeSnapshotTierStatus reports the last tiering operation. DescribeSnapshots shows
//! the tier and a temporary restore's expiry (`snapshots::snapshot_at`). Where AWS's
//! reference gives no wording for a refusal, the message is nimbus's.

use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use crate::ebs::snapshots::{describe_one, own};
use crate::generated::dto::{
    DescribeSnapshotTierStatusRequest, DescribeSnapshotTierStatusResult, ModifySnapshotTierRequest,
    ModifySnapshotTierResult, RestoreSnapshotTierRequest, RestoreSnapshotTierResult, SnapshotTierStatus,
};
use crate::generated::errors;
use crate::state::ebs::{TierRestore, Tiering};
use crate::state::params::invalid_value;
use crate::state::support::{filtered, paginate, tag_pairs};
use crate::state::Ec2State;

pub fn modify_snapshot_tier(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifySnapshotTierRequest,
) -> Result<ModifySnapshotTierResult, ApiError> {
    let id = input.snapshot_id;
    let rec = own(state, &id)?;
    match input.storage_tier.as_deref() {
        Some("archive") => {}
        Some(other) => return Err(invalid_value("StorageTier", other, "Valid values: archive")),
        None => return Err(errors::missing_parameter("StorageTier")),
    }
    let shown = describe_one(state, &id, ctx.now);
    if shown.state.as_deref() != Some("completed") {
        return Err(errors::incorrect_snapshot_state(format!("Snapshot {id} is not in the completed state.")));
    }
    if let Some(v) = rec.tiering.as_ref().map(|t| t.view(state.transition_delay(), ctx.now)) {
        if v.storage_tier == "archive" || v.operation == "archival-in-progress" {
            return Err(errors::incorrect_state(format!(
                "The snapshot '{id}' is already archived or being archived ({}).",
                v.operation
            )));
        }
    }
    if let Some(image) = crate::state::lookup::image_using_snapshot(state, &id) {
        return Err(errors::incorrect_state(format!(
            "The snapshot '{id}' is associated with image {image} and can't be archived."
        )));
    }
    let rec = state.snapshots.get_mut(&id).expect("checked above");
    rec.tiering = Some(Tiering { archive_started: ctx.now, restore: None });
    state.unpublished.insert(id.clone());
    Ok(ModifySnapshotTierResult { snapshot_id: Some(id), tiering_start_time: Some(Timestamp(ctx.now)) })
}

pub fn restore_snapshot_tier(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: RestoreSnapshotTierRequest,
) -> Result<RestoreSnapshotTierResult, ApiError> {
    let id = input.snapshot_id;
    let rec = own(state, &id)?;
    let permanent = input.permanent_restore == Some(true);
    let days = match (permanent, input.temporary_restore_days) {
        (true, Some(_)) => {
            return Err(errors::invalid_parameter_combination(
                "The parameters PermanentRestore and TemporaryRestoreDays cannot be used together.",
            ))
        }
        (true, None) => None,
        (false, Some(d)) if d < 1 => return Err(invalid_value("TemporaryRestoreDays", d, "It must be at least 1.")),
        (false, Some(d)) => Some(d),
        (false, None) => return Err(errors::missing_parameter("TemporaryRestoreDays")),
    };
    let delay = state.transition_delay();
    let not_archived = || errors::incorrect_state(format!("The snapshot '{id}' is not in the archive tier."));
    let tiering = rec.tiering.clone().ok_or_else(not_archived)?;
    let view = tiering.view(delay, ctx.now);
    if view.storage_tier != "archive" {
        return Err(not_archived());
    }
    if view.operation.ends_with("-in-progress") {
        return Err(errors::incorrect_state(format!(
            "The snapshot '{id}' has a tiering operation in progress ({}).",
            view.operation
        )));
    }
    // A temporary restore still running only has its period changed; anything else
    // starts a restore now.
    let restore = match (&tiering.restore, days, view.restore_expiry) {
        (Some(r), Some(d), Some(_)) => TierRestore { started: r.started, days: Some(d) },
        _ => TierRestore { started: ctx.now, days },
    };
    let started = restore.started;
    let rec = state.snapshots.get_mut(&id).expect("checked above");
    rec.tiering = Some(Tiering { restore: Some(restore), ..tiering });
    state.unpublished.insert(id.clone());
    Ok(RestoreSnapshotTierResult {
        snapshot_id: Some(id),
        restore_start_time: Some(Timestamp(started)),
        restore_duration: days,
        is_permanent_restore: Some(permanent),
    })
}

impl Filterable for SnapshotTierStatus {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "snapshot-id" => opt(&self.snapshot_id),
            "volume-id" => opt(&self.volume_id),
            "last-tiering-operation" => opt(&self.last_tiering_operation_status),
            "storage-tier" => opt(&self.storage_tier),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

/// The tiering status of each of the account's snapshots (those never archived report
/// the standard tier and no operation, as AWS's do).
pub fn describe_snapshot_tier_status(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeSnapshotTierStatusRequest,
) -> Result<DescribeSnapshotTierStatusResult, ApiError> {
    let delay = state.transition_delay();
    let all = state.snapshots.iter().map(|(id, rec)| {
        let s = describe_one(state, id, ctx.now);
        let mut out = SnapshotTierStatus {
            snapshot_id: Some(id.clone()),
            volume_id: s.volume_id,
            status: s.state,
            owner_id: s.owner_id,
            tags: s.tags,
            storage_tier: Some("standard".into()),
            ..Default::default()
        };
        if let Some(v) = rec.tiering.as_ref().map(|t| t.view(delay, ctx.now)) {
            out.storage_tier = Some(v.storage_tier.into());
            out.last_tiering_start_time = Some(Timestamp(v.started));
            out.last_tiering_progress = Some(v.progress);
            out.last_tiering_operation_status = Some(v.operation.into());
            out.archival_complete_time = v.archival_complete.map(Timestamp);
            out.restore_expiry_time = v.restore_expiry.map(Timestamp);
        }
        out
    });
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |s| s.snapshot_id.clone().unwrap_or_default(), input.page(), false)?;
    Ok(DescribeSnapshotTierStatusResult { snapshot_tier_statuses: Some(page), next_token: next })
}

#[cfg(test)]
mod tests {
    use nimbus_core::RequestContext;
    use serde_json::json;

    use crate::testing::{call, later, refused, str_at, with_delay};
    use crate::Ec2;

    fn snapshot(ec2: &Ec2, ctx: &RequestContext) -> String {
        let vol =
            str_at(&call(ec2, ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1a", "Size": 4})), "/VolumeId");
        str_at(&call(ec2, ctx, "CreateSnapshot", json!({"VolumeId": vol})), "/SnapshotId")
    }

    fn tier(ec2: &Ec2, ctx: &RequestContext, id: &str) -> serde_json::Value {
        let f = json!({"Filters": [{"Name": "snapshot-id", "Values": [id]}]});
        call(ec2, ctx, "DescribeSnapshotTierStatus", f)["SnapshotTierStatuses"][0].clone()
    }

    #[test]
    fn archive_then_restore_on_the_clock() {
        let ec2 = with_delay(10);
        let ctx = RequestContext::for_tests();
        let id = snapshot(&ec2, &ctx);
        let archive = json!({"SnapshotId": id, "StorageTier": "archive"});
        assert_eq!(refused(&ec2, &ctx, "ModifySnapshotTier", archive.clone()), "IncorrectSnapshotState");
        let t1 = later(&ctx, 10);
        assert_eq!(tier(&ec2, &t1, &id)["StorageTier"], "standard");
        call(&ec2, &t1, "ModifySnapshotTier", archive.clone());
        let s = tier(&ec2, &t1, &id);
        assert_eq!(
            (s["StorageTier"].clone(), s["LastTieringOperationStatus"].clone()),
            (json!("standard"), json!("archival-in-progress"))
        );
        assert_eq!(refused(&ec2, &t1, "ModifySnapshotTier", archive.clone()), "IncorrectState");
        let t2 = later(&ctx, 20);
        let s = tier(&ec2, &t2, &id);
        assert_eq!((s["StorageTier"].clone(), s["LastTieringProgress"].clone()), (json!("archive"), json!(100)));
        let shown = call(&ec2, &t2, "DescribeSnapshots", json!({"SnapshotIds": [id]}))["Snapshots"][0].clone();
        assert_eq!(shown["StorageTier"], "archive");
        let filtered = json!({"OwnerIds": ["self"], "Filters": [{"Name": "storage-tier", "Values": ["archive"]}]});
        assert_eq!(call(&ec2, &t2, "DescribeSnapshots", filtered)["Snapshots"].as_array().unwrap().len(), 1);
        let from = json!({"AvailabilityZone": "us-east-1a", "SnapshotId": id});
        assert_eq!(refused(&ec2, &t2, "CreateVolume", from.clone()), "IncorrectState");
        assert_eq!(refused(&ec2, &t2, "RestoreSnapshotTier", json!({"SnapshotId": id})), "MissingParameter");
        assert_eq!(
            refused(
                &ec2,
                &t2,
                "RestoreSnapshotTier",
                json!({"SnapshotId": id, "PermanentRestore": true, "TemporaryRestoreDays": 2})
            ),
            "InvalidParameterCombination"
        );
        let r = call(&ec2, &t2, "RestoreSnapshotTier", json!({"SnapshotId": id, "TemporaryRestoreDays": 2}));
        assert_eq!((r["RestoreDuration"].clone(), r["IsPermanentRestore"].clone()), (json!(2), json!(false)));
        let t3 = later(&ctx, 30);
        let s = tier(&ec2, &t3, &id);
        assert_eq!(s["LastTieringOperationStatus"], "temporary-restore-completed");
        assert!(s.get("RestoreExpiryTime").is_some());
        call(&ec2, &t3, "CreateVolume", from.clone());
        // After the restore period the snapshot is archived only again.
        assert_eq!(refused(&ec2, &later(&ctx, 30 + 2 * 86_400), "CreateVolume", from), "IncorrectState");
        call(&ec2, &t3, "RestoreSnapshotTier", json!({"SnapshotId": id, "PermanentRestore": true}));
        let t4 = later(&ctx, 40);
        assert_eq!(tier(&ec2, &t4, &id)["StorageTier"], "standard");
        assert_eq!(
            refused(&ec2, &t4, "RestoreSnapshotTier", json!({"SnapshotId": id, "PermanentRestore": true})),
            "IncorrectState"
        );
        assert_eq!(
            refused(
                &ec2,
                &t4,
                "ModifySnapshotTier",
                json!({"SnapshotId": "snap-0123456789abcdef0", "StorageTier": "archive"})
            ),
            "InvalidSnapshot.NotFound"
        );
        assert_eq!(
            refused(&ec2, &t4, "ModifySnapshotTier", json!({"SnapshotId": id, "StorageTier": "cold"})),
            "InvalidParameterValue"
        );
        let bad = json!({"Filters": [{"Name": "colour", "Values": ["x"]}]});
        assert_eq!(refused(&ec2, &t4, "DescribeSnapshotTierStatus", bad), "InvalidParameterValue");
    }
}
