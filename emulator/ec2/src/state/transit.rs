//! Transit Gateway records: gateways, their attachments (VPC, VPN, peering, Connect),
//! route tables with their associations, propagations, static routes and prefix-list
//! references, Connect peers, policy tables and multicast domains.
//!
//! A record keeps what last happened to it and when (`Life`); the state AWS shows is
//! derived from that and nimbus's clock: `pending` until the transition delay has
//! passed, then `available`; `deleting`, then `deleted`, shown for a while and then
//! forgotten. Nothing has to be moved on before a read.
//!
//! The helpers here are what other families need of the Transit Gateway family without
//! importing it: which subnets and VPCs attachments hold, whether a VPC route to a
//! gateway leads anywhere, and (for the VPN family) how an attachment is made with the
//! gateway's default association and propagation.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::generated::dto;

/// How long AWS keeps showing deleted, rejected or failed Transit Gateway resources.
pub const FINISHED_VISIBLE: TimeDelta = TimeDelta::hours(1);

/// What last happened to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Created,
    Modified,
    /// A request answered: shown `pending`, then `available`.
    Accepted,
    /// Waiting for the other side's answer (peering, shared VPC attachments).
    PendingAcceptance,
    Rejected,
    Failed,
    Deleted,
}

/// A stage and when it began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Life {
    pub stage: Stage,
    pub since: DateTime<Utc>,
}

impl Life {
    pub fn new(stage: Stage, since: DateTime<Utc>) -> Self {
        Life { stage, since }
    }

    /// Whether the transition that began the stage is over at `now`.
    pub fn settled(&self, delay: TimeDelta, now: DateTime<Utc>) -> bool {
        now >= self.since + delay
    }

    /// Deleted, rejected or failed: the resource no longer works.
    pub fn finished(&self) -> bool {
        matches!(self.stage, Stage::Deleted | Stage::Rejected | Stage::Failed)
    }

    /// The state a gateway, attachment, route table, policy table, Connect peer or
    /// multicast domain shows at `now` (attachments' names, which the others share).
    pub fn shown(&self, delay: TimeDelta, now: DateTime<Utc>) -> &'static str {
        let done = self.settled(delay, now);
        match (self.stage, done) {
            (Stage::Created | Stage::Accepted, false) => "pending",
            (Stage::Modified, false) => "modifying",
            (Stage::Created | Stage::Accepted | Stage::Modified, true) => "available",
            (Stage::PendingAcceptance, false) => "pending",
            (Stage::PendingAcceptance, true) => "pendingAcceptance",
            (Stage::Rejected, false) => "rejecting",
            (Stage::Rejected, true) => "rejected",
            (Stage::Failed, false) => "failing",
            (Stage::Failed, true) => "failed",
            (Stage::Deleted, false) => "deleting",
            (Stage::Deleted, true) => "deleted",
        }
    }

    /// Whether AWS still shows the resource at `now`: a finished one for a while after
    /// it settled.
    pub fn visible(&self, delay: TimeDelta, now: DateTime<Utc>) -> bool {
        !self.finished() || now <= self.since + delay + FINISHED_VISIBLE
    }

    /// An association's state: `associating`, `associated`; `disassociating`, then gone.
    pub fn association_state(&self, delay: TimeDelta, now: DateTime<Utc>) -> Option<&'static str> {
        match (self.stage, self.settled(delay, now)) {
            (Stage::Deleted, false) => Some("disassociating"),
            (Stage::Deleted, true) => None,
            (_, false) => Some("associating"),
            (_, true) => Some("associated"),
        }
    }

    /// A propagation's state: `enabling`, `enabled`; `disabling`, then gone.
    pub fn propagation_state(&self, delay: TimeDelta, now: DateTime<Utc>) -> Option<&'static str> {
        match (self.stage, self.settled(delay, now)) {
            (Stage::Deleted, false) => Some("disabling"),
            (Stage::Deleted, true) => None,
            (_, false) => Some("enabling"),
            (_, true) => Some("enabled"),
        }
    }
}

/// A transit gateway: its AWS shape (state and tags derived when described) and life.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GatewayRecord {
    pub gateway: dto::TransitGateway,
    pub life: Life,
}

impl GatewayRecord {
    pub fn options(&self) -> &dto::TransitGatewayOptions {
        self.gateway.options.as_ref().expect("every transit gateway has options")
    }

    pub fn asn(&self) -> i64 {
        self.options().amazon_side_asn.unwrap_or(64512)
    }
}

/// A VPC attachment's own parts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VpcAttachmentRecord {
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    pub options: dto::TransitGatewayVpcAttachmentOptions,
    /// The requester-managed interface AWS places in each subnet, by subnet id.
    #[serde(default)]
    pub interfaces: BTreeMap<String, String>,
}

/// One side of a peering: a gateway, its account and region.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeeringSide {
    pub tgw_id: String,
    pub account: String,
    pub region: String,
}

/// A peering attachment as one partition knows it. The requester's partition holds the
/// request (`request`), the accepter's the answer (`answer`, once there is one); each
/// learns the other half through the cross-partition registry (`shared.rs`). A peering
/// within one partition holds both halves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeeringRecord {
    pub requester: PeeringSide,
    pub accepter: PeeringSide,
    /// `enable` or `disable` (dynamic routing over the peering).
    pub dynamic_routing: Option<String>,
    /// `PendingAcceptance` or `Failed` when requested; `Deleted` when the requester
    /// deleted it.
    pub request: Option<Life>,
    /// `Accepted`, `Rejected` or `Deleted`, by the accepter.
    pub answer: Option<Life>,
    /// Within one partition AWS gives each side an attachment of its own: the other
    /// side's id here.
    #[serde(default)]
    pub twin: Option<String>,
    /// This side's AllowMultipathResilience (ModifyTransitGatewayPeeringAttachment).
    #[serde(default)]
    pub multipath: Option<bool>,
}

impl PeeringRecord {
    /// The peering's life from both halves: a deletion by either side wins, then the
    /// answer, then the request.
    pub fn merged(request: Option<&Life>, answer: Option<&Life>) -> Life {
        let deleted =
            [request, answer].into_iter().flatten().filter(|l| l.stage == Stage::Deleted).min_by_key(|l| l.since);
        if let Some(d) = deleted {
            return *d;
        }
        match (request, answer) {
            (Some(r), _) if r.stage == Stage::Failed => *r,
            (_, Some(a)) => *a,
            (Some(r), None) => *r,
            // Both halves gone from view: the requester deleted it long ago.
            (None, None) => Life::new(Stage::Deleted, DateTime::<Utc>::MIN_UTC),
        }
    }
}

/// What an attachment connects to the gateway.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum AttachmentKind {
    Vpc(VpcAttachmentRecord),
    Vpn { vpn_connection_id: String },
    Peering(PeeringRecord),
    Connect { transport_attachment_id: String, protocol: String },
}

/// A transit gateway attachment of any kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttachmentRecord {
    pub id: String,
    /// The gateway of this partition's side.
    pub tgw_id: String,
    pub tgw_owner: String,
    /// `vpc`, `vpn`, `peering`, `connect`, as AWS names them.
    pub resource_type: String,
    /// The VPC, VPN connection, peer gateway or transport attachment.
    pub resource_id: String,
    pub resource_owner: String,
    pub creation_time: DateTime<Utc>,
    /// This side's life (for a peering, the merged life is derived with the registry).
    pub life: Life,
    pub kind: AttachmentKind,
}

impl AttachmentRecord {
    pub fn vpc(&self) -> Option<&VpcAttachmentRecord> {
        match &self.kind {
            AttachmentKind::Vpc(v) => Some(v),
            _ => None,
        }
    }

    pub fn peering(&self) -> Option<&PeeringRecord> {
        match &self.kind {
            AttachmentKind::Peering(p) => Some(p),
            _ => None,
        }
    }

    /// The gateway the attachment belongs to here (a peering within one partition is
    /// two attachments, one per gateway).
    pub fn gateways(&self) -> Vec<&str> {
        vec![self.tgw_id.as_str()]
    }
}

/// A static route of a route table (the destination is its key): to an attachment, or
/// a blackhole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticRoute {
    pub attachment_id: Option<String>,
    pub blackhole: bool,
}

/// A prefix-list reference of a route table: the list's entries route to an attachment
/// (or nowhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixListReferenceRecord {
    pub owner_id: String,
    pub attachment_id: Option<String>,
    pub blackhole: bool,
    pub life: Life,
}

/// A transit gateway route table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RouteTableRecord {
    pub id: String,
    pub tgw_id: String,
    pub creation_time: DateTime<Utc>,
    pub life: Life,
    /// Attachments associated with the table (an attachment has at most one table per
    /// gateway), by attachment id.
    pub associations: BTreeMap<String, Life>,
    /// Attachments propagating their routes into the table, by attachment id.
    pub propagations: BTreeMap<String, Life>,
    /// Static routes by destination CIDR block.
    pub routes: BTreeMap<String, StaticRoute>,
    /// Prefix-list references by prefix-list id.
    pub prefix_list_references: BTreeMap<String, PrefixListReferenceRecord>,
}

/// A Connect peer: a GRE tunnel and a BGP session over a Connect attachment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectPeerRecord {
    pub id: String,
    pub attachment_id: String,
    /// The GRE outer addresses: the gateway's (from its CIDR blocks) and the appliance's.
    pub transit_gateway_address: String,
    pub peer_address: String,
    /// An IPv4 /29 of 169.254.0.0/16, and optionally an IPv6 /125 of fd00::/8.
    pub inside_cidr_blocks: Vec<String>,
    pub peer_asn: i64,
    pub transit_gateway_asn: i64,
    pub creation_time: DateTime<Utc>,
    pub life: Life,
}

/// A policy table of a gateway and the attachments associated with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyTableRecord {
    pub id: String,
    pub tgw_id: String,
    pub creation_time: DateTime<Utc>,
    pub life: Life,
    pub associations: BTreeMap<String, Life>,
}

/// A subnet of a VPC attachment associated with a multicast domain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MulticastAssociation {
    pub attachment_id: String,
    /// `Created` (associating, then associated), `PendingAcceptance` (an attachment of
    /// another account, until accepted), `Rejected`, `Deleted` (disassociating).
    pub life: Life,
}

impl MulticastAssociation {
    /// The association's state at `now` (`None` once it is gone).
    pub fn shown(&self, delay: TimeDelta, now: DateTime<Utc>) -> Option<&'static str> {
        let done = self.life.settled(delay, now);
        match self.life.stage {
            Stage::PendingAcceptance => Some("pendingAcceptance"),
            Stage::Rejected if now <= self.life.since + delay + FINISHED_VISIBLE => Some("rejected"),
            Stage::Rejected | Stage::Failed => None,
            Stage::Deleted => (!done).then_some("disassociating"),
            _ if done => Some("associated"),
            _ => Some("associating"),
        }
    }
}

/// The interfaces registered in one multicast group of a domain, each with its subnet.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MulticastGroupRecord {
    pub members: BTreeMap<String, String>,
    pub sources: BTreeMap<String, String>,
}

/// A multicast domain of a gateway: its options, subnet associations (by subnet id) and
/// groups (by group address).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MulticastDomainRecord {
    pub id: String,
    pub tgw_id: String,
    pub owner_id: String,
    pub options: dto::TransitGatewayMulticastDomainOptions,
    pub creation_time: DateTime<Utc>,
    pub life: Life,
    pub associations: BTreeMap<String, MulticastAssociation>,
    pub groups: BTreeMap<String, MulticastGroupRecord>,
}

impl MulticastDomainRecord {
    /// Ends the associations of an attachment's subnets (all of them, or `only` these)
    /// and the group registrations of interfaces in them.
    pub fn release(&mut self, attachment_id: &str, only: Option<&[String]>, now: DateTime<Utc>) {
        let subnets: Vec<String> = self
            .associations
            .iter()
            .filter(|(_, a)| a.attachment_id == attachment_id && a.life.stage != Stage::Deleted)
            .filter(|(s, _)| only.is_none_or(|o| o.contains(s)))
            .map(|(s, _)| s.clone())
            .collect();
        for subnet in subnets {
            if let Some(a) = self.associations.get_mut(&subnet) {
                a.life = Life::new(Stage::Deleted, now);
            }
            for g in self.groups.values_mut() {
                g.members.retain(|_, s| *s != subnet);
                g.sources.retain(|_, s| *s != subnet);
            }
        }
        self.groups.retain(|_, g| !g.members.is_empty() || !g.sources.is_empty());
    }
}

/// The Transit Gateway family of one partition.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TransitState {
    pub gateways: BTreeMap<String, GatewayRecord>,
    pub attachments: BTreeMap<String, AttachmentRecord>,
    pub route_tables: BTreeMap<String, RouteTableRecord>,
    #[serde(default)]
    pub connect_peers: BTreeMap<String, ConnectPeerRecord>,
    #[serde(default)]
    pub policy_tables: BTreeMap<String, PolicyTableRecord>,
    #[serde(default)]
    pub multicast_domains: BTreeMap<String, MulticastDomainRecord>,
}

impl TransitState {
    /// A gateway that is not deleted.
    pub fn live_gateway(&self, id: &str) -> Option<&GatewayRecord> {
        self.gateways.get(id).filter(|g| !g.life.finished())
    }

    /// VPC attachments that are not deleted (nor rejected or failed).
    pub fn live_vpc_attachments(&self) -> impl Iterator<Item = (&AttachmentRecord, &VpcAttachmentRecord)> {
        self.attachments.values().filter(|a| !a.life.finished()).filter_map(|a| a.vpc().map(|v| (a, v)))
    }

    /// Whether a live VPC attachment has an interface in the subnet.
    pub fn uses_subnet(&self, subnet_id: &str) -> bool {
        self.live_vpc_attachments().any(|(_, v)| v.subnet_ids.iter().any(|s| s == subnet_id))
    }

    /// Whether a live VPC attachment holds the VPC.
    pub fn uses_vpc(&self, vpc_id: &str) -> bool {
        self.live_vpc_attachments().any(|(_, v)| v.vpc_id == vpc_id)
    }

    /// Whether the gateway is attached to the VPC, so that a VPC route to it leads
    /// somewhere (`active`) rather than nowhere (`blackhole`).
    pub fn attached_to_vpc(&self, tgw_id: &str, vpc_id: &str) -> bool {
        self.live_gateway(tgw_id).is_some()
            && self.live_vpc_attachments().any(|(a, v)| a.tgw_id == tgw_id && v.vpc_id == vpc_id)
    }

    /// Whether a route table of a live gateway references the prefix list.
    pub fn references_prefix_list(&self, prefix_list_id: &str) -> bool {
        self.route_tables.values().any(|t| {
            !t.life.finished() && t.prefix_list_references.get(prefix_list_id).is_some_and(|r| !r.life.finished())
        })
    }

    /// Associates a new attachment with the gateway's default association route table
    /// and propagates it into the default propagation route table, as far as the
    /// gateway's options and the caller (`associate`, `propagate`) want.
    pub fn apply_defaults(&mut self, attachment_id: &str, associate: bool, propagate: bool, now: DateTime<Utc>) {
        let Some(a) = self.attachments.get(attachment_id) else { return };
        let Some(g) = self.gateways.get(&a.tgw_id) else { return };
        let o = g.options().clone();
        let enabled = |v: &Option<String>| v.as_deref() == Some("enable");
        if associate && enabled(&o.default_route_table_association) {
            if let Some(t) = o.association_default_route_table_id.as_ref().and_then(|t| self.route_tables.get_mut(t)) {
                if !t.life.finished() {
                    t.associations.insert(attachment_id.to_string(), Life::new(Stage::Created, now));
                }
            }
        }
        if propagate && enabled(&o.default_route_table_propagation) {
            if let Some(t) = o.propagation_default_route_table_id.as_ref().and_then(|t| self.route_tables.get_mut(t)) {
                if !t.life.finished() {
                    t.propagations.insert(attachment_id.to_string(), Life::new(Stage::Created, now));
                }
            }
        }
    }

    /// Undoes what an attachment has in route tables, policy tables and multicast
    /// domains when it is deleted: associations and propagations end (static routes to
    /// it stay, as blackholes).
    pub fn release_attachment(&mut self, attachment_id: &str, now: DateTime<Utc>) {
        for t in self.route_tables.values_mut() {
            t.associations.remove(attachment_id);
            t.propagations.remove(attachment_id);
        }
        for t in self.policy_tables.values_mut() {
            t.associations.remove(attachment_id);
        }
        for p in self.connect_peers.values_mut().filter(|p| p.attachment_id == attachment_id && !p.life.finished()) {
            p.life = Life::new(Stage::Deleted, now);
        }
        for d in self.multicast_domains.values_mut() {
            d.release(attachment_id, None, now);
        }
    }

    /// Makes the attachment of a VPN connection to a gateway (for the VPN family): the
    /// attachment, with the gateway's default association and propagation. Returns its
    /// id, or `None` when the gateway does not exist.
    pub fn attach_vpn(
        &mut self,
        tgw_id: &str,
        vpn_connection_id: &str,
        account: &str,
        attachment_id: String,
        now: DateTime<Utc>,
    ) -> Option<String> {
        let g = self.live_gateway(tgw_id)?;
        let owner = g.gateway.owner_id.clone().unwrap_or_else(|| account.to_string());
        self.attachments.insert(
            attachment_id.clone(),
            AttachmentRecord {
                id: attachment_id.clone(),
                tgw_id: tgw_id.to_string(),
                tgw_owner: owner,
                resource_type: "vpn".into(),
                resource_id: vpn_connection_id.to_string(),
                resource_owner: account.to_string(),
                creation_time: now,
                life: Life::new(Stage::Created, now),
                kind: AttachmentKind::Vpn { vpn_connection_id: vpn_connection_id.to_string() },
            },
        );
        self.apply_defaults(&attachment_id, true, true, now);
        Some(attachment_id)
    }

    /// Deletes a VPN connection's attachment (for the VPN family).
    pub fn detach_vpn(&mut self, vpn_connection_id: &str, now: DateTime<Utc>) {
        let ids: Vec<String> = self
            .attachments
            .values()
            .filter(|a| !a.life.finished())
            .filter(|a| matches!(&a.kind, AttachmentKind::Vpn { vpn_connection_id: v } if v == vpn_connection_id))
            .map(|a| a.id.clone())
            .collect();
        for id in ids {
            if let Some(a) = self.attachments.get_mut(&id) {
                a.life = Life::new(Stage::Deleted, now);
            }
            self.release_attachment(&id, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lives_show_aws_states_on_the_clock() {
        let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let delay = TimeDelta::seconds(5);
        let created = Life::new(Stage::Created, t0);
        assert_eq!(created.shown(delay, t0), "pending");
        assert_eq!(created.shown(delay, t0 + delay), "available");
        let deleted = Life::new(Stage::Deleted, t0);
        assert_eq!(deleted.shown(delay, t0), "deleting");
        assert_eq!(deleted.shown(delay, t0 + delay), "deleted");
        assert!(deleted.visible(delay, t0 + delay + FINISHED_VISIBLE));
        assert!(!deleted.visible(delay, t0 + delay + FINISHED_VISIBLE + TimeDelta::seconds(1)));
        assert_eq!(created.association_state(delay, t0), Some("associating"));
        assert_eq!(deleted.propagation_state(delay, t0 + delay), None);
    }

    #[test]
    fn a_deletion_by_either_side_ends_a_peering() {
        let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let request = Life::new(Stage::PendingAcceptance, t0);
        let accepted = Life::new(Stage::Accepted, t0 + TimeDelta::seconds(10));
        assert_eq!(PeeringRecord::merged(Some(&request), None).stage, Stage::PendingAcceptance);
        assert_eq!(PeeringRecord::merged(Some(&request), Some(&accepted)).stage, Stage::Accepted);
        let deleted = Life::new(Stage::Deleted, t0 + TimeDelta::seconds(20));
        assert_eq!(PeeringRecord::merged(Some(&deleted), Some(&accepted)).stage, Stage::Deleted);
        assert_eq!(PeeringRecord::merged(Some(&request), Some(&deleted)).since, deleted.since);
    }
}
