//! The desired state: what the API layer says should exist. The runtime converges the
//! host to it and never decides anything the API answers.
//!
//! The server builds one `Desired` from its EC2 state after every change that matters
//! (instances, security groups, ACLs, routes, gateways, addresses, peerings) and hands it
//! to [`crate::Runtime::converge`]. Everything here is already resolved: prefix lists are
//! CIDRs, a route's target is typed, an instance knows its subnet's CIDR.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

/// An IPv4 CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cidr {
    pub addr: Ipv4Addr,
    pub len: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, l) = s.split_once('/')?;
        let addr: Ipv4Addr = a.parse().ok()?;
        let len: u8 = l.parse().ok()?;
        (len <= 32).then_some(Cidr { addr, len })
    }

    pub fn any() -> Cidr {
        Cidr { addr: Ipv4Addr::UNSPECIFIED, len: 0 }
    }

    fn mask(&self) -> u32 {
        if self.len == 0 {
            0
        } else {
            u32::MAX << (32 - self.len)
        }
    }

    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & self.mask())
    }

    /// The VPC router's address in a subnet: the network address plus one, as at AWS.
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network()) + 1)
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.network())
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network(), self.len)
    }
}

/// Everything that should exist, for one nimbus (all accounts and regions).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Desired {
    pub vpcs: Vec<Vpc>,
    /// Active peering connections.
    pub peerings: Vec<Peering>,
    pub nat_gateways: Vec<NatGateway>,
    pub instances: Vec<Instance>,
    /// EBS data volumes (not root volumes, which are the instances' overlayfs disks).
    #[serde(default)]
    pub volumes: Vec<Volume>,
    /// Snapshots of those volumes: each is captured once, when it first appears.
    #[serde(default)]
    pub snapshots: Vec<Snapshot>,
}

/// An EBS volume: a blank disk of `size_gib`, or a copy of `snapshot`'s data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    pub id: String,
    pub size_gib: u64,
    pub snapshot: Option<String>,
}

/// An EBS snapshot of volume `volume`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub id: String,
    pub volume: String,
}

/// A volume attached to an instance at `device` (`/dev/sdf`, `/dev/xvdf`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VolumeAttachment {
    pub volume: String,
    pub device: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vpc {
    pub id: String,
    pub cidrs: Vec<Cidr>,
    /// The internet gateway attached to it, if any.
    pub internet_gateway: Option<String>,
    pub subnets: Vec<Subnet>,
    pub route_tables: Vec<RouteTable>,
    pub network_acls: Vec<NetworkAcl>,
    pub security_groups: Vec<SecurityGroup>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subnet {
    pub id: String,
    pub cidr: Cidr,
    /// The route table associated with it (explicitly or as the main one).
    pub route_table: String,
    pub network_acl: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RouteTable {
    pub id: String,
    /// Routes other than `local` (the VPC's own ranges always route locally).
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Route {
    pub destination: Cidr,
    pub target: RouteTarget,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RouteTarget {
    InternetGateway(String),
    NatGateway(String),
    Peering(String),
    /// An instance or interface target: the instance's private address.
    Instance(String),
    /// A route whose target is gone (`blackhole`), or one the runtime cannot carry.
    Blackhole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    All,
    Tcp,
    Udp,
    Icmp,
    /// Any other IP protocol number.
    Number(u8),
}

impl Protocol {
    /// From EC2's `IpProtocol` / ACL `Protocol`: `-1`, `tcp`, `6`, `udp`, `17`, `icmp`, `1`, a number.
    pub fn parse(s: &str) -> Option<Protocol> {
        Some(match s.to_ascii_lowercase().as_str() {
            "-1" | "all" => Protocol::All,
            "tcp" | "6" => Protocol::Tcp,
            "udp" | "17" => Protocol::Udp,
            "icmp" | "1" => Protocol::Icmp,
            other => Protocol::Number(other.parse().ok()?),
        })
    }
}

/// A port range (inclusive), or ICMP type and code (`-1`: any) for `Protocol::Icmp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ports {
    Any,
    Range(u16, u16),
    Icmp { icmp_type: i32, code: i32 },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkAcl {
    pub id: String,
    pub ingress: Vec<AclEntry>,
    pub egress: Vec<AclEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AclEntry {
    /// Evaluated in increasing order, first match wins; 32767 is the `*` default deny,
    /// which the runtime adds itself.
    pub rule_number: u32,
    pub protocol: Protocol,
    pub ports: Ports,
    pub cidr: Cidr,
    pub allow: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub ingress: Vec<SgRule>,
    pub egress: Vec<SgRule>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SgRule {
    pub protocol: Protocol,
    pub ports: Ports,
    /// Sources (ingress) or destinations (egress); prefix lists already resolved to CIDRs.
    pub peers: Vec<SgPeer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SgPeer {
    Cidr(Cidr),
    /// Members of a security group: the private addresses of its instances.
    Group(String),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Peering {
    pub id: String,
    pub requester_vpc: String,
    pub accepter_vpc: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NatGateway {
    pub id: String,
    pub vpc: String,
    pub subnet: String,
    pub private_ip: Ipv4Addr,
    pub public_ip: Option<Ipv4Addr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Power {
    Running,
    Stopped,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub vpc: String,
    pub subnet: String,
    pub private_ip: Ipv4Addr,
    pub public_ip: Option<Ipv4Addr>,
    pub mac: String,
    pub interface_id: String,
    pub security_groups: Vec<String>,
    /// Security group names, for IMDS's `security-groups`.
    pub security_group_names: Vec<String>,
    pub image_id: String,
    /// The image's default login user (`ec2-user`, `ubuntu`, `admin`).
    pub default_user: String,
    pub key_name: Option<String>,
    /// The key pair's public key in OpenSSH form.
    pub public_key: Option<String>,
    pub user_data: Option<Vec<u8>>,
    pub power: Power,
    /// Bumped by RebootInstances: a change restarts the sandbox.
    pub boot_generation: u64,
    pub metadata: MetadataOptions,
    pub identity: Identity,
    pub vcpus: u32,
    pub memory_mib: u64,
    pub iam: Option<IamProfile>,
    /// Data volumes attached (attaching or attached), each a block device at its name.
    #[serde(default)]
    pub volumes: Vec<VolumeAttachment>,
    /// The primary interface's secondary private addresses (AssignPrivateIpAddresses),
    /// in its subnet: more addresses on eth0.
    #[serde(default)]
    pub secondary_ips: Vec<Ipv4Addr>,
}

/// `MetadataOptions` as EC2 keeps them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetadataOptions {
    pub http_endpoint_enabled: bool,
    pub http_tokens_required: bool,
    pub http_put_response_hop_limit: u8,
    pub instance_metadata_tags: bool,
}

impl Default for MetadataOptions {
    fn default() -> Self {
        MetadataOptions {
            http_endpoint_enabled: true,
            http_tokens_required: false,
            http_put_response_hop_limit: 1,
            instance_metadata_tags: false,
        }
    }
}

/// What IMDS tells about an instance beyond its network.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Identity {
    pub account_id: String,
    pub region: String,
    pub availability_zone: String,
    pub availability_zone_id: String,
    pub instance_type: String,
    pub reservation_id: String,
    pub launch_index: u32,
    /// RFC 3339.
    pub pending_time: String,
    pub private_dns_name: String,
    pub public_dns_name: Option<String>,
    pub subnet_cidr: Option<Cidr>,
    pub vpc_cidrs: Vec<Cidr>,
    pub tags: Vec<(String, String)>,
    /// Detailed monitoring: AWS/EC2 metrics every minute instead of every 5 minutes.
    #[serde(default)]
    pub detailed_monitoring: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IamProfile {
    pub instance_profile_arn: String,
    pub instance_profile_id: String,
    pub role_name: String,
    pub role_arn: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parts() {
        let c = Cidr::parse("10.0.1.77/24").unwrap();
        assert_eq!(c.to_string(), "10.0.1.0/24");
        assert_eq!(c.gateway(), Ipv4Addr::new(10, 0, 1, 1));
        assert!(c.contains(Ipv4Addr::new(10, 0, 1, 200)));
        assert!(!c.contains(Ipv4Addr::new(10, 0, 2, 1)));
        assert!(Cidr::any().contains(Ipv4Addr::new(8, 8, 8, 8)));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert_eq!(Protocol::parse("-1"), Some(Protocol::All));
        assert_eq!(Protocol::parse("TCP"), Some(Protocol::Tcp));
        assert_eq!(Protocol::parse("50"), Some(Protocol::Number(50)));
    }
}
