//! Every kind of EC2 resource nimbus keeps, by the prefix of its id: the type name
//! DescribeTags reports, whether one exists in a partition, and AWS's error when it does
//! not. CreateTags, DeleteTags, DescribeTags and every "any resource id" parameter
//! (flow-log targets, route targets...) read this one table; a new resource family adds
//! its line here.

use nimbus_core::ApiError;

use super::verified_access::VaEndpointStage;
use super::Ec2State;
use crate::generated::errors;

pub struct ResourceKind {
    /// The id's prefix, before the first `-` (`vpc`, `i`, `eipalloc`...).
    pub prefix: &'static str,
    /// The type AWS's DescribeTags and tag-specification errors name.
    pub resource_type: &'static str,
    pub exists: fn(&Ec2State, &str) -> bool,
    pub not_found: fn(&str) -> ApiError,
}

macro_rules! kind {
    ($prefix:literal, $type:literal, |$s:ident, $id:ident| $exists:expr, $not_found:expr) => {
        ResourceKind { prefix: $prefix, resource_type: $type, exists: |$s, $id| $exists, not_found: $not_found }
    };
}

pub static KINDS: &[ResourceKind] = &[
    kind!("acl", "network-acl", |s, id| s.network_acls.contains_key(id), |id| {
        errors::invalid_network_acl_id_not_found(id)
    }),
    kind!("ami", "image", |s, id| s.images.contains_key(id), |id| errors::invalid_amiid_not_found(id)),
    kind!("cagw", "carrier-gateway", |s, id| s.connectivity.carrier_gateways.contains_key(id), |id| {
        errors::invalid_carrier_gateway_id_not_found(id)
    }),
    kind!("cgw", "customer-gateway", |s, id| s.customer_gateways.contains_key(id), |id| {
        errors::invalid_customer_gateway_id_not_found(id)
    }),
    kind!("cr", "capacity-reservation", |s, id| s.capacity_reservations.contains_key(id), |id| {
        errors::invalid_capacity_reservation_id_not_found(id)
    }),
    kind!(
        "cvpn-endpoint",
        "client-vpn-endpoint",
        |s, id| s.connectivity.client_vpn_endpoints.get(id).is_some_and(|e| e.live()),
        |id| { errors::invalid_client_vpn_endpoint_id_not_found(id) }
    ),
    kind!("dopt", "dhcp-options", |s, id| s.dhcp_options.contains_key(id), |id| {
        errors::invalid_dhcp_option_id_not_found(id)
    }),
    kind!(
        "eice",
        "instance-connect-endpoint",
        |s, id| s.connectivity.instance_connect_endpoints.contains_key(id),
        |id| { errors::invalid_instance_connect_endpoint_id_not_found(id) }
    ),
    kind!("eigw", "egress-only-internet-gateway", |s, id| s.egress_only_internet_gateways.contains_key(id), |id| {
        errors::invalid_gateway_id_not_found(id, "eigw")
    }),
    kind!("eipalloc", "elastic-ip", |s, id| s.addresses.contains_key(id), |id| {
        errors::invalid_allocation_id_not_found(id)
    }),
    kind!("eni", "network-interface", |s, id| s.network_interfaces.contains_key(id), |id| {
        errors::invalid_network_interface_id_not_found(id)
    }),
    kind!("fl", "vpc-flow-log", |s, id| s.flow_logs.contains_key(id), |id| errors::invalid_flow_log_id_not_found(
        1, id
    )),
    kind!("fleet", "fleet", |s, id| s.fleets.fleets.contains_key(id), |id| errors::invalid_fleet_id_not_found(id)),
    kind!("h", "dedicated-host", |s, id| s.hosts.contains_key(id), |id| errors::invalid_host_id_not_found(id)),
    kind!("i", "instance", |s, id| s.instances.contains_key(id), |id| errors::invalid_instance_id_not_found(id)),
    kind!("igw", "internet-gateway", |s, id| s.internet_gateways.contains_key(id), |id| {
        errors::invalid_internet_gateway_id_not_found(id)
    }),
    kind!("import-ami", "import-image-task", |s, id| s.ebs.import_image_tasks.contains_key(id), |id| {
        errors::invalid_conversion_task_id(id)
    }),
    kind!("import-snap", "import-snapshot-task", |s, id| s.ebs.import_snapshot_tasks.contains_key(id), |id| {
        errors::invalid_conversion_task_id(id)
    }),
    kind!("ipam", "ipam", |s, id| s.ipam.ipams.contains_key(id), |id| errors::invalid_ipam_id_not_found(id)),
    kind!("ipam-pool", "ipam-pool", |s, id| s.ipam.pools.contains_key(id), |id| {
        errors::invalid_ipam_pool_id_not_found(id)
    }),
    kind!(
        "ipam-pool-alloc",
        "ipam-pool-allocation",
        |s, id| s.ipam.pools.values().any(|p| p.allocations.contains_key(id)),
        |id| errors::invalid_ipam_pool_allocation_id_not_found(id)
    ),
    kind!("ipam-res-disco", "ipam-resource-discovery", |s, id| s.ipam.discoveries.contains_key(id), |id| {
        errors::invalid_ipam_resource_discovery_id_not_found(id)
    }),
    kind!(
        "ipam-res-disco-assoc",
        "ipam-resource-discovery-association",
        |s, id| s.ipam.discovery_associations.contains_key(id),
        |id| errors::invalid_ipam_resource_discovery_association_id_not_found(id)
    ),
    kind!("ipam-scope", "ipam-scope", |s, id| s.ipam.scopes.contains_key(id), |id| {
        errors::invalid_ipam_scope_id_not_found(id)
    }),
    kind!("key", "key-pair", |s, id| s.key_pairs.values().any(|k| k.key_pair_id.as_deref() == Some(id)), |id| {
        ApiError::client("InvalidKeyPair.NotFound", format!("The key pair ID '{id}' does not exist"))
    }),
    kind!("lt", "launch-template", |s, id| s.launch_templates.contains_key(id), |id| {
        errors::invalid_launch_template_id_not_found(id)
    }),
    kind!("nat", "natgateway", |s, id| s.nat_gateways.contains_key(id), |id| {
        errors::invalid_nat_gateway_id_not_found(id)
    }),
    kind!("nia", "network-insights-analysis", |s, id| s.insights.analyses.contains_key(id), |id| {
        errors::invalid_network_insights_analysis_id_not_found(id)
    }),
    kind!("nip", "network-insights-path", |s, id| s.insights.paths.contains_key(id), |id| {
        errors::invalid_network_insights_path_id_not_found(id)
    }),
    kind!("pcx", "vpc-peering-connection", |s, id| s.vpc_peering_connections.contains_key(id), |id| {
        errors::invalid_vpc_peering_connection_id_not_found(id)
    }),
    kind!(
        "pg",
        "placement-group",
        |s, id| s.placement_groups.values().any(|g| g.group_id.as_deref() == Some(id)),
        |id| { errors::invalid_placement_group_id_not_found(id) }
    ),
    kind!("pl", "prefix-list", |s, id| s.prefix_lists.contains_key(id), |id| {
        errors::invalid_prefix_list_id_not_found(id)
    }),
    kind!("rs", "route-server", |s, id| s.route_servers.servers.get(id).is_some_and(|r| !r.life.finished()), |id| {
        errors::invalid_route_server_id_not_found(id)
    }),
    kind!(
        "rse",
        "route-server-endpoint",
        |s, id| s.route_servers.endpoints.get(id).is_some_and(|e| !e.life.finished()),
        |id| errors::invalid_route_server_endpoint_id_not_found(id)
    ),
    kind!(
        "rsp",
        "route-server-peer",
        |s, id| s.route_servers.peers.get(id).is_some_and(|p| !p.life.finished()),
        |id| errors::invalid_route_server_peer_id_not_found(id)
    ),
    kind!("rtb", "route-table", |s, id| s.route_tables.contains_key(id), |id| {
        errors::invalid_route_table_id_not_found(id)
    }),
    kind!(
        "scr",
        "subnet-cidr-reservation",
        |s, id| s.subnets.values().any(|r| r.cidr_reservations.contains_key(id)),
        |id| errors::invalid_subnet_cidr_reservation_id_not_found(id)
    ),
    kind!("sfr", "spot-fleet-request", |s, id| s.fleets.fleets.contains_key(id), |id| {
        errors::invalid_spot_fleet_request_id_not_found(id)
    }),
    kind!("sg", "security-group", |s, id| s.security_groups.contains_key(id), |id| errors::invalid_group_not_found(id)),
    kind!(
        "sgr",
        "security-group-rule",
        |s, id| s.security_groups.values().any(|g| g.rules.iter().any(|r| r.id == id)),
        |id| errors::invalid_security_group_rule_id_not_found(id)
    ),
    kind!("sir", "spot-instances-request", |s, id| s.spot.requests.contains_key(id), |id| {
        errors::invalid_spot_instance_request_id_not_found(id)
    }),
    kind!("snap", "snapshot", |s, id| s.snapshots.contains_key(id), |id| errors::invalid_snapshot_not_found(id)),
    kind!("subnet", "subnet", |s, id| s.subnets.contains_key(id), |id| errors::invalid_subnet_id_not_found(id)),
    kind!("tgw", "transit-gateway", |s, id| s.transit.live_gateway(id).is_some(), |id| {
        errors::invalid_transit_gateway_id_not_found(id)
    }),
    kind!(
        "tgw-attach",
        "transit-gateway-attachment",
        |s, id| s.transit.attachments.get(id).is_some_and(|a| !a.life.finished()),
        |id| { errors::invalid_transit_gateway_attachment_id_not_found(id, "Attachment") }
    ),
    kind!(
        "tgw-connect-peer",
        "transit-gateway-connect-peer",
        |s, id| s.transit.connect_peers.get(id).is_some_and(|p| !p.life.finished()),
        |id| errors::invalid_transit_gateway_connect_peer_id_not_found(id)
    ),
    kind!(
        "tgw-mcast-domain",
        "transit-gateway-multicast-domain",
        |s, id| s.transit.multicast_domains.get(id).is_some_and(|d| !d.life.finished()),
        |id| errors::invalid_transit_gateway_multicast_domain_id_not_found(id)
    ),
    kind!(
        "tgw-ptb",
        "transit-gateway-policy-table",
        |s, id| s.transit.policy_tables.get(id).is_some_and(|t| !t.life.finished()),
        |id| errors::invalid_transit_gateway_policy_table_id_not_found(id)
    ),
    kind!("tgw-rtb", "transit-gateway-route-table", |s, id| s.transit.route_tables.contains_key(id), |id| {
        ApiError::client(
            "InvalidRouteTableID.NotFound",
            format!("Transit Gateway Route Table {id} was deleted or does not exist."),
        )
    }),
    kind!("tmf", "traffic-mirror-filter", |s, id| s.mirroring.filters.contains_key(id), |id| {
        errors::invalid_traffic_mirror_filter_id_not_found(id)
    }),
    kind!("tmfr", "traffic-mirror-filter-rule", |s, id| s.mirroring.rules.contains_key(id), |id| {
        errors::invalid_traffic_mirror_filter_rule_id_not_found(id)
    }),
    kind!("tms", "traffic-mirror-session", |s, id| s.mirroring.sessions.contains_key(id), |id| {
        errors::invalid_traffic_mirror_session_id_not_found(id)
    }),
    kind!("tmt", "traffic-mirror-target", |s, id| s.mirroring.targets.contains_key(id), |id| {
        errors::invalid_traffic_mirror_target_id_not_found(id)
    }),
    kind!(
        "vae",
        "verified-access-endpoint",
        |s, id| s.verified_access.endpoints.get(id).is_some_and(|e| e.stage != VaEndpointStage::Deleting),
        |id| errors::invalid_verified_access_endpoint_id_not_found(id)
    ),
    kind!("vagr", "verified-access-group", |s, id| s.verified_access.groups.contains_key(id), |id| {
        errors::invalid_verified_access_group_id_not_found(id)
    }),
    kind!("vai", "verified-access-instance", |s, id| s.verified_access.instances.contains_key(id), |id| {
        errors::invalid_verified_access_instance_id_not_found(id)
    }),
    kind!("vatp", "verified-access-trust-provider", |s, id| s.verified_access.trust_providers.contains_key(id), |id| {
        errors::invalid_verified_access_trust_provider_id_not_found(id)
    }),
    kind!("vgw", "vpn-gateway", |s, id| s.vpn_gateways.contains_key(id), |id| {
        errors::invalid_vpn_gateway_id_not_found(id)
    }),
    kind!("vol", "volume", |s, id| s.volumes.contains_key(id), |id| errors::invalid_volume_not_found(id)),
    kind!("vpc", "vpc", |s, id| s.vpcs.contains_key(id), |id| errors::invalid_vpc_id_not_found(id)),
    kind!(
        "vpcbpa-exclude",
        "vpc-block-public-access-exclusion",
        |s, id| s.vpc_bpa.exclusions.get(id).is_some_and(|e| e.live()),
        |id| errors::invalid_vpc_block_public_access_exclusion_id_not_found(id)
    ),
    kind!("vpce", "vpc-endpoint", |s, id| s.vpc_endpoints.contains_key(id), |id| {
        errors::invalid_vpc_endpoint_id_not_found(id)
    }),
    kind!("vpce-svc", "vpc-endpoint-service", |s, id| s.endpoint_services.services.contains_key(id), |id| {
        errors::invalid_vpc_endpoint_service_id_not_found(id)
    }),
    kind!("vpn", "vpn-connection", |s, id| s.connectivity.vpn_connections.contains_key(id), |id| {
        errors::invalid_vpn_connection_id_not_found(id)
    }),
];

/// The kind of resource an id names, from its prefix: the longest prefix the id starts
/// with before a `-` (`tgw-attach-...` is an attachment, `tgw-...` a gateway).
pub fn kind_of(id: &str) -> Option<&'static ResourceKind> {
    KINDS
        .iter()
        .filter(|k| id.strip_prefix(k.prefix).is_some_and(|rest| rest.len() > 1 && rest.starts_with('-')))
        .max_by_key(|k| k.prefix.len())
}

/// AWS's not-found error for an id of any type (`InvalidID` for an id of no known kind).
pub fn not_found(id: &str) -> ApiError {
    match kind_of(id) {
        Some(kind) => (kind.not_found)(id),
        None => errors::invalid_id(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_by_prefix() {
        assert!(KINDS.windows(2).all(|w| w[0].prefix < w[1].prefix));
        assert_eq!(kind_of("vpc-0123").map(|k| k.resource_type), Some("vpc"));
        assert_eq!(kind_of("vpce-0123").map(|k| k.resource_type), Some("vpc-endpoint"));
        assert!(kind_of("nope").is_none());
        assert_eq!(kind_of("tgw-0123").map(|k| k.resource_type), Some("transit-gateway"));
        assert_eq!(kind_of("tgw-attach-0123").map(|k| k.resource_type), Some("transit-gateway-attachment"));
        assert_eq!(kind_of("tgw-rtb-0123").map(|k| k.resource_type), Some("transit-gateway-route-table"));
        assert!(kind_of("vpc-").is_none());
        assert_eq!(kind_of("eice-0123").map(|k| k.prefix), Some("eice"));
        assert_eq!(not_found("i-0123456789abcdef0").code, "InvalidInstanceID.NotFound");
        assert_eq!(not_found("zz-1").code, "InvalidID");
    }
}
