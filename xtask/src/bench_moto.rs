//! `vs-moto`: the same SigV4-signed requests against nimbus and against moto's server
//! (`pip install 'moto[server]'`, the server people would otherwise run), in the same run
//! on the same machine, with the nimbus/moto ratios. moto reads but does not verify the
//! signatures; nimbus verifies every one.
//!
//! moto comes from `NIMBUS_MOTO_SERVER` (a `moto_server` executable) or from a venv the
//! command makes under `target/bench-venv`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::bench::{ms, Nimbus};
use crate::load::{self, Stats};
use crate::{root, Result};

struct Moto {
    child: Child,
    addr: SocketAddr,
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

impl Moto {
    fn start() -> Result<Moto> {
        let bin = moto_server()?;
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        let moto = Moto { child, addr };
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(50)).is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                return Err("moto_server did not listen within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(moto)
    }
}

fn line(who: &str, s: &Stats) -> String {
    format!(
        "{who}: {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
        s.rps(),
        ms(s.percentile(0.5)),
        ms(s.percentile(0.99)),
        s.errors
    )
}

pub fn vs_moto() -> Result {
    let moto = Moto::start()?;
    let (nimbus, _) = Nimbus::start()?;
    println!("\nvs-moto: the same signed requests, 5 s each, nimbus (signatures verified) and moto's server");
    let workloads = [("DescribeVpcs", "ec2", "Action=DescribeVpcs&Version=2016-11-15")];
    for (label, service, body) in workloads {
        // Both create their default VPC on the first call; that one is not timed.
        for addr in [nimbus.addr, moto.addr] {
            load::call(addr, &load::signed_form(addr, service, body)).map_err(|e| e.to_string())?;
        }
        for connections in [1, 64] {
            let n = load::run(
                nimbus.addr,
                &load::signed_form(nimbus.addr, service, body),
                connections,
                Duration::from_secs(5),
            );
            let m =
                load::run(moto.addr, &load::signed_form(moto.addr, service, body), connections, Duration::from_secs(5));
            println!("  {label}, {connections} connection(s):");
            println!("    {}", line("nimbus", &n));
            println!("    {}", line("moto  ", &m));
            println!("    nimbus/moto: {:.1}x the requests per second", n.rps() / m.rps().max(f64::MIN_POSITIVE));
        }
    }
    Ok(())
}
