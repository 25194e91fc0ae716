//! How each kind of registered operation is called. The table itself is generated from
//! `api-specs/operations.toml` into `generated/registry.rs`; this file gives its kinds
//! their meaning:
//!
//! - `read`: `fn(&SsmState, &Published, &RequestContext, Input)`: the account's
//!   parameters in the region under the partition's shared lock, and AWS's public ones;
//! - `write`: `fn(&mut SsmState, &RequestContext, Input)` (journaled under `--state-dir`).
//!   The public parameters are never written.

use nimbus_core::{ApiError, RequestContext};
use serde_json::Value;

pub(crate) use crate::generated::registry::REGISTRY;
use crate::Ssm;

pub(crate) type HandlerFn = fn(&Ssm, &RequestContext, Value) -> Result<Value, ApiError>;

/// A registered operation's handler, by whether it only reads.
pub(crate) enum Handler {
    Read(HandlerFn),
    Write(HandlerFn),
}

impl Handler {
    pub(crate) fn reads(&self) -> bool {
        matches!(self, Handler::Read(_))
    }

    pub(crate) fn call(&self, ssm: &Ssm, ctx: &RequestContext, input: Value) -> Result<Value, ApiError> {
        match self {
            Handler::Read(f) | Handler::Write(f) => f(ssm, ctx, input),
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
        Handler::Read(|ssm, ctx, input| {
            nimbus_core::service::invoke(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                ssm.read(ctx, |s, published| $f(s, published, ctx, i))
            })
        })
    };
    (write $f:path, $input:ty, $output:ty) => {
        Handler::Write(|ssm, ctx, input| {
            nimbus_core::service::invoke(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                ssm.write(ctx, |s| $f(s, ctx, i))
            })
        })
    };
}
pub(crate) use handler;
