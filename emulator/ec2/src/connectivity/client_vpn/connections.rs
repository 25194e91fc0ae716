//! Client connections and the client certificate revocation list:
//! DescribeClientVpnConnections and TerminateClientVpnConnections (nimbus runs no
//! OpenVPN server, so no client is ever connected: the list is empty and every
//! connection or user named is unknown), Import- and
//! ExportClientVpnClientCertificateRevocationList (the imported PEM list is kept and
//! handed back, `pending` and then `active`).

use nimbus_core::filter::Filterable;
use nimbus_core::{ApiError, RequestContext};

use super::endpoints::{get_live, get_mut};
use crate::generated::dto::{
    ClientCertificateRevocationListStatus, ClientVpnConnection, DescribeClientVpnConnectionsRequest,
    DescribeClientVpnConnectionsResult, ExportClientVpnClientCertificateRevocationListRequest,
    ExportClientVpnClientCertificateRevocationListResult, ImportClientVpnClientCertificateRevocationListRequest,
    ImportClientVpnClientCertificateRevocationListResult, TerminateClientVpnConnectionsRequest,
    TerminateClientVpnConnectionsResult,
};
use crate::generated::errors;
use crate::state::support::{filtered, paginate};
use crate::state::Ec2State;

/// Longest revocation list AWS imports (its quota is 20,000 entries; about this many bytes).
const MAX_CRL_BYTES: usize = 2 * 1024 * 1024;

impl Filterable for ClientVpnConnection {
    fn filter_values(&self, name: &str) -> Option<Vec<String>> {
        let opt = |s: &Option<String>| s.iter().cloned().collect::<Vec<_>>();
        Some(match name {
            "connection-id" => opt(&self.connection_id),
            "username" => opt(&self.username),
            _ => return None,
        })
    }
}

pub fn describe_client_vpn_connections(
    state: &Ec2State,
    _ctx: &RequestContext,
    input: DescribeClientVpnConnectionsRequest,
) -> Result<DescribeClientVpnConnectionsResult, ApiError> {
    let paging = input.page();
    get_live(state, &input.client_vpn_endpoint_id)?;
    let items = filtered(Vec::<ClientVpnConnection>::new(), input.filters.as_deref())?;
    let (page, next) = paginate(items, |c| c.connection_id.clone().unwrap_or_default(), paging, false)?;
    Ok(DescribeClientVpnConnectionsResult { connections: Some(page), next_token: next })
}

pub fn terminate_client_vpn_connections(
    state: &mut Ec2State,
    _ctx: &RequestContext,
    input: TerminateClientVpnConnectionsRequest,
) -> Result<TerminateClientVpnConnectionsResult, ApiError> {
    let id = input.client_vpn_endpoint_id;
    get_live(state, &id)?;
    match (input.connection_id, input.username) {
        (Some(c), _) => Err(errors::invalid_client_vpn_connection_id_not_found(c, &id)),
        (None, Some(u)) => Err(errors::invalid_client_vpn_connection_user_not_found(&id, u)),
        (None, None) => Err(errors::missing_parameter("ConnectionId or Username")),
    }
}

pub fn import_client_vpn_client_certificate_revocation_list(
    state: &mut Ec2State,
    ctx: &RequestContext,
    input: ImportClientVpnClientCertificateRevocationListRequest,
) -> Result<ImportClientVpnClientCertificateRevocationListResult, ApiError> {
    let crl = input.certificate_revocation_list.trim();
    let pem = crl.starts_with("-----BEGIN X509 CRL-----") && crl.ends_with("-----END X509 CRL-----");
    if !pem || crl.len() > MAX_CRL_BYTES {
        return Err(errors::invalid_parameter_value(
            "The certificate revocation list is not a PEM-encoded X.509 CRL (-----BEGIN X509 CRL----- ... -----END X509 CRL-----).",
        ));
    }
    let rec = get_mut(state, ctx, &input.client_vpn_endpoint_id)?;
    rec.revocation_list = Some((format!("{crl}\n"), ctx.now));
    Ok(ImportClientVpnClientCertificateRevocationListResult { r#return: Some(true) })
}

/// The imported list, `pending` until the import has settled; nothing before an import.
pub fn export_client_vpn_client_certificate_revocation_list(
    state: &Ec2State,
    ctx: &RequestContext,
    input: ExportClientVpnClientCertificateRevocationListRequest,
) -> Result<ExportClientVpnClientCertificateRevocationListResult, ApiError> {
    let rec = get_live(state, &input.client_vpn_endpoint_id)?;
    let Some((crl, since)) = &rec.revocation_list else {
        return Ok(ExportClientVpnClientCertificateRevocationListResult::default());
    };
    let code = if ctx.now >= *since + state.transition_delay() { "active" } else { "pending" };
    Ok(ExportClientVpnClientCertificateRevocationListResult {
        certificate_revocation_list: Some(crl.clone()),
        status: Some(ClientCertificateRevocationListStatus { code: Some(code.into()), message: None }),
    })
}
