//! What a service crate gives the dispatcher, and what a handler is given.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::model::{Protocol, ServiceModel, ShapeId};
use crate::protocol::{xml_typed, DecodeError};
use crate::ApiError;

/// Who is calling, as established by SigV4.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Caller {
    pub account: String,
    pub access_key: String,
    /// `arn:aws:iam::000000000000:root`, `arn:aws:sts::1234:assumed-role/R/S`, ...
    pub arn: String,
    /// GetCallerIdentity's UserId.
    pub user_id: String,
    /// Temporary credentials carry the session they came from.
    pub session_token: Option<String>,
}

/// Everything a handler knows about the request besides its typed input.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub caller: Caller,
    pub region: String,
    pub request_id: String,
    pub now: DateTime<Utc>,
    pub protocol: Protocol,
    /// The base URL the request was sent to (`http://127.0.0.1:4566`), from its `Host`
    /// header; `None` for calls from inside nimbus.
    pub endpoint: Option<String>,
}

impl RequestContext {
    pub fn account(&self) -> &str {
        &self.caller.account
    }

    /// A context for unit tests: account 000000000000 in us-east-1.
    pub fn for_tests() -> Self {
        RequestContext {
            caller: Caller {
                account: "000000000000".into(),
                access_key: "test".into(),
                arn: "arn:aws:iam::000000000000:root".into(),
                user_id: "000000000000".into(),
                session_token: None,
            },
            region: "us-east-1".into(),
            request_id: "00000000-0000-4000-8000-000000000000".into(),
            now: Utc::now(),
            protocol: Protocol::Query,
            endpoint: None,
        }
    }
}

/// One emulated AWS service.
pub trait Service: Send + Sync + 'static {
    fn model(&self) -> &'static ServiceModel;

    /// The operations `call` handles.
    fn implemented(&self) -> &'static [&'static str];

    /// Runs an implemented operation on its input document.
    fn call(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Value, ApiError>;

    /// Runs an implemented operation for the wire: as [`Service::call`], but a service may
    /// answer typed, for the protocol layer to encode straight from the answer.
    fn answer(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Output, ApiError> {
        self.call(ctx, operation, input).map(Output::Doc)
    }

    /// As [`Service::answer`], on the input read straight from the wire into the
    /// handler's typed input ([`protocol::typed`](crate::protocol::typed)). `None` when
    /// the service does not read inputs so, or the fast path does not take this one:
    /// nothing has run, and the dispatcher decodes the document and calls `answer`.
    fn answer_wire(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &crate::protocol::typed::WireInput<'_>,
    ) -> Option<Result<Output, ApiError>> {
        let _ = (ctx, operation, input);
        None
    }

    /// The AWS error for an input that failed to decode, in this service's style.
    fn decode_error(&self, err: &DecodeError, protocol: Protocol) -> ApiError {
        err.to_api_error(protocol)
    }

    /// Whether the model's length/range/enum constraints are enforced generically
    /// (Coral-based services do; EC2 validates in its handlers with its own codes).
    fn validates_constraints(&self) -> bool {
        true
    }

    /// The code of a model-constraint refusal: Coral's `ValidationError` (STS,
    /// CloudWatch), `ValidationException` where the service names it so (SSM).
    fn validation_error_code(&self) -> &'static str {
        "ValidationError"
    }

    /// Forgets all state.
    fn reset(&self);

    /// A JSON dump of the state, by account and region.
    fn state(&self) -> Value;

    /// The `(account, region)` partitions that hold state, for the console's picker.
    fn partitions(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Whether this call may change state, and so is journaled under `--state-dir`.
    /// By default everything but `Describe*`, `List*` and `Get*`.
    fn mutates(&self, ctx: &RequestContext, operation: &str) -> bool {
        let _ = ctx;
        !reads_by_name(operation)
    }

    /// The whole state in a form [`Service::restore`] reads back: what `--state-dir`
    /// snapshots and `nimbus state export` write. Unlike [`Service::state`], it keeps
    /// everything (secrets, raw datapoints).
    fn snapshot(&self) -> Result<Value, String> {
        Err(format!("{} cannot be snapshotted", self.model().service_id))
    }

    /// Replaces the state with a [`Service::snapshot`].
    fn restore(&self, snapshot: Value) -> Result<(), String> {
        let _ = snapshot;
        Err(format!("{} cannot be restored", self.model().service_id))
    }
}

/// Whether an operation's name says it only reads: `Describe*`, `List*`, `Get*` (AWS's
/// convention; a service overrides [`Service::mutates`] where a name misleads).
pub fn reads_by_name(operation: &str) -> bool {
    ["Describe", "List", "Get"].iter().any(|p| operation.starts_with(p))
}

/// An operation's answer: a protocol-neutral document, or the handler's typed output,
/// which the protocol layer encodes without building the document where it can.
pub enum Output {
    Doc(Value),
    Typed(Box<dyn Answer>),
}

impl Output {
    /// The answer as a document (what [`Service::call`] returns).
    pub fn into_value(self) -> Result<Value, ApiError> {
        match self {
            Output::Doc(v) => Ok(v),
            Output::Typed(t) => t.to_document().map_err(response_error),
        }
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Output::Doc(v) => write!(f, "Doc({v})"),
            Output::Typed(t) => write!(f, "Typed({:?})", t.to_document().map(|v| v.to_string())),
        }
    }
}

fn response_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("The response could not be written: {e}"))
}

/// A typed answer, as the protocol layer reads it: each method is serde's walk of the
/// value, instantiated once per answer type.
pub trait Answer: Send {
    fn to_document(&self) -> Result<Value, serde_json::Error>;

    /// EC2's or awsQuery's XML for the members of the structure `shape`.
    fn write_xml(
        &self,
        model: &'static ServiceModel,
        protocol: Protocol,
        shape: ShapeId,
        out: &mut String,
    ) -> Result<(), xml_typed::Error>;
}

impl<T: Serialize + Send> Answer for T {
    fn to_document(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }

    fn write_xml(
        &self,
        model: &'static ServiceModel,
        protocol: Protocol,
        shape: ShapeId,
        out: &mut String,
    ) -> Result<(), xml_typed::Error> {
        xml_typed::members(model, protocol, out, shape, self)
    }
}

/// Runs a typed handler on an input document and keeps its answer typed.
pub fn invoke_typed<I, O>(input: Value, handler: impl FnOnce(I) -> Result<O, ApiError>) -> Result<Output, ApiError>
where
    I: DeserializeOwned,
    O: Serialize + Send + 'static,
{
    let typed: I = serde_json::from_value(input)
        .map_err(|e| ApiError::invalid_parameter_value(format!("The request could not be read: {e}")))?;
    Ok(Output::Typed(Box::new(handler(typed)?)))
}

/// Runs a typed handler on an input document: the glue each service's dispatcher uses.
pub fn invoke<I, O>(input: Value, handler: impl FnOnce(I) -> Result<O, ApiError>) -> Result<Value, ApiError>
where
    I: DeserializeOwned,
    O: Serialize,
{
    let typed: I = serde_json::from_value(input)
        .map_err(|e| ApiError::invalid_parameter_value(format!("The request could not be read: {e}")))?;
    let output = handler(typed)?;
    serde_json::to_value(output).map_err(|e| ApiError::internal(format!("The response could not be written: {e}")))
}

/// The handler of `operation` in a service's dispatch table (generated from
/// `api-specs/operations.toml`, sorted by operation name).
pub fn find_handler<H>(table: &'static [(&'static str, H)], operation: &str) -> Option<&'static H> {
    table.binary_search_by(|(name, _)| (*name).cmp(operation)).ok().map(|i| &table[i].1)
}

/// Checks a service against its model, for each service crate's tests: every operation of
/// the model is either registered (and then reaches a handler, whatever it answers to an
/// empty input) or answers `NotImplemented`; the registry names only model operations
/// and is sorted.
pub fn assert_registry_covers_model(service: &dyn Service, registered: &[&str]) {
    assert!(registered.windows(2).all(|w| w[0] < w[1]), "the registry is sorted by name, without repeats");
    assert_eq!(service.implemented(), registered, "implemented() is the registry");
    let ctx = RequestContext::for_tests();
    for op in service.model().operations {
        let answer = service.call(&ctx, op.name, Value::Object(Default::default()));
        let not_implemented = matches!(&answer, Err(e) if e.code == "NotImplemented");
        if registered.contains(&op.name) {
            assert!(!not_implemented, "{} is registered but does not reach its handler", op.name);
        } else {
            assert!(not_implemented, "{} is not registered but answers {:?}", op.name, answer.map_err(|e| e.code));
        }
    }
    for name in registered {
        assert!(service.model().operation(name).is_some(), "{name} is registered but not in the model");
    }
}
