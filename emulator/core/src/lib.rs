//! nimbus-core: the AWS wire, shared by every service crate.
//!
//! The request path is `protocol::detect` -> `auth` (SigV4) -> `protocol::decode_input`
//! -> a service's handler -> `protocol::encode_output`/`encode_error`, assembled in
//! [`dispatch::Dispatcher`]. Handlers see typed inputs and a [`RequestContext`], never HTTP.

pub mod auth;
pub mod cbor;
pub mod clock;
pub mod dispatch;
pub mod error;
pub mod filter;
pub mod ids;
pub mod journal;
pub mod model;
pub mod paging;
pub mod protocol;
pub mod regions;
pub mod service;
pub mod sigv4;
pub mod state;
#[cfg(test)]
mod testing;
pub mod types;
pub mod validate;

pub use error::ApiError;
pub use service::{Caller, RequestContext, Service};
