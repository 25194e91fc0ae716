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

/// Decodes exactly one data item with the default [`Limits`]; trailing bytes
/// are an error.
///
/// # Errors
///
/// A [`CborError`] if `bytes` is not exactly one well-formed data item
/// within the default limits.
pub fn decode(bytes: &[u8]) -> Result<Cbor, CborError> {
    decode_with(bytes, &Limits::default())
}

/// Decodes exactly one data item with the given limits; trailing bytes are
/// an error.
///
/// # Errors
///
/// A [`CborError`] if `bytes` is not exactly one well-formed data item, or
/// nests arrays, maps and tags deeper than `limits.max_depth`.
pub fn decode_with(bytes: &[u8], limits: &Limits) -> Result<Cbor, CborError> {
    let mut decoder = Decoder { input: bytes, pos: 0 };
    let value = decoder.item(limits.max_depth)?;
    if decoder.pos < bytes.len() {
        return Err(CborError::TrailingBytes { offset: decoder.pos });
    }
    Ok(value)
}

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

/// Looks up the first entry whose key is the text string `key`.
#[must_use]
pub fn map_get<'a>(map: &'a [(Cbor, Cbor)], key: &str) -> Option<&'a Cbor> {
    map.iter().find_map(|(k, v)| match k {
        Cbor::Text(t) if t == key => Some(v),
        _ => None,
    })
}

// ---------------------------------------------------------------------------
// Encoder internals
// ---------------------------------------------------------------------------

fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
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

// ---------------------------------------------------------------------------
// Decoder internals
// ---------------------------------------------------------------------------

/// The argument of a head: a value, or additional information 31.
#[derive(Clone, Copy)]
enum Arg {
    Value(u64),
    Indefinite,
}

#[derive(Clone, Copy)]
struct Head {
    major: u8,
    info: u8,
    arg: Arg,
    /// Offset of the initial byte.
    offset: usize,
}

impl Head {
    fn is_break(&self) -> bool {
        self.major == 7 && self.info == 31
    }
}

/// An array, map or tag whose contents are still being decoded.
enum Frame {
    /// `remaining` is `None` for indefinite length, else the number of
    /// elements still expected (always >= 1 while the frame is open).
    Array {
        items: Vec<Cbor>,
        remaining: Option<u64>,
    },
    /// `remaining` counts entries; `key` holds a key awaiting its value.
    Map {
        entries: Vec<(Cbor, Cbor)>,
        key: Option<Cbor>,
        remaining: Option<u64>,
    },
    Tag(u64),
}

/// Counts one element into a definite-length frame; true once it is full.
fn count_element(remaining: &mut Option<u64>) -> bool {
    match remaining {
        Some(r) => {
            *r = r.saturating_sub(1);
            *r == 0
        }
        None => false,
    }
}

fn prealloc(declared: u64) -> usize {
    usize::try_from(declared).unwrap_or(usize::MAX).min(PREALLOC_LIMIT)
}

/// Exact conversion of an IEEE 754 binary16 value to f64.
fn half_to_f64(half: u16) -> f64 {
    let sign = u64::from(half >> 15) << 63;
    let exp = u64::from((half >> 10) & 0x1f);
    let mant = u64::from(half & 0x3ff);
    let magnitude = match exp {
        // Subnormal (or zero): mant * 2^-24, exact in f64.
        0 => f64::from(half & 0x3ff) / 16_777_216.0,
        // Infinity, or NaN with the payload carried over.
        31 => f64::from_bits(0x7ff0_0000_0000_0000 | (mant << 42)),
        // Normal: rebias the exponent (15 -> 1023), widen the mantissa.
        _ => f64::from_bits(((exp + 1008) << 52) | (mant << 42)),
    };
    f64::from_bits(magnitude.to_bits() | sign)
}

struct Decoder<'a> {
    input: &'a [u8],
    /// Invariant: `pos <= input.len()`.
    pos: usize,
}

impl<'a> Decoder<'a> {
    fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    fn read_u8(&mut self, item_offset: usize) -> Result<u8, CborError> {
        let byte = *self.input.get(self.pos).ok_or(CborError::UnexpectedEnd { offset: item_offset })?;
        self.pos += 1;
        Ok(byte)
    }

    fn read_slice(&mut self, len: usize, item_offset: usize) -> Result<&'a [u8], CborError> {
        let input: &'a [u8] = self.input;
        let slice = self
            .pos
            .checked_add(len)
            .and_then(|end| input.get(self.pos..end))
            .ok_or(CborError::UnexpectedEnd { offset: item_offset })?;
        self.pos += len;
        Ok(slice)
    }

    fn read_array<const N: usize>(&mut self, item_offset: usize) -> Result<[u8; N], CborError> {
        let slice = self.read_slice(N, item_offset)?;
        <[u8; N]>::try_from(slice).map_err(|_| CborError::UnexpectedEnd { offset: item_offset })
    }

    fn read_head(&mut self) -> Result<Head, CborError> {
        let offset = self.pos;
        let initial = self.read_u8(offset)?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        let arg = match info {
            0..=23 => Arg::Value(u64::from(info)),
            24 => Arg::Value(u64::from(self.read_u8(offset)?)),
            25 => Arg::Value(u64::from(u16::from_be_bytes(self.read_array(offset)?))),
            26 => Arg::Value(u64::from(u32::from_be_bytes(self.read_array(offset)?))),
            27 => Arg::Value(u64::from_be_bytes(self.read_array(offset)?)),
            28..=30 => return Err(CborError::ReservedAdditionalInfo { offset }),
            _ => Arg::Indefinite,
        };
        Ok(Head { major, info, arg, offset })
    }

    /// Reads the payload of a definite-length string whose head is `head`.
    fn read_definite_string(&mut self, head: &Head, len: u64) -> Result<&'a [u8], CborError> {
        let len = usize::try_from(len)
            .ok()
            .filter(|&len| len <= self.remaining())
            .ok_or(CborError::LengthTooLarge { offset: head.offset })?;
        self.read_slice(len, head.offset)
    }

    fn read_bytes(&mut self, head: &Head) -> Result<Vec<u8>, CborError> {
        match head.arg {
            Arg::Value(len) => Ok(self.read_definite_string(head, len)?.to_vec()),
            Arg::Indefinite => {
                let mut out = Vec::new();
                while let Some(chunk) = self.read_chunk(2)? {
                    out.extend_from_slice(chunk);
                }
                Ok(out)
            }
        }
    }

    fn read_text(&mut self, head: &Head) -> Result<String, CborError> {
        match head.arg {
            Arg::Value(len) => {
                let start = self.pos;
                let bytes = self.read_definite_string(head, len)?;
                Ok(utf8(bytes, start)?.to_owned())
            }
            Arg::Indefinite => {
                let mut out = String::new();
                while let Some(chunk) = self.read_chunk(3)? {
                    // Each chunk must be valid UTF-8 on its own.
                    let data_start = self.pos.saturating_sub(chunk.len());
                    out.push_str(utf8(chunk, data_start)?);
                }
                Ok(out)
            }
        }
    }

    /// Reads one chunk of an indefinite-length string of major type `major`;
    /// `None` at the terminating "break".
    fn read_chunk(&mut self, major: u8) -> Result<Option<&'a [u8]>, CborError> {
        let head = self.read_head()?;
        if head.is_break() {
            return Ok(None);
        }
        match head.arg {
            Arg::Value(len) if head.major == major => self.read_definite_string(&head, len).map(Some),
            _ => Err(CborError::InvalidChunk { offset: head.offset }),
        }
    }

    /// Decodes one data item without recursion: open arrays, maps and tags
    /// live on an explicit stack whose height is bounded by `max_depth`.
    fn item(&mut self, max_depth: usize) -> Result<Cbor, CborError> {
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            let head = self.read_head()?;
            let value = match (head.major, head.arg) {
                (0, Arg::Value(n)) => Cbor::Int(i128::from(n)),
                (1, Arg::Value(n)) => Cbor::Int(-1 - i128::from(n)),
                (0 | 1 | 6, Arg::Indefinite) => return Err(CborError::InvalidIndefinite { offset: head.offset }),
                (2, _) => Cbor::Bytes(self.read_bytes(&head)?),
                (3, _) => Cbor::Text(self.read_text(&head)?),
                (4, Arg::Value(0)) => {
                    check_depth(&stack, max_depth)?;
                    Cbor::Array(Vec::new())
                }
                (4, arg) => {
                    check_depth(&stack, max_depth)?;
                    // Each element needs at least one byte.
                    let remaining = self.declared(&head, arg, 1)?;
                    let items = Vec::with_capacity(remaining.map_or(0, prealloc));
                    stack.push(Frame::Array { items, remaining });
                    continue;
                }
                (5, Arg::Value(0)) => {
                    check_depth(&stack, max_depth)?;
                    Cbor::Map(Vec::new())
                }
                (5, arg) => {
                    check_depth(&stack, max_depth)?;
                    // Each entry needs at least two bytes.
                    let remaining = self.declared(&head, arg, 2)?;
                    let entries = Vec::with_capacity(remaining.map_or(0, prealloc));
                    stack.push(Frame::Map { entries, key: None, remaining });
                    continue;
                }
                (6, Arg::Value(tag)) => {
                    check_depth(&stack, max_depth)?;
                    stack.push(Frame::Tag(tag));
                    continue;
                }
                (_, arg) => match (head.info, arg) {
                    (0..=19, _) => Cbor::Simple(head.info),
                    (20, _) => Cbor::Bool(false),
                    (21, _) => Cbor::Bool(true),
                    (22, _) => Cbor::Null,
                    (23, _) => Cbor::Undefined,
                    (24, Arg::Value(n)) => match u8::try_from(n) {
                        Ok(n) if n >= 32 => Cbor::Simple(n),
                        _ => return Err(CborError::InvalidSimple { offset: head.offset }),
                    },
                    (25, Arg::Value(bits)) => Cbor::Float(half_to_f64(u16::try_from(bits).unwrap_or(0))),
                    (26, Arg::Value(bits)) => Cbor::Float(f64::from(f32::from_bits(u32::try_from(bits).unwrap_or(0)))),
                    (27, Arg::Value(bits)) => Cbor::Float(f64::from_bits(bits)),
                    // Only the "break" (0xff) is left.
                    _ => close_indefinite(&mut stack, head.offset)?,
                },
            };
            if let Some(root) = attach(&mut stack, value) {
                return Ok(root);
            }
        }
    }

    /// The element count of an array/map head (`None` if indefinite),
    /// rejected early if the rest of the input cannot possibly hold
    /// `min_bytes` per element.
    fn declared(&self, head: &Head, arg: Arg, min_bytes: usize) -> Result<Option<u64>, CborError> {
        match arg {
            Arg::Indefinite => Ok(None),
            Arg::Value(n) if n <= len_u64(self.remaining() / min_bytes) => Ok(Some(n)),
            Arg::Value(_) => Err(CborError::LengthTooLarge { offset: head.offset }),
        }
    }
}

/// Stores a finished `value` into the innermost open frame, closing every
/// frame that thereby becomes complete. Returns the root once the outermost
/// item is complete.
fn attach(stack: &mut Vec<Frame>, mut value: Cbor) -> Option<Cbor> {
    loop {
        let finished = match stack.last_mut() {
            None => return Some(value),
            Some(Frame::Tag(tag)) => Cbor::Tag(*tag, Box::new(value)),
            Some(Frame::Array { items, remaining }) => {
                items.push(value);
                if !count_element(remaining) {
                    return None;
                }
                Cbor::Array(std::mem::take(items))
            }
            Some(Frame::Map { entries, key, remaining }) => match key.take() {
                None => {
                    *key = Some(value);
                    return None;
                }
                Some(k) => {
                    entries.push((k, value));
                    if !count_element(remaining) {
                        return None;
                    }
                    Cbor::Map(std::mem::take(entries))
                }
            },
        };
        stack.pop();
        value = finished;
    }
}

fn utf8(bytes: &[u8], start: usize) -> Result<&str, CborError> {
    std::str::from_utf8(bytes).map_err(|e| CborError::InvalidUtf8 { offset: start + e.valid_up_to() })
}

fn check_depth(stack: &[Frame], max_depth: usize) -> Result<(), CborError> {
    if stack.len() >= max_depth {
        Err(CborError::TooDeep)
    } else {
        Ok(())
    }
}

/// Handles a "break": closes the innermost indefinite-length array or map.
fn close_indefinite(stack: &mut Vec<Frame>, offset: usize) -> Result<Cbor, CborError> {
    let value = match stack.last_mut() {
        Some(Frame::Array { items, remaining: None }) => Cbor::Array(std::mem::take(items)),
        Some(Frame::Map { entries, key: None, remaining: None }) => Cbor::Map(std::mem::take(entries)),
        Some(Frame::Map { key: Some(_), remaining: None, .. }) => return Err(CborError::MissingMapValue { offset }),
        _ => return Err(CborError::BreakOutsideIndefinite { offset }),
    };
    stack.pop();
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for item in [text("Namespace"), text("AWS/EC2"), text("MetricName"), text("CPUUtilization"), text("Dimensions")]
        {
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
        assert_eq!(
            value,
            map(vec![(text("b"), int(1)), (int(1), int(2)), (bytes(&[1]), int(3)), (text("a"), int(4)),])
        );
        // Arrays and maps as keys, and duplicate keys, are well-formed.
        let value = decode(&hex("a2 8101 f6 8101 f5".replace(' ', "").as_str())).unwrap();
        assert_eq!(value, map(vec![(array(vec![int(1)]), Cbor::Null), (array(vec![int(1)]), Cbor::Bool(true)),]));
    }

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

    // -- depth ----------------------------------------------------------------

    fn nest(open: u8, depth: usize, inner: &[u8], close: &[u8]) -> Vec<u8> {
        let mut v = vec![open; depth];
        v.extend_from_slice(inner);
        for _ in 0..depth {
            v.extend_from_slice(close);
        }
        v
    }

    #[test]
    fn depth_limit_is_exact() {
        let limits = Limits::default();
        assert_eq!(limits.max_depth, 64);
        for (open, inner, close) in [
            (0x81u8, &[0x01u8][..], &[][..]),
            (0x9f, &[0x01], &[0xff]),
            (0xc1, &[0x01], &[]),
            (0xa1, &[0x01, 0x02], &[]), // nested through map values: {0: {0: ...}}
            (0x81, &[0x80], &[]),       // innermost container is empty
            (0x81, &[0xa0], &[]),
        ] {
            let build = |depth: usize| {
                if open == 0xa1 {
                    let mut v = Vec::new();
                    for _ in 0..depth {
                        v.extend_from_slice(&[0xa1, 0x00]);
                    }
                    v.extend_from_slice(&[0x01]);
                    v
                } else {
                    nest(open, depth, inner, close)
                }
            };
            // `inner` adds one level when it is itself a container.
            let extra = usize::from(matches!(inner[0], 0x80 | 0xa0));
            let ok = build(64 - extra);
            let too_deep = build(65 - extra);
            assert!(decode(&ok).is_ok(), "{open:#04x} at the limit");
            assert_eq!(decode(&too_deep), Err(CborError::TooDeep), "{open:#04x}");
            assert!(decode_with(&too_deep, &Limits { max_depth: 65 }).is_ok());
        }
        let zero = Limits { max_depth: 0 };
        assert_eq!(decode_with(&hex("01"), &zero), Ok(int(1)));
        assert_eq!(decode_with(&hex("5f4101ff"), &zero), Ok(bytes(&[1])));
        for h in ["80", "a0", "9fff", "bfff", "c101", "8101"] {
            assert_eq!(decode_with(&hex(h), &zero), Err(CborError::TooDeep), "{h}");
        }
    }

    #[test]
    fn ten_megabytes_of_nesting_is_too_deep() {
        const TEN_MB: usize = 10 * 1024 * 1024;
        for b in [0x9fu8, 0x81, 0xbf, 0xa1, 0xc1, 0xd8] {
            let input = vec![b; TEN_MB];
            assert_eq!(decode(&input), Err(CborError::TooDeep), "{b:#04x}");
        }
        // Alternating tags and arrays count together.
        let input: Vec<u8> = [0xc1u8, 0x9f].iter().copied().cycle().take(TEN_MB).collect();
        assert_eq!(decode(&input), Err(CborError::TooDeep));
        // A huge limit still never recurses: the input simply runs out.
        let input = vec![0x9f; TEN_MB];
        assert_eq!(
            decode_with(&input, &Limits { max_depth: usize::MAX }),
            Err(CborError::UnexpectedEnd { offset: TEN_MB })
        );
    }

    // -- hostile lengths --------------------------------------------------

    #[test]
    fn huge_declared_lengths_fail_without_allocating() {
        for h in [
            "5b8000000000000000",   // 2^63-byte byte string
            "7b8000000000000000",   // 2^63-byte text string
            "5bffffffffffffffff00", // 2^64-1 bytes
            "9bffffffffffffffff00", // 2^64-1 elements
            "9b800000000000000001",
            "bbffffffffffffffff0000",   // 2^64-1 entries (2n overflows u64)
            "bb0000000100000000010203", // 2^32 entries, 3 bytes of body
            "ba7fffffff010203",         // 2^31-1 entries, 3 bytes of body
            "bbffffffffffffffff",
            "5f5bffffffffffffffffff", // inside an indefinite string
            "7f7b8000000000000000ff",
        ] {
            let input = hex(h);
            assert!(matches!(decode(&input), Err(CborError::LengthTooLarge { .. })), "{h}: {:?}", decode(&input));
        }
        // Exactly enough bytes for the declared count is accepted...
        assert_eq!(decode(&hex("a20000")), Err(CborError::LengthTooLarge { offset: 0 }));
        assert_eq!(decode(&hex("a2000000")), Err(CborError::LengthTooLarge { offset: 0 }));
        assert_eq!(decode(&hex("a200000019")), Err(CborError::UnexpectedEnd { offset: 4 }));
        assert_eq!(decode(&hex("a200000000")), Ok(map(vec![(int(0), int(0)), (int(0), int(0))])));
        assert_eq!(decode(&hex("830000")), Err(CborError::LengthTooLarge { offset: 0 }));
        // ...and large but honest containers still work.
        let mut big = hex("9a00100000");
        big.extend(std::iter::repeat_n(0xf6, 1 << 20));
        let Ok(Cbor::Array(items)) = decode(&big) else { panic!("big array") };
        assert_eq!(items.len(), 1 << 20);
        let mut big = hex("5a00a00000");
        big.extend(std::iter::repeat_n(0x5a, 10 << 20));
        assert_eq!(decode(&big).map(|v| encode(&v)), Ok(big));
    }

    #[test]
    fn nested_containers_each_capped_at_prealloc_limit() {
        assert_eq!(prealloc(u64::MAX), PREALLOC_LIMIT);
        assert_eq!(prealloc(3), 3);
        // Every level claims as many elements as the input could hold.
        let mut input = Vec::new();
        for _ in 0..64 {
            input.extend_from_slice(&hex("9b0000000000100000"));
        }
        assert!(matches!(decode(&input), Err(CborError::LengthTooLarge { .. })));
        let mut input = Vec::new();
        for _ in 0..63 {
            input.extend_from_slice(&hex("9a000fffff"));
        }
        input.extend(std::iter::repeat_n(0x00, 1 << 20));
        assert!(matches!(decode(&input), Err(CborError::UnexpectedEnd { .. })));
    }

    // -- random input -----------------------------------------------------

    fn iterations(default: usize) -> usize {
        std::env::var("CBOR_FUZZ_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut ok = 0usize;
        for _ in 0..iterations(5_000) {
            let len = rng.below(64);
            let input: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            ok += usize::from(decode(&input).is_ok());
            check_consistent(&input);
        }
        assert!(ok > 0);
    }

    #[test]
    fn structured_random_bytes_never_panic() {
        // Bytes biased towards heads that open, close and nest things.
        const INTERESTING: &[u8] = &[
            0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x3b, 0x40, 0x41, 0x5f, 0x5b, 0x60, 0x61, 0x62, 0x7f, 0x7b,
            0x80, 0x81, 0x82, 0x9f, 0x9b, 0xa0, 0xa1, 0xbf, 0xbb, 0xc1, 0xd8, 0xdf, 0xf4, 0xf6, 0xf8, 0xf9, 0xfa, 0xfb,
            0xfc, 0xff, 0xc3, 0xe6, 0x80, 0xff,
        ];
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        let mut ok = 0usize;
        for _ in 0..iterations(5_000) {
            let len = rng.below(48);
            let input: Vec<u8> = (0..len)
                .map(|_| if rng.below(4) == 0 { rng.byte() } else { INTERESTING[rng.below(INTERESTING.len())] })
                .collect();
            ok += usize::from(decode(&input).is_ok());
            check_consistent(&input);
        }
        assert!(ok > 0);
    }

    #[test]
    fn mutated_documents_never_panic() {
        let mut rng = Rng(0xdead_beef_cafe_f00d);
        let seeds: Vec<Vec<u8>> = appendix_a().iter().map(|(h, _, _)| hex(h)).chain([nested_document()]).collect();
        for _ in 0..iterations(5_000) {
            let mut input = seeds[rng.below(seeds.len())].clone();
            for _ in 0..=rng.below(4) {
                let at = rng.below(input.len() + 1);
                match rng.below(4) {
                    0 if at < input.len() => input[at] = rng.byte(),
                    1 if at < input.len() => input[at] ^= 1 << rng.below(8),
                    2 => input.insert(at, rng.byte()),
                    _ => input.truncate(at),
                }
            }
            let _ = decode(&input);
            check_consistent(&input);
        }
    }

    #[test]
    fn errors_display_clearly() {
        let cases = [
            (CborError::UnexpectedEnd { offset: 3 }, "offset 3"),
            (CborError::TrailingBytes { offset: 9 }, "trailing bytes"),
            (CborError::InvalidUtf8 { offset: 1 }, "UTF-8"),
            (CborError::TooDeep, "maximum depth"),
            (CborError::ReservedAdditionalInfo { offset: 0 }, "reserved"),
            (CborError::InvalidIndefinite { offset: 0 }, "indefinite length"),
            (CborError::InvalidChunk { offset: 0 }, "chunk"),
            (CborError::BreakOutsideIndefinite { offset: 0 }, "break"),
            (CborError::MissingMapValue { offset: 0 }, "without a value"),
            (CborError::LengthTooLarge { offset: 0 }, "exceeds the remaining input"),
            (CborError::InvalidSimple { offset: 0 }, "simple value"),
        ];
        for (err, needle) in cases {
            let msg = err.to_string();
            assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
            assert!(msg.contains("CBOR") || msg.contains("UTF-8"), "{msg:?}");
        }
    }
}
