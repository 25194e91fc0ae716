//! EBS snapshots: CreateSnapshot(s), CopySnapshot (within the region and from another
//! region of the same account, through the service's registry), DeleteSnapshot,
//! DescribeSnapshots with owners, restorable-by and every filter, and the
//! createVolumePermission attribute. A snapshot is stored `pending`, dated in
//! `Ec2State::timestamps`, and shown `completed` ("100%") once the transition delay has
//! passed. The public images' snapshots (from the catalogue) are AWS's own, restorable by
//! every account. Storage tiers, locks and fast snapshot restores have files of their
//! own beside this one.

use chrono::{DateTime, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, regions, ApiError, RequestContext};

use crate::generated::dto::{
    CopySnapshotRequest, CopySnapshotResult, CreateSnapshotRequest, CreateSnapshotsRequest, CreateSnapshotsResult,
    CreateVolumePermission, DeleteSnapshotRequest, DescribeSnapshotAttributeRequest, DescribeSnapshotAttributeResult,
    DescribeSnapshotsRequest, DescribeSnapshotsResult, ModifySnapshotAttributeRequest, ResetSnapshotAttributeRequest,
    Snapshot, SnapshotInfo,
};
use crate::generated::errors;
use crate::state::params::invalid_value;
use crate::state::shared::Shared;
use crate::state::support::tag_pairs;
use crate::state::support::{filtered, paginate, spec_tags};
use crate::state::{Ec2State, SnapshotRecord};
use crate::{catalogue, ebs::volumes};

/// The volume id AWS shows for snapshots that were copied rather than taken of a volume.
const NO_VOLUME: &str = "vol-ffffffff";

pub fn check_id(id: &str) -> Result<(), ApiError> {
    let well_formed = id
        .strip_prefix("snap-")
        .is_some_and(|h| (8..=17).contains(&h.len()) && h.chars().all(|c| c.is_ascii_hexdigit()));
    if well_formed {
        Ok(())
    } else {
        Err(errors::invalid_snapshot_id_malformed(id))
    }
}

/// One of the partition's snapshots as it is at `now` (without tags).
fn snapshot_at(state: &Ec2State, id: &str, now: DateTime<Utc>) -> Snapshot {
    let mut s = state.snapshots[id].snapshot.clone();
    if s.state.as_deref() == Some("pending") && now >= state.transition_ends(id) {
        s.state = Some("completed".into());
        s.progress = Some("100%".into());
        s.completion_time = Some(Timestamp(state.transition_ends(id)));
    }
    if let Some(t) = &state.snapshots[id].tiering {
        let view = t.view(state.transition_delay(), now);
        s.storage_tier = Some(view.storage_tier.into());
        s.restore_expiry_time = view.restore_expiry.map(Timestamp);
    }
    s
}

/// Refuses a snapshot of the partition that sits in the archive tier (not restored):
/// no volume, copy or image can be made of it until RestoreSnapshotTier.
pub fn check_usable(state: &Ec2State, id: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let tiering = state.snapshots.get(id).and_then(|r| r.tiering.as_ref());
    match tiering.map(|t| t.view(state.transition_delay(), now)) {
        Some(v) if !v.usable && v.operation != "archival-in-progress" => Err(errors::incorrect_state(format!(
            "The snapshot '{id}' is in the archive tier. Restore it with RestoreSnapshotTier before you use it."
        ))),
        _ => Ok(()),
    }
}

pub fn needs_settling(state: &Ec2State, now: DateTime<Utc>) -> bool {
    state
        .snapshots
        .iter()
        .any(|(id, r)| r.snapshot.state.as_deref() == Some("pending") && now >= state.transition_ends(id))
}

pub fn settle(state: &mut Ec2State, now: DateTime<Utc>) {
    let due: Vec<String> = state
        .snapshots
        .iter()
        .filter(|(id, r)| r.snapshot.state.as_deref() == Some("pending") && now >= state.transition_ends(id))
        .map(|(id, _)| id.clone())
        .collect();
    for id in due {
        let shown = snapshot_at(state, &id, now);
        if let Some(r) = state.snapshots.get_mut(&id) {
            r.snapshot = shown;
        }
    }
}

/// One of the partition's snapshots as DescribeSnapshots shows it.
pub fn describe_one(state: &Ec2State, id: &str, now: DateTime<Utc>) -> Snapshot {
    let mut s = snapshot_at(state, id, now);
    s.tags = state.dto_tags_if_any(id);
    s
}

/// A snapshot the caller may create volumes from: its own, one shared with it or public
/// (another account's, through the registry), or one of AWS's public images' snapshots.
pub fn find(state: &Ec2State, ctx: &RequestContext, shared: &Shared, id: &str) -> Result<Snapshot, ApiError> {
    check_id(id)?;
    if state.snapshots.contains_key(id) {
        check_usable(state, id, ctx.now)?;
        return Ok(describe_one(state, id, ctx.now));
    }
    if let Some(p) = shared.snapshot(&ctx.region, id).filter(|p| p.restorable_by(ctx.account())) {
        return Ok(p.snapshot_at(ctx.now));
    }
    catalogue::public_snapshots(&ctx.region)
        .into_iter()
        .find(|s| s.snapshot_id.as_deref() == Some(id))
        .ok_or_else(|| errors::invalid_snapshot_not_found(id))
}

/// A snapshot in another region (or this one) that the caller may copy.
fn find_in_region(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    region: &str,
    id: &str,
) -> Result<Snapshot, ApiError> {
    if region == ctx.region {
        return find(state, ctx, shared, id);
    }
    check_id(id)?;
    if let Some(p) = shared.snapshot(region, id).filter(|p| p.restorable_by(ctx.account())) {
        return Ok(p.snapshot_at(ctx.now));
    }
    catalogue::public_snapshots(region)
        .into_iter()
        .find(|s| s.snapshot_id.as_deref() == Some(id))
        .ok_or_else(|| errors::invalid_snapshot_not_found(id))
}

pub fn own<'a>(state: &'a Ec2State, id: &str) -> Result<&'a SnapshotRecord, ApiError> {
    check_id(id)?;
    state.snapshots.get(id).ok_or_else(|| errors::invalid_snapshot_not_found(id))
}

/// What a new snapshot is made of.
pub struct NewSnapshot {
    pub volume_id: String,
    pub volume_size: i32,
    pub encrypted: bool,
    pub kms_key_id: Option<String>,
    pub description: String,
    pub tags: Vec<(String, String)>,
}

/// Records a new `pending` snapshot and returns its id.
pub fn create_snapshot_record(state: &mut Ec2State, ctx: &RequestContext, new: NewSnapshot) -> String {
    let id = ids::resource_id("snap");
    let snapshot = Snapshot {
        snapshot_id: Some(id.clone()),
        volume_id: Some(new.volume_id),
        state: Some("pending".into()),
        start_time: Some(Timestamp(ctx.now)),
        progress: Some(String::new()),
        owner_id: Some(ctx.account().to_string()),
        description: Some(new.description),
        volume_size: Some(new.volume_size),
        encrypted: Some(new.encrypted),
        kms_key_id: new.kms_key_id.filter(|_| new.encrypted),
        storage_tier: Some("standard".into()),
        ..Default::default()
    };
    state.snapshots.insert(id.clone(), SnapshotRecord { snapshot, ..Default::default() });
    state.timestamps.insert(id.clone(), ctx.now);
    state.set_tags(&id, new.tags);
    state.unpublished.insert(id.clone());
    id
}

/// Snapshots a volume of the partition.
pub fn snapshot_volume(
    state: &mut Ec2State,
    ctx: &RequestContext,
    volume_id: &str,
    description: String,
    tags: Vec<(String, String)>,
) -> String {
    let v = &state.volumes[volume_id];
    let new = NewSnapshot {
        volume_id: volume_id.to_string(),
        volume_size: v.size.unwrap_or(1),
        encrypted: v.encrypted.unwrap_or(false),
        kms_key_id: v.kms_key_id.clone(),
        description,
        tags,
    };
    create_snapshot_record(state, ctx, new)
}

pub fn create_snapshot(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateSnapshotRequest,
) -> Result<Snapshot, ApiError> {
    volumes::describe::get(state, &input.volume_id)?;
    if input.outpost_arn.is_some() || input.location.as_deref().is_some_and(|l| l != "regional") {
        return Err(errors::invalid_parameter_value(
            "Snapshots on Outposts or in Local Zones are not supported by nimbus.",
        ));
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "snapshot")?;
    let id = snapshot_volume(state, ctx, &input.volume_id, input.description.unwrap_or_default(), tags);
    let mut shown = state.snapshots[&id].snapshot.clone();
    shown.tags = state.dto_tags_if_any(&id);
    Ok(shown)
}

pub fn create_snapshots(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateSnapshotsRequest,
) -> Result<CreateSnapshotsResult, ApiError> {
    let spec = &input.instance_specification;
    let rec = crate::state::lookup::instance(state, &spec.instance_id)?;
    let root = rec.instance.root_device_name.clone().unwrap_or_default();
    let excluded = spec.exclude_data_volume_ids.clone().unwrap_or_default();
    let attached = volumes::records::attached_to(state, &spec.instance_id);
    for id in &excluded {
        volumes::describe::get(state, id)?;
        if !attached.iter().any(|(_, v, ..)| v == id) {
            return Err(errors::invalid_parameter_value(format!(
                "The volume {id} is not attached to instance {}.",
                spec.instance_id
            )));
        }
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "snapshot")?;
    let copy_tags = match input.copy_tags_from_source.as_deref() {
        None => false,
        Some("volume") => true,
        Some(other) => return Err(invalid_value("copyTagsFromSource", other, "Valid values: volume")),
    };
    let mut out = Vec::new();
    for (device, volume_id, ..) in attached {
        let is_root = device == root;
        if (is_root && spec.exclude_boot_volume == Some(true)) || (!is_root && excluded.contains(&volume_id)) {
            continue;
        }
        let mut snapshot_tags = if copy_tags { state.tag_pairs(&volume_id) } else { Vec::new() };
        snapshot_tags.extend(tags.iter().cloned());
        let description = input.description.clone().unwrap_or_default();
        let id = snapshot_volume(state, ctx, &volume_id, description, snapshot_tags);
        let s = &state.snapshots[&id].snapshot;
        out.push(SnapshotInfo {
            description: s.description.clone(),
            tags: state.dto_tags_if_any(&id),
            encrypted: s.encrypted,
            volume_id: s.volume_id.clone(),
            state: s.state.clone(),
            volume_size: s.volume_size,
            start_time: s.start_time,
            progress: s.progress.clone(),
            owner_id: s.owner_id.clone(),
            snapshot_id: Some(id),
            ..Default::default()
        });
    }
    Ok(CreateSnapshotsResult { snapshots: Some(out) })
}

pub fn copy_snapshot(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: CopySnapshotRequest,
) -> Result<CopySnapshotResult, ApiError> {
    if !regions::is_known(&input.source_region) {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({}) for parameter sourceRegion is invalid.",
            input.source_region
        )));
    }
    if let Some(d) = input.destination_region.as_deref().filter(|d| *d != ctx.region) {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({d}) for parameter destinationRegion is invalid. The destination region is the region the request is sent to ({}).",
            ctx.region
        )));
    }
    let source = find_in_region(state, ctx, shared, &input.source_region, &input.source_snapshot_id)?;
    if source.state.as_deref() != Some("completed") {
        return Err(errors::incorrect_snapshot_state(format!(
            "Snapshot {} is not in the completed state.",
            input.source_snapshot_id
        )));
    }
    if input.kms_key_id.is_some() && input.encrypted != Some(true) && source.encrypted != Some(true) {
        return Err(errors::invalid_parameter_dependency(
            "The parameter KmsKeyId requires the parameter Encrypted to be set.",
        ));
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "snapshot")?;
    let encrypted = input.encrypted == Some(true) || source.encrypted == Some(true);
    let kms_key_id = match (&input.kms_key_id, encrypted) {
        (Some(k), _) => Some(volumes::records::kms_key_arn(ctx, k)),
        (None, true) => source.kms_key_id.clone().or_else(|| Some(volumes::records::default_kms_key(ctx))),
        (None, false) => None,
    };
    let description = input
        .description
        .clone()
        .unwrap_or_else(|| format!("[Copied {} from {}]", input.source_snapshot_id, input.source_region));
    let id = create_snapshot_record(
        state,
        ctx,
        NewSnapshot {
            volume_id: NO_VOLUME.into(),
            volume_size: source.volume_size.unwrap_or(1),
            encrypted,
            kms_key_id,
            description,
            tags,
        },
    );
    Ok(CopySnapshotResult { snapshot_id: Some(id.clone()), tags: state.dto_tags_if_any(&id) })
}

pub fn delete_snapshot(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteSnapshotRequest,
) -> Result<(), ApiError> {
    let rec = own(state, &input.snapshot_id)?;
    if let Some(lock) = rec.lock.as_ref().filter(|l| l.state(ctx.now) != "expired") {
        return Err(errors::incorrect_state(format!(
            "The snapshot '{}' is locked in {} mode and can't be deleted until {}.",
            input.snapshot_id,
            lock.mode,
            Timestamp(lock.expires).iso8601()
        )));
    }
    if let Some(image) = crate::state::lookup::image_using_snapshot(state, &input.snapshot_id) {
        return Err(errors::invalid_snapshot_in_use(&image, &input.snapshot_id));
    }
    remove(state, &input.snapshot_id);
    Ok(())
}

/// Forgets a snapshot (and unpublishes it).
pub fn remove(state: &mut Ec2State, id: &str) {
    state.snapshots.remove(id);
    // Fast snapshot restores end with their snapshot.
    state.ebs.fast_restores.retain(|_, f| f.snapshot_id != id);
    state.forget(id);
    state.unpublished.insert(id.to_string());
}

impl Filterable for Snapshot {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "description" => opt(&self.description),
            "encrypted" => self.encrypted.map(|e| vec![e.to_string()]).unwrap_or_default(),
            "owner-alias" => opt(&self.owner_alias),
            "owner-id" => opt(&self.owner_id),
            "progress" => opt(&self.progress),
            "snapshot-id" => opt(&self.snapshot_id),
            "start-time" => self.start_time.map(|t| vec![t.iso8601()]).unwrap_or_default(),
            "status" => opt(&self.state),
            "storage-tier" => opt(&self.storage_tier),
            "transfer-type" => opt(&self.transfer_type),
            "volume-id" => opt(&self.volume_id),
            "volume-size" => self.volume_size.map(|s| vec![s.to_string()]).unwrap_or_default(),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.tags)
    }
}

/// A snapshot the caller can see, with who may restore it.
struct Visible {
    snapshot: Snapshot,
    public: bool,
    users: Vec<String>,
}

pub fn describe_snapshots(
    state: &Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: DescribeSnapshotsRequest,
) -> Result<DescribeSnapshotsResult, ApiError> {
    let me = ctx.account();
    let ids = input.snapshot_ids.clone().unwrap_or_default();
    let mut all: Vec<Visible> = state
        .snapshots
        .iter()
        .map(|(id, r)| Visible {
            snapshot: describe_one(state, id, ctx.now),
            public: r.volume_groups.iter().any(|g| g == "all"),
            users: r.volume_users.clone(),
        })
        .collect();
    all.extend(shared.snapshots_visible_to(&ctx.region, me).into_iter().map(|p| Visible {
        snapshot: p.snapshot_at(ctx.now),
        public: p.record.volume_groups.iter().any(|g| g == "all"),
        users: p.record.volume_users.clone(),
    }));
    all.extend(catalogue::public_snapshots(&ctx.region).into_iter().map(|s| Visible {
        snapshot: s,
        public: true,
        users: Vec::new(),
    }));
    if !ids.is_empty() {
        let mut missing = Vec::new();
        for id in &ids {
            check_id(id)?;
            if !all.iter().any(|v| v.snapshot.snapshot_id.as_deref() == Some(id.as_str())) {
                missing.push(id.clone());
            }
        }
        if !missing.is_empty() {
            return Err(errors::invalid_snapshot_not_found(missing.join(", ")));
        }
        all.retain(|v| ids.iter().any(|id| v.snapshot.snapshot_id.as_deref() == Some(id.as_str())));
    }
    let owners = input.owner_ids.clone().unwrap_or_default();
    if !owners.is_empty() {
        all.retain(|v| {
            owners.iter().any(|o| match o.as_str() {
                "self" => v.snapshot.owner_id.as_deref() == Some(me),
                "amazon" | "aws-marketplace" => v.snapshot.owner_alias.as_deref() == Some(o.as_str()),
                account => v.snapshot.owner_id.as_deref() == Some(account),
            })
        });
    }
    let restorers = input.restorable_by_user_ids.clone().unwrap_or_default();
    if !restorers.is_empty() {
        all.retain(|v| {
            restorers.iter().any(|u| match u.as_str() {
                "all" => v.public,
                "self" => v.public || v.snapshot.owner_id.as_deref() == Some(me) || v.users.iter().any(|x| x == me),
                account => {
                    v.public || v.snapshot.owner_id.as_deref() == Some(account) || v.users.iter().any(|x| x == account)
                }
            })
        });
    }
    let mut items = filtered(all.into_iter().map(|v| v.snapshot), input.filters.as_deref())?;
    items.sort_by(|a, b| a.snapshot_id.cmp(&b.snapshot_id));
    let (page, next) = paginate(items, |s| s.snapshot_id.clone().unwrap_or_default(), input.page(), !ids.is_empty())?;
    Ok(DescribeSnapshotsResult { snapshots: Some(page), next_token: next })
}

fn unknown_attribute(attribute: &str) -> ApiError {
    invalid_value("attribute", attribute, "Unknown attribute.")
}

pub fn describe_snapshot_attribute(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeSnapshotAttributeRequest,
) -> Result<DescribeSnapshotAttributeResult, ApiError> {
    let rec = own(state, &input.snapshot_id)?;
    let mut out =
        DescribeSnapshotAttributeResult { snapshot_id: Some(input.snapshot_id.clone()), ..Default::default() };
    match input.attribute.as_str() {
        "createVolumePermission" => {
            let users =
                rec.volume_users.iter().map(|u| CreateVolumePermission { user_id: Some(u.clone()), group: None });
            let groups =
                rec.volume_groups.iter().map(|g| CreateVolumePermission { user_id: None, group: Some(g.clone()) });
            out.create_volume_permissions = Some(groups.chain(users).collect());
        }
        "productCodes" => out.product_codes = Some(Vec::new()),
        other => return Err(unknown_attribute(other)),
    }
    Ok(out)
}

/// Checks an account id given in a permission.
pub fn check_account_id(id: &str) -> Result<(), ApiError> {
    if id.len() == 12 && id.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(errors::invalid_user_id_malformed(id))
    }
}

pub fn modify_snapshot_attribute(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ModifySnapshotAttributeRequest,
) -> Result<(), ApiError> {
    own(state, &input.snapshot_id)?;
    if let Some(a) = input.attribute.as_deref().filter(|a| *a != "createVolumePermission") {
        return Err(if a == "productCodes" {
            errors::invalid_parameter_value("The productCodes attribute of a snapshot cannot be modified.")
        } else {
            unknown_attribute(a)
        });
    }
    // Either the structured form or the old one (OperationType with UserIds/GroupNames).
    let (mut add, mut remove) = (Vec::new(), Vec::new());
    if let Some(m) = &input.create_volume_permission {
        add.extend(m.add.clone().unwrap_or_default());
        remove.extend(m.remove.clone().unwrap_or_default());
    }
    let listed: Vec<CreateVolumePermission> = input
        .user_ids
        .iter()
        .flatten()
        .map(|u| CreateVolumePermission { user_id: Some(u.clone()), group: None })
        .chain(
            input
                .group_names
                .iter()
                .flatten()
                .map(|g| CreateVolumePermission { user_id: None, group: Some(g.clone()) }),
        )
        .collect();
    if !listed.is_empty() {
        match input.operation_type.as_deref() {
            Some("add") => add.extend(listed),
            Some("remove") => remove.extend(listed),
            Some(other) => return Err(invalid_value("operationType", other, "Valid values: add, remove")),
            None => return Err(errors::missing_parameter("OperationType")),
        }
    }
    if add.is_empty() && remove.is_empty() {
        return Err(errors::missing_parameter("CreateVolumePermission"));
    }
    for p in add.iter().chain(&remove) {
        if let Some(u) = &p.user_id {
            check_account_id(u)?;
        }
        if let Some(g) = p.group.as_deref().filter(|g| *g != "all") {
            return Err(invalid_value("group", g, "Valid values: all"));
        }
    }
    if add.iter().any(|p| p.group.as_deref() == Some("all")) {
        crate::state::account::check_snapshot_may_go_public(state, &input.snapshot_id)?;
    }
    let rec = state.snapshots.get_mut(&input.snapshot_id).expect("checked above");
    for p in add {
        if let Some(u) = p.user_id.filter(|u| !rec.volume_users.contains(u)) {
            rec.volume_users.push(u);
        }
        if let Some(g) = p.group.filter(|g| !rec.volume_groups.contains(g)) {
            rec.volume_groups.push(g);
        }
    }
    for p in remove {
        rec.volume_users.retain(|u| Some(u) != p.user_id.as_ref());
        rec.volume_groups.retain(|g| Some(g) != p.group.as_ref());
    }
    state.unpublished.insert(input.snapshot_id);
    Ok(())
}

pub fn reset_snapshot_attribute(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: ResetSnapshotAttributeRequest,
) -> Result<(), ApiError> {
    own(state, &input.snapshot_id)?;
    if input.attribute != "createVolumePermission" {
        return Err(unknown_attribute(&input.attribute));
    }
    let rec = state.snapshots.get_mut(&input.snapshot_id).expect("checked above");
    rec.volume_users.clear();
    rec.volume_groups.clear();
    state.unpublished.insert(input.snapshot_id);
    Ok(())
}

#[cfg(test)]
mod tests;
