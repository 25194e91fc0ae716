//! `CustomerGatewayConfiguration`: the configuration AWS hands the customer for its
//! device, in AWS's native XML form. A `<vpn_connection id="...">` root names the
//! customer gateway, the gateway and the type, then one `<ipsec_tunnel>` per tunnel:
//! `customer_gateway` and `vpn_gateway`, each with its `tunnel_outside_address` and
//! `tunnel_inside_address` (`ip_address`, `network_mask`, `network_cidr`) and, for BGP
//! routing, `bgp` (`asn`, `hold_time`); `ike` (protocols, `lifetime`, `mode`,
//! `pre_shared_key`); `ipsec` (protocols, `lifetime`, `dead_peer_detection`...).
//!
//! Clients read it: Terraform's `aws_vpn_connection` takes each tunnel's
//! `vpn_gateway>tunnel_outside_address>ip_address`,
//! `customer_gateway>tunnel_inside_address>ip_address`,
//! `vpn_gateway>tunnel_inside_address>ip_address`, `vpn_gateway>bgp>asn`,
//! `vpn_gateway>bgp>hold_time` and `ike>pre_shared_key` from it
//! (terraform-provider-aws, `CustomerGatewayConfigurationToTunnelInfo`). The inside
//! block's first address is AWS's side, the second the customer's.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::generated::dto::{TunnelOption, VpnConnection};
use crate::state::cidr::{Ipv4Cidr, Ipv6Cidr};

use super::options::{DEFAULT_PHASE1_LIFETIME, DEFAULT_PHASE2_LIFETIME};

/// AWS's BGP hold time in the configuration.
const BGP_HOLD_TIME: u32 = 30;

/// What the configuration needs beyond the connection itself.
pub struct Sides<'a> {
    pub customer_ip: &'a str,
    pub customer_asn: &'a str,
    pub amazon_asn: i64,
}

/// The tunnel's inside addresses: (AWS's side, the customer's side, mask, prefix length).
fn inside_addresses(t: &TunnelOption) -> Option<(String, String, String, u8)> {
    if let Some(c) = t.tunnel_inside_cidr.as_deref().and_then(Ipv4Cidr::parse) {
        let mask = Ipv4Addr::from(c.mask()).to_string();
        return Some((Ipv4Addr::from(c.addr + 1).to_string(), Ipv4Addr::from(c.addr + 2).to_string(), mask, c.len));
    }
    let c = t.tunnel_inside_ipv6_cidr.as_deref().and_then(Ipv6Cidr::parse)?;
    let mask = Ipv6Addr::from(c.mask()).to_string();
    Some((Ipv6Addr::from(c.addr + 1).to_string(), Ipv6Addr::from(c.addr + 2).to_string(), mask, c.len))
}

fn side(out: &mut String, name: &str, outside: &str, inside: Option<(&str, &str, u8)>, bgp_asn: Option<&str>) {
    let _ = writeln!(out, "    <{name}>");
    let _ = writeln!(out, "      <tunnel_outside_address>");
    let _ = writeln!(out, "        <ip_address>{outside}</ip_address>");
    let _ = writeln!(out, "      </tunnel_outside_address>");
    if let Some((ip, mask, len)) = inside {
        let _ = writeln!(out, "      <tunnel_inside_address>");
        let _ = writeln!(out, "        <ip_address>{ip}</ip_address>");
        let _ = writeln!(out, "        <network_mask>{mask}</network_mask>");
        let _ = writeln!(out, "        <network_cidr>{len}</network_cidr>");
        let _ = writeln!(out, "      </tunnel_inside_address>");
    }
    if let Some(asn) = bgp_asn {
        let _ = writeln!(out, "      <bgp>");
        let _ = writeln!(out, "        <asn>{asn}</asn>");
        let _ = writeln!(out, "        <hold_time>{BGP_HOLD_TIME}</hold_time>");
        let _ = writeln!(out, "      </bgp>");
    }
    let _ = writeln!(out, "    </{name}>");
}

/// The configuration of a connection as AWS words it.
pub fn customer_gateway_configuration(c: &VpnConnection, sides: &Sides) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<vpn_connection id=\"{}\">", c.vpn_connection_id.as_deref().unwrap_or_default());
    let _ = writeln!(
        out,
        "  <customer_gateway_id>{}</customer_gateway_id>",
        c.customer_gateway_id.as_deref().unwrap_or_default()
    );
    if let Some(vgw) = c.vpn_gateway_id.as_deref() {
        let _ = writeln!(out, "  <vpn_gateway_id>{vgw}</vpn_gateway_id>");
    }
    if let Some(tgw) = c.transit_gateway_id.as_deref() {
        let _ = writeln!(out, "  <transit_gateway_id>{tgw}</transit_gateway_id>");
    }
    let _ = writeln!(out, "  <vpn_connection_type>{}</vpn_connection_type>", c.r#type.as_deref().unwrap_or("ipsec.1"));
    let options = c.options.clone().unwrap_or_default();
    let bgp = !options.static_routes_only.unwrap_or(false);
    let amazon_asn = sides.amazon_asn.to_string();
    for t in options.tunnel_options.iter().flatten() {
        let inside = inside_addresses(t);
        let _ = writeln!(out, "  <ipsec_tunnel>");
        side(
            &mut out,
            "customer_gateway",
            sides.customer_ip,
            inside.as_ref().map(|(_, cgw, mask, len)| (cgw.as_str(), mask.as_str(), *len)),
            bgp.then_some(sides.customer_asn),
        );
        side(
            &mut out,
            "vpn_gateway",
            t.outside_ip_address.as_deref().unwrap_or_default(),
            inside.as_ref().map(|(aws, _, mask, len)| (aws.as_str(), mask.as_str(), *len)),
            bgp.then_some(amazon_asn.as_str()),
        );
        let phase1 = t.phase1_lifetime_seconds.unwrap_or(DEFAULT_PHASE1_LIFETIME);
        let phase2 = t.phase2_lifetime_seconds.unwrap_or(DEFAULT_PHASE2_LIFETIME);
        let _ = writeln!(out, "    <ike>");
        let _ = writeln!(out, "      <authentication_protocol>sha1</authentication_protocol>");
        let _ = writeln!(out, "      <encryption_protocol>aes-128-cbc</encryption_protocol>");
        let _ = writeln!(out, "      <lifetime>{phase1}</lifetime>");
        let _ = writeln!(out, "      <perfect_forward_secrecy>group2</perfect_forward_secrecy>");
        let _ = writeln!(out, "      <mode>main</mode>");
        let _ =
            writeln!(out, "      <pre_shared_key>{}</pre_shared_key>", t.pre_shared_key.as_deref().unwrap_or_default());
        let _ = writeln!(out, "    </ike>");
        let _ = writeln!(out, "    <ipsec>");
        let _ = writeln!(out, "      <protocol>esp</protocol>");
        let _ = writeln!(out, "      <authentication_protocol>hmac-sha1-96</authentication_protocol>");
        let _ = writeln!(out, "      <encryption_protocol>aes-128-cbc</encryption_protocol>");
        let _ = writeln!(out, "      <lifetime>{phase2}</lifetime>");
        let _ = writeln!(out, "      <perfect_forward_secrecy>group2</perfect_forward_secrecy>");
        let _ = writeln!(out, "      <mode>tunnel</mode>");
        let _ = writeln!(out, "      <clear_df_bit>true</clear_df_bit>");
        let _ = writeln!(out, "      <fragmentation_before_encryption>true</fragmentation_before_encryption>");
        let _ = writeln!(out, "      <tcp_mss_adjustment>1379</tcp_mss_adjustment>");
        let _ = writeln!(out, "      <dead_peer_detection>");
        let _ = writeln!(out, "        <delay>10</delay>");
        let _ = writeln!(out, "        <retries>3</retries>");
        let _ = writeln!(out, "      </dead_peer_detection>");
        let _ = writeln!(out, "    </ipsec>");
        let _ = writeln!(out, "  </ipsec_tunnel>");
    }
    out.push_str("</vpn_connection>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::VpnConnectionOptions;

    #[test]
    fn tunnels_carry_addresses_keys_and_bgp() {
        let tunnel = |ip: &str, cidr: &str| TunnelOption {
            outside_ip_address: Some(ip.into()),
            tunnel_inside_cidr: Some(cidr.into()),
            pre_shared_key: Some(format!("key_{ip}")),
            ..Default::default()
        };
        let c = VpnConnection {
            vpn_connection_id: Some("vpn-1".into()),
            customer_gateway_id: Some("cgw-1".into()),
            vpn_gateway_id: Some("vgw-1".into()),
            options: Some(VpnConnectionOptions {
                static_routes_only: Some(false),
                tunnel_options: Some(vec![tunnel("3.0.0.1", "169.254.10.0/30"), tunnel("3.0.0.2", "169.254.11.4/30")]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let xml = customer_gateway_configuration(
            &c,
            &Sides { customer_ip: "198.51.100.7", customer_asn: "65000", amazon_asn: 64512 },
        );
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vpn_connection id=\"vpn-1\">"));
        assert_eq!(xml.matches("<ipsec_tunnel>").count(), 2);
        assert!(xml.contains("<ip_address>169.254.10.1</ip_address>"), "AWS's side first");
        assert!(xml.contains("<ip_address>169.254.11.6</ip_address>"), "the customer's second");
        assert!(xml.contains("<network_mask>255.255.255.252</network_mask>"));
        assert!(xml.contains("<asn>64512</asn>") && xml.contains("<asn>65000</asn>"));
        assert!(xml.contains("<pre_shared_key>key_3.0.0.2</pre_shared_key>"));
        let mut static_only = c.clone();
        static_only.options.as_mut().unwrap().static_routes_only = Some(true);
        let xml = customer_gateway_configuration(
            &static_only,
            &Sides { customer_ip: "198.51.100.7", customer_asn: "65000", amazon_asn: 64512 },
        );
        assert!(!xml.contains("<bgp>"), "no BGP with static routing");
    }
}
