//! SigV4 tests: AWS's published vectors, round trips, and hostile input.

use super::verify::{hmac_sha256, sha256_hex};
use super::wire::parse_amz_date;
use super::*;

mod malformed;
mod presigned;
mod round_trip;
mod vectors;

const KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20150830T123600Z";
const HOST: &str = "example.amazonaws.com";
const EMPTY_SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const STS_TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

fn t(s: &str) -> DateTime<Utc> {
    match parse_amz_date(s) {
        Some(d) => d,
        None => panic!("bad test date {s}"),
    }
}

/// An owned request for tests.
#[derive(Clone)]
struct Req {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Req {
    fn new(method: &str, target: &str) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Req { method: method.into(), path: path.into(), query: query.into(), headers: Vec::new(), body: Vec::new() }
    }
    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.as_bytes().to_vec()));
        self
    }
    fn header_bytes(mut self, name: &str, value: &[u8]) -> Self {
        self.headers.push((name.into(), value.to_vec()));
        self
    }
    fn body(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self
    }
    fn with<R>(&self, f: impl FnOnce(&RequestParts) -> R) -> R {
        let headers: Vec<(&str, &[u8])> = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        let parts = RequestParts {
            method: &self.method,
            raw_path: &self.path,
            raw_query: &self.query,
            headers: &headers,
            body: &self.body,
        };
        f(&parts)
    }
    fn parse(&self) -> Result<ParsedSignature, SigV4Error> {
        self.with(parse)
    }
    fn verify(&self, secret: &str) -> Result<(), SigV4Error> {
        self.with(|r| {
            let p = parse(r)?;
            check_time(&p, t(DATE))?;
            verify_signature(r, &p, secret)
        })
    }
    fn canonical(&self) -> String {
        self.with(|r| {
            let p = parse(r).unwrap_or_else(|e| panic!("parse: {e}"));
            canonical_request(r, &p).unwrap_or_else(|e| panic!("creq: {e}"))
        })
    }
    fn sign(&self, signed: &[&str]) -> String {
        self.with(|r| sign_authorization(r, KEY, SECRET, DATE, "us-east-1", "service", signed))
    }
}

fn suite_auth(signed_headers: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={KEY}/20150830/us-east-1/service/aws4_request, SignedHeaders={signed_headers}, Signature={signature}"
    )
}
