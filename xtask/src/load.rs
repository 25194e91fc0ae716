//! A small signed-HTTP load generator for the benchmarks: keep-alive connections on
//! threads, each replaying one SigV4-signed request (a signature stays valid for AWS's
//! 15-minute window, as at AWS), with latencies recorded per request.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use nimbus_core::sigv4::{self, RequestParts};

/// The bytes of one signed `application/x-www-form-urlencoded` POST.
pub fn signed_form(addr: SocketAddr, service: &str, body: &str) -> Vec<u8> {
    let host = addr.to_string();
    let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let ctype = "application/x-www-form-urlencoded; charset=utf-8";
    let headers: Vec<(&str, &[u8])> =
        vec![("content-type", ctype.as_bytes()), ("host", host.as_bytes()), ("x-amz-date", date.as_bytes())];
    let parts = RequestParts { method: "POST", raw_path: "/", raw_query: "", headers: &headers, body: body.as_bytes() };
    let auth = sigv4::sign_authorization(
        &parts,
        "test",
        "test",
        &date,
        "us-east-1",
        service,
        &["content-type", "host", "x-amz-date"],
    );
    let mut out = format!(
        "POST / HTTP/1.1\r\nhost: {host}\r\ncontent-type: {ctype}\r\nx-amz-date: {date}\r\nauthorization: {auth}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// Sends one request on a connection and reads the whole response; (status, body).
pub fn exchange(conn: &mut TcpStream, request: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    exchange_full(conn, request).map(|(status, body, _)| (status, body))
}

/// `exchange`, and whether the server closes the connection after this response (some
/// servers, moto's among them, answer `Connection: close`).
pub fn exchange_full(conn: &mut TcpStream, request: &[u8]) -> std::io::Result<(u16, Vec<u8>, bool)> {
    conn.write_all(request)?;
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 65536];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let closes =
        head.lines().any(|l| l.starts_with("connection:") && l.contains("close")) || head.starts_with("http/1.0");
    let length: Option<usize> =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok());
    // Without a length, a closing server's body runs to the end of the stream.
    let want = length.map_or(usize::MAX, |n| head_end + n);
    if length.is_some() || closes {
        while buf.len() < want {
            let n = conn.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    }
    Ok((status, buf[head_end..].to_vec(), closes))
}

pub fn call(addr: SocketAddr, request: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    let mut conn = TcpStream::connect(addr)?;
    conn.set_nodelay(true)?;
    exchange(&mut conn, request)
}

pub struct Stats {
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
    /// The first failure seen: a non-200 status with the start of its body, or an I/O error.
    pub first_error: Option<String>,
}

impl Stats {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i.min(self.latencies.len() - 1)]
    }
}

fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let conn = TcpStream::connect(addr)?;
    conn.set_nodelay(true)?;
    Ok(conn)
}

/// What one connection's thread saw.
#[derive(Default)]
struct Outcome {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
}

impl Outcome {
    fn error(&mut self, what: String) {
        self.errors += 1;
        self.first_error.get_or_insert(what);
    }
}

/// Sends the requests of `pool` in turn, from `first` on, until `duration` has passed.
fn replay(addr: SocketAddr, pool: &[Vec<u8>], first: usize, duration: Duration) -> Outcome {
    let mut out = Outcome::default();
    let mut conn = match connect(addr) {
        Ok(c) => c,
        Err(e) => {
            out.error(format!("connect: {e}"));
            return out;
        }
    };
    let deadline = Instant::now() + duration;
    let mut next = first;
    while Instant::now() < deadline {
        let request = &pool[next % pool.len()];
        next += 1;
        let t = Instant::now();
        let reconnect = match exchange_full(&mut conn, request) {
            Ok((200, _, closes)) => {
                out.latencies.push(t.elapsed());
                closes
            }
            Ok((status, body, closes)) => {
                let text: String = String::from_utf8_lossy(&body).chars().take(300).collect();
                out.error(format!("HTTP {status}: {text}"));
                closes
            }
            Err(e) => {
                out.error(format!("I/O: {e}"));
                true
            }
        };
        if reconnect {
            match connect(addr) {
                Ok(c) => conn = c,
                Err(e) => {
                    out.error(format!("connect: {e}"));
                    break;
                }
            }
        }
    }
    out
}

/// Replays `request` on `connections` keep-alive connections for `duration`; only 200
/// answers count as requests (and have latencies), anything else is an error.
pub fn run(addr: SocketAddr, request: &[u8], connections: usize, duration: Duration) -> Stats {
    run_pool(addr, std::sync::Arc::new(vec![request.to_vec()]), connections, duration)
}

/// `run` with a pool of requests: each connection sends them in turn, the connections
/// starting at offsets spread over the pool (so concurrent requests differ).
pub fn run_pool(addr: SocketAddr, pool: std::sync::Arc<Vec<Vec<u8>>>, connections: usize, duration: Duration) -> Stats {
    let started = Instant::now();
    let handles: Vec<_> = (0..connections)
        .map(|i| {
            let pool = pool.clone();
            let first = i * pool.len() / connections.max(1);
            std::thread::spawn(move || replay(addr, &pool, first, duration))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for h in handles {
        if let Ok(o) = h.join() {
            latencies.extend(o.latencies);
            errors += o.errors;
            if first_error.is_none() {
                first_error = o.first_error;
            }
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Stats { requests: latencies.len(), errors, elapsed, latencies, first_error }
}
