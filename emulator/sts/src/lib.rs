//! STS: who am I, and temporary credentials that nimbus then verifies.

mod generated;
mod identity;
mod sessions;
mod web_identity;

use std::sync::Arc;

use nimbus_core::auth::CredentialStore;
use nimbus_core::model::ServiceModel;
use nimbus_core::service::invoke;
use nimbus_core::{ApiError, RequestContext, Service};
use serde_json::Value;

pub use generated::model::MODEL;

/// STS is global: the credentials it issues are recorded in the shared credential
/// store and accepted in every region.
pub struct Sts {
    store: Arc<CredentialStore>,
}

impl Sts {
    pub fn new(store: Arc<CredentialStore>) -> Self {
        Sts { store }
    }
}

impl Service for Sts {
    fn model(&self) -> &'static ServiceModel {
        &MODEL
    }

    fn implemented(&self) -> &'static [&'static str] {
        generated::IMPLEMENTED
    }

    fn call(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Value, ApiError> {
        match operation {
            "GetCallerIdentity" => invoke(input, |i| identity::get_caller_identity(ctx, i)),
            "GetSessionToken" => invoke(input, |i| sessions::get_session_token(&self.store, ctx, i)),
            "AssumeRole" => invoke(input, |i| sessions::assume_role(&self.store, ctx, i)),
            "AssumeRoleWithWebIdentity" => {
                invoke(input, |i| web_identity::assume_role_with_web_identity(&self.store, ctx, i))
            }
            "GetFederationToken" => invoke(input, |i| sessions::get_federation_token(&self.store, ctx, i)),
            "GetAccessKeyInfo" => invoke(input, |i| identity::get_access_key_info(&self.store, i)),
            other => Err(ApiError::not_implemented("STS", other)),
        }
    }

    fn reset(&self) {
        self.store.reset();
    }

    fn state(&self) -> Value {
        serde_json::json!({ "temporaryCredentials": self.store.temporary() })
    }

    /// GetSessionToken and GetFederationToken are `Get`s that change state: they issue
    /// credentials.
    fn mutates(&self, _: &RequestContext, operation: &str) -> bool {
        !matches!(operation, "GetCallerIdentity" | "GetAccessKeyInfo")
    }

    fn snapshot(&self) -> Result<Value, String> {
        Ok(serde_json::json!({ "temporaryCredentials": self.store.save_temporary() }))
    }

    fn restore(&self, mut snapshot: Value) -> Result<(), String> {
        self.store.restore_temporary(snapshot["temporaryCredentials"].take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatches_every_listed_operation() {
        let sts = Sts::new(Arc::new(CredentialStore::default()));
        let ctx = RequestContext::for_tests();
        for op in sts.implemented() {
            let result = sts.call(&ctx, op, serde_json::json!({}));
            if let Err(e) = result {
                assert_ne!(e.code, "NotImplemented", "{op} is listed but not dispatched");
            }
        }
    }
}
