//! awsJson1_0 bodies through the JSON decoder: parsed once, then checked against every
//! CloudWatch operation's input shape (the service that speaks JSON).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_core::model::Protocol;
use nimbus_core::protocol::json;
use nimbus_fuzz::assert_client_error;

fuzz_target!(|data: &[u8]| {
    let model = &nimbus_cloudwatch::MODEL;
    // The entry point as dispatch calls it, for one operation (parse errors included).
    let op = &model.operations[data.len() % model.operations.len()];
    if let Err(e) = json::decode(model, op.input, data) {
        assert_client_error(&e.to_api_error(Protocol::Json10), "json decode error");
    }
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    for op in model.operations {
        let Some(shape) = op.input else { continue };
        match json::check(model, shape, &doc, "", 0) {
            // What the decoder accepts it accepts again: its output is a fixed point.
            Ok(v) => assert_eq!(json::check(model, shape, &v, "", 0).as_ref(), Ok(&v), "{}", op.name),
            Err(e) => assert_client_error(&e.to_api_error(Protocol::Json10), "json check error"),
        }
    }
});
