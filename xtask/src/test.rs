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

use std::cell::RefCell;
use std::process::Command;
use std::time::Instant;

use crate::{root, Result};

pub fn run(args: &[String]) -> Result {
    let quick = args.iter().any(|a| a == "--quick");
    let root = root();
    // Where CI's time goes: every step's wall time, printed as it ends and again at the end.
    let timings = RefCell::new(Vec::<(String, f64)>::new());
    let timed = |name: &str, body: &mut dyn FnMut() -> Result| -> Result {
        println!("\n==> {name}");
        let started = Instant::now();
        let outcome = body();
        let secs = started.elapsed().as_secs_f64();
        println!("==> {name}: {secs:.0} s");
        timings.borrow_mut().push((name.to_string(), secs));
        outcome
    };
    let step = |name: &str, cmd: &mut Command| -> Result {
        timed(name, &mut || {
            let status = cmd.current_dir(&root).status().map_err(|e| format!("{name}: {e}"))?;
            if status.success() {
                Ok(())
            } else {
                Err(format!("{name} failed"))
            }
        })
    };
    let outcome = run_steps(quick, &root, &timed, &step);
    println!("\nStep timings (seconds):");
    for (name, secs) in timings.borrow().iter() {
        println!("  {name:<40} {secs:>7.0}");
    }
    outcome?;
    println!("\nall tests passed");
    Ok(())
}

type Timed<'a> = dyn Fn(&str, &mut dyn FnMut() -> Result) -> Result + 'a;
type Step<'a> = dyn Fn(&str, &mut Command) -> Result + 'a;

fn run_steps(quick: bool, root: &std::path::Path, timed: &Timed, step: &Step) -> Result {
    step("cargo fmt --check", Command::new("cargo").args(["fmt", "--all", "--", "--check"]))?;
    timed("generated code is up to date", &mut || crate::codegen::run(true))?;
    timed("source layout", &mut || crate::layout::run())?;
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
        timed("codec fixtures judged by botocore", &mut || crate::codec::run(&["--check".to_string()]))?;
        step("conformance tests", &mut Command::new(root.join("conformance-tests/run")))?;
        timed("fuzz", &mut || crate::fuzz::fuzz(crate::fuzz::TARGETS, crate::fuzz::CI_SECS))?;
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}
