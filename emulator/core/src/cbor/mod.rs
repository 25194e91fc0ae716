//! A small, strict, fuzz-safe CBOR (RFC 8949) decoder and encoder.
//!
//! This is the wire format of the Smithy RPC v2 CBOR protocol, which the
//! CloudWatch clients (aws-sdk-rust, Java, Go v2) use to talk to nimbus.
//!
//! # Decoding
//!
//! [`decode`] / [`decode_with`] accept exactly one well-formed data item
//! (trailing bytes are an error) and turn it into a [`Cbor`] tree. The decoder
//! is written for hostile input:
//!
//! * it never panics and never recurses: nesting is tracked on an explicit,
//!   heap-allocated stack whose height is bounded by [`Limits::max_depth`]
//!   (arrays, maps and tags all count, so deep tag chains are rejected too);
//! * declared lengths are checked against the input that is actually left
//!   before anything is allocated (a string needs its bytes, an array element
//!   at least one byte, a map entry at least two), and container buffers are
//!   pre-allocated for at most [`PREALLOC_LIMIT`] elements, growing only as
//!   real elements arrive. Memory use is therefore linear in the input size:
//!   the worst case is one 32-byte [`Cbor`] per input byte (e.g. a long run
//!   of `0xf6` inside an indefinite array), about 340 MB of tree for a 10 MB
//!   body, so cap request bodies accordingly;
//! * it is strict about well-formedness: reserved additional information
//!   (28..=30), indefinite length on major types 0, 1 and 6, a "break" outside
//!   an indefinite-length container, indefinite-length string chunks that are
//!   not definite strings of the same major type, invalid UTF-8 in text
//!   strings (checked per chunk) and two-byte simple values below 32 are all
//!   errors.
//!
//! It is not a *validity* checker: non-preferred (longer than necessary)
//! heads are accepted, duplicate map keys are kept in wire order, and tag
//! contents are not checked against the tag's meaning.
//!
//! # Encoding
//!
//! [`encode`] / [`encode_into`] always emit definite lengths and the shortest
//! head for integers, lengths and tag numbers. Floats are always written as
//! 8-byte doubles (`0xfb`), so every `f64` round-trips bit for bit. See
//! [`encode_into`] for the handling of values that have no CBOR encoding.

mod decode;
mod encode;

#[cfg(test)]
mod tests;

pub use decode::{decode, decode_with};
pub use encode::{encode, encode_into};

/// At most this many elements (or map entries) are pre-allocated for a
/// definite-length array or map, however large its declared length; the
/// vector grows normally beyond that as elements are actually decoded.
pub const PREALLOC_LIMIT: usize = 256;

/// Default for [`Limits::max_depth`].
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// A decoded CBOR data item.
#[derive(Debug, Clone, PartialEq)]
pub enum Cbor {
    Null,
    Undefined,
    Bool(bool),
    /// Major types 0 and 1. Range: -2^64 ..= 2^64-1, so i128.
    Int(i128),
    /// Half, single and double precision all decode to f64 (half-precision
    /// decoded exactly, including subnormals, inf, NaN).
    Float(f64),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Cbor>),
    /// Keys in wire order. Smithy only uses text keys, but keep generic keys.
    Map(Vec<(Cbor, Cbor)>),
    Tag(u64, Box<Cbor>),
    /// Other simple values (major 7, not false/true/null/undefined).
    Simple(u8),
}

/// Why a byte sequence is not exactly one well-formed CBOR data item.
///
/// Every `offset` is a byte offset into the input given to [`decode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CborError {
    /// The input ended in the middle of a data item.
    #[error("unexpected end of CBOR input: data item at offset {offset} is incomplete")]
    UnexpectedEnd { offset: usize },
    /// A complete data item was decoded but bytes remain after it.
    #[error("trailing bytes after the CBOR data item, starting at offset {offset}")]
    TrailingBytes { offset: usize },
    /// A text string (or one chunk of an indefinite-length text string) is
    /// not valid UTF-8; `offset` is the first offending byte.
    #[error("invalid UTF-8 in CBOR text string at offset {offset}")]
    InvalidUtf8 { offset: usize },
    /// Arrays, maps and tags are nested deeper than [`Limits::max_depth`].
    #[error("CBOR nesting of arrays, maps and tags exceeds the maximum depth")]
    TooDeep,
    /// Additional information 28, 29 or 30, which RFC 8949 reserves.
    #[error("reserved additional information value (28..=30) in CBOR head at offset {offset}")]
    ReservedAdditionalInfo { offset: usize },
    /// Additional information 31 (indefinite length) on major type 0, 1 or 6.
    #[error("indefinite length is not allowed for the CBOR major type of the head at offset {offset}")]
    InvalidIndefinite { offset: usize },
    /// A chunk of an indefinite-length byte/text string that is not a
    /// definite-length string of the same major type.
    #[error("invalid chunk at offset {offset} in indefinite-length CBOR string: chunks must be definite-length strings of the same major type")]
    InvalidChunk { offset: usize },
    /// A "break" (0xff) where no indefinite-length array or map is open.
    #[error("CBOR \"break\" (0xff) at offset {offset} is outside an indefinite-length array or map")]
    BreakOutsideIndefinite { offset: usize },
    /// An indefinite-length map was closed by a "break" right after a key.
    #[error("CBOR \"break\" (0xff) at offset {offset} ends an indefinite-length map after a key without a value")]
    MissingMapValue { offset: usize },
    /// A declared string, array or map length cannot fit in the rest of the input.
    #[error("declared length of the CBOR data item at offset {offset} exceeds the remaining input")]
    LengthTooLarge { offset: usize },
    /// The two-byte simple value form (0xf8) with a value below 32.
    #[error("two-byte CBOR simple value below 32 at offset {offset} is not well-formed")]
    InvalidSimple { offset: usize },
}

/// Resource limits applied by [`decode_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum nesting of arrays, maps and tags. A scalar at the top level
    /// has depth 0, `[1]` depth 1, `1(2)` depth 1, `[[]]` depth 2; `0`
    /// therefore allows only scalars and strings. Decoding itself never
    /// recurses, but dropping, cloning, comparing, printing and encoding a
    /// [`Cbor`] tree do, so keep this modest (the default is 64).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: DEFAULT_MAX_DEPTH }
    }
}

/// Looks up the first entry whose key is the text string `key`.
#[must_use]
pub fn map_get<'a>(map: &'a [(Cbor, Cbor)], key: &str) -> Option<&'a Cbor> {
    map.iter().find_map(|(k, v)| match k {
        Cbor::Text(t) if t == key => Some(v),
        _ => None,
    })
}

/// A length as a CBOR argument (saturating; no length of memory reaches it).
fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}
