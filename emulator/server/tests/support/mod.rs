//! A nimbus on port 0 and a tiny signed HTTP/1.1 client for the integration tests.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use nimbus_core::sigv4::{self, RequestParts};
use nimbus_server::{serve, App, Config};

pub struct Server {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(config: Config) -> Server {
        let app = App::new(config);
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let served = app.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                serve(listener, served, async {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = addr_rx.recv().unwrap();
        Server { addr, app, stop: Some(stop_tx), thread: Some(thread) }
    }

    pub fn new() -> Server {
        Server::start(Config { addr: "127.0.0.1:0".parse().unwrap(), ..Config::default() })
    }

    /// Signals shutdown and waits for `serve` to return.
    pub fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }

    pub fn request(&self, req: &Req) -> Resp {
        send(self.addr, &req.to_bytes(self.addr))
    }

    pub fn state(&self) -> serde_json::Value {
        let r = self.request(&Req::get("/_nimbus/state"));
        serde_json::from_slice(&r.body).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Sign with (service, region, access key, secret) when set.
    pub sign: Option<(String, String, String, String)>,
    pub amz_date: Option<String>,
}

impl Req {
    pub fn get(path: &str) -> Req {
        Req { method: "GET".into(), path: path.into(), headers: vec![], body: vec![], sign: None, amz_date: None }
    }

    pub fn post(path: &str, body: impl Into<Vec<u8>>) -> Req {
        Req { method: "POST".into(), path: path.into(), headers: vec![], body: body.into(), sign: None, amz_date: None }
    }

    /// A form request for `service` (ec2, sts, monitoring), signed with test/test.
    pub fn form(service: &str, body: &str) -> Req {
        Req::post("/", body.as_bytes().to_vec())
            .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
            .signed(service)
    }

    pub fn json(op: &str, body: &[u8]) -> Req {
        Req::post("/", body.to_vec())
            .header("Content-Type", "application/x-amz-json-1.0")
            .header("X-Amz-Target", &format!("GraniteServiceVersion20100801.{op}"))
            .signed("monitoring")
    }

    pub fn cbor(op: &str, body: &[u8]) -> Req {
        Req::post(&format!("/service/GraniteServiceVersion20100801/operation/{op}"), body.to_vec())
            .header("Content-Type", "application/cbor")
            .header("Accept", "application/cbor")
            .header("smithy-protocol", "rpc-v2-cbor")
            .signed("monitoring")
    }

    pub fn header(mut self, k: &str, v: &str) -> Req {
        self.headers.push((k.into(), v.into()));
        self
    }

    pub fn signed(mut self, service: &str) -> Req {
        self.sign = Some((service.into(), "us-east-1".into(), "test".into(), "test".into()));
        self
    }

    pub fn unsigned(mut self) -> Req {
        self.sign = None;
        self
    }

    pub fn to_bytes(&self, addr: SocketAddr) -> Vec<u8> {
        let host = addr.to_string();
        let mut headers = self.headers.clone();
        headers.push(("Host".into(), host.clone()));
        if let Some((service, region, ak, sk)) = &self.sign {
            let date = self.amz_date.clone().unwrap_or_else(|| chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string());
            headers.push(("X-Amz-Date".into(), date.clone()));
            let (path, query) = self.path.split_once('?').unwrap_or((&self.path, ""));
            let hdrs: Vec<(&str, &[u8])> = headers.iter().map(|(k, v)| (k.as_str(), v.as_bytes())).collect();
            let parts = RequestParts {
                method: &self.method,
                raw_path: path,
                raw_query: query,
                headers: &hdrs,
                body: &self.body,
            };
            let signed: Vec<String> = headers.iter().map(|(k, _)| k.to_ascii_lowercase()).collect();
            let mut signed_sorted: Vec<&str> = signed.iter().map(String::as_str).collect();
            signed_sorted.sort();
            let auth = sigv4::sign_authorization(&parts, ak, sk, &date, region, service, &signed_sorted);
            headers.push(("Authorization".into(), auth));
        }
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.path).into_bytes();
        for (k, v) in &headers {
            out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        out.extend_from_slice(format!("Content-Length: {}\r\nConnection: close\r\n\r\n", self.body.len()).as_bytes());
        out.extend_from_slice(&self.body);
        out
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The AWS error code in any protocol.
    pub fn error_code(&self) -> Option<String> {
        if let Some(q) = self.header("x-amzn-query-error") {
            return q.split(';').next().map(str::to_string);
        }
        let text = self.text();
        let start = text.find("<Code>")? + 6;
        let end = text[start..].find("</Code>")? + start;
        Some(text[start..end].to_string())
    }
}

pub fn send(addr: SocketAddr, bytes: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // The server may answer (413) before reading the whole body and close; that's fine.
    let _ = s.write_all(bytes);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse_response(&raw)
}

pub fn parse_response(raw: &[u8]) -> Resp {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| panic!("no response head in {raw:?}"));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Resp { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else { return out };
        let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}
