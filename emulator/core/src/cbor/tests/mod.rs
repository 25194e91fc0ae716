//! CBOR tests: RFC 8949's vectors, strictness, numbers and hostile input.

use super::decode::{half_to_f64, prealloc};
use super::*;

mod hostile;
mod numbers;
mod strictness;
mod vectors;

// -- helpers ------------------------------------------------------------

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex: {s}");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit")).collect()
}

fn int(i: i128) -> Cbor {
    Cbor::Int(i)
}

fn float(f: f64) -> Cbor {
    Cbor::Float(f)
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_owned())
}

fn bytes(b: &[u8]) -> Cbor {
    Cbor::Bytes(b.to_vec())
}

fn array(items: Vec<Cbor>) -> Cbor {
    Cbor::Array(items)
}

fn map(entries: Vec<(Cbor, Cbor)>) -> Cbor {
    Cbor::Map(entries)
}

fn tag(t: u64, v: Cbor) -> Cbor {
    Cbor::Tag(t, Box::new(v))
}

/// Structural equality that compares floats by their bits, so NaN equals
/// NaN and 0.0 differs from -0.0.
fn same(a: &Cbor, b: &Cbor) -> bool {
    match (a, b) {
        (Cbor::Float(x), Cbor::Float(y)) => x.to_bits() == y.to_bits(),
        (Cbor::Array(x), Cbor::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Cbor::Map(x), Cbor::Map(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((xk, xv), (yk, yv))| same(xk, yk) && same(xv, yv))
        }
        (Cbor::Tag(xt, x), Cbor::Tag(yt, y)) => xt == yt && same(x, y),
        _ => a == b,
    }
}

#[track_caller]
fn assert_same(a: &Cbor, b: &Cbor) {
    assert!(same(a, b), "\n  left: {a:?}\n right: {b:?}");
}

/// How `encode(decode(x))` relates to `x` for an Appendix A example.
enum Re {
    /// The RFC encoding is the preferred one and this encoder produces it.
    Exact,
    /// A half/single float: the encoder writes the same value as a double.
    AsDouble,
    /// An indefinite-length example: the encoder writes this definite form.
    Definite(&'static str),
}

/// RFC 8949 Appendix A, every example that fits this data model.
fn appendix_a() -> Vec<(&'static str, Cbor, Re)> {
    use Re::*;
    let one_to_25: Vec<Cbor> = (1..=25).map(int).collect();
    let nested = || array(vec![int(1), array(vec![int(2), int(3)]), array(vec![int(4), int(5)])]);
    let a_b = || map(vec![(text("a"), int(1)), (text("b"), array(vec![int(2), int(3)]))]);
    let a_bc = || array(vec![text("a"), map(vec![(text("b"), text("c"))])]);
    vec![
        ("00", int(0), Exact),
        ("01", int(1), Exact),
        ("0a", int(10), Exact),
        ("17", int(23), Exact),
        ("1818", int(24), Exact),
        ("1819", int(25), Exact),
        ("1864", int(100), Exact),
        ("1903e8", int(1000), Exact),
        ("1a000f4240", int(1_000_000), Exact),
        ("1b000000e8d4a51000", int(1_000_000_000_000), Exact),
        ("1bffffffffffffffff", int(18_446_744_073_709_551_615), Exact),
        ("c249010000000000000000", tag(2, bytes(&[1, 0, 0, 0, 0, 0, 0, 0, 0])), Exact),
        ("3bffffffffffffffff", int(-18_446_744_073_709_551_616), Exact),
        ("c349010000000000000000", tag(3, bytes(&[1, 0, 0, 0, 0, 0, 0, 0, 0])), Exact),
        ("20", int(-1), Exact),
        ("29", int(-10), Exact),
        ("3863", int(-100), Exact),
        ("3903e7", int(-1000), Exact),
        ("f90000", float(0.0), AsDouble),
        ("f98000", float(-0.0), AsDouble),
        ("f93c00", float(1.0), AsDouble),
        ("fb3ff199999999999a", float(1.1), Exact),
        ("f93e00", float(1.5), AsDouble),
        ("f97bff", float(65504.0), AsDouble),
        ("fa47c35000", float(100_000.0), AsDouble),
        ("fa7f7fffff", float(3.402_823_466_385_288_6e38), AsDouble),
        ("fb7e37e43c8800759c", float(1.0e300), Exact),
        ("f90001", float(5.960_464_477_539_063e-8), AsDouble),
        ("f90400", float(0.000_061_035_156_25), AsDouble),
        ("f9c400", float(-4.0), AsDouble),
        ("fbc010666666666666", float(-4.1), Exact),
        ("f97c00", float(f64::INFINITY), AsDouble),
        ("f97e00", float(f64::NAN), AsDouble),
        ("f9fc00", float(f64::NEG_INFINITY), AsDouble),
        ("fa7f800000", float(f64::INFINITY), AsDouble),
        ("fa7fc00000", float(f64::NAN), AsDouble),
        ("faff800000", float(f64::NEG_INFINITY), AsDouble),
        ("fb7ff0000000000000", float(f64::INFINITY), Exact),
        ("fb7ff8000000000000", float(f64::NAN), Exact),
        ("fbfff0000000000000", float(f64::NEG_INFINITY), Exact),
        ("f4", Cbor::Bool(false), Exact),
        ("f5", Cbor::Bool(true), Exact),
        ("f6", Cbor::Null, Exact),
        ("f7", Cbor::Undefined, Exact),
        ("f0", Cbor::Simple(16), Exact),
        ("f8ff", Cbor::Simple(255), Exact),
        ("c074323031332d30332d32315432303a30343a30305a", tag(0, text("2013-03-21T20:04:00Z")), Exact),
        ("c11a514b67b0", tag(1, int(1_363_896_240)), Exact),
        ("c1fb41d452d9ec200000", tag(1, float(1_363_896_240.5)), Exact),
        ("d74401020304", tag(23, bytes(&[1, 2, 3, 4])), Exact),
        ("d818456449455446", tag(24, bytes(b"dIETF")), Exact),
        ("d82076687474703a2f2f7777772e6578616d706c652e636f6d", tag(32, text("http://www.example.com")), Exact),
        ("40", bytes(&[]), Exact),
        ("4401020304", bytes(&[1, 2, 3, 4]), Exact),
        ("60", text(""), Exact),
        ("6161", text("a"), Exact),
        ("6449455446", text("IETF"), Exact),
        ("62225c", text("\"\\"), Exact),
        ("62c3bc", text("\u{00fc}"), Exact),
        ("63e6b0b4", text("\u{6c34}"), Exact),
        ("64f0908591", text("\u{10151}"), Exact),
        ("80", array(vec![]), Exact),
        ("83010203", array(vec![int(1), int(2), int(3)]), Exact),
        ("8301820203820405", nested(), Exact),
        ("98190102030405060708090a0b0c0d0e0f101112131415161718181819", array(one_to_25.clone()), Exact),
        ("a0", map(vec![]), Exact),
        ("a201020304", map(vec![(int(1), int(2)), (int(3), int(4))]), Exact),
        ("a26161016162820203", a_b(), Exact),
        ("826161a161626163", a_bc(), Exact),
        (
            "a56161614161626142616361436164614461656145",
            map(["a", "b", "c", "d", "e"].iter().map(|k| (text(k), text(&k.to_uppercase()))).collect()),
            Exact,
        ),
        ("5f42010243030405ff", bytes(&[1, 2, 3, 4, 5]), Definite("450102030405")),
        ("7f657374726561646d696e67ff", text("streaming"), Definite("6973747265616d696e67")),
        ("9fff", array(vec![]), Definite("80")),
        ("9f018202039f0405ffff", nested(), Definite("8301820203820405")),
        ("9f01820203820405ff", nested(), Definite("8301820203820405")),
        ("83018202039f0405ff", nested(), Definite("8301820203820405")),
        ("83019f0203ff820405", nested(), Definite("8301820203820405")),
        (
            "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
            array(one_to_25),
            Definite("98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
        ),
        ("bf61610161629f0203ffff", a_b(), Definite("a26161016162820203")),
        ("826161bf61626163ff", a_bc(), Definite("826161a161626163")),
        (
            "bf6346756ef563416d7421ff",
            map(vec![(text("Fun"), Cbor::Bool(true)), (text("Amt"), int(-2))]),
            Definite("a26346756ef563416d7421"),
        ),
    ]
}

/// A larger nested document in the style of an aws-sdk-rust request
/// (indefinite maps and arrays), with one of every kind of item.
fn nested_document() -> Vec<u8> {
    let mut doc = hex("bf");
    let mut kv = |k: &str, v: &[u8]| {
        encode_into(&text(k), &mut doc);
        doc.extend_from_slice(v);
    };
    kv("Namespace", &encode(&text("AWS/EC2")));
    kv("MetricName", &encode(&text("CPUUtilization")));
    let mut dims = hex("9f");
    for (name, value) in [("InstanceId", "i-0123456789abcdef0"), ("AutoScalingGroupName", "asg-\u{00fc}\u{6c34}")] {
        dims.extend_from_slice(&hex("bf"));
        dims.extend_from_slice(&encode(&text("Name")));
        dims.extend_from_slice(&encode(&text(name)));
        dims.extend_from_slice(&encode(&text("Value")));
        dims.extend_from_slice(&encode(&text(value)));
        dims.extend_from_slice(&hex("ff"));
    }
    dims.extend_from_slice(&hex("ff"));
    kv("Dimensions", &dims);
    kv("StartTime", &hex("c1fb41d954fc40200000"));
    kv("EndTime", &hex("c11a6553f100"));
    kv("Period", &hex("190e10"));
    kv("Values", &hex("9ffb3ff8000000000000f93e00fa47c35000f97c0020ff"));
    kv("Counts", &hex("9b0000000000000002183b3bffffffffffffffff"));
    kv("Blob", &hex("5f42010243030405ff"));
    kv("Note", &hex("7f657374726561646d696e67ff"));
    kv("Flags", &hex("84f4f5f6f7"));
    kv("Nested", &hex("818181a1616181c0f0"));
    kv("Big", &hex("c249010000000000000000"));
    doc.extend_from_slice(&hex("ff"));
    doc
}

/// xorshift64* — deterministic, dependency-free pseudo-random bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[0]
    }
}

/// Whatever decodes must re-encode to something that decodes to the same
/// value, and re-encoding that must be stable.
#[track_caller]
fn check_consistent(input: &[u8]) {
    if let Ok(value) = decode(input) {
        let encoded = encode(&value);
        let again = decode(&encoded).expect("re-encoded value decodes");
        assert_same(&value, &again);
        assert_eq!(encode(&again), encoded);
    }
}
