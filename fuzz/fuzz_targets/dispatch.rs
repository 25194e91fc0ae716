//! A whole request through `Dispatcher::dispatch` with authentication off: protocol
//! detection, decoding, validation, the service handlers and encoding. Input: a raw
//! request (`METHOD /path?query`, header lines, empty line, body), as captured from
//! real clients. Every service is reset before each input, so runs are reproducible.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_core::auth::AuthMode;
use nimbus_fuzz::{dispatcher, parse_raw_request, reset};

fuzz_target!(|data: &[u8]| {
    let Some(req) = parse_raw_request(data) else { return };
    let d = dispatcher(AuthMode::Off);
    reset(d);
    let outcome = d.dispatch(&req);
    // A panicking handler aborts the fuzzer before this; a 5xx is nimbus's fault too.
    assert!(
        outcome.response.status < 500 || outcome.response.status == 501,
        "{} {}: {:?}",
        outcome.service,
        outcome.operation,
        outcome.error
    );
});
