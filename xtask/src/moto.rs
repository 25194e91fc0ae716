//! moto's server (`pip install 'moto[server]'`), the emulator people would otherwise run,
//! as a child process for the comparison benchmarks.
//!
//! moto comes from `NIMBUS_MOTO_SERVER` (a `moto_server` executable) or from a venv the
//! command makes under `target/bench-venv`.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::procmem::{self, Mem};
use crate::{root, Result};

pub struct Moto {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_server() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("NIMBUS_MOTO_SERVER") {
        return Ok(PathBuf::from(path));
    }
    let venv = root().join("target/bench-venv");
    let bin = venv.join("bin/moto_server");
    if !bin.exists() {
        println!("installing moto[server] into {}", venv.display());
        let ok = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().map_err(|e| e.to_string())?.success()
            && Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check", "moto[server]"])
                .status()
                .map_err(|e| e.to_string())?
                .success();
        if !ok || !bin.exists() {
            return Err("could not install moto[server] (pip install 'moto[server]')".into());
        }
    }
    Ok(bin)
}

/// The version pip installed next to `moto_server` (for the report), if it can tell.
pub fn version() -> Option<String> {
    let bin = moto_server().ok()?;
    let python = bin.parent()?.join("python3");
    let out = Command::new(python).args(["-c", "import moto; print(moto.__version__)"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Whether anything answers an HTTP request at `addr` (any status counts).
fn answers(addr: SocketAddr) -> bool {
    crate::bench::response_head(addr, "/", Duration::from_secs(2))
        .is_some_and(|h| h.len() >= 9 && h.starts_with(b"HTTP/1."))
}

impl Moto {
    /// A moto server on a free port, and the time from exec to its first HTTP answer.
    pub fn start() -> Result<(Moto, Duration)> {
        let bin = moto_server()?;
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let moto = Moto { child, addr };
        while !answers(addr) {
            if started.elapsed() > Duration::from_secs(30) {
                return Err("moto_server did not answer within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok((moto, started.elapsed()))
    }

    pub fn mem(&self) -> Option<Mem> {
        procmem::read(self.child.id())
    }
}
