//! ModifyVpnConnection (another target gateway or customer gateway),
//! ModifyVpnConnectionOptions (the local and remote network CIDRs) and
//! ModifyVpnTunnelOptions (one tunnel, named by its outside address). Each leaves the
//! connection `modifying`, then `available`.

use nimbus_core::{ids, ApiError, RequestContext};

use super::connections::{
    check_cidr_free, check_network_cidrs, check_target, describe_one, get_live, inside_cidrs_in_use, tunnels,
};
use super::options::{apply_tunnel_spec, check_inside_cidr, check_inside_ipv6_cidr, check_tunnel_spec};
use crate::generated::dto::{
    ModifyVpnConnectionOptionsRequest, ModifyVpnConnectionOptionsResult, ModifyVpnConnectionRequest,
    ModifyVpnConnectionResult, ModifyVpnTunnelOptionsRequest, ModifyVpnTunnelOptionsResult,
    VpnTunnelOptionsSpecification,
};
use crate::generated::{enums, errors};
use crate::state::params::one_of;
use crate::state::transit::{Life, Stage};
use crate::state::Ec2State;

/// A live connection that is not in the middle of a change.
fn get_settled(state: &Ec2State, ctx: &RequestContext, id: &str) -> Result<(), ApiError> {
    let rec = get_live(state, id)?;
    if !rec.life.settled(state.transition_delay(), ctx.now) {
        return Err(errors::incorrect_state(format!(
            "The VPN connection {id} is {}; wait until it is available.",
            rec.life.shown(state.transition_delay(), ctx.now)
        )));
    }
    Ok(())
}

fn modified(state: &mut Ec2State, ctx: &RequestContext, id: &str) -> crate::generated::dto::VpnConnection {
    let rec = state.connectivity.vpn_connections.get_mut(id).expect("checked by the caller");
    rec.life = Life::new(Stage::Modified, ctx.now);
    let mut shown = describe_one(state, &state.connectivity.vpn_connections[id], ctx.now);
    shown.state = Some("modifying".into());
    shown
}

pub fn modify_vpn_connection(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVpnConnectionRequest,
) -> Result<ModifyVpnConnectionResult, ApiError> {
    let id = input.vpn_connection_id.as_str();
    get_settled(state, ctx, id)?;
    let (vgw, tgw) = (input.vpn_gateway_id.as_deref(), input.transit_gateway_id.as_deref());
    if vgw.is_none() && tgw.is_none() && input.customer_gateway_id.is_none() {
        return Err(errors::missing_parameter("VpnGatewayId, TransitGatewayId or CustomerGatewayId"));
    }
    check_target(state, vgw, tgw)?;
    if let Some(cgw) = input.customer_gateway_id.as_deref() {
        if state.customer_gateways.get(cgw).is_none_or(|g| g.state.as_deref() != Some("available")) {
            return Err(errors::invalid_customer_gateway_id_not_found(cgw));
        }
    }
    let current = get_live(state, id)?.connection.clone();
    if vgw.is_some() || tgw.is_some() {
        let ipv6 = current.options.as_ref().and_then(|o| o.tunnel_inside_ip_version.as_deref()) == Some("ipv6");
        if ipv6 && tgw.is_none() {
            return Err(errors::invalid_parameter_combination(
                "A VPN connection with IPv6 tunnels can only be moved to a transit gateway.",
            ));
        }
        let taken = inside_cidrs_in_use(state, vgw, tgw, id);
        let gateway = vgw.or(tgw).unwrap_or_default();
        for t in tunnels(&current) {
            for c in [&t.tunnel_inside_cidr, &t.tunnel_inside_ipv6_cidr].into_iter().flatten() {
                check_cidr_free(&taken, c, gateway)?;
            }
        }
    }
    if vgw.is_some() || tgw.is_some() {
        state.transit.detach_vpn(id, ctx.now);
        let attachment = tgw
            .and_then(|tgw| state.transit.attach_vpn(tgw, id, ctx.account(), ids::resource_id("tgw-attach"), ctx.now));
        let rec = state.connectivity.vpn_connections.get_mut(id).expect("checked above");
        rec.connection.vpn_gateway_id = vgw.map(str::to_string);
        rec.connection.transit_gateway_id = tgw.map(str::to_string);
        rec.connection.gateway_association_state = Some("associated".into());
        rec.transit_attachment_id = attachment;
        if let Some(o) = rec.connection.options.as_mut() {
            // Acceleration exists only on a transit gateway.
            if tgw.is_none() {
                o.enable_acceleration = Some(false);
            }
        }
    }
    if let Some(cgw) = input.customer_gateway_id {
        let rec = state.connectivity.vpn_connections.get_mut(id).expect("checked above");
        rec.connection.customer_gateway_id = Some(cgw);
    }
    Ok(ModifyVpnConnectionResult { vpn_connection: Some(modified(state, ctx, id)) })
}

pub fn modify_vpn_connection_options(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVpnConnectionOptionsRequest,
) -> Result<ModifyVpnConnectionOptionsResult, ApiError> {
    let id = input.vpn_connection_id.as_str();
    get_settled(state, ctx, id)?;
    let current = get_live(state, id)?.connection.options.clone().unwrap_or_default();
    let version = current.tunnel_inside_ip_version.clone().unwrap_or_else(|| "ipv4".into());
    check_network_cidrs(
        &version,
        [
            ("localIpv4NetworkCidr", &input.local_ipv4_network_cidr),
            ("remoteIpv4NetworkCidr", &input.remote_ipv4_network_cidr),
        ],
        [
            ("localIpv6NetworkCidr", &input.local_ipv6_network_cidr),
            ("remoteIpv6NetworkCidr", &input.remote_ipv6_network_cidr),
        ],
    )?;
    if let Some(b) = input.tunnel_bandwidth.as_deref() {
        one_of("tunnelBandwidth", b, enums::VPN_TUNNEL_BANDWIDTH)?;
    }
    let rec = state.connectivity.vpn_connections.get_mut(id).expect("checked above");
    let o = rec.connection.options.get_or_insert_with(Default::default);
    for (field, value) in [
        (&mut o.local_ipv4_network_cidr, input.local_ipv4_network_cidr),
        (&mut o.remote_ipv4_network_cidr, input.remote_ipv4_network_cidr),
        (&mut o.local_ipv6_network_cidr, input.local_ipv6_network_cidr),
        (&mut o.remote_ipv6_network_cidr, input.remote_ipv6_network_cidr),
        (&mut o.tunnel_bandwidth, input.tunnel_bandwidth),
    ] {
        if value.is_some() {
            *field = value;
        }
    }
    Ok(ModifyVpnConnectionOptionsResult { vpn_connection: Some(modified(state, ctx, id)) })
}

pub fn modify_vpn_tunnel_options(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyVpnTunnelOptionsRequest,
) -> Result<ModifyVpnTunnelOptionsResult, ApiError> {
    let id = input.vpn_connection_id.as_str();
    get_settled(state, ctx, id)?;
    let rec = get_live(state, id)?;
    let outside = input.vpn_tunnel_outside_ip_address.as_str();
    let Some(index) = tunnels(&rec.connection).iter().position(|t| t.outside_ip_address.as_deref() == Some(outside))
    else {
        return Err(errors::invalid_parameter_value(format!(
            "The VPN tunnel with outside IP address {outside} does not belong to the VPN connection {id}."
        )));
    };
    if let Some(storage) = input.pre_shared_key_storage.as_deref() {
        one_of("preSharedKeyStorage", storage, &["Standard"])?;
    }
    // The modification's members are those of a tunnel specification at creation.
    let spec: VpnTunnelOptionsSpecification = serde_json::to_value(&input.tunnel_options)
        .and_then(serde_json::from_value)
        .map_err(|e| errors::invalid_parameter_value(e.to_string()))?;
    check_tunnel_spec(&spec)?;
    let version = rec.connection.options.as_ref().and_then(|o| o.tunnel_inside_ip_version.clone());
    let ipv6 = version.as_deref() == Some("ipv6");
    let (vgw, tgw) = (rec.connection.vpn_gateway_id.clone(), rec.connection.transit_gateway_id.clone());
    let mut taken = inside_cidrs_in_use(state, vgw.as_deref(), tgw.as_deref(), id);
    let other = &tunnels(&rec.connection)[1 - index.min(1)];
    taken.extend([other.tunnel_inside_cidr.clone(), other.tunnel_inside_ipv6_cidr.clone()].into_iter().flatten());
    let gateway = vgw.or(tgw).unwrap_or_default();
    match (ipv6, &spec.tunnel_inside_cidr, &spec.tunnel_inside_ipv6_cidr) {
        (false, _, Some(_)) | (true, Some(_), _) => {
            return Err(errors::invalid_parameter_combination(
                "The tunnel inside CIDR does not match the connection's tunnel inside IP version.",
            ))
        }
        (_, Some(c), _) => {
            check_inside_cidr(c)?;
            check_cidr_free(&taken, c, &gateway)?;
        }
        (_, _, Some(c)) => {
            check_inside_ipv6_cidr(c)?;
            check_cidr_free(&taken, c, &gateway)?;
        }
        _ => {}
    }
    let rec = state.connectivity.vpn_connections.get_mut(id).expect("checked above");
    let tunnel = rec
        .connection
        .options
        .as_mut()
        .and_then(|o| o.tunnel_options.as_mut())
        .and_then(|t| t.get_mut(index))
        .expect("found above");
    apply_tunnel_spec(&spec, tunnel);
    Ok(ModifyVpnTunnelOptionsResult { vpn_connection: Some(modified(state, ctx, id)) })
}
