//! How each kind of registered operation is called. The table itself is generated from
//! `api-specs/operations.toml` into `generated/registry.rs`; this file gives its kinds
//! their meaning:
//!
//! - `read`, `read_shared`: `fn(&Ec2State, &RequestContext, [&Shared,] Input)`, answered
//!   under the partition's shared lock when the partition is settled;
//! - `write`, `write_shared`: `fn(&mut Ec2State, &RequestContext, [&Shared,] Input)`,
//!   under its exclusive lock, journaled, and answered once per `ClientToken`.
//!
//! `Shared` is the cross-partition registry of images and snapshots (`shared.rs`).

use nimbus_core::service::Output;
use nimbus_core::ApiError;
use nimbus_core::RequestContext;
use serde_json::Value;

pub(crate) use crate::generated::registry::REGISTRY;
use crate::state::shared::Shared;
use crate::state::Ec2State;

pub(crate) type ReadFn = fn(&Ec2State, &RequestContext, &Shared, Value) -> Result<Output, ApiError>;
pub(crate) type WriteFn = fn(&mut Ec2State, &RequestContext, &Shared, Value) -> Result<Output, ApiError>;

/// A registered operation's handler, by what it does to the partition.
pub(crate) enum Handler {
    Read(ReadFn),
    Write(WriteFn),
}

impl Handler {
    pub(crate) fn reads(&self) -> bool {
        matches!(self, Handler::Read(_))
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
        Handler::Read(|s, ctx, _, input| {
            nimbus_core::service::invoke_typed(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                $f(s, ctx, i)
            })
        })
    };
    (read_shared $f:path, $input:ty, $output:ty) => {
        Handler::Read(|s, ctx, shared, input| {
            nimbus_core::service::invoke_typed(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                $f(s, ctx, shared, i)
            })
        })
    };
    (write $f:path, $input:ty, $output:ty) => {
        Handler::Write(|s, ctx, _, input| {
            nimbus_core::service::invoke_typed(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                $f(s, ctx, i)
            })
        })
    };
    (write_shared $f:path, $input:ty, $output:ty) => {
        Handler::Write(|s, ctx, shared, input| {
            nimbus_core::service::invoke_typed(input, |i: $input| -> Result<$output, nimbus_core::ApiError> {
                $f(s, ctx, shared, i)
            })
        })
    };
}
pub(crate) use handler;
