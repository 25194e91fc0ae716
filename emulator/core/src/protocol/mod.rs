//! The four AWS wire protocols, generic over the service models.
//!
//! `detect` reads the envelope of a request (which protocol, which service, which
//! operation); `decode_input` turns the body into the protocol-neutral document for
//! the operation's input shape; `encode_output` and `encode_error` render a result.
//! Nothing here knows any particular operation.

pub mod json;
pub mod path;
pub mod query;
pub mod rpcv2;
pub mod strict;
pub mod typed;
pub mod xml;
pub mod xml_typed;

use http::header::{HeaderName, CONTENT_TYPE};
use serde_json::Value;

pub use crate::model::Protocol;
use crate::model::{Operation, ServiceModel};
use crate::service::{Answer, Output};
use crate::ApiError;
pub use path::Path;
use query::Params;

/// Nesting bound for every decoder (the models nest far less than this).
pub const MAX_DEPTH: usize = 48;

/// Why an input could not be decoded; each service maps these to its own AWS codes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("missing required member {0}")]
    Missing(String),
    #[error("invalid value {value:?} for {path}: expected {expected}")]
    Type { path: String, value: String, expected: &'static str },
    #[error("{message}")]
    InvalidValue { path: String, message: String },
    #[error("unknown parameter {0}")]
    UnknownParameter(String),
    #[error("{0}")]
    Serialization(String),
    #[error("{0}")]
    Malformed(String),
    #[error("the input is nested too deeply")]
    TooDeep,
}

impl DecodeError {
    /// The AWS error for this decode failure in the style of Coral-based services
    /// (CloudWatch, STS); EC2 maps some cases differently (see the ec2 crate).
    pub fn to_api_error(&self, protocol: Protocol) -> ApiError {
        match self {
            DecodeError::Missing(path) => ApiError::client(
                "ValidationError",
                format!(
                    "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                    lower_camel_path(path)
                ),
            ),
            DecodeError::Type { path, value, expected } => ApiError::invalid_parameter_value(format!(
                "Invalid value '{value}' for parameter {path}: expected {expected}."
            )),
            DecodeError::InvalidValue { message, .. } => ApiError::invalid_parameter_value(message.clone()),
            DecodeError::UnknownParameter(name) => ApiError::client(
                "UnknownParameter",
                format!("The parameter {name} is not recognized"),
            ),
            DecodeError::Serialization(message) | DecodeError::Malformed(message) => match protocol {
                Protocol::Ec2 | Protocol::Query => ApiError::client("MalformedQueryString", message.clone()),
                _ => ApiError::client("SerializationException", message.clone()),
            },
            DecodeError::TooDeep => match protocol {
                Protocol::Ec2 | Protocol::Query => {
                    ApiError::client("MalformedQueryString", "The request is nested too deeply.")
                }
                _ => ApiError::client("SerializationException", "The request is nested too deeply."),
            },
        }
    }
}

/// `MetricData.1.Value` -> `metricData.1.member.value`, as Coral's validation messages
/// name members.
pub fn lower_camel_path(path: &str) -> String {
    path.split('.')
        .map(|part| {
            if part.chars().all(|c| c.is_ascii_digit()) {
                format!("{part}.member")
            } else {
                let mut s = part.to_string();
                if let Some(first) = s.get(0..1) {
                    let low = first.to_ascii_lowercase();
                    s.replace_range(0..1, &low);
                }
                s
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

pub(crate) fn join_path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A request as it came off the wire (the body already size-limited and gunzipped).
#[derive(Debug, Clone)]
pub struct WireRequest {
    pub method: http::Method,
    /// Percent-encoded path, as received.
    pub path: String,
    /// Raw query string without `?`.
    pub query: String,
    pub headers: http::HeaderMap,
    /// The body to decode (gunzipped when the client compressed it).
    pub body: bytes::Bytes,
    /// The body as sent, which is what the client signed.
    pub wire_body: bytes::Bytes,
}

impl WireRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A response ready for the HTTP layer.
#[derive(Debug, Clone)]
pub struct WireResponse {
    pub status: u16,
    pub headers: Vec<(HeaderName, String)>,
    pub body: Vec<u8>,
}

/// What the envelope of a request says.
#[derive(Debug)]
pub struct Envelope {
    pub protocol: Protocol,
    pub service: &'static ServiceModel,
    /// The operation name as the client sent it (it may not exist in the model).
    pub operation: String,
    /// Form parameters (query protocols).
    pub params: Option<Params>,
}

/// A request whose envelope could not be read; rendered in the protocol it seemed to use.
#[derive(Debug)]
pub struct EnvelopeError {
    pub protocol: Protocol,
    pub service: Option<&'static ServiceModel>,
    pub error: ApiError,
}

const RPC_V2_PREFIX: &str = "/service/";

/// A body in a media type the protocol does not read: 415, as Smithy's JSON and CBOR
/// servers answer it (`UnsupportedMediaTypeException`). No Content-Type at all is
/// accepted (an empty input may be sent without one).
fn unsupported_media_type(req: &WireRequest, accepted: &[&str]) -> Option<ApiError> {
    let content_type = req.header(CONTENT_TYPE.as_str()).unwrap_or("").trim();
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence.is_empty() || accepted.contains(&essence.as_str()) {
        return None;
    }
    Some(
        ApiError::client(
            "UnsupportedMediaTypeException",
            format!("The content type {content_type} is not supported; send {}.", accepted[0]),
        )
        .with_status(415),
    )
}

/// Reads protocol, service and operation from a request, in the order LocalStack's
/// ASF established: RPC v2 CBOR path and header, then `X-Amz-Target`, then a form
/// `Action` whose service is named by the SigV4 scope or, unsigned, by `Version`.
pub fn detect(req: &WireRequest, services: &[&'static ServiceModel]) -> Result<Envelope, EnvelopeError> {
    let fail = |protocol, service, error| Err(EnvelopeError { protocol, service, error });

    let smithy = req.header("smithy-protocol");
    if smithy.is_some() || req.path.starts_with(RPC_V2_PREFIX) {
        let Some(rest) = req.path.strip_prefix(RPC_V2_PREFIX) else {
            return fail(
                Protocol::RpcV2Cbor,
                None,
                ApiError::new("UnknownOperationException", "The request path is not an RPC v2 operation path.", 404),
            );
        };
        let mut parts = rest.split('/');
        let (Some(svc), Some("operation"), Some(op), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return fail(
                Protocol::RpcV2Cbor,
                None,
                ApiError::new(
                    "UnknownOperationException",
                    format!("The request path {} is not /service/<service>/operation/<operation>.", req.path),
                    404,
                ),
            );
        };
        let svc_name = svc.rsplit('#').next().unwrap_or(svc);
        let Some(model) =
            services.iter().copied().find(|m| m.target_prefix == svc_name && m.speaks(Protocol::RpcV2Cbor))
        else {
            return fail(
                Protocol::RpcV2Cbor,
                None,
                ApiError::new(
                    "UnknownOperationException",
                    format!("No service {svc_name} speaks rpc-v2-cbor here."),
                    404,
                ),
            );
        };
        if smithy != Some("rpc-v2-cbor") {
            return fail(
                Protocol::RpcV2Cbor,
                Some(model),
                ApiError::client("SerializationException", "The smithy-protocol header must be rpc-v2-cbor."),
            );
        }
        if req.method != http::Method::POST {
            return fail(
                Protocol::RpcV2Cbor,
                Some(model),
                ApiError::new("UnknownOperationException", "RPC v2 operations are called with POST.", 405),
            );
        }
        if let Some(error) = unsupported_media_type(req, &["application/cbor"]) {
            return fail(Protocol::RpcV2Cbor, Some(model), error);
        }
        return Ok(Envelope { protocol: Protocol::RpcV2Cbor, service: model, operation: op.to_string(), params: None });
    }

    if let Some(target) = req.header("x-amz-target") {
        let (prefix, op) = target.split_once('.').unwrap_or((target, ""));
        let Some(model) = services.iter().copied().find(|m| m.target_prefix == prefix && m.speaks(Protocol::Json10))
        else {
            return fail(
                Protocol::Json10,
                None,
                ApiError::client("UnknownOperationException", format!("No service answers X-Amz-Target {target}.")),
            );
        };
        if req.method != http::Method::POST {
            return fail(
                Protocol::Json10,
                Some(model),
                ApiError::new("UnknownOperationException", "JSON operations are called with POST.", 405),
            );
        }
        if let Some(error) = unsupported_media_type(
            req,
            &["application/x-amz-json-1.0", "application/x-amz-json-1.1", "application/json"],
        ) {
            return fail(Protocol::Json10, Some(model), error);
        }
        return Ok(Envelope { protocol: Protocol::Json10, service: model, operation: op.to_string(), params: None });
    }

    // Form: the query string, plus the body when it is form-encoded.
    let mut params = Params::parse(req.query.as_bytes()).map_err(|e| EnvelopeError {
        protocol: Protocol::Query,
        service: None,
        error: e.to_api_error(Protocol::Query),
    })?;
    let content_type = req.header(CONTENT_TYPE.as_str()).unwrap_or("");
    if req.method == http::Method::POST
        && (content_type.is_empty() || content_type.starts_with("application/x-www-form-urlencoded"))
    {
        let body = Params::parse(&req.body).map_err(|e| EnvelopeError {
            protocol: Protocol::Query,
            service: None,
            error: e.to_api_error(Protocol::Query),
        })?;
        params.extend(body);
    }
    let scoped = scope_service(req, &params).and_then(|name| services.iter().copied().find(|m| m.signing_name == name));
    let versioned = params.get("Version").and_then(|v| services.iter().copied().find(|m| m.api_version == v));
    let service = scoped.or(versioned);
    let protocol_of = |m: &'static ServiceModel| if m.speaks(Protocol::Ec2) { Protocol::Ec2 } else { Protocol::Query };

    let Some(model) = service else {
        if req.method == http::Method::POST
            && !content_type.is_empty()
            && !content_type.starts_with("application/x-www-form-urlencoded")
        {
            return fail(
                Protocol::Query,
                None,
                ApiError::client("UnsupportedMediaType", format!("The content type {content_type} is not supported."))
                    .with_status(415),
            );
        }
        return fail(
            Protocol::Query,
            None,
            match params.get("Action") {
                None => ApiError::client("MissingAction", "The request must contain the parameter Action."),
                Some(_) if params.get("Version").is_none() => {
                    ApiError::missing_parameter("The request must contain the parameter Version.")
                }
                Some(_) => ApiError::client(
                    "InvalidAction",
                    format!("No service answers API version {}.", params.get("Version").unwrap_or_default()),
                ),
            },
        );
    };
    let protocol = protocol_of(model);
    let Some(action) = params.get("Action").filter(|a| !a.is_empty()) else {
        let error = if req.method == http::Method::POST
            && !content_type.is_empty()
            && !content_type.starts_with("application/x-www-form-urlencoded")
        {
            ApiError::client(
                "UnsupportedMediaType",
                format!("The content type {content_type} is not supported for this service."),
            )
            .with_status(415)
        } else {
            ApiError::client("MissingAction", "The request must contain the parameter Action.")
        };
        return fail(protocol, Some(model), error);
    };
    let action = action.to_string();
    for name in ["Action", "Version"] {
        let mut values = params.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        if let Some(first) = values.next() {
            if values.any(|v| v != first) {
                let error = ApiError::client(
                    "MalformedQueryString",
                    format!("The parameter {name} is specified more than once."),
                );
                return fail(protocol, Some(model), error);
            }
        }
    }
    if params.get("Version").is_none_or(str::is_empty) {
        return fail(
            protocol,
            Some(model),
            ApiError::missing_parameter("The request must contain the parameter Version."),
        );
    }
    Ok(Envelope { protocol, service: model, operation: action, params: Some(params) })
}

/// The service named by a SigV4 credential scope (header or presigned form), if any.
fn scope_service(req: &WireRequest, params: &Params) -> Option<String> {
    let credential = match req.header("authorization") {
        Some(auth) => auth.split(['=', ',', ' ']).skip_while(|p| *p != "Credential").nth(1)?.to_string(),
        None => params.get("X-Amz-Credential")?.to_string(),
    };
    credential.split('/').nth(3).map(str::to_string)
}

/// Decodes the operation's input into the protocol-neutral document.
pub fn decode_input(env: &Envelope, op: &'static Operation, body: &[u8]) -> Result<Value, DecodeError> {
    match env.protocol {
        Protocol::Ec2 | Protocol::Query => {
            let empty = Params::default();
            query::decode(env.service, env.protocol, op.input, env.params.as_ref().unwrap_or(&empty))
        }
        Protocol::Json10 => json::decode(env.service, op.input, body),
        Protocol::RpcV2Cbor => rpcv2::decode(env.service, op.input, body),
    }
}

fn request_id_header(request_id: &str) -> (HeaderName, String) {
    (HeaderName::from_static("x-amzn-requestid"), request_id.to_string())
}

/// Renders a successful result. In debug builds, an output that does not fit the
/// operation's output shape panics ([`strict`]).
pub fn encode_output(env: &Envelope, op: &'static Operation, output: &Value, request_id: &str) -> WireResponse {
    encode(env, op, output, None, request_id)
}

/// Renders a handler's answer: a typed answer is written straight to XML (JSON and CBOR
/// still go through its document, as strict encoding does in debug builds).
pub fn encode_answer(env: &Envelope, op: &'static Operation, answer: &Output, request_id: &str) -> WireResponse {
    match answer {
        Output::Doc(v) => encode(env, op, v, None, request_id),
        Output::Typed(t) => {
            let xml = matches!(env.protocol, Protocol::Ec2 | Protocol::Query);
            let document = if strict::ENABLED || !xml {
                t.to_document().unwrap_or_else(|e| panic!("the response could not be written: {e}"))
            } else {
                Value::Null
            };
            encode(env, op, &document, Some(t.as_ref()), request_id)
        }
    }
}

/// `output` is the document; `typed`, when given, the same answer typed, which XML is
/// written from instead.
fn encode(
    env: &Envelope,
    op: &'static Operation,
    output: &Value,
    typed: Option<&dyn Answer>,
    request_id: &str,
) -> WireResponse {
    strict::check(env.service, op.name, op.output, output);
    let mut headers = vec![request_id_header(request_id)];
    let body = match (env.protocol, typed) {
        (Protocol::Ec2 | Protocol::Query, Some(t)) => {
            headers.push((CONTENT_TYPE, "text/xml;charset=UTF-8".into()));
            let (model, protocol) = (env.service, env.protocol);
            xml::frame(model, protocol, op.name, op.result_wrapper, op.output, request_id, |out, shape| {
                t.write_xml(model, protocol, shape, out)
                    .unwrap_or_else(|e| panic!("the response could not be written: {e}"))
            })
            .into_bytes()
        }
        (Protocol::Ec2 | Protocol::Query, None) => {
            headers.push((CONTENT_TYPE, "text/xml;charset=UTF-8".into()));
            xml::encode_output(env.service, env.protocol, op.name, op.result_wrapper, op.output, output, request_id)
                .into_bytes()
        }
        (Protocol::Json10, _) => {
            headers.push((CONTENT_TYPE, json_content_type(Some(env.service))));
            json::encode_output(env.service, op.output, output)
        }
        (Protocol::RpcV2Cbor, _) => {
            headers.push((HeaderName::from_static("smithy-protocol"), "rpc-v2-cbor".into()));
            let body = rpcv2::encode_output(env.service, op.output, output);
            if !body.is_empty() {
                headers.push((CONTENT_TYPE, "application/cbor".into()));
            }
            body
        }
    };
    WireResponse { status: 200, headers, body }
}

/// `application/x-amz-json-1.0` or `-1.1`, as the service's model says.
fn json_content_type(service: Option<&'static ServiceModel>) -> String {
    format!("application/x-amz-json-{}", service.map_or("1.0", |m| m.json_version))
}

/// Renders an error in the protocol of the request. In debug builds, details that do
/// not fit the modeled error shape (or have none to go in) panic ([`strict`]).
pub fn encode_error(
    protocol: Protocol,
    service: Option<&'static ServiceModel>,
    err: &ApiError,
    request_id: &str,
) -> WireResponse {
    let mut headers = vec![request_id_header(request_id)];
    let modeled = service.and_then(|m| m.error_shape(&err.code).map(|(id, shape)| (m, id, shape)));
    if let Some(details) = err.details.as_deref() {
        strict::check_error_details(service, protocol, &err.code, modeled.map(|(m, id, _)| (m, id)), details);
    }
    let body = match protocol {
        Protocol::Ec2 | Protocol::Query => {
            headers.push((CONTENT_TYPE, "text/xml;charset=UTF-8".into()));
            xml::encode_error(service, protocol, err, request_id).into_bytes()
        }
        Protocol::Json10 | Protocol::RpcV2Cbor => {
            // Query-compatible services put the awsQuery code in a header, which the
            // SDKs prefer; `__type` names the modeled shape when there is one.
            if service.is_none_or(|m| m.query_compatible) {
                headers.push((
                    HeaderName::from_static("x-amzn-query-error"),
                    format!("{};{}", err.code, err.fault_name()),
                ));
            }
            let error_type = match modeled {
                // awsJson1_1 services (SSM) answer the bare shape name.
                Some((m, _, shape)) if protocol == Protocol::Json10 && m.json_version == "1.1" => {
                    shape.name.to_string()
                }
                Some((m, _, shape)) => {
                    format!("com.amazonaws.{}#{}", m.service_id.to_ascii_lowercase().replace(' ', ""), shape.name)
                }
                None => err.code.clone(),
            };
            if protocol == Protocol::Json10 {
                headers.push((CONTENT_TYPE, json_content_type(service)));
                let mut body = serde_json::Map::new();
                body.insert("__type".into(), Value::String(error_type));
                body.insert("message".into(), Value::String(err.message.clone()));
                if let (Some(Value::Object(extra)), Some(_)) = (err.details.as_deref(), modeled) {
                    for (k, v) in extra {
                        if k != "message" && k != "Message" {
                            body.insert(k.clone(), v.clone());
                        }
                    }
                }
                serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
            } else {
                headers.push((HeaderName::from_static("smithy-protocol"), "rpc-v2-cbor".into()));
                headers.push((CONTENT_TYPE, "application/cbor".into()));
                let details = match (err.details.as_deref(), modeled) {
                    (Some(d), Some((m, id, _))) => Some((m, id, d)),
                    _ => None,
                };
                rpcv2::encode_error(&error_type, &err.message, details)
            }
        }
    };
    WireResponse { status: err.status, headers, body }
}
