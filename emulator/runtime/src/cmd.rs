//! Running the programs the runtime drives: `ip`, `nft`, `runc`, `mount`, `cp`.
//!
//! The workspace forbids `unsafe`, so namespaces, links, routes and mounts are made by the
//! standard tools (whose behaviour is documented and stable) rather than raw syscalls.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::error::{Result, RuntimeError};

fn describe(program: &str, args: &[&str]) -> String {
    let mut s = program.to_string();
    for a in args {
        s.push(' ');
        s.push_str(a);
    }
    s
}

/// Runs `program args`, returns its standard output; a non-zero exit is an error carrying
/// its standard error.
pub fn run(program: &str, args: &[&str]) -> Result<String> {
    run_with_input(program, args, None)
}

/// Runs `program args` with `input` on its standard input.
pub fn run_with_input(program: &str, args: &[&str], input: Option<&str>) -> Result<String> {
    let command = describe(program, args);
    tracing::trace!(%command, "run");
    let mut child = Command::new(program)
        .args(args)
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| RuntimeError::Command { command: command.clone(), stderr: e.to_string() })?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| RuntimeError::Command { command: command.clone(), stderr: e.to_string() })?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| RuntimeError::Command { command: command.clone(), stderr: e.to_string() })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let mut stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if stderr.is_empty() {
            stderr = format!("exit status {}", out.status);
        }
        if let Some(text) = input {
            tracing::debug!(%command, input = text, "failed input");
        }
        Err(RuntimeError::Command { command, stderr })
    }
}

/// `ip -n NS args`.
pub fn ip_in(ns: &str, args: &[&str]) -> Result<String> {
    let mut all = vec!["-n", ns];
    all.extend_from_slice(args);
    run("ip", &all)
}

/// `ip -n NS -batch -` with `lines`: many changes for one process start.
pub fn ip_batch(ns: &str, lines: &str) -> Result<String> {
    if lines.trim().is_empty() {
        return Ok(String::new());
    }
    run_with_input("ip", &["-n", ns, "-batch", "-"], Some(lines))
}

/// `nft -f -` with `ruleset` inside network namespace `ns` (one atomic transaction).
/// nft is started by a thread that entered the namespace, so it is born there.
pub fn nft_in(ns: &str, ruleset: &str) -> Result<String> {
    let ruleset = ruleset.to_string();
    crate::net::ns::within(ns, move || run_with_input("nft", &["-f", "-"], Some(&ruleset)))?
}

/// [`nft_in`] for many namespaces at once, a few at a time: a change to a group with
/// many members reaches all of them together.
pub fn nft_many(jobs: &[(String, String)]) -> Vec<Result<String>> {
    const PARALLEL: usize = 8;
    let mut results = Vec::with_capacity(jobs.len());
    for chunk in jobs.chunks(PARALLEL) {
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunk.iter().map(|(ns, text)| scope.spawn(move || nft_in(ns, text))).collect();
            for h in handles {
                results.push(h.join().unwrap_or_else(|_| {
                    Err(RuntimeError::Command { command: "nft".into(), stderr: "thread panicked".into() })
                }));
            }
        });
    }
    results
}

/// Whether `program` can be found on PATH.
pub fn exists(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}
