//! The fleet engine EC2 Fleet and Spot Fleet share: which pools to launch in (by the
//! allocation strategy and nimbus's price model), launching through RunInstances,
//! keeping a `maintain` fleet at its target, scaling down and terminating.
//!
//! A fleet's instances count while they are `pending` or `running`; one that is stopped,
//! shutting down or terminated leaves the fleet, and a `maintain` fleet launches a
//! replacement the next time the partition is written (every write settles lifecycles
//! first, and Stop/TerminateInstances top fleets up at once).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use nimbus_core::{ApiError, RequestContext};

use crate::catalogue;
use crate::compute::instances::run::run_instances;
use crate::compute::spot::prices::{format_price, on_demand_price, spot_price};
use crate::generated::dto::{InstanceMarketOptionsRequest, SpotMarketOptions};
use crate::state::fleet::{EventKind, FleetApi, FleetEvent, FleetRecord, LaunchFailure, Member};
use crate::state::lifecycle::{shown_state, InstanceStateName as Name};
use crate::state::shared::Shared;
use crate::state::Ec2State;

/// Capacity arithmetic on weights: below this, nothing is missing.
const EPSILON: f64 = 1e-9;

/// What one top-up launched and could not launch.
#[derive(Debug, Default)]
pub struct Outcome {
    /// (pool, spot, instance ids) per successful launch.
    pub launched: Vec<(usize, bool, Vec<String>)>,
    pub failed: Vec<LaunchFailure>,
}

/// Whether an instance counts towards its fleet's capacity.
pub fn live(state: &Ec2State, instance_id: &str, now: DateTime<Utc>) -> bool {
    state
        .instances
        .get(instance_id)
        .is_some_and(|r| matches!(shown_state(state, r, now).0, Name::Pending | Name::Running))
}

/// The fleet's members that still count.
pub fn live_members<'a>(state: &'a Ec2State, rec: &'a FleetRecord, now: DateTime<Utc>) -> Vec<&'a Member> {
    rec.members.iter().filter(|m| live(state, &m.instance_id, now)).collect()
}

/// Fulfilled capacity: (total, on-demand).
pub fn fulfilled(state: &Ec2State, rec: &FleetRecord, now: DateTime<Utc>) -> (f64, f64) {
    live_members(state, rec, now)
        .iter()
        .fold((0.0, 0.0), |(total, od), m| (total + m.weight, if m.spot { od } else { od + m.weight }))
}

/// Whether the fleet still launches (not deleted, not expired, not instant).
pub fn launches(rec: &FleetRecord, now: DateTime<Utc>) -> bool {
    rec.deleted.is_none() && rec.valid_until.is_none_or(|until| now < until)
}

pub fn record(rec: &mut FleetRecord, at: DateTime<Utc>, kind: EventKind, sub_type: &str, description: String) {
    rec.history.push(FleetEvent { at, kind, sub_type: sub_type.into(), description, instance_id: None });
}

/// Drops the members that no longer count, with a history record for each.
pub fn prune(state: &mut Ec2State, fleet_id: &str, now: DateTime<Utc>) {
    let Some(rec) = state.fleets.fleets.get(fleet_id).filter(|r| r.deleted.is_none()) else { return };
    let gone: Vec<(String, &'static str)> = rec
        .members
        .iter()
        .filter(|m| !live(state, &m.instance_id, now))
        .map(|m| {
            let stopped = state
                .instances
                .get(&m.instance_id)
                .is_some_and(|r| matches!(shown_state(state, r, now).0, Name::Stopping | Name::Stopped));
            (m.instance_id.clone(), if stopped { "stopped" } else { "terminated" })
        })
        .collect();
    if gone.is_empty() {
        return;
    }
    let rec = state.fleets.fleets.get_mut(fleet_id).expect("looked up above");
    rec.members.retain(|m| !gone.iter().any(|(id, _)| *id == m.instance_id));
    for (id, why) in gone {
        rec.history.push(FleetEvent {
            at: now,
            kind: EventKind::Instance,
            sub_type: why.into(),
            description: format!("{{\"instanceId\":\"{id}\"}}"),
            instance_id: Some(id),
        });
    }
}

/// The zone a pool's price is read in: its own, else the first zone offering its type.
fn price_zone(region: &str, rec: &FleetRecord, pool: usize) -> String {
    let p = &rec.pools[pool];
    p.zone
        .clone()
        .unwrap_or_else(|| catalogue::zones_offering(region, &p.instance_type).first().cloned().unwrap_or_default())
}

/// The price per capacity unit nimbus's model gives a pool (Linux/UNIX): Spot in its
/// zone, or On-Demand, over the pool's weight (AWS compares pools per unit).
pub fn pool_price(region: &str, rec: &FleetRecord, pool: usize, spot: bool, now: DateTime<Utc>) -> f64 {
    let p = &rec.pools[pool];
    let price = if spot {
        spot_price(&p.instance_type, &price_zone(region, rec, pool), "Linux/UNIX", now)
    } else {
        on_demand_price(&p.instance_type, "Linux/UNIX")
    };
    price.map_or(f64::MAX, |price| price / p.weight.max(EPSILON))
}

/// The pools in the order the allocation strategy tries them. nimbus has no capacity
/// model, so the capacity-optimized strategies keep the order given (or the priorities),
/// and price-capacity-optimized is lowest-price.
pub fn ordered_pools(region: &str, rec: &FleetRecord, spot: bool, now: DateTime<Utc>) -> Vec<usize> {
    let strategy = if spot { rec.spot_strategy.as_str() } else { rec.on_demand_strategy.as_str() };
    let mut order: Vec<usize> = (0..rec.pools.len()).collect();
    let priority = |i: usize| rec.pools[i].priority.unwrap_or(f64::MAX);
    match strategy {
        "prioritized" | "capacity-optimized-prioritized" => order.sort_by(|a, b| priority(*a).total_cmp(&priority(*b))),
        "capacity-optimized" => {}
        _ => {
            let prices: Vec<f64> = order.iter().map(|i| pool_price(region, rec, *i, spot, now)).collect();
            order.sort_by(|a, b| prices[*a].total_cmp(&prices[*b]));
        }
    }
    order
}

/// Across how many pools one top-up spreads.
fn spread(rec: &FleetRecord, spot: bool, pools: usize) -> usize {
    match (spot, rec.spot_strategy.as_str()) {
        (true, "diversified") => pools,
        (true, "lowest-price") => rec.pools_to_use.max(1),
        _ => 1,
    }
    .max(1)
}

/// Instances per pool to add `need` capacity across `pools`, one instance at a time in turn.
fn share(rec: &FleetRecord, pools: &[usize], need: f64) -> Vec<usize> {
    let mut counts = vec![0; pools.len()];
    let mut left = need;
    let mut i = 0;
    while left > EPSILON {
        counts[i] += 1;
        left -= rec.pools[pools[i]].weight.max(EPSILON);
        i = (i + 1) % pools.len();
    }
    counts
}

/// Launches up to the fleet's targets. Pools that fail are recorded and the next pool in
/// the strategy's order takes their share.
pub fn top_up(state: &mut Ec2State, ctx: &RequestContext, shared: &Shared, fleet_id: &str) -> Outcome {
    let mut out = Outcome::default();
    let Some(rec) = state.fleets.fleets.get(fleet_id) else { return out };
    if !launches(rec, ctx.now) {
        return out;
    }
    let (total, od) = fulfilled(state, rec, ctx.now);
    let needs = [(false, f64::from(rec.targets.on_demand) - od), (true, f64::from(rec.targets.spot) - (total - od))];
    for (spot, need) in needs {
        if need > EPSILON {
            fill(state, ctx, shared, fleet_id, spot, need, &mut out);
        }
    }
    let rec = state.fleets.fleets.get_mut(fleet_id).expect("looked up above");
    rec.failures = out.failed.clone();
    out
}

fn fill(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    fleet_id: &str,
    spot: bool,
    need: f64,
    out: &mut Outcome,
) {
    let rec = &state.fleets.fleets[fleet_id];
    let order = ordered_pools(&ctx.region, rec, spot, ctx.now);
    let k = spread(rec, spot, order.len());
    let mut failed = BTreeSet::new();
    let mut left = need;
    loop {
        let rec = &state.fleets.fleets[fleet_id];
        let usable: Vec<usize> = order.iter().copied().filter(|p| !failed.contains(p)).take(k).collect();
        if usable.is_empty() || left <= EPSILON {
            return;
        }
        let counts = share(rec, &usable, left);
        let mut any_failed = false;
        for (pool, n) in usable.into_iter().zip(counts) {
            if n == 0 {
                continue;
            }
            match launch(state, ctx, shared, fleet_id, pool, spot, n) {
                Ok(ids) => {
                    left -= ids.len() as f64 * state.fleets.fleets[fleet_id].pools[pool].weight;
                    out.launched.push((pool, spot, ids));
                }
                Err(e) => {
                    failed.insert(pool);
                    any_failed = true;
                    let failure = LaunchFailure { pool, spot, code: e.code.clone(), message: e.message.clone() };
                    let rec = state.fleets.fleets.get_mut(fleet_id).expect("looked up above");
                    let what = &rec.pools[pool];
                    let image = what.launch.image_id.clone().unwrap_or_default();
                    let description = format!("{}, {image}, Linux/UNIX: {}", what.instance_type, e.message);
                    record(rec, ctx.now, EventKind::Error, "spotFleetRequestConfigurationInvalid", description);
                    out.failed.push(failure);
                }
            }
        }
        if !any_failed {
            return;
        }
    }
}

/// The tag AWS puts on a fleet's instances.
pub fn fleet_tag(api: FleetApi) -> &'static str {
    match api {
        FleetApi::Ec2Fleet => "aws:ec2:fleet-id",
        FleetApi::SpotFleet => "aws:ec2spot:fleet-request-id",
    }
}

/// Launches `n` instances in a pool through RunInstances, on a copy of the partition so
/// that a launch that fails changes nothing.
fn launch(
    state: &mut Ec2State,
    ctx: &RequestContext,
    shared: &Shared,
    fleet_id: &str,
    pool: usize,
    spot: bool,
    n: usize,
) -> Result<Vec<String>, ApiError> {
    let rec = &state.fleets.fleets[fleet_id];
    let p = &rec.pools[pool];
    let mut request = p.launch.clone();
    request.min_count = 1;
    request.max_count = i32::try_from(n).unwrap_or(i32::MAX);
    request.client_token = None;
    request.instance_market_options = Some(if spot {
        InstanceMarketOptionsRequest {
            market_type: Some("spot".into()),
            spot_options: Some(SpotMarketOptions {
                max_price: p.max_price.or(rec.spot_max_price).map(format_price),
                spot_instance_type: Some("one-time".into()),
                instance_interruption_behavior: Some("terminate".into()),
                ..Default::default()
            }),
        }
    } else {
        InstanceMarketOptionsRequest { market_type: Some("on-demand".into()), spot_options: None }
    });
    let (api, weight) = (rec.api, p.weight);
    let mut trial = state.clone();
    let reservation = run_instances(&mut trial, ctx, shared, request)?;
    *state = trial;
    let ids: Vec<String> =
        reservation.instances.unwrap_or_default().into_iter().filter_map(|i| i.instance_id).collect();
    for id in &ids {
        state.set_tags(id, [(fleet_tag(api).to_string(), fleet_id.to_string())]);
    }
    let described: Vec<(String, String, String, String)> = ids
        .iter()
        .map(|id| {
            let i = &state.instances[id].instance;
            let zone = i.placement.as_ref().and_then(|p| p.availability_zone.clone()).unwrap_or_default();
            let product = if i.platform.as_deref() == Some("windows") { "Windows" } else { "Linux/UNIX" };
            (
                id.clone(),
                i.instance_type.clone().unwrap_or_default(),
                i.image_id.clone().unwrap_or_default(),
                format!("{product}|{zone}"),
            )
        })
        .collect();
    let rec = state.fleets.fleets.get_mut(fleet_id).expect("looked up above");
    for (id, instance_type, image, product_zone) in described {
        let (product, zone) = product_zone.split_once('|').unwrap_or_default();
        rec.members.push(Member { instance_id: id.clone(), pool, spot, weight });
        rec.history.push(FleetEvent {
            at: ctx.now,
            kind: EventKind::Instance,
            sub_type: "launched".into(),
            description: format!(
                "{{\"instanceType\":\"{instance_type}\",\"image\":\"{image}\",\"productDescription\":\"{product}\",\"availabilityZone\":\"{zone}\"}}"
            ),
            instance_id: Some(id),
        });
    }
    Ok(ids)
}

/// Starts terminating instances for the fleet (as the service, not the user: the
/// instances' termination protection does not apply).
pub fn terminate(state: &mut Ec2State, now: DateTime<Utc>, ids: &[String]) {
    for id in ids {
        let Some(rec) = state.instances.get(id) else { continue };
        if matches!(shown_state(state, rec, now).0, Name::ShuttingDown | Name::Terminated) {
            continue;
        }
        let rec = state.instances.get_mut(id).expect("looked up above");
        rec.stored_state = Name::ShuttingDown;
        rec.since = now;
        state.index.instance(id);
    }
}

/// Scales a fleet down to its targets when its excess-capacity policy says so: the most
/// recently launched instances of the purchase option over its target go first.
pub fn scale_down(state: &mut Ec2State, now: DateTime<Utc>, fleet_id: &str) {
    let Some(rec) = state.fleets.fleets.get(fleet_id) else { return };
    if !rec.terminate_excess {
        return;
    }
    let (total, od) = fulfilled(state, rec, now);
    let mut have = [(false, od, rec.targets.on_demand), (true, total - od, rec.targets.spot)];
    let mut victims = Vec::new();
    for m in live_members(state, rec, now).into_iter().rev() {
        let slot = have.iter_mut().find(|(spot, _, _)| *spot == m.spot).expect("both purchase options are listed");
        if slot.1 - m.weight >= f64::from(slot.2) - EPSILON {
            slot.1 -= m.weight;
            victims.push(m.instance_id.clone());
        }
    }
    terminate(state, now, &victims);
    prune(state, fleet_id, now);
}

/// Keeps every `maintain` fleet at its target: run on every write (after lifecycles
/// settle) and right after instances are stopped or terminated.
pub fn maintain_all(state: &mut Ec2State, ctx: &RequestContext, shared: &Shared) {
    if state.fleets.fleets.is_empty() {
        return;
    }
    let ids: Vec<String> = state.fleets.fleets.keys().cloned().collect();
    for id in ids {
        prune(state, &id, ctx.now);
        let rec = &state.fleets.fleets[&id];
        if rec.fleet_type == "maintain" && launches(rec, ctx.now) {
            top_up(state, ctx, shared, &id);
        }
    }
}
