//! STS: who am I, and temporary credentials that nimbus then verifies.

mod authorization;
mod generated;
mod identity;
mod registry;
mod root;
mod saml;
mod scoped;
mod sessions;
mod web_identity;

use std::sync::Arc;

use nimbus_core::auth::CredentialStore;
use nimbus_core::model::ServiceModel;
use nimbus_core::service::Output;
use nimbus_core::{ApiError, RequestContext, Service};
use serde_json::Value;

pub use authorization::encode as encode_authorization_message;
pub use generated::dto::Credentials;
pub use generated::model::MODEL;
pub use sessions::instance_role_credentials;

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
        self.answer(ctx, operation, input)?.into_value()
    }

    fn answer(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Output, ApiError> {
        match registry::lookup(operation) {
            Some(handler) => handler.call(&self.store, ctx, input),
            None => Err(ApiError::not_implemented("STS", operation)),
        }
    }

    fn reset(&self) {
        self.store.reset();
    }

    fn state(&self) -> Value {
        serde_json::json!({ "temporaryCredentials": self.store.temporary() })
    }

    /// As the registry says: GetSessionToken and GetFederationToken are `Get`s that issue
    /// credentials, so they are writes.
    fn mutates(&self, _: &RequestContext, operation: &str) -> bool {
        !registry::lookup(operation).is_some_and(registry::Handler::reads)
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

    /// Every model operation is registered (and reaches its handler) or answers
    /// NotImplemented.
    #[test]
    fn the_registry_covers_the_model() {
        let names: Vec<&str> = registry::REGISTRY.iter().map(|(name, _)| *name).collect();
        nimbus_core::service::assert_registry_covers_model(&Sts::new(Arc::new(CredentialStore::default())), &names);
    }
}
