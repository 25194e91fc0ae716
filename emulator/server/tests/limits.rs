//! Connection limits on a real socket: the connection cap, stuck and slow clients,
//! the idle keep-alive timeout and the header size limit. Every wait is bounded by
//! generous timeouts; no assertion is tighter than seconds.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use nimbus_server::Config;
use support::{parse_response, Req, Resp, Server};

fn config() -> Config {
    Config { addr: "127.0.0.1:0".parse().unwrap(), ..Config::default() }
}

/// Reads one response (by its Content-Length) from a kept-alive connection.
fn read_one(c: &mut TcpStream) -> Resp {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
            let len: usize =
                head.lines().find_map(|l| l.strip_prefix("content-length:")).map_or(0, |v| v.trim().parse().unwrap());
            if raw.len() >= split + 4 + len {
                return parse_response(&raw[..split + 4 + len]);
            }
        }
        let n = c.read(&mut buf).expect("read a response");
        assert!(n > 0, "connection closed before a whole response: {raw:?}");
        raw.extend_from_slice(&buf[..n]);
    }
}

/// True once the peer has closed `c` (EOF or reset) within `within`.
fn closed_within(c: &mut TcpStream, within: Duration) -> bool {
    c.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match c.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return false,
            Err(_) => return true,
        }
    }
}

const HEALTH: &[u8] = b"GET /_nimbus/health HTTP/1.1\r\nHost: nimbus\r\n\r\n";

#[test]
fn connections_beyond_the_cap_wait_in_the_backlog_and_are_served_once_others_close() {
    let s = Server::start(Config { max_connections: 2, ..config() });
    // Two connections mid-way through their first request's headers take both slots
    // (they are not idle, so nothing may close them to make room).
    let mut held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut c = TcpStream::connect(s.addr).unwrap();
            c.write_all(b"GET /_nimbus/health HTTP/1.1\r\nHost: nimbus\r\n").unwrap();
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // A third connects (the kernel's backlog takes it) but is not served yet.
    let mut extra = TcpStream::connect(s.addr).unwrap();
    extra.write_all(HEALTH).unwrap();
    extra.set_read_timeout(Some(Duration::from_millis(800))).unwrap();
    let mut buf = [0u8; 64];
    match extra.read(&mut buf) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("a connection beyond the cap was served or refused: {other:?}"),
    }
    // The held connections still work.
    held[0].set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    held[0].write_all(b"\r\n").unwrap();
    assert_eq!(read_one(&mut held[0]).status, 200);
    // One closes: the waiting connection is served.
    drop(held.remove(0));
    extra.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let started = Instant::now();
    assert_eq!(read_one(&mut extra).status, 200);
    assert!(started.elapsed() < Duration::from_secs(5));
    // And so are later ones, once the slot frees again.
    drop(extra);
    drop(held);
    let r = s.request(&Req::form("sts", "Action=GetCallerIdentity&Version=2011-06-15"));
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn idle_connections_make_room_at_the_cap() {
    let s = Server::start(Config { max_connections: 2, ..config() });
    // Two kept-alive connections, idle after a request each, fill the cap.
    let mut idle: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut c = TcpStream::connect(s.addr).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            c.write_all(HEALTH).unwrap();
            assert_eq!(read_one(&mut c).status, 200);
            c
        })
        .collect();
    // A newcomer is served promptly (the default idle timeout is a minute) ...
    let started = Instant::now();
    let r = s.request(&Req::form("sts", "Action=GetCallerIdentity&Version=2011-06-15"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    // ... because an idle connection was closed for it.
    let closed = idle.iter_mut().map(|c| closed_within(c, Duration::from_millis(500))).filter(|closed| *closed).count();
    assert!(closed >= 1, "no idle connection was closed");
}

#[test]
fn stuck_clients_do_not_starve_others() {
    let s = Server::start(Config { request_timeout: Duration::from_secs(2), max_connections: 64, ..config() });
    let addr = s.addr;
    // Connected and silent.
    let silent = TcpStream::connect(addr).unwrap();
    // Half a header section.
    let mut half_head = TcpStream::connect(addr).unwrap();
    half_head.write_all(b"POST / HTTP/1.1\r\nHost: nimbus\r\nContent-Ty").unwrap();
    // Whole headers, a tenth of the body.
    let full = Req::json("PutMetricData", br#"{"Namespace":"Stuck","MetricData":[{"MetricName":"M","Value":1}]}"#)
        .to_bytes(addr);
    let body_at = full.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut half_body = TcpStream::connect(addr).unwrap();
    half_body.write_all(&full[..body_at + 5]).unwrap();
    // Kept alive after one request, then nothing.
    let mut kept = TcpStream::connect(addr).unwrap();
    kept.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    kept.write_all(HEALTH).unwrap();
    assert_eq!(read_one(&mut kept).status, 200);

    // 50 requests from 10 threads are all answered, promptly.
    let started = Instant::now();
    let workers: Vec<_> = (0..10)
        .map(|_| {
            std::thread::spawn(move || {
                (0..5)
                    .map(|_| {
                        support::send(
                            addr,
                            &Req::form("sts", "Action=GetCallerIdentity&Version=2011-06-15").to_bytes(addr),
                        )
                        .status
                    })
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    let statuses: Vec<u16> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    assert_eq!(statuses, vec![200; 50]);
    assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());

    // The stuck ones are answered 408 in AWS's form once the request timeout passes.
    for (label, mut c) in [("half header", half_head), ("half body", half_body)] {
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut raw = Vec::new();
        let _ = c.read_to_end(&mut raw);
        let r = parse_response(&raw);
        assert_eq!(r.status, 408, "{label}: {}", r.text());
        assert_eq!(r.error_code().as_deref(), Some("RequestTimeout"), "{label}: {}", r.text());
    }
    // The half-sent PutMetricData changed nothing.
    assert_eq!(s.state()["monitoring"], serde_json::json!({}));
    // The silent one is dropped without an answer.
    let mut silent = silent;
    assert!(closed_within(&mut silent, Duration::from_secs(10)));
}

#[test]
fn idle_kept_alive_connections_are_closed_after_the_idle_timeout() {
    let s = Server::start(Config { idle_timeout: Duration::from_secs(1), ..config() });
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // Requests closer together than the idle timeout keep the connection.
    for _ in 0..3 {
        c.write_all(HEALTH).unwrap();
        assert_eq!(read_one(&mut c).status, 200);
        std::thread::sleep(Duration::from_millis(300));
    }
    // Then silence: closed after about a second, well before ten.
    let started = Instant::now();
    assert!(closed_within(&mut c, Duration::from_secs(10)), "idle connection left open");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(500) && waited < Duration::from_secs(5), "closed after {waited:?}");
    // A slow header on a kept-alive connection is bounded by the same timer.
    let mut slow = TcpStream::connect(s.addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    slow.write_all(HEALTH).unwrap();
    assert_eq!(read_one(&mut slow).status, 200);
    slow.write_all(b"GET /_nimbus/health HTTP/1.1\r\nHo").unwrap();
    assert!(closed_within(&mut slow, Duration::from_secs(10)));
}

#[test]
fn oversized_headers_are_refused_and_the_connection_closed() {
    let s = Server::new();
    let big = "a".repeat(100 * 1024);
    let req = format!("GET /_nimbus/health HTTP/1.1\r\nHost: nimbus\r\nX-Big: {big}\r\n\r\n");
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = c.write_all(req.as_bytes());
    let mut raw = Vec::new();
    let _ = c.read_to_end(&mut raw);
    let r = parse_response(&raw);
    assert_eq!(r.status, 431, "{}", r.text());
    assert_eq!(r.error_code().as_deref(), Some("RequestHeaderSectionTooLarge"), "{}", r.text());
    assert_eq!(r.header("connection"), Some("close"));
    assert!(r.header("x-amzn-requestid").is_some());
    // Headers just under the limit are fine; the server is still up.
    let fits = Req::get("/_nimbus/health").header("X-Big", &"a".repeat(32 * 1024));
    assert_eq!(s.request(&fits).status, 200);
}
