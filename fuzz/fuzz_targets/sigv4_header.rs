//! SigV4: the Authorization header and presigned-query parser, canonical request and
//! string-to-sign construction, signature, time and scope checks, and the
//! authenticator in verify mode. Input: a raw request (`METHOD /path?query`, header
//! lines, empty line, body), as captured from real clients.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_core::auth::{self, AuthMode};
use nimbus_core::model::Protocol;
use nimbus_core::sigv4::{self, RequestParts};
use nimbus_fuzz::{assert_client_error, dispatcher, models, parse_raw_request};

fuzz_target!(|data: &[u8]| {
    let Some(req) = parse_raw_request(data) else { return };
    let headers: Vec<(&str, &[u8])> = req.headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes())).collect();
    let parts = RequestParts {
        method: req.method.as_str(),
        raw_path: &req.path,
        raw_query: &req.query,
        headers: &headers,
        body: &req.wire_body,
    };
    let _ = sigv4::canonical_uri(&req.path);
    let _ = sigv4::canonical_query(&req.query, true);
    let _ = sigv4::canonical_query(&req.query, false);
    let _ = auth::host_region(req.header("host"));
    match sigv4::parse(&parts) {
        Ok(parsed) => {
            if let Ok(creq) = sigv4::canonical_request(&parts, &parsed) {
                let _ = sigv4::string_to_sign(&parsed, &creq);
            }
            let _ = sigv4::canonical_request_with_payload_hash(&parts, &parsed, "UNSIGNED-PAYLOAD");
            if let Err(e) = sigv4::verify_signature(&parts, &parsed, "test") {
                assert!((400..500).contains(&e.http_status()), "{e:?}");
                let _ = e.detailed_message();
            }
            let _ = sigv4::check_time(&parsed, parsed.request_time);
            let _ = sigv4::check_scope(&parsed, "us-east-1", "ec2");
        }
        Err(e) => {
            assert!((400..500).contains(&e.http_status()), "{e:?}");
            let _ = (e.aws_code(), e.json_error_type(), e.detailed_message());
        }
    }
    let d = dispatcher(AuthMode::Verify);
    for model in models() {
        let now = chrono_now();
        if let Err(e) = d.auth.authenticate(&req, model, now, now) {
            for protocol in [Protocol::Ec2, Protocol::Query, Protocol::Json10, Protocol::RpcV2Cbor] {
                assert_client_error(&e.to_api_error(protocol), "auth error");
            }
        }
    }
});

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_795_800_000, 0).unwrap_or_default()
}
