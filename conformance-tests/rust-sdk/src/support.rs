//! Clients, interceptors and assertions shared by the cases.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_async::time::TimeSource;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
    BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Everything a case needs to build clients for one nimbus.
pub struct Ctx {
    pub endpoint: String,
    pub port: u16,
    http: SharedHttpClient,
}

/// How a case wants its client: who signs, for which region, with which clock, and what to add.
#[derive(Clone, Debug)]
pub struct Opts {
    pub region: &'static str,
    pub access_key: String,
    pub secret_key: String,
    pub session_token: Option<String>,
    /// Sign with a clock this far in the past.
    pub clock_offset: Option<Duration>,
    /// Replace the `host` header before signing (the connection still goes to the endpoint).
    pub host: Option<String>,
    /// Record what went over the wire.
    pub recorder: Option<Recorder>,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            region: "us-east-1",
            access_key: "test".into(),
            secret_key: "test".into(),
            session_token: None,
            clock_offset: None,
            host: None,
            recorder: None,
        }
    }
}

/// Builds one service client from the shared `SdkConfig` plus the per-client interceptors.
macro_rules! client_fn {
    ($fn_name:ident, $krate:ident) => {
        pub async fn $fn_name(&self, opts: &Opts) -> $krate::Client {
            let shared = self.sdk_config(opts).await;
            let mut b = $krate::config::Builder::from(&shared).endpoint_url(&self.endpoint);
            if let Some(offset) = opts.clock_offset {
                b = b.time_source(SlowClock(offset));
            }
            if let Some(host) = &opts.host {
                b = b.interceptor(HostOverride(host.clone()));
            }
            if let Some(recorder) = &opts.recorder {
                b = b.interceptor(recorder.clone());
            }
            $krate::Client::from_conf(b.build())
        }
    };
}

impl Ctx {
    pub fn new(endpoint: &str) -> Result<Ctx, String> {
        let rest = endpoint.strip_prefix("http://").ok_or("only http:// endpoints are supported")?;
        let authority = rest.split('/').next().unwrap_or_default();
        let port = match authority.rsplit_once(':') {
            Some((_, p)) if !p.ends_with(']') => p.parse().map_err(|e| format!("port {p:?}: {e}"))?,
            _ => 80,
        };
        // Plain HTTP only: no TLS stack is compiled in (see Cargo.toml).
        let http = aws_smithy_http_client::Builder::new().build_http();
        Ok(Ctx { endpoint: endpoint.trim_end_matches('/').to_owned(), port, http })
    }

    async fn sdk_config(&self, opts: &Opts) -> SdkConfig {
        let credentials = Credentials::new(
            opts.access_key.clone(),
            opts.secret_key.clone(),
            opts.session_token.clone(),
            None,
            "nimbus-conformance",
        );
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(opts.region))
            .credentials_provider(credentials)
            .endpoint_url(&self.endpoint)
            .http_client(self.http.clone())
            // Every case judges the first answer: no retry (and so no clock-skew correction).
            .retry_config(RetryConfig::disabled());
        if let Some(offset) = opts.clock_offset {
            loader = loader.time_source(SlowClock(offset));
        }
        loader.load().await
    }

    client_fn!(sts, aws_sdk_sts);
    client_fn!(ec2, aws_sdk_ec2);
    client_fn!(cloudwatch, aws_sdk_cloudwatch);
}

/// A clock running `.0` behind the real one; it is the clock the SDK signs with.
#[derive(Debug)]
struct SlowClock(Duration);

impl TimeSource for SlowClock {
    fn now(&self) -> SystemTime {
        SystemTime::now() - self.0
    }
}

/// Sets the `host` header before signing, so the signature covers it and it goes on the wire.
#[derive(Debug)]
struct HostOverride(String);

impl Intercept for HostOverride {
    fn name(&self) -> &'static str {
        "HostOverride"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        context.request_mut().headers_mut().insert("host", self.0.clone());
        Ok(())
    }
}

/// One request/response as the SDK sent and received it.
#[derive(Clone, Debug, Default)]
pub struct Exchange {
    pub path: String,
    pub host: Option<String>,
    pub content_type: Option<String>,
    pub request_smithy_protocol: Option<String>,
    pub status: Option<u16>,
    pub response_content_type: Option<String>,
    pub response_smithy_protocol: Option<String>,
    pub query_error: Option<String>,
}

/// Records every exchange of the client it is attached to.
#[derive(Clone, Debug, Default)]
pub struct Recorder(Arc<Mutex<Vec<Exchange>>>);

impl Recorder {
    /// The exchanges recorded so far; the recorder starts over.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn header(headers: &aws_smithy_runtime_api::http::Headers, name: &str) -> Option<String> {
    headers.get(name).map(str::to_owned)
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "Recorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = context.request();
        let uri = req.uri();
        let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
        let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
        let path = path.split('?').next().unwrap_or_default().to_owned();
        self.0.lock().unwrap().push(Exchange {
            path,
            host: header(req.headers(), "host"),
            content_type: header(req.headers(), "content-type"),
            request_smithy_protocol: header(req.headers(), "smithy-protocol"),
            ..Exchange::default()
        });
        Ok(())
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let resp = context.response();
        if let Some(x) = self.0.lock().unwrap().last_mut() {
            x.status = Some(resp.status().as_u16());
            x.response_content_type = header(resp.headers(), "content-type");
            x.response_smithy_protocol = header(resp.headers(), "smithy-protocol");
            x.query_error = header(resp.headers(), "x-amzn-query-error");
        }
        Ok(())
    }
}

/// At most `max` characters of `s`, marked when cut.
pub fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

/// Status, headers and body of a raw response, for failure reasons.
pub fn describe_raw(resp: &HttpResponse) -> String {
    let mut headers: Vec<String> = resp.headers().iter().map(|(k, v)| format!("{k}: {v}")).collect();
    headers.sort();
    let body = match resp.body().bytes() {
        None => "<streaming>".to_owned(),
        // Debug-escaped, so XML newlines and CBOR bytes stay on one line.
        Some(b) => truncate(&format!("{:?}", String::from_utf8_lossy(b)), 1200),
    };
    format!("HTTP {} [{}] body {}", resp.status().as_u16(), headers.join("; "), body)
}

/// An SDK error with its whole source chain and, when there was one, the raw response.
pub fn describe_sdk_error<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: std::error::Error + 'static,
{
    match err.raw_response() {
        Some(resp) => format!("{}; response: {}", DisplayErrorContext(err), describe_raw(resp)),
        None => DisplayErrorContext(err).to_string(),
    }
}

/// The call must have been refused by the service with this code and HTTP status (and, when
/// given, a message starting with `message_prefix`).
pub fn expect_refusal<T, E>(
    result: Result<T, SdkError<E, HttpResponse>>,
    code: &str,
    status: u16,
    message_prefix: Option<&str>,
) -> Result<(), String>
where
    T: Debug,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let err = match result {
        Ok(out) => return Err(format!("succeeded, want {code}: {}", truncate(&format!("{out:?}"), 300))),
        Err(e) => e,
    };
    let Some(service_err) = err.as_service_error() else {
        return Err(format!("want service error {code}, got {}", describe_sdk_error(&err)));
    };
    let raw = err.raw_response().map(describe_raw).unwrap_or_else(|| "<no response>".into());
    if service_err.code() != Some(code) {
        return Err(format!(
            "code {:?} (message {:?}), want {code:?}; response: {raw}",
            service_err.code(),
            service_err.message()
        ));
    }
    let got_status = err.raw_response().map(|r| r.status().as_u16());
    if got_status != Some(status) {
        return Err(format!("{code} with HTTP status {got_status:?}, want {status}; response: {raw}"));
    }
    if let Some(prefix) = message_prefix {
        if !service_err.message().is_some_and(|m| m.starts_with(prefix)) {
            return Err(format!(
                "{code} message {:?} does not start with {prefix:?}; response: {raw}",
                service_err.message()
            ));
        }
    }
    if service_err.message().is_none_or(str::is_empty) {
        return Err(format!("{code} without a message; response: {raw}"));
    }
    Ok(())
}

/// Temporary credentials look like AWS's: `ASIA` + 16 characters, a secret, a token, a future expiry.
pub fn check_temporary_credentials(c: &aws_sdk_sts::types::Credentials) -> Result<(), String> {
    let ak = c.access_key_id();
    if !(ak.starts_with("ASIA") && ak.len() == 20) {
        return Err(format!("temporary AccessKeyId {ak:?} is not ASIA + 16 characters"));
    }
    if c.secret_access_key().is_empty() || c.session_token().is_empty() {
        return Err(format!("empty SecretAccessKey or SessionToken in {c:?}"));
    }
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
    if c.expiration().secs() <= now {
        return Err(format!("Expiration {} is not in the future", c.expiration()));
    }
    Ok(())
}
