//! Network namespaces: made and removed with `ip netns` (bind mounts under /run/netns),
//! entered by a short-lived thread when nimbus itself needs a socket or a sysctl inside.

use std::fs::File;
use std::path::Path;

use nix::sched::{setns, CloneFlags};

use crate::cmd;
use crate::error::{io, Result, RuntimeError};

pub fn path(name: &str) -> String {
    format!("/run/netns/{name}")
}

pub fn exists(name: &str) -> bool {
    Path::new(&path(name)).exists()
}

/// Every namespace under /run/netns.
pub fn list() -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/run/netns") else { return Vec::new() };
    let mut names: Vec<String> =
        dir.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Makes namespace `name` with its loopback up and IPv6 off (the emulated VPCs are IPv4).
pub fn create(name: &str) -> Result<()> {
    if !exists(name) {
        cmd::run("ip", &["netns", "add", name])?;
    }
    cmd::ip_in(name, &["link", "set", "lo", "up"])?;
    sysctls(
        name,
        &[
            ("net/ipv6/conf/all/disable_ipv6", "1"),
            ("net/ipv6/conf/default/disable_ipv6", "1"),
            ("net/ipv4/conf/all/rp_filter", "0"),
            ("net/ipv4/conf/default/rp_filter", "0"),
            ("net/ipv4/conf/all/send_redirects", "0"),
            ("net/ipv4/conf/default/send_redirects", "0"),
        ],
    )
}

/// Kills every process still in namespace `name`, then removes it.
pub fn delete(name: &str) -> Result<()> {
    if !exists(name) {
        return Ok(());
    }
    if let Ok(pids) = cmd::run("ip", &["netns", "pids", name]) {
        for pid in pids.split_whitespace().filter_map(|p| p.parse::<i32>().ok()) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
    }
    cmd::run("ip", &["netns", "del", name]).map(|_| ())
}

/// Runs `f` on a thread that has entered namespace `name`: sockets it makes stay in that
/// namespace after the thread ends; /proc/sys/net it opens is the namespace's.
pub fn within<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let file = File::open(path(name)).map_err(io(format!("open namespace {name}")))?;
    let ns_name = name.to_string();
    std::thread::spawn(move || {
        setns(&file, CloneFlags::CLONE_NEWNET)
            .map_err(|e| RuntimeError::Invalid(format!("cannot enter namespace {ns_name}: {e}")))?;
        Ok(f())
    })
    .join()
    .map_err(|_| RuntimeError::Invalid(format!("thread in namespace {name} panicked")))?
}

/// Writes `/proc/sys/{key}` values inside namespace `name` (keys that do not exist there,
/// such as the bridge netfilter switches without br_netfilter, are skipped).
pub fn sysctls(name: &str, values: &[(&str, &str)]) -> Result<()> {
    let values: Vec<(String, String)> = values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    within(name, move || -> Result<()> {
        for (key, value) in values {
            let file = format!("/proc/sys/{key}");
            if Path::new(&file).exists() {
                std::fs::write(&file, &value).map_err(io(format!("write {file}")))?;
            }
        }
        Ok(())
    })?
}
