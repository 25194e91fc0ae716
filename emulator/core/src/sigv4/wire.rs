//! Reading a request as SigV4 sees it: header values (normalised, as bytes), query
//! pairs, and the two date formats.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use percent_encoding::percent_decode;

use super::{RequestParts, AMZ_DATE_FORMAT};

pub(super) fn fmt_amz(t: &DateTime<Utc>) -> String {
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
