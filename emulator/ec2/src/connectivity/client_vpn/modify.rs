//! ModifyClientVpnEndpoint: every setting but the client CIDR block, the transport
//! protocol and the authentication options (which AWS fixes at creation). Security
//! groups need the VPC named; the VPC can change only while no target network is
//! associated. A new client connect handler is `applying` until the change settles.

use nimbus_core::{ApiError, RequestContext};

use super::endpoints::{check_vpc_overlap, endpoint_groups, get_live, get_mut};
use super::networks::set_groups;
use super::options;
use crate::generated::dto::{
    ClientRouteEnforcementResponseOptions, ModifyClientVpnEndpointRequest, ModifyClientVpnEndpointResult,
};
use crate::generated::errors;
use crate::state::cidr::Ipv4Cidr;
use crate::state::Ec2State;

pub fn modify_client_vpn_endpoint(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ModifyClientVpnEndpointRequest,
) -> Result<ModifyClientVpnEndpointResult, ApiError> {
    let id = input.client_vpn_endpoint_id.clone();
    let rec = get_live(state, &id)?;
    if input.transit_gateway_configuration.is_some() || input.device_posture_options.is_some() {
        return Err(errors::unsupported_operation(
            "nimbus does not implement Client VPN endpoints attached to a transit gateway or with device posture checks.",
        ));
    }
    // Every check first, so that a refused request changes nothing.
    if let Some(arn) = &input.server_certificate_arn {
        options::check_arn("ServerCertificateArn", arn, "acm", "certificate/")?;
    }
    let log = input.connection_log_options.as_ref().map(options::connection_log).transpose()?;
    let dns = match &input.dns_servers {
        Some(d) if d.enabled == Some(false) => Some(None),
        Some(d) => {
            let servers = d.custom_dns_servers.clone().unwrap_or_default();
            options::dns_servers(&servers)?;
            Some(Some(servers).filter(|s| !s.is_empty()))
        }
        None => None,
    };
    if let Some(port) = input.vpn_port {
        options::vpn_port(port)?;
    }
    if let Some(hours) = input.session_timeout_hours {
        options::session_hours(hours)?;
    }
    let auth = rec.endpoint.authentication_options.clone().unwrap_or_default();
    let portal =
        input.self_service_portal.as_deref().map(|p| options::self_service_portal(p, &auth, &id)).transpose()?;
    let connect = input.client_connect_options.as_ref().map(|c| options::client_connect(Some(c))).transpose()?;
    let banner = input.client_login_banner_options.as_ref().map(|b| options::login_banner(Some(b))).transpose()?;
    let groups = match (&input.vpc_id, input.security_group_ids.as_deref()) {
        (None, Some(_)) => {
            return Err(errors::invalid_parameter_value("Security Groups cannot be modified without specifying Vpc Id"))
        }
        (Some(vpc), given) => {
            if rec.endpoint.vpc_id.as_deref() != Some(vpc.as_str()) {
                if rec.live_associations().next().is_some() {
                    return Err(errors::invalid_parameter_value(format!(
                        "The VPC of endpoint {id} cannot change while target networks are associated."
                    )));
                }
                let cidr = rec.endpoint.client_cidr_block.clone().unwrap_or_default();
                if let Some(client) = Ipv4Cidr::parse(&cidr) {
                    check_vpc_overlap(state, vpc, &client, &cidr)?;
                }
            }
            Some((vpc.clone(), endpoint_groups(state, vpc, given)?))
        }
        (None, None) => None,
    };
    if let Some((vpc, groups)) = groups {
        set_groups(state, ctx, &id, &vpc, groups)?;
    }
    let rec = get_mut(state, ctx, &id)?;
    let e = &mut rec.endpoint;
    if let Some(arn) = input.server_certificate_arn {
        e.server_certificate_arn = Some(arn);
    }
    if let Some(log) = log {
        e.connection_log_options = Some(log);
    }
    if let Some(dns) = dns {
        e.dns_servers = dns;
    }
    if let Some(port) = input.vpn_port {
        e.vpn_port = Some(port);
    }
    if let Some(d) = input.description {
        e.description = Some(d);
    }
    if let Some(split) = input.split_tunnel {
        e.split_tunnel = Some(split);
    }
    if let Some(portal) = portal {
        e.self_service_portal_url = portal;
    }
    if let Some(hours) = input.session_timeout_hours {
        e.session_timeout_hours = Some(hours);
    }
    if let Some(banner) = banner {
        e.client_login_banner_options = Some(banner);
    }
    if let Some(enforced) = input.client_route_enforcement_options.and_then(|o| o.enforced) {
        e.client_route_enforcement_options = Some(ClientRouteEnforcementResponseOptions { enforced: Some(enforced) });
    }
    if let Some(disconnect) = input.disconnect_on_session_timeout {
        e.disconnect_on_session_timeout = Some(disconnect);
    }
    if let Some(connect) = connect {
        e.client_connect_options = Some(connect);
        rec.connect_options_changed = Some(ctx.now);
    }
    Ok(ModifyClientVpnEndpointResult { r#return: Some(true) })
}
