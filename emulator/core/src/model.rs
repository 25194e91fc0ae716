//! The in-memory form of an AWS service model (botocore's `service-2.json`).
//!
//! `cargo xtask codegen` turns each trimmed model in `api-specs/` into a `static`
//! [`ServiceModel`] of plain tables, so a model costs no start-up time and no heap:
//! the protocol codecs walk these tables to decode inputs and encode outputs.

/// Index of a shape in [`ServiceModel::shapes`].
pub type ShapeId = u16;

/// The wire protocols nimbus speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// EC2's own query dialect: `Filter.1.Value.1`, XML with `<item>` lists.
    Ec2,
    /// awsQuery: `Member.member.1`, XML with an `<OpResult>` wrapper.
    Query,
    /// awsJson1_0 and awsJson1_1 (the model's `json_version` tells them apart):
    /// `X-Amz-Target: Prefix.Op`, JSON bodies.
    Json10,
    /// Smithy RPC v2 CBOR: `POST /service/S/operation/Op`, CBOR bodies.
    RpcV2Cbor,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Ec2 => "ec2",
            Protocol::Query => "query",
            Protocol::Json10 => "json",
            Protocol::RpcV2Cbor => "smithy-rpc-v2-cbor",
        }
    }
}

#[derive(Debug)]
pub struct ServiceModel {
    /// botocore's `serviceId`, e.g. `EC2`, `CloudWatch`, `STS`.
    pub service_id: &'static str,
    pub api_version: &'static str,
    /// The SigV4 signing name, which is also the endpoint prefix: `ec2`, `monitoring`, `sts`.
    pub signing_name: &'static str,
    pub xml_namespace: &'static str,
    /// JSON `X-Amz-Target` prefix and the Smithy service name in RPC v2 paths.
    pub target_prefix: &'static str,
    /// The service was migrated from awsQuery: JSON/CBOR errors carry `x-amzn-query-error`.
    pub query_compatible: bool,
    /// `1.0` or `1.1` for a JSON service (botocore's `jsonVersion`): the version in its
    /// `application/x-amz-json-*` content type; 1.1 errors name the bare shape in `__type`.
    pub json_version: &'static str,
    pub protocols: &'static [Protocol],
    /// Sorted by name.
    pub operations: &'static [Operation],
    pub shapes: &'static [Shape],
}

#[derive(Debug)]
pub struct Operation {
    pub name: &'static str,
    pub input: Option<ShapeId>,
    pub output: Option<ShapeId>,
    /// awsQuery's `<OpResult>` element name.
    pub result_wrapper: Option<&'static str>,
    pub errors: &'static [ShapeId],
    /// The model marks the operation unauthenticated (`smithy.api#noAuth`): clients send
    /// it unsigned, and nimbus answers it without a signature.
    pub unsigned: bool,
}

#[derive(Debug)]
pub struct Shape {
    pub name: &'static str,
    pub kind: ShapeKind,
}

#[derive(Debug)]
pub enum ShapeKind {
    Structure(Structure),
    List(List),
    Map(Map),
    String(StringShape),
    Integer(Range),
    Long(Range),
    Float(Range),
    Double(Range),
    Boolean,
    Timestamp,
    Blob(Range),
}

/// Inclusive bounds from the model's `min`/`max` traits (length for strings, lists,
/// maps and blobs; value for numbers).
#[derive(Debug, Clone, Copy, Default)]
pub struct Range {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Debug)]
pub struct Structure {
    pub members: &'static [Member],
    pub union: bool,
    pub error: Option<ErrorTrait>,
}

#[derive(Debug)]
pub struct ErrorTrait {
    /// The awsQuery error code (`error.code`), which may differ from the shape name.
    pub code: &'static str,
    pub status: u16,
    pub sender_fault: bool,
}

#[derive(Debug)]
pub struct Member {
    pub name: &'static str,
    pub target: ShapeId,
    /// `locationName`: the XML element / query key when it differs from the name.
    pub location_name: Option<&'static str>,
    /// EC2's `queryName`.
    pub query_name: Option<&'static str>,
    pub required: bool,
    pub idempotency_token: bool,
}

#[derive(Debug)]
pub struct List {
    pub member: ShapeId,
    pub member_location_name: Option<&'static str>,
    pub flattened: bool,
    pub range: Range,
}

#[derive(Debug)]
pub struct Map {
    pub key: ShapeId,
    pub value: ShapeId,
    pub key_location_name: Option<&'static str>,
    pub value_location_name: Option<&'static str>,
    pub flattened: bool,
    pub range: Range,
}

#[derive(Debug)]
pub struct StringShape {
    pub enum_values: &'static [&'static str],
    pub range: Range,
}

impl ServiceModel {
    pub fn shape(&'static self, id: ShapeId) -> &'static Shape {
        &self.shapes[usize::from(id)]
    }

    pub fn operation(&'static self, name: &str) -> Option<&'static Operation> {
        self.operations.binary_search_by(|op| op.name.cmp(name)).ok().map(|i| &self.operations[i])
    }

    pub fn speaks(&self, protocol: Protocol) -> bool {
        self.protocols.contains(&protocol)
    }

    /// The modeled error shape for `code`: the shape of that name, else the first
    /// whose `error.code` is `code`.
    pub fn error_shape(&'static self, code: &str) -> Option<(ShapeId, &'static Shape)> {
        let is_error = |s: &Shape| matches!(&s.kind, ShapeKind::Structure(Structure { error: Some(_), .. }));
        let by_name = self.shapes.iter().position(|s| s.name == code && is_error(s));
        let by_code = || {
            self.shapes.iter().position(|s| match &s.kind {
                ShapeKind::Structure(Structure { error: Some(e), .. }) => e.code == code,
                _ => false,
            })
        };
        by_name.or_else(by_code).map(|i| (i as ShapeId, &self.shapes[i]))
    }
}

impl Member {
    /// The name this member has in awsQuery keys and XML elements.
    pub fn xml_name(&self) -> &'static str {
        self.location_name.unwrap_or(self.name)
    }
}
