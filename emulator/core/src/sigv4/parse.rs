//! Finding the signature in a request (Authorization header or presigned query) and
//! checking its form: algorithm, credential scope, signed headers, dates, expiry.

use chrono::{DateTime, Utc};

use super::wire::{first_header, fmt_amz, parse_amz_date, parse_http_date, query_pairs, query_param};
use super::*;

fn date_error(value: &str) -> SigV4Error {
    SigV4Error::Incomplete(format!(
        "Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

fn split_signed_headers(value: &str) -> Vec<String> {
    value.split(';').map(|h| h.trim().to_ascii_lowercase()).collect()
}

fn check_algorithm(alg: &str) -> Result<(), SigV4Error> {
    if alg == ALGORITHM {
        Ok(())
    } else {
        Err(SigV4Error::Incomplete(format!("Unsupported AWS 'algorithm': '{alg}' (only AWS4-HMAC-SHA256 for now). ")))
    }
}

pub(super) fn check_host_signed(signed_headers: &[String]) -> Result<(), SigV4Error> {
    if signed_headers.iter().any(|h| h == "host") {
        Ok(())
    } else {
        Err(SigV4Error::HostNotSigned)
    }
}

/// Parses `AKID/YYYYMMDD/region/service/aws4_request` and checks terminator and date.
fn parse_credential(credential: &str, request_time: &DateTime<Utc>) -> Result<CredentialScope, SigV4Error> {
    let trimmed = credential.trim_end_matches('/');
    let parts: Vec<&str> = trimmed.split('/').collect();
    let [access_key, date, region, service, terminator] = parts.as_slice() else {
        return Err(SigV4Error::Incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    };
    let mut errors: Vec<String> = Vec::new();
    if *terminator != SCOPE_TERMINATOR {
        errors
            .push(format!("Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."));
    }
    let expected_date = request_time.format("%Y%m%d").to_string();
    if *date != expected_date {
        errors.push(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{expected_date}', from '{}'.",
            fmt_amz(request_time)
        ));
    }
    if !errors.is_empty() {
        return Err(SigV4Error::InvalidScope(errors.join(" ")));
    }
    Ok(CredentialScope {
        access_key: (*access_key).to_owned(),
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
    })
}

/// X-Amz-Signature, X-Amz-Expires, X-Amz-Security-Token).
pub fn parse(req: &RequestParts) -> Result<ParsedSignature, SigV4Error> {
    let authorization = first_header(req, HDR_AUTHORIZATION);
    let pairs = query_pairs(req.raw_query);
    let has_query_algorithm = pairs.iter().any(|(k, _)| k.as_slice() == Q_ALGORITHM.as_bytes());
    let has_query_signature = pairs.iter().any(|(k, _)| k.as_slice() == Q_SIGNATURE.as_bytes());

    match authorization {
        Some(_) if has_query_algorithm => Err(SigV4Error::AmbiguousAuth),
        Some(auth) => parse_header_auth(req, &auth, &pairs),
        None if has_query_algorithm || has_query_signature => parse_query_auth(req, &pairs),
        None => Err(SigV4Error::Missing),
    }
}

fn parse_header_auth(
    req: &RequestParts<'_>,
    auth: &str,
    pairs: &[(Vec<u8>, Vec<u8>)],
) -> Result<ParsedSignature, SigV4Error> {
    let (algorithm, rest) = match auth.find(|c: char| c.is_ascii_whitespace()) {
        Some(i) => auth.split_at(i),
        None => (auth, ""),
    };

    let mut credential: Option<&str> = None;
    let mut signed_headers: Option<&str> = None;
    let mut signature: Option<&str> = None;
    for piece in rest.split(|c: char| c == ',' || c.is_ascii_whitespace()).filter(|p| !p.is_empty()) {
        let Some((key, value)) = piece.split_once('=') else {
            return Err(SigV4Error::Incomplete(format!(
                "'{piece}' not a valid key=value pair (missing equal-sign) in Authorization header: '{auth}'."
            )));
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value);
        }
    }
    let credential = credential.filter(|v| !v.is_empty());
    let signed_headers = signed_headers.filter(|v| !v.is_empty());
    let signature = signature.filter(|v| !v.is_empty());

    let amz_date = first_header(req, HDR_AMZ_DATE);
    let http_date = first_header(req, HDR_DATE);

    let mut msg = String::new();
    if credential.is_none() {
        msg.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if signature.is_none() {
        msg.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if signed_headers.is_none() {
        msg.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if amz_date.is_none() && http_date.is_none() {
        msg.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
    }
    let (Some(credential), Some(signed_headers), Some(signature)) = (credential, signed_headers, signature) else {
        msg.push_str("Authorization=");
        msg.push_str(auth);
        return Err(SigV4Error::Incomplete(msg));
    };
    if !msg.is_empty() {
        msg.push_str("Authorization=");
        msg.push_str(auth);
        return Err(SigV4Error::Incomplete(msg));
    }

    let request_time = match (&amz_date, &http_date) {
        (Some(v), _) => parse_amz_date(v).ok_or_else(|| date_error(v))?,
        (None, Some(v)) => parse_http_date(v).ok_or_else(|| date_error(v))?,
        (None, None) => return Err(SigV4Error::Missing), // unreachable: checked above
    };

    let signed_headers = split_signed_headers(signed_headers);
    check_host_signed(&signed_headers)?;
    check_algorithm(algorithm)?;
    let scope = parse_credential(credential, &request_time)?;

    let security_token = first_header(req, HDR_SECURITY_TOKEN)
        .or_else(|| query_param(pairs, Q_SECURITY_TOKEN).filter(|t| !t.is_empty()));

    Ok(ParsedSignature {
        scope,
        signed_headers,
        signature: signature.to_owned(),
        request_time,
        security_token,
        presigned: false,
        expires_secs: None,
    })
}

fn parse_expires(value: &str) -> Result<u64, SigV4Error> {
    let v = value.trim();
    if let Ok(n) = v.parse::<u64>() {
        if n > MAX_PRESIGN_EXPIRES_SECS {
            return Err(expires_too_large());
        }
        return Ok(n);
    }
    let digits = v.strip_prefix('-').unwrap_or(v);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if v.starts_with('-') {
            return Err(SigV4Error::InvalidExpires("X-Amz-Expires must be non-negative".to_owned()));
        }
        // All digits but larger than u64.
        return Err(expires_too_large());
    }
    Err(SigV4Error::InvalidExpires("X-Amz-Expires should be a number".to_owned()))
}

pub(super) fn expires_too_large() -> SigV4Error {
    SigV4Error::InvalidExpires(format!(
        "X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGN_EXPIRES_SECS}"
    ))
}

fn parse_query_auth(req: &RequestParts<'_>, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<ParsedSignature, SigV4Error> {
    let get = |name: &str| query_param(pairs, name).filter(|v| !v.is_empty());
    let algorithm = get(Q_ALGORITHM);
    let credential = get(Q_CREDENTIAL);
    let signature = get(Q_SIGNATURE);
    let signed_headers = get(Q_SIGNED_HEADERS);
    let amz_date = get(Q_DATE);

    let mut msg = String::new();
    for (name, present) in [
        (Q_ALGORITHM, algorithm.is_some()),
        (Q_CREDENTIAL, credential.is_some()),
        (Q_SIGNATURE, signature.is_some()),
        (Q_SIGNED_HEADERS, signed_headers.is_some()),
        (Q_DATE, amz_date.is_some()),
    ] {
        if !present {
            msg.push_str("AWS query-string parameters must include '");
            msg.push_str(name);
            msg.push_str("'. ");
        }
    }
    let (Some(algorithm), Some(credential), Some(signature), Some(signed_headers), Some(amz_date)) =
        (algorithm, credential, signature, signed_headers, amz_date)
    else {
        msg.push_str("Re-examine the query-string parameters.");
        return Err(SigV4Error::Incomplete(msg));
    };

    let request_time = parse_amz_date(&amz_date).ok_or_else(|| date_error(&amz_date))?;
    let expires_secs = match query_param(pairs, Q_EXPIRES) {
        Some(v) => Some(parse_expires(&v)?),
        None => None,
    };
    let signed_headers = split_signed_headers(&signed_headers);
    check_host_signed(&signed_headers)?;
    check_algorithm(&algorithm)?;
    let scope = parse_credential(&credential, &request_time)?;

    let security_token = query_param(pairs, Q_SECURITY_TOKEN)
        .filter(|t| !t.is_empty())
        .or_else(|| first_header(req, HDR_SECURITY_TOKEN));

    Ok(ParsedSignature {
        scope,
        signed_headers,
        signature,
        request_time,
        security_token,
        presigned: true,
        expires_secs,
    })
}

/// Checks the scope's region and service against what this endpoint serves; the message
/// is AWS's ("Credential should be scoped to a valid region, not 'x'. Credential should
/// be scoped to correct service: 'ec2'.").
pub fn check_scope(parsed: &ParsedSignature, expected_region: &str, expected_service: &str) -> Result<(), SigV4Error> {
    let mut errors: Vec<String> = Vec::new();
    if parsed.scope.region != expected_region {
        errors.push(format!("Credential should be scoped to a valid region, not '{}'.", parsed.scope.region));
    }
    if parsed.scope.service != expected_service {
        errors.push(format!("Credential should be scoped to correct service: '{expected_service}'."));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(SigV4Error::InvalidScope(errors.join(" ")))
    }
}
