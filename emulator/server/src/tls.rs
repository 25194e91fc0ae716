//! Optional TLS: a certificate and key from PEM files, or a self-signed one for
//! localhost generated at start.

use std::sync::Arc;

use tokio_rustls::TlsAcceptor;

use crate::config::Tls;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("reading {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{0} holds no PEM private key")]
    NoKey(String),
    #[error("generating a self-signed certificate: {0}")]
    Generate(String),
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

pub fn acceptor(tls: &Tls) -> Result<Option<TlsAcceptor>, TlsError> {
    let (certs, key) = match tls {
        Tls::Off => return Ok(None),
        Tls::Files { cert, key } => {
            let read = |p: &std::path::Path| {
                std::fs::read(p).map_err(|source| TlsError::Read { path: p.display().to_string(), source })
            };
            let cert_pem = read(cert)?;
            let key_pem = read(key)?;
            let certs = rustls_pemfile::certs(&mut &cert_pem[..])
                .collect::<Result<Vec<_>, _>>()
                .map_err(|source| TlsError::Read { path: cert.display().to_string(), source })?;
            let key = rustls_pemfile::private_key(&mut &key_pem[..])
                .map_err(|source| TlsError::Read { path: key.display().to_string(), source })?
                .ok_or_else(|| TlsError::NoKey(key.display().to_string()))?;
            (certs, key)
        }
        Tls::SelfSigned => {
            let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
            let cert = rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::Generate(e.to_string()))?;
            let der = cert.cert.der().clone();
            let key = rustls::pki_types::PrivateKeyDer::try_from(cert.key_pair.serialize_der())
                .map_err(|e| TlsError::Generate(e.to_string()))?;
            (vec![der], key)
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Some(TlsAcceptor::from(Arc::new(config))))
}
