//! The clock's part: a volume, attachment or modification as it is at a moment.

use chrono::{DateTime, Utc};
use nimbus_core::types::Timestamp;

use crate::ebs::volumes::records::{attachment_key, modification_key};
use crate::generated::dto::{Volume, VolumeAttachment, VolumeModification};
use crate::state::Ec2State;

// ----------------------------------------------------------------------------- lifecycle

/// A volume as it is at `now`: creation, attachments and detachments that are over.
pub fn volume_at(state: &Ec2State, id: &str, now: DateTime<Utc>) -> Volume {
    let mut v = state.volumes[id].clone();
    if v.state.as_deref() == Some("creating") && now >= state.transition_ends(id) {
        v.state = Some("available".into());
    }
    if let Some(atts) = v.attachments.as_mut() {
        let done = |a: &VolumeAttachment| {
            now >= state.transition_ends(&attachment_key(id, a.instance_id.as_deref().unwrap_or("")))
        };
        atts.retain(|a| !(a.state.as_deref() == Some("detaching") && done(a)));
        for a in atts.iter_mut() {
            if a.state.as_deref() == Some("attaching") && done(a) {
                a.state = Some("attached".into());
            }
        }
        if atts.is_empty() && v.state.as_deref() == Some("in-use") {
            v.state = Some("available".into());
        }
    }
    v
}

/// A modification as it is at `now`: `modifying` for the transition delay, then
/// `optimizing` as long again, then `completed`.
pub fn modification_at(state: &Ec2State, volume_id: &str, now: DateTime<Utc>) -> VolumeModification {
    let mut m = state.volume_modifications[volume_id].clone();
    if matches!(m.modification_state.as_deref(), Some("completed" | "failed")) {
        return m;
    }
    let start = state.timestamps.get(&modification_key(volume_id)).copied().unwrap_or(DateTime::<Utc>::MIN_UTC);
    if now >= start + state.transition_delay() + state.transition_delay() {
        m.modification_state = Some("completed".into());
        m.progress = Some(100);
        m.end_time = Some(Timestamp(start + state.transition_delay() + state.transition_delay()));
    } else if now >= start + state.transition_delay() {
        m.modification_state = Some("optimizing".into());
        m.progress = Some(50);
    }
    m
}

fn volume_moves(state: &Ec2State, id: &str, v: &Volume, now: DateTime<Utc>) -> bool {
    (v.state.as_deref() == Some("creating") && now >= state.transition_ends(id))
        || v.attachments.iter().flatten().any(|a| {
            matches!(a.state.as_deref(), Some("attaching" | "detaching"))
                && now >= state.transition_ends(&attachment_key(id, a.instance_id.as_deref().unwrap_or("")))
        })
}

/// Whether `settle` has anything to do at `now`.
pub fn needs_settling(state: &Ec2State, now: DateTime<Utc>) -> bool {
    state.moving_volumes().any(|(id, v)| volume_moves(state, id, v, now))
        || state.volume_modifications.iter().any(|(id, m)| {
            m.modification_state.as_deref() != modification_at(state, id, now).modification_state.as_deref()
        })
}

/// Applies the transitions that are due at `now`.
pub fn settle(state: &mut Ec2State, now: DateTime<Utc>) {
    let moving: Vec<String> =
        state.moving_volumes().filter(|(id, v)| volume_moves(state, id, v, now)).map(|(id, _)| id.clone()).collect();
    for id in moving {
        let shown = volume_at(state, &id, now);
        let gone: Vec<String> = state.volumes[&id]
            .attachments
            .iter()
            .flatten()
            .filter_map(|a| a.instance_id.clone())
            .filter(|i| !shown.attachments.iter().flatten().any(|a| a.instance_id.as_deref() == Some(i.as_str())))
            .collect();
        for i in gone {
            state.timestamps.remove(&attachment_key(&id, &i));
        }
        state.volumes.insert(id, shown);
    }
    let ids: Vec<String> = state.volume_modifications.keys().cloned().collect();
    for id in ids {
        let shown = modification_at(state, &id, now);
        state.volume_modifications.insert(id, shown);
    }
}

pub fn describe_one(state: &Ec2State, id: &str, now: DateTime<Utc>) -> Volume {
    let mut v = volume_at(state, id, now);
    v.tags = state.dto_tags_if_any(id);
    v
}
