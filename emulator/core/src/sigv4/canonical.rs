//! The canonical request and the string to sign, per AWS's SigV4 rules for non-S3
//! services.

use std::borrow::Cow;
use std::collections::BTreeMap;

use percent_encoding::percent_encode;

use super::verify::sha256_hex;
use super::wire::{canonical_header_value, fmt_amz, normalize_header_value, query_pairs};
use super::*;

/// Removes `.`/`..` segments and empty segments, keeps a trailing slash, always starts
/// with `/` (botocore's `remove_dot_segments`).
fn normalize_path(raw_path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for seg in raw_path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(raw_path.len() + 1);
    out.push('/');
    out.push_str(&segments.join("/"));
    if raw_path.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
    out
}

/// Canonical URI: normalised raw path, URI-encoded once more (so `%20` becomes `%2520`).
pub fn canonical_uri(raw_path: &str) -> String {
    let normalized = normalize_path(raw_path);
    percent_encode(normalized.as_bytes(), PATH_ENCODE_SET).to_string()
}

/// Canonical query string; `drop_signature` removes `X-Amz-Signature` (presigned form).
pub fn canonical_query(raw_query: &str, drop_signature: bool) -> String {
    let mut encoded: Vec<(String, String)> = query_pairs(raw_query)
        .into_iter()
        .filter(|(k, _)| !(drop_signature && k.as_slice() == Q_SIGNATURE.as_bytes()))
        .map(|(k, v)| {
            (percent_encode(&k, QUERY_ENCODE_SET).to_string(), percent_encode(&v, QUERY_ENCODE_SET).to_string())
        })
        .collect();
    encoded.sort();
    let mut out = String::new();
    for (i, (k, v)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

pub(super) fn build_canonical_request(
    req: &RequestParts<'_>,
    signed_headers: &[String],
    presigned: bool,
    payload_hash: &str,
) -> String {
    let mut out = String::new();
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.raw_path));
    out.push('\n');
    out.push_str(&canonical_query(req.raw_query, presigned));
    out.push('\n');
    // Group the headers once so a request with many headers and many signed names
    // stays linear-ish instead of |headers| x |signed headers|.
    let mut by_name: BTreeMap<Cow<str>, Vec<&[u8]>> = BTreeMap::new();
    for (name, value) in req.headers {
        let name = name.trim();
        // HTTP/1 servers hand over lower-case names: those need no copy.
        let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(name)
        };
        by_name.entry(name).or_default().push(value);
    }
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        if let Some(values) = by_name.get(name.as_str()) {
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&normalize_header_value(value));
            }
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// Payload hash of a header-signed request, after the x-amz-content-sha256 check.
pub(super) fn header_payload_hash(req: &RequestParts<'_>) -> Result<String, SigV4Error> {
    let body_hash = sha256_hex(req.body);
    match canonical_header_value(req, HDR_CONTENT_SHA256) {
        None => Ok(body_hash),
        Some(v) if v == UNSIGNED_PAYLOAD || v.eq_ignore_ascii_case(&body_hash) => Ok(v),
        Some(_) => Err(SigV4Error::ContentHashMismatch),
    }
}

/// The canonical request string exactly per AWS's SigV4 spec for NON-S3 services.
///
/// Presigned requests use `UNSIGNED-PAYLOAD`; header-signed ones the value of
/// x-amz-content-sha256 (checked against the body) or the SHA-256 of the body.
pub fn canonical_request(req: &RequestParts, parsed: &ParsedSignature) -> Result<String, SigV4Error> {
    let payload_hash = if parsed.presigned { UNSIGNED_PAYLOAD.to_owned() } else { header_payload_hash(req)? };
    Ok(canonical_request_with_payload_hash(req, parsed, &payload_hash))
}

/// The canonical request with an explicit payload hash (no content-hash check).
pub fn canonical_request_with_payload_hash(req: &RequestParts, parsed: &ParsedSignature, payload_hash: &str) -> String {
    build_canonical_request(req, &parsed.signed_headers, parsed.presigned, payload_hash)
}

pub(super) fn string_to_sign_raw(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// "AWS4-HMAC-SHA256\n" + amz_date + "\n" + date/region/service/aws4_request + "\n" +
/// hex(sha256(canonical_request)).
pub fn string_to_sign(parsed: &ParsedSignature, canonical_request: &str) -> String {
    let scope = format!("{}/{}/{}/{SCOPE_TERMINATOR}", parsed.scope.date, parsed.scope.region, parsed.scope.service);
    string_to_sign_raw(&fmt_amz(&parsed.request_time), &scope, canonical_request)
}
