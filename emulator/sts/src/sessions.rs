//! GetSessionToken and AssumeRole: temporary credentials recorded in the shared store,
//! so the SigV4 check accepts them (with their session token) until they expire.

use chrono::Duration;
use nimbus_core::auth::{CredentialStore, TemporaryCredential};
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, Caller, RequestContext};
use sha2::{Digest, Sha256};

use crate::generated::dto::{
    AssumeRoleRequest, AssumeRoleResponse, AssumedRoleUser, Credentials, GetSessionTokenRequest,
    GetSessionTokenResponse,
};

/// GetSessionToken's default lifetime (12 hours); the range is enforced by the model.
const SESSION_DEFAULT_SECS: i64 = 43_200;
/// AssumeRole's default lifetime (1 hour).
const ROLE_DEFAULT_SECS: i64 = 3_600;

fn issue(store: &CredentialStore, ctx: &RequestContext, caller: Caller, secs: i64) -> Credentials {
    let access_key = ids::key_id("ASIA", 16);
    let secret_key = ids::secret_key();
    // AWS session tokens are long opaque base64 strings; this one is random.
    let session_token = format!("IQoJb3JpZ2luX2VjE{}", ids::secret_key().repeat(8).replace('/', "+"));
    let expiration = ctx.now + Duration::seconds(secs);
    store.add_temporary(TemporaryCredential {
        access_key: access_key.clone(),
        secret_key: secret_key.clone(),
        session_token: session_token.clone(),
        expiration,
        caller,
    });
    Credentials {
        access_key_id: access_key,
        secret_access_key: secret_key,
        session_token,
        expiration: Timestamp(expiration),
    }
}

pub fn get_session_token(
    store: &CredentialStore,
    ctx: &RequestContext,
    input: GetSessionTokenRequest,
) -> Result<GetSessionTokenResponse, ApiError> {
    if ctx.caller.session_token.is_some() {
        return Err(ApiError::new("AccessDenied", "Cannot call GetSessionToken with session credentials", 403));
    }
    let secs = input.duration_seconds.map_or(SESSION_DEFAULT_SECS, i64::from);
    let mut caller = ctx.caller.clone();
    caller.session_token = None;
    Ok(GetSessionTokenResponse { credentials: Some(issue(store, ctx, caller, secs)), ..Default::default() })
}

/// `arn:aws:iam::123456789012:role/path/Name` -> (account, role name).
fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path = resource.strip_prefix("role/")?;
    let name = path.rsplit('/').next()?;
    let valid_account = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
    (valid_account && !name.is_empty()).then_some((account, name))
}

/// A role's unique id (`AROA` + 17), stable for the same role ARN as at AWS.
fn role_id(arn: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(arn.as_bytes());
    let mut id = String::from("AROA");
    id.extend(digest.iter().take(17).map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char));
    id
}

pub fn assume_role(
    store: &CredentialStore,
    ctx: &RequestContext,
    input: AssumeRoleRequest,
) -> Result<AssumeRoleResponse, ApiError> {
    let Some((account, role_name)) = parse_role_arn(&input.role_arn) else {
        return Err(ApiError::client("ValidationError", format!("{} is invalid", input.role_arn)));
    };
    let session = &input.role_session_name;
    if session.len() < 2
        || session.len() > 64
        || !session.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        return Err(ApiError::client(
            "ValidationError",
            format!(
                "1 validation error detected: Value '{session}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
            ),
        ));
    }
    let role_id = role_id(&input.role_arn);
    let arn = format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session}");
    let caller = Caller {
        account: account.to_string(),
        access_key: String::new(),
        arn: arn.clone(),
        user_id: format!("{role_id}:{session}"),
        session_token: None,
    };
    let secs = input.duration_seconds.map_or(ROLE_DEFAULT_SECS, i64::from);
    let credentials = issue(store, ctx, caller, secs);
    Ok(AssumeRoleResponse {
        credentials: Some(credentials),
        assumed_role_user: Some(AssumedRoleUser { assumed_role_id: format!("{role_id}:{session}"), arn }),
        packed_policy_size: input.policy.as_ref().map(|p| (p.len() * 100 / 2048).min(100) as i32),
        source_identity: input.source_identity,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assume_role_acts_in_the_roles_account() {
        let store = CredentialStore::default();
        let ctx = RequestContext::for_tests();
        let out = assume_role(
            &store,
            &ctx,
            AssumeRoleRequest {
                role_arn: "arn:aws:iam::123456789012:role/ops/Deployer".into(),
                role_session_name: "ci-run".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let user = out.assumed_role_user.unwrap();
        assert_eq!(user.arn, "arn:aws:sts::123456789012:assumed-role/Deployer/ci-run");
        assert!(user.assumed_role_id.starts_with("AROA") && user.assumed_role_id.ends_with(":ci-run"));
        let creds = out.credentials.unwrap();
        assert!(creds.access_key_id.starts_with("ASIA"));
        assert_eq!(creds.expiration.0, ctx.now + Duration::seconds(3600));
        let issued = store.temporary();
        assert_eq!(issued.len(), 1);
        assert_eq!(issued[0].caller.account, "123456789012");
    }

    #[test]
    fn role_ids_are_stable_per_role() {
        assert_eq!(role_id("arn:aws:iam::1:role/a"), role_id("arn:aws:iam::1:role/a"));
        assert_ne!(role_id("arn:aws:iam::1:role/a"), role_id("arn:aws:iam::1:role/b"));
    }

    #[test]
    fn bad_role_arns_and_session_names_are_refused() {
        let store = CredentialStore::default();
        let ctx = RequestContext::for_tests();
        for (arn, session) in [
            ("not-an-arn", "ok-name"),
            ("arn:aws:iam::12:role/x", "ok-name"),
            ("arn:aws:iam::123456789012:user/x", "ok-name"),
            ("arn:aws:iam::123456789012:role/x", "bad name!"),
        ] {
            let err = assume_role(
                &store,
                &ctx,
                AssumeRoleRequest { role_arn: arn.into(), role_session_name: session.into(), ..Default::default() },
            )
            .unwrap_err();
            assert_eq!(err.code, "ValidationError");
        }
        assert!(store.temporary().is_empty());
    }

    #[test]
    fn session_credentials_cannot_get_a_session_token() {
        let store = CredentialStore::default();
        let mut ctx = RequestContext::for_tests();
        ctx.caller.session_token = Some("t".into());
        let err = get_session_token(&store, &ctx, GetSessionTokenRequest::default()).unwrap_err();
        assert_eq!(err.code, "AccessDenied");
    }
}
