//! The server's side: the signing key, the constant-time signature check and the time
//! window.

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::canonical::{canonical_request_with_payload_hash, header_payload_hash, string_to_sign};
use super::parse::{check_host_signed, expires_too_large};
use super::{
    ParsedSignature, RequestParts, SigV4Error, MAX_PRESIGN_EXPIRES_SECS, MAX_SKEW_SECS, SCOPE_TERMINATOR,
    UNSIGNED_PAYLOAD,
};

pub(super) fn sha256_hex(data: &[u8]) -> String {
    lower_hex(&Sha256::digest(data))
}

/// Lower-case hex, as `hex::encode` writes it, without going through `char`s.
pub(super) fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0x0f)]);
    }
    // Only ASCII digits were written.
    String::from_utf8(out).unwrap_or_default()
}

pub(super) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        // Unreachable: HMAC accepts keys of every length.
        Err(_) => [0u8; 32],
    }
}

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_secret = format!("AWS4{secret}");
    let k_date = hmac_sha256(k_secret.as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, SCOPE_TERMINATOR.as_bytes())
}

/// Computes the expected signature and compares it in constant time.
pub fn verify_signature(req: &RequestParts, parsed: &ParsedSignature, secret: &str) -> Result<(), SigV4Error> {
    let key = signing_key(secret, &parsed.scope.date, &parsed.scope.region, &parsed.scope.service);
    verify_signature_with_key(req, parsed, &key)
}

/// [`verify_signature`] with the signing key of the request's scope already derived
/// (see [`signing_key`]): a server may keep keys, which change only with the secret, the
/// date, the region and the service.
pub fn verify_signature_with_key(
    req: &RequestParts,
    parsed: &ParsedSignature,
    key: &[u8; 32],
) -> Result<(), SigV4Error> {
    check_host_signed(&parsed.signed_headers)?;
    let payload_hashes = if parsed.presigned {
        vec![UNSIGNED_PAYLOAD.to_owned(), sha256_hex(req.body)]
    } else {
        vec![header_payload_hash(req)?]
    };
    let mut first_failure: Option<(String, String)> = None;
    for payload_hash in &payload_hashes {
        let creq = canonical_request_with_payload_hash(req, parsed, payload_hash);
        let sts = string_to_sign(parsed, &creq);
        let expected = lower_hex(&hmac_sha256(key, sts.as_bytes()));
        if bool::from(expected.as_bytes().ct_eq(parsed.signature.as_bytes())) {
            return Ok(());
        }
        if first_failure.is_none() {
            first_failure = Some((creq, sts));
        }
    }
    let (canonical_request, string_to_sign) = first_failure.unwrap_or_default();
    Err(SigV4Error::SignatureMismatch { canonical_request, string_to_sign })
}

/// Checks the request time against `now`.
///
/// Header-signed: `now - 15 min <= X-Amz-Date <= now + 15 min` (inclusive).
/// Presigned with X-Amz-Expires: `X-Amz-Expires <= 604800`, `X-Amz-Date <= now + 15 min`
/// and not `X-Amz-Date + X-Amz-Expires < now`. Presigned without X-Amz-Expires: the
/// header rule.
pub fn check_time(parsed: &ParsedSignature, now: DateTime<Utc>) -> Result<(), SigV4Error> {
    let request_time = parsed.request_time;
    let skew = TimeDelta::try_seconds(MAX_SKEW_SECS).unwrap_or_default();
    let too_new = now.checked_add_signed(skew).is_some_and(|max| request_time > max);
    let too_old = now.checked_sub_signed(skew).is_some_and(|min| request_time < min);

    if parsed.presigned {
        if let Some(expires_secs) = parsed.expires_secs {
            if expires_secs > MAX_PRESIGN_EXPIRES_SECS {
                return Err(expires_too_large());
            }
            if too_new {
                return Err(SigV4Error::PresignNotYetValid);
            }
            let expiry = i64::try_from(expires_secs)
                .ok()
                .and_then(TimeDelta::try_seconds)
                .and_then(|d| request_time.checked_add_signed(d));
            // No representable expiry means it lies beyond chrono's range: not expired.
            if expiry.is_some_and(|e| e < now) {
                return Err(SigV4Error::PresignExpired);
            }
            return Ok(());
        }
    }
    if too_old {
        return Err(SigV4Error::Expired { request_time, now });
    }
    if too_new {
        return Err(SigV4Error::NotYetValid { request_time, now });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn lower_hex_is_hex_encode() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(super::lower_hex(&bytes), hex::encode(&bytes));
        assert_eq!(super::lower_hex(&[]), "");
    }
}
