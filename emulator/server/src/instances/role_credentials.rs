//! IMDS's `iam/security-credentials/ROLE`: temporary credentials of the instance's role
//! that nimbus's STS issues into the shared credential store, so requests signed with
//! them verify and act as `assumed-role/ROLE/INSTANCE-ID`.

use std::sync::Arc;

use nimbus_core::auth::CredentialStore;
use nimbus_core::clock::Clock;
use nimbus_runtime::desired::{IamProfile, Instance};
use nimbus_runtime::imds::{CredentialIssuer, RoleCredentials};

pub struct StsIssuer {
    pub store: Arc<CredentialStore>,
    pub clock: Arc<Clock>,
}

impl CredentialIssuer for StsIssuer {
    fn issue(&self, instance: &Instance, profile: &IamProfile) -> Option<RoleCredentials> {
        self.issue_for(&instance.id, profile)
    }

    /// Still in the store and good for five more minutes on nimbus's clock (AWS rotates
    /// an instance's credentials well before they expire).
    fn still_valid(&self, credentials: &RoleCredentials) -> bool {
        let margin = chrono::Duration::minutes(5);
        self.store.temporary_expiration(&credentials.access_key_id).is_some_and(|exp| exp > self.clock.now() + margin)
    }
}

impl StsIssuer {
    fn issue_for(&self, instance_id: &str, profile: &IamProfile) -> Option<RoleCredentials> {
        let now = self.clock.now();
        let c = nimbus_sts::instance_role_credentials(&self.store, now, &profile.role_arn, instance_id)?;
        let rfc3339 = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        Some(RoleCredentials {
            access_key_id: c.access_key_id,
            secret_access_key: c.secret_access_key,
            token: c.session_token,
            expiration: rfc3339(c.expiration.0),
            last_updated: rfc3339(now),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_stop_being_reused_after_a_reset_or_near_expiry() {
        let issuer = StsIssuer { store: Arc::new(CredentialStore::default()), clock: Arc::new(Clock::new()) };
        let profile = IamProfile {
            instance_profile_arn: "arn:aws:iam::000000000000:instance-profile/app".into(),
            instance_profile_id: "AIPAEXAMPLE".into(),
            role_name: "app".into(),
            role_arn: "arn:aws:iam::000000000000:role/app".into(),
        };
        let creds = issuer.issue_for("i-0123456789abcdef0", &profile).unwrap();
        assert!(issuer.still_valid(&creds));
        issuer.clock.advance(chrono::Duration::hours(6) - chrono::Duration::minutes(1));
        assert!(!issuer.still_valid(&creds), "about to expire");
        let fresh = issuer.issue_for("i-0123456789abcdef0", &profile).unwrap();
        assert!(issuer.still_valid(&fresh));
        issuer.store.reset();
        assert!(!issuer.still_valid(&fresh), "forgotten by a reset");
    }
}
