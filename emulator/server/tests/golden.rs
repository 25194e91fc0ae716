//! Golden wire tests: requests captured byte for byte from real clients
//! (`fixtures/golden/<protocol>/NN-name.request.json`, made by
//! `conformance-tests/golden/capture.sh`) are replayed in order through a fresh nimbus,
//! and each answer must equal the committed `NN-name.response.json`.
//! `NIMBUS_BLESS=1` rewrites the expected answers (review the diff).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use nimbus_core::auth::AuthMode;
use nimbus_core::cbor::{self, Cbor};
use nimbus_server::{handle, App, Config};
use serde_json::{json, Value};

const REQUEST_ID: &str = "00000000-0000-4000-8000-000000000000";

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/golden")
}

fn cbor_to_json(v: &Cbor) -> Value {
    match v {
        Cbor::Null | Cbor::Undefined => Value::Null,
        Cbor::Bool(b) => json!(b),
        Cbor::Int(i) => json!(*i as i64),
        Cbor::Float(f) => json!({ "float": f }),
        Cbor::Bytes(b) => json!({ "bytes": hex::encode(b) }),
        Cbor::Text(s) => json!(s),
        Cbor::Array(items) => Value::Array(items.iter().map(cbor_to_json).collect()),
        Cbor::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    (
                        match k {
                            Cbor::Text(t) => t.clone(),
                            other => format!("{other:?}"),
                        },
                        cbor_to_json(v),
                    )
                })
                .collect(),
        ),
        Cbor::Tag(t, inner) => json!({ format!("tag{t}"): cbor_to_json(inner) }),
        Cbor::Simple(s) => json!({ "simple": s }),
    }
}

/// Generated resource ids (`vpc-0a1b...`, 17 hex digits) become `vpc-#1`, `vpc-#2`, ...
/// in order of first appearance, and ISO 8601 timestamps `<timestamp>`, so that answers
/// about created resources compare stably.
fn stable_ids(text: &str, seen: &mut Vec<String>) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        // An id: lower-case prefix words joined by '-', then '-' and 17 hex digits.
        if bytes[i].is_ascii_lowercase() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric() && bytes[i - 1] != b'-') {
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_lowercase() || bytes[j] == b'-') {
                j += 1;
            }
            // Back up to the last '-' before a hex run of exactly 17.
            if let Some(dash) = text[i..j].rfind('-').map(|d| i + d) {
                let hex_end = (dash + 1..bytes.len())
                    .find(|&k| !bytes[k].is_ascii_hexdigit() || bytes[k].is_ascii_uppercase())
                    .unwrap_or(bytes.len());
                if hex_end - dash - 1 == 17 && (hex_end == bytes.len() || !bytes[hex_end].is_ascii_alphanumeric()) {
                    let id = &text[i..hex_end];
                    let n = match seen.iter().position(|s| s == id) {
                        Some(n) => n + 1,
                        None => {
                            seen.push(id.to_string());
                            seen.len()
                        }
                    };
                    out.push_str(&text[i..dash]);
                    out.push_str(&format!("-#{n}"));
                    i = hex_end;
                    continue;
                }
            }
        }
        // A timestamp: 2026-11-26T16:31:32(.123)Z
        if bytes[i].is_ascii_digit() && i + 20 <= bytes.len() && bytes[i + 4] == b'-' && bytes[i + 10] == b'T' {
            let candidate = &text[i..];
            let end = candidate.find('Z').filter(|e| *e >= 19 && *e <= 30);
            if let Some(e) = end {
                if chrono::DateTime::parse_from_rfc3339(&candidate[..=e]).is_ok() {
                    out.push_str("<timestamp>");
                    i += e + 1;
                    continue;
                }
            }
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// The parts of a response that must not change, with the request id made constant.
fn normalise(status: u16, headers: &http::HeaderMap, body: &[u8], seen: &mut Vec<String>) -> Value {
    let request_id = headers.get("x-amzn-requestid").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut kept = serde_json::Map::new();
    for name in ["content-type", "smithy-protocol", "x-amzn-query-error"] {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            kept.insert(name.into(), json!(v));
        }
    }
    let ctype = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let body = if ctype.contains("cbor") {
        match cbor::decode(body) {
            Ok(v) => json!({ "cbor": cbor_to_json(&v) }),
            Err(e) => json!({ "invalid-cbor": e.to_string() }),
        }
    } else if ctype.contains("json") {
        json!({ "json": serde_json::from_slice::<Value>(body).unwrap_or(Value::Null) })
    } else {
        let text = String::from_utf8_lossy(body);
        json!({ "text": if request_id.is_empty() { text.into_owned() } else { text.replace(&request_id, REQUEST_ID) } })
    };
    let body: Value = serde_json::from_str(&stable_ids(&body.to_string(), seen)).unwrap_or(body);
    json!({ "status": status, "headers": kept, "body": body })
}

fn replay(app: &App, request: &Value, seen: &mut Vec<String>) -> Value {
    let method = request["method"].as_str().unwrap();
    let query = request["query"].as_str().unwrap_or("");
    let uri = if query.is_empty() {
        request["path"].as_str().unwrap().to_string()
    } else {
        format!("{}?{query}", request["path"].as_str().unwrap())
    };
    let body = base64::engine::general_purpose::STANDARD.decode(request["body"].as_str().unwrap()).unwrap();
    let mut builder = http::Request::builder().method(method).uri(uri);
    for pair in request["headers"].as_array().unwrap() {
        builder = builder.header(pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
    }
    let req = builder.body(Full::new(Bytes::from(body))).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let response = rt.block_on(handle(app, req));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = rt.block_on(response.into_body().collect()).unwrap().to_bytes();
    normalise(status, &headers, &body, seen)
}

/// When the request was signed, so the replay runs at the capture's time.
fn signed_at(request: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    let date =
        request["headers"].as_array()?.iter().find(|p| p[0].as_str() == Some("x-amz-date"))?[1].as_str()?.to_string();
    chrono::NaiveDateTime::parse_from_str(&date, "%Y%m%dT%H%M%SZ").ok().map(|t| t.and_utc())
}

#[test]
fn golden_exchanges() {
    let bless = std::env::var("NIMBUS_BLESS").is_ok();
    let mut protocols: Vec<PathBuf> =
        std::fs::read_dir(golden_dir()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    protocols.sort();
    assert!(protocols.len() >= 4, "expected golden captures for ec2, query, json and rpcv2-cbor");
    let mut failures = Vec::new();
    let mut checked = 0;
    for dir in protocols {
        // Signatures in captures have expired; the replay reads the account and region
        // from them without checking, at the time they were made.
        // The capture ran with `--id-seed 1`: replayed in order, the ids are the same.
        let app = App::new(Config { auth: AuthMode::Off, id_seed: Some(1), ..Config::default() });
        let mut seen = Vec::new();
        let mut requests: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".request.json"))
            .collect();
        requests.sort();
        for path in requests {
            let request: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            if let Some(at) = signed_at(&request) {
                let clock = &app.dispatcher.clock;
                clock.advance(at - clock.now());
            }
            let got = replay(&app, &request, &mut seen);
            let expected_path = PathBuf::from(path.to_string_lossy().replace(".request.json", ".response.json"));
            if bless {
                std::fs::write(&expected_path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
                continue;
            }
            let expected: Value = match std::fs::read(&expected_path) {
                Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
                Err(_) => {
                    failures
                        .push(format!("{}: no expected response (run with NIMBUS_BLESS=1)", expected_path.display()));
                    continue;
                }
            };
            checked += 1;
            if got != expected {
                failures.push(format!(
                    "{}:\n expected {}\n      got {}",
                    path.display(),
                    serde_json::to_string(&expected).unwrap(),
                    serde_json::to_string(&got).unwrap()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} golden exchange(s) differ:\n{}", failures.len(), failures.join("\n"));
    assert!(bless || checked >= 30, "only {checked} golden exchanges were checked");
}
