//! Spot Instance requests and the account's Spot data feed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::generated::dto;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SpotState {
    /// Requests by id (`sir-...`).
    pub requests: BTreeMap<String, SpotRequestRecord>,
    /// The account's data feed subscription in this region, if any.
    pub datafeed: Option<dto::SpotDatafeedSubscription>,
}

/// A Spot Instance request: what was asked (in AWS's shape, without the parts that move
/// with the instance) and what nimbus needs to derive the rest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SpotRequestRecord {
    /// Id, type, price, launch specification, times, interruption behaviour.
    pub request: dto::SpotInstanceRequest,
    /// What launches (and, for a persistent request, relaunches) its instance.
    pub launch: dto::RunInstancesRequest,
    /// The instance it launched last, if any.
    pub instance_id: Option<String>,
    /// The zone its instance launched in.
    pub launched_zone: Option<String>,
    /// When CancelSpotInstanceRequests cancelled it.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When its state last changed by a request (launch, relaunch, cancel).
    pub since: DateTime<Utc>,
}
