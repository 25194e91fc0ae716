//! `cargo xtask bench`: figures, never assertions.
//!
//! - `startup`: time from exec of a release `nimbus` to its first answered
//!   `/_nimbus/health`, and its resident memory right after.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{root, Result};

pub fn run(args: &[String]) -> Result {
    let root = root();
    let status = Command::new("cargo")
        .args(["build", "--release", "--quiet", "--bin", "nimbus"])
        .current_dir(&root)
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("cargo build --release failed".into());
    }
    let bin = root.join("target/release/nimbus");
    let runs: usize = args.iter().find_map(|a| a.strip_prefix("--runs=")).and_then(|n| n.parse().ok()).unwrap_or(20);
    let mut times = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..runs {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        let mut child = Command::new(&bin)
            .args(["--port", &port.to_string(), "--log", "warn"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let elapsed = loop {
            if health(addr) {
                break started.elapsed();
            }
            if started.elapsed() > Duration::from_secs(5) {
                let _ = child.kill();
                return Err("nimbus did not answer within 5 s".into());
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        times.push(elapsed);
        if let Some(kb) = rss_kib(child.id()) {
            rss.push(kb);
        }
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let _ = child.wait();
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("startup to first /_nimbus/health answer, {runs} runs (release build):");
    println!(
        "  min {:.1} ms  median {:.1} ms  max {:.1} ms",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
    if !rss.is_empty() {
        rss.sort();
        println!("resident memory just after start: median {:.1} MiB", rss[rss.len() / 2] as f64 / 1024.0);
    }
    Ok(())
}

fn health(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(50)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if s.write_all(b"GET /_nimbus/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n >= 12 && &buf[..12] == b"HTTP/1.1 200")
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}
