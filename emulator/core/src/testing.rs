//! Small hand-made service models for this crate's unit tests (the real models live in
//! the service crates, which depend on this one).

use crate::model::{
    List, Map, Member, Operation, Protocol, Range, ServiceModel, Shape, ShapeId, ShapeKind, StringShape, Structure,
};

const fn member(name: &'static str, target: ShapeId) -> Member {
    Member { name, target, location_name: None, query_name: None, required: false, idempotency_token: false }
}

const NO_RANGE: Range = Range { min: None, max: None };

/// `Output { Name: String, Items: [Item { Id: String }], Tags: {String: String}, When: Timestamp }`.
static SHAPES: &[Shape] = &[
    Shape {
        name: "Output",
        kind: ShapeKind::Structure(Structure {
            members: &[member("Name", 1), member("Items", 2), member("Tags", 4), member("When", 5)],
            union: false,
            error: None,
        }),
    },
    Shape { name: "String", kind: ShapeKind::String(StringShape { enum_values: &[], range: NO_RANGE }) },
    Shape {
        name: "Items",
        kind: ShapeKind::List(List { member: 3, member_location_name: None, flattened: false, range: NO_RANGE }),
    },
    Shape {
        name: "Item",
        kind: ShapeKind::Structure(Structure { members: &[member("Id", 1)], union: false, error: None }),
    },
    Shape {
        name: "Tags",
        kind: ShapeKind::Map(Map {
            key: 1,
            value: 1,
            key_location_name: None,
            value_location_name: None,
            flattened: false,
            range: NO_RANGE,
        }),
    },
    Shape { name: "Timestamp", kind: ShapeKind::Timestamp },
];

static OPERATIONS: &[Operation] =
    &[Operation { name: "Op", input: None, output: Some(0), result_wrapper: None, errors: &[], unsigned: false }];

/// A service that speaks awsQuery, awsJson1_0 and RPC v2 CBOR.
pub static MODEL: ServiceModel = ServiceModel {
    service_id: "Test",
    api_version: "2020-01-01",
    signing_name: "test",
    xml_namespace: "urn:test",
    target_prefix: "Test",
    query_compatible: true,
    json_version: "1.0",
    protocols: &[Protocol::Query, Protocol::Json10, Protocol::RpcV2Cbor],
    operations: OPERATIONS,
    shapes: SHAPES,
};

/// The same shapes, spoken in EC2's protocol.
pub static EC2_MODEL: ServiceModel = ServiceModel {
    service_id: "TestEc2",
    api_version: "2020-02-02",
    signing_name: "testec2",
    xml_namespace: "urn:testec2",
    target_prefix: "TestEc2",
    query_compatible: false,
    json_version: "1.0",
    protocols: &[Protocol::Ec2],
    operations: OPERATIONS,
    shapes: SHAPES,
};
