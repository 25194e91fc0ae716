//! Who may call: the credential store (long-term pairs bound to accounts, plus the
//! temporary credentials STS issues) and the SigV4 check of every request, with
//! refusals worded per protocol as AWS words them.

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use crate::model::{Protocol, ServiceModel};
use crate::protocol::WireRequest;
use crate::service::Caller;
use crate::sigv4::{self, RequestParts, SigV4Error};
use crate::state::{read, write};
use crate::{regions, ApiError};

pub const DEFAULT_ACCOUNT: &str = "000000000000";
pub const DEFAULT_REGION: &str = "us-east-1";

/// A long-term access key bound to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key: String,
    pub secret_key: String,
    pub account: String,
}

impl Credential {
    pub fn new(access_key: &str, secret_key: &str, account: &str) -> Self {
        Credential { access_key: access_key.into(), secret_key: secret_key.into(), account: account.into() }
    }

    /// Parses `ACCESS_KEY:SECRET[:ACCOUNT]` (the account defaults to 000000000000).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let parts: Vec<&str> = spec.trim().split(':').collect();
        match parts.as_slice() {
            [ak, sk] if !ak.is_empty() && !sk.is_empty() => Ok(Credential::new(ak, sk, DEFAULT_ACCOUNT)),
            [ak, sk, account] if !ak.is_empty() && !sk.is_empty() => {
                if account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()) {
                    Ok(Credential::new(ak, sk, account))
                } else {
                    Err(format!("account id {account:?} is not 12 digits"))
                }
            }
            _ => Err(format!("credential {spec:?} is not ACCESS_KEY:SECRET[:ACCOUNT]")),
        }
    }

    fn caller(&self) -> Caller {
        Caller {
            account: self.account.clone(),
            access_key: self.access_key.clone(),
            arn: format!("arn:aws:iam::{}:root", self.account),
            user_id: self.account.clone(),
            session_token: None,
        }
    }
}

/// Credentials issued by STS: who they act as, and until when.
#[derive(Debug, Clone, Serialize)]
pub struct TemporaryCredential {
    pub access_key: String,
    #[serde(skip)]
    pub secret_key: String,
    #[serde(skip)]
    pub session_token: String,
    pub expiration: DateTime<Utc>,
    /// The identity these credentials act as.
    pub caller: Caller,
}

/// What an access key stands for.
struct KeyRecord {
    caller: Caller,
    secret: String,
    /// Temporary credentials: their session token and expiry.
    session: Option<(String, DateTime<Utc>)>,
}

#[derive(Debug, Default)]
pub struct CredentialStore {
    long_term: HashMap<String, Credential>,
    temporary: RwLock<HashMap<String, TemporaryCredential>>,
}

impl CredentialStore {
    pub fn new(credentials: impl IntoIterator<Item = Credential>) -> Self {
        CredentialStore {
            long_term: credentials.into_iter().map(|c| (c.access_key.clone(), c)).collect(),
            temporary: RwLock::new(HashMap::new()),
        }
    }

    /// Records temporary credentials issued by STS.
    pub fn add_temporary(&self, cred: TemporaryCredential) {
        write(&self.temporary).insert(cred.access_key.clone(), cred);
    }

    /// Forgets issued temporary credentials (the long-term ones are configuration).
    pub fn reset(&self) {
        write(&self.temporary).clear();
    }

    /// The issued temporary credentials with their secrets, for `--state-dir` snapshots.
    pub fn save_temporary(&self) -> Value {
        let all: Vec<Value> = self
            .temporary()
            .into_iter()
            .map(|t| {
                json!({
                    "access_key": t.access_key,
                    "secret_key": t.secret_key,
                    "session_token": t.session_token,
                    "expiration": t.expiration,
                    "caller": t.caller,
                })
            })
            .collect();
        Value::Array(all)
    }

    /// Replaces the issued temporary credentials with those of a [`CredentialStore::save_temporary`].
    pub fn restore_temporary(&self, saved: Value) -> Result<(), String> {
        #[derive(serde::Deserialize)]
        struct Saved {
            access_key: String,
            secret_key: String,
            session_token: String,
            expiration: DateTime<Utc>,
            caller: Caller,
        }
        let saved: Vec<Saved> = serde_json::from_value(saved).map_err(|e| e.to_string())?;
        let restored = saved
            .into_iter()
            .map(|s| {
                let cred = TemporaryCredential {
                    access_key: s.access_key,
                    secret_key: s.secret_key,
                    session_token: s.session_token,
                    expiration: s.expiration,
                    caller: s.caller,
                };
                (cred.access_key.clone(), cred)
            })
            .collect();
        *write(&self.temporary) = restored;
        Ok(())
    }

    /// When issued temporary credentials expire; `None` for a key nimbus did not issue
    /// or has forgotten.
    pub fn temporary_expiration(&self, access_key: &str) -> Option<DateTime<Utc>> {
        read(&self.temporary).get(access_key).map(|t| t.expiration)
    }

    pub fn temporary(&self) -> Vec<TemporaryCredential> {
        let mut all: Vec<_> = read(&self.temporary).values().cloned().collect();
        all.sort_by(|a, b| a.access_key.cmp(&b.access_key));
        all
    }

    /// The account an access key belongs to, if nimbus knows the key (configured, or
    /// issued by STS and not yet forgotten).
    pub fn account_of(&self, access_key: &str) -> Option<String> {
        self.lookup(access_key).map(|record| record.caller.account)
    }

    /// The caller and secret for an access key, if it is known.
    fn lookup(&self, access_key: &str) -> Option<KeyRecord> {
        if let Some(c) = self.long_term.get(access_key) {
            return Some(KeyRecord { caller: c.caller(), secret: c.secret_key.clone(), session: None });
        }
        read(&self.temporary).get(access_key).map(|t| {
            let mut caller = t.caller.clone();
            caller.access_key = t.access_key.clone();
            caller.session_token = Some(t.session_token.clone());
            KeyRecord { caller, secret: t.secret_key.clone(), session: Some((t.session_token.clone(), t.expiration)) }
        })
    }

    /// The account a key belongs to when signatures are not checked: known keys map to
    /// their account, a 12-digit key is taken as an account id (as LocalStack does).
    fn unverified_caller(&self, access_key: &str) -> Caller {
        if let Some(record) = self.lookup(access_key) {
            return record.caller;
        }
        let account = if access_key.len() == 12 && access_key.chars().all(|c| c.is_ascii_digit()) {
            access_key.to_string()
        } else {
            DEFAULT_ACCOUNT.to_string()
        };
        Credential::new(access_key, "", &account).caller()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Every request must carry a valid SigV4 signature.
    Verify,
    /// Signatures are read for the account and region but not checked.
    Off,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Signature(#[from] SigV4Error),
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey,
    #[error("The security token included in the request is invalid.")]
    BadSessionToken,
    #[error("The security token included in the request is expired")]
    ExpiredToken,
    #[error("Credential should be scoped to a valid region. ")]
    WrongRegion,
    #[error("Credential should be scoped to correct service: '{0}'. ")]
    WrongService(&'static str),
}

impl AuthError {
    /// The refusal as AWS words it for this protocol: EC2 answers `AuthFailure` for
    /// bad credentials, the query/JSON/CBOR services name the precise fault.
    pub fn to_api_error(&self, protocol: Protocol) -> ApiError {
        let ec2 = protocol == Protocol::Ec2;
        let auth_failure =
            || ApiError::new("AuthFailure", "AWS was not able to validate the provided access credentials", 401);
        match self {
            AuthError::Signature(SigV4Error::Missing) => {
                ApiError::new("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
            }
            AuthError::Signature(SigV4Error::Incomplete(msg)) => ApiError::new("IncompleteSignature", msg.clone(), 400),
            AuthError::Signature(e @ (SigV4Error::Expired { .. } | SigV4Error::NotYetValid { .. })) => {
                if ec2 {
                    ApiError::new("RequestExpired", "Request has expired.", 400)
                } else {
                    ApiError::new("SignatureDoesNotMatch", e.to_string(), 403)
                }
            }
            AuthError::Signature(e @ (SigV4Error::PresignExpired | SigV4Error::PresignNotYetValid)) => {
                if ec2 {
                    ApiError::new("RequestExpired", "Request has expired.", 400)
                } else {
                    ApiError::new("RequestExpired", e.to_string(), 400)
                }
            }
            AuthError::Signature(e) => {
                if ec2 {
                    auth_failure()
                } else {
                    ApiError::new("SignatureDoesNotMatch", e.to_string(), 403)
                }
            }
            AuthError::UnknownAccessKey | AuthError::BadSessionToken => {
                if ec2 {
                    auth_failure()
                } else {
                    ApiError::new("InvalidClientTokenId", self.to_string(), 403)
                }
            }
            AuthError::ExpiredToken => {
                if ec2 {
                    ApiError::new("RequestExpired", "Request has expired.", 400)
                } else {
                    ApiError::new("ExpiredToken", self.to_string(), 400)
                }
            }
            AuthError::WrongRegion | AuthError::WrongService(_) => {
                if ec2 {
                    auth_failure()
                } else {
                    ApiError::new("SignatureDoesNotMatch", self.to_string(), 403)
                }
            }
        }
    }
}

/// The caller and the region a request acts in.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub caller: Caller,
    pub region: String,
}

pub struct Authenticator {
    pub mode: AuthMode,
    pub store: std::sync::Arc<CredentialStore>,
}

impl Authenticator {
    /// `wall` is the real time, against which signatures are dated (clients sign with
    /// their real clocks); `now` is nimbus's clock, against which sessions expire.
    pub fn authenticate(
        &self,
        req: &WireRequest,
        service: &ServiceModel,
        wall: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Authenticated, AuthError> {
        let headers: Vec<(&str, &[u8])> = req.headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes())).collect();
        let parts = RequestParts {
            method: req.method.as_str(),
            raw_path: &req.path,
            raw_query: &req.query,
            headers: &headers,
            body: &req.wire_body,
        };
        let host_region = host_region(req.header("host"));

        if self.mode == AuthMode::Off {
            let (caller, scope_region) = match sigv4::parse(&parts) {
                Ok(p) => (self.store.unverified_caller(&p.scope.access_key), Some(p.scope.region)),
                Err(_) => (self.store.unverified_caller(""), None),
            };
            let region = host_region
                .or(scope_region.filter(|r| regions::is_known(r)))
                .unwrap_or_else(|| DEFAULT_REGION.to_string());
            return Ok(Authenticated { caller, region });
        }

        let parsed = sigv4::parse(&parts)?;
        let scope = &parsed.scope;
        let KeyRecord { caller, secret, session } =
            self.store.lookup(&scope.access_key).ok_or(AuthError::UnknownAccessKey)?;
        if let Some((token, expiration)) = &session {
            if parsed.security_token.as_deref() != Some(token.as_str()) {
                return Err(AuthError::BadSessionToken);
            }
            if *expiration <= now {
                return Err(AuthError::ExpiredToken);
            }
        }
        sigv4::check_time(&parsed, wall)?;
        if !regions::is_known(&scope.region) || host_region.as_ref().is_some_and(|r| *r != scope.region) {
            return Err(AuthError::WrongRegion);
        }
        if scope.service != service.signing_name {
            return Err(AuthError::WrongService(service.signing_name));
        }
        let key = signing_key(&secret, scope);
        sigv4::verify_signature_with_key(&parts, &parsed, &key)?;
        Ok(Authenticated { caller, region: scope.region.clone() })
    }

    /// An operation the model marks unauthenticated is answered without a signature (a
    /// signed one is not checked either, as at AWS): nobody's caller, the Host's region or
    /// the default one.
    pub fn anonymous(&self, req: &WireRequest) -> Authenticated {
        let region = host_region(req.header("host")).unwrap_or_else(|| DEFAULT_REGION.to_string());
        Authenticated { caller: Caller::default(), region }
    }
}

/// Signing keys derived lately on this thread, newest last: (secret, date, region,
/// service, key). A client signs all its requests of a day with one key, so the four
/// HMACs of the derivation run once a day per key instead of once per request; every
/// request's signature is still computed and compared.
const KEYS_KEPT: usize = 8;

type KeptKey = (String, String, String, String, [u8; 32]);

thread_local! {
    static SIGNING_KEYS: std::cell::RefCell<Vec<KeptKey>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn signing_key(secret: &str, scope: &sigv4::CredentialScope) -> [u8; 32] {
    let (date, region, service) = (scope.date.as_str(), scope.region.as_str(), scope.service.as_str());
    SIGNING_KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if let Some(kept) = keys.iter().rev().find(|k| k.0 == secret && k.1 == date && k.2 == region && k.3 == service)
        {
            return kept.4;
        }
        let key = sigv4::signing_key(secret, date, region, service);
        if keys.len() == KEYS_KEPT {
            keys.remove(0);
        }
        keys.push((secret.to_string(), date.to_string(), region.to_string(), service.to_string(), key));
        key
    })
}

/// A region named by the Host header (`ec2.eu-west-1.amazonaws.com`,
/// `monitoring.eu-west-1.localhost:4566`): the endpoint's own region, which the
/// credential scope must then match, as at AWS's regional endpoints.
pub fn host_region(host: Option<&str>) -> Option<String> {
    let host = host?;
    let name =
        host.rsplit_once(':').map_or(host, |(h, port)| if port.chars().all(|c| c.is_ascii_digit()) { h } else { host });
    name.split('.').find(|label| regions::is_known(label)).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kept key is the key of its own inputs: another secret, date, region or
    /// service derives its own.
    #[test]
    fn kept_signing_keys_match_their_inputs() {
        let scope = |date: &str, region: &str, service: &str| sigv4::CredentialScope {
            access_key: "AKID".into(),
            date: date.into(),
            region: region.into(),
            service: service.into(),
        };
        let cases = [
            ("s1", scope("20260101", "us-east-1", "ec2")),
            ("s2", scope("20260101", "us-east-1", "ec2")),
            ("s1", scope("20260102", "us-east-1", "ec2")),
            ("s1", scope("20260101", "eu-west-1", "ec2")),
            ("s1", scope("20260101", "us-east-1", "sts")),
        ];
        for _ in 0..3 {
            for (secret, s) in cases.iter().chain(cases.iter().rev()) {
                assert_eq!(signing_key(secret, s), sigv4::signing_key(secret, &s.date, &s.region, &s.service));
            }
        }
        for i in 0..(KEYS_KEPT * 2) {
            let s = scope(&format!("2026010{}", i % 10), "us-east-1", "ec2");
            assert_eq!(signing_key("s", &s), sigv4::signing_key("s", &s.date, &s.region, &s.service));
        }
    }

    #[test]
    fn credentials_parse() {
        assert_eq!(Credential::parse("a:b").unwrap(), Credential::new("a", "b", DEFAULT_ACCOUNT));
        assert_eq!(Credential::parse("a:b:123456789012").unwrap().account, "123456789012");
        assert!(Credential::parse("a:b:12").is_err());
        assert!(Credential::parse("nocolon").is_err());
        assert!(Credential::parse(":b").is_err());
    }

    #[test]
    fn host_names_a_region_only_when_a_label_is_one() {
        assert_eq!(host_region(Some("ec2.eu-west-1.amazonaws.com")).as_deref(), Some("eu-west-1"));
        assert_eq!(host_region(Some("sts.us-east-2.localhost:4566")).as_deref(), Some("us-east-2"));
        assert_eq!(host_region(Some("127.0.0.1:4566")), None);
        assert_eq!(host_region(Some("localhost")), None);
        assert_eq!(host_region(None), None);
    }

    #[test]
    fn ec2_refusals_are_auth_failure_and_query_ones_are_precise() {
        let e = AuthError::UnknownAccessKey;
        assert_eq!(e.to_api_error(Protocol::Ec2).code, "AuthFailure");
        assert_eq!(e.to_api_error(Protocol::Ec2).status, 401);
        assert_eq!(e.to_api_error(Protocol::Query).code, "InvalidClientTokenId");
        assert_eq!(AuthError::WrongRegion.to_api_error(Protocol::Json10).code, "SignatureDoesNotMatch");
        assert_eq!(
            AuthError::Signature(SigV4Error::Missing).to_api_error(Protocol::RpcV2Cbor).code,
            "MissingAuthenticationToken"
        );
    }
}
