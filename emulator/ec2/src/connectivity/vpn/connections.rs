//! CreateVpnConnection, DescribeVpnConnections, DeleteVpnConnection, and what the other
//! VPN operations share: finding a live connection, the gateways it may end at, the
//! inside CIDRs a gateway's connections already use, and the connection as Describe
//! shows it.

use chrono::{DateTime, Utc};
use nimbus_core::filter::Filterable;
use nimbus_core::{ids, ApiError, RequestContext};

use super::config_xml::{customer_gateway_configuration, Sides};
use super::options::{
    apply_tunnel_spec, check_inside_cidr, check_inside_ipv6_cidr, check_tunnel_spec, generate_pre_shared_key,
    new_tunnel, random_inside_cidr, random_inside_ipv6_cidr,
};
use crate::generated::dto::{
    CreateVpnConnectionRequest, CreateVpnConnectionResult, DeleteVpnConnectionRequest, DescribeVpnConnectionsRequest,
    DescribeVpnConnectionsResult, TunnelOption, VgwTelemetry, VpnConnection, VpnConnectionOptions,
    VpnConnectionOptionsSpecification, VpnStaticRoute,
};
use crate::generated::enums;
use crate::generated::errors;
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};
use crate::state::connectivity::VpnConnectionRecord;
use crate::state::params::{invalid_value, one_of};
use crate::state::support::{filtered, spec_tags, tag_pairs};
use crate::state::transit::{Life, Stage};
use crate::state::Ec2State;
use crate::vpc::addresses;

const OUTSIDE_IP_ADDRESS_TYPES: &[&str] = &["PrivateIpv4", "PublicIpv4", "Ipv6"];

/// A connection that is not deleted.
pub(super) fn get_live<'a>(state: &'a Ec2State, id: &str) -> Result<&'a VpnConnectionRecord, ApiError> {
    state
        .connectivity
        .vpn_connections
        .get(id)
        .filter(|c| c.live())
        .ok_or_else(|| errors::invalid_vpn_connection_id_not_found(id))
}

/// Checks the gateway a connection is to end at: a live virtual private gateway or
/// transit gateway, not both.
pub(super) fn check_target(state: &Ec2State, vgw: Option<&str>, tgw: Option<&str>) -> Result<(), ApiError> {
    if vgw.is_some() && tgw.is_some() {
        return Err(errors::invalid_parameter_combination(
            "The parameter vpnGatewayId cannot be used with the parameter transitGatewayId.",
        ));
    }
    if let Some(vgw) = vgw {
        let live = state.vpn_gateways.get(vgw).is_some_and(|g| g.state.as_deref() != Some("deleted"));
        if !live {
            return Err(errors::invalid_vpn_gateway_id_not_found(vgw));
        }
    }
    if let Some(tgw) = tgw {
        if state.transit.live_gateway(tgw).is_none() {
            return Err(errors::invalid_transit_gateway_id_not_found(tgw));
        }
    }
    Ok(())
}

/// The inside CIDRs (IPv4 and IPv6) the other live connections of a gateway use.
pub(super) fn inside_cidrs_in_use(state: &Ec2State, vgw: Option<&str>, tgw: Option<&str>, except: &str) -> Vec<String> {
    if vgw.is_none() && tgw.is_none() {
        return Vec::new();
    }
    state
        .connectivity
        .live_vpn_connections()
        .filter(|c| c.id() != except)
        .filter(|c| c.connection.vpn_gateway_id.as_deref() == vgw && c.connection.transit_gateway_id.as_deref() == tgw)
        .flat_map(|c| tunnels(&c.connection).to_vec())
        .flat_map(|t| [t.tunnel_inside_cidr, t.tunnel_inside_ipv6_cidr])
        .flatten()
        .collect()
}

/// Refuses an inside CIDR that another connection of the gateway uses.
pub(super) fn check_cidr_free(taken: &[String], cidr: &str, gateway: &str) -> Result<(), ApiError> {
    if taken.iter().any(|t| t == cidr) {
        return Err(invalid_value(
            "tunnelInsideCidr",
            cidr,
            &format!("The CIDR block is already used by another VPN connection on {gateway}."),
        ));
    }
    Ok(())
}

pub(super) fn tunnels(c: &VpnConnection) -> &[TunnelOption] {
    c.options.as_ref().and_then(|o| o.tunnel_options.as_deref()).unwrap_or_default()
}

/// The ASN of AWS's side: the virtual private gateway's or the transit gateway's.
fn amazon_asn(state: &Ec2State, c: &VpnConnection) -> i64 {
    if let Some(g) = c.vpn_gateway_id.as_deref().and_then(|id| state.vpn_gateways.get(id)) {
        return g.amazon_side_asn.unwrap_or(64512);
    }
    c.transit_gateway_id.as_deref().and_then(|id| state.transit.gateways.get(id)).map_or(64512, |g| g.asn())
}

/// A connection as Describe shows it at `now`.
pub(super) fn describe_one(state: &Ec2State, rec: &VpnConnectionRecord, now: DateTime<Utc>) -> VpnConnection {
    let delay = state.transition_delay();
    let mut c = rec.connection.clone();
    let shown = rec.life.shown(delay, now);
    c.state = Some(shown.to_string());
    c.routes = Some(
        rec.routes
            .iter()
            .filter(|(_, life)| life.visible(delay, now) && !(life.finished() && life.settled(delay, now)))
            .map(|(cidr, life)| VpnStaticRoute {
                destination_cidr_block: Some(cidr.clone()),
                source: Some("Static".into()),
                state: Some(life.shown(delay, now).to_string()),
            })
            .collect(),
    );
    c.vgw_telemetry = Some(
        tunnels(&c)
            .iter()
            .map(|t| VgwTelemetry {
                accepted_route_count: Some(0),
                last_status_change: Some(rec.created.into()),
                outside_ip_address: t.outside_ip_address.clone(),
                status: Some("DOWN".into()),
                status_message: Some(String::new()),
                certificate_arn: None,
            })
            .collect(),
    );
    // AWS answers the configuration only while the connection is pending or available.
    if !rec.life.finished() {
        let cgw = c.customer_gateway_id.as_deref().and_then(|id| state.customer_gateways.get(id));
        let (ip, asn) = cgw.map_or((String::new(), String::new()), |g| {
            (g.ip_address.clone().unwrap_or_default(), g.bgp_asn.clone().unwrap_or_default())
        });
        let sides = Sides { customer_ip: &ip, customer_asn: &asn, amazon_asn: amazon_asn(state, &c) };
        c.customer_gateway_configuration = Some(customer_gateway_configuration(&c, &sides));
    }
    c.tags = state.dto_tags(rec.id());
    c
}

/// Forgets connections deleted longer ago than AWS keeps showing them.
fn prune(state: &mut Ec2State, now: DateTime<Utc>) {
    let delay = state.transition_delay();
    let gone: Vec<String> = state
        .connectivity
        .vpn_connections
        .iter()
        .filter(|(_, c)| !c.life.visible(delay, now))
        .map(|(id, _)| id.clone())
        .collect();
    for id in gone {
        state.connectivity.vpn_connections.remove(&id);
        state.forget(&id);
    }
}

/// Checks the connection-wide options; the tunnel inside IP version.
fn check_options(state: &Ec2State, o: &VpnConnectionOptionsSpecification, to_tgw: bool) -> Result<String, ApiError> {
    let version = o.tunnel_inside_ip_version.clone().unwrap_or_else(|| "ipv4".into());
    one_of("tunnelInsideIpVersion", &version, enums::TUNNEL_INSIDE_IP_VERSION)?;
    if version == "ipv6" && !to_tgw {
        return Err(errors::invalid_parameter_combination(
            "IPv6 tunnel inside addresses are supported only for VPN connections to a transit gateway.",
        ));
    }
    if o.enable_acceleration == Some(true) && !to_tgw {
        return Err(errors::invalid_parameter_combination(
            "Acceleration is supported only for VPN connections to a transit gateway.",
        ));
    }
    if let Some(t) = o.outside_ip_address_type.as_deref() {
        one_of("outsideIpAddressType", t, OUTSIDE_IP_ADDRESS_TYPES)?;
        if t != "PublicIpv4" && !to_tgw {
            return Err(errors::invalid_parameter_combination(format!(
                "The outside IP address type {t} is supported only for VPN connections to a transit gateway."
            )));
        }
        if t == "PrivateIpv4" && o.transport_transit_gateway_attachment_id.is_none() {
            return Err(errors::missing_parameter("TransportTransitGatewayAttachmentId"));
        }
    }
    if let Some(a) = o.transport_transit_gateway_attachment_id.as_deref() {
        if state.transit.attachments.get(a).is_none_or(|a| a.life.finished()) {
            return Err(errors::invalid_transit_gateway_attachment_id_not_found(a, "Attachment"));
        }
    }
    if let Some(b) = o.tunnel_bandwidth.as_deref() {
        one_of("tunnelBandwidth", b, enums::VPN_TUNNEL_BANDWIDTH)?;
    }
    check_network_cidrs(
        &version,
        [("localIpv4NetworkCidr", &o.local_ipv4_network_cidr), ("remoteIpv4NetworkCidr", &o.remote_ipv4_network_cidr)],
        [("localIpv6NetworkCidr", &o.local_ipv6_network_cidr), ("remoteIpv6NetworkCidr", &o.remote_ipv6_network_cidr)],
    )?;
    let specs = o.tunnel_options.as_deref().unwrap_or_default();
    if specs.len() > 2 {
        return Err(errors::invalid_parameter_value("A VPN connection has two tunnels: give at most 2 TunnelOptions."));
    }
    for spec in specs {
        check_tunnel_spec(spec)?;
        match (version.as_str(), &spec.tunnel_inside_cidr, &spec.tunnel_inside_ipv6_cidr) {
            ("ipv4", _, Some(_)) | ("ipv6", Some(_), _) => {
                return Err(errors::invalid_parameter_combination(format!(
                    "The tunnel inside CIDR does not match the tunnel inside IP version {version}."
                )))
            }
            (_, Some(c), _) => drop(check_inside_cidr(c)?),
            (_, _, Some(c)) => drop(check_inside_ipv6_cidr(c)?),
            _ => {}
        }
    }
    let given: Vec<String> = specs
        .iter()
        .flat_map(|s| [s.tunnel_inside_cidr.clone(), s.tunnel_inside_ipv6_cidr.clone()])
        .flatten()
        .collect();
    if given.len() == 2 && given[0] == given[1] {
        return Err(invalid_value("tunnelInsideCidr", &given[0], "The two tunnels must have different inside CIDRs."));
    }
    Ok(version)
}

/// The local and remote network CIDRs of a connection: IPv4 ones for an IPv4 tunnel,
/// IPv6 ones for an IPv6 tunnel.
pub(super) fn check_network_cidrs(
    version: &str,
    v4: [(&str, &Option<String>); 2],
    v6: [(&str, &Option<String>); 2],
) -> Result<(), ApiError> {
    for (name, value) in v4 {
        if let Some(v) = value {
            if version == "ipv6" {
                return Err(errors::invalid_parameter_combination(format!(
                    "The parameter {name} cannot be used with an IPv6 tunnel inside IP version."
                )));
            }
            Ipv4Cidr::parse(v).ok_or_else(|| invalid_value(name, v, "This is not a valid IPv4 CIDR block."))?;
        }
    }
    for (name, value) in v6 {
        if let Some(v) = value {
            if version == "ipv4" {
                return Err(errors::invalid_parameter_combination(format!(
                    "The parameter {name} cannot be used with an IPv4 tunnel inside IP version."
                )));
            }
            Ipv6Cidr::parse(v).ok_or_else(|| invalid_value(name, v, "This is not a valid IPv6 CIDR block."))?;
        }
    }
    Ok(())
}

/// An outside address of AWS's side of a tunnel.
fn outside_address(state: &mut Ec2State, ctx: &RequestContext, kind: &str) -> String {
    match kind {
        "PrivateIpv4" => format!("10.{}.{}.{}", ids::below(256), ids::below(256), 1 + ids::below(254)),
        "Ipv6" => format!("2600:1f18:{:x}:{:x}::{:x}", ids::below(0xffff), ids::below(0xffff), 1 + ids::below(0xfffe)),
        _ => addresses::next_public_ip(state, ctx),
    }
}

pub fn create_vpn_connection(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: CreateVpnConnectionRequest,
) -> Result<CreateVpnConnectionResult, ApiError> {
    one_of("type", &input.r#type, enums::GATEWAY_TYPE)?;
    let cgw = state
        .customer_gateways
        .get(&input.customer_gateway_id)
        .filter(|g| g.state.as_deref() == Some("available"))
        .ok_or_else(|| errors::invalid_customer_gateway_id_not_found(&input.customer_gateway_id))?;
    if cgw.ip_address.is_none() {
        return Err(errors::incorrect_state("The customer gateway has no IP address."));
    }
    if let Some(c) = input.vpn_concentrator_id.as_deref() {
        return Err(errors::invalid_parameter_value(format!(
            "The VPN concentrator '{c}' does not exist (nimbus has no VPN concentrators)."
        )));
    }
    if let Some(storage) = input.pre_shared_key_storage.as_deref() {
        one_of("preSharedKeyStorage", storage, &["Standard", "SecretsManager"])?;
        if storage == "SecretsManager" {
            return Err(errors::unsupported_operation(
                "Storing pre-shared keys in AWS Secrets Manager is not supported by nimbus (it has no Secrets Manager).",
            ));
        }
    }
    let (vgw, tgw) = (input.vpn_gateway_id.as_deref(), input.transit_gateway_id.as_deref());
    check_target(state, vgw, tgw)?;
    let o = input.options.clone().unwrap_or_default();
    let version = check_options(state, &o, tgw.is_some())?;
    let gateway = vgw.or(tgw).unwrap_or_default().to_string();
    let mut taken = inside_cidrs_in_use(state, vgw, tgw, "");
    for spec in o.tunnel_options.iter().flatten() {
        for c in [&spec.tunnel_inside_cidr, &spec.tunnel_inside_ipv6_cidr].into_iter().flatten() {
            check_cidr_free(&taken, c, &gateway)?;
        }
    }
    let tags = spec_tags(input.tag_specifications.as_deref(), "vpn-connection")?;
    prune(state, ctx.now);

    let id = ids::resource_id("vpn");
    let outside_type = o.outside_ip_address_type.clone().unwrap_or_else(|| "PublicIpv4".into());
    let mut outside = [outside_address(state, ctx, &outside_type), outside_address(state, ctx, &outside_type)];
    outside.sort();
    let specs = o.tunnel_options.clone().unwrap_or_default();
    let mut tunnel_options = Vec::new();
    for (i, ip) in outside.into_iter().enumerate() {
        let mut t = new_tunnel(ip);
        if let Some(spec) = specs.get(i) {
            apply_tunnel_spec(spec, &mut t);
        }
        if version == "ipv4" && t.tunnel_inside_cidr.is_none() {
            let mut avoid = taken.clone();
            avoid.extend(specs.iter().filter_map(|s| s.tunnel_inside_cidr.clone()));
            let cidr = random_inside_cidr(&avoid);
            taken.push(cidr.clone());
            t.tunnel_inside_cidr = Some(cidr);
        }
        if version == "ipv6" && t.tunnel_inside_ipv6_cidr.is_none() {
            t.tunnel_inside_ipv6_cidr = Some(random_inside_ipv6_cidr());
        }
        if t.pre_shared_key.is_none() {
            t.pre_shared_key = Some(generate_pre_shared_key());
        }
        tunnel_options.push(t);
    }
    let (v4, v6) = (version == "ipv4", version == "ipv6");
    let default_if =
        |on: bool, v: &Option<String>, d: &str| if on { Some(v.clone().unwrap_or_else(|| d.into())) } else { None };
    let options = VpnConnectionOptions {
        enable_acceleration: Some(o.enable_acceleration.unwrap_or(false)),
        static_routes_only: Some(o.static_routes_only.unwrap_or(false)),
        local_ipv4_network_cidr: default_if(v4, &o.local_ipv4_network_cidr, "0.0.0.0/0"),
        remote_ipv4_network_cidr: default_if(v4, &o.remote_ipv4_network_cidr, "0.0.0.0/0"),
        local_ipv6_network_cidr: default_if(v6, &o.local_ipv6_network_cidr, "::/0"),
        remote_ipv6_network_cidr: default_if(v6, &o.remote_ipv6_network_cidr, "::/0"),
        outside_ip_address_type: Some(outside_type),
        transport_transit_gateway_attachment_id: o.transport_transit_gateway_attachment_id.clone(),
        tunnel_inside_ip_version: Some(version),
        tunnel_options: Some(tunnel_options),
        tunnel_bandwidth: o.tunnel_bandwidth.clone(),
    };
    let connection = VpnConnection {
        category: Some("VPN".into()),
        transit_gateway_id: input.transit_gateway_id.clone(),
        gateway_association_state: Some(
            if vgw.is_some() || tgw.is_some() { "associated" } else { "not-associated" }.into(),
        ),
        options: Some(options),
        vpn_connection_id: Some(id.clone()),
        r#type: Some(input.r#type.clone()),
        customer_gateway_id: Some(input.customer_gateway_id.clone()),
        vpn_gateway_id: input.vpn_gateway_id.clone(),
        ..Default::default()
    };
    let transit_attachment_id =
        tgw.and_then(|tgw| state.transit.attach_vpn(tgw, &id, ctx.account(), ids::resource_id("tgw-attach"), ctx.now));
    let rec = VpnConnectionRecord {
        connection,
        life: Life::new(Stage::Created, ctx.now),
        created: ctx.now,
        transit_attachment_id,
        routes: Default::default(),
    };
    state.connectivity.vpn_connections.insert(id.clone(), rec);
    state.set_tags(&id, tags);
    let mut shown = describe_one(state, &state.connectivity.vpn_connections[&id], ctx.now);
    shown.state = Some("pending".into());
    Ok(CreateVpnConnectionResult { vpn_connection: Some(shown) })
}

/// The connection goes `deleting`, then `deleted`; its transit gateway attachment goes with it.
pub fn delete_vpn_connection(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: DeleteVpnConnectionRequest,
) -> Result<(), ApiError> {
    get_live(state, &input.vpn_connection_id)?;
    state.transit.detach_vpn(&input.vpn_connection_id, ctx.now);
    let rec = state.connectivity.vpn_connections.get_mut(&input.vpn_connection_id).expect("checked above");
    rec.life = Life::new(Stage::Deleted, ctx.now);
    Ok(())
}

/// A connection with what its filters read beyond its own shape.
#[derive(Debug, Clone, Default)]
struct Row {
    connection: VpnConnection,
    /// The customer gateway's ASN.
    bgp_asn: Option<String>,
}

impl Filterable for Row {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let c = &self.connection;
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "bgp-asn" => opt(&self.bgp_asn),
            "category" => opt(&c.category),
            "customer-gateway-configuration" => opt(&c.customer_gateway_configuration),
            "customer-gateway-id" => opt(&c.customer_gateway_id),
            "option.static-routes-only" => {
                c.options.iter().filter_map(|o| o.static_routes_only).map(|b| b.to_string()).collect()
            }
            "route.destination-cidr-block" => {
                c.routes.iter().flatten().filter_map(|r| r.destination_cidr_block.clone()).collect()
            }
            "state" => opt(&c.state),
            "transit-gateway-id" => opt(&c.transit_gateway_id),
            "type" => opt(&c.r#type),
            "vpn-connection-id" => opt(&c.vpn_connection_id),
            "vpn-gateway-id" => opt(&c.vpn_gateway_id),
            _ => return None,
        })
    }

    fn tags(&self) -> Vec<(String, String)> {
        tag_pairs(&self.connection.tags)
    }
}

pub fn describe_vpn_connections(
    state: &Ec2State,
    ctx: &RequestContext,
    input: DescribeVpnConnectionsRequest,
) -> Result<DescribeVpnConnectionsResult, ApiError> {
    let delay = state.transition_delay();
    let visible = |id: &str| state.connectivity.vpn_connections.get(id).is_some_and(|c| c.life.visible(delay, ctx.now));
    let ids = input.vpn_connection_ids.unwrap_or_default();
    if let Some(missing) = ids.iter().find(|id| !visible(id)) {
        return Err(errors::invalid_vpn_connection_id_not_found(missing));
    }
    let rows = state
        .connectivity
        .vpn_connections
        .values()
        .filter(|c| visible(c.id()) && (ids.is_empty() || ids.iter().any(|i| i == c.id())))
        .map(|c| Row {
            connection: describe_one(state, c, ctx.now),
            bgp_asn: c
                .connection
                .customer_gateway_id
                .as_deref()
                .and_then(|g| state.customer_gateways.get(g))
                .and_then(|g| g.bgp_asn.clone()),
        });
    let rows = filtered(rows, input.filters.as_deref())?;
    Ok(DescribeVpnConnectionsResult { vpn_connections: Some(rows.into_iter().map(|r| r.connection).collect()) })
}
