//! The HTTP edge: connections (header deadline, TLS), bodies (size limit, gzip,
//! deadline), the admin routes, and one log line per request.

use std::io::Read;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Body;
use hyper_util::rt::{TokioIo, TokioTimer};
use nimbus_core::protocol::{self, Protocol, WireRequest, WireResponse};
use nimbus_core::{ids, ApiError};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use crate::{admin, App};

pub type Request = http::Request<hyper::body::Incoming>;
pub type Response = http::Response<Full<Bytes>>;

/// Largest header section accepted (AWS's front ends allow about this much).
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// What a connection listens to besides its client: the server stopping, and the
/// accept loop asking idle connections to make room (see `serve`).
#[derive(Clone)]
pub(crate) struct Signals {
    pub stop: tokio::sync::watch::Receiver<bool>,
    pub room_wanted: Arc<tokio::sync::Notify>,
}

pub(crate) fn spawn_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Arc<App>,
    tls: Option<TlsAcceptor>,
    signals: Signals,
    permit: tokio::sync::OwnedSemaphorePermit,
) {
    tokio::spawn(async move {
        // Held for the connection's life: the connection cap (see `serve`).
        let _permit = permit;
        let timeout = app.config.request_timeout;
        match tls {
            None => {
                let Some(io) = read_head(stream, timeout).await else { return };
                run_http(io, peer, app, signals).await;
            }
            Some(acceptor) => {
                let Ok(Ok(tls_stream)) = tokio::time::timeout(timeout, acceptor.accept(stream)).await else {
                    return;
                };
                let Some(io) = read_head(tls_stream, timeout).await else { return };
                run_http(io, peer, app, signals).await;
            }
        }
    });
}

async fn run_http<S>(io: Prefixed<S>, peer: SocketAddr, app: Arc<App>, mut signals: Signals)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    use std::sync::atomic::{AtomicUsize, Ordering};
    let idle = app.config.idle_timeout;
    // Requests being answered on this connection (zero between requests), and
    // requests begun on it: a connection whose first request hyper has not parsed yet
    // is not idle, whatever `busy` says.
    struct Connection {
        app: Arc<App>,
        busy: AtomicUsize,
        begun: AtomicUsize,
        stopping: tokio::sync::watch::Receiver<bool>,
    }
    // One reference count to take per request, not one per field.
    let shared = Arc::new(Connection {
        app,
        busy: AtomicUsize::new(0),
        begun: AtomicUsize::new(0),
        stopping: signals.stop.clone(),
    });
    let watched = shared.clone();
    let (busy, begun) = (&watched.busy, &watched.begun);
    let service = hyper::service::service_fn(move |req: Request| {
        let conn = shared.clone();
        async move {
            conn.busy.fetch_add(1, Ordering::SeqCst);
            conn.begun.fetch_add(1, Ordering::SeqCst);
            let mut response = handle(&conn.app, req).await;
            conn.busy.fetch_sub(1, Ordering::SeqCst);
            if *conn.stopping.borrow() {
                // Shutting down: this answer is the connection's last.
                response.headers_mut().insert(http::header::CONNECTION, HeaderValue::from_static("close"));
            }
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    // hyper starts its header timer as soon as a kept-alive connection goes idle after
    // a response (hyper >= 1.4), so this one timer is the idle timeout: no complete
    // next request head within it and the connection is closed.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(Some(idle)).max_buf_size(MAX_HEADER_BYTES.max(8192) * 2);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    // Once asked to close, hyper finishes the request in flight (if any) and closes.
    let mut closing = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection closed with an error");
                }
                return;
            }
            _ = signals.stop.wait_for(|stop| *stop), if !closing => {
                // Before its first request is parsed, the connection is left to answer
                // it (with `Connection: close`, above); otherwise hyper finishes the
                // request in flight, if any, and closes.
                if begun.load(Ordering::SeqCst) > 0 {
                    conn.as_mut().graceful_shutdown();
                }
                closing = true;
            }
            () = signals.room_wanted.notified(), if !closing => {
                if busy.load(Ordering::SeqCst) == 0 && begun.load(Ordering::SeqCst) > 0 {
                    tracing::debug!(%peer, "closing an idle connection to make room for a new one");
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
    }
}

/// Waits (up to the request timeout) for a complete header section of the first
/// request, so that a slow or silent client is answered `408 RequestTimeout` in AWS's
/// form instead of holding a connection. Later requests on a kept-alive connection
/// are bounded by hyper's own header timer.
async fn read_head<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    timeout: std::time::Duration,
) -> Option<Prefixed<S>> {
    let mut buf = Vec::with_capacity(1024);
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            return Some(Prefixed { prefix: Bytes::from(buf), inner: stream, write_stall: timeout, stalled: None });
        }
        if buf.len() > MAX_HEADER_BYTES {
            let err = ApiError::new(
                "RequestHeaderSectionTooLarge",
                format!("The request headers exceed {MAX_HEADER_BYTES} bytes."),
                431,
            );
            let _ = write_raw_error(&mut stream, &err).await;
            return None;
        }
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return None,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => {
                if !buf.is_empty() {
                    let err = ApiError::new(
                        "RequestTimeout",
                        "Your socket connection to the server was not read from or written to within the timeout period.",
                        408,
                    );
                    let _ = write_raw_error(&mut stream, &err).await;
                }
                return None;
            }
        }
    }
}

async fn write_raw_error<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, err: &ApiError) -> std::io::Result<()> {
    let request_id = ids::request_id();
    let r = protocol::encode_error(Protocol::Query, None, err, &request_id);
    let reason = StatusCode::from_u16(err.status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error");
    let head = format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: text/xml;charset=UTF-8\r\nx-amzn-requestid: {request_id}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        err.status,
        r.body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&r.body).await?;
    stream.shutdown().await?;
    // Linger briefly, discarding what the client is still sending: closing a socket
    // with unread input resets it, and the reset can destroy the answer in flight.
    let mut sink = [0u8; 8192];
    let mut drained = 0usize;
    let linger = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
    while drained < 1024 * 1024 {
        match tokio::time::timeout_at(linger, stream.read(&mut sink)).await {
            Ok(Ok(n)) if n > 0 => drained += n,
            _ => break,
        }
    }
    Ok(())
}

/// An IO whose first reads replay bytes already read from it, and whose writes fail
/// once the peer has not accepted a byte for `write_stall` (a client that never reads
/// its response must not hold its connection, and a connection slot, forever).
pub(crate) struct Prefixed<S> {
    prefix: Bytes,
    inner: S,
    write_stall: std::time::Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> Prefixed<S> {
    /// Tracks a write's progress: `Pending` arms (or polls) the stall timer, anything
    /// else disarms it.
    fn watch<T>(&mut self, cx: &mut Context<'_>, polled: Poll<std::io::Result<T>>) -> Poll<std::io::Result<T>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let stall = self.write_stall;
        let timer = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
        if std::future::Future::poll(timer.as_mut(), cx).is_ready() {
            self.stalled = None;
            tracing::debug!("client stopped reading its response; closing");
            return Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "write stalled")));
        }
        Poll::Pending
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            let chunk = self.prefix.split_to(n);
            buf.put_slice(&chunk);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, polled)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, polled)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, polled)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, polled)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Answers one request: admin routes, or the AWS request path.
pub async fn handle<B>(app: &App, req: http::Request<B>) -> Response
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    if path.starts_with("/_nimbus/") {
        let body = Limited::new(body, 1024 * 1024).collect().await.map(|c| c.to_bytes()).unwrap_or_default();
        let host = parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok());
        return admin::route(app, &parts.method, &path, parts.uri.query().unwrap_or(""), host, &body);
    }

    let mut wire = WireRequest {
        method: parts.method.clone(),
        path,
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body: Bytes::new(),
        wire_body: Bytes::new(),
    };
    let limit = app.config.max_body_bytes;
    let read = tokio::time::timeout(app.config.request_timeout, Limited::new(body, limit).collect()).await;
    let raw = match read {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) => {
            let too_large = e.to_string().contains("length limit exceeded");
            let err = if too_large {
                ApiError::new(
                    "RequestEntityTooLarge",
                    format!("Request body exceeded the maximum size of {limit} bytes."),
                    413,
                )
            } else {
                ApiError::client("IncompleteBody", "The request body ended before its declared length.")
            };
            return edge_error(&wire, &err, started);
        }
        Err(_) => {
            let err = ApiError::new(
                "RequestTimeout",
                "Your socket connection to the server was not read from or written to within the timeout period.",
                408,
            );
            return edge_error(&wire, &err, started);
        }
    };
    wire.body = match decode_content(&wire, &raw, limit) {
        Ok(b) => b,
        Err(err) => return edge_error(&wire, &err, started),
    };
    wire.wire_body = raw;
    if let Some(dir) = &app.config.capture_dir {
        capture(dir, &wire);
    }

    let outcome = if app.journal.is_some() {
        // A journaled mutation waits for its fsync: let the runtime move other
        // connections to another thread meanwhile.
        crate::persistence::blocking(|| app.dispatcher.dispatch(&wire))
    } else {
        app.dispatcher.dispatch(&wire)
    };
    log_request(
        outcome.service,
        outcome.protocol,
        &outcome.operation,
        outcome.response.status,
        started,
        &outcome.request_id,
        outcome.error.as_ref(),
    );
    into_http(outcome.response)
}

/// Records a request for the golden wire tests (see `--capture-dir`).
fn capture(dir: &std::path::Path, wire: &WireRequest) {
    use base64::Engine as _;
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let headers: Vec<(String, String)> = wire
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let record = serde_json::json!({
        "method": wire.method.as_str(),
        "path": wire.path,
        "query": wire.query,
        "headers": headers,
        "body": base64::engine::general_purpose::STANDARD.encode(&wire.wire_body),
    });
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!("{:05}-{}.json", n, std::process::id()));
    if let Err(e) = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, serde_json::to_vec_pretty(&record).unwrap_or_default()))
    {
        tracing::warn!(error = %e, path = %path.display(), "capture failed");
    }
}

/// gzip request bodies (the SDKs' `requestcompression`) are accepted; other encodings are not.
fn decode_content(wire: &WireRequest, raw: &Bytes, limit: usize) -> Result<Bytes, ApiError> {
    let encoding = wire.header("content-encoding").unwrap_or("").trim().to_ascii_lowercase();
    match encoding.as_str() {
        "" | "identity" => Ok(raw.clone()),
        "gzip" | "x-gzip" => {
            let mut out = Vec::new();
            let mut reader = flate2::read::MultiGzDecoder::new(&raw[..]).take(limit as u64 + 1);
            reader.read_to_end(&mut out).map_err(|e| {
                ApiError::client(
                    "InvalidParameterValue",
                    format!("The gzip request body could not be decompressed: {e}"),
                )
            })?;
            if out.len() > limit {
                return Err(ApiError::new(
                    "RequestEntityTooLarge",
                    format!("Decompressed request body exceeded the maximum size of {limit} bytes."),
                    413,
                ));
            }
            Ok(Bytes::from(out))
        }
        other => Err(ApiError::new(
            "UnsupportedMediaType",
            format!("Content-Encoding {other} is not supported; use gzip."),
            415,
        )),
    }
}

/// An error found before dispatch, rendered in the protocol the headers name.
fn edge_error(wire: &WireRequest, err: &ApiError, started: Instant) -> Response {
    let models: Vec<&'static nimbus_core::model::ServiceModel> =
        vec![&nimbus_ec2::MODEL, &nimbus_cloudwatch::MODEL, &nimbus_sts::MODEL, &nimbus_ssm::MODEL];
    let (protocol, model) = match protocol::detect(wire, &models) {
        Ok(env) => (env.protocol, Some(env.service)),
        Err(e) => (e.protocol, e.service),
    };
    let request_id = ids::request_id();
    let mut response = protocol::encode_error(protocol, model, err, &request_id);
    response.headers.push((http::header::CONNECTION, "close".into()));
    log_request(
        model.map_or("unknown", |m| m.signing_name),
        Some(protocol),
        "",
        err.status,
        started,
        &request_id,
        Some(err),
    );
    into_http(response)
}

fn log_request(
    service: &str,
    protocol: Option<Protocol>,
    operation: &str,
    status: u16,
    started: Instant,
    request_id: &str,
    error: Option<&ApiError>,
) {
    let latency_us = started.elapsed().as_micros() as u64;
    let protocol = protocol.map_or("-", Protocol::name);
    match error {
        None => tracing::info!(target: "nimbus::request", service, protocol, operation, status, latency_us, request_id),
        Some(e) => {
            tracing::info!(target: "nimbus::request", service, protocol, operation, status, latency_us, request_id, error = %e.code)
        }
    }
}

pub(crate) fn into_http(r: WireResponse) -> Response {
    let mut response = http::Response::new(Full::new(Bytes::from(r.body)));
    *response.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in r.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.append(name, v);
        }
    }
    headers.insert(http::header::DATE, httpdate_now());
    response
}

thread_local! {
    /// The Date header of the current second, formatted once a second per thread.
    static DATE: std::cell::RefCell<(i64, HeaderValue)> =
        const { std::cell::RefCell::new((i64::MIN, HeaderValue::from_static(""))) };
}

/// The Date header; SDKs use it to correct clock skew.
fn httpdate_now() -> HeaderValue {
    let now = chrono::Utc::now();
    DATE.with(|cached| {
        let mut cached = cached.borrow_mut();
        if cached.0 != now.timestamp() {
            let text = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
            *cached = (now.timestamp(), HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("")));
        }
        cached.1.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixed<S>(inner: S, stall: std::time::Duration) -> Prefixed<S> {
        Prefixed { prefix: Bytes::from_static(b"GET / HTTP/1.1\r\n\r\n"), inner, write_stall: stall, stalled: None }
    }

    /// A peer that stops reading makes writes fail after the stall deadline instead of
    /// holding the connection forever; one that reads keeps it.
    #[tokio::test]
    async fn writes_to_a_peer_that_stopped_reading_time_out() {
        // `theirs` stays open and unread: a stalled peer, not a closed one.
        let (ours, theirs) = tokio::io::duplex(64);
        let mut io = prefixed(ours, std::time::Duration::from_millis(200));
        let mut head = [0u8; 18];
        io.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"GET / HTTP/1.1\r\n\r\n");
        let started = std::time::Instant::now();
        let err = tokio::time::timeout(std::time::Duration::from_secs(5), io.write_all(&[0u8; 4096]))
            .await
            .expect("the stall deadline fired")
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= std::time::Duration::from_millis(150));

        let (ours, mut reader) = tokio::io::duplex(64);
        let mut io = prefixed(ours, std::time::Duration::from_millis(200));
        let drain = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 16];
            // A slow reader: 16 bytes every 10 ms, never stalled for the whole deadline.
            while got.len() < 1024 {
                let n = reader.read(&mut buf).await.unwrap();
                got.extend_from_slice(&buf[..n]);
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            got.len()
        });
        io.write_all(&[1u8; 1024]).await.unwrap();
        assert_eq!(drain.await.unwrap(), 1024);
        drop(theirs);
    }
}
