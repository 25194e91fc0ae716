//! Client VPN records (issue 13, item 4): an endpoint with its target network
//! associations, authorization rules, routes and imported certificate revocation list.
//! The handlers live in `connectivity/client_vpn/`.
//!
//! Each part keeps what last happened to it (`Life`): `Created` parts show their
//! transitional state (`associating`, `authorizing`, `creating`) until nimbus's clock has
//! moved past the transition delay, `Deleted` ones show `disassociating`, `revoking` or
//! `deleting` and then are gone. Writes drop the parts that are gone.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::transit::{Life, Stage};
use crate::generated::dto;

/// A subnet associated with an endpoint, and the requester-managed interface AWS places
/// in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClientVpnAssociation {
    pub association_id: String,
    pub subnet_id: String,
    pub vpc_id: String,
    pub zone: String,
    pub zone_id: String,
    pub interface_id: String,
    pub life: Life,
}

/// An ingress authorization rule: a destination network, for one access group or all.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClientVpnRule {
    pub cidr: String,
    /// `None` when the rule authorizes all groups.
    pub group_id: Option<String>,
    pub description: Option<String>,
    pub life: Life,
}

impl ClientVpnRule {
    /// The order rules are listed and paged in.
    pub fn key(&self) -> String {
        format!("{}|{}", self.cidr, self.group_id.as_deref().unwrap_or(""))
    }
}

/// A route of the endpoint's route table, through one associated subnet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClientVpnRouteRecord {
    pub cidr: String,
    pub subnet_id: String,
    /// `associate` (added with the association, for the VPC's CIDR) or `add-route`.
    pub origin: String,
    pub description: Option<String>,
    pub life: Life,
}

impl ClientVpnRouteRecord {
    /// The order routes are listed and paged in.
    pub fn key(&self) -> String {
        format!("{}|{}", self.cidr, self.subnet_id)
    }
}

/// A Client VPN endpoint. `endpoint` holds what the requests settled (options, VPC,
/// security groups, DNS name...); its status, associated networks and tags are derived
/// when it is described.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClientVpnRecord {
    pub endpoint: dto::ClientVpnEndpoint,
    /// `Created`, or `Deleted` (`deleting` -> `deleted`, shown for an hour).
    pub life: Life,
    /// By association id.
    pub associations: std::collections::BTreeMap<String, ClientVpnAssociation>,
    pub rules: Vec<ClientVpnRule>,
    pub routes: Vec<ClientVpnRouteRecord>,
    /// The imported certificate revocation list (PEM) and when it was imported.
    pub revocation_list: Option<(String, DateTime<Utc>)>,
    /// When the client connect options last changed (`applying` until settled).
    pub connect_options_changed: Option<DateTime<Utc>>,
}

impl ClientVpnRecord {
    pub fn id(&self) -> &str {
        self.endpoint.client_vpn_endpoint_id.as_deref().unwrap_or_default()
    }

    /// Not deleted.
    pub fn live(&self) -> bool {
        !self.life.finished()
    }

    /// Associations not being disassociated.
    pub fn live_associations(&self) -> impl Iterator<Item = &ClientVpnAssociation> {
        self.associations.values().filter(|a| a.life.stage != Stage::Deleted)
    }

    /// `available` once an association has settled, else `pending-associate`;
    /// `deleting`, then `deleted`.
    pub fn status(&self, delay: TimeDelta, now: DateTime<Utc>) -> &'static str {
        if self.life.finished() {
            return if self.life.settled(delay, now) { "deleted" } else { "deleting" };
        }
        if self.live_associations().any(|a| a.life.settled(delay, now)) {
            "available"
        } else {
            "pending-associate"
        }
    }

    /// Forgets the parts whose removal has settled.
    pub fn prune(&mut self, delay: TimeDelta, now: DateTime<Utc>) {
        let gone = |l: &Life| l.stage == Stage::Deleted && l.settled(delay, now);
        self.associations.retain(|_, a| !gone(&a.life));
        self.rules.retain(|r| !gone(&r.life));
        self.routes.retain(|r| !gone(&r.life));
    }

    /// Whether the endpoint uses the security group.
    pub fn uses_security_group(&self, group_id: &str) -> bool {
        self.live() && self.endpoint.security_group_ids.iter().flatten().any(|g| g == group_id)
    }
}
