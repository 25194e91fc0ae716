//! Floats (every half-precision value, doubles bit for bit) and the encoder's heads.

use super::*;

// -- floats ---------------------------------------------------------------

/// Independent reference: sign * significand * 2^(exponent), built from
/// exact powers of two.
fn half_reference(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let mant = f64::from(h & 0x3ff);
    let pow2 = |e: i32| f64::from_bits(u64::try_from(e + 1023).unwrap() << 52);
    match exp {
        0 => sign * mant * pow2(-24),
        31 if mant == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        _ => sign * (1024.0 + mant) * pow2(exp - 25),
    }
}

#[test]
fn every_half_float_decodes_exactly() {
    for h in 0..=u16::MAX {
        let [hi, lo] = h.to_be_bytes();
        let Ok(Cbor::Float(f)) = decode(&[0xf9, hi, lo]) else { panic!("{h:#06x}") };
        let r = half_reference(h);
        if r.is_nan() {
            assert!(f.is_nan(), "{h:#06x}");
            // The payload is carried over into the top mantissa bits.
            assert_eq!((f.to_bits() >> 42) & 0x3ff, u64::from(h & 0x3ff));
        } else {
            assert_eq!(f.to_bits(), r.to_bits(), "{h:#06x}: {f} != {r}");
        }
        assert_eq!(f.is_sign_negative(), h & 0x8000 != 0);
        // Half -> f32 -> f64 agrees with the direct conversion.
        if !f.is_nan() {
            #[allow(clippy::cast_possible_truncation)]
            let via_f32 = f64::from(f as f32);
            assert_eq!(via_f32.to_bits(), f.to_bits());
        }
    }
    assert_eq!(half_to_f64(0x0001), 5.960_464_477_539_063e-8);
    assert_eq!(half_to_f64(0x03ff), 0.000_060_975_551_605_224_61);
    assert_eq!(half_to_f64(0x7bff), 65504.0);
    assert_eq!(half_to_f64(0x3555), 0.333_251_953_125);
}

#[test]
fn floats_encode_as_doubles_bit_exactly() {
    for f in [
        0.0,
        -0.0,
        1.5,
        -4.1,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::from_bits(1),
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::from_bits(0x7ff0_0000_dead_beef),
        f64::from_bits(0xfff8_0000_0000_0001),
    ] {
        let encoded = encode(&float(f));
        assert_eq!(encoded.len(), 9);
        assert_eq!(encoded[0], 0xfb);
        let Ok(Cbor::Float(back)) = decode(&encoded) else { panic!("{f}") };
        assert_eq!(back.to_bits(), f.to_bits());
    }
    assert_eq!(decode(&hex("fa3fc00000")), Ok(float(1.5)));
    assert_eq!(decode(&hex("fa00000001")), Ok(float(f64::from(f32::from_bits(1)))));
}

// -- encoder --------------------------------------------------------------

#[test]
fn integers_use_the_shortest_head() {
    let cases: [(i128, &str); 22] = [
        (0, "00"),
        (23, "17"),
        (24, "1818"),
        (255, "18ff"),
        (256, "190100"),
        (65_535, "19ffff"),
        (65_536, "1a00010000"),
        (4_294_967_295, "1affffffff"),
        (4_294_967_296, "1b0000000100000000"),
        (18_446_744_073_709_551_615, "1bffffffffffffffff"),
        (-1, "20"),
        (-24, "37"),
        (-25, "3818"),
        (-256, "38ff"),
        (-257, "390100"),
        (-65_536, "39ffff"),
        (-65_537, "3a00010000"),
        (-4_294_967_296, "3affffffff"),
        (-4_294_967_297, "3b0000000100000000"),
        (-18_446_744_073_709_551_616, "3bffffffffffffffff"),
        (i128::from(i64::MIN), "3b7fffffffffffffff"),
        (i128::from(i64::MAX), "1b7fffffffffffffff"),
    ];
    for (i, h) in cases {
        assert_eq!(encode(&int(i)), hex(h), "{i}");
        assert_eq!(decode(&hex(h)), Ok(int(i)), "{h}");
    }
}

#[test]
fn out_of_range_integers_saturate() {
    let max = hex("1bffffffffffffffff");
    let min = hex("3bffffffffffffffff");
    assert_eq!(encode(&int(18_446_744_073_709_551_616)), max);
    assert_eq!(encode(&int(i128::MAX)), max);
    assert_eq!(encode(&int(-18_446_744_073_709_551_617)), min);
    assert_eq!(encode(&int(i128::MIN)), min);
    assert_eq!(encode(&int(i128::MIN + 1)), min);
}

#[test]
fn lengths_and_tags_use_the_shortest_head() {
    for (len, head) in
        [(0usize, "40"), (23, "57"), (24, "5818"), (255, "58ff"), (256, "590100"), (65_536, "5a00010000")]
    {
        let encoded = encode(&Cbor::Bytes(vec![7; len]));
        let head = hex(head);
        assert_eq!(&encoded[..head.len()], &head[..], "{len}");
        assert_eq!(encoded.len(), head.len() + len);
        assert_eq!(decode(&encoded), Ok(Cbor::Bytes(vec![7; len])));
    }
    let s = "x".repeat(300);
    assert_eq!(&encode(&text(&s))[..3], &hex("79012c")[..]);
    assert_eq!(&encode(&array(vec![Cbor::Null; 24]))[..2], &hex("9818")[..]);
    assert_eq!(&encode(&map(vec![(int(0), int(0)); 256]))[..3], &hex("b90100")[..]);
    assert_eq!(encode(&tag(u64::MAX, Cbor::Null)), hex("dbfffffffffffffffff6"));
    assert_eq!(encode(&tag(1000, int(1))), hex("d903e801"));
}

#[test]
fn encode_into_appends() {
    let mut out = vec![0xaa];
    encode_into(&array(vec![int(1), text("a")]), &mut out);
    encode_into(&Cbor::Null, &mut out);
    assert_eq!(out, hex("aa82016161f6"));
}
