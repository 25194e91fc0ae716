//! `cargo xtask codec`: the codec fixtures judged by botocore (`fixtures/codec/`).
//!
//! Regenerating is three steps, because the bytes go both ways:
//! 1. `oracle.py requests`: botocore's client serializes each case's params (the request
//!    bytes) and the case gives the documents nimbus must decode and encode;
//! 2. `NIMBUS_BLESS=1 cargo test --test codec`: nimbus's encoders write their bytes for
//!    each response document into the fixtures;
//! 3. `oracle.py responses`: botocore's client parses nimbus's bytes, which must give
//!    the case's output (or error), and the parse is recorded.
//!
//! `--check` (run by `cargo xtask test`) changes nothing: botocore must still make the
//! committed request bytes and parse the committed response bytes into each case's
//! output. `cargo test` checks the other half: nimbus decodes the committed requests into
//! their documents and still writes the committed response bytes.
//!
//! botocore is the pinned release of `api-specs/BOTOCORE_VERSION`, in a venv of its own
//! under the target directory.

use std::path::PathBuf;
use std::process::Command;

use crate::{root, Result};

const ORACLE: &str = "conformance-tests/codec/oracle.py";

pub fn run(args: &[String]) -> Result {
    let check = args.iter().any(|a| a == "--check");
    let python = venv()?;
    let oracle = |command: &str| -> Result {
        let status = Command::new(&python)
            .arg(root().join(ORACLE))
            .arg(command)
            .current_dir(root())
            .status()
            .map_err(|e| format!("{ORACLE}: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{ORACLE} {command} failed"))
        }
    };
    if check {
        return oracle("check");
    }
    oracle("requests")?;
    codec_test(true)?;
    oracle("responses")?;
    codec_test(false)
}

fn codec_test(bless: bool) -> Result {
    let mut cmd = Command::new("cargo");
    cmd.args(["test", "--quiet", "-p", "nimbus-server", "--test", "codec"]).current_dir(root());
    if bless {
        cmd.env("NIMBUS_BLESS", "1");
    }
    let status = cmd.status().map_err(|e| format!("cargo test: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("the codec test failed".into())
    }
}

/// A venv holding exactly the pinned botocore; made once per version.
fn venv() -> Result<PathBuf> {
    let version = std::fs::read_to_string(root().join("api-specs/BOTOCORE_VERSION"))
        .map_err(|e| format!("api-specs/BOTOCORE_VERSION: {e}"))?;
    let version = version.trim();
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target"));
    let target = if target.is_absolute() { target } else { root().join(target) };
    let dir = target.join(format!("botocore-{version}"));
    let python = dir.join("bin/python");
    let stamp = dir.join(".botocore-version");
    if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == version) {
        return Ok(python);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let ok = |what: &str, status: std::io::Result<std::process::ExitStatus>| -> Result {
        match status {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(format!("{what}: {s}")),
            Err(e) => Err(format!("{what}: {e}")),
        }
    };
    ok("python3 -m venv", Command::new("python3").args(["-m", "venv"]).arg(&dir).status())?;
    ok(
        "pip install botocore",
        Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("botocore=={version}"))
            .status(),
    )?;
    std::fs::write(&stamp, version).map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(python)
}
