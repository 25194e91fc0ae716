//! GetSessionToken and AssumeRole: temporary credentials recorded in the shared store,
//! so the SigV4 check accepts them (with their session token) until they expire.

use chrono::Duration;
use nimbus_core::auth::{CredentialStore, TemporaryCredential};
use nimbus_core::types::Timestamp;
use nimbus_core::{ids, ApiError, Caller, RequestContext};
use sha2::{Digest, Sha256};

use crate::generated::dto::{
    AssumeRoleRequest, AssumeRoleResponse, AssumedRoleUser, Credentials, FederatedUser, GetFederationTokenRequest,
    GetFederationTokenResponse, GetSessionTokenRequest, GetSessionTokenResponse,
};

/// GetSessionToken's and GetFederationToken's default lifetime (12 hours) for an IAM
/// user; the range is enforced by the model.
const SESSION_DEFAULT_SECS: i64 = 43_200;
/// AssumeRole's default lifetime (1 hour).
pub(crate) const ROLE_DEFAULT_SECS: i64 = 3_600;
/// The longest (and the default) session an account's root user gets from
/// GetSessionToken or GetFederationToken: a longer request is cut to one hour.
const ROOT_MAX_SECS: i64 = 3_600;

fn is_root(caller: &Caller) -> bool {
    caller.arn.ends_with(":root")
}

/// The lifetime of a session a long-term key asks for: the request's, or 12 hours, and
/// never more than an hour for the root user.
fn session_secs(caller: &Caller, requested: Option<i32>) -> i64 {
    let secs = requested.map_or(SESSION_DEFAULT_SECS, i64::from);
    if is_root(caller) {
        secs.min(ROOT_MAX_SECS)
    } else {
        secs
    }
}

/// GetSessionToken and GetFederationToken take long-term keys only.
fn refuse_session_credentials(ctx: &RequestContext, operation: &str) -> Result<(), ApiError> {
    match ctx.caller.session_token {
        Some(_) => Err(ApiError::new("AccessDenied", format!("Cannot call {operation} with session credentials"), 403)),
        None => Ok(()),
    }
}

/// The identity temporary credentials act as (an assumed role, a federated user).
pub(crate) fn acting_as(account: &str, arn: &str, user_id: &str) -> Caller {
    Caller { account: account.into(), arn: arn.into(), user_id: user_id.into(), ..Caller::default() }
}

pub(crate) fn issue(store: &CredentialStore, ctx: &RequestContext, caller: Caller, secs: i64) -> Credentials {
    issue_at(store, ctx.now, caller, secs)
}

fn issue_at(store: &CredentialStore, now: chrono::DateTime<chrono::Utc>, caller: Caller, secs: i64) -> Credentials {
    issue_token(store, caller, now + Duration::seconds(secs), "")
}

/// Records credentials acting as `caller` until `expiration`; `suffix` ends the session
/// token (what the token itself carries, as AWS's tokens carry their session's data).
pub(crate) fn issue_token(
    store: &CredentialStore,
    caller: Caller,
    expiration: chrono::DateTime<chrono::Utc>,
    suffix: &str,
) -> Credentials {
    let access_key = ids::key_id("ASIA", 16);
    let secret_key = ids::secret_key();
    // AWS session tokens are long opaque base64 strings; this one is random.
    let session_token = format!("IQoJb3JpZ2luX2VjE{}{suffix}", ids::secret_key().repeat(8).replace('/', "+"));
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
    refuse_session_credentials(ctx, "GetSessionToken")?;
    let secs = session_secs(&ctx.caller, input.duration_seconds);
    let mut caller = ctx.caller.clone();
    caller.session_token = None;
    Ok(GetSessionTokenResponse { credentials: Some(issue(store, ctx, caller, secs)), ..Default::default() })
}

/// Credentials for a federated user named by the caller, in the caller's account: they
/// act as `arn:aws:sts::ACCOUNT:federated-user/NAME`.
pub fn get_federation_token(
    store: &CredentialStore,
    ctx: &RequestContext,
    input: GetFederationTokenRequest,
) -> Result<GetFederationTokenResponse, ApiError> {
    refuse_session_credentials(ctx, "GetFederationToken")?;
    check_name(&input.name, "name", 32)?;
    let account = &ctx.caller.account;
    let user_id = format!("{account}:{}", input.name);
    let arn = format!("arn:aws:sts::{account}:federated-user/{}", input.name);
    let caller = acting_as(account, &arn, &user_id);
    let secs = session_secs(&ctx.caller, input.duration_seconds);
    Ok(GetFederationTokenResponse {
        credentials: Some(issue(store, ctx, caller, secs)),
        federated_user: Some(FederatedUser { federated_user_id: user_id, arn }),
        packed_policy_size: packed_policy_size(input.policy.as_deref()),
        ..Default::default()
    })
}

/// A session or federated-user name: 2 to `max` characters of `[\w+=,.@-]`.
pub(crate) fn check_name(name: &str, member: &str, max: usize) -> Result<(), ApiError> {
    if name.len() < 2 || name.len() > max || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)) {
        return Err(ApiError::client(
            "ValidationError",
            format!(
                "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
            ),
        ));
    }
    Ok(())
}

/// How much of the session token's policy space an inline policy takes, in percent.
pub(crate) fn packed_policy_size(policy: Option<&str>) -> Option<i32> {
    policy.map(|p| (p.len() * 100 / 2048).min(100) as i32)
}

/// `arn:aws:iam::123456789012:role/path/Name` -> (account, role name).
pub(crate) fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
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
    let (credentials, user) = assume(store, ctx, &input.role_arn, &input.role_session_name, input.duration_seconds)?;
    Ok(AssumeRoleResponse {
        credentials: Some(credentials),
        assumed_role_user: Some(user),
        packed_policy_size: packed_policy_size(input.policy.as_deref()),
        source_identity: input.source_identity,
        ..Default::default()
    })
}

/// Credentials that act as `role_arn`'s session `session`, in the role's account: what
/// AssumeRole and AssumeRoleWithWebIdentity share once the caller is trusted.
pub(crate) fn assume(
    store: &CredentialStore,
    ctx: &RequestContext,
    role_arn: &str,
    session: &str,
    duration_seconds: Option<i32>,
) -> Result<(Credentials, AssumedRoleUser), ApiError> {
    assume_for(store, ctx, role_arn, session, duration_seconds.map_or(ROLE_DEFAULT_SECS, i64::from))
}

/// [`assume`] for a session of `secs` seconds.
pub(crate) fn assume_for(
    store: &CredentialStore,
    ctx: &RequestContext,
    role_arn: &str,
    session: &str,
    secs: i64,
) -> Result<(Credentials, AssumedRoleUser), ApiError> {
    let Some((account, role_name)) = parse_role_arn(role_arn) else {
        return Err(ApiError::client("ValidationError", format!("{role_arn} is invalid")));
    };
    check_name(session, "roleSessionName", 64)?;
    let role_id = role_id(role_arn);
    let arn = format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session}");
    let assumed_role_id = format!("{role_id}:{session}");
    let caller = acting_as(account, &arn, &assumed_role_id);
    let credentials = issue(store, ctx, caller, secs);
    Ok((credentials, AssumedRoleUser { assumed_role_id, arn }))
}

/// Credentials of an EC2 instance's role, as IMDS serves them: the role's session named
/// after the instance (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/i-...`), valid for six
/// hours from `now` (EC2 hands out credentials of about that lifetime and rotates them
/// well before they expire). `None` for a role ARN that is not one.
pub fn instance_role_credentials(
    store: &CredentialStore,
    now: chrono::DateTime<chrono::Utc>,
    role_arn: &str,
    instance_id: &str,
) -> Option<Credentials> {
    const INSTANCE_ROLE_SECS: i64 = 6 * 3_600;
    let (account, role_name) = parse_role_arn(role_arn)?;
    let arn = format!("arn:aws:sts::{account}:assumed-role/{role_name}/{instance_id}");
    let caller = acting_as(account, &arn, &format!("{}:{instance_id}", role_id(role_arn)));
    Some(issue_at(store, now, caller, INSTANCE_ROLE_SECS))
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
    fn instance_role_credentials_act_as_the_instances_session() {
        let store = CredentialStore::default();
        let now = chrono::Utc::now();
        let creds = instance_role_credentials(&store, now, "arn:aws:iam::123456789012:role/app", "i-0123456789abcdef0")
            .unwrap();
        assert_eq!(creds.expiration.0, now + Duration::hours(6));
        let issued = store.temporary();
        assert_eq!(issued[0].caller.arn, "arn:aws:sts::123456789012:assumed-role/app/i-0123456789abcdef0");
        assert!(instance_role_credentials(&store, now, "not-an-arn", "i-1").is_none());
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
    fn root_sessions_last_an_hour_at_most() {
        let store = CredentialStore::default();
        let ctx = RequestContext::for_tests();
        assert!(is_root(&ctx.caller));
        let expires = |out: GetSessionTokenResponse| out.credentials.unwrap().expiration.0 - ctx.now;
        let default = get_session_token(&store, &ctx, GetSessionTokenRequest::default()).unwrap();
        assert_eq!(expires(default), Duration::hours(1));
        let long = GetSessionTokenRequest { duration_seconds: Some(129_600), ..Default::default() };
        assert_eq!(expires(get_session_token(&store, &ctx, long).unwrap()), Duration::hours(1));
        let short = GetSessionTokenRequest { duration_seconds: Some(900), ..Default::default() };
        assert_eq!(expires(get_session_token(&store, &ctx, short).unwrap()), Duration::minutes(15));
        let mut user = ctx.clone();
        user.caller.arn = "arn:aws:iam::000000000000:user/ci".into();
        let default = get_session_token(&store, &user, GetSessionTokenRequest::default()).unwrap();
        assert_eq!(default.credentials.unwrap().expiration.0 - user.now, Duration::hours(12));
    }

    #[test]
    fn federation_tokens_act_as_the_federated_user() {
        let store = CredentialStore::default();
        let ctx = RequestContext::for_tests();
        let out = get_federation_token(
            &store,
            &ctx,
            GetFederationTokenRequest {
                name: "Bob".into(),
                policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into()),
                duration_seconds: Some(7_200),
                ..Default::default()
            },
        )
        .unwrap();
        let user = out.federated_user.unwrap();
        assert_eq!(user.arn, "arn:aws:sts::000000000000:federated-user/Bob");
        assert_eq!(user.federated_user_id, "000000000000:Bob");
        assert_eq!(out.packed_policy_size, Some(1));
        // The root user asked for two hours and gets one.
        assert_eq!(out.credentials.unwrap().expiration.0, ctx.now + Duration::hours(1));
        let issued = store.temporary();
        assert_eq!(issued[0].caller.arn, "arn:aws:sts::000000000000:federated-user/Bob");
        let mut session = ctx.clone();
        session.caller.session_token = Some("t".into());
        let refused = get_federation_token(
            &store,
            &session,
            GetFederationTokenRequest { name: "Bob".into(), ..Default::default() },
        )
        .unwrap_err();
        assert_eq!(refused.code, "AccessDenied");
        for bad in ["B", "no spaces", "a-name-longer-than-thirty-two-chars"] {
            let request = GetFederationTokenRequest { name: bad.into(), ..Default::default() };
            assert_eq!(get_federation_token(&store, &ctx, request).unwrap_err().code, "ValidationError", "{bad}");
        }
        assert_eq!(store.temporary().len(), 1);
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
