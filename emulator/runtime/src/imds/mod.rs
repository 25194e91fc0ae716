//! IMDS at 169.254.169.254 inside every instance: one listener per VPC router namespace
//! (the address is on the router's loopback; instances reach it through their default
//! route), which tells instances apart by their private address.
//!
//! IMDSv2: `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` (1-21600)
//! returns a token bound to the instance; requests carrying
//! `X-aws-ec2-metadata-token` must present a live one (401 otherwise). A PUT carrying
//! `X-Forwarded-For` is refused (403), as AWS does. `HttpTokens: required` refuses
//! requests without a token (401); `HttpEndpoint: disabled` answers 403. Every response
//! leaves with the IP TTL set to the instance's `HttpPutResponseHopLimit`, so a token
//! cannot cross more hops than allowed.

pub mod tree;

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};

use crate::desired::{IamProfile, Instance};
use crate::error::Result;
use crate::net::rules::IMDS_ADDR;

/// Temporary credentials for an instance's role, issued by nimbus's STS.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub token: String,
    /// RFC 3339.
    pub expiration: String,
    pub last_updated: String,
}

/// Issues role credentials for IMDS (the server wires this to STS).
pub trait CredentialIssuer: Send + Sync {
    fn issue(&self, instance: &Instance, profile: &IamProfile) -> Option<RoleCredentials>;

    /// Whether credentials issued before still verify for a while (a reset forgets them,
    /// a moved clock expires them); IMDS hands them out again only then.
    fn still_valid(&self, _credentials: &RoleCredentials) -> bool {
        true
    }
}

const MAX_TTL: u64 = 21_600;
const CREDENTIAL_REUSE: Duration = Duration::from_secs(30 * 60);

struct Token {
    instance: String,
    expires: Instant,
}

/// What the listeners serve; shared with the converging side.
pub struct Imds {
    instances: RwLock<HashMap<(String, Ipv4Addr), Arc<Instance>>>,
    tokens: Mutex<HashMap<String, Token>>,
    credentials: Mutex<HashMap<String, (Instant, RoleCredentials)>>,
    issuer: Option<Arc<dyn CredentialIssuer>>,
    signing_key: OnceLock<rsa::RsaPrivateKey>,
}

impl Imds {
    pub fn new(issuer: Option<Arc<dyn CredentialIssuer>>) -> Imds {
        Imds {
            instances: RwLock::default(),
            tokens: Mutex::default(),
            credentials: Mutex::default(),
            issuer,
            signing_key: OnceLock::new(),
        }
    }

    /// Replaces the instances IMDS knows.
    pub fn set_instances(&self, instances: &[Instance]) {
        let map = instances.iter().map(|i| ((i.vpc.clone(), i.private_ip), Arc::new(i.clone()))).collect();
        *self.instances.write().expect("imds lock") = map;
        let known: std::collections::HashSet<String> = instances.iter().map(|i| i.id.clone()).collect();
        self.tokens.lock().expect("imds lock").retain(|_, t| known.contains(&t.instance));
        self.credentials.lock().expect("imds lock").retain(|id, _| known.contains(id));
    }

    fn key(&self) -> &rsa::RsaPrivateKey {
        self.signing_key.get_or_init(|| {
            use rand_chacha::rand_core::SeedableRng;
            let mut rng = rand_chacha::ChaCha20Rng::from_seed(rand::random());
            rsa::RsaPrivateKey::new(&mut rng, 2048).expect("RSA key generation")
        })
    }

    /// The public key that verifies `dynamic/instance-identity/signature` (PEM).
    pub fn identity_public_key_pem(&self) -> String {
        use rsa::pkcs8::EncodePublicKey;
        self.key().to_public_key().to_public_key_pem(rsa::pkcs8::LineEnding::LF).expect("pem")
    }

    fn sign(&self, document: &str) -> String {
        use rsa::signature::{SignatureEncoding, Signer};
        let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(self.key().clone());
        base64::engine::general_purpose::STANDARD.encode(signer.sign(document.as_bytes()).to_bytes())
    }

    fn role_credentials(&self, inst: &Instance, profile: &IamProfile) -> Option<RoleCredentials> {
        let mut cache = self.credentials.lock().expect("imds lock");
        let issuer = self.issuer.as_ref()?;
        if let Some((at, c)) = cache.get(&inst.id) {
            if at.elapsed() < CREDENTIAL_REUSE && issuer.still_valid(c) {
                return Some(c.clone());
            }
        }
        let fresh = issuer.issue(inst, profile)?;
        cache.insert(inst.id.clone(), (Instant::now(), fresh.clone()));
        Some(fresh)
    }

    fn lookup(&self, vpc: &str, ip: Ipv4Addr) -> Option<Arc<Instance>> {
        self.instances.read().expect("imds lock").get(&(vpc.to_string(), ip)).cloned()
    }

    /// Answers one request from `inst`.
    pub fn answer(
        &self,
        inst: &Instance,
        method: &Method,
        path: &str,
        header: impl Fn(&str) -> Option<String>,
    ) -> (StatusCode, Vec<(String, String)>, Bytes) {
        let text = |status: StatusCode, body: String| {
            (status, vec![("Content-Type".to_string(), "text/plain".to_string())], Bytes::from(body))
        };
        if !inst.metadata.http_endpoint_enabled {
            return text(StatusCode::FORBIDDEN, "Forbidden".into());
        }
        if path == "/latest/api/token" {
            if method != Method::PUT {
                return text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed".into());
            }
            if header("x-forwarded-for").is_some() {
                return text(StatusCode::FORBIDDEN, "Forbidden".into());
            }
            let ttl = header("x-aws-ec2-metadata-token-ttl-seconds").and_then(|v| v.trim().parse::<u64>().ok());
            let Some(ttl) = ttl.filter(|t| (1..=MAX_TTL).contains(t)) else {
                return text(StatusCode::BAD_REQUEST, "Bad Request".into());
            };
            let token = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 42]>());
            let mut tokens = self.tokens.lock().expect("imds lock");
            tokens.retain(|_, t| t.expires > Instant::now());
            tokens.insert(
                token.clone(),
                Token { instance: inst.id.clone(), expires: Instant::now() + Duration::from_secs(ttl) },
            );
            let (status, mut headers, body) = text(StatusCode::OK, token);
            headers.push(("X-Aws-Ec2-Metadata-Token-Ttl-Seconds".into(), ttl.to_string()));
            return (status, headers, body);
        }
        match header("x-aws-ec2-metadata-token") {
            Some(token) => {
                let tokens = self.tokens.lock().expect("imds lock");
                let live =
                    tokens.get(token.trim()).is_some_and(|t| t.instance == inst.id && t.expires > Instant::now());
                if !live {
                    return text(StatusCode::UNAUTHORIZED, "Unauthorized".into());
                }
            }
            None if inst.metadata.http_tokens_required => return text(StatusCode::UNAUTHORIZED, "Unauthorized".into()),
            None => {}
        }
        if method != Method::GET && method != Method::HEAD {
            return text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed".into());
        }
        let not_found = || text(StatusCode::NOT_FOUND, "Not Found".into());
        let rest = path.trim_start_matches('/');
        if rest.is_empty() {
            return text(StatusCode::OK, "latest".into());
        }
        // Any dated version answers as `latest` does.
        let (_version, rest) = rest.split_once('/').unwrap_or((rest, ""));
        match rest.trim_end_matches('/') {
            "" => {
                let mut items = vec!["dynamic", "meta-data"];
                if inst.user_data.is_some() {
                    items.push("user-data");
                }
                text(StatusCode::OK, items.join("\n"))
            }
            "user-data" => match &inst.user_data {
                Some(data) => (
                    StatusCode::OK,
                    vec![("Content-Type".into(), "application/octet-stream".into())],
                    Bytes::from(data.clone()),
                ),
                None => not_found(),
            },
            "dynamic" => text(StatusCode::OK, "instance-identity/".into()),
            "dynamic/instance-identity" => text(StatusCode::OK, "document\nsignature".into()),
            "dynamic/instance-identity/document" => text(StatusCode::OK, tree::identity_document(inst)),
            "dynamic/instance-identity/signature" => text(StatusCode::OK, self.sign(&tree::identity_document(inst))),
            other => {
                let Some(sub) = other.strip_prefix("meta-data").map(|s| s.trim_start_matches('/')) else {
                    return not_found();
                };
                let (credentials, info) = match &inst.iam {
                    Some(profile) => {
                        let info = serde_json::json!({
                            "Code": "Success",
                            "LastUpdated": inst.identity.pending_time,
                            "InstanceProfileArn": profile.instance_profile_arn,
                            "InstanceProfileId": profile.instance_profile_id,
                        });
                        let creds = if sub.starts_with("iam/security-credentials/") {
                            self.role_credentials(inst, profile).map(|c| {
                                serde_json::to_string_pretty(&serde_json::json!({
                                    "Code": "Success",
                                    "LastUpdated": c.last_updated,
                                    "Type": "AWS-HMAC",
                                    "AccessKeyId": c.access_key_id,
                                    "SecretAccessKey": c.secret_access_key,
                                    "Token": c.token,
                                    "Expiration": c.expiration,
                                }))
                                .expect("json")
                            })
                        } else {
                            Some(String::new())
                        };
                        (creds, Some(serde_json::to_string_pretty(&info).expect("json")))
                    }
                    None => (None, None),
                };
                match tree::meta_data(inst, credentials, info).find(sub) {
                    Some(node) => text(StatusCode::OK, node.render()),
                    None => not_found(),
                }
            }
        }
    }
}

/// The listeners, one per VPC router namespace, on a small tokio runtime of their own.
pub struct Listeners {
    runtime: Option<tokio::runtime::Runtime>,
    tasks: BTreeMap<String, tokio::task::AbortHandle>,
}

impl Listeners {
    pub fn new() -> Result<Listeners> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("nimbus-imds")
            .enable_all()
            .build()
            .map_err(crate::error::io("start the IMDS runtime"))?;
        Ok(Listeners { runtime: Some(runtime), tasks: BTreeMap::new() })
    }

    /// Listens in each `(vpc, namespace)` not yet served; stops serving the others.
    pub fn converge(&mut self, imds: &Arc<Imds>, routers: &[(String, String)]) -> Result<()> {
        let wanted: std::collections::BTreeSet<&str> = routers.iter().map(|(v, _)| v.as_str()).collect();
        self.tasks.retain(|vpc, task| {
            let keep = wanted.contains(vpc.as_str());
            if !keep {
                task.abort();
            }
            keep
        });
        let runtime = self.runtime.as_ref().expect("running");
        for (vpc, ns) in routers {
            if self.tasks.contains_key(vpc) {
                continue;
            }
            let listener =
                crate::net::ns::within(ns, || std::net::TcpListener::bind(SocketAddr::from((IMDS_ADDR, 80))))?
                    .map_err(crate::error::io(format!("bind IMDS in {ns}")))?;
            listener.set_nonblocking(true).map_err(crate::error::io("IMDS listener"))?;
            let _guard = runtime.enter();
            let listener = tokio::net::TcpListener::from_std(listener).map_err(crate::error::io("IMDS listener"))?;
            let task = runtime.spawn(serve(listener, vpc.clone(), imds.clone()));
            self.tasks.insert(vpc.clone(), task.abort_handle());
        }
        Ok(())
    }
}

impl Drop for Listeners {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

async fn serve(listener: tokio::net::TcpListener, vpc: String, imds: Arc<Imds>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else { continue };
        let SocketAddr::V4(peer) = peer else { continue };
        let Some(inst) = imds.lookup(&vpc, *peer.ip()) else {
            continue; // not an instance's address: drop the connection
        };
        let _ = stream.set_ttl(u32::from(inst.metadata.http_put_response_hop_limit.max(1)));
        let imds = imds.clone();
        let vpc = vpc.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                // The instance is looked up per request: its options may have changed.
                let now = imds.lookup(&vpc, *peer.ip());
                let response = match now {
                    Some(inst) => {
                        let headers = req.headers().clone();
                        let (status, extra, body) = imds.answer(&inst, req.method(), req.uri().path(), |name| {
                            headers.get(name).and_then(|v| v.to_str().ok()).map(String::from)
                        });
                        let mut builder = Response::builder().status(status).header("Server", "EC2ws");
                        for (k, v) in extra {
                            builder = builder.header(k, v);
                        }
                        builder.body(Full::new(body)).expect("response")
                    }
                    None => Response::builder()
                        .status(StatusCode::NOT_FOUND)
                        .body(Full::new(Bytes::new()))
                        .expect("response"),
                };
                async move { Ok::<_, Infallible>(response) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::instance;

    fn ask(imds: &Imds, inst: &Instance, method: Method, path: &str, headers: &[(&str, &str)]) -> (StatusCode, String) {
        let (status, _, body) = imds.answer(inst, &method, path, |name| {
            headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.to_string())
        });
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[test]
    fn v1_v2_and_the_options() {
        let imds = Imds::new(None);
        let mut inst = instance();
        assert_eq!(
            ask(&imds, &inst, Method::GET, "/latest/meta-data/instance-id", &[]),
            (StatusCode::OK, inst.id.clone())
        );
        assert_eq!(ask(&imds, &inst, Method::PUT, "/latest/api/token", &[]).0, StatusCode::BAD_REQUEST);
        assert_eq!(
            ask(&imds, &inst, Method::PUT, "/latest/api/token", &[("X-aws-ec2-metadata-token-ttl-seconds", "0")]).0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            ask(
                &imds,
                &inst,
                Method::PUT,
                "/latest/api/token",
                &[("X-aws-ec2-metadata-token-ttl-seconds", "60"), ("X-Forwarded-For", "1.2.3.4")]
            )
            .0,
            StatusCode::FORBIDDEN
        );
        let (status, token) =
            ask(&imds, &inst, Method::PUT, "/latest/api/token", &[("X-aws-ec2-metadata-token-ttl-seconds", "60")]);
        assert_eq!(status, StatusCode::OK);
        inst.metadata.http_tokens_required = true;
        assert_eq!(ask(&imds, &inst, Method::GET, "/latest/meta-data/", &[]).0, StatusCode::UNAUTHORIZED);
        let (status, listing) =
            ask(&imds, &inst, Method::GET, "/latest/meta-data/", &[("X-aws-ec2-metadata-token", &token)]);
        assert_eq!(status, StatusCode::OK);
        assert!(listing.contains("instance-id"));
        assert_eq!(
            ask(&imds, &inst, Method::GET, "/latest/meta-data/", &[("X-aws-ec2-metadata-token", "forged")]).0,
            StatusCode::UNAUTHORIZED
        );
        let mut other = instance();
        other.id = "i-other".into();
        assert_eq!(
            ask(&imds, &other, Method::GET, "/latest/meta-data/", &[("X-aws-ec2-metadata-token", &token)]).0,
            StatusCode::UNAUTHORIZED,
            "a token is bound to the instance that asked for it"
        );
        assert_eq!(
            ask(&imds, &inst, Method::GET, "/latest/user-data", &[("X-aws-ec2-metadata-token", &token)]).0,
            StatusCode::NOT_FOUND
        );
        inst.metadata.http_endpoint_enabled = false;
        assert_eq!(
            ask(&imds, &inst, Method::GET, "/latest/meta-data/", &[("X-aws-ec2-metadata-token", &token)]).0,
            StatusCode::FORBIDDEN
        );
    }

    struct FixedIssuer;
    impl CredentialIssuer for FixedIssuer {
        fn issue(&self, _: &Instance, profile: &IamProfile) -> Option<RoleCredentials> {
            Some(RoleCredentials {
                access_key_id: "ASIAEXAMPLE".into(),
                secret_access_key: "secret".into(),
                token: format!("token-for-{}", profile.role_name),
                expiration: "2026-01-01T06:00:00Z".into(),
                last_updated: "2026-01-01T00:00:00Z".into(),
            })
        }
    }

    #[test]
    fn role_credentials_and_signed_identity() {
        let imds = Imds::new(Some(Arc::new(FixedIssuer)));
        let mut inst = instance();
        inst.user_data = Some(b"#!/bin/sh\necho hi\n".to_vec());
        assert_eq!(ask(&imds, &inst, Method::GET, "/latest/user-data", &[]).1, "#!/bin/sh\necho hi\n");
        assert_eq!(ask(&imds, &inst, Method::GET, "/latest/meta-data/iam/", &[]).0, StatusCode::NOT_FOUND);
        inst.iam = Some(IamProfile {
            instance_profile_arn: "arn:aws:iam::000000000000:instance-profile/web".into(),
            instance_profile_id: "AIPAEXAMPLE".into(),
            role_name: "web-role".into(),
            role_arn: "arn:aws:iam::000000000000:role/web-role".into(),
        });
        assert_eq!(ask(&imds, &inst, Method::GET, "/latest/meta-data/iam/security-credentials/", &[]).1, "web-role");
        let (status, body) = ask(&imds, &inst, Method::GET, "/latest/meta-data/iam/security-credentials/web-role", &[]);
        assert_eq!(status, StatusCode::OK);
        let creds: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(creds["Token"], "token-for-web-role");
        assert_eq!(creds["Type"], "AWS-HMAC");
        let info: serde_json::Value =
            serde_json::from_str(&ask(&imds, &inst, Method::GET, "/latest/meta-data/iam/info", &[]).1).unwrap();
        assert_eq!(info["InstanceProfileArn"], "arn:aws:iam::000000000000:instance-profile/web");

        let document = ask(&imds, &inst, Method::GET, "/latest/dynamic/instance-identity/document", &[]).1;
        let signature = ask(&imds, &inst, Method::GET, "/latest/dynamic/instance-identity/signature", &[]).1;
        use rsa::pkcs8::DecodePublicKey;
        use rsa::signature::Verifier;
        let public = rsa::RsaPublicKey::from_public_key_pem(&imds.identity_public_key_pem()).unwrap();
        let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(public);
        let sig = rsa::pkcs1v15::Signature::try_from(
            base64::engine::general_purpose::STANDARD.decode(signature).unwrap().as_slice(),
        )
        .unwrap();
        verifier.verify(document.as_bytes(), &sig).unwrap();
    }
}
