//! `cargo xtask fuzz [--secs N] [target...]`: builds the cargo-fuzz targets in `fuzz/`
//! and runs each for N seconds (default 15) from the committed seed corpus. Any crash
//! fails the task; libFuzzer leaves the input in `fuzz/artifacts/<target>/`.
//!
//! Needs the nightly toolchain (libFuzzer's instrumentation is nightly-only); installs
//! cargo-fuzz when it is missing. `cargo xtask test` runs this briefly; see
//! docs/fuzzing.md for the longer run.

use std::process::Command;
use std::time::Instant;

use crate::{root, Result};

/// Every target in `fuzz/fuzz_targets/`.
pub const TARGETS: &[&str] =
    &["query_decoder", "json_decoder", "cbor_decoder", "sigv4_header", "filter_engine", "dispatch", "dispatch_seq"];

/// Seconds per target in `cargo xtask test`: with the build (about 4 minutes on two
/// cores from a clean clone) the step stays near 5 minutes.
pub const CI_SECS: u64 = 15;

/// The build every run uses: release with debug assertions and overflow checks (cargo
/// fuzz's default), no sanitizer (nimbus forbids `unsafe`; libFuzzer's coverage and
/// the panic check are what matter) and 16 codegen units, which builds several times
/// faster than cargo fuzz's single unit.
const BUILD_FLAGS: &[&str] = &["--sanitizer", "none", "--codegen-units", "16"];

pub fn run(args: &[String]) -> Result {
    let mut secs = CI_SECS;
    let mut targets = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--secs" => {
                secs = it.next().and_then(|s| s.parse().ok()).ok_or("--secs needs a number of seconds")?;
            }
            t if TARGETS.contains(&t) => targets.push(t),
            other => return Err(format!("unknown fuzz target or option {other}; targets: {}", TARGETS.join(", "))),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    fuzz(&targets, secs)
}

/// Builds every target once, then runs each of `targets` for `secs` seconds.
pub fn fuzz(targets: &[&str], secs: u64) -> Result {
    let root = root();
    let nightly = Command::new("cargo").args(["+nightly", "--version"]).output();
    if !nightly.is_ok_and(|o| o.status.success()) {
        return Err("fuzzing needs the nightly toolchain: rustup toolchain install nightly".into());
    }
    let have_fuzz = Command::new("cargo").args(["+nightly", "fuzz", "--version"]).output();
    if !have_fuzz.is_ok_and(|o| o.status.success()) {
        println!("\n==> cargo install cargo-fuzz --locked");
        let ok = Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]).status();
        if !ok.is_ok_and(|s| s.success()) {
            return Err("could not install cargo-fuzz".into());
        }
    }
    let started = Instant::now();
    println!("\n==> cargo +nightly fuzz build");
    let status = Command::new("cargo")
        .args(["+nightly", "fuzz", "build"])
        .args(BUILD_FLAGS)
        .current_dir(&root)
        .status()
        .map_err(|e| format!("cargo fuzz build: {e}"))?;
    if !status.success() {
        return Err("cargo fuzz build failed".into());
    }
    println!("built in {:.0?}", started.elapsed());
    for target in targets {
        // New inputs go to a scratch corpus under fuzz/target; the committed seeds are
        // only read.
        let work = root.join("fuzz/target/corpus").join(target);
        std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
        println!("\n==> fuzz {target} for {secs}s");
        let status = Command::new("cargo")
            .args(["+nightly", "fuzz", "run"])
            .args(BUILD_FLAGS)
            .arg(target)
            .arg(&work)
            .arg(root.join("fuzz/corpus").join(target))
            .arg("--")
            .arg(format!("-max_total_time={secs}"))
            .args(["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"])
            .current_dir(&root)
            .status()
            .map_err(|e| format!("cargo fuzz run {target}: {e}"))?;
        if !status.success() {
            return Err(format!("fuzz target {target} failed; the input is in fuzz/artifacts/{target}/"));
        }
    }
    println!("\nfuzzed {} targets in {:.0?}", targets.len(), started.elapsed());
    Ok(())
}
