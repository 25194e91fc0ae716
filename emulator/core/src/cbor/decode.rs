//! The decoder: one data item off a byte slice, on an explicit stack, strict about
//! well-formedness and bounded in depth and allocation (see the module above).

use super::{len_u64, Cbor, CborError, Limits, PREALLOC_LIMIT};

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

pub(super) fn prealloc(declared: u64) -> usize {
    usize::try_from(declared).unwrap_or(usize::MAX).min(PREALLOC_LIMIT)
}

/// Exact conversion of an IEEE 754 binary16 value to f64.
pub(super) fn half_to_f64(half: u16) -> f64 {
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
