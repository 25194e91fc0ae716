//! One account's EC2 resources in one region.
//!
//! Resources are kept in their AWS shape (the generated DTOs) where that shape is the
//! whole truth, and in small records where nimbus needs more (attributes, rules).
//! Tags live in one map for every resource type, so CreateTags, DeleteTags,
//! DescribeTags and the `tag:` filters are one implementation.

pub mod account;
pub mod block_public_access;
pub mod capacity;
pub mod cidr;
pub mod client_vpn;
pub mod connectivity;
pub mod ebs;
pub mod endpoint_services;
pub mod fleet;
pub mod host;
pub mod index;
pub mod insights;
pub mod ipam;
pub mod lifecycle;
pub mod lookup;
pub mod mirroring;
pub mod params;
pub mod resources;
pub mod route_servers;
pub mod shared;
pub mod spot;
pub mod support;
pub mod transit;
pub mod verified_access;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::generated::dto;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VpcRecord {
    pub vpc: dto::Vpc,
    pub enable_dns_support: bool,
    pub enable_dns_hostnames: bool,
    pub enable_network_address_usage_metrics: bool,
    pub main_route_table_id: String,
    pub default_network_acl_id: String,
    pub default_security_group_id: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SubnetRecord {
    pub subnet: dto::Subnet,
    /// Private IPv4 addresses taken in the subnet (by interfaces, NAT gateways, ...).
    pub used_ips: BTreeSet<u32>,
    /// Subnet CIDR reservations by id (`vpc/subnet_cidr_reservations.rs`); they go with
    /// the subnet.
    #[serde(default)]
    pub cidr_reservations: BTreeMap<String, dto::SubnetCidrReservation>,
    /// Every address of the block from its first usable one up to (not including) this
    /// one is in `used_ips`: where the search for the lowest free address may start
    /// (0, nothing known, after a restore). Taking an address keeps it true; giving one
    /// back lowers it (`subnets::release_ip`).
    #[serde(skip)]
    pub used_below: u32,
}

/// One security group rule, as DescribeSecurityGroupRules shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SgRule {
    pub id: String,
    pub egress: bool,
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `-1` or a protocol number.
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub peer: Peer,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Peer {
    Ipv4(String),
    Ipv6(String),
    PrefixList(String),
    Group { group_id: String, user_id: String, vpc_id: Option<String> },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SecurityGroupRecord {
    pub group_id: String,
    pub group_name: String,
    pub description: String,
    pub vpc_id: String,
    pub owner_id: String,
    pub rules: Vec<SgRule>,
}

/// An Elastic IP: the allocation and, while associated, the interface and private
/// address it is mapped to (`Address.instance_id` is derived from the interface's
/// attachment when described).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AddressRecord {
    pub address: dto::Address,
    /// The reverse DNS name set with ModifyAddressAttribute; `None` is AWS's default.
    pub domain_name: Option<String>,
}

/// A customer-managed prefix list: its current state and every version's entries.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PrefixListRecord {
    pub list: dto::ManagedPrefixList,
    /// Entries by version (the first is 1), for GetManagedPrefixListEntries' TargetVersion.
    pub versions: BTreeMap<i64, Vec<dto::PrefixListEntry>>,
}

/// An instance: its AWS shape (state and network details are derived when described)
/// and what only nimbus keeps.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InstanceRecord {
    pub instance: dto::Instance,
    pub reservation_id: String,
    /// The state as of `since`; `lifecycle::shown_state` moves it on with the clock.
    pub stored_state: lifecycle::InstanceStateName,
    pub since: DateTime<Utc>,
    /// Base64, as given.
    pub user_data: Option<String>,
    pub disable_api_termination: bool,
    pub disable_api_stop: bool,
    pub shutdown_behavior: String,
    /// `standard` or `unlimited` for burstable types.
    pub cpu_credits: Option<String>,
    /// The interface at device index 0.
    pub primary_interface: String,
    /// Whether a public address is given at launch and at every start.
    pub auto_public_ip: bool,
    /// RebootInstances calls so far; a host that runs the instance reboots it when
    /// this moves.
    #[serde(default)]
    pub reboots: u64,
}

/// One of the account's own AMIs, with who may launch it. `image.state` is the stored
/// state (`pending` or `available`), which `timestamps` dates and `images::state_at`
/// moves on with the clock.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImageRecord {
    pub image: dto::Image,
    /// Accounts the image is shared with.
    pub launch_users: Vec<String>,
    /// `all` when public.
    pub launch_groups: Vec<String>,
    /// Until when deregistration stays refused after protection with a cooldown was
    /// disabled.
    pub protected_until: Option<DateTime<Utc>>,
    /// CreateImage's NoReboot: a host that runs the source instance copies its disk
    /// live instead of shutting it down for the copy and booting it again.
    #[serde(default)]
    pub no_reboot: bool,
}

/// An EBS snapshot and who may create volumes from it. `snapshot.state` is the stored
/// state (`pending` or `completed`), which `timestamps` dates and
/// `snapshots::state_at` moves on with the clock.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SnapshotRecord {
    pub snapshot: dto::Snapshot,
    /// Accounts that may create volumes from it.
    pub volume_users: Vec<String>,
    /// `all` when public.
    pub volume_groups: Vec<String>,
    /// The move to the archive tier, once asked for (ModifySnapshotTier).
    #[serde(default)]
    pub tiering: Option<ebs::Tiering>,
    #[serde(default)]
    pub lock: Option<ebs::SnapshotLock>,
}

/// A launch template: its description (tags derived when described) and its versions.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LaunchTemplateRecord {
    pub template: dto::LaunchTemplate,
    /// Versions by number (the first is 1); deleted versions are gone from here.
    pub versions: BTreeMap<i64, LaunchTemplateVersionRecord>,
}

/// One launch template version: the data as it was given (`RequestLaunchTemplateData`),
/// answered in its response shape when described.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LaunchTemplateVersionRecord {
    pub description: Option<String>,
    pub create_time: nimbus_core::types::Timestamp,
    pub created_by: String,
    pub data: dto::RequestLaunchTemplateData,
}

/// Everything one account has in one region. Every field has a default, so a snapshot
/// written before a field existed still loads.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Ec2State {
    /// The default VPC and its companions have been made (on first use).
    pub initialized: bool,
    /// The region this partition belongs to (set on first use), for the AWS-managed
    /// resources every region has (prefix lists, endpoint services).
    pub region: String,
    pub default_dhcp_options_id: String,
    pub vpcs: BTreeMap<String, VpcRecord>,
    pub subnets: BTreeMap<String, SubnetRecord>,
    pub internet_gateways: BTreeMap<String, dto::InternetGateway>,
    pub route_tables: BTreeMap<String, dto::RouteTable>,
    pub security_groups: BTreeMap<String, SecurityGroupRecord>,
    pub network_acls: BTreeMap<String, dto::NetworkAcl>,
    pub dhcp_options: BTreeMap<String, dto::DhcpOptions>,
    /// Elastic IPs, by allocation id.
    pub addresses: BTreeMap<String, AddressRecord>,
    /// Network interfaces without their `Association`s and tags (derived when described
    /// from `addresses` and `tags`).
    pub network_interfaces: BTreeMap<String, dto::NetworkInterface>,
    /// NAT gateways; `state` is the stored state, which `timestamps` dates and
    /// `nat_gateways::state_at` moves on with the clock.
    pub nat_gateways: BTreeMap<String, dto::NatGateway>,
    /// How many public addresses this partition has drawn from the Elastic IP pool.
    pub public_ip_sequence: u64,
    /// Seconds a resource with a lifecycle takes from one state to the next (`pending`
    /// to `available`, `deleting` to `deleted`); 0 so that waiters never wait.
    pub transition_delay_secs: u32,
    /// Instances this account may have here (see `Ec2Settings`).
    pub instance_quota: usize,
    /// Seconds a terminated instance stays visible (`Ec2Settings`; an hour when unset).
    pub terminated_visible_secs: Option<u32>,
    /// Instances, by id.
    pub instances: BTreeMap<String, InstanceRecord>,
    /// IAM instance-profile associations by association id.
    pub iam_profile_associations: BTreeMap<String, dto::IamInstanceProfileAssociation>,
    /// Public addresses AWS gives interfaces at launch (not Elastic IPs), by interface.
    pub auto_public_ips: BTreeMap<String, String>,
    /// EBS volumes, by id, in their stored state (`creating`, `available`, `in-use`) and
    /// with their attachments' stored states (`attaching`, `attached`, `detaching`);
    /// `volumes::lifecycle::settle` moves them on with the clock.
    pub volumes: BTreeMap<String, dto::Volume>,
    /// The latest modification of each volume that was modified, by volume id.
    pub volume_modifications: BTreeMap<String, dto::VolumeModification>,
    /// Volumes whose `autoEnableIO` attribute is set.
    pub volume_auto_enable_io: BTreeSet<String>,
    /// EBS snapshots, by id.
    pub snapshots: BTreeMap<String, SnapshotRecord>,
    /// The account's own AMIs, by id.
    pub images: BTreeMap<String, ImageRecord>,
    /// Images and snapshots changed by the current request, which the service
    /// publishes to its cross-partition registry (`shared.rs`) when the request ends.
    #[serde(skip)]
    pub unpublished: BTreeSet<String>,
    /// Known, as of the last write, to have nothing in transition: no lifecycle will
    /// ever come due until the next write, so reads need not scan for one. `false`
    /// means unknown (a restored or new partition), and reads scan.
    #[serde(skip)]
    pub quiescent: bool,
    /// What is in transition and what is attached to each instance (`index.rs`).
    #[serde(skip)]
    pub index: index::Index,
    pub egress_only_internet_gateways: BTreeMap<String, dto::EgressOnlyInternetGateway>,
    /// VPN gateways, in their settled state (deleted ones stay visible for a while).
    pub vpn_gateways: BTreeMap<String, dto::VpnGateway>,
    pub customer_gateways: BTreeMap<String, dto::CustomerGateway>,
    /// Customer-managed prefix lists (AWS's own are computed per region).
    pub prefix_lists: BTreeMap<String, PrefixListRecord>,
    pub vpc_endpoints: BTreeMap<String, dto::VpcEndpoint>,
    /// Peering connections this partition requested or accepts, in their settled state.
    pub vpc_peering_connections: BTreeMap<String, dto::VpcPeeringConnection>,
    pub flow_logs: BTreeMap<String, dto::FlowLog>,
    /// Key pairs by name (names are unique per account and region), with the public key
    /// in OpenSSH form in `public_key`; tags live in `tags` under the `key-` id.
    pub key_pairs: BTreeMap<String, dto::KeyPairInfo>,
    /// Launch templates by id, each with its versions.
    pub launch_templates: BTreeMap<String, LaunchTemplateRecord>,
    /// The account's settings in this region (EBS encryption by default, block public
    /// access, metadata defaults, ...).
    pub account: account::AccountSettings,
    /// Dedicated Hosts by id, without their instances, capacity and tags (derived when
    /// described); released ones stay.
    #[serde(default)]
    pub hosts: BTreeMap<String, dto::Host>,
    /// Placement groups by name (names are unique per account and region).
    pub placement_groups: BTreeMap<String, dto::PlacementGroup>,
    /// Tags of every resource, by resource id.
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
    /// `(operation, ClientToken)` -> the request and the answer it got, for idempotency.
    #[serde(with = "nimbus_core::state::pairs")]
    pub client_tokens: BTreeMap<(String, String), (Value, Value)>,
    /// When each resource with a lifecycle was created or changed state.
    pub timestamps: BTreeMap<String, DateTime<Utc>>,
    /// Transit gateways and everything that hangs off them.
    #[serde(default)]
    pub transit: transit::TransitState,
    /// IPAMs homed in this Region, their scopes, pools, CIDRs and allocations.
    pub ipam: ipam::IpamState,
    /// Zone groups (Local and Wavelength Zones) whose opt-in status this account changed
    /// with ModifyAvailabilityZoneGroup: group name -> `opted-in` or `not-opted-in`.
    #[serde(default)]
    pub zone_group_opt_ins: BTreeMap<String, String>,
    /// VPN connections, Client VPN, carrier gateways, endpoint services, Instance Connect
    /// endpoints (`state/connectivity.rs`).
    #[serde(default)]
    pub connectivity: connectivity::ConnectivityState,
    /// Endpoint services this account offers and this partition's endpoints to them
    /// (`state/endpoint_services.rs`).
    #[serde(default)]
    pub endpoint_services: endpoint_services::EndpointServicesState,
    /// Spot Instance requests and the Spot data feed (`state/spot.rs`).
    #[serde(default)]
    pub spot: spot::SpotState,
    /// EC2 Fleets and Spot Fleet requests (`state/fleet.rs`).
    #[serde(default)]
    pub fleets: fleet::FleetState,
    /// On-Demand Capacity Reservations by id.
    #[serde(default)]
    pub capacity_reservations: BTreeMap<String, capacity::CapacityReservationRecord>,
    /// Fast snapshot restores and VM import tasks (`state/ebs.rs`).
    #[serde(default)]
    pub ebs: ebs::EbsState,
    /// Network Insights paths and analyses (`state/insights.rs`).
    #[serde(default)]
    pub insights: insights::InsightsState,
    /// AWS Verified Access instances, trust providers, groups and endpoints
    /// (`state/verified_access.rs`).
    #[serde(default)]
    pub verified_access: verified_access::VerifiedAccessState,
    /// Traffic Mirroring filters, rules, targets and sessions (`state/mirroring.rs`).
    #[serde(default)]
    pub mirroring: mirroring::MirroringState,
    /// VPC Block Public Access: the mode and its exclusions (`state/block_public_access.rs`).
    #[serde(default)]
    pub vpc_bpa: block_public_access::VpcBpaState,
    /// VPC Route Server: route servers, endpoints and peers (`state/route_servers.rs`).
    #[serde(default)]
    pub route_servers: route_servers::RouteServersState,
}

impl Ec2State {
    /// The resource type AWS's DescribeTags reports for an id, from its prefix.
    pub fn resource_type(id: &str) -> Option<&'static str> {
        resources::kind_of(id).map(|k| k.resource_type)
    }

    /// Whether a resource with this id exists here.
    pub fn exists(&self, id: &str) -> bool {
        resources::kind_of(id).is_some_and(|k| (k.exists)(self, id))
    }

    /// The tags of a resource in AWS's shape. An untagged resource has an empty
    /// `tagSet` (clients such as Ansible's modules index `Tags` unconditionally).
    pub fn dto_tags(&self, id: &str) -> Option<Vec<dto::Tag>> {
        let tags = self
            .tags
            .get(id)
            .map(|t| t.iter().map(|(k, v)| dto::Tag { key: Some(k.clone()), value: Some(v.clone()) }).collect());
        Some(tags.unwrap_or_default())
    }

    /// Tags as the resources answer them whose `tagSet` AWS leaves out when there are
    /// none: VPCs, subnets, security groups, instances, volumes, snapshots, images,
    /// addresses and launch templates. (Recorded answers of real EC2 since 2021 show it;
    /// interfaces, route tables, gateways, ACLs, key pairs, endpoints and prefix lists
    /// answer an empty `tagSet`, through [`Ec2State::dto_tags`].)
    pub fn dto_tags_if_any(&self, id: &str) -> Option<Vec<dto::Tag>> {
        self.dto_tags(id).filter(|tags| !tags.is_empty())
    }

    pub fn tag_pairs(&self, id: &str) -> Vec<(String, String)> {
        self.tags.get(id).map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
    }

    /// How long each lifecycle step takes (`Ec2Settings::transition_delay_secs`).
    pub fn transition_delay(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::from(self.transition_delay_secs))
    }

    /// When the step begun at `timestamps[key]` ends.
    pub fn transition_ends(&self, key: &str) -> DateTime<Utc> {
        self.timestamps.get(key).copied().unwrap_or(DateTime::<Utc>::MIN_UTC) + self.transition_delay()
    }

    pub fn set_tags(&mut self, id: &str, tags: impl IntoIterator<Item = (String, String)>) {
        let entry = self.tags.entry(id.to_string()).or_default();
        for (k, v) in tags {
            entry.insert(k, v);
        }
        if entry.is_empty() {
            self.tags.remove(id);
        }
    }

    /// Whether `account` may launch an image of this partition.
    pub fn shared_with(&self, image: &dto::Image, account: &str) -> bool {
        let id = image.image_id.as_deref().unwrap_or_default();
        self.images.get(id).is_some_and(|r| r.launch_users.iter().any(|u| u == account))
    }

    /// Forgets a deleted resource's tags and timestamps.
    pub fn forget(&mut self, id: &str) {
        self.tags.remove(id);
        self.timestamps.remove(id);
    }
}
