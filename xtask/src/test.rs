//! `cargo xtask test`: the project's whole test suite, as CI runs it.
//!
//! 1. `cargo fmt --check`, the generated-code drift check, the layout rules
//!    (`cargo xtask layout`), `cargo clippy -D warnings`;
//! 2. unit and integration tests (`cargo test`); as root, first the runtime's host tools
//!    (runc, nftables, debootstrap) and its base image, so the instance tests run;
//! 3. the codec fixtures re-judged by botocore (`cargo xtask codec --check`), unless `--quick`;
//! 4. the conformance suite: real clients against a running nimbus
//!    (`conformance-tests/run`), unless `--quick`;
//! 5. a short fuzz run, 15 s per cargo-fuzz target (`cargo xtask fuzz`, nightly),
//!    unless `--quick`.

use std::process::Command;

use crate::{root, Result};

pub fn run(args: &[String]) -> Result {
    let quick = args.iter().any(|a| a == "--quick");
    let root = root();
    let step = |name: &str, cmd: &mut Command| -> Result {
        println!("\n==> {name}");
        let status = cmd.current_dir(&root).status().map_err(|e| format!("{name}: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{name} failed"))
        }
    };
    step("cargo fmt --check", Command::new("cargo").args(["fmt", "--all", "--", "--check"]))?;
    println!("\n==> generated code is up to date");
    crate::codegen::run(true)?;
    println!("\n==> source layout");
    crate::layout::run()?;
    step(
        "cargo clippy",
        Command::new("cargo").args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]),
    )?;
    step("runtime host tools", &mut Command::new(root.join("emulator/runtime/images/host-tools.sh")))?;
    if is_root() {
        step("runtime base image", &mut Command::new(root.join("emulator/runtime/images/build-base.sh")))?;
    }
    step("cargo test", Command::new("cargo").args(["test", "--workspace"]))?;
    if !quick {
        println!("\n==> codec fixtures judged by botocore");
        crate::codec::run(&["--check".to_string()])?;
        step("conformance tests", &mut Command::new(root.join("conformance-tests/run")))?;
        crate::fuzz::fuzz(crate::fuzz::TARGETS, crate::fuzz::CI_SECS)?;
    }
    println!("\nall tests passed");
    Ok(())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}
