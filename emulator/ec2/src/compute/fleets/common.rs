//! What both fleet APIs derive the same way: a fleet's state and activity status at
//! `now`, the allocation strategies in either spelling, and the target capacities.

use chrono::{DateTime, Utc};
use nimbus_core::ApiError;

use super::engine::{fulfilled, live};
use crate::generated::errors;
use crate::state::fleet::{FleetRecord, Targets};
use crate::state::lifecycle::{shown_state, InstanceStateName as Name};
use crate::state::Ec2State;

/// Where a fleet is in its life, in neutral terms; each API names them its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Active,
    /// Deleted or cancelled, its instances terminating.
    EndedTerminating,
    /// Deleted or cancelled, its instances left running.
    EndedRunning,
    /// Deleted or cancelled, nothing of it left running.
    Ended,
}

pub fn phase(state: &Ec2State, rec: &FleetRecord, now: DateTime<Utc>) -> Phase {
    let Some((_, terminate)) = rec.deleted else { return Phase::Active };
    let not_terminated =
        |id: &str| state.instances.get(id).is_some_and(|r| shown_state(state, r, now).0 != Name::Terminated);
    if terminate && rec.members.iter().any(|m| not_terminated(&m.instance_id)) {
        Phase::EndedTerminating
    } else if !terminate && rec.members.iter().any(|m| live(state, &m.instance_id, now)) {
        Phase::EndedRunning
    } else {
        Phase::Ended
    }
}

/// `fulfilled`, `pending_fulfillment`, `pending_termination` or `error`.
pub fn activity(state: &Ec2State, rec: &FleetRecord, now: DateTime<Utc>) -> &'static str {
    if phase(state, rec, now) == Phase::EndedTerminating {
        return "pending_termination";
    }
    let (total, _) = fulfilled(state, rec, now);
    if total + 1e-9 >= f64::from(rec.targets.total) {
        "fulfilled"
    } else if !rec.failures.is_empty() {
        "error"
    } else {
        "pending_fulfillment"
    }
}

/// A Spot allocation strategy in the EC2 Fleet API's spelling, from either API's.
pub fn spot_strategy(given: &str) -> Option<&'static str> {
    Some(match given {
        "lowest-price" | "lowestPrice" => "lowest-price",
        "diversified" => "diversified",
        "capacity-optimized" | "capacityOptimized" => "capacity-optimized",
        "capacity-optimized-prioritized" | "capacityOptimizedPrioritized" => "capacity-optimized-prioritized",
        "price-capacity-optimized" | "priceCapacityOptimized" => "price-capacity-optimized",
        _ => return None,
    })
}

/// An On-Demand allocation strategy in the EC2 Fleet API's spelling, from either API's.
pub fn on_demand_strategy(given: &str) -> Option<&'static str> {
    Some(match given {
        "lowest-price" | "lowestPrice" => "lowest-price",
        "prioritized" => "prioritized",
        _ => return None,
    })
}

/// AWS answers the lowest-price strategy as `lowestPrice` whichever way it was asked
/// (the Terraform provider sends and expects that spelling).
pub fn echo_strategy(given: &str) -> String {
    if given == "lowest-price" {
        "lowestPrice".into()
    } else {
        given.into()
    }
}

pub fn invalid_strategy(parameter: &str, given: &str) -> ApiError {
    errors::invalid_parameter_value(format!("Value ({given}) for parameter {parameter} is invalid."))
}

/// The targets per purchase option: what is given explicitly, the rest of the total to
/// the default type. A total below what is given explicitly is refused.
pub fn resolve_targets(
    total: i32,
    on_demand: Option<i32>,
    spot: Option<i32>,
    default_type: &str,
) -> Result<Targets, ApiError> {
    for (name, value) in
        [("TotalTargetCapacity", Some(total)), ("OnDemandTargetCapacity", on_demand), ("SpotTargetCapacity", spot)]
    {
        if value.is_some_and(|v| v < 0) {
            return Err(errors::invalid_target_capacity_specification(format!(
                "{name} must be greater than or equal to 0." // guessed wording
            )));
        }
    }
    let (od, sp) = (on_demand.unwrap_or(0), spot.unwrap_or(0));
    let rest = total - od - sp;
    if rest < 0 {
        return Err(errors::invalid_target_capacity_specification(format!(
            "The total target capacity ({total}) must be at least the sum of the On-Demand ({od}) and Spot ({sp}) target capacities." // guessed wording
        )));
    }
    Ok(match default_type {
        "spot" => Targets { total, on_demand: od, spot: sp + rest },
        _ => Targets { total, on_demand: od + rest, spot: sp },
    })
}

/// New targets for a new total, keeping what was given explicitly where the total allows
/// (the default type takes the difference first).
pub fn retarget(rec: &FleetRecord, total: i32) -> Result<Targets, ApiError> {
    let (mut od, mut sp) = (rec.explicit_on_demand, rec.explicit_spot);
    let given = od.unwrap_or(0) + sp.unwrap_or(0);
    if given > total {
        // Shrink the explicit targets, the non-default type first.
        let mut over = given - total;
        let order: [&mut Option<i32>; 2] =
            if rec.default_type == "spot" { [&mut od, &mut sp] } else { [&mut sp, &mut od] };
        for slot in order {
            if let Some(v) = slot.as_mut() {
                let cut = over.min(*v);
                *v -= cut;
                over -= cut;
            }
        }
    }
    resolve_targets(total, od, sp, &rec.default_type)
}
