//! AssumeRoleWithWebIdentity: an OpenID Connect ID token in, credentials for the role out.
//! Clients send it unsigned (the token is the proof), as the model says.
//!
//! nimbus has no IAM, so there is no OIDC provider to look the issuer up in and no key set
//! to fetch (nimbus makes no outbound calls): the token's signature is not verified. What
//! can be checked of the token itself is: it is a JWT (three base64url parts, a JSON
//! header and JSON claims), it names an issuer, a subject and an audience, and it has not
//! expired on nimbus's clock. That is what CI needs: a workload configured with
//! `AWS_ROLE_ARN` and `AWS_WEB_IDENTITY_TOKEN_FILE` (EKS IRSA, GitHub Actions OIDC) gets
//! credentials from nimbus as it would from AWS.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use nimbus_core::auth::CredentialStore;
use nimbus_core::{ApiError, RequestContext};
use serde_json::{Map, Value};

use crate::generated::dto::{AssumeRoleWithWebIdentityRequest, AssumeRoleWithWebIdentityResponse};
use crate::sessions::{assume, packed_policy_size};

pub fn assume_role_with_web_identity(
    store: &CredentialStore,
    ctx: &RequestContext,
    input: AssumeRoleWithWebIdentityRequest,
) -> Result<AssumeRoleWithWebIdentityResponse, ApiError> {
    let claims = claims(&input.web_identity_token)?;
    let text = |name: &str| -> Result<String, ApiError> {
        let value = match claims.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            // `aud` may be a list; AWS matches the role's trust policy against each.
            Some(Value::Array(all)) => all.iter().find_map(Value::as_str).map(str::to_string),
            _ => None,
        };
        value.filter(|v| !v.is_empty()).ok_or_else(|| invalid(&format!("The ID Token provided has no '{name}' claim.")))
    };
    let (issuer, subject, audience) = (text("iss")?, text("sub")?, text("aud")?);
    let Some(expires) = claims.get("exp").and_then(Value::as_f64) else {
        return Err(invalid("The ID Token provided has no 'exp' claim."));
    };
    let now = ctx.now.timestamp();
    if expires <= now as f64 {
        return Err(ApiError::client(
            "ExpiredTokenException",
            format!("Token expired: current date/time {now} must be before the expiration date/time {expires}"),
        ));
    }
    let (credentials, user) = assume(store, ctx, &input.role_arn, &input.role_session_name, input.duration_seconds)?;
    Ok(AssumeRoleWithWebIdentityResponse {
        credentials: Some(credentials),
        subject_from_web_identity_token: Some(subject),
        assumed_role_user: Some(user),
        packed_policy_size: packed_policy_size(input.policy.as_deref()),
        // An OAuth 2.0 access token names its provider in ProviderId; an ID token in `iss`.
        provider: Some(input.provider_id.unwrap_or(issuer)),
        audience: Some(audience),
        ..Default::default()
    })
}

fn invalid(message: &str) -> ApiError {
    ApiError::client("InvalidIdentityToken", message)
}

/// The claims of a JWT: `header.claims.signature`, each part base64url (padding allowed),
/// the first two JSON objects.
fn claims(token: &str) -> Result<Map<String, Value>, ApiError> {
    let not_a_jwt =
        || invalid("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)");
    let parts: Vec<&str> = token.trim().split('.').collect();
    let [header, claims, _signature] = parts.as_slice() else {
        return Err(not_a_jwt());
    };
    let object = |part: &str| -> Option<Map<String, Value>> {
        let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
        match serde_json::from_slice(&bytes).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        }
    };
    let header = object(header).ok_or_else(not_a_jwt)?;
    if !header.get("alg").is_some_and(Value::is_string) {
        return Err(not_a_jwt());
    }
    object(claims).ok_or_else(not_a_jwt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use serde_json::json;

    fn token(claims: Value) -> String {
        let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2lnbmF0dXJl", part(json!({"alg": "RS256", "typ": "JWT"})), part(claims))
    }

    fn request(token: String) -> AssumeRoleWithWebIdentityRequest {
        AssumeRoleWithWebIdentityRequest {
            role_arn: "arn:aws:iam::123456789012:role/ci/Deployer".into(),
            role_session_name: "gha-run".into(),
            web_identity_token: token,
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_token_assumes_the_role() {
        let store = CredentialStore::default();
        let ctx = RequestContext::for_tests();
        let exp = (ctx.now + Duration::minutes(5)).timestamp();
        let claims = json!({"iss": "https://token.actions.githubusercontent.com", "sub": "repo:acme/app:ref:refs/heads/main",
                            "aud": ["sts.amazonaws.com"], "exp": exp});
        let out = assume_role_with_web_identity(&store, &ctx, request(token(claims))).unwrap();
        assert_eq!(out.subject_from_web_identity_token.as_deref(), Some("repo:acme/app:ref:refs/heads/main"));
        assert_eq!(out.audience.as_deref(), Some("sts.amazonaws.com"));
        assert_eq!(out.provider.as_deref(), Some("https://token.actions.githubusercontent.com"));
        let user = out.assumed_role_user.unwrap();
        assert_eq!(user.arn, "arn:aws:sts::123456789012:assumed-role/Deployer/gha-run");
        assert_eq!(out.credentials.unwrap().expiration.0, ctx.now + Duration::hours(1));
        assert_eq!(store.temporary()[0].caller.account, "123456789012");
    }

    #[test]
    fn bad_and_expired_tokens_are_refused() {
        let store = CredentialStore::default();
        let ctx = RequestContext::for_tests();
        let later = (ctx.now + Duration::minutes(5)).timestamp();
        let good = json!({"iss": "https://issuer", "sub": "s", "aud": "a", "exp": later});
        let mut no_sub = good.clone();
        no_sub.as_object_mut().unwrap().remove("sub");
        for (label, t) in [
            ("not a JWT", "opaque-access-token".to_string()),
            ("two parts", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0".to_string()),
            ("claims not JSON", format!("{}.bm90IGpzb24.c2ln", URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#))),
            ("no subject", token(no_sub)),
        ] {
            let err = assume_role_with_web_identity(&store, &ctx, request(t)).unwrap_err();
            assert_eq!(err.code, "InvalidIdentityToken", "{label}");
        }
        let mut expired = good.clone();
        expired["exp"] = json!(ctx.now.timestamp() - 1);
        let err = assume_role_with_web_identity(&store, &ctx, request(token(expired))).unwrap_err();
        assert_eq!(err.code, "ExpiredTokenException");
        let mut bad_role = request(token(good));
        bad_role.role_arn = "arn:aws:iam::123456789012:user/x".into();
        assert_eq!(assume_role_with_web_identity(&store, &ctx, bad_role).unwrap_err().code, "ValidationError");
        assert!(store.temporary().is_empty());
    }
}
