//! Snapshot locks: LockSnapshot in governance or compliance mode (a compliance lock may
//! start with a cooling-off period of 1-72 hours), for a duration in days or until a date;
//! UnlockSnapshot (governance, or compliance still cooling off); DescribeLockedSnapshots.
//! A lock that has not expired refuses DeleteSnapshot (`snapshots::delete_snapshot`).
//! The rules are those of AWS's LockSnapshot reference: a compliance lock past its
//! cooling-off period can only be lengthened, never unlocked or switched to governance.

use chrono::{DateTime, Duration, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ApiError, RequestContext};

use crate::ebs::snapshots::{describe_one, own};
use crate::generated::dto::{
    DescribeLockedSnapshotsRequest, DescribeLockedSnapshotsResult, LockSnapshotRequest, LockSnapshotResult,
    LockedSnapshotsInfo, UnlockSnapshotRequest, UnlockSnapshotResult,
};
use crate::generated::errors;
use crate::state::ebs::SnapshotLock;
use crate::state::params::{invalid_value, one_of};
use crate::state::support::{filtered, paginate};
use crate::state::Ec2State;

fn info(id: &str, owner: &str, lock: &SnapshotLock, now: DateTime<Utc>) -> LockedSnapshotsInfo {
    let state = lock.state(now);
    LockedSnapshotsInfo {
        owner_id: Some(owner.to_string()),
        snapshot_id: Some(id.to_string()),
        lock_state: Some(state.into()),
        lock_duration: lock.duration_days,
        cool_off_period: lock.cool_off_hours,
        cool_off_period_expires_on: lock.cool_off_ends().map(Timestamp),
        lock_created_on: Some(Timestamp(lock.created)),
        lock_duration_start_time: Some(Timestamp(lock.duration_start)),
        lock_expires_on: Some(Timestamp(lock.expires)),
    }
}

pub fn lock_snapshot(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: LockSnapshotRequest,
) -> Result<LockSnapshotResult, ApiError> {
    let id = input.snapshot_id;
    let rec = own(state, &id)?;
    one_of("LockMode", &input.lock_mode, &["compliance", "governance"])?;
    if let Some(h) = input.cool_off_period {
        if input.lock_mode == "governance" {
            return Err(errors::invalid_parameter_combination(
                "The CoolOffPeriod parameter can be specified only for snapshots locked in compliance mode.",
            ));
        }
        if !(1..=72).contains(&h) {
            return Err(invalid_value("CoolOffPeriod", h, "It must be between 1 and 72 hours."));
        }
    }
    let existing = rec.lock.clone().filter(|l| l.state(ctx.now) != "expired");
    // The duration counts from the snapshot's completion (a pending snapshot's lock
    // starts when it completes), or from where an existing lock's began.
    let shown = describe_one(state, &id, ctx.now);
    let completes = if shown.state.as_deref() == Some("completed") { ctx.now } else { state.transition_ends(&id) };
    let duration_start = existing.as_ref().map_or(completes, |l| l.duration_start);
    let expires = match (input.lock_duration, input.expiration_date) {
        (Some(_), Some(_)) => {
            return Err(errors::invalid_parameter_combination(
                "You must specify either LockDuration or ExpirationDate, but not both.",
            ))
        }
        (None, None) => return Err(errors::missing_parameter("LockDuration")),
        (Some(d), None) if !(1..=36_500).contains(&d) => {
            return Err(invalid_value("LockDuration", d, "It must be between 1 and 36500 days."))
        }
        (Some(d), None) => duration_start + Duration::days(i64::from(d)),
        (None, Some(t)) if t.0 <= ctx.now => {
            return Err(invalid_value("ExpirationDate", t.iso8601(), "The expiration date must be in the future."))
        }
        (None, Some(t)) => t.0,
    };
    if let Some(old) = existing.as_ref().filter(|l| l.state(ctx.now) == "compliance") {
        if input.lock_mode != "compliance" {
            return Err(errors::incorrect_state(format!(
                "The snapshot '{id}' is locked in compliance mode and its cooling-off period has expired; the lock mode can't be changed."
            )));
        }
        if input.cool_off_period.is_some() {
            return Err(errors::invalid_parameter_combination(
                "The CoolOffPeriod parameter can't be specified for a snapshot locked in compliance mode after its cooling-off period.",
            ));
        }
        if expires < old.expires {
            return Err(errors::incorrect_state(format!(
                "The snapshot '{id}' is locked in compliance mode; its lock duration can only be increased."
            )));
        }
    }
    // A lock changed while cooling off keeps its cooling-off period.
    let (created, cool_off_hours) = match existing.as_ref() {
        Some(old) if old.state(ctx.now) == "compliance-cooloff" && input.lock_mode == "compliance" => {
            (old.created, input.cool_off_period.or(old.cool_off_hours))
        }
        Some(old) if old.state(ctx.now) == "compliance" => (old.created, old.cool_off_hours),
        _ => (ctx.now, input.cool_off_period),
    };
    let lock = SnapshotLock {
        mode: input.lock_mode,
        created,
        cool_off_hours,
        duration_days: input.lock_duration,
        duration_start,
        expires,
    };
    let owner = ctx.account().to_string();
    let out = info(&id, &owner, &lock, ctx.now);
    state.snapshots.get_mut(&id).expect("checked above").lock = Some(lock);
    Ok(LockSnapshotResult {
        snapshot_id: out.snapshot_id,
        lock_state: out.lock_state,
        lock_duration: out.lock_duration,
        cool_off_period: out.cool_off_period,
        cool_off_period_expires_on: out.cool_off_period_expires_on,
        lock_created_on: out.lock_created_on,
        lock_expires_on: out.lock_expires_on,
        lock_duration_start_time: out.lock_duration_start_time,
    })
}

pub fn unlock_snapshot(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: UnlockSnapshotRequest,
) -> Result<UnlockSnapshotResult, ApiError> {
    let id = input.snapshot_id;
    let rec = own(state, &id)?;
    match rec.lock.as_ref().map(|l| l.state(ctx.now)) {
        None => return Err(errors::incorrect_state(format!("The snapshot '{id}' is not locked."))),
        Some("compliance") => {
            return Err(errors::incorrect_state(format!(
                "The snapshot '{id}' is locked in compliance mode and its cooling-off period has expired; it can't be unlocked."
            )))
        }
        Some(_) => {}
    }
    state.snapshots.get_mut(&id).expect("checked above").lock = None;
    Ok(UnlockSnapshotResult { snapshot_id: Some(id) })
}

impl Filterable for LockedSnapshotsInfo {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        match name {
            "lock-state" => Some(self.lock_state.iter().cloned().collect()),
            _ => None,
        }
    }
}

pub fn describe_locked_snapshots(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeLockedSnapshotsRequest,
) -> Result<DescribeLockedSnapshotsResult, ApiError> {
    let ids = input.snapshot_ids.clone().unwrap_or_default();
    for id in &ids {
        own(state, id)?;
    }
    let owner = ctx.account();
    let all = state
        .snapshots
        .iter()
        .filter(|(id, _)| ids.is_empty() || ids.contains(id))
        .filter_map(|(id, r)| r.lock.as_ref().map(|l| info(id, owner, l, ctx.now)));
    let items = filtered(all, input.filters.as_deref())?;
    let (page, next) = paginate(items, |s| s.snapshot_id.clone().unwrap_or_default(), input.page(), !ids.is_empty())?;
    Ok(DescribeLockedSnapshotsResult { snapshots: Some(page), next_token: next })
}

#[cfg(test)]
mod tests {
    use nimbus_core::RequestContext;
    use serde_json::json;

    use crate::testing::{call, later, refused, str_at};
    use crate::Ec2;

    fn snapshot(ec2: &Ec2, ctx: &RequestContext) -> String {
        let vol =
            str_at(&call(ec2, ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1a", "Size": 4})), "/VolumeId");
        str_at(&call(ec2, ctx, "CreateSnapshot", json!({"VolumeId": vol})), "/SnapshotId")
    }

    #[test]
    fn governance_locks_refuse_deletion_until_unlocked() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let id = snapshot(&ec2, &ctx);
        let lock =
            call(&ec2, &ctx, "LockSnapshot", json!({"SnapshotId": id, "LockMode": "governance", "LockDuration": 1}));
        assert_eq!(lock["LockState"], "governance");
        assert_eq!(refused(&ec2, &ctx, "DeleteSnapshot", json!({"SnapshotId": id})), "IncorrectState");
        let listed = call(
            &ec2,
            &ctx,
            "DescribeLockedSnapshots",
            json!({"Filters": [{"Name": "lock-state", "Values": ["governance"]}]}),
        );
        assert_eq!(listed["Snapshots"][0]["SnapshotId"], id.as_str());
        call(&ec2, &ctx, "UnlockSnapshot", json!({"SnapshotId": id}));
        assert_eq!(refused(&ec2, &ctx, "UnlockSnapshot", json!({"SnapshotId": id})), "IncorrectState");
        // A lock that expired no longer protects the snapshot.
        call(&ec2, &ctx, "LockSnapshot", json!({"SnapshotId": id, "LockMode": "governance", "LockDuration": 1}));
        let after = later(&ctx, 86_400);
        let listed = call(&ec2, &after, "DescribeLockedSnapshots", json!({"SnapshotIds": [id]}));
        assert_eq!(listed["Snapshots"][0]["LockState"], "expired");
        call(&ec2, &after, "DeleteSnapshot", json!({"SnapshotId": id}));
    }

    #[test]
    fn compliance_locks_after_cooling_off() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let id = snapshot(&ec2, &ctx);
        let req = |mode: &str, days: i32| json!({"SnapshotId": id, "LockMode": mode, "LockDuration": days, "CoolOffPeriod": 1});
        let lock = call(&ec2, &ctx, "LockSnapshot", req("compliance", 10));
        assert_eq!(lock["LockState"], "compliance-cooloff");
        assert!(lock.get("CoolOffPeriodExpiresOn").is_some());
        // While cooling off it can still be shortened or unlocked.
        call(&ec2, &ctx, "LockSnapshot", req("compliance", 5));
        let past = later(&ctx, 3_600);
        let shown = call(&ec2, &past, "DescribeLockedSnapshots", json!({}));
        assert_eq!(
            (shown["Snapshots"][0]["LockState"].clone(), shown["Snapshots"][0]["LockDuration"].clone()),
            (json!("compliance"), json!(5))
        );
        assert_eq!(refused(&ec2, &past, "UnlockSnapshot", json!({"SnapshotId": id})), "IncorrectState");
        assert_eq!(refused(&ec2, &past, "DeleteSnapshot", json!({"SnapshotId": id})), "IncorrectState");
        let shorter = json!({"SnapshotId": id, "LockMode": "compliance", "LockDuration": 2});
        assert_eq!(refused(&ec2, &past, "LockSnapshot", shorter), "IncorrectState");
        let governance = json!({"SnapshotId": id, "LockMode": "governance", "LockDuration": 20});
        assert_eq!(refused(&ec2, &past, "LockSnapshot", governance), "IncorrectState");
        assert_eq!(refused(&ec2, &past, "LockSnapshot", req("compliance", 20)), "InvalidParameterCombination");
        let longer =
            call(&ec2, &past, "LockSnapshot", json!({"SnapshotId": id, "LockMode": "compliance", "LockDuration": 20}));
        assert_eq!(longer["LockDuration"], 20);
    }

    #[test]
    fn bad_requests() {
        let ec2 = Ec2::default();
        let ctx = RequestContext::for_tests();
        let id = snapshot(&ec2, &ctx);
        for (input, code) in [
            (json!({"SnapshotId": id, "LockMode": "governance"}), "MissingParameter"),
            (json!({"SnapshotId": id, "LockMode": "strict", "LockDuration": 1}), "InvalidParameterValue"),
            (
                json!({"SnapshotId": id, "LockMode": "governance", "LockDuration": 1, "CoolOffPeriod": 2}),
                "InvalidParameterCombination",
            ),
            (
                json!({"SnapshotId": id, "LockMode": "compliance", "LockDuration": 1, "CoolOffPeriod": 73}),
                "InvalidParameterValue",
            ),
            (json!({"SnapshotId": id, "LockMode": "compliance", "LockDuration": 0}), "InvalidParameterValue"),
            (
                json!({"SnapshotId": id, "LockMode": "compliance", "LockDuration": 1, "ExpirationDate": 4_102_444_800u64}),
                "InvalidParameterCombination",
            ),
            (
                json!({"SnapshotId": id, "LockMode": "compliance", "ExpirationDate": 946_684_800u64}),
                "InvalidParameterValue",
            ),
            (
                json!({"SnapshotId": "snap-0123456789abcdef0", "LockMode": "governance", "LockDuration": 1}),
                "InvalidSnapshot.NotFound",
            ),
        ] {
            assert_eq!(refused(&ec2, &ctx, "LockSnapshot", input.clone()), code, "{input}");
        }
        assert_eq!(
            refused(&ec2, &ctx, "DescribeLockedSnapshots", json!({"SnapshotIds": ["snap-x"]})),
            "InvalidSnapshotID.Malformed"
        );
        assert_eq!(refused(&ec2, &ctx, "DescribeLockedSnapshots", json!({"MaxResults": 2})), "InvalidParameterValue");
    }
}
