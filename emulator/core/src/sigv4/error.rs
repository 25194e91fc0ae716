//! What can go wrong, worded as AWS words it, with the codes and statuses of each protocol.

use chrono::{DateTime, Utc};

use super::wire::{fmt_amz, fmt_amz_offset};
use super::{MAX_SKEW_SECS, MSG_SIGNATURE_MISMATCH};

/// Everything that can go wrong. `Display` is AWS's message; [`SigV4Error::aws_code`],
/// [`SigV4Error::json_error_type`] and [`SigV4Error::http_status`] give the rest of
/// the error response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// Neither an Authorization header nor `X-Amz-Algorithm`/`X-Amz-Signature` query params.
    #[error("Request is missing Authentication Token")]
    Missing,
    /// Both an Authorization header and `X-Amz-Algorithm` in the query.
    #[error("Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")]
    AmbiguousAuth,
    /// Malformed Authorization header or presigned query (AWS code IncompleteSignature).
    #[error("{0}")]
    Incomplete(String),
    /// Credential scope with a wrong terminator, date, region or service
    /// (AWS code SignatureDoesNotMatch / InvalidSignatureException).
    #[error("{0}")]
    InvalidScope(String),
    /// `host` is not among the signed headers.
    #[error("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")]
    HostNotSigned,
    /// The signature does not match. The fields are what the server computed; log them
    /// at debug level or use [`SigV4Error::detailed_message`].
    #[error("{}", MSG_SIGNATURE_MISMATCH)]
    SignatureMismatch {
        /// Canonical request the server computed.
        canonical_request: String,
        /// String to sign the server computed.
        string_to_sign: String,
    },
    /// Header-signed request older than now - 15 min.
    #[error(
        "Signature expired: {} is now earlier than {} ({} - 15 min.)",
        fmt_amz(.request_time),
        fmt_amz_offset(.now, -MAX_SKEW_SECS),
        fmt_amz(.now)
    )]
    Expired {
        /// Time the request was signed.
        request_time: DateTime<Utc>,
        /// Server time.
        now: DateTime<Utc>,
    },
    /// Header-signed request newer than now + 15 min.
    #[error(
        "Signature not yet current: {} is still later than {} ({} + 15 min.)",
        fmt_amz(.request_time),
        fmt_amz_offset(.now, MAX_SKEW_SECS),
        fmt_amz(.now)
    )]
    NotYetValid {
        /// Time the request was signed.
        request_time: DateTime<Utc>,
        /// Server time.
        now: DateTime<Utc>,
    },
    /// Presigned request past X-Amz-Date + X-Amz-Expires.
    #[error("Request has expired")]
    PresignExpired,
    /// Presigned request dated more than 15 minutes in the future.
    #[error("Request is not valid yet")]
    PresignNotYetValid,
    /// X-Amz-Expires not a number, negative, or over 604800.
    #[error("{0}")]
    InvalidExpires(String),
    /// x-amz-content-sha256 is neither UNSIGNED-PAYLOAD nor the SHA-256 of the body.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    ContentHashMismatch,
}

impl SigV4Error {
    /// Error code for the query (XML) protocol services: EC2, STS, CloudWatch (query).
    ///
    /// Note: real EC2 answers clock skew with `RequestExpired`; callers emulating EC2
    /// may map [`SigV4Error::Expired`]/[`SigV4Error::NotYetValid`] to that code.
    pub fn aws_code(&self) -> &'static str {
        match self {
            SigV4Error::Missing => "MissingAuthenticationToken",
            SigV4Error::Incomplete(_) | SigV4Error::InvalidExpires(_) => "IncompleteSignature",
            SigV4Error::AmbiguousAuth
            | SigV4Error::InvalidScope(_)
            | SigV4Error::HostNotSigned
            | SigV4Error::SignatureMismatch { .. }
            | SigV4Error::Expired { .. }
            | SigV4Error::NotYetValid { .. } => "SignatureDoesNotMatch",
            SigV4Error::PresignExpired | SigV4Error::PresignNotYetValid => "RequestExpired",
            SigV4Error::ContentHashMismatch => "XAmzContentSHA256Mismatch",
        }
    }

    /// `__type` for the JSON protocols (awsJson1.0/1.1, e.g. CloudWatch's JSON protocol).
    pub fn json_error_type(&self) -> &'static str {
        match self {
            SigV4Error::Missing => "MissingAuthenticationTokenException",
            SigV4Error::Incomplete(_) | SigV4Error::InvalidExpires(_) => "IncompleteSignatureException",
            SigV4Error::AmbiguousAuth
            | SigV4Error::InvalidScope(_)
            | SigV4Error::HostNotSigned
            | SigV4Error::SignatureMismatch { .. }
            | SigV4Error::Expired { .. }
            | SigV4Error::NotYetValid { .. } => "InvalidSignatureException",
            SigV4Error::PresignExpired | SigV4Error::PresignNotYetValid => "RequestExpired",
            SigV4Error::ContentHashMismatch => "XAmzContentSHA256Mismatch",
        }
    }

    /// HTTP status AWS uses for this error.
    pub fn http_status(&self) -> u16 {
        match self {
            SigV4Error::Incomplete(_)
            | SigV4Error::InvalidExpires(_)
            | SigV4Error::PresignExpired
            | SigV4Error::PresignNotYetValid
            | SigV4Error::ContentHashMismatch => 400,
            _ => 403,
        }
    }

    /// AWS's message; for [`SigV4Error::SignatureMismatch`] with the canonical string and
    /// string to sign appended the way AWS query services return them.
    pub fn detailed_message(&self) -> String {
        match self {
            SigV4Error::SignatureMismatch {
                canonical_request,
                string_to_sign,
            } => format!(
                "{MSG_SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
            ),
            other => other.to_string(),
        }
    }
}
