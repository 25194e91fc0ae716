//! The client's side, for tests and tools: signing a request (header form) and
//! presigning one (query form).

use percent_encoding::percent_encode;

use super::canonical::{build_canonical_request, string_to_sign_raw};
use super::verify::{hmac_sha256, sha256_hex, signing_key};
use super::wire::canonical_header_value;
use super::*;

fn normalized_signed_header_list<'s>(names: impl IntoIterator<Item = &'s str>) -> Vec<String> {
    let mut names: Vec<String> =
        names.into_iter().map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect();
    names.sort();
    names.dedup();
    names
}

/// Signs a request (header form) and returns the Authorization header value.
///
/// The request must already carry the headers to sign (at least `Host` and `X-Amz-Date`);
/// `signed_headers` is lower-cased, sorted and de-duplicated. The payload hash is the
/// request's x-amz-content-sha256 value if present, else the SHA-256 of the body.
pub fn sign_authorization(
    req: &RequestParts,
    access_key: &str,
    secret: &str,
    amz_date: &str,
    region: &str,
    service: &str,
    signed_headers: &[&str],
) -> String {
    let names = normalized_signed_header_list(signed_headers.iter().copied());
    let payload_hash = canonical_header_value(req, HDR_CONTENT_SHA256).unwrap_or_else(|| sha256_hex(req.body));
    let creq = build_canonical_request(req, &names, false, &payload_hash);
    let date = amz_date.get(..8).unwrap_or(amz_date);
    let scope = format!("{date}/{region}/{service}/{SCOPE_TERMINATOR}");
    let sts = string_to_sign_raw(amz_date, &scope, &creq);
    let signature = hex::encode(hmac_sha256(&signing_key(secret, date, region, service), sts.as_bytes()));
    format!("{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={}, Signature={signature}", names.join(";"))
}

/// Presigns a request: returns `req.raw_query` with the X-Amz-* parameters (and
/// X-Amz-Signature last) appended. The payload hash signed is `UNSIGNED-PAYLOAD`.
pub fn presign_query(req: &RequestParts, params: &PresignParams) -> String {
    let enc = |s: &str| percent_encode(s.as_bytes(), QUERY_ENCODE_SET).to_string();
    let names = normalized_signed_header_list(params.signed_headers.iter().copied().chain(std::iter::once("host")));
    let date = params.amz_date.get(..8).unwrap_or(params.amz_date);
    let scope = format!("{date}/{}/{}/{SCOPE_TERMINATOR}", params.region, params.service);
    let mut query = String::from(req.raw_query);
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(&format!(
        "{Q_ALGORITHM}={ALGORITHM}&{Q_CREDENTIAL}={}&{Q_DATE}={}&{Q_EXPIRES}={}",
        enc(&format!("{}/{scope}", params.access_key)),
        enc(params.amz_date),
        params.expires_secs
    ));
    if let Some(token) = params.security_token {
        query.push_str(&format!("&{Q_SECURITY_TOKEN}={}", enc(token)));
    }
    query.push_str(&format!("&{Q_SIGNED_HEADERS}={}", enc(&names.join(";"))));

    let unsigned = RequestParts { raw_query: &query, ..*req };
    let creq = build_canonical_request(&unsigned, &names, true, UNSIGNED_PAYLOAD);
    let sts = string_to_sign_raw(params.amz_date, &scope, &creq);
    let signature =
        hex::encode(hmac_sha256(&signing_key(params.secret, date, params.region, params.service), sts.as_bytes()));
    query.push_str(&format!("&{Q_SIGNATURE}={signature}"));
    query
}
