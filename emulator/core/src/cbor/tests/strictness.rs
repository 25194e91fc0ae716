//! Well-formedness: what the decoder refuses, and what it accepts as is.

use super::*;

// -- strictness ---------------------------------------------------------

#[test]
fn reserved_additional_info_is_rejected() {
    for major in 0u8..8 {
        for info in 28u8..=30 {
            let b = (major << 5) | info;
            assert_eq!(decode(&[b]), Err(CborError::ReservedAdditionalInfo { offset: 0 }), "{b:#04x}");
            assert_eq!(
                decode(&[0x9f, 0x01, b, 0xff]),
                Err(CborError::ReservedAdditionalInfo { offset: 2 }),
                "{b:#04x}"
            );
        }
    }
    // ...also as the head of an indefinite-string chunk.
    assert_eq!(decode(&hex("5f5cff")), Err(CborError::ReservedAdditionalInfo { offset: 1 }));
}

#[test]
fn indefinite_length_on_ints_and_tags_is_rejected() {
    for (h, offset) in [("1f", 0), ("3f", 0), ("df", 0), ("811f", 1), ("c13f", 1)] {
        assert_eq!(decode(&hex(h)), Err(CborError::InvalidIndefinite { offset }), "{h}");
    }
}

#[test]
fn break_outside_indefinite_is_rejected() {
    for (h, offset) in [
        ("ff", 0),
        ("81ff", 1),
        ("8201ff", 2),
        ("a1ff00", 1),
        ("a101ff", 2),
        ("c1ff", 1),
        ("9fc1ffff", 2),
        ("9f81ffff", 2),
    ] {
        assert_eq!(decode(&hex(h)), Err(CborError::BreakOutsideIndefinite { offset }), "{h}");
    }
    assert_eq!(decode(&hex("bf01ff")), Err(CborError::MissingMapValue { offset: 2 }));
    assert_eq!(decode(&hex("bfff")), Ok(map(vec![])));
    assert_eq!(decode(&hex("9f9fffff")), Ok(array(vec![array(vec![])])));
}

#[test]
fn indefinite_string_chunks_are_strict() {
    for (h, offset) in [
        ("5f6161ff", 1),   // text chunk in a byte string
        ("7f4161ff", 1),   // byte chunk in a text string
        ("5f5fffff", 1),   // nested indefinite byte string
        ("7f7fffff", 1),   // nested indefinite text string
        ("5f01ff", 1),     // integer chunk
        ("7f80ff", 1),     // array chunk
        ("5f4101f6ff", 3), // null chunk
    ] {
        assert_eq!(decode(&hex(h)), Err(CborError::InvalidChunk { offset }), "{h}");
    }
    // Empty chunks and empty indefinite strings are fine.
    assert_eq!(decode(&hex("5fff")), Ok(bytes(&[])));
    assert_eq!(decode(&hex("7f6060ff")), Ok(text("")));
    assert_eq!(decode(&hex("7f6161606162ff")), Ok(text("ab")));
}

#[test]
fn text_must_be_valid_utf8() {
    for (h, offset) in [
        ("61ff", 1),
        ("62c328", 1),
        ("636162c3", 3), // truncated sequence at the end
        ("63eda080", 1), // UTF-16 surrogate
        ("62c0af", 1),   // overlong
        ("7f6161 62c328 ff", 4),
        // A valid character split across two chunks: each chunk is invalid.
        ("7f 61c3 61bc ff", 2),
    ] {
        let h: String = h.split_whitespace().collect();
        assert_eq!(decode(&hex(&h)), Err(CborError::InvalidUtf8 { offset }), "{h}");
    }
    // Byte strings may hold anything.
    assert_eq!(decode(&hex("42c328")), Ok(bytes(&[0xc3, 0x28])));
}

#[test]
fn simple_values() {
    for n in 0u8..20 {
        assert_eq!(decode(&[0xe0 | n]), Ok(Cbor::Simple(n)));
        assert_eq!(encode(&Cbor::Simple(n)), vec![0xe0 | n]);
    }
    for n in 0u8..32 {
        assert_eq!(decode(&[0xf8, n]), Err(CborError::InvalidSimple { offset: 0 }));
    }
    for n in 32u8..=255 {
        assert_eq!(decode(&[0xf8, n]), Ok(Cbor::Simple(n)));
        assert_eq!(encode(&Cbor::Simple(n)), vec![0xf8, n]);
    }
    // Simple(20..=23) are false/true/null/undefined by definition.
    assert_eq!(encode(&Cbor::Simple(20)), hex("f4"));
    assert_eq!(encode(&Cbor::Simple(23)), hex("f7"));
    assert_eq!(decode(&encode(&Cbor::Simple(22))), Ok(Cbor::Null));
    // Simple(24..=31) have no well-formed encoding: written as undefined.
    for n in 24u8..32 {
        assert_eq!(encode(&Cbor::Simple(n)), hex("f7"));
    }
}

#[test]
fn trailing_bytes_are_rejected() {
    assert_eq!(decode(&hex("0000")), Err(CborError::TrailingBytes { offset: 1 }));
    assert_eq!(decode(&hex("9fff00")), Err(CborError::TrailingBytes { offset: 2 }));
    assert_eq!(decode(&hex("a0ff")), Err(CborError::TrailingBytes { offset: 1 }));
    assert_eq!(decode(&hex("6161 6161".replace(' ', "").as_str())), Err(CborError::TrailingBytes { offset: 2 }));
}

#[test]
fn non_preferred_heads_are_accepted() {
    assert_eq!(decode(&hex("1800")), Ok(int(0)));
    assert_eq!(decode(&hex("1b0000000000000001")), Ok(int(1)));
    assert_eq!(decode(&hex("3a00000000")), Ok(int(-1)));
    assert_eq!(decode(&hex("5900026869")), Ok(bytes(b"hi")));
    assert_eq!(decode(&hex("7a000000026869")), Ok(text("hi")));
    assert_eq!(decode(&hex("98020102")), Ok(array(vec![int(1), int(2)])));
    assert_eq!(decode(&hex("b9000101f6")), Ok(map(vec![(int(1), Cbor::Null)])));
    assert_eq!(decode(&hex("db0000000000000001f6")), Ok(tag(1, Cbor::Null)));
}

#[test]
fn generic_keys_are_kept_in_wire_order() {
    let value = decode(&hex("a4 6162 01 01 02 4101 03 6161 04".replace(' ', "").as_str())).unwrap();
    assert_eq!(value, map(vec![(text("b"), int(1)), (int(1), int(2)), (bytes(&[1]), int(3)), (text("a"), int(4)),]));
    // Arrays and maps as keys, and duplicate keys, are well-formed.
    let value = decode(&hex("a2 8101 f6 8101 f5".replace(' ', "").as_str())).unwrap();
    assert_eq!(value, map(vec![(array(vec![int(1)]), Cbor::Null), (array(vec![int(1)]), Cbor::Bool(true)),]));
}
