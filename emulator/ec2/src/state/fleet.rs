//! EC2 Fleets and Spot Fleet requests: what was asked (in the API's own shape, for
//! Describe), the capacity pools it resolved to, the instances it launched and its
//! history. One record serves both APIs; `FleetApi` says which one made it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::generated::dto;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FleetState {
    /// EC2 Fleets (`fleet-...`) and Spot Fleet requests (`sfr-...`) by id.
    pub fleets: BTreeMap<String, FleetRecord>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FleetApi {
    /// CreateFleet.
    #[default]
    Ec2Fleet,
    /// RequestSpotFleet.
    SpotFleet,
}

/// Target capacity per purchase option, in the fleet's capacity units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Targets {
    pub total: i32,
    pub on_demand: i32,
    pub spot: i32,
}

/// One capacity pool: a launch template (or launch specification) with one override
/// applied, ready for RunInstances.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Pool {
    /// What RunInstances is asked for (count and market options are set per launch).
    pub launch: dto::RunInstancesRequest,
    pub instance_type: String,
    /// The zone the pool launches in, when the override or subnet names one.
    pub zone: Option<String>,
    pub weight: f64,
    pub priority: Option<f64>,
    /// The pool's own maximum Spot price, if any.
    pub max_price: Option<f64>,
    /// Which launch template config (and override) this pool came from, as the API
    /// answers it in `LaunchTemplateAndOverrides`.
    pub template_and_overrides: Option<dto::LaunchTemplateAndOverridesResponse>,
}

/// An instance the fleet launched and still counts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Member {
    pub instance_id: String,
    pub pool: usize,
    pub spot: bool,
    pub weight: f64,
}

/// One history record, in neutral terms (each API names the types its own way).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FleetEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub sub_type: String,
    pub description: String,
    pub instance_id: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    #[default]
    Fleet,
    Instance,
    Error,
}

/// A launch that failed in a pool.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LaunchFailure {
    pub pool: usize,
    pub spot: bool,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FleetRecord {
    pub api: FleetApi,
    /// `request`, `maintain` or `instant`.
    pub fleet_type: String,
    pub create_time: DateTime<Utc>,
    pub pools: Vec<Pool>,
    pub targets: Targets,
    /// The targets given explicitly (the rest goes to the default type).
    pub explicit_on_demand: Option<i32>,
    pub explicit_spot: Option<i32>,
    /// `spot` or `on-demand`: where capacity not given explicitly goes.
    pub default_type: String,
    /// Allocation strategies, in the EC2 Fleet API's spelling (`lowest-price`, ...).
    pub spot_strategy: String,
    pub on_demand_strategy: String,
    pub pools_to_use: usize,
    /// Scaling down terminates instances (EC2 Fleet `termination`, Spot Fleet `default`).
    pub terminate_excess: bool,
    /// The fleet-wide maximum Spot price (Spot Fleet `SpotPrice`).
    pub spot_max_price: Option<f64>,
    pub valid_until: Option<DateTime<Utc>>,
    pub members: Vec<Member>,
    pub history: Vec<FleetEvent>,
    /// What the last launch could not do (answered by CreateFleet for instant fleets).
    pub failures: Vec<LaunchFailure>,
    /// When DeleteFleets / CancelSpotFleetRequests ended it, and whether it terminated
    /// its instances.
    pub deleted: Option<(DateTime<Utc>, bool)>,
    /// The request as DescribeFleets answers it (without what is derived).
    pub ec2: Option<dto::FleetData>,
    /// The request as DescribeSpotFleetRequests answers it (without what is derived).
    pub spot: Option<dto::SpotFleetRequestConfigData>,
}
