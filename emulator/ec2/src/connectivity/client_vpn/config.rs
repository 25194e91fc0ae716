//! ExportClientVpnClientConfiguration: the OpenVPN client configuration file AWS hands
//! out for an endpoint, built from its transport protocol, port, DNS name and
//! authentication methods. AWS puts the server certificate's CA chain (from ACM) in a
//! `<ca>` block; nimbus has no ACM, so the file says where the chain would come from.

use nimbus_core::{ApiError, RequestContext};

use super::endpoints::get_live;
use super::options::uses;
use crate::generated::dto::{ExportClientVpnClientConfigurationRequest, ExportClientVpnClientConfigurationResult};
use crate::state::client_vpn::ClientVpnRecord;
use crate::state::Ec2State;

/// The configuration text for an endpoint.
pub fn client_configuration(rec: &ClientVpnRecord) -> String {
    let e = &rec.endpoint;
    let host = e.dns_name.as_deref().unwrap_or_default().trim_start_matches("*.");
    let auth = e.authentication_options.as_deref().unwrap_or_default();
    let mut lines = vec![
        "client".to_string(),
        "dev tun".to_string(),
        format!("proto {}", e.transport_protocol.as_deref().unwrap_or("udp")),
        format!("remote {host} {}", e.vpn_port.unwrap_or(443)),
        "remote-random-hostname".to_string(),
        "resolv-retry infinite".to_string(),
        "nobind".to_string(),
        "remote-cert-tls server".to_string(),
        "cipher AES-256-GCM".to_string(),
        "verb 3".to_string(),
    ];
    if uses(auth, "directory-service-authentication") || uses(auth, "federated-authentication") {
        lines.push("auth-user-pass".into());
    }
    if uses(auth, "federated-authentication") {
        lines.push("auth-federate".into());
    }
    lines.push(format!(
        "# <ca>: the CA chain of the server certificate {} (held by ACM, which nimbus does not run).",
        e.server_certificate_arn.as_deref().unwrap_or_default()
    ));
    if uses(auth, "certificate-authentication") {
        lines.push(
            "# <cert> and <key>: the client certificate and key, issued by the client root certificate chain.".into(),
        );
    }
    lines.push(String::new());
    lines.push("reneg-sec 0".into());
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

pub fn export_client_vpn_client_configuration(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: ExportClientVpnClientConfigurationRequest,
) -> Result<ExportClientVpnClientConfigurationResult, ApiError> {
    let rec = get_live(state, &input.client_vpn_endpoint_id)?;
    Ok(ExportClientVpnClientConfigurationResult { client_configuration: Some(client_configuration(rec)) })
}
