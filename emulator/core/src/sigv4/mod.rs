//! AWS Signature Version 4 verification for the non-S3 services nimbus emulates
//! (EC2, CloudWatch, STS).
//!
//! Everything here is a pure function: no I/O, no clocks (the caller passes `now`),
//! no global state, no `unsafe`, and no panics on any input.
//!
//! # Flow on the server
//!
//! ```text
//! let parsed = sigv4::parse(&req)?;                 // Missing / Incomplete / InvalidScope / HostNotSigned ...
//! sigv4::check_scope(&parsed, region, "ec2")?;      // optional: region / service of this endpoint
//! sigv4::check_time(&parsed, now)?;                 // Expired / NotYetValid / PresignExpired ...
//! let secret = lookup(&parsed.scope.access_key)?;   // the server's own key store
//! sigv4::verify_signature(&req, &parsed, &secret)?; // SignatureMismatch / ContentHashMismatch
//! ```
//!
//! # Decisions on behaviour AWS does not document
//!
//! * **Header values are bytes.** A value that is valid UTF-8 is used as is; any other
//!   value is decoded as ISO-8859-1 (each byte becomes U+0000..U+00FF). That is what
//!   botocore effectively signs for a Latin-1 header value, and it never panics.
//! * **Header whitespace.** Values are trimmed and every run of ASCII whitespace
//!   (space, tab, CR, LF, i.e. also obsolete line folding) becomes one space, as in
//!   botocore, the Java and JS SDKs and the `get-header-value-multiline` vector.
//! * **SignedHeaders** are lower-cased and used in the order the client listed them; an
//!   unsorted list is not rejected (the signature simply has to match what the client
//!   computed over that order). A signed header missing from the request canonicalises
//!   to an empty value, which makes the signature fail.
//! * **Query strings.** Empty `&&` segments are skipped; a parameter without `=` gets an
//!   empty value; malformed `%` escapes are kept literally (and so re-encoded as `%25`);
//!   `+` is a literal plus, never a space.
//! * **Paths** are normalised on the raw (still encoded) path, so `%2E%2E` is *not* a dot
//!   segment, exactly like botocore; the result always starts with `/`.
//! * **Presigned payload hash.** Presigned requests are first checked with
//!   `UNSIGNED-PAYLOAD` (what the SDK presigners for S3/aws-sdk-rust send) and, if that
//!   does not match, with the SHA-256 of the body (what botocore's non-S3 `SigV4QueryAuth`
//!   and the aws-c-auth presigned vectors use). [`canonical_request`] reports the
//!   `UNSIGNED-PAYLOAD` form.
//! * **Time window** is inclusive: a request exactly 15 minutes early or late passes,
//!   one second more fails (AWS words it "is now earlier than" / "is still later than").
//! * **X-Amz-Expires** absent on a presigned request: the ±15 minute header rule applies.
//! * **Authorization** with an unknown scheme (`AWS ...` SigV2, `Basic`, `Bearer`) is an
//!   `IncompleteSignature`, as API Gateway and CloudFront answer; several
//!   Authorization headers: the first non-empty one is used.

mod canonical;
mod error;
mod parse;
mod sign;
mod verify;
mod wire;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

pub use canonical::{
    canonical_query, canonical_request, canonical_request_with_payload_hash, canonical_uri, string_to_sign,
};
pub use error::SigV4Error;
pub use parse::{check_scope, parse};
pub use sign::{presign_query, sign_authorization};
pub use verify::{check_time, signing_key, verify_signature, verify_signature_with_key};

/// The only algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Payload hash literal for unsigned bodies.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Allowed clock skew for header-signed requests (and future skew of presigned ones).
pub const MAX_SKEW_SECS: i64 = 15 * 60;
/// Largest `X-Amz-Expires` AWS accepts (seven days).
pub const MAX_PRESIGN_EXPIRES_SECS: u64 = 604_800;

const AMZ_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";
const SCOPE_TERMINATOR: &str = "aws4_request";

const HDR_AUTHORIZATION: &str = "authorization";
const HDR_AMZ_DATE: &str = "x-amz-date";
const HDR_DATE: &str = "date";
const HDR_SECURITY_TOKEN: &str = "x-amz-security-token";
const HDR_CONTENT_SHA256: &str = "x-amz-content-sha256";

const Q_ALGORITHM: &str = "X-Amz-Algorithm";
const Q_CREDENTIAL: &str = "X-Amz-Credential";
const Q_DATE: &str = "X-Amz-Date";
const Q_SIGNED_HEADERS: &str = "X-Amz-SignedHeaders";
const Q_SIGNATURE: &str = "X-Amz-Signature";
const Q_EXPIRES: &str = "X-Amz-Expires";
const Q_SECURITY_TOKEN: &str = "X-Amz-Security-Token";

/// SigV4 "URI encode": everything but `A-Z a-z 0-9 - _ . ~` becomes `%XX` (upper-case).
const QUERY_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// Same as [`QUERY_ENCODE_SET`] but `/` is kept (path encoding).
const PATH_ENCODE_SET: &AsciiSet = &QUERY_ENCODE_SET.remove(b'/');

const MSG_SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// One HTTP request as the server received it.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// HTTP method as received, e.g. `"GET"`.
    pub method: &'a str,
    /// As on the wire, still percent-encoded, e.g. "/" or "/service/X/operation/Y".
    pub raw_path: &'a str,
    /// As on the wire without '?', may be "".
    pub raw_query: &'a str,
    /// Every header in order received; names in any case; a name may repeat.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The request body.
    pub body: &'a [u8],
}

/// The credential scope `AKID/YYYYMMDD/region/service/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    /// Access key id.
    pub access_key: String,
    /// `YYYYMMDD`.
    pub date: String,
    /// Region, e.g. `us-east-1`.
    pub region: String,
    /// Signing name of the service, e.g. `ec2`.
    pub service: String,
}

/// What a successfully parsed (not yet verified) signature says.
#[derive(Debug, Clone)]
pub struct ParsedSignature {
    /// The credential scope.
    pub scope: CredentialScope,
    /// Lower-case, as the client listed them.
    pub signed_headers: Vec<String>,
    /// Hex signature as sent.
    pub signature: String,
    /// From X-Amz-Date (or the Date header when no X-Amz-Date).
    pub request_time: DateTime<Utc>,
    /// X-Amz-Security-Token header or query param.
    pub security_token: Option<String>,
    /// True for the query-string (presigned URL) form.
    pub presigned: bool,
    /// X-Amz-Expires for presigned requests.
    pub expires_secs: Option<u64>,
}

/// Parameters for [`presign_query`].
#[derive(Debug, Clone, Copy)]
pub struct PresignParams<'a> {
    /// Access key id.
    pub access_key: &'a str,
    /// Secret access key.
    pub secret: &'a str,
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
    /// X-Amz-Expires.
    pub expires_secs: u64,
    /// Region.
    pub region: &'a str,
    /// Service signing name.
    pub service: &'a str,
    /// Optional session token (sent as X-Amz-Security-Token, and signed as a query param).
    pub security_token: Option<&'a str>,
    /// Headers to sign; `host` is always included.
    pub signed_headers: &'a [&'a str],
}
