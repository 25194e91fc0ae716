//! What a partition shows beyond itself: its AMIs and snapshots, for the accounts they
//! are shared with (launchPermission, createVolumePermission, or public) and for the
//! same account's other regions (CopyImage, CopySnapshot).
//!
//! State is partitioned by (account, region) and a handler sees only its own partition,
//! so the service keeps one registry beside the partitions: a copy of every image and
//! snapshot with its permissions, keyed by (region, id). Handlers mark what they change
//! (`Ec2State::unpublished`); the service republishes those ids from the partition at
//! the end of the request, while it still holds that partition's lock. The lock order is
//! always partition, then registry, and no code holds two partitions' locks, so
//! publishing and reading cannot deadlock. Readers in other partitions see a copy: the
//! owner's tags stay private (as at AWS), and the lifecycle is computed from the stored
//! state and the time it ends (`ready_at`), so the registry needs no update when the
//! owner's partition settles.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, RwLock};

use chrono::{DateTime, Duration, Utc};
use nimbus_core::state::{read, write};

use crate::generated::dto::{Image, Snapshot};
use crate::state::endpoint_services::{ConnectionRequest, EndpointServiceRecord};
use crate::state::host::InstanceHost;
use crate::state::transit::AttachmentRecord;
use crate::state::{Ec2State, ImageRecord, SnapshotRecord};

/// An image as another partition sees it.
#[derive(Debug, Clone)]
pub struct PublishedImage {
    pub account: String,
    pub record: ImageRecord,
    /// The owner's tags, for its own CopyImage with CopyImageTags (never shown to others).
    pub tags: Vec<(String, String)>,
    /// When a `pending` image becomes `available`.
    pub ready_at: DateTime<Utc>,
}

impl PublishedImage {
    /// Whether `account` may describe and launch it.
    pub fn launchable_by(&self, account: &str) -> bool {
        self.account == account
            || self.record.launch_groups.iter().any(|g| g == "all")
            || self.record.launch_users.iter().any(|u| u == account)
    }

    /// The image at `now`, without its owner's tags.
    pub fn image_at(&self, now: DateTime<Utc>) -> Image {
        let mut img = self.record.image.clone();
        if img.state.as_deref() == Some("pending") && now >= self.ready_at {
            img.state = Some("available".into());
        }
        img.tags = None;
        img
    }
}

/// A snapshot as another partition sees it.
#[derive(Debug, Clone)]
pub struct PublishedSnapshot {
    pub account: String,
    pub record: SnapshotRecord,
    /// When a `pending` snapshot becomes `completed`.
    pub ready_at: DateTime<Utc>,
}

impl PublishedSnapshot {
    /// Whether `account` may describe it and create volumes from it.
    pub fn restorable_by(&self, account: &str) -> bool {
        self.account == account
            || self.record.volume_groups.iter().any(|g| g == "all")
            || self.record.volume_users.iter().any(|u| u == account)
    }

    /// The snapshot at `now`, without its owner's tags.
    pub fn snapshot_at(&self, now: DateTime<Utc>) -> Snapshot {
        let mut snap = self.record.snapshot.clone();
        if snap.state.as_deref() == Some("pending") && now >= self.ready_at {
            snap.state = Some("completed".into());
            snap.progress = Some("100%".into());
            snap.completion_time = Some(nimbus_core::types::Timestamp(self.ready_at));
        }
        snap.tags = None;
        snap
    }
}

type Key = (String, String);

/// An endpoint service as other partitions see it: its owner and record.
#[derive(Debug, Clone)]
pub struct PublishedService {
    pub account: String,
    pub region: String,
    pub record: EndpointServiceRecord,
}

/// A VPC endpoint's connection to an endpoint service, as the provider's partition sees
/// it: the consumer, the endpoint as stored and its request.
#[derive(Debug, Clone)]
pub struct PublishedConnection {
    pub account: String,
    pub region: String,
    pub endpoint: crate::generated::dto::VpcEndpoint,
    pub request: ConnectionRequest,
}

/// Every partition's images and snapshots, by (region, id), and each partition's half
/// of every transit gateway peering, by (attachment id, account, region); endpoint
/// services by id and endpoints' connections to them by endpoint id.
/// Also the host that runs instances, when there is one (`--instances run`): set once,
/// kept across resets; and where `resolve:ssm:` image ids are looked up.
#[derive(Debug, Default)]
pub struct Shared {
    images: RwLock<BTreeMap<Key, PublishedImage>>,
    snapshots: RwLock<BTreeMap<Key, PublishedSnapshot>>,
    peerings: RwLock<BTreeMap<(String, String, String), AttachmentRecord>>,
    /// Every partition's live transit gateways, by (account, region, id): what a peering
    /// request finds on the other side.
    gateways: RwLock<std::collections::BTreeSet<(String, String, String)>>,
    endpoint_services: RwLock<BTreeMap<String, PublishedService>>,
    endpoint_connections: RwLock<BTreeMap<String, PublishedConnection>>,
    host: HostSlot,
    parameters: Parameters,
}

#[derive(Default)]
struct HostSlot(OnceLock<Arc<dyn InstanceHost>>);

impl std::fmt::Debug for HostSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "HostSlot(set)" } else { "HostSlot(none)" })
    }
}

/// Why a `resolve:ssm:` parameter names no image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterRefusal {
    /// No such parameter (or version, or label).
    NotFound,
    /// The account's parameter is not of data type `aws:ec2:image`.
    NotAnImage,
}

/// What `resolve:ssm:<parameter>` reads: SSM's parameters, which the server wires in
/// (the crates stay apart). SSM never calls EC2 while holding its own locks, so EC2 may
/// ask while it holds a partition's.
pub trait ParameterResolver: Send + Sync {
    /// The value of `name` (`name`, `name:version`, `name:label`) for `account` in `region`.
    fn resolve_image(&self, account: &str, region: &str, name: &str) -> Result<String, ParameterRefusal>;
}

#[derive(Default)]
struct Parameters(Option<Arc<dyn ParameterResolver>>);

impl std::fmt::Debug for Parameters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Parameters(wired)" } else { "Parameters(none)" })
    }
}

/// When the transition that started at the resource's timestamp ends.
fn ready_at(state: &Ec2State, id: &str) -> DateTime<Utc> {
    let since = state.timestamps.get(id).copied().unwrap_or(DateTime::<Utc>::MIN_UTC);
    since + Duration::seconds(i64::from(state.transition_delay_secs))
}

impl Shared {
    /// Instances run on `host` from now on; `false` when a host was set before.
    pub fn set_host(&self, host: Arc<dyn InstanceHost>) -> bool {
        self.host.0.set(host).is_ok()
    }

    /// The host that runs instances, if any.
    pub fn host(&self) -> Option<&dyn InstanceHost> {
        self.host.0.get().map(|h| h.as_ref())
    }

    pub fn set_parameters(&mut self, resolver: Arc<dyn ParameterResolver>) {
        self.parameters = Parameters(Some(resolver));
    }

    /// A `resolve:ssm:` parameter's value; without SSM wired in, no parameter exists.
    pub fn resolve_parameter(&self, account: &str, region: &str, name: &str) -> Result<String, ParameterRefusal> {
        match &self.parameters.0 {
            Some(r) => r.resolve_image(account, region, name),
            None => Err(ParameterRefusal::NotFound),
        }
    }

    /// Publishes what the request changed in the partition of `account` in `region`.
    pub fn publish(&self, account: &str, region: &str, state: &mut Ec2State) {
        let ids = std::mem::take(&mut state.unpublished);
        if ids.is_empty() {
            return;
        }
        let mut images = write(&self.images);
        let mut snapshots = write(&self.snapshots);
        let mut peerings = write(&self.peerings);
        let mut gateways = write(&self.gateways);
        for id in ids {
            if state.transit.gateways.contains_key(&id) {
                let key = (account.to_string(), region.to_string(), id.clone());
                match state.transit.live_gateway(&id) {
                    Some(_) => gateways.insert(key),
                    None => gateways.remove(&key),
                };
                continue;
            }
            if id.starts_with("vpce-") {
                self.publish_endpoint_side(account, region, state, &id);
                continue;
            }
            if id.starts_with("tgw-attach-") {
                let key = (id.clone(), account.to_string(), region.to_string());
                match state.transit.attachments.get(&id).filter(|a| a.peering().is_some()) {
                    Some(a) => peerings.insert(key, a.clone()),
                    None => peerings.remove(&key),
                };
                continue;
            }
            let key = (region.to_string(), id.clone());
            if let Some(rec) = state.images.get(&id) {
                let published = PublishedImage {
                    account: account.into(),
                    record: rec.clone(),
                    tags: state.tag_pairs(&id),
                    ready_at: ready_at(state, &id),
                };
                images.insert(key, published);
            } else if let Some(rec) = state.snapshots.get(&id) {
                let published =
                    PublishedSnapshot { account: account.into(), record: rec.clone(), ready_at: ready_at(state, &id) };
                snapshots.insert(key, published);
            } else {
                images.remove(&key);
                snapshots.remove(&key);
            }
        }
    }

    pub fn image(&self, region: &str, id: &str) -> Option<PublishedImage> {
        read(&self.images).get(&(region.to_string(), id.to_string())).cloned()
    }

    /// The images of a region that `account` may see but does not own.
    pub fn images_visible_to(&self, region: &str, account: &str) -> Vec<PublishedImage> {
        read(&self.images)
            .range((region.to_string(), String::new())..)
            .take_while(|((r, _), _)| r == region)
            .filter(|(_, p)| p.account != account && p.launchable_by(account))
            .map(|(_, p)| p.clone())
            .collect()
    }

    pub fn snapshot(&self, region: &str, id: &str) -> Option<PublishedSnapshot> {
        read(&self.snapshots).get(&(region.to_string(), id.to_string())).cloned()
    }

    /// The snapshots of a region that `account` may see but does not own.
    pub fn snapshots_visible_to(&self, region: &str, account: &str) -> Vec<PublishedSnapshot> {
        read(&self.snapshots)
            .range((region.to_string(), String::new())..)
            .take_while(|((r, _), _)| r == region)
            .filter(|(_, p)| p.account != account && p.restorable_by(account))
            .map(|(_, p)| p.clone())
            .collect()
    }

    /// Every partition's half of a peering attachment, with the partition's account and
    /// region.
    pub fn peering_halves(&self, id: &str) -> Vec<(String, String, AttachmentRecord)> {
        read(&self.peerings)
            .range((id.to_string(), String::new(), String::new())..)
            .take_while(|((i, _, _), _)| i == id)
            .map(|((_, account, region), a)| (account.clone(), region.clone(), a.clone()))
            .collect()
    }

    /// Peerings requested of a gateway in `account` and `region` by another partition.
    pub fn peerings_requested_of(&self, account: &str, region: &str) -> Vec<AttachmentRecord> {
        read(&self.peerings)
            .values()
            .filter(|a| {
                a.peering().is_some_and(|p| {
                    p.request.is_some()
                        && p.accepter.account == account
                        && p.accepter.region == region
                        && (p.requester.account != account || p.requester.region != region)
                })
            })
            .cloned()
            .collect()
    }

    /// Whether `account` has the live transit gateway `id` in `region`.
    pub fn gateway_exists(&self, account: &str, region: &str, id: &str) -> bool {
        read(&self.gateways).contains(&(account.to_string(), region.to_string(), id.to_string()))
    }

    /// Publishes an endpoint service or an endpoint's connection request (or forgets it).
    fn publish_endpoint_side(&self, account: &str, region: &str, state: &Ec2State, id: &str) {
        let side = &state.endpoint_services;
        if id.starts_with("vpce-svc-") {
            let mut services = write(&self.endpoint_services);
            match side.services.get(id) {
                Some(record) => {
                    let published =
                        PublishedService { account: account.into(), region: region.into(), record: record.clone() };
                    services.insert(id.to_string(), published)
                }
                None => services.remove(id),
            };
            return;
        }
        let mut connections = write(&self.endpoint_connections);
        match (side.requests.get(id), state.vpc_endpoints.get(id)) {
            (Some(request), Some(endpoint)) => {
                let published = PublishedConnection {
                    account: account.into(),
                    region: region.into(),
                    endpoint: endpoint.clone(),
                    request: request.clone(),
                };
                connections.insert(id.to_string(), published)
            }
            _ => connections.remove(id),
        };
    }

    /// An endpoint service of any partition.
    pub fn endpoint_service(&self, id: &str) -> Option<PublishedService> {
        read(&self.endpoint_services).get(id).cloned()
    }

    /// The endpoint services of a region owned by other accounts.
    pub fn endpoint_services_of_others(&self, region: &str, account: &str) -> Vec<PublishedService> {
        read(&self.endpoint_services).values().filter(|p| p.region == region && p.account != account).cloned().collect()
    }

    /// Every partition's endpoint connections to the service.
    pub fn connections_to(&self, service_id: &str) -> Vec<PublishedConnection> {
        read(&self.endpoint_connections).values().filter(|c| c.request.service_id == service_id).cloned().collect()
    }

    pub fn clear(&self) {
        write(&self.endpoint_services).clear();
        write(&self.endpoint_connections).clear();
        write(&self.gateways).clear();
        write(&self.images).clear();
        write(&self.snapshots).clear();
        write(&self.peerings).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_images_follow_their_permissions() {
        let shared = Shared::default();
        let mut state = Ec2State::default();
        let image = Image {
            image_id: Some("ami-0123456789abcdef0".into()),
            state: Some("pending".into()),
            ..Default::default()
        };
        let id = "ami-0123456789abcdef0".to_string();
        state.images.insert(id.clone(), ImageRecord { image, ..Default::default() });
        state.unpublished.insert(id.clone());
        shared.publish("000000000000", "us-east-1", &mut state);
        assert!(state.unpublished.is_empty());
        assert!(shared.images_visible_to("us-east-1", "111111111111").is_empty());
        assert!(shared.image("us-east-1", &id).is_some(), "the owner's other regions can copy it");
        state.images.get_mut(&id).unwrap().launch_users.push("111111111111".into());
        state.unpublished.insert(id.clone());
        shared.publish("000000000000", "us-east-1", &mut state);
        let seen = shared.images_visible_to("us-east-1", "111111111111");
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].image_at(Utc::now()).state.as_deref(), Some("available"));
        assert!(shared.images_visible_to("eu-west-1", "111111111111").is_empty());
        state.images.clear();
        state.unpublished.insert(id.clone());
        shared.publish("000000000000", "us-east-1", &mut state);
        assert!(shared.image("us-east-1", &id).is_none());
    }
}
