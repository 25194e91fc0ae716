//! RFC 8949 Appendix A, truncation, and the bodies Smithy RPC v2 sends.

use super::*;

// -- RFC 8949 Appendix A ------------------------------------------------

#[test]
fn appendix_a_decodes() {
    for (h, expected, _) in appendix_a() {
        let decoded = decode(&hex(h)).unwrap_or_else(|e| panic!("{h}: {e}"));
        assert!(same(&decoded, &expected), "{h}: {decoded:?} != {expected:?}");
    }
}

#[test]
fn appendix_a_round_trips() {
    for (h, expected, re) in appendix_a() {
        let encoded = encode(&expected);
        match re {
            Re::Exact => assert_eq!(encoded, hex(h), "{h}"),
            Re::AsDouble => {
                let Cbor::Float(f) = expected else { panic!("{h} is not a float") };
                let mut want = vec![0xfb];
                want.extend_from_slice(&f.to_bits().to_be_bytes());
                assert_eq!(encoded, want, "{h}");
            }
            Re::Definite(d) => assert_eq!(encoded, hex(d), "{h}"),
        }
        // encode(decode(x)) == encode(expected), and it decodes back.
        assert_eq!(encode(&decode(&hex(h)).unwrap()), encoded, "{h}");
        assert_same(&decode(&encoded).unwrap(), &expected);
    }
}

#[test]
fn appendix_a_nan_and_signed_zero_bits() {
    let nan = decode(&hex("f97e00")).unwrap();
    assert!(matches!(nan, Cbor::Float(f) if f.is_nan()));
    let neg_zero = decode(&hex("f98000")).unwrap();
    assert!(matches!(neg_zero, Cbor::Float(f) if f == 0.0 && f.is_sign_negative()));
    assert_eq!(encode(&neg_zero), hex("fb8000000000000000"));
}

// -- truncation ---------------------------------------------------------

#[test]
fn every_proper_prefix_is_an_error() {
    let mut inputs: Vec<Vec<u8>> = appendix_a().iter().map(|(h, _, _)| hex(h)).collect();
    inputs.push(nested_document());
    inputs.push(encode(&decode(&nested_document()).unwrap()));
    for input in inputs {
        assert!(decode(&input).is_ok());
        for len in 0..input.len() {
            let result = decode(&input[..len]);
            assert!(result.is_err(), "prefix {len} of {input:02x?} decoded: {result:?}");
        }
    }
}

#[test]
fn truncation_errors_are_specific() {
    assert_eq!(decode(&[]), Err(CborError::UnexpectedEnd { offset: 0 }));
    assert_eq!(decode(&hex("1903")), Err(CborError::UnexpectedEnd { offset: 0 }));
    assert_eq!(decode(&hex("820019")), Err(CborError::UnexpectedEnd { offset: 2 }));
    assert_eq!(decode(&hex("a2000000f9")), Err(CborError::UnexpectedEnd { offset: 4 }));
    // Definite containers whose count cannot fit fail before reading on.
    assert_eq!(decode(&hex("8201")), Err(CborError::LengthTooLarge { offset: 0 }));
    assert_eq!(decode(&hex("9f01")), Err(CborError::UnexpectedEnd { offset: 2 }));
    assert_eq!(decode(&hex("bf6161")), Err(CborError::UnexpectedEnd { offset: 3 }));
    assert_eq!(decode(&hex("c1")), Err(CborError::UnexpectedEnd { offset: 1 }));
    assert_eq!(decode(&hex("5f4101")), Err(CborError::UnexpectedEnd { offset: 3 }));
    assert_eq!(decode(&hex("820019")), Err(CborError::UnexpectedEnd { offset: 2 }));
    // A string whose declared length runs past the end of the input.
    assert_eq!(decode(&hex("64494554")), Err(CborError::LengthTooLarge { offset: 0 }));
}

// -- the nested document and Smithy RPC v2 bodies -----------------------

#[test]
fn nested_document_decodes() {
    let value = decode(&nested_document()).unwrap();
    let Cbor::Map(entries) = &value else { panic!("not a map: {value:?}") };
    assert_eq!(map_get(entries, "Period"), Some(&int(3600)));
    assert_eq!(map_get(entries, "Counts"), Some(&array(vec![int(59), int(-18_446_744_073_709_551_616)])));
    assert_eq!(
        map_get(entries, "Flags"),
        Some(&array(vec![Cbor::Bool(false), Cbor::Bool(true), Cbor::Null, Cbor::Undefined]))
    );
    assert_eq!(
        map_get(entries, "Nested"),
        Some(&array(vec![array(vec![array(vec![map(vec![(text("a"), array(vec![tag(0, Cbor::Simple(16))]))])])])]))
    );
    let Some(Cbor::Array(values)) = map_get(entries, "Values") else { panic!("Values") };
    assert_eq!(values.len(), 5);
    assert_same(&values[3], &float(f64::INFINITY));
    check_consistent(&nested_document());
}

#[test]
fn smithy_rpcv2_request_round_trip() {
    // What aws-sdk-rust sends: indefinite-length maps and arrays.
    let mut body = hex("bf");
    for item in [text("Namespace"), text("AWS/EC2"), text("MetricName"), text("CPUUtilization"), text("Dimensions")] {
        encode_into(&item, &mut body);
    }
    body.extend_from_slice(&hex("9f"));
    for (name, value) in [("InstanceId", "i-1234567890abcdef0"), ("ImageId", "ami-42")] {
        body.extend_from_slice(&hex("bf"));
        for item in [text("Name"), text(name), text("Value"), text(value)] {
            encode_into(&item, &mut body);
        }
        body.extend_from_slice(&hex("ff"));
    }
    body.extend_from_slice(&hex("ff"));
    encode_into(&text("StartTime"), &mut body);
    body.extend_from_slice(&hex("c1fb41d954fc40200000"));
    encode_into(&text("EndTime"), &mut body);
    body.extend_from_slice(&hex("c11a6553f100"));
    body.extend_from_slice(&hex("ff"));

    let dim = |n: &str, v: &str| map(vec![(text("Name"), text(n)), (text("Value"), text(v))]);
    let expected = map(vec![
        (text("Namespace"), text("AWS/EC2")),
        (text("MetricName"), text("CPUUtilization")),
        (text("Dimensions"), array(vec![dim("InstanceId", "i-1234567890abcdef0"), dim("ImageId", "ami-42")])),
        (text("StartTime"), tag(1, float(1_700_000_000.5))),
        (text("EndTime"), tag(1, int(1_700_000_000))),
    ]);
    let decoded = decode(&body).unwrap();
    assert_eq!(decoded, expected);

    let Cbor::Map(entries) = &decoded else { panic!("not a map") };
    assert_eq!(map_get(entries, "Namespace"), Some(&text("AWS/EC2")));
    assert_eq!(map_get(entries, "Missing"), None);
    let Some(Cbor::Array(dims)) = map_get(entries, "Dimensions") else { panic!("Dimensions") };
    let Cbor::Map(first) = &dims[0] else { panic!("dimension") };
    assert_eq!(map_get(first, "Value"), Some(&text("i-1234567890abcdef0")));

    // Re-encoded with definite lengths; decodes to the same value.
    let encoded = encode(&decoded);
    assert_eq!(encoded[0], 0xa5);
    assert_eq!(decode(&encoded).unwrap(), expected);
    assert!(encoded.len() < body.len());

    // The timestamps' exact encodings.
    assert_eq!(encode(&tag(1, float(1_700_000_000.5))), hex("c1fb41d954fc40200000"));
    assert_eq!(encode(&tag(1, int(1_700_000_000))), hex("c11a6553f100"));
}

#[test]
fn map_get_only_matches_text_keys_and_returns_first() {
    let entries = vec![(bytes(b"k"), int(0)), (int(1), int(1)), (text("k"), int(2)), (text("k"), int(3))];
    assert_eq!(map_get(&entries, "k"), Some(&int(2)));
    assert_eq!(map_get(&entries, "1"), None);
    assert_eq!(map_get(&[], "k"), None);
}
