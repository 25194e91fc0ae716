//! How each kind of registered operation is called. The table itself is generated from
//! `api-specs/operations.toml` into `generated/registry.rs`; both kinds are
//! `fn(&CredentialStore, &RequestContext, Input)`:
//!
//! - `read`: answers from what is known (GetCallerIdentity, GetAccessKeyInfo);
//! - `write`: issues credentials (journaled under `--state-dir`).

use nimbus_core::auth::CredentialStore;
use nimbus_core::service::Output;
use nimbus_core::{ApiError, RequestContext};
use serde_json::Value;

pub(crate) use crate::generated::registry::REGISTRY;

pub(crate) type HandlerFn = fn(&CredentialStore, &RequestContext, Value) -> Result<Output, ApiError>;

/// A registered operation's handler, by whether it only reads.
pub(crate) enum Handler {
    Read(HandlerFn),
    Write(HandlerFn),
}

impl Handler {
    pub(crate) fn reads(&self) -> bool {
        matches!(self, Handler::Read(_))
    }

    pub(crate) fn call(&self, store: &CredentialStore, ctx: &RequestContext, input: Value) -> Result<Output, ApiError> {
        match self {
            Handler::Read(f) | Handler::Write(f) => f(store, ctx, input),
        }
    }
}

/// The handler of `operation`, if it is registered.
pub(crate) fn lookup(operation: &str) -> Option<&'static Handler> {
    nimbus_core::service::find_handler(&REGISTRY, operation)
}

/// Wraps a handler function as a table entry of its kind; the closure's annotations make
/// the compiler check the function against the operation's input and output types.
macro_rules! handler {
    (read $f:path, $input:ty, $output:ty) => {
        Handler::Read(|store, ctx, input| {
            nimbus_core::service::invoke_typed(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                $f(store, ctx, i)
            })
        })
    };
    (write $f:path, $input:ty, $output:ty) => {
        Handler::Write(|store, ctx, input| {
            nimbus_core::service::invoke_typed(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                $f(store, ctx, i)
            })
        })
    };
}
pub(crate) use handler;
