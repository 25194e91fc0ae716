//! AssumeRoot: a short privileged session as a member account's root user, scoped by one
//! of AWS's root-task policies. The caller must not be a root user itself.

use nimbus_core::auth::CredentialStore;
use nimbus_core::{ApiError, RequestContext};

use crate::generated::dto::{AssumeRootRequest, AssumeRootResponse};
use crate::sessions::{acting_as, issue};

/// The AWS managed policies AssumeRoot accepts as TaskPolicyArn (the API reference).
pub const ROOT_TASK_POLICIES: [&str; 5] = [
    "IAMAuditRootUserCredentials",
    "IAMCreateRootUserPassword",
    "IAMDeleteRootUserCredentials",
    "S3UnlockBucketPolicy",
    "SQSUnlockQueuePolicy",
];

/// The longest (and the default) privileged session: 15 minutes.
const ROOT_SESSION_SECS: i64 = 900;

pub fn assume_root(
    store: &CredentialStore,
    ctx: &RequestContext,
    input: AssumeRootRequest,
) -> Result<AssumeRootResponse, ApiError> {
    if ctx.caller.arn.ends_with(":root") {
        return Err(ApiError::new("AccessDenied", "Root user credentials cannot be used to call AssumeRoot", 403));
    }
    let policy = input.task_policy_arn.arn.as_deref().unwrap_or_default();
    let task = policy.strip_prefix("arn:aws:iam::aws:policy/root-task/");
    if !task.is_some_and(|t| ROOT_TASK_POLICIES.contains(&t)) {
        return Err(ApiError::client(
            "ValidationError",
            format!(
                "The TaskPolicyArn {policy} is invalid: use arn:aws:iam::aws:policy/root-task/ with one of {}",
                ROOT_TASK_POLICIES.join(", ")
            ),
        ));
    }
    let target = &input.target_principal;
    let account = target.strip_prefix("arn:aws:iam::").and_then(|r| r.strip_suffix(":root")).unwrap_or(target);
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::client(
            "ValidationError",
            format!("The TargetPrincipal {target} is invalid: use a member account's 12-digit id"),
        ));
    }
    let caller = acting_as(account, &format!("arn:aws:iam::{account}:root"), account);
    let secs = input.duration_seconds.map_or(ROOT_SESSION_SECS, i64::from);
    Ok(AssumeRootResponse { credentials: Some(issue(store, ctx, caller, secs)), ..Default::default() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::dto::PolicyDescriptorType;

    fn request(target: &str, policy: &str) -> AssumeRootRequest {
        AssumeRootRequest {
            target_principal: target.into(),
            task_policy_arn: PolicyDescriptorType { arn: Some(policy.into()) },
            ..Default::default()
        }
    }

    fn admin() -> RequestContext {
        let mut ctx = RequestContext::for_tests();
        ctx.caller.arn = "arn:aws:sts::000000000000:assumed-role/OrgAdmin/me".into();
        ctx
    }

    #[test]
    fn a_root_session_acts_as_the_member_accounts_root() {
        let store = CredentialStore::default();
        let ctx = admin();
        let out = assume_root(
            &store,
            &ctx,
            request("111122223333", "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"),
        )
        .unwrap();
        assert_eq!(out.credentials.unwrap().expiration.0, ctx.now + chrono::Duration::minutes(15));
        let issued = store.temporary();
        assert_eq!(issued[0].caller.arn, "arn:aws:iam::111122223333:root");
        assert_eq!(issued[0].caller.account, "111122223333");
    }

    #[test]
    fn refusals() {
        let store = CredentialStore::default();
        let good = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials";
        for (target, policy) in [
            ("111122223333", "arn:aws:iam::aws:policy/AdministratorAccess"),
            ("111122223333", "arn:aws:iam::aws:policy/root-task/Everything"),
            ("not-an-account", good),
            ("1111222233334", good),
        ] {
            assert_eq!(assume_root(&store, &admin(), request(target, policy)).unwrap_err().code, "ValidationError");
        }
        let root = RequestContext::for_tests();
        assert_eq!(assume_root(&store, &root, request("111122223333", good)).unwrap_err().code, "AccessDenied");
        assert!(store.temporary().is_empty());
    }
}
