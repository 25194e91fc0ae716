//! Reading a request as SigV4 sees it: header values (normalised, as bytes), query
//! pairs, and the two date formats.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use percent_encoding::percent_decode;

use super::{RequestParts, AMZ_DATE_FORMAT};

pub(super) fn fmt_amz(t: &DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    // Every request's string to sign holds it: written directly, not through strftime.
    if (0..=9999).contains(&t.year()) {
        return format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
    }
    t.format(AMZ_DATE_FORMAT).to_string()
}

pub(super) fn fmt_amz_offset(t: &DateTime<Utc>, secs: i64) -> String {
    let shifted = TimeDelta::try_seconds(secs).and_then(|d| t.checked_add_signed(d));
    fmt_amz(&shifted.unwrap_or(*t))
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// UTF-8 when valid, ISO-8859-1 otherwise (never fails).
fn bytes_to_string(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Trim and collapse runs of ASCII whitespace into one space.
pub(super) fn normalize_header_value(value: &[u8]) -> String {
    // Most values are already normal: no whitespace at the ends, single spaces within.
    let at_ends = value.first().is_some_and(|&b| is_ws(b)) || value.last().is_some_and(|&b| is_ws(b));
    let inside = value.iter().enumerate().any(|(i, &b)| {
        matches!(b, b'\t' | b'\r' | b'\n') || (b == b' ' && value.get(i + 1).is_some_and(|&n| is_ws(n)))
    });
    if !at_ends && !inside {
        return bytes_to_string(value);
    }
    let mut out = Vec::with_capacity(value.len());
    let mut pending_space = false;
    for &b in value {
        if is_ws(b) {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.push(b);
        }
    }
    bytes_to_string(&out)
}

fn header_values<'r>(req: &'r RequestParts<'_>, name: &'r str) -> impl Iterator<Item = &'r [u8]> {
    req.headers.iter().filter(move |(n, _)| n.trim().eq_ignore_ascii_case(name)).map(|(_, v)| *v)
}

/// First value of a header that is non-empty after trimming, normalised.
pub(super) fn first_header(req: &RequestParts<'_>, name: &str) -> Option<String> {
    header_values(req, name).map(normalize_header_value).find(|v| !v.is_empty())
}

/// Canonical value of a header: all values normalised and joined with ','.
pub(super) fn canonical_header_value(req: &RequestParts<'_>, name: &str) -> Option<String> {
    let mut found = false;
    let mut out = String::new();
    for v in header_values(req, name) {
        if found {
            out.push(',');
        }
        found = true;
        out.push_str(&normalize_header_value(v));
    }
    found.then_some(out)
}

fn decode_component(raw: &str) -> Vec<u8> {
    percent_decode(raw.as_bytes()).collect()
}

/// Decoded `(name, value)` pairs of a raw query; empty segments are skipped.
pub(super) fn query_pairs(raw_query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    raw_query
        .split('&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| match seg.split_once('=') {
            Some((k, v)) => (decode_component(k), decode_component(v)),
            None => (decode_component(seg), Vec::new()),
        })
        .collect()
}

pub(super) fn query_param(pairs: &[(Vec<u8>, Vec<u8>)], name: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k.as_slice() == name.as_bytes()).map(|(_, v)| bytes_to_string(v))
}

/// Strict `YYYYMMDDTHHMMSSZ`.
pub(super) fn parse_amz_date(value: &str) -> Option<DateTime<Utc>> {
    let b = value.as_bytes();
    let shape_ok = b.len() == 16
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 => c == b'T',
            15 => c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    NaiveDateTime::parse_from_str(value, AMZ_DATE_FORMAT).ok().map(|n| n.and_utc())
}

/// RFC 1123/2822 `Date` header, e.g. `Mon, 09 Sep 2011 23:36:00 GMT`.
pub(super) fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(value).ok().map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The collapsing loop alone, without the shortcut for values already normal.
    fn collapsed(value: &[u8]) -> String {
        let mut out = Vec::new();
        let mut pending_space = false;
        for &b in value {
            if is_ws(b) {
                pending_space = !out.is_empty();
            } else {
                if pending_space {
                    out.push(b' ');
                    pending_space = false;
                }
                out.push(b);
            }
        }
        bytes_to_string(&out)
    }

    #[test]
    fn the_shortcut_normalises_as_the_loop_does() {
        let alphabet: &[u8] = &[b'a', b' ', b'\t', b'\r', b'\n', 0xE9];
        // Every value of up to four bytes over the alphabet.
        let mut values: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..4 {
            let longer: Vec<Vec<u8>> = values
                .iter()
                .filter(|v| v.len() == values.last().map_or(0, Vec::len))
                .flat_map(|v| alphabet.iter().map(move |&b| [v.as_slice(), &[b]].concat()))
                .collect();
            values.extend(longer);
        }
        assert!(values.len() > 1000);
        for v in values {
            assert_eq!(normalize_header_value(&v), collapsed(&v), "{v:?}");
        }
    }

    #[test]
    fn amz_dates_are_written_as_strftime_writes_them() {
        for secs in [0i64, 1, 86_399, 951_782_400, 1_767_225_599, 253_402_300_799, -62_167_219_200] {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            assert_eq!(fmt_amz(&t), t.format(AMZ_DATE_FORMAT).to_string(), "{secs}");
        }
    }
}
