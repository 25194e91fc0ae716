//! How each kind of registered operation is called. The table itself is generated from
//! `api-specs/operations.toml` into `generated/registry.rs`; this file gives its kinds
//! their meaning:
//!
//! - `read`: `fn(&CwState, &RequestContext, Input)`, under the partition's shared lock;
//! - `write`: `fn(&mut CwState, &RequestContext, Input)`; `write_effects` also takes the
//!   `Effects` (EC2 actions) that run once the partition's lock is released;
//! - `dashboards_read`, `dashboards_write`: `fn(&Dashboards | &mut Dashboards, ...)`, the
//!   account's dashboards, which are global;
//! - `service_read`, `service_write`: `fn(&CloudWatch, &RequestContext, Input)`, for the
//!   operations whose target decides where they act (tags by ARN).

use nimbus_core::service::Output;
use nimbus_core::{ApiError, RequestContext};
use serde_json::Value;

pub(crate) use crate::generated::registry::REGISTRY;
use crate::CloudWatch;

pub(crate) type HandlerFn = fn(&CloudWatch, &RequestContext, Value) -> Result<Output, ApiError>;

/// A registered operation's handler, by whether it only reads.
pub(crate) enum Handler {
    Read(HandlerFn),
    Write(HandlerFn),
}

impl Handler {
    pub(crate) fn reads(&self) -> bool {
        matches!(self, Handler::Read(_))
    }

    pub(crate) fn call(&self, cw: &CloudWatch, ctx: &RequestContext, input: Value) -> Result<Output, ApiError> {
        match self {
            Handler::Read(f) | Handler::Write(f) => f(cw, ctx, input),
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
        Handler::Read(|cw, ctx, input| {
            nimbus_core::service::invoke_typed(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                cw.read(ctx, |s| $f(s, ctx, i))
            })
        })
    };
    (write $f:path, $input:ty, $output:ty) => {
        Handler::Write(|cw, ctx, input| {
            nimbus_core::service::invoke_typed(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                cw.write(ctx, |s, _| $f(s, ctx, i))
            })
        })
    };
    (write_effects $f:path, $input:ty, $output:ty) => {
        Handler::Write(|cw, ctx, input| {
            nimbus_core::service::invoke_typed(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                cw.write(ctx, |s, effects| $f(s, ctx, i, effects))
            })
        })
    };
    (dashboards_read $f:path, $input:ty, $output:ty) => {
        Handler::Read(|cw, ctx, input| {
            nimbus_core::service::invoke_typed(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                cw.dashboards.read(ctx.account(), crate::GLOBAL, |d| $f(d, ctx, i))
            })
        })
    };
    (dashboards_write $f:path, $input:ty, $output:ty) => {
        Handler::Write(|cw, ctx, input| {
            nimbus_core::service::invoke_typed(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                cw.dashboards.write(ctx.account(), crate::GLOBAL, |d| $f(d, ctx, i))
            })
        })
    };
    (service_read $f:path, $input:ty, $output:ty) => {
        Handler::Read(|cw, ctx, input| {
            nimbus_core::service::invoke_typed(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                $f(cw, ctx, i)
            })
        })
    };
    (service_write $f:path, $input:ty, $output:ty) => {
        Handler::Write(|cw, ctx, input| {
            nimbus_core::service::invoke_typed(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                $f(cw, ctx, i)
            })
        })
    };
}
pub(crate) use handler;
