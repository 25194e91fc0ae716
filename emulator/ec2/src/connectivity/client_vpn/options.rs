//! The checks and defaults CreateClientVpnEndpoint and ModifyClientVpnEndpoint share:
//! the client CIDR block, certificate and provider ARNs (their shape only: nimbus has no
//! ACM or IAM), authentication options, connection logging, DNS servers, port, session
//! timeout, client connect handler and login banner.

use nimbus_core::ApiError;

use crate::generated::dto::{
    CertificateAuthentication, ClientConnectOptions, ClientConnectResponseOptions, ClientLoginBannerOptions,
    ClientLoginBannerResponseOptions, ClientVpnAuthentication, ClientVpnAuthenticationRequest,
    ClientVpnEndpointAttributeStatus, ConnectionLogOptions, ConnectionLogResponseOptions,
    DirectoryServiceAuthentication, FederatedAuthentication,
};
use crate::generated::{enums, errors};
use crate::state::cidr::Ipv4Cidr;
use crate::state::params::{invalid_value, one_of};

/// The ports a Client VPN endpoint listens on.
pub const PORTS: [i32; 2] = [443, 1194];
/// The session timeouts AWS offers, in hours.
pub const SESSION_HOURS: [i32; 4] = [8, 10, 12, 24];
/// Longest login banner text.
const BANNER_MAX: usize = 1400;

/// An ARN of `service` whose resource starts with `resource` (`certificate/`,
/// `saml-provider/`, `function:`), with a region and account where the service has them.
pub fn check_arn(parameter: &str, arn: &str, service: &str, resource: &str) -> Result<(), ApiError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let regional = service != "iam";
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == service
        && (parts[3].is_empty() != regional)
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5].strip_prefix(resource).is_some_and(|r| !r.is_empty());
    if ok {
        Ok(())
    } else {
        Err(invalid_value(parameter, arn, &format!("Expecting an {service} ARN of the form {}.", example(service))))
    }
}

fn example(service: &str) -> &'static str {
    match service {
        "acm" => "arn:aws:acm:<region>:<account>:certificate/<id>",
        "iam" => "arn:aws:iam::<account>:saml-provider/<name>",
        _ => "arn:aws:lambda:<region>:<account>:function:AWSClientVPN-<name>",
    }
}

/// A client CIDR block: an IPv4 block between /12 and /22.
pub fn check_client_cidr(cidr: &str) -> Result<Ipv4Cidr, ApiError> {
    let block = Ipv4Cidr::parse(cidr).ok_or_else(|| invalid_value("ClientCidrBlock", cidr, ""))?;
    if !(12..=22).contains(&block.len) {
        return Err(invalid_value(
            "ClientCidrBlock",
            cidr,
            "The client CIDR block must have a prefix length between /12 and /22.",
        ));
    }
    Ok(block)
}

/// The authentication options as described: one method, or mutual authentication with
/// Active Directory or with federated authentication.
pub fn authentication(given: &[ClientVpnAuthenticationRequest]) -> Result<Vec<ClientVpnAuthentication>, ApiError> {
    if given.is_empty() || given.len() > 2 {
        return Err(errors::invalid_parameter_value("Specify one or two authentication options."));
    }
    let mut out = Vec::new();
    for option in given {
        let kind = option.r#type.clone().ok_or_else(|| errors::missing_parameter("Authentication.N.Type"))?;
        one_of("Authentication.N.Type", &kind, enums::CLIENT_VPN_AUTHENTICATION_TYPE)?;
        let mut shown = ClientVpnAuthentication { r#type: Some(kind.clone()), ..Default::default() };
        match kind.as_str() {
            "certificate-authentication" => {
                let arn = option
                    .mutual_authentication
                    .as_ref()
                    .and_then(|m| m.client_root_certificate_chain_arn.clone())
                    .ok_or_else(|| errors::missing_parameter("ClientRootCertificateChainArn"))?;
                check_arn("ClientRootCertificateChainArn", &arn, "acm", "certificate/")?;
                shown.mutual_authentication =
                    Some(CertificateAuthentication { client_root_certificate_chain: Some(arn) });
            }
            "directory-service-authentication" => {
                let id = option
                    .active_directory
                    .as_ref()
                    .and_then(|d| d.directory_id.clone())
                    .ok_or_else(|| errors::missing_parameter("DirectoryId"))?;
                let well_formed =
                    id.strip_prefix("d-").is_some_and(|h| h.len() == 10 && h.chars().all(|c| c.is_ascii_hexdigit()));
                if !well_formed {
                    return Err(invalid_value(
                        "DirectoryId",
                        &id,
                        "Expecting a directory id of the form d-xxxxxxxxxx.",
                    ));
                }
                shown.active_directory = Some(DirectoryServiceAuthentication { directory_id: Some(id) });
            }
            _ => {
                let fed = option.federated_authentication.clone().unwrap_or_default();
                let arn = fed.saml_provider_arn.ok_or_else(|| errors::missing_parameter("SAMLProviderArn"))?;
                check_arn("SAMLProviderArn", &arn, "iam", "saml-provider/")?;
                if let Some(s) = &fed.self_service_saml_provider_arn {
                    check_arn("SelfServiceSAMLProviderArn", s, "iam", "saml-provider/")?;
                }
                shown.federated_authentication = Some(FederatedAuthentication {
                    saml_provider_arn: Some(arn),
                    self_service_saml_provider_arn: fed.self_service_saml_provider_arn,
                });
            }
        }
        out.push(shown);
    }
    if let [a, b] = &out[..] {
        let kinds = [a.r#type.as_deref().unwrap_or(""), b.r#type.as_deref().unwrap_or("")];
        if !kinds.contains(&"certificate-authentication") || kinds[0] == kinds[1] {
            return Err(errors::invalid_parameter_combination(
                "Two authentication options must be certificate-authentication with directory-service-authentication or with federated-authentication.",
            ));
        }
    }
    Ok(out)
}

pub fn uses(auth: &[ClientVpnAuthentication], kind: &str) -> bool {
    auth.iter().any(|a| a.r#type.as_deref() == Some(kind))
}

/// Connection logging: a log group when enabled, nothing else when not.
pub fn connection_log(given: &ConnectionLogOptions) -> Result<ConnectionLogResponseOptions, ApiError> {
    let enabled = given.enabled.ok_or_else(|| errors::missing_parameter("ConnectionLogOptions.Enabled"))?;
    if enabled && given.cloudwatch_log_group.as_deref().unwrap_or("").is_empty() {
        return Err(errors::invalid_parameter_value(
            "A CloudWatch Logs log group is required when connection logging is enabled.",
        ));
    }
    if !enabled && (given.cloudwatch_log_group.is_some() || given.cloudwatch_log_stream.is_some()) {
        return Err(errors::invalid_parameter_combination(
            "A CloudWatch Logs log group or stream can only be given when connection logging is enabled.",
        ));
    }
    Ok(ConnectionLogResponseOptions {
        enabled: Some(enabled),
        cloudwatch_log_group: given.cloudwatch_log_group.clone().filter(|_| enabled),
        cloudwatch_log_stream: given.cloudwatch_log_stream.clone().filter(|_| enabled),
        include_authorization_policy_context: None,
    })
}

/// At most two DNS servers, each an IPv4 address.
pub fn dns_servers(given: &[String]) -> Result<(), ApiError> {
    if given.len() > 2 {
        return Err(errors::invalid_parameter_value("A Client VPN endpoint can have at most two DNS servers."));
    }
    for s in given {
        if s.parse::<std::net::Ipv4Addr>().is_err() {
            return Err(invalid_value("DnsServers", s, "Expecting an IPv4 address."));
        }
    }
    Ok(())
}

pub fn vpn_port(port: i32) -> Result<(), ApiError> {
    if PORTS.contains(&port) {
        return Ok(());
    }
    Err(invalid_value("VpnPort", port, "Valid values: 443, 1194"))
}

pub fn session_hours(hours: i32) -> Result<(), ApiError> {
    if SESSION_HOURS.contains(&hours) {
        return Ok(());
    }
    Err(invalid_value("SessionTimeoutHours", hours, "Valid values: 8, 10, 12, 24"))
}

/// The client connect handler: a Lambda function named `AWSClientVPN-...` when enabled.
pub fn client_connect(given: Option<&ClientConnectOptions>) -> Result<ClientConnectResponseOptions, ApiError> {
    let given = given.cloned().unwrap_or_default();
    let enabled = given.enabled.unwrap_or(false);
    if enabled {
        let arn = given.lambda_function_arn.clone().ok_or_else(|| errors::missing_parameter("LambdaFunctionArn"))?;
        check_arn("LambdaFunctionArn", &arn, "lambda", "function:AWSClientVPN-")?;
    }
    Ok(ClientConnectResponseOptions {
        enabled: Some(enabled),
        lambda_function_arn: given.lambda_function_arn.filter(|_| enabled),
        status: Some(ClientVpnEndpointAttributeStatus { code: Some("applied".into()), message: None }),
    })
}

/// The login banner: text of at most 1,400 characters, required when enabled.
pub fn login_banner(given: Option<&ClientLoginBannerOptions>) -> Result<ClientLoginBannerResponseOptions, ApiError> {
    let given = given.cloned().unwrap_or_default();
    let enabled = given.enabled.unwrap_or(false);
    let text = given.banner_text.filter(|t| !t.is_empty());
    if enabled && text.is_none() {
        return Err(errors::missing_parameter("BannerText"));
    }
    if text.as_ref().is_some_and(|t| t.chars().count() > BANNER_MAX) {
        return Err(errors::invalid_parameter_value("The login banner text can be at most 1400 characters long."));
    }
    Ok(ClientLoginBannerResponseOptions { enabled: Some(enabled), banner_text: text.filter(|_| enabled) })
}

/// The self-service portal's address; the portal needs federated authentication.
pub fn self_service_portal(
    value: &str,
    auth: &[ClientVpnAuthentication],
    id: &str,
) -> Result<Option<String>, ApiError> {
    one_of("SelfServicePortal", value, enums::SELF_SERVICE_PORTAL)?;
    if value == "disabled" {
        return Ok(None);
    }
    if !uses(auth, "federated-authentication") {
        return Err(errors::invalid_parameter_value(
            "The self-service portal can only be enabled for an endpoint that uses federated authentication.",
        ));
    }
    Ok(Some(format!("https://self-service.clientvpn.amazonaws.com/endpoints/{id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_are_checked_for_their_shape() {
        let acm = "arn:aws:acm:us-east-1:000000000000:certificate/7b5f3d8e";
        assert!(check_arn("p", acm, "acm", "certificate/").is_ok());
        assert!(check_arn("p", "arn:aws:acm::000000000000:certificate/x", "acm", "certificate/").is_err());
        assert!(check_arn("p", "certificate", "acm", "certificate/").is_err());
        let saml = "arn:aws:iam::000000000000:saml-provider/okta";
        assert!(check_arn("p", saml, "iam", "saml-provider/").is_ok());
        let lambda = "arn:aws:lambda:us-east-1:000000000000:function:AWSClientVPN-check";
        assert!(check_arn("p", lambda, "lambda", "function:AWSClientVPN-").is_ok());
        assert!(check_arn("p", &lambda.replace("AWSClientVPN-", ""), "lambda", "function:AWSClientVPN-").is_err());
    }

    #[test]
    fn client_cidr_blocks_lie_between_12_and_22() {
        assert!(check_client_cidr("172.16.0.0/22").is_ok());
        assert!(check_client_cidr("172.16.0.0/12").is_ok());
        assert!(check_client_cidr("172.16.0.0/23").is_err());
        assert!(check_client_cidr("172.0.0.0/11").is_err());
        assert!(check_client_cidr("nope").is_err());
    }

    #[test]
    fn two_methods_pair_mutual_authentication_with_another() {
        let cert = ClientVpnAuthenticationRequest {
            r#type: Some("certificate-authentication".into()),
            mutual_authentication: Some(crate::generated::dto::CertificateAuthenticationRequest {
                client_root_certificate_chain_arn: Some("arn:aws:acm:us-east-1:000000000000:certificate/a".into()),
            }),
            ..Default::default()
        };
        let ad = ClientVpnAuthenticationRequest {
            r#type: Some("directory-service-authentication".into()),
            active_directory: Some(crate::generated::dto::DirectoryServiceAuthenticationRequest {
                directory_id: Some("d-0123456789".into()),
            }),
            ..Default::default()
        };
        assert_eq!(authentication(&[cert.clone(), ad.clone()]).unwrap().len(), 2);
        assert_eq!(authentication(&[cert.clone(), cert]).unwrap_err().code, "InvalidParameterCombination");
        let bare = ClientVpnAuthenticationRequest { r#type: Some("certificate-authentication".into()), ..ad };
        assert_eq!(authentication(&[bare]).unwrap_err().code, "MissingParameter");
    }
}
