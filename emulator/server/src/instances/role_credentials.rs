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
        let now = self.clock.now();
        let c = nimbus_sts::instance_role_credentials(&self.store, now, &profile.role_arn, &instance.id)?;
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
