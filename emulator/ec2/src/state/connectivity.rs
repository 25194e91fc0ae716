//! The connectivity family's records (issue 13, item 4): carrier gateways, EC2 Instance
//! Connect endpoints. The handlers live in `connectivity/`; what other families must know
//! about these records (does a VPC, subnet or security group still serve one?) is
//! answered here, in the layer every family may read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::generated::dto;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConnectivityState {
    /// Carrier gateways by id, in their stored state (`available`); deleted ones are gone.
    #[serde(default)]
    pub carrier_gateways: BTreeMap<String, dto::CarrierGateway>,
    /// EC2 Instance Connect endpoints by id, in their stored state (`create-complete`);
    /// `connectivity::instance_connect` shows `create-in-progress` until the change settles.
    #[serde(default)]
    pub instance_connect_endpoints: BTreeMap<String, dto::Ec2InstanceConnectEndpoint>,
}

impl ConnectivityState {
    /// Whether something of this family still sits in the VPC (a VPC cannot be deleted
    /// under it).
    pub fn uses_vpc(&self, vpc_id: &str) -> bool {
        self.carrier_gateways.values().any(|g| g.vpc_id.as_deref() == Some(vpc_id))
            || self.instance_connect_endpoints.values().any(|e| e.vpc_id.as_deref() == Some(vpc_id))
    }

    /// Whether something of this family sits in the subnet.
    pub fn uses_subnet(&self, subnet_id: &str) -> bool {
        self.instance_connect_endpoints.values().any(|e| e.subnet_id.as_deref() == Some(subnet_id))
    }

    /// Whether something of this family uses the security group.
    pub fn uses_security_group(&self, group_id: &str) -> bool {
        self.instance_connect_endpoints.values().any(|e| e.security_group_ids.iter().flatten().any(|g| g == group_id))
    }
}
