//! Requests signed here and verified here, mismatches, session tokens, the time window.

use super::vectors::{vector_request, Vector, VECTORS};
use super::*;

// -- round trips ---------------------------------------------------------

fn ec2_request() -> Req {
    let body = b"Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-0123456789abcdef0";
    let req = Req::new("POST", "/")
        .header("Host", "ec2.us-east-1.amazonaws.com")
        .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
        .header("X-Amz-Date", DATE)
        .header("X-Amz-Content-Sha256", &sha256_hex(body))
        .header("X-Custom", "  spaced    value ")
        .body(body);
    let auth = req.with(|r| {
        sign_authorization(
            r,
            KEY,
            SECRET,
            DATE,
            "us-east-1",
            "ec2",
            &["X-Custom", "content-type", "host", "x-amz-date", "x-amz-content-sha256"],
        )
    });
    req.header("Authorization", &auth)
}

fn mismatch(req: &Req) -> bool {
    matches!(req.verify(SECRET), Err(SigV4Error::SignatureMismatch { .. }))
}

#[test]
fn round_trip_header_auth() {
    let req = ec2_request();
    let parsed = req.parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.signed_headers, ["content-type", "host", "x-amz-content-sha256", "x-amz-date", "x-custom"]);
    assert_eq!(parsed.scope.service, "ec2");
    assert_eq!(req.verify(SECRET), Ok(()));
    assert_eq!(check_scope(&parsed, "us-east-1", "ec2"), Ok(()));

    // Body flipped: the x-amz-content-sha256 check catches it.
    let mut body = req.clone();
    if let Some(b) = body.body.first_mut() {
        *b ^= 1;
    }
    assert_eq!(body.verify(SECRET), Err(SigV4Error::ContentHashMismatch));

    // Wrong secret.
    assert!(matches!(
        req.verify("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ"),
        Err(SigV4Error::SignatureMismatch { .. })
    ));

    // A signed header changed.
    let mut header = req.clone();
    for (n, v) in &mut header.headers {
        if n == "X-Custom" {
            *v = b"spaced value!".to_vec();
        }
    }
    assert!(mismatch(&header));

    // Whitespace-only differences in a signed header still verify.
    let mut ws = req.clone();
    for (n, v) in &mut ws.headers {
        if n == "X-Custom" {
            *v = b"spaced\tvalue".to_vec();
        }
    }
    assert_eq!(ws.verify(SECRET), Ok(()));

    // Unsigned headers can change freely.
    let extra = req.clone().header("User-Agent", "whatever");
    assert_eq!(extra.verify(SECRET), Ok(()));

    // Query or path changed.
    let query = Req { query: "Action=RunInstances".into(), ..req.clone() };
    assert!(mismatch(&query));
    let path = Req { path: "/x".into(), ..req.clone() };
    assert!(mismatch(&path));
    let method = Req { method: "PUT".into(), ..req.clone() };
    assert!(mismatch(&method));

    // Header names match case-insensitively.
    let mut lower = req.clone();
    for (n, _) in &mut lower.headers {
        *n = n.to_ascii_uppercase();
    }
    assert_eq!(lower.verify(SECRET), Ok(()));
}

#[test]
fn round_trip_without_content_sha_header() {
    let body = b"{\"Namespace\":\"AWS/EC2\"}";
    let base = Req::new("POST", "/service/GraniteServiceVersion20100801/operation/ListMetrics")
        .header("Host", "monitoring.us-east-1.amazonaws.com")
        .header("X-Amz-Date", DATE)
        .body(body);
    let auth =
        base.with(|r| sign_authorization(r, KEY, SECRET, DATE, "us-east-1", "monitoring", &["host", "x-amz-date"]));
    let req = base.header("Authorization", &auth);
    assert_eq!(req.verify(SECRET), Ok(()));
    let mut flipped = req.clone();
    if let Some(b) = flipped.body.last_mut() {
        *b ^= 0x20;
    }
    assert!(mismatch(&flipped));
    // UNSIGNED-PAYLOAD is accepted as a payload hash for header auth.
    let unsigned = Req::new("POST", "/")
        .header("Host", HOST)
        .header("X-Amz-Date", DATE)
        .header("X-Amz-Content-Sha256", UNSIGNED_PAYLOAD)
        .body(b"whatever");
    let auth = unsigned.sign(&["host", "x-amz-content-sha256", "x-amz-date"]);
    let unsigned = unsigned.header("Authorization", &auth);
    assert_eq!(unsigned.verify(SECRET), Ok(()));
    assert!(unsigned.canonical().ends_with("\nUNSIGNED-PAYLOAD"));
}

#[test]
fn signature_mismatch_carries_canonical_request_and_string_to_sign() {
    let req = vector_request(&VECTORS[14]); // get-vanilla
    let Err(err) = req.verify("bad") else {
        panic!("expected mismatch");
    };
    let SigV4Error::SignatureMismatch { canonical_request, string_to_sign } = &err else {
        panic!("expected mismatch, got {err:?}");
    };
    assert_eq!(canonical_request, VECTORS[14].creq.unwrap_or_default());
    assert!(string_to_sign.ends_with("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"));
    assert_eq!(err.to_string(), MSG_SIGNATURE_MISMATCH);
    assert!(err
        .detailed_message()
        .contains("\n\nThe Canonical String for this request should have been\n'GET\n/\n\nhost:"));
    assert!(err.detailed_message().contains("\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n"));
    assert_eq!(err.aws_code(), "SignatureDoesNotMatch");
    assert_eq!(err.json_error_type(), "InvalidSignatureException");
    assert_eq!(err.http_status(), 403);
    // A signature of a different length or case is a mismatch, not a panic.
    let short = vector_request(&Vector { signature: "5fa0", ..VECTORS[14] });
    assert!(mismatch(&short));
    let upper = vector_request(&Vector {
        signature: "5FA00FA31553B73EBF1942676E86291E8372FF2A2260956D9B8AAE1D763FBF31",
        ..VECTORS[14]
    });
    assert!(mismatch(&upper));
}

#[test]
fn content_hash_mismatch() {
    let req = Req::new("POST", "/")
        .header("Host", HOST)
        .header("X-Amz-Date", DATE)
        .header("X-Amz-Content-Sha256", EMPTY_SHA)
        .body(b"not empty");
    let auth = req.sign(&["host", "x-amz-content-sha256", "x-amz-date"]);
    let req = req.header("Authorization", &auth);
    let err = req.verify(SECRET);
    assert_eq!(err, Err(SigV4Error::ContentHashMismatch));
    assert_eq!(
        SigV4Error::ContentHashMismatch.to_string(),
        "The provided 'x-amz-content-sha256' header does not match what was computed."
    );
    let creq = req.with(|r| {
        let p = parse(r).unwrap_or_else(|e| panic!("{e}"));
        canonical_request(r, &p)
    });
    assert_eq!(creq, Err(SigV4Error::ContentHashMismatch));
    // Unsigned x-amz-content-sha256 is still checked.
    let garbage = Req::new("POST", "/")
        .header("Host", HOST)
        .header("X-Amz-Date", DATE)
        .header("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    let auth = garbage.sign(&["host", "x-amz-date"]);
    let garbage = garbage.header("Authorization", &auth);
    assert_eq!(garbage.verify(SECRET), Err(SigV4Error::ContentHashMismatch));
}

#[test]
fn session_token_header_signed() {
    let req = Req::new("POST", "/")
        .header("Host", "sts.amazonaws.com")
        .header("X-Amz-Date", DATE)
        .header("X-Amz-Security-Token", STS_TOKEN)
        .body(b"Action=GetCallerIdentity&Version=2011-06-15");
    let auth = req.with(|r| {
        sign_authorization(r, KEY, SECRET, DATE, "us-east-1", "sts", &["host", "x-amz-date", "x-amz-security-token"])
    });
    let req = req.header("Authorization", &auth);
    let parsed = req.parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.security_token.as_deref(), Some(STS_TOKEN));
    assert!(parsed.signed_headers.iter().any(|h| h == "x-amz-security-token"));
    assert_eq!(req.verify(SECRET), Ok(()));
    let mut other = req.clone();
    for (n, v) in &mut other.headers {
        if n == "X-Amz-Security-Token" {
            *v = b"another-token".to_vec();
        }
    }
    assert!(mismatch(&other));
}

// -- time window ----------------------------------------------------------

pub(super) fn header_parsed(amz_date: &str) -> ParsedSignature {
    let req = Req::new("GET", "/").header("Host", HOST).header("X-Amz-Date", amz_date);
    let auth =
        req.with(|r| sign_authorization(r, KEY, SECRET, amz_date, "us-east-1", "service", &["host", "x-amz-date"]));
    req.header("Authorization", &auth).parse().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn time_window_is_fifteen_minutes_inclusive() {
    let now = t("20261126T163000Z");
    for ok in ["20261126T163000Z", "20261126T161500Z", "20261126T164500Z", "20261126T162959Z"] {
        assert_eq!(check_time(&header_parsed(ok), now), Ok(()), "{ok}");
    }
    let err = check_time(&header_parsed("20261126T161459Z"), now);
    assert!(matches!(err, Err(SigV4Error::Expired { .. })));
    let err = check_time(&header_parsed("20261126T164501Z"), now);
    assert!(matches!(err, Err(SigV4Error::NotYetValid { .. })));

    // 20 minutes off either way, with AWS's exact wording.
    let past = check_time(&header_parsed("20261126T161000Z"), now);
    assert_eq!(
        past.map_err(|e| e.to_string()),
        Err("Signature expired: 20261126T161000Z is now earlier than 20261126T161500Z (20261126T163000Z - 15 min.)"
            .to_owned())
    );
    let future = check_time(&header_parsed("20261126T165000Z"), now);
    assert_eq!(
        future.map_err(|e| e.to_string()),
        Err("Signature not yet current: 20261126T165000Z is still later than 20261126T164500Z (20261126T163000Z + 15 min.)".to_owned())
    );
    // The examples from the brief.
    assert_eq!(
        SigV4Error::Expired { request_time: t("20261126T160000Z"), now }.to_string(),
        "Signature expired: 20261126T160000Z is now earlier than 20261126T161500Z (20261126T163000Z - 15 min.)"
    );
    assert_eq!(
        SigV4Error::NotYetValid { request_time: t("20261126T170000Z"), now }.to_string(),
        "Signature not yet current: 20261126T170000Z is still later than 20261126T164500Z (20261126T163000Z + 15 min.)"
    );
    // Extreme times never panic.
    let mut far = header_parsed("20261126T163000Z");
    far.request_time = DateTime::<Utc>::MAX_UTC;
    assert!(matches!(check_time(&far, DateTime::<Utc>::MIN_UTC), Err(SigV4Error::NotYetValid { .. })));
    far.request_time = DateTime::<Utc>::MIN_UTC;
    assert!(check_time(&far, DateTime::<Utc>::MAX_UTC).is_err());
    let _ = SigV4Error::Expired { request_time: DateTime::<Utc>::MIN_UTC, now: DateTime::<Utc>::MIN_UTC }.to_string();
    far.presigned = true;
    far.expires_secs = Some(604_800);
    far.request_time = DateTime::<Utc>::MAX_UTC;
    assert!(check_time(&far, DateTime::<Utc>::MAX_UTC).is_ok());
}

#[test]
fn date_header_fallback() {
    let req = Req::new("GET", "/").header("Host", HOST).header("Date", "Sun, 30 Aug 2015 12:36:00 GMT");
    let auth = req.sign(&["date", "host"]);
    let req = req.header("Authorization", &auth);
    let parsed = req.parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.request_time, t(DATE));
    assert_eq!(req.verify(SECRET), Ok(()));
    // X-Amz-Date wins over Date.
    let both = Req::new("GET", "/")
        .header("Host", HOST)
        .header("Date", "Mon, 31 Aug 2015 12:36:00 GMT")
        .header("X-Amz-Date", DATE);
    let auth = both.sign(&["host", "x-amz-date"]);
    let both = both.header("Authorization", &auth);
    assert_eq!(both.parse().map(|p| p.request_time), Ok(t(DATE)));
}
