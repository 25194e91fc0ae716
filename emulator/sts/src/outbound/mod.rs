//! GetWebIdentityToken (outbound identity federation): a JWT, signed RS256 or ES384 with
//! the account's key, that names the caller to a service outside AWS. The service checks
//! it against the issuer's OpenID Connect discovery documents, which nimbus serves
//! itself under the issuer URL (`{endpoint}/_nimbus/sts/outbound/{account}`, with
//! `/.well-known/openid-configuration` and `/.well-known/jwks.json`).
//!
//! Claims, after AWS's "Understanding token claims" (IAM User Guide): `iss`, `aud`,
//! `sub`, `iat`, `exp`, `jti`, `scope` when asked for, and under the
//! `https://sts.amazonaws.com/` namespace `aws_account`, `source_region`,
//! `principal_id` and the request's tags as `request_tags`. nimbus has no IAM,
//! Organizations or Lambda, so principal tags, `org_id`, `ou_path` and the session
//! context claims never appear.

mod keys;

use chrono::Duration;
use nimbus_core::auth::CredentialStore;
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, Caller, RequestContext};
use serde_json::{json, Map, Value};

use crate::generated::dto::{GetWebIdentityTokenRequest, GetWebIdentityTokenResponse, Tag};
pub use keys::{jwks, Algorithm};

/// DurationSeconds' default: five minutes.
const DEFAULT_SECS: i64 = 300;
/// The largest claims set nimbus signs, in bytes of JSON. AWS does not publish its own
/// limit; this one is reached only through request tags, as AWS's error text implies.
pub const MAX_PAYLOAD_BYTES: usize = 8 * 1024;
/// Where the identity claims live in the token.
const NAMESPACE: &str = "https://sts.amazonaws.com/";
/// Where an endpoint's base URL is unknown (a call from inside nimbus).
const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4566";

/// The issuer URL of `account`'s tokens on the nimbus at `endpoint`.
pub fn issuer(endpoint: &str, account: &str) -> String {
    format!("{}/_nimbus/sts/outbound/{account}", endpoint.trim_end_matches('/'))
}

/// The OpenID Connect discovery document of `issuer` (`/.well-known/openid-configuration`).
pub fn openid_configuration(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": Algorithm::ALL.iter().map(|a| a.name()).collect::<Vec<_>>(),
        "claims_supported": ["iss", "aud", "sub", "iat", "exp", "jti", "scope", NAMESPACE],
    })
}

pub fn get_web_identity_token(
    store: &CredentialStore,
    ctx: &RequestContext,
    input: GetWebIdentityTokenRequest,
) -> Result<GetWebIdentityTokenResponse, ApiError> {
    let Some(algorithm) = Algorithm::parse(&input.signing_algorithm) else {
        return Err(ApiError::client(
            "ValidationError",
            format!(
                "1 validation error detected: Value '{}' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RS256, ES384]",
                input.signing_algorithm
            ),
        ));
    };
    let secs = input.duration_seconds.map_or(DEFAULT_SECS, i64::from);
    let expires = ctx.now + Duration::seconds(secs);
    // Temporary credentials cannot mint a token that outlives their session.
    if ctx.caller.session_token.is_some() {
        if let Some(session_end) = store.temporary_expiration(&ctx.caller.access_key) {
            if expires > session_end {
                return Err(ApiError::new(
                    "SessionDurationEscalationException",
                    format!(
                        "The requested token duration ({secs} seconds) would extend the session beyond its original expiration time ({}).",
                        session_end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ),
                    403,
                ));
            }
        }
    }
    let request_tags = request_tags(input.tags.as_deref().unwrap_or_default())?;
    let account = &ctx.caller.account;
    let endpoint = ctx.endpoint.as_deref().unwrap_or(DEFAULT_ENDPOINT);
    let mut identity = Map::new();
    identity.insert("aws_account".into(), json!(account));
    identity.insert("source_region".into(), json!(ctx.region));
    identity.insert("principal_id".into(), json!(principal_arn(&ctx.caller)));
    if let Some(tags) = request_tags {
        identity.insert("request_tags".into(), Value::Object(tags));
    }
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(issuer(endpoint, account)));
    claims.insert(
        "aud".into(),
        match input.audience.as_slice() {
            [one] => json!(one),
            all => json!(all),
        },
    );
    // nimbus's sessions do not carry the origin identity of a federated caller, so both
    // subject modes name the calling principal.
    claims.insert("sub".into(), json!(principal_arn(&ctx.caller)));
    claims.insert("iat".into(), json!(ctx.now.timestamp()));
    claims.insert("exp".into(), json!(expires.timestamp()));
    claims.insert("jti".into(), json!(ids::request_id()));
    if let Some(scope) = &input.scope {
        claims.insert("scope".into(), json!(scope));
    }
    claims.insert(NAMESPACE.into(), Value::Object(identity));
    let payload = Value::Object(claims).to_string();
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(ApiError::client(
            "JWTPayloadSizeExceededException",
            format!(
                "The token payload ({} bytes) exceeds the maximum allowed size of {MAX_PAYLOAD_BYTES} bytes. Reduce the number of request tags.",
                payload.len()
            ),
        ));
    }
    let header = json!({"alg": algorithm.name(), "kid": keys::key_id(account, algorithm), "typ": "JWT"});
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(payload));
    let signature = keys::sign(account, algorithm, input.as_bytes());
    Ok(GetWebIdentityTokenResponse {
        web_identity_token: Some(format!("{input}.{signature}")),
        expiration: Some(Timestamp(expires)),
    })
}

/// The request's tags as claims; keys are case-insensitive, so no two may differ only in
/// case.
fn request_tags(tags: &[Tag]) -> Result<Option<Map<String, Value>>, ApiError> {
    if tags.is_empty() {
        return Ok(None);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Map::new();
    for tag in tags {
        if !seen.insert(tag.key.to_lowercase()) {
            return Err(ApiError::client(
                "ValidationError",
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        out.insert(tag.key.clone(), json!(tag.value));
    }
    Ok(Some(out))
}

/// The principal a caller is: for a role session the role
/// (`arn:aws:iam::ACCOUNT:role/NAME`), otherwise its own ARN (a user, the root user, a
/// federated user).
fn principal_arn(caller: &Caller) -> String {
    let role = caller.arn.strip_prefix("arn:aws:sts::").and_then(|rest| {
        let (account, resource) = rest.split_once(':')?;
        let role = resource.strip_prefix("assumed-role/")?.split('/').next()?;
        Some(format!("arn:aws:iam::{account}:role/{role}"))
    });
    role.unwrap_or_else(|| caller.arn.clone())
}

#[cfg(test)]
mod tests;
