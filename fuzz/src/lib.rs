//! Shared helpers for nimbus's fuzz targets (see `docs/fuzzing.md`).
//!
//! Every target asserts that nothing panics (libFuzzer's panic hook aborts even on a
//! panic that nimbus's dispatcher would catch) and, where cheap, that a refused input
//! is refused with a 4xx, never a 5xx.

use std::sync::{Arc, OnceLock};

use nimbus_core::auth::{AuthMode, Authenticator, Credential, CredentialStore};
use nimbus_core::clock::Clock;
use nimbus_core::dispatch::Dispatcher;
use nimbus_core::model::ServiceModel;
use nimbus_core::protocol::WireRequest;
use nimbus_core::{ApiError, Service};

/// The three service models, as the server registers them.
pub fn models() -> [&'static ServiceModel; 3] {
    [&nimbus_ec2::MODEL, &nimbus_cloudwatch::MODEL, &nimbus_sts::MODEL]
}

/// A dispatcher with every service, built once per process.
pub fn dispatcher(mode: AuthMode) -> &'static Dispatcher {
    static OFF: OnceLock<Dispatcher> = OnceLock::new();
    static ON: OnceLock<Dispatcher> = OnceLock::new();
    let cell = if mode == AuthMode::Off { &OFF } else { &ON };
    cell.get_or_init(|| {
        let store = Arc::new(CredentialStore::new([Credential::new("test", "test", "000000000000")]));
        let clock = Arc::new(Clock::new());
        let services: Vec<Arc<dyn Service>> = vec![
            Arc::new(nimbus_ec2::Ec2::default()),
            Arc::new(nimbus_cloudwatch::CloudWatch::new()),
            Arc::new(nimbus_sts::Sts::new(store.clone())),
        ];
        Dispatcher::new(services, Authenticator { mode, store }, clock)
    })
}

/// Wipes every service's state, so that each input starts from the same place.
pub fn reset(d: &Dispatcher) {
    for s in d.services() {
        s.reset();
    }
}

/// A client error must be a 4xx; nimbus answers 5xx only for its own faults, which is
/// what a fuzz input must never reach.
pub fn assert_client_error(e: &ApiError, what: &str) {
    assert!((400..500).contains(&e.status), "{what}: {} {} ({})", e.status, e.code, e.message);
}

/// A request from its head (`METHOD /path?query`), header lines (`name: value`), an
/// empty line, and the body: the shape of the `dispatch` and `sigv4_header` inputs.
/// `None` when the head or a header is not valid HTTP.
pub fn parse_raw_request(data: &[u8]) -> Option<WireRequest> {
    let (head, body) = match find(data, b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &b""[..]),
    };
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.split('\n');
    let start = lines.next()?;
    let (method, target) = start.split_once(' ').unwrap_or((start, "/"));
    let method = http::Method::from_bytes(method.as_bytes()).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = http::HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let name = http::header::HeaderName::from_bytes(name.trim().as_bytes()).ok()?;
        let value = http::header::HeaderValue::from_bytes(value.trim().as_bytes()).ok()?;
        headers.append(name, value);
    }
    let body = bytes::Bytes::copy_from_slice(body);
    Some(WireRequest {
        method,
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: body.clone(),
        wire_body: body,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A dispatcher with authentication off and seeded ids (the same inputs make the same ids).
pub fn seeded_dispatcher() -> &'static Dispatcher {
    static SEEDED: OnceLock<Dispatcher> = OnceLock::new();
    SEEDED.get_or_init(|| {
        let store = Arc::new(CredentialStore::new([Credential::new("test", "test", "000000000000")]));
        let services: Vec<Arc<dyn Service>> = vec![
            Arc::new(nimbus_ec2::Ec2::default()),
            Arc::new(nimbus_cloudwatch::CloudWatch::new()),
            Arc::new(nimbus_sts::Sts::new(store.clone())),
        ];
        Dispatcher::new(services, Authenticator { mode: AuthMode::Off, store }, Arc::new(Clock::new())).with_id_seed(1)
    })
}
