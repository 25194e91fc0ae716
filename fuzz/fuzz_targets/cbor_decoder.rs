//! RPC v2 CBOR bodies: the CBOR decoder itself (with an encode/decode round trip of what
//! it accepts), then the document checked against every CloudWatch operation's input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nimbus_core::cbor;
use nimbus_core::model::Protocol;
use nimbus_core::protocol::rpcv2;
use nimbus_fuzz::assert_client_error;

fuzz_target!(|data: &[u8]| {
    let model = &nimbus_cloudwatch::MODEL;
    let op = &model.operations[data.len() % model.operations.len()];
    if let Err(e) = rpcv2::decode(model, op.input, data) {
        assert_client_error(&e.to_api_error(Protocol::RpcV2Cbor), "cbor decode error");
    }
    let Ok(doc) = cbor::decode(data) else { return };
    // Re-encoding what was accepted gives bytes that decode to the same item.
    let again = cbor::encode(&doc);
    let back = cbor::decode(&again).expect("nimbus's own encoding decodes");
    assert_eq!(format!("{back:?}"), format!("{doc:?}"));
    for op in model.operations {
        let Some(shape) = op.input else { continue };
        if let Err(e) = rpcv2::check(model, shape, &doc, "", 0) {
            assert_client_error(&e.to_api_error(Protocol::RpcV2Cbor), "cbor check error");
        }
    }
});
