//! Up to four requests per input, separated by `\n----\n`, dispatched in
//! order to freshly reset services with seeded ids, so later requests can name what
//! earlier ones made.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_fuzz::{parse_raw_request, reset};

fuzz_target!(|data: &[u8]| {
    let d = nimbus_fuzz::seeded_dispatcher();
    reset(d);
    let mut rest = data;
    for _ in 0..4 {
        let (one, next) = match rest.windows(6).position(|w| w == b"\n----\n") {
            Some(i) => (&rest[..i], &rest[i + 6..]),
            None => (rest, &b""[..]),
        };
        if let Some(req) = parse_raw_request(one) {
            let outcome = d.dispatch(&req);
            assert!(outcome.response.status < 500 || outcome.response.status == 501, "{:?}", outcome.error);
        }
        if next.is_empty() {
            break;
        }
        rest = next;
    }
});
