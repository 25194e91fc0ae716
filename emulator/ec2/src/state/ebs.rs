//! Records of the EBS and image long tail: a snapshot's storage tier and lock (kept on its
//! `SnapshotRecord`), fast snapshot restores and VM import tasks. Each stores when a
//! change was asked for; what it shows at a moment is computed from nimbus's clock and the
//! partition's transition delay, so reads never write.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::generated::dto;

/// A snapshot's move to the archive tier and the last restore from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tiering {
    /// When ModifySnapshotTier was called; the archival completes one transition later.
    pub archive_started: DateTime<Utc>,
    pub restore: Option<TierRestore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierRestore {
    pub started: DateTime<Utc>,
    /// Days of a temporary restore; `None` for a permanent one.
    pub days: Option<i32>,
}

/// What a snapshot's tiering shows at a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct TierView {
    pub storage_tier: &'static str,
    pub operation: &'static str,
    pub progress: i32,
    pub started: DateTime<Utc>,
    pub archival_complete: Option<DateTime<Utc>>,
    pub restore_expiry: Option<DateTime<Utc>>,
    /// Whether volumes can be created from it (standard tier, or restored for now).
    pub usable: bool,
}

impl Tiering {
    pub fn view(&self, delay: Duration, now: DateTime<Utc>) -> TierView {
        let archived_at = self.archive_started + delay;
        let archival_complete = (now >= archived_at).then_some(archived_at);
        let mut v = TierView {
            storage_tier: "archive",
            operation: "archival-completed",
            progress: 100,
            started: self.archive_started,
            archival_complete,
            restore_expiry: None,
            usable: false,
        };
        if now < archived_at {
            return TierView { storage_tier: "standard", operation: "archival-in-progress", progress: 0, ..v };
        }
        let Some(r) = &self.restore else { return v };
        v.started = r.started;
        let done = now >= r.started + delay;
        match (r.days, done) {
            (None, false) => (v.operation, v.progress) = ("permanent-restore-in-progress", 0),
            (None, true) => (v.storage_tier, v.operation, v.usable) = ("standard", "permanent-restore-completed", true),
            (Some(_), false) => (v.operation, v.progress) = ("temporary-restore-in-progress", 0),
            (Some(days), true) => {
                let expiry = r.started + delay + Duration::days(i64::from(days));
                v.operation = "temporary-restore-completed";
                if now < expiry {
                    v.restore_expiry = Some(expiry);
                    v.usable = true;
                }
            }
        }
        v
    }
}

/// A snapshot lock as LockSnapshot set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotLock {
    /// `governance` or `compliance`.
    pub mode: String,
    pub created: DateTime<Utc>,
    pub cool_off_hours: Option<i32>,
    pub duration_days: Option<i32>,
    /// When the lock duration began: the lock's time, or the snapshot's completion.
    pub duration_start: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

impl SnapshotLock {
    pub fn cool_off_ends(&self) -> Option<DateTime<Utc>> {
        self.cool_off_hours.map(|h| self.created + Duration::hours(i64::from(h)))
    }

    /// AWS's `LockState` at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        if now >= self.expires {
            "expired"
        } else if self.mode == "governance" {
            "governance"
        } else if self.cool_off_ends().is_some_and(|end| now < end) {
            "compliance-cooloff"
        } else {
            "compliance"
        }
    }
}

/// Fast snapshot restores of one snapshot in one zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FastRestore {
    pub snapshot_id: String,
    pub zone: String,
    pub zone_id: String,
    pub owner_id: String,
    /// When it was enabled: `enabling`, then `optimizing` and `enabled` one transition apart.
    pub enabled_at: DateTime<Utc>,
    /// When it was disabled: `disabling`, then `disabled` one transition later.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// Who asked for a task's end and why (CancelImportTask).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cancellation {
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// An ImportImage task: the task as it was answered when it began (status `active`), and
/// what it made once it completed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportImageTaskRecord {
    pub task: dto::ImportImageTask,
    pub started: DateTime<Utc>,
    /// GiB of each disk's snapshot.
    pub sizes: Vec<i32>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled: Option<Cancellation>,
}

/// An ImportSnapshot task, likewise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportSnapshotTaskRecord {
    pub task: dto::ImportSnapshotTask,
    pub started: DateTime<Utc>,
    pub size: i32,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled: Option<Cancellation>,
}

/// A task's progress at a moment: AWS's `Status` and `StatusMessage`.
pub fn task_phase(
    started: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
    cancelled: Option<&Cancellation>,
    delay: Duration,
    now: DateTime<Utc>,
) -> (&'static str, Option<&'static str>, Option<&'static str>) {
    if let Some(c) = cancelled {
        return if now < c.at + delay { ("deleting", None, None) } else { ("deleted", None, None) };
    }
    if completed_at.is_some() {
        return ("completed", None, None);
    }
    if now < started + delay {
        ("active", Some("pending"), Some("2"))
    } else {
        ("active", Some("converting"), Some("28"))
    }
}

/// How long AWS keeps showing finished import tasks (the VM Import/Export guide: "for
/// up to 7 days").
pub const TASKS_VISIBLE: Duration = Duration::days(7);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EbsState {
    /// Fast snapshot restores by `snapshot-id|zone`.
    pub fast_restores: BTreeMap<String, FastRestore>,
    pub import_image_tasks: BTreeMap<String, ImportImageTaskRecord>,
    pub import_snapshot_tasks: BTreeMap<String, ImportSnapshotTaskRecord>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_follow_the_clock() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let d = Duration::seconds(10);
        let mut t = Tiering { archive_started: t0, restore: None };
        assert_eq!(t.view(d, t0).storage_tier, "standard");
        assert_eq!(t.view(d, t0 + d).operation, "archival-completed");
        t.restore = Some(TierRestore { started: t0 + d, days: Some(1) });
        let v = t.view(d, t0 + d * 2);
        assert_eq!((v.storage_tier, v.operation, v.usable), ("archive", "temporary-restore-completed", true));
        assert_eq!(v.restore_expiry, Some(t0 + d * 2 + Duration::days(1)));
        assert!(!t.view(d, t0 + d * 2 + Duration::days(1)).usable);
        t.restore = Some(TierRestore { started: t0 + d, days: None });
        assert_eq!(t.view(d, t0 + d * 2).storage_tier, "standard");
    }

    #[test]
    fn lock_states() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let lock = SnapshotLock {
            mode: "compliance".into(),
            created: t0,
            cool_off_hours: Some(1),
            duration_days: Some(1),
            duration_start: t0,
            expires: t0 + Duration::days(1),
        };
        assert_eq!(lock.state(t0), "compliance-cooloff");
        assert_eq!(lock.state(t0 + Duration::hours(1)), "compliance");
        assert_eq!(lock.state(t0 + Duration::days(1)), "expired");
    }
}
