//! `nimbus connect HOST PORT`: an SSH `ProxyCommand` that reaches an instance's public
//! address from the internet namespace of a running nimbus and relays standard input
//! and output over that connection. The host's own namespace gets no route to any
//! emulated address; the socket is made inside the internet namespace (root needed).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use crate::error::{io, Result, RuntimeError};
use crate::names::Names;
use crate::net::ns;

/// A connection to `host:port` from the internet namespace of the runtime with `prefix`.
pub fn connect(prefix: &str, host: &str, port: u16, timeout: Duration) -> Result<TcpStream> {
    let names = Names::new(prefix, Default::default(), Default::default())?;
    let inet = names.internet_netns();
    if !ns::exists(&inet) {
        return Err(RuntimeError::Invalid(format!(
            "no nimbus with --instances run and prefix '{prefix}' is running here (no namespace {inet})"
        )));
    }
    let addr: Ipv4Addr = host.parse().map_err(|_| {
        RuntimeError::Invalid(format!("'{host}' is not an IPv4 address (use the instance's public IP)"))
    })?;
    ns::within(&inet, move || TcpStream::connect_timeout(&SocketAddr::from((addr, port)), timeout))?
        .map_err(io(format!("connect to {host}:{port}")))
}

/// Relays standard input to `stream` and `stream` to standard output until both ends close.
pub fn relay_stdio(stream: TcpStream) -> Result<()> {
    let mut upstream = stream.try_clone().map_err(io("clone the connection"))?;
    let writer = std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 16 * 1024];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if upstream.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = upstream.shutdown(Shutdown::Write);
    });
    let mut downstream = stream;
    let mut stdout = std::io::stdout().lock();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match downstream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if stdout.write_all(&buf[..n]).and_then(|_| stdout.flush()).is_err() {
                    break;
                }
            }
        }
    }
    drop(writer); // stdin may never close (ssh keeps it open): do not wait for it
    Ok(())
}
