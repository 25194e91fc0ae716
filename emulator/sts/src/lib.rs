//! STS: who am I, and temporary credentials that nimbus then verifies.

mod authorization;
mod generated;
mod identity;
pub mod outbound;
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
    outbound: OutboundFederation,
}

impl Sts {
    pub fn new(store: Arc<CredentialStore>) -> Self {
        Sts { store, outbound: OutboundFederation::default() }
    }

    /// Which accounts have outbound identity federation (GetWebIdentityToken) turned off.
    pub fn with_outbound_federation(mut self, outbound: OutboundFederation) -> Self {
        self.outbound = outbound;
        self
    }
}

/// Whether an account may call GetWebIdentityToken. At AWS an account turns outbound
/// identity federation on through IAM (EnableOutboundWebIdentityFederation); nimbus has
/// no IAM, so it is on for every account unless the configuration turns it off for some
/// or all of them (`--outbound-federation-disabled`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum OutboundFederation {
    #[default]
    Enabled,
    DisabledFor(std::collections::BTreeSet<String>),
    Disabled,
}

impl OutboundFederation {
    /// `all`, or a comma-separated list of account ids; empty means enabled everywhere.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let spec = spec.trim();
        if spec.eq_ignore_ascii_case("all") {
            return Ok(OutboundFederation::Disabled);
        }
        let mut accounts = std::collections::BTreeSet::new();
        for account in spec.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!("'{account}' is not a 12-digit account id (or 'all')"));
            }
            accounts.insert(account.to_string());
        }
        Ok(if accounts.is_empty() { OutboundFederation::Enabled } else { OutboundFederation::DisabledFor(accounts) })
    }

    pub fn enabled_for(&self, account: &str) -> bool {
        match self {
            OutboundFederation::Enabled => true,
            OutboundFederation::DisabledFor(accounts) => !accounts.contains(account),
            OutboundFederation::Disabled => false,
        }
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
        if operation == "GetWebIdentityToken" && !self.outbound.enabled_for(ctx.account()) {
            return Err(ApiError::new(
                "OutboundWebIdentityFederationDisabledException",
                "The outbound web identity federation feature is not enabled for this account. To use this feature, you must first enable it through the AWS Management Console or API.",
                403,
            ));
        }
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

    #[test]
    fn outbound_federation_can_be_turned_off_per_account() {
        assert_eq!(OutboundFederation::parse("").unwrap(), OutboundFederation::Enabled);
        assert_eq!(OutboundFederation::parse("ALL").unwrap(), OutboundFederation::Disabled);
        assert!(OutboundFederation::parse("12345").is_err());
        let off = OutboundFederation::parse("111111111111, 222222222222").unwrap();
        assert!(!off.enabled_for("111111111111") && off.enabled_for("000000000000"));

        let sts = Sts::new(Arc::new(CredentialStore::default()))
            .with_outbound_federation(OutboundFederation::parse("000000000000").unwrap());
        let input = serde_json::json!({"Audience": ["https://api.example.com"], "SigningAlgorithm": "ES384"});
        let err = sts.call(&RequestContext::for_tests(), "GetWebIdentityToken", input.clone()).unwrap_err();
        assert_eq!(err.code, "OutboundWebIdentityFederationDisabledException");
        assert_eq!(err.status, 403);
        let mut other = RequestContext::for_tests();
        other.caller.account = "123456789012".into();
        let out = sts.call(&other, "GetWebIdentityToken", input).unwrap();
        assert!(out["WebIdentityToken"].as_str().unwrap().split('.').count() == 3);
    }
}
