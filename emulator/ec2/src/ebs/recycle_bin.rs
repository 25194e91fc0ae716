//! The Recycle Bin reads EC2 owns, for snapshots and volumes. Deleted resources go to the
//! bin only when a retention rule of the Recycle Bin service (`rbin`) covers them; nimbus
//! has no `rbin`, so no rule exists, DeleteSnapshot and DeleteVolume delete for good, the
//! bin is always empty and a restore finds nothing, as AWS answers in an account without
//! rules. Ids are still checked and paging bounds still apply.

use nimbus_core::{ApiError, RequestContext};

use crate::ebs::snapshots::check_id;
use crate::generated::dto::{
    ListSnapshotsInRecycleBinRequest, ListSnapshotsInRecycleBinResult, ListVolumesInRecycleBinRequest,
    ListVolumesInRecycleBinResult, RestoreSnapshotFromRecycleBinRequest, RestoreSnapshotFromRecycleBinResult,
    RestoreVolumeFromRecycleBinRequest, RestoreVolumeFromRecycleBinResult, SnapshotRecycleBinInfo,
    VolumeRecycleBinInfo,
};
use crate::generated::errors;
use crate::state::support::paginate;
use crate::state::Ec2State;

fn check_volume_id(id: &str) -> Result<(), ApiError> {
    let well_formed = id
        .strip_prefix("vol-")
        .is_some_and(|h| (8..=17).contains(&h.len()) && h.chars().all(|c| c.is_ascii_hexdigit()));
    if well_formed {
        Ok(())
    } else {
        Err(errors::invalid_volume_id_malformed(id))
    }
}

pub fn list_snapshots_in_recycle_bin(
    _state: &Ec2State,
    _ctx: &RequestContext,
    input: ListSnapshotsInRecycleBinRequest,
) -> Result<ListSnapshotsInRecycleBinResult, ApiError> {
    let ids = input.snapshot_ids.clone().unwrap_or_default();
    for id in &ids {
        check_id(id)?;
    }
    let binned: Vec<SnapshotRecycleBinInfo> = Vec::new();
    let (page, next) = paginate(binned, |s| s.snapshot_id.clone().unwrap_or_default(), input.page(), !ids.is_empty())?;
    Ok(ListSnapshotsInRecycleBinResult { snapshots: Some(page), next_token: next })
}

pub fn restore_snapshot_from_recycle_bin(
    _state: &mut Ec2State,
    _ctx: &RequestContext,
    input: RestoreSnapshotFromRecycleBinRequest,
) -> Result<RestoreSnapshotFromRecycleBinResult, ApiError> {
    check_id(&input.snapshot_id)?;
    Err(errors::invalid_snapshot_not_found(&input.snapshot_id))
}

pub fn list_volumes_in_recycle_bin(
    _state: &Ec2State,
    _ctx: &RequestContext,
    input: ListVolumesInRecycleBinRequest,
) -> Result<ListVolumesInRecycleBinResult, ApiError> {
    let ids = input.volume_ids.clone().unwrap_or_default();
    for id in &ids {
        check_volume_id(id)?;
    }
    let binned: Vec<VolumeRecycleBinInfo> = Vec::new();
    let (page, next) = paginate(binned, |v| v.volume_id.clone().unwrap_or_default(), input.page(), !ids.is_empty())?;
    Ok(ListVolumesInRecycleBinResult { volumes: Some(page), next_token: next })
}

pub fn restore_volume_from_recycle_bin(
    _state: &mut Ec2State,
    _ctx: &RequestContext,
    input: RestoreVolumeFromRecycleBinRequest,
) -> Result<RestoreVolumeFromRecycleBinResult, ApiError> {
    check_volume_id(&input.volume_id)?;
    Err(errors::invalid_volume_not_found(&input.volume_id))
}

#[cfg(test)]
mod tests {
    use nimbus_core::RequestContext;
    use serde_json::json;

    use crate::testing::{call, refused, str_at};
    use crate::Ec2;

    #[test]
    fn without_retention_rules_the_bin_stays_empty() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let vol = str_at(
            &call(&ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1a", "Size": 4})),
            "/VolumeId",
        );
        let snap = str_at(&call(&ec2, &ctx, "CreateSnapshot", json!({"VolumeId": vol})), "/SnapshotId");
        call(&ec2, &ctx, "DeleteSnapshot", json!({"SnapshotId": snap}));
        call(&ec2, &ctx, "DeleteVolume", json!({"VolumeId": vol}));
        assert_eq!(call(&ec2, &ctx, "ListSnapshotsInRecycleBin", json!({}))["Snapshots"], json!([]));
        assert_eq!(call(&ec2, &ctx, "ListVolumesInRecycleBin", json!({"VolumeIds": [vol]}))["Volumes"], json!([]));
        let restore = json!({"SnapshotId": snap});
        assert_eq!(refused(&ec2, &ctx, "RestoreSnapshotFromRecycleBin", restore), "InvalidSnapshot.NotFound");
        assert_eq!(
            refused(&ec2, &ctx, "RestoreVolumeFromRecycleBin", json!({"VolumeId": vol})),
            "InvalidVolume.NotFound"
        );
        assert_eq!(
            refused(&ec2, &ctx, "RestoreVolumeFromRecycleBin", json!({"VolumeId": "v-1"})),
            "InvalidVolumeID.Malformed"
        );
        assert_eq!(refused(&ec2, &ctx, "ListSnapshotsInRecycleBin", json!({"MaxResults": 1})), "InvalidParameterValue");
        assert_eq!(
            refused(&ec2, &ctx, "ListSnapshotsInRecycleBin", json!({"SnapshotIds": ["x"]})),
            "InvalidSnapshotID.Malformed"
        );
    }
}
