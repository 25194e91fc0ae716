//! Codec tests with botocore as the oracle (`fixtures/codec/<protocol>/*.json`, made by
//! `cargo xtask codec`; see `conformance-tests/codec/oracle.py`).
//!
//! Requests: the bytes botocore's own serializer sent must decode into the document the
//! case gives. Responses: nimbus's encoder must still write, byte for byte, the bytes
//! botocore's parser was shown and read back into the case's output (CI re-parses the
//! committed bytes with botocore: `cargo xtask codec --check`). `NIMBUS_BLESS=1` writes
//! the current bytes into the fixtures instead; then run `cargo xtask codec`.
//!
//! This lives in the server crate, which already depends on every service crate: the
//! codecs are nimbus-core's, but the models they walk are generated into the service
//! crates, which depend on nimbus-core (a dev-dependency the other way would build
//! nimbus-core twice and tie its unit tests to every service's generated code).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use nimbus_core::model::{
    List, Map, Member, Operation, Protocol, Range, ServiceModel, Shape, ShapeKind, StringShape, Structure,
};
use nimbus_core::protocol::{self, Envelope, WireRequest, WireResponse};
use nimbus_core::ApiError;
use serde_json::{json, Value};

const REQUEST_ID: &str = "00000000-0000-4000-8000-000000000000";

fn models() -> Vec<&'static ServiceModel> {
    vec![&nimbus_ec2::MODEL, &nimbus_cloudwatch::MODEL, &nimbus_sts::MODEL, &CODEC_MODEL]
}

fn model(service: &str) -> &'static ServiceModel {
    match service {
        "ec2" => &nimbus_ec2::MODEL,
        "cloudwatch" => &nimbus_cloudwatch::MODEL,
        "sts" => &nimbus_sts::MODEL,
        "nimbuscodec" => &CODEC_MODEL,
        other => panic!("no model for {other}"),
    }
}

const fn member(name: &'static str, target: u16, location_name: Option<&'static str>) -> Member {
    Member { name, target, location_name, query_name: None, required: false, idempotency_token: false }
}

const ANY: Range = Range { min: None, max: None };

const fn list(member: u16, member_location_name: Option<&'static str>, flattened: bool) -> ShapeKind {
    ShapeKind::List(List { member, member_location_name, flattened, range: ANY })
}

/// The made-up awsQuery service of `conformance-tests/codec/models/nimbuscodec/`, as
/// `cargo xtask codegen` would table it: what no served model has (flattened lists and
/// maps, renamed list members, map keys and values).
static CODEC_MODEL: ServiceModel = ServiceModel {
    service_id: "NimbusCodec",
    api_version: "2020-01-01",
    signing_name: "nimbuscodec",
    xml_namespace: "https://nimbus.invalid/doc/2020-01-01/",
    target_prefix: "",
    query_compatible: false,
    json_version: "1.0",
    protocols: &[Protocol::Query],
    operations: &[Operation {
        name: "Echo",
        input: Some(0),
        output: Some(0),
        result_wrapper: Some("EchoResult"),
        errors: &[],
        unsigned: false,
    }],
    shapes: &[
        Shape {
            name: "EchoMessage",
            kind: ShapeKind::Structure(Structure {
                members: &[
                    member("FlatList", 1, None),
                    member("NamedFlatList", 2, None),
                    member("NamedList", 3, None),
                    member("Renamed", 8, Some("renamed_member")),
                    member("FlatMap", 4, None),
                    member("NamedMap", 5, None),
                    member("FlatStructures", 6, None),
                    member("Number", 9, None),
                ],
                union: false,
                error: None,
            }),
        },
        Shape { name: "FlatStrings", kind: list(8, None, true) },
        Shape { name: "NamedFlatStrings", kind: list(8, Some("Item"), true) },
        Shape { name: "NamedStrings", kind: list(8, Some("Entry"), false) },
        Shape {
            name: "FlatMap",
            kind: ShapeKind::Map(Map {
                key: 8,
                value: 8,
                key_location_name: None,
                value_location_name: None,
                flattened: true,
                range: ANY,
            }),
        },
        Shape {
            name: "NamedMap",
            kind: ShapeKind::Map(Map {
                key: 8,
                value: 7,
                key_location_name: Some("Name"),
                value_location_name: Some("Val"),
                flattened: false,
                range: ANY,
            }),
        },
        Shape { name: "FlatStructures", kind: list(7, Some("Pair"), true) },
        Shape {
            name: "Pair",
            kind: ShapeKind::Structure(Structure {
                members: &[member("Left", 8, Some("left")), member("Right", 9, None)],
                union: false,
                error: None,
            }),
        },
        Shape { name: "String", kind: ShapeKind::String(StringShape { enum_values: &[], range: ANY }) },
        Shape { name: "Long", kind: ShapeKind::Long(ANY) },
    ],
};

struct Fixture {
    path: PathBuf,
    protocol: Protocol,
    json: Value,
}

impl Fixture {
    fn name(&self) -> String {
        let dir = self.path.parent().and_then(Path::file_name).and_then(|n| n.to_str()).unwrap_or_default();
        let file = self.path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        format!("{dir}/{file}")
    }

    fn str(&self, pointer: &str) -> &str {
        self.json.pointer(pointer).and_then(Value::as_str).unwrap_or_else(|| panic!("{}: no {pointer}", self.name()))
    }
}

fn fixtures() -> Vec<Fixture> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/codec");
    let mut out = Vec::new();
    for (dir, protocol) in [
        ("ec2", Protocol::Ec2),
        ("query", Protocol::Query),
        ("json", Protocol::Json10),
        ("rpcv2-cbor", Protocol::RpcV2Cbor),
    ] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("fixtures/codec/{dir}: {e}"))
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push(Fixture { path, protocol, json });
        }
    }
    assert!(out.len() >= 40, "only {} codec fixtures found", out.len());
    out
}

fn body_of(wire: &Value) -> Vec<u8> {
    match (wire.get("body").and_then(Value::as_str), wire.get("body_base64").and_then(Value::as_str)) {
        (Some(text), _) => text.as_bytes().to_vec(),
        (None, Some(b64)) => base64::engine::general_purpose::STANDARD.decode(b64).expect("base64 body"),
        (None, None) => Vec::new(),
    }
}

fn wire_request(fx: &Fixture) -> WireRequest {
    let wire = &fx.json["request"]["wire"];
    let mut headers = http::HeaderMap::new();
    for (k, v) in wire["headers"].as_object().into_iter().flatten() {
        let name = http::HeaderName::from_bytes(k.as_bytes()).expect("a header name");
        headers.append(name, v.as_str().unwrap_or_default().parse().expect("a header value"));
    }
    let body = bytes::Bytes::from(body_of(wire));
    WireRequest {
        method: wire["method"].as_str().unwrap_or("POST").parse().expect("a method"),
        path: fx.str("/request/wire/path").to_string(),
        query: fx.str("/request/wire/query").to_string(),
        headers,
        wire_body: body.clone(),
        body,
    }
}

/// Equal as documents: numbers by value (a query decoder reads `5.0` as 5), objects
/// whatever their key order.
fn same_document(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_document(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_document(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn botocore_requests_decode_into_their_documents() {
    let models = models();
    let mut checked = 0;
    let mut failures = Vec::new();
    for fx in fixtures().iter().filter(|fx| fx.json.get("request").is_some()) {
        let req = wire_request(fx);
        let env = match protocol::detect(&req, &models) {
            Ok(env) => env,
            Err(e) => {
                failures.push(format!("{}: not detected: {}", fx.name(), e.error));
                continue;
            }
        };
        let operation = fx.str("/operation");
        assert_eq!(env.protocol, fx.protocol, "{}", fx.name());
        assert_eq!(env.operation, operation, "{}", fx.name());
        assert!(std::ptr::eq(env.service, model(fx.str("/service"))), "{}", fx.name());
        let op = env.service.operation(operation).expect("a modeled operation");
        match protocol::decode_input(&env, op, &req.body) {
            Ok(doc) if same_document(&doc, &fx.json["request"]["document"]) => checked += 1,
            Ok(doc) => {
                failures.push(format!("{}: decoded\n  {doc}\nwant\n  {}", fx.name(), fx.json["request"]["document"]))
            }
            Err(e) => failures.push(format!("{}: refused: {e}", fx.name())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 30, "only {checked} requests checked");
}

fn encode(fx: &Fixture) -> WireResponse {
    let service = model(fx.str("/service"));
    let op = service.operation(fx.str("/operation")).expect("a modeled operation");
    let response = &fx.json["response"];
    match response.get("error") {
        Some(e) => {
            let mut err = ApiError::new(
                e["code"].as_str().expect("an error code"),
                e["message"].as_str().expect("an error message"),
                e["status"].as_u64().and_then(|s| u16::try_from(s).ok()).expect("an error status"),
            );
            if let Some(details) = e.get("details") {
                err = err.with_details(details.clone());
            }
            protocol::encode_error(fx.protocol, Some(service), &err, REQUEST_ID)
        }
        None => {
            let env = Envelope { protocol: fx.protocol, service, operation: op.name.to_string(), params: None };
            protocol::encode_output(&env, op, &response["document"], REQUEST_ID)
        }
    }
}

fn wire_response(fx: &Fixture, r: &WireResponse) -> Value {
    let headers: serde_json::Map<String, Value> =
        r.headers.iter().map(|(k, v)| (k.as_str().to_string(), Value::String(v.clone()))).collect();
    let mut wire = json!({ "status": r.status, "headers": headers });
    if fx.protocol == Protocol::RpcV2Cbor {
        wire["body_base64"] = Value::String(base64::engine::general_purpose::STANDARD.encode(&r.body));
    } else {
        wire["body"] = Value::String(String::from_utf8(r.body.clone()).expect("a text body"));
    }
    wire
}

#[test]
fn responses_encode_into_the_bytes_botocore_judged() {
    let bless = std::env::var_os("NIMBUS_BLESS").is_some();
    let mut checked = 0;
    let mut failures = Vec::new();
    for mut fx in fixtures().into_iter().filter(|fx| fx.json.get("response").is_some()) {
        let ours = wire_response(&fx, &encode(&fx));
        if bless {
            fx.json["response"]["wire"] = ours;
            let text = serde_json::to_string_pretty(&fx.json).expect("JSON") + "\n";
            std::fs::write(&fx.path, text).unwrap_or_else(|e| panic!("{}: {e}", fx.path.display()));
            continue;
        }
        match fx.json["response"].get("wire") {
            Some(committed) if *committed == ours => checked += 1,
            Some(committed) => {
                failures.push(format!("{}: nimbus now writes\n  {ours}\nbotocore judged\n  {committed}", fx.name()))
            }
            None => failures.push(format!("{}: no committed bytes (run `cargo xtask codec`)", fx.name())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(bless || checked >= 40, "only {checked} responses checked");
}
