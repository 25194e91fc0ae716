//! AssumeRoleWithSAML: an IdP's base64 SAML 2.0 response in, credentials for the role out.
//! Clients send it unsigned (the assertion is the proof), as the model says.
//!
//! nimbus has no IAM, so there is no SAML provider whose metadata could verify the
//! assertion's signature: it is not checked. What is checked is what AWS reads from the
//! assertion: it decodes to a SAML response with an Issuer and a Subject NameID, it has not
//! expired on nimbus's clock (NotOnOrAfter), its
//! `https://aws.amazon.com/SAML/Attributes/Role` attribute pairs the requested role with
//! the requested provider, and its `RoleSessionName` attribute names the session — with
//! the messages AWS's troubleshooting guide quotes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::DateTime;
use nimbus_core::auth::CredentialStore;
use nimbus_core::{ApiError, RequestContext};
use sha1::{Digest, Sha1};

use crate::generated::dto::{AssumeRoleWithSAMLRequest, AssumeRoleWithSAMLResponse};
use crate::sessions::{assume_for, packed_policy_size, ROLE_DEFAULT_SECS};

const ATTRIBUTES: &str = "https://aws.amazon.com/SAML/Attributes/";
const NAMEID_PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:";

pub fn assume_role_with_saml(
    store: &CredentialStore,
    ctx: &RequestContext,
    input: AssumeRoleWithSAMLRequest,
) -> Result<AssumeRoleWithSAMLResponse, ApiError> {
    let provider = parse_provider_arn(&input.principal_arn)
        .ok_or_else(|| ApiError::client("ValidationError", format!("{} is invalid", input.principal_arn)))?;
    if crate::sessions::parse_role_arn(&input.role_arn).is_none() {
        return Err(ApiError::client("ValidationError", format!("{} is invalid", input.role_arn)));
    }
    let xml = STANDARD
        .decode(input.saml_assertion.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|x| element(x, "Response").is_some() || element(x, "Assertion").is_some())
        .ok_or_else(|| invalid("Invalid SAML response: the assertion is not a base64-encoded SAML response"))?;
    let issuer = element(&xml, "Issuer").map(|e| text(e.inner)).filter(|s| !s.is_empty());
    let issuer = issuer.ok_or_else(|| invalid("Invalid SAML response: no Issuer"))?;
    let name_id = element(&xml, "NameID").ok_or_else(|| invalid("Invalid SAML response: no Subject NameID"))?;
    let subject = text(name_id.inner);
    let subject_type = name_id.attr("Format").map(|f| f.strip_prefix(NAMEID_PREFIX).unwrap_or(&f).to_string());
    let confirmation = element(&xml, "SubjectConfirmationData");
    let audience = confirmation.as_ref().and_then(|c| c.attr("Recipient"));

    let now = ctx.now.timestamp();
    let expiries = [
        confirmation.as_ref().and_then(|c| c.attr("NotOnOrAfter")),
        element(&xml, "Conditions").and_then(|c| c.attr("NotOnOrAfter")),
    ];
    for limit in expiries.into_iter().flatten() {
        let at =
            DateTime::parse_from_rfc3339(&limit).map_err(|_| invalid("Invalid SAML response: bad NotOnOrAfter"))?;
        if at.timestamp() <= now {
            return Err(ApiError::client("ExpiredTokenException", "The SAML assertion has expired (NotOnOrAfter)"));
        }
    }

    let roles = attribute_values(&xml, "Role");
    let pairs_requested = roles.iter().any(|value| {
        let parts: Vec<&str> = value.split(',').map(str::trim).collect();
        parts.len() == 2 && parts.contains(&input.role_arn.as_str()) && parts.contains(&input.principal_arn.as_str())
    });
    if !pairs_requested {
        return Err(ApiError::new("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", 403));
    }
    let session = attribute_values(&xml, "RoleSessionName")
        .into_iter()
        .next()
        .ok_or_else(|| invalid("RoleSessionName is required in AuthnResponse"))?;
    let valid_session = (2..=64).contains(&session.len())
        && session.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !valid_session {
        return Err(invalid("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}"));
    }

    // The session lasts DurationSeconds (or the assertion's SessionDuration, or an hour),
    // cut short by the AuthnStatement's SessionNotOnOrAfter.
    let attribute_secs = attribute_values(&xml, "SessionDuration").first().and_then(|s| s.parse::<i64>().ok());
    let mut secs = input.duration_seconds.map(i64::from).or(attribute_secs).unwrap_or(ROLE_DEFAULT_SECS);
    if let Some(until) = element(&xml, "AuthnStatement").and_then(|a| a.attr("SessionNotOnOrAfter")) {
        if let Ok(until) = DateTime::parse_from_rfc3339(&until) {
            secs = secs.min(until.timestamp() - now);
        }
    }
    if secs <= 0 {
        return Err(ApiError::client("ExpiredTokenException", "The SAML session has expired (SessionNotOnOrAfter)"));
    }
    let source_identity = attribute_values(&xml, "SourceIdentity").into_iter().next();
    let (credentials, user) = assume_for(store, ctx, &input.role_arn, &session, secs)?;
    let qualifier = Sha1::digest(format!("{issuer}{}/{}", provider.0, provider.1).as_bytes());
    Ok(AssumeRoleWithSAMLResponse {
        credentials: Some(credentials),
        assumed_role_user: Some(user),
        packed_policy_size: packed_policy_size(input.policy.as_deref()),
        subject: Some(subject),
        subject_type,
        issuer: Some(issuer),
        audience,
        name_qualifier: Some(STANDARD.encode(qualifier)),
        source_identity,
        ..Default::default()
    })
}

fn invalid(message: &str) -> ApiError {
    ApiError::client("InvalidIdentityToken", message)
}

/// `arn:aws:iam::123456789012:saml-provider/Name` -> (account, name).
fn parse_provider_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, name) = rest.split_once(":saml-provider/")?;
    let valid_account = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
    let valid_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    (valid_account && valid_name).then_some((account, name))
}

/// An XML element found by its local name: its attributes' text and what it encloses.
struct Element<'a> {
    open: &'a str,
    inner: &'a str,
}

impl Element<'_> {
    fn attr(&self, name: &str) -> Option<String> {
        let mut rest = self.open;
        while let Some(i) = rest.find(name) {
            let before = rest[..i].chars().last();
            let after = &rest[i + name.len()..];
            if before.is_some_and(char::is_whitespace) {
                if let Some(value) = after.trim_start().strip_prefix('=') {
                    let value = value.trim_start();
                    let quote = value.chars().next()?;
                    if quote == '"' || quote == '\'' {
                        let end = value[1..].find(quote)?;
                        return Some(unescape(&value[1..1 + end]));
                    }
                }
            }
            rest = after;
        }
        None
    }
}

/// Every element named `local` (with any namespace prefix), in document order.
fn elements<'a>(xml: &'a str, local: &str) -> Vec<Element<'a>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = xml[at..].find('<') {
        let start = at + i + 1;
        let Some(end) = xml[start..].find('>').map(|e| start + e) else { break };
        let tag = &xml[start..end];
        at = end + 1;
        if tag.starts_with('/') || tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        let name = tag.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or_default();
        if name.rsplit(':').next() != Some(local) {
            continue;
        }
        if tag.ends_with('/') {
            out.push(Element { open: tag, inner: "" });
            continue;
        }
        let close = format!("</{name}>");
        let inner_end = xml[at..].find(&close).map_or(xml.len(), |c| at + c);
        out.push(Element { open: tag, inner: &xml[at..inner_end] });
    }
    out
}

fn element<'a>(xml: &'a str, local: &str) -> Option<Element<'a>> {
    elements(xml, local).into_iter().next()
}

/// The values of `https://aws.amazon.com/SAML/Attributes/<name>`.
fn attribute_values(xml: &str, name: &str) -> Vec<String> {
    let full = format!("{ATTRIBUTES}{name}");
    elements(xml, "Attribute")
        .into_iter()
        .filter(|a| a.attr("Name").as_deref() == Some(full.as_str()))
        .flat_map(|a| elements(a.inner, "AttributeValue").into_iter().map(|v| text(v.inner)).collect::<Vec<_>>())
        .collect()
}

fn text(inner: &str) -> String {
    unescape(inner.trim())
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    const ROLE: &str = "arn:aws:iam::123456789012:role/SAMLAdmin";
    const PROVIDER: &str = "arn:aws:iam::123456789012:saml-provider/Okta";

    fn response(ctx: &RequestContext, session: Option<&str>, role: &str) -> String {
        let later = (ctx.now + Duration::minutes(5)).format("%Y-%m-%dT%H:%M:%SZ");
        let session = session.map_or(String::new(), |s| {
            format!(r#"<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml2:AttributeValue>{s}</saml2:AttributeValue></saml2:Attribute>"#)
        });
        let xml = format!(
            r#"<?xml version="1.0"?><saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol"><saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">http://www.okta.com/exk1</saml2:Issuer><saml2:Assertion><saml2:Subject><saml2:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice@example.com</saml2:NameID><saml2:SubjectConfirmation><saml2:SubjectConfirmationData NotOnOrAfter="{later}" Recipient="https://signin.aws.amazon.com/saml"/></saml2:SubjectConfirmation></saml2:Subject><saml2:AuthnStatement SessionNotOnOrAfter="{later}"/><saml2:AttributeStatement><saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml2:AttributeValue>{role}</saml2:AttributeValue></saml2:Attribute>{session}</saml2:AttributeStatement></saml2:Assertion></saml2p:Response>"#
        );
        STANDARD.encode(xml)
    }

    fn request(assertion: String) -> AssumeRoleWithSAMLRequest {
        AssumeRoleWithSAMLRequest {
            role_arn: ROLE.into(),
            principal_arn: PROVIDER.into(),
            saml_assertion: assertion,
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_assertion_assumes_the_role() {
        let store = CredentialStore::default();
        let ctx = RequestContext::for_tests();
        let out =
            assume_role_with_saml(&store, &ctx, request(response(&ctx, Some("alice"), &format!("{ROLE},{PROVIDER}"))))
                .unwrap();
        assert_eq!(out.subject.as_deref(), Some("alice@example.com"));
        assert_eq!(out.subject_type.as_deref(), Some("persistent"));
        assert_eq!(out.issuer.as_deref(), Some("http://www.okta.com/exk1"));
        assert_eq!(out.audience.as_deref(), Some("https://signin.aws.amazon.com/saml"));
        let expected = STANDARD.encode(Sha1::digest(b"http://www.okta.com/exk1123456789012/Okta"));
        assert_eq!(out.name_qualifier, Some(expected));
        assert_eq!(out.assumed_role_user.unwrap().arn, "arn:aws:sts::123456789012:assumed-role/SAMLAdmin/alice");
        // Cut to the assertion's SessionNotOnOrAfter, five minutes away.
        assert_eq!(out.credentials.unwrap().expiration.0, ctx.now + Duration::minutes(5));
        assert_eq!(store.temporary()[0].caller.account, "123456789012");
    }

    #[test]
    fn bad_assertions_are_refused_as_aws_refuses_them() {
        let store = CredentialStore::default();
        let ctx = RequestContext::for_tests();
        let pair = format!("{PROVIDER},{ROLE}");
        let cases = [
            (request("bm90IHNhbWw=".into()), "InvalidIdentityToken"),
            (request("%%%".into()), "InvalidIdentityToken"),
            (request(response(&ctx, None, &pair)), "InvalidIdentityToken"),
            (request(response(&ctx, Some("a b"), &pair)), "InvalidIdentityToken"),
            (request(response(&ctx, Some("alice"), "arn:aws:iam::123456789012:role/Other,x")), "AccessDenied"),
            (
                AssumeRoleWithSAMLRequest {
                    principal_arn: "arn:aws:iam::123456789012:oidc-provider/x".into(),
                    ..request(response(&ctx, Some("alice"), &pair))
                },
                "ValidationError",
            ),
            (
                AssumeRoleWithSAMLRequest {
                    role_arn: "arn:aws:iam::123456789012:user/x".into(),
                    ..request(response(&ctx, Some("alice"), &pair))
                },
                "ValidationError",
            ),
        ];
        for (i, (req, code)) in cases.into_iter().enumerate() {
            assert_eq!(assume_role_with_saml(&store, &ctx, req).unwrap_err().code, code, "case {i}");
        }
        let mut later = ctx.clone();
        later.now += Duration::minutes(10);
        let err = assume_role_with_saml(&store, &later, request(response(&ctx, Some("alice"), &pair))).unwrap_err();
        assert_eq!(err.code, "ExpiredTokenException");
        assert!(store.temporary().is_empty());
    }
}
