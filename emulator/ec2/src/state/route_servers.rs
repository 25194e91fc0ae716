//! VPC Route Server records: route servers with their VPC association and route-table
//! propagations, endpoints (an interface in a subnet) and BGP peers of an endpoint.
//!
//! Each record keeps what last happened to it and when (`Life`, shared with the Transit
//! Gateway family); the state AWS shows is derived from it and nimbus's clock:
//! `pending` -> `available`, `modifying` -> `available`, `deleting` -> `deleted` (shown
//! for an hour, then forgotten); associations `associating` -> `associated`,
//! `disassociating` -> gone; propagations `pending` -> `available`, `deleting` -> gone.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::transit::{Life, Stage};

/// A route server: its settings, its VPC association (AWS allows one) and the route
/// tables it propagates to, each with its own life.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RouteServerRecord {
    pub id: String,
    pub amazon_side_asn: i64,
    /// Whether routes persist after all BGP sessions end.
    pub persist_routes: bool,
    /// Minutes (1-5), shown while routes persist.
    pub persist_routes_duration: Option<i64>,
    /// The persistence state shown during a modification that changes it (`enabling`,
    /// `disabling`, `resetting`), until the route server is `available` again.
    pub persist_transition: Option<String>,
    pub sns_notifications_enabled: bool,
    pub sns_topic_arn: Option<String>,
    pub life: Life,
    /// Associated VPCs by id (`Created`, or `Deleted` while disassociating).
    pub associations: BTreeMap<String, Life>,
    /// Route tables receiving the route server's routes, by id (`Created`, or `Deleted`
    /// while being disabled).
    pub propagations: BTreeMap<String, Life>,
}

/// A route server endpoint: an AWS-managed interface with one address in a subnet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndpointRecord {
    pub id: String,
    pub route_server_id: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub eni_id: String,
    pub eni_address: String,
    pub life: Life,
}

/// A BGP peer of an endpoint: a device's address in the endpoint's subnet and its ASN.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerRecord {
    pub id: String,
    pub endpoint_id: String,
    pub route_server_id: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub eni_id: String,
    pub eni_address: String,
    pub peer_address: String,
    pub peer_asn: i64,
    /// `bfd` or `bgp-keepalive`.
    pub liveness: String,
    pub life: Life,
}

/// The Route Server family of one partition.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteServersState {
    pub servers: BTreeMap<String, RouteServerRecord>,
    pub endpoints: BTreeMap<String, EndpointRecord>,
    pub peers: BTreeMap<String, PeerRecord>,
}

impl RouteServersState {
    /// Whether a route server is associated (or associating) with the VPC, which keeps
    /// the VPC from being deleted.
    pub fn uses_vpc(&self, vpc_id: &str) -> bool {
        self.servers.values().any(|s| s.associations.get(vpc_id).is_some_and(|l| l.stage != Stage::Deleted))
    }

    /// Ends the propagations into a route table that is deleted.
    pub fn forget_route_table(&mut self, route_table_id: &str) {
        for s in self.servers.values_mut() {
            s.propagations.remove(route_table_id);
        }
    }

    /// Forgets what AWS no longer shows at `now`: finished associations and
    /// propagations, and resources deleted over an hour ago (returned, so that their
    /// tags can be forgotten too).
    pub fn prune(&mut self, delay: TimeDelta, now: DateTime<Utc>) -> Vec<String> {
        for s in self.servers.values_mut() {
            s.associations.retain(|_, l| !(l.stage == Stage::Deleted && l.settled(delay, now)));
            s.propagations.retain(|_, l| !(l.stage == Stage::Deleted && l.settled(delay, now)));
        }
        let mut gone = Vec::new();
        self.servers.retain(|id, s| s.life.visible(delay, now) || !remember(&mut gone, id));
        self.endpoints.retain(|id, e| e.life.visible(delay, now) || !remember(&mut gone, id));
        self.peers.retain(|id, p| p.life.visible(delay, now) || !remember(&mut gone, id));
        gone
    }
}

/// Whether a deletion (or disassociation) has finished at `now`.
pub fn gone(life: &Life, delay: TimeDelta, now: DateTime<Utc>) -> bool {
    life.stage == Stage::Deleted && life.settled(delay, now)
}

fn remember(gone: &mut Vec<String>, id: &str) -> bool {
    gone.push(id.to_string());
    true
}
