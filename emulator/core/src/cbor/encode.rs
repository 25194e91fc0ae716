//! The encoder: definite lengths, shortest heads, floats as 8-byte doubles.

use super::{len_u64, Cbor};

/// Encodes `value` into a new buffer. See [`encode_into`].
#[must_use]
pub fn encode(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(value, &mut out);
    out
}

/// Appends the encoding of `value` to `out`.
///
/// * Arrays, maps, byte and text strings use definite lengths; integers,
///   lengths and tag numbers use the shortest head.
/// * `Float` is always written as an 8-byte double (`0xfb`), so the exact
///   bits (including NaN payloads and `-0.0`) survive a round trip.
/// * `Int` values outside the CBOR range -2^64 ..= 2^64-1 (which [`decode`]
///   never produces) **saturate** to the nearest end of that range:
///   anything above 2^64-1 is written as 2^64-1, anything below -2^64 as
///   -2^64.
/// * `Simple(0..=19)` and `Simple(32..=255)` are written as simple values;
///   `Simple(20..=23)` are by definition false/true/null/undefined and are
///   written as such; `Simple(24..=31)` have no well-formed encoding and are
///   written as `undefined` (0xf7).
///
/// Encoding recurses once per level of nesting of `value`; trees produced by
/// [`decode`] are bounded by [`Limits::max_depth`].
pub fn encode_into(value: &Cbor, out: &mut Vec<u8>) {
    match value {
        Cbor::Null => out.push(0xf6),
        Cbor::Undefined => out.push(0xf7),
        Cbor::Bool(false) => out.push(0xf4),
        Cbor::Bool(true) => out.push(0xf5),
        Cbor::Int(i) => {
            if *i >= 0 {
                write_head(out, 0, u64::try_from(*i).unwrap_or(u64::MAX));
            } else {
                // -1 - i cannot overflow for any negative i128.
                write_head(out, 1, u64::try_from(-1 - *i).unwrap_or(u64::MAX));
            }
        }
        Cbor::Float(f) => {
            out.push(0xfb);
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        Cbor::Bytes(b) => {
            write_head(out, 2, len_u64(b.len()));
            out.extend_from_slice(b);
        }
        Cbor::Text(s) => {
            write_head(out, 3, len_u64(s.len()));
            out.extend_from_slice(s.as_bytes());
        }
        Cbor::Array(items) => {
            write_head(out, 4, len_u64(items.len()));
            for item in items {
                encode_into(item, out);
            }
        }
        Cbor::Map(entries) => {
            write_head(out, 5, len_u64(entries.len()));
            for (key, val) in entries {
                encode_into(key, out);
                encode_into(val, out);
            }
        }
        Cbor::Tag(tag, inner) => {
            write_head(out, 6, *tag);
            encode_into(inner, out);
        }
        Cbor::Simple(n) => match *n {
            0..=23 => out.push(0xe0 | n),
            24..=31 => out.push(0xf7),
            _ => {
                out.push(0xf8);
                out.push(*n);
            }
        },
    }
}

/// Writes a head with the shortest encoding of `arg`.
fn write_head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    if let Ok(v) = u8::try_from(arg) {
        if v < 24 {
            out.push(m | v);
        } else {
            out.push(m | 24);
            out.push(v);
        }
    } else if let Ok(v) = u16::try_from(arg) {
        out.push(m | 25);
        out.extend_from_slice(&v.to_be_bytes());
    } else if let Ok(v) = u32::try_from(arg) {
        out.push(m | 26);
        out.extend_from_slice(&v.to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&arg.to_be_bytes());
    }
}
