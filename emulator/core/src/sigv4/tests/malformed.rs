//! Malformed and hostile input: refused with AWS's wording, never a panic.

use super::presigned::presign_params;
use super::round_trip::header_parsed;
use super::*;

// -- malformed input --------------------------------------------------------

fn with_auth(auth: &str) -> Req {
    Req::new("GET", "/").header("Host", HOST).header("X-Amz-Date", DATE).header("Authorization", auth)
}

fn incomplete(req: &Req) -> String {
    match req.parse() {
        Err(SigV4Error::Incomplete(m)) => m,
        other => panic!("expected Incomplete, got {other:?}"),
    }
}

#[test]
fn missing_and_ambiguous() {
    let none = Req::new("GET", "/?Action=DescribeRegions").header("Host", HOST);
    assert_eq!(none.parse().map(|_| ()), Err(SigV4Error::Missing));
    assert_eq!(SigV4Error::Missing.to_string(), "Request is missing Authentication Token");
    assert_eq!(SigV4Error::Missing.aws_code(), "MissingAuthenticationToken");
    let empty = none.clone().header("Authorization", "   ");
    assert_eq!(empty.parse().map(|_| ()), Err(SigV4Error::Missing));

    let both = Req::new("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256")
        .header("Host", HOST)
        .header("Authorization", &suite_auth("host", "00"));
    let err = both.parse().map(|_| ());
    assert_eq!(err, Err(SigV4Error::AmbiguousAuth));
    assert_eq!(
        SigV4Error::AmbiguousAuth.to_string(),
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    );
}

#[test]
fn incomplete_authorization_header_cases() {
    // Everything missing, including the date.
    let no_date = Req::new("GET", "/").header("Host", HOST).header("Authorization", "AWS4-HMAC-SHA256");
    assert_eq!(
        incomplete(&no_date),
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"
    );
    // SigV2 header (CloudFront's answer in aws/aws-sdk-ruby#317).
    let v2 = Req::new("GET", "/")
        .header("Host", HOST)
        .header("Date", "Thu, 25 Jul 2013 18:00:00 GMT")
        .header("Authorization", "AWS AKIAI2HBJEUM7LRSTWOQ:qaNdqGsI6bq4Hi+9Gzovwyjbh0E=");
    assert_eq!(
        incomplete(&v2),
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS AKIAI2HBJEUM7LRSTWOQ:qaNdqGsI6bq4Hi+9Gzovwyjbh0E="
    );
    // Only the credential (amazonka#316).
    assert_eq!(
        incomplete(&with_auth("AWS4-HMAC-SHA256 Credential=ABCDEF")),
        "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=ABCDEF"
    );
    // Empty values count as missing.
    assert_eq!(
        incomplete(&with_auth(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=, Signature=abc"
        )),
        "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=, Signature=abc"
    );
    // A stray space inside the credential (aws/aws-sdk-go#289).
    let auth = "AWS4-HMAC-SHA256 Credential=AKIAXXXXXXXXXX /20150830/us-east-1/cloudformation/aws4_request, SignedHeaders=host;x-amz-date, Signature=240c93ba3610c73bde4e52dd5a93dd61a80b3ba2871208d7365c9cc7032d5c6f";
    assert_eq!(
        incomplete(&with_auth(auth)),
        format!(
            "'/20150830/us-east-1/cloudformation/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '{auth}'."
        )
    );
    // Bearer tokens (API Gateway's wording).
    assert_eq!(
        incomplete(&with_auth("Bearer abc.def")),
        "'abc.def' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer abc.def'."
    );
    // Unsupported algorithm (SigV4a).
    assert_eq!(
        incomplete(&with_auth(
            "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20150830/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045"
        )),
        "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). "
    );
    // Bad date formats.
    let bad_date = Req::new("GET", "/")
        .header("Host", HOST)
        .header("X-Amz-Date", "201")
        .header("Authorization", &suite_auth("host;x-amz-date", "00"));
    assert_eq!(
        incomplete(&bad_date),
        "Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601"
    );
    let bad_http_date = Req::new("GET", "/")
        .header("Host", HOST)
        .header("Date", "yesterday")
        .header("Authorization", &suite_auth("date;host", "00"));
    assert_eq!(
        incomplete(&bad_http_date),
        "Date must be in ISO-8601 'basic format'. Got 'yesterday'. See http://en.wikipedia.org/wiki/ISO_8601"
    );
    for bad in ["20150830T123600", "2015-08-30T12:36:00Z", "20151330T123600Z", "20150830T246000Z", "２0150830T123600Z"]
    {
        let req = Req::new("GET", "/")
            .header("Host", HOST)
            .header("X-Amz-Date", bad)
            .header("Authorization", &suite_auth("host;x-amz-date", "00"));
        assert!(incomplete(&req).starts_with("Date must be in ISO-8601 'basic format'."), "{bad}");
    }
    // Credential with the wrong number of elements.
    assert_eq!(
        incomplete(&with_auth("AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host;x-amz-date, Signature=00")),
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'"
    );
    let err = with_auth("AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host, Signature=00").parse().map(|_| ());
    let Err(err) = err else { panic!("expected error") };
    assert_eq!(err.aws_code(), "IncompleteSignature");
    assert_eq!(err.json_error_type(), "IncompleteSignatureException");
    assert_eq!(err.http_status(), 400);
    // Trailing slashes are ignored.
    let trailing = with_auth(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request/, SignedHeaders=host;x-amz-date, Signature=00",
    );
    assert!(trailing.parse().is_ok());
}

#[test]
fn credential_scope_errors() {
    let scope_err = |cred: &str| match with_auth(&format!(
        "AWS4-HMAC-SHA256 Credential={cred}, SignedHeaders=host;x-amz-date, Signature=00"
    ))
    .parse()
    {
        Err(SigV4Error::InvalidScope(m)) => m,
        other => panic!("expected InvalidScope, got {other:?}"),
    };
    assert_eq!(
        scope_err("AKIDEXAMPLE/20150830/us-east-1/service/aws5_request"),
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."
    );
    assert_eq!(
        scope_err("AKIDEXAMPLE/20150831/us-east-1/service/aws4_request"),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'."
    );
    assert_eq!(
        scope_err("AKIDEXAMPLE/b/us-east-1/service/e"),
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: 'b' != '20150830', from '20150830T123600Z'."
    );

    let parsed = header_parsed(DATE);
    assert_eq!(check_scope(&parsed, "us-east-1", "service"), Ok(()));
    assert_eq!(
        check_scope(&parsed, "eu-west-1", "ec2").map_err(|e| e.to_string()),
        Err("Credential should be scoped to a valid region, not 'us-east-1'. Credential should be scoped to correct service: 'ec2'.".to_owned())
    );
    let Err(err) = check_scope(&parsed, "eu-west-1", "service") else {
        panic!("expected error");
    };
    assert_eq!(err.aws_code(), "SignatureDoesNotMatch");
}

#[test]
fn host_must_be_signed() {
    let req = with_auth(&suite_auth("x-amz-date", "00"));
    assert_eq!(req.parse().map(|_| ()), Err(SigV4Error::HostNotSigned));
    assert_eq!(
        SigV4Error::HostNotSigned.to_string(),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
    // SignedHeaders names are case-insensitive.
    let upper = with_auth(&suite_auth("Host;X-Amz-Date", "00"));
    assert_eq!(upper.parse().map(|p| p.signed_headers), Ok(vec!["host".to_owned(), "x-amz-date".to_owned()]));
    let presigned = Req::new(
        "GET",
        "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=x-amz-date&X-Amz-Signature=00",
    );
    assert_eq!(presigned.parse().map(|_| ()), Err(SigV4Error::HostNotSigned));
    // verify_signature re-checks a hand-built ParsedSignature.
    let mut parsed = header_parsed(DATE);
    parsed.signed_headers.retain(|h| h != "host");
    let req = Req::new("GET", "/").header("Host", HOST);
    assert_eq!(req.with(|r| verify_signature(r, &parsed, SECRET)), Err(SigV4Error::HostNotSigned));
}

#[test]
fn incomplete_query_cases() {
    let q = |query: &str| incomplete(&Req::new("GET", &format!("/?{query}")).header("Host", HOST));
    assert_eq!(
        q("X-Amz-Signature=abc"),
        "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
    );
    assert_eq!(
        q("X-Amz-Algorithm=AWS4-HMAC-SHA256"),
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
    );
    assert_eq!(
        q(
            "X-Amz-Algorithm=&X-Amz-Credential=a%2Fb%2Fc%2Fd%2Fe&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
        ),
        "AWS query-string parameters must include 'X-Amz-Algorithm'. Re-examine the query-string parameters."
    );
    assert_eq!(
        q(
            "X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=a%2Fb%2Fc%2Fd%2Fe&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
        ),
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1' (only AWS4-HMAC-SHA256 for now). "
    );
    assert_eq!(
        q(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
        ),
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b'"
    );
    assert_eq!(
        q(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb%2Fc%2Fd%2Fe&X-Amz-Date=2015&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
        ),
        "Date must be in ISO-8601 'basic format'. Got '2015'. See http://en.wikipedia.org/wiki/ISO_8601"
    );
}

#[test]
fn non_utf8_header_values_do_not_panic() {
    let req = Req::new("GET", "/")
        .header("Host", HOST)
        .header("X-Amz-Date", DATE)
        .header_bytes("X-Latin", b"caf\xe9 \xff\xfe");
    let auth = req.sign(&["host", "x-amz-date", "x-latin"]);
    let req = req.header("Authorization", &auth);
    assert!(req.canonical().contains("\nx-latin:caf\u{e9} \u{ff}\u{fe}\n"));
    assert_eq!(req.verify(SECRET), Ok(()));
    let bad_auth = Req::new("GET", "/")
        .header("Host", HOST)
        .header("X-Amz-Date", DATE)
        .header_bytes("Authorization", b"AWS4-HMAC-SHA256 Credential=\xff\xfe");
    assert!(matches!(bad_auth.parse(), Err(SigV4Error::Incomplete(_))));
    let bad_date = Req::new("GET", "/")
        .header("Host", HOST)
        .header_bytes("X-Amz-Date", b"\xff\xff\xff\xff\xff\xff\xff\xffT\xff\xff\xff\xff\xff\xffZ")
        .header("Authorization", &suite_auth("host;x-amz-date", "00"));
    assert!(matches!(bad_date.parse(), Err(SigV4Error::Incomplete(_))));
}

/// xorshift64* — deterministic pseudo-random bytes for the fuzz-ish test.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n).map(|_| (self.next() >> 32) as u8).collect()
    }
}

#[test]
fn fuzzish_malformed_input_never_panics() {
    const TOKENS: &[&str] = &[
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 ",
        "Credential=",
        "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
        "SignedHeaders=",
        "SignedHeaders=host;x-amz-date",
        "Signature=",
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ",",
        ", ",
        " ",
        "=",
        "==",
        "/",
        "//",
        ";",
        "\t",
        "\u{1234}",
        "é",
        "%",
        "%zz",
        "%E1%88",
        "X-Amz-Algorithm=",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request",
        "X-Amz-Date=20150830T123600Z",
        "X-Amz-Date=99999999T999999Z",
        "X-Amz-SignedHeaders=host",
        "X-Amz-Signature=00",
        "X-Amz-Expires=",
        "X-Amz-Expires=-1",
        "X-Amz-Expires=99999999999999999999999",
        "X-Amz-Security-Token=",
        "&",
        "&&",
        "?",
        "#",
        "..",
        ".",
        "a",
        "AKID/20150830/////",
        "aws4_request",
    ];
    const DATES: &[&str] = &[
        "20150830T123600Z",
        "",
        "0",
        "99991231T235959Z",
        "00000101T000000Z",
        "20150830T123660Z",
        "Sun, 30 Aug 2015 12:36:00 GMT",
        "\u{1234}",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut outcomes = 0usize;
    for round in 0..600 {
        let mut auth = String::new();
        let mut query = String::new();
        for _ in 0..rng.below(12) {
            auth.push_str(rng.pick(TOKENS));
            query.push_str(rng.pick(TOKENS));
            if rng.below(3) == 0 {
                query.push('&');
            }
        }
        let mut req = Req::new(rng.pick(&["GET", "POST", "", "\u{1234}"]), "/").header("Host", HOST);
        req.path = String::from_utf8_lossy(&rng.bytes(24)).into_owned();
        if round % 3 != 0 {
            req = req.header("Authorization", &auth);
        }
        if round % 5 == 0 {
            req = req.header_bytes("Authorization", &rng.bytes(64));
        }
        req.query = query;
        let date = rng.pick(DATES);
        req = req
            .header(rng.pick(&["X-Amz-Date", "Date", "x-amz-date"]), date)
            .header_bytes("X-Amz-Content-Sha256", &rng.bytes(3))
            .header_bytes("X-Amz-Security-Token", &rng.bytes(8))
            .body(&rng.bytes(32));
        let now = t(DATE);
        let result = req.with(|r| {
            let _ = canonical_uri(r.raw_path);
            let _ = canonical_query(r.raw_query, true);
            let p = parse(r)?;
            let _ = canonical_request(r, &p);
            let _ = string_to_sign(&p, "x");
            let _ = check_scope(&p, "us-east-1", "service");
            let _ = check_time(&p, now);
            let _ = check_time(&p, DateTime::<Utc>::MAX_UTC);
            let _ = check_time(&p, DateTime::<Utc>::MIN_UTC);
            verify_signature(r, &p, SECRET)
        });
        if let Err(e) = result {
            let _ = (e.to_string(), e.detailed_message(), e.aws_code(), e.http_status());
        }
        outcomes += 1;
    }
    assert_eq!(outcomes, 600);
    // Raw random bytes as the whole Authorization header and query.
    for _ in 0..300 {
        let auth = rng.bytes(80);
        let query = String::from_utf8_lossy(&rng.bytes(80)).into_owned();
        let req = Req { query, ..Req::new("GET", "/").header("Host", HOST).header("X-Amz-Date", DATE) }
            .header_bytes("Authorization", &auth);
        let _ = req.with(|r| parse(r).and_then(|p| verify_signature(r, &p, SECRET)));
    }
    // Helpers never panic on odd input either.
    let odd = Req::new("GET", "/").header("Host", HOST);
    let _ = odd.with(|r| sign_authorization(r, "", "", "\u{1234}x", "", "", &["", "HOST", "host"]));
    let _ = odd.with(|r| presign_query(r, &PresignParams { amz_date: "é", ..presign_params(0) }));
    let _ = signing_key("", "", "", "");
}
