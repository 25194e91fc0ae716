//! GetScopedCredentials: new temporary credentials for the calling session itself,
//! narrowed by a scope-down policy and/or a shorter lifetime. The identity is kept; the
//! number of scope-down policies on the session travels in its session token.

use chrono::Duration;
use nimbus_core::auth::CredentialStore;
use nimbus_core::{ApiError, RequestContext};
use serde_json::Value;

use crate::generated::dto::{GetScopedCredentialsRequest, GetScopedCredentialsResponse, ScopedSession};
use crate::sessions::issue_token;

/// At most three scope-down layers per session.
const MAX_LAYERS: i32 = 3;
/// How a session token carries its scope-down count: `...<MARK><n>`.
const MARK: &str = ".scoped";

pub fn get_scoped_credentials(
    store: &CredentialStore,
    ctx: &RequestContext,
    input: GetScopedCredentialsRequest,
) -> Result<GetScopedCredentialsResponse, ApiError> {
    let Some(token) = &ctx.caller.session_token else {
        return Err(ApiError::client(
            "InvalidSubjectCredentials",
            "GetScopedCredentials must be called with temporary security credentials",
        ));
    };
    let expiration = store.temporary_expiration(&ctx.caller.access_key).ok_or_else(|| {
        ApiError::client("InvalidSubjectCredentials", "The calling session's credentials could not be resolved")
    })?;
    if input.policy.is_none() && input.duration_seconds.is_none() {
        return Err(ApiError::client(
            "ValidationError",
            "A request must provide at least one of Policy or DurationSeconds",
        ));
    }
    let layers = token.rsplit_once(MARK).and_then(|(_, n)| n.parse::<i32>().ok()).unwrap_or(0);
    let layers = match &input.policy {
        Some(policy) => {
            check_policy(policy)?;
            if layers >= MAX_LAYERS {
                return Err(ApiError::new(
                    "AccessDenied",
                    format!("The session already has {MAX_LAYERS} scope-down policies, the most it can have"),
                    403,
                ));
            }
            layers + 1
        }
        None => layers,
    };
    let until = match input.duration_seconds {
        Some(secs) => {
            let until = ctx.now + Duration::seconds(i64::from(secs));
            if until > expiration {
                return Err(ApiError::client(
                    "InsufficientSessionLifetime",
                    format!(
                        "The requested DurationSeconds ({secs}) is greater than the calling session's remaining lifetime ({} seconds)",
                        (expiration - ctx.now).num_seconds().max(0)
                    ),
                ));
            }
            until
        }
        None => expiration,
    };
    let mut caller = ctx.caller.clone();
    caller.session_token = None;
    let suffix = if layers > 0 { format!("{MARK}{layers}") } else { String::new() };
    let credentials = issue_token(store, caller, until, &suffix);
    Ok(GetScopedCredentialsResponse {
        credentials: Some(credentials),
        session_info: Some(ScopedSession {
            scoped_session_id: ctx.caller.user_id.clone(),
            arn: ctx.caller.arn.clone(),
        }),
        scoped_policies_count: Some(layers),
        ..Default::default()
    })
}

/// An IAM policy document: a JSON object with a Statement (an object or a list of them),
/// each with an Effect of Allow or Deny.
pub(crate) fn check_policy(policy: &str) -> Result<(), ApiError> {
    let malformed = |why: &str| ApiError::client("MalformedPolicyDocument", why.to_string());
    let doc: Value = serde_json::from_str(policy).map_err(|_| malformed("Syntax errors in policy."))?;
    let statements = match doc.get("Statement") {
        Some(Value::Array(all)) => all.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => return Err(malformed("Policy document must contain a Statement.")),
    };
    for s in statements {
        if !matches!(s.get("Effect").and_then(Value::as_str), Some("Allow" | "Deny")) {
            return Err(malformed("Statement must have an Effect of Allow or Deny."));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::{acting_as, issue};

    const POLICY: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

    /// A context calling with fresh one-hour role credentials.
    fn session(store: &CredentialStore) -> RequestContext {
        let mut ctx = RequestContext::for_tests();
        let caller = acting_as("123456789012", "arn:aws:sts::123456789012:assumed-role/App/run", "AROAEXAMPLE:run");
        let creds = issue(store, &ctx, caller.clone(), 3600);
        ctx.caller = caller;
        ctx.caller.access_key = creds.access_key_id;
        ctx.caller.session_token = Some(creds.session_token);
        ctx
    }

    fn with_policy() -> GetScopedCredentialsRequest {
        GetScopedCredentialsRequest { policy: Some(POLICY.into()), ..Default::default() }
    }

    #[test]
    fn scoping_keeps_the_identity_and_counts_layers() {
        let store = CredentialStore::default();
        let mut ctx = session(&store);
        for layer in 1..=3 {
            let out = get_scoped_credentials(&store, &ctx, with_policy()).unwrap();
            assert_eq!(out.scoped_policies_count, Some(layer));
            let info = out.session_info.unwrap();
            assert_eq!(info.arn, "arn:aws:sts::123456789012:assumed-role/App/run");
            let creds = out.credentials.unwrap();
            assert_eq!(creds.expiration.0, ctx.now + Duration::hours(1), "inherits the session's expiration");
            ctx.caller.access_key = creds.access_key_id;
            ctx.caller.session_token = Some(creds.session_token);
        }
        assert_eq!(get_scoped_credentials(&store, &ctx, with_policy()).unwrap_err().code, "AccessDenied");
        // A shorter lifetime alone adds no layer.
        let shorter = GetScopedCredentialsRequest { duration_seconds: Some(60), ..Default::default() };
        let out = get_scoped_credentials(&store, &ctx, shorter).unwrap();
        assert_eq!(out.scoped_policies_count, Some(3));
        assert_eq!(out.credentials.unwrap().expiration.0, ctx.now + Duration::seconds(60));
    }

    #[test]
    fn refusals() {
        let store = CredentialStore::default();
        let ctx = session(&store);
        let cases = [
            (GetScopedCredentialsRequest::default(), "ValidationError"),
            (
                GetScopedCredentialsRequest { policy: Some("{not json".into()), ..Default::default() },
                "MalformedPolicyDocument",
            ),
            (
                GetScopedCredentialsRequest {
                    policy: Some(r#"{"Statement":[{"Effect":"Maybe"}]}"#.into()),
                    ..Default::default()
                },
                "MalformedPolicyDocument",
            ),
            (
                GetScopedCredentialsRequest { duration_seconds: Some(7200), ..Default::default() },
                "InsufficientSessionLifetime",
            ),
        ];
        for (req, code) in cases {
            assert_eq!(get_scoped_credentials(&store, &ctx, req).unwrap_err().code, code);
        }
        let long_term = RequestContext::for_tests();
        assert_eq!(
            get_scoped_credentials(&store, &long_term, with_policy()).unwrap_err().code,
            "InvalidSubjectCredentials"
        );
        assert_eq!(store.temporary().len(), 1);
    }
}
