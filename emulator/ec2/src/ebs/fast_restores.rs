//! Fast snapshot restores, per snapshot and Availability Zone: EnableFastSnapshotRestores
//! (`enabling`, then `optimizing` and `enabled` one transition apart on nimbus's clock),
//! DisableFastSnapshotRestores (`disabling`, then `disabled`, shown for an hour), and
//! DescribeFastSnapshotRestores with its filters. Enable and Disable answer each pair in
//! `Successful` or, with the error AWS would raise, in `Unsuccessful`. Not modelled: the
//! per-Region limit of snapshots with fast restores and the volume-creation credits.

use chrono::{DateTime, Duration, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::types::Timestamp;
use nimbus_core::{regions, ApiError, RequestContext};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

use crate::ebs::snapshots::{check_id, find};
use crate::generated::dto::{
    DescribeFastSnapshotRestoreSuccessItem as Item, DescribeFastSnapshotRestoresRequest,
    DescribeFastSnapshotRestoresResult, DisableFastSnapshotRestoresRequest, DisableFastSnapshotRestoresResult,
    EnableFastSnapshotRestoresRequest, EnableFastSnapshotRestoresResult,
};
use crate::generated::errors;
use crate::state::ebs::FastRestore;
use crate::state::shared::Shared;
use crate::state::support::{filtered, paginate};
use crate::state::Ec2State;

/// How long a disabled pair stays listed.
const DISABLED_VISIBLE: Duration = Duration::hours(1);

const USER: &str = "Client.UserInitiated";
const LIFECYCLE: &str = "Client.UserInitiated - Lifecycle state transition";

fn key(snapshot: &str, zone: &str) -> String {
    format!("{snapshot}|{zone}")
}

/// The pair as DescribeFastSnapshotRestores shows it at `now` (`None` once a disabled
/// pair is no longer listed).
fn shown(f: &FastRestore, delay: Duration, now: DateTime<Utc>) -> Option<Item> {
    let mut item = Item {
        snapshot_id: Some(f.snapshot_id.clone()),
        availability_zone: Some(f.zone.clone()),
        availability_zone_id: Some(f.zone_id.clone()),
        owner_id: Some(f.owner_id.clone()),
        enabling_time: Some(Timestamp(f.enabled_at)),
        ..Default::default()
    };
    let (optimizing, enabled) = (f.enabled_at + delay, f.enabled_at + delay * 2);
    let until = f.disabled_at.unwrap_or(now);
    if until >= optimizing {
        item.optimizing_time = Some(Timestamp(optimizing));
    }
    if until >= enabled {
        item.enabled_time = Some(Timestamp(enabled));
    }
    let (state, reason) = match f.disabled_at {
        Some(at) if now >= at + delay + DISABLED_VISIBLE => return None,
        Some(at) if now >= at + delay => {
            item.disabling_time = Some(Timestamp(at));
            item.disabled_time = Some(Timestamp(at + delay));
            ("disabled", LIFECYCLE)
        }
        Some(at) => {
            item.disabling_time = Some(Timestamp(at));
            ("disabling", USER)
        }
        None if now >= enabled => ("enabled", LIFECYCLE),
        None if now >= optimizing => ("optimizing", LIFECYCLE),
        None => ("enabling", USER),
    };
    item.state = Some(state.into());
    item.state_transition_reason = Some(reason.into());
    Some(item)
}

/// The zones a request names, as (name, id); an unknown one refuses the whole request.
fn zones(
    ctx: &RequestContext,
    names: Option<&[String]>,
    ids: Option<&[String]>,
) -> Result<Vec<(String, String)>, ApiError> {
    let all = regions::availability_zones(&ctx.region);
    let mut out = Vec::new();
    for n in names.unwrap_or_default() {
        let z = all.iter().find(|z| &z.zone_name == n).ok_or_else(|| errors::invalid_zone_not_found(n))?;
        out.push((z.zone_name.clone(), z.zone_id.clone()));
    }
    for i in ids.unwrap_or_default() {
        let z = all.iter().find(|z| &z.zone_id == i).ok_or_else(|| errors::invalid_zone_not_found(i))?;
        out.push((z.zone_name.clone(), z.zone_id.clone()));
    }
    if out.is_empty() {
        return Err(errors::missing_parameter("AvailabilityZones"));
    }
    out.dedup();
    Ok(out)
}

fn convert<A: Serialize, B: DeserializeOwned>(a: A) -> B {
    serde_json::from_value(serde_json::to_value(a).expect("a DTO serializes")).expect("the shapes match")
}

/// `Unsuccessful` in AWS's shape: per snapshot, the zones that failed and why.
fn unsuccessful<T: DeserializeOwned>(failed: Vec<(String, String, String, ApiError)>) -> Option<Vec<T>> {
    let mut by_snapshot: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for (snapshot, zone, zone_id, err) in failed {
        let entry = json!({"AvailabilityZone": zone, "AvailabilityZoneId": zone_id,
            "Error": {"Code": err.code, "Message": err.message}});
        match by_snapshot.iter_mut().find(|(s, _)| *s == snapshot) {
            Some((_, v)) => v.push(entry),
            None => by_snapshot.push((snapshot, vec![entry])),
        }
    }
    let items = by_snapshot
        .into_iter()
        .map(|(s, errors)| json!({"SnapshotId": s, "FastSnapshotRestoreStateErrors": errors}))
        .map(|v| serde_json::from_value(v).expect("the shape is AWS's"))
        .collect();
    Some(items)
}

type Outcome = (Vec<Item>, Vec<(String, String, String, ApiError)>);

pub fn enable_fast_snapshot_restores(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    input: EnableFastSnapshotRestoresRequest,
) -> Result<EnableFastSnapshotRestoresResult, ApiError> {
    let zones = zones(ctx, input.availability_zones.as_deref(), input.availability_zone_ids.as_deref())?;
    let delay = state.transition_delay();
    let (mut ok, mut failed): Outcome = (Vec::new(), Vec::new());
    for snapshot_id in &input.source_snapshot_ids {
        check_id(snapshot_id)?;
        let found = find(state, ctx, shared, snapshot_id).and_then(|s| match s.state.as_deref() {
            Some("completed") => Ok(s),
            _ => Err(errors::incorrect_state(format!("The snapshot '{snapshot_id}' is not in the completed state."))),
        });
        for (zone, zone_id) in &zones {
            let snap = match &found {
                Ok(s) => s,
                Err(e) => {
                    failed.push((snapshot_id.clone(), zone.clone(), zone_id.clone(), e.clone()));
                    continue;
                }
            };
            let k = key(snapshot_id, zone);
            // Enabling a pair already enabled (or on its way) answers its current state.
            let current = state.ebs.fast_restores.get(&k).filter(|f| f.disabled_at.is_none());
            let fresh = current.is_none();
            if fresh {
                let record = FastRestore {
                    snapshot_id: snapshot_id.clone(),
                    zone: zone.clone(),
                    zone_id: zone_id.clone(),
                    owner_id: snap.owner_id.clone().unwrap_or_default(),
                    enabled_at: ctx.now,
                    disabled_at: None,
                };
                state.ebs.fast_restores.insert(k.clone(), record);
            }
            // The answer shows the first state, whatever the delay; reads move on.
            ok.extend(shown(&state.ebs.fast_restores[&k], delay, ctx.now).map(|mut i| {
                if fresh {
                    (i.optimizing_time, i.enabled_time) = (None, None);
                    i.state = Some("enabling".into());
                    i.state_transition_reason = Some(USER.into());
                }
                i
            }));
        }
    }
    Ok(EnableFastSnapshotRestoresResult {
        successful: Some(ok.into_iter().map(convert).collect()),
        unsuccessful: unsuccessful(failed),
    })
}

pub fn disable_fast_snapshot_restores(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DisableFastSnapshotRestoresRequest,
) -> Result<DisableFastSnapshotRestoresResult, ApiError> {
    let zones = zones(ctx, input.availability_zones.as_deref(), input.availability_zone_ids.as_deref())?;
    let delay = state.transition_delay();
    let (mut ok, mut failed): Outcome = (Vec::new(), Vec::new());
    for snapshot_id in &input.source_snapshot_ids {
        check_id(snapshot_id)?;
        for (zone, zone_id) in &zones {
            let k = key(snapshot_id, zone);
            match state.ebs.fast_restores.get_mut(&k) {
                Some(f) if f.disabled_at.is_none() => {
                    f.disabled_at = Some(ctx.now);
                    ok.extend(shown(f, delay, ctx.now).map(|mut i| {
                        i.disabled_time = None;
                        i.state = Some("disabling".into());
                        i.state_transition_reason = Some(USER.into());
                        i
                    }));
                }
                _ => failed.push((
                    snapshot_id.clone(),
                    zone.clone(),
                    zone_id.clone(),
                    errors::incorrect_state(format!(
                        "Fast snapshot restores are not enabled for snapshot '{snapshot_id}' in {zone}."
                    )),
                )),
            }
        }
    }
    Ok(DisableFastSnapshotRestoresResult {
        successful: Some(ok.into_iter().map(convert).collect()),
        unsuccessful: unsuccessful(failed),
    })
}

impl Filterable for Item {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "availability-zone" => opt(&self.availability_zone),
            "owner-id" => opt(&self.owner_id),
            "snapshot-id" => opt(&self.snapshot_id),
            "state" => opt(&self.state),
            _ => return None,
        })
    }
}

pub fn describe_fast_snapshot_restores(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeFastSnapshotRestoresRequest,
) -> Result<DescribeFastSnapshotRestoresResult, ApiError> {
    let delay = state.transition_delay();
    let all = state.ebs.fast_restores.values().filter_map(|f| shown(f, delay, ctx.now));
    let items = filtered(all, input.filters.as_deref())?;
    let id_of = |i: &Item| key(i.snapshot_id.as_deref().unwrap_or(""), i.availability_zone.as_deref().unwrap_or(""));
    let (page, next) = paginate(items, id_of, input.page(), false)?;
    Ok(DescribeFastSnapshotRestoresResult { fast_snapshot_restores: Some(page), next_token: next })
}

#[cfg(test)]
mod tests {
    use nimbus_core::RequestContext;
    use serde_json::{json, Value};

    use crate::testing::{call, later, refused, str_at, with_delay};

    fn states(v: &Value) -> Vec<String> {
        v["FastSnapshotRestores"].as_array().unwrap().iter().map(|i| i["State"].as_str().unwrap().to_string()).collect()
    }

    #[test]
    fn enabling_optimizing_enabled_then_disabled() {
        let ec2 = with_delay(10);
        let ctx = RequestContext::for_tests();
        let vol = str_at(
            &call(&ec2, &ctx, "CreateVolume", json!({"AvailabilityZone": "us-east-1a", "Size": 4})),
            "/VolumeId",
        );
        let t = later(&ctx, 10);
        let snap = str_at(&call(&ec2, &t, "CreateSnapshot", json!({"VolumeId": vol})), "/SnapshotId");
        let req = json!({"SourceSnapshotIds": [snap], "AvailabilityZones": ["us-east-1a", "us-east-1b"]});
        let pending = call(&ec2, &t, "EnableFastSnapshotRestores", req.clone());
        assert_eq!(pending["Successful"], json!([]));
        assert_eq!(pending["Unsuccessful"][0]["FastSnapshotRestoreStateErrors"].as_array().unwrap().len(), 2);
        assert_eq!(pending["Unsuccessful"][0]["FastSnapshotRestoreStateErrors"][0]["Error"]["Code"], "IncorrectState");
        let t0 = later(&ctx, 20);
        let on = call(&ec2, &t0, "EnableFastSnapshotRestores", req.clone());
        assert_eq!(on["Successful"][0]["State"], "enabling");
        assert!(on["Successful"][1]["AvailabilityZoneId"].as_str().unwrap().starts_with("use1-az"));
        let all = json!({});
        assert_eq!(
            states(&call(&ec2, &later(&ctx, 30), "DescribeFastSnapshotRestores", all.clone())),
            ["optimizing", "optimizing"]
        );
        let t2 = later(&ctx, 40);
        assert_eq!(states(&call(&ec2, &t2, "DescribeFastSnapshotRestores", all.clone())), ["enabled", "enabled"]);
        let one = json!({"SourceSnapshotIds": [snap], "AvailabilityZones": ["us-east-1a"]});
        let off = call(&ec2, &t2, "DisableFastSnapshotRestores", one.clone());
        assert_eq!(off["Successful"][0]["State"], "disabling");
        let again = call(&ec2, &t2, "DisableFastSnapshotRestores", one.clone());
        assert_eq!(again["Unsuccessful"][0]["SnapshotId"], snap.as_str());
        let t3 = later(&ctx, 50);
        let f = json!({"Filters": [{"Name": "state", "Values": ["disabled"]}]});
        let disabled = call(&ec2, &t3, "DescribeFastSnapshotRestores", f);
        assert_eq!(disabled["FastSnapshotRestores"][0]["AvailabilityZone"], "us-east-1a");
        assert!(disabled["FastSnapshotRestores"][0].get("DisabledTime").is_some());
        let missing = json!({"SourceSnapshotIds": ["snap-0123456789abcdef0"], "AvailabilityZones": ["us-east-1a"]});
        let out = call(&ec2, &t3, "EnableFastSnapshotRestores", missing);
        assert_eq!(
            out["Unsuccessful"][0]["FastSnapshotRestoreStateErrors"][0]["Error"]["Code"],
            "InvalidSnapshot.NotFound"
        );
        let bad_zone = json!({"SourceSnapshotIds": [snap], "AvailabilityZones": ["us-east-1z"]});
        assert_eq!(refused(&ec2, &t3, "EnableFastSnapshotRestores", bad_zone), "InvalidZone.NotFound");
        assert_eq!(
            refused(&ec2, &t3, "EnableFastSnapshotRestores", json!({"SourceSnapshotIds": [snap]})),
            "MissingParameter"
        );
        // Deleting the snapshot ends its fast restores.
        call(&ec2, &t3, "DeleteSnapshot", json!({"SnapshotId": snap}));
        assert_eq!(states(&call(&ec2, &t3, "DescribeFastSnapshotRestores", all)), Vec::<String>::new());
    }
}
