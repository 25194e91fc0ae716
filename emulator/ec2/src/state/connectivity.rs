//! The connectivity family's records (issue 13, item 4): carrier gateways, EC2 Instance
//! Connect endpoints, Site-to-Site VPN connections. The handlers live in `connectivity/`; what other families must know
//! about these records (does a VPC, subnet or security group still serve one?) is
//! answered here, in the layer every family may read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::client_vpn::ClientVpnRecord;
use super::transit::Life;
use crate::generated::dto;

/// A Site-to-Site VPN connection. `connection` holds what the request settled (ids,
/// gateways, type, options with both tunnels' outside addresses, inside CIDRs and
/// pre-shared keys); its state, routes, telemetry, tags and customer gateway
/// configuration are derived when it is described.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VpnConnectionRecord {
    pub connection: dto::VpnConnection,
    /// `Created` (`pending` -> `available`), `Modified` (`modifying` -> `available`) or
    /// `Deleted` (`deleting` -> `deleted`, shown for an hour).
    pub life: Life,
    pub created: DateTime<Utc>,
    /// The transit gateway attachment of a connection to a transit gateway.
    #[serde(default)]
    pub transit_attachment_id: Option<String>,
    /// Static routes by destination CIDR block (`Deleted` ones go once settled).
    #[serde(default)]
    pub routes: BTreeMap<String, Life>,
}

impl VpnConnectionRecord {
    pub fn id(&self) -> &str {
        self.connection.vpn_connection_id.as_deref().unwrap_or_default()
    }

    /// Not deleted.
    pub fn live(&self) -> bool {
        !self.life.finished()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConnectivityState {
    /// Carrier gateways by id, in their stored state (`available`); deleted ones are gone.
    #[serde(default)]
    pub carrier_gateways: BTreeMap<String, dto::CarrierGateway>,
    /// EC2 Instance Connect endpoints by id, in their stored state (`create-complete`);
    /// `connectivity::instance_connect` shows `create-in-progress` until the change settles.
    #[serde(default)]
    pub instance_connect_endpoints: BTreeMap<String, dto::Ec2InstanceConnectEndpoint>,
    /// Site-to-Site VPN connections by id; deleted ones stay an hour, as AWS shows them.
    #[serde(default)]
    pub vpn_connections: BTreeMap<String, VpnConnectionRecord>,
    /// Client VPN endpoints by id; deleted ones stay an hour, as AWS shows them.
    #[serde(default)]
    pub client_vpn_endpoints: BTreeMap<String, ClientVpnRecord>,
}

impl ConnectivityState {
    /// Whether something of this family still sits in the VPC (a VPC cannot be deleted
    /// under it).
    pub fn uses_vpc(&self, vpc_id: &str) -> bool {
        self.carrier_gateways.values().any(|g| g.vpc_id.as_deref() == Some(vpc_id))
            || self.instance_connect_endpoints.values().any(|e| e.vpc_id.as_deref() == Some(vpc_id))
            || self.client_vpn_endpoints.values().any(|e| e.live() && e.endpoint.vpc_id.as_deref() == Some(vpc_id))
    }

    /// Live VPN connections.
    pub fn live_vpn_connections(&self) -> impl Iterator<Item = &VpnConnectionRecord> {
        self.vpn_connections.values().filter(|c| c.live())
    }

    /// Whether a live VPN connection uses the customer gateway (it cannot be deleted then).
    pub fn uses_customer_gateway(&self, cgw_id: &str) -> bool {
        self.live_vpn_connections().any(|c| c.connection.customer_gateway_id.as_deref() == Some(cgw_id))
    }

    /// Whether a live VPN connection ends at the virtual private gateway.
    pub fn uses_vpn_gateway(&self, vgw_id: &str) -> bool {
        self.live_vpn_connections().any(|c| c.connection.vpn_gateway_id.as_deref() == Some(vgw_id))
    }

    /// The static routes that a virtual private gateway's VPN connections propagate into
    /// the route tables that propagate the gateway's routes.
    pub fn propagated_routes(&self, vgw_id: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .live_vpn_connections()
            .filter(|c| c.connection.vpn_gateway_id.as_deref() == Some(vgw_id))
            .flat_map(|c| c.routes.iter().filter(|(_, life)| !life.finished()).map(|(cidr, _)| cidr.clone()))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Whether something of this family sits in the subnet.
    pub fn uses_subnet(&self, subnet_id: &str) -> bool {
        self.instance_connect_endpoints.values().any(|e| e.subnet_id.as_deref() == Some(subnet_id))
    }

    /// Whether something of this family uses the security group.
    pub fn uses_security_group(&self, group_id: &str) -> bool {
        self.instance_connect_endpoints.values().any(|e| e.security_group_ids.iter().flatten().any(|g| g == group_id))
            || self.client_vpn_endpoints.values().any(|e| e.uses_security_group(group_id))
    }
}
