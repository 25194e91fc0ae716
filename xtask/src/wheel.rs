//! `cargo xtask wheel`: the `nimbus-cloud` Python wheel (`python/`): the `nimbus` binary
//! as a script of the wheel (maturin's `bin` bindings) plus the pytest plugin, versioned
//! from the workspace version.
//!
//! - default: a release build for `x86_64-unknown-linux-musl`. The binary is static, so
//!   the wheel is tagged for both glibc systems (maturin's audit: `manylinux_2_5`, as no
//!   glibc symbol is needed) and musl ones (Alpine: `musllinux_1_2`, added by `wheel tags`);
//! - `--target aarch64-unknown-linux-musl` (repeatable) adds other targets: rustup's
//!   target, and for a foreign architecture zig as the linker (`--zig`, ziglang from PyPI);
//! - `--dev`: the host's glibc target and the dev profile, which reuses the debug build
//!   `cargo build --bin nimbus` made (only the binary is relinked, stripped): what CI
//!   installs and tests. maturin's audit picks the lowest manylinux tag the binary's
//!   glibc symbol versions allow. The reuse needs the environment cargo saw then:
//!   `ring`'s build script watches `CARGO_MANIFEST_DIR` and `CARGO_PKG_*`, which
//!   `cargo xtask` (a `cargo run`) sets, so conformance-tests/wheel/run.sh runs the
//!   built xtask binary itself;
//! - `--out DIR` [default: `<target dir>/wheels`].
//!
//! maturin and wheel come from PyPI, pinned, into a venv under the target directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{root, Result};

const MATURIN: &str = "maturin==1.16.0";
const WHEEL: &str = "wheel==0.45.1";
const ZIG: &str = "ziglang>=0.13,<0.16";
const DEFAULT_TARGET: &str = "x86_64-unknown-linux-musl";

pub fn run(args: &[String]) -> Result {
    let mut dev = false;
    let mut targets = Vec::new();
    let mut out = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--dev" => dev = true,
            "--target" => targets.push(rest.next().ok_or("--target needs a triple")?.clone()),
            "--out" => out = Some(PathBuf::from(rest.next().ok_or("--out needs a directory")?)),
            other => return Err(format!("wheel: unknown argument {other}")),
        }
    }
    let out = out.unwrap_or_else(|| target_dir().join("wheels"));
    let out = if out.is_absolute() { out } else { std::env::current_dir().map_err(|e| e.to_string())?.join(out) };
    let tools = tools_venv(&[MATURIN, WHEEL])?;
    if dev {
        if !targets.is_empty() {
            return Err("--dev builds for the host only".into());
        }
        let wheel = maturin(&tools, &["--profile", "dev"], &[], &out)?;
        println!("{}", wheel.display());
        return Ok(());
    }
    if targets.is_empty() {
        targets.push(DEFAULT_TARGET.to_string());
    }
    for target in &targets {
        ensure_rust_target(target)?;
        let mut flags = vec!["--release", "--target", target.as_str()];
        let mut env = Vec::new();
        if !target.starts_with(std::env::consts::ARCH) {
            tools_venv(&[ZIG])?;
            flags.push("--zig");
        } else if target.ends_with("-musl") {
            // ring compiles C: with musl's headers and libc (Debian: musl-tools).
            ensure_musl_gcc()?;
            env.push((format!("CC_{}", target.replace('-', "_")), "musl-gcc".to_string()));
        }
        let wheel = maturin(&tools, &flags, &env, &out)?;
        let wheel = if target.ends_with("-musl") { also_manylinux(&tools, &wheel, target)? } else { wheel };
        println!("{}", wheel.display());
    }
    Ok(())
}

fn target_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target"));
    if target.is_absolute() {
        target
    } else {
        root().join(target)
    }
}

fn check(what: &str, status: std::io::Result<std::process::ExitStatus>) -> Result {
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("{what}: {s}")),
        Err(e) => Err(format!("{what}: {e}")),
    }
}

/// The venv holding the packaging tools, with `pins` installed once each.
fn tools_venv(pins: &[&str]) -> Result<PathBuf> {
    let dir = target_dir().join("wheel-tools");
    let python = dir.join("bin/python");
    if !python.exists() {
        check("python3 -m venv", Command::new("python3").args(["-m", "venv"]).arg(&dir).status())?;
    }
    for pin in pins {
        let stamp = dir.join(format!(".installed-{pin}"));
        if stamp.exists() {
            continue;
        }
        check(
            &format!("pip install {pin}"),
            Command::new(&python)
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", pin])
                .status(),
        )?;
        std::fs::write(&stamp, "").map_err(|e| format!("{}: {e}", stamp.display()))?;
    }
    Ok(dir)
}

/// `maturin build` in `python/`; the wheel it wrote.
fn maturin(tools: &Path, flags: &[&str], env: &[(String, String)], out: &Path) -> Result<PathBuf> {
    let before = wheels_in(out);
    let mut cmd = Command::new(tools.join("bin/maturin"));
    cmd.arg("build").args(flags).arg("--out").arg(out).current_dir(root().join("python"));
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    check("maturin build", cmd.status())?;
    let after = wheels_in(out);
    after
        .into_iter()
        .filter(|(_, modified)| before.iter().all(|(_, m)| m < modified) || before.is_empty())
        .max_by_key(|(_, modified)| *modified)
        .map(|(path, _)| path)
        .ok_or_else(|| format!("maturin wrote no wheel into {}", out.display()))
}

fn wheels_in(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .filter_map(|p| Some((p.clone(), std::fs::metadata(&p).ok()?.modified().ok()?)))
        .collect()
}

fn ensure_rust_target(target: &str) -> Result {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    if installed.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == target)) {
        return Ok(());
    }
    check(
        &format!("rustup target add {target} (the wheel needs the Rust standard library for {target})"),
        Command::new("rustup").args(["target", "add", target]).status(),
    )
}

fn ensure_musl_gcc() -> Result {
    let found = |name: &str| Command::new(name).arg("--version").output().is_ok_and(|o| o.status.success());
    if found("musl-gcc") {
        return Ok(());
    }
    let root_user = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if root_user && found("apt-get") {
        let install = || Command::new("apt-get").args(["install", "-y", "-qq", "musl-tools"]).status();
        if install().is_ok_and(|s| s.success())
            || (Command::new("apt-get").args(["update", "-qq"]).status().is_ok()
                && install().is_ok_and(|s| s.success()))
        {
            return Ok(());
        }
    }
    Err("musl-gcc not found: install musl-tools (Debian, Ubuntu) or musl-dev (Alpine)".into())
}

/// A musl binary that is fully static runs on any Linux of its architecture, glibc or
/// not, so its wheel gets both a manylinux and a musllinux tag. maturin's audit of an
/// x86_64 build finds no glibc symbol and tags it for every glibc (`manylinux_2_5`); a zig
/// build it tags `musllinux_1_2` only.
fn also_manylinux(tools: &Path, wheel: &Path, target: &str) -> Result<PathBuf> {
    let arch = target.split('-').next().unwrap_or_default();
    let binary = target_dir().join(target).join("release/nimbus");
    let elf = std::fs::read(&binary).map_err(|e| format!("{}: {e}", binary.display()))?;
    if !is_static(&elf) {
        println!("{}: not static; the wheel keeps maturin's tags only", binary.display());
        return Ok(wheel.to_path_buf());
    }
    let name = wheel.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut add = Vec::new();
    if !name.contains("manylinux") {
        // Built with zig, maturin names musl only; 2014 is aarch64's first manylinux.
        add.push(format!("manylinux_2_17_{arch}.manylinux2014_{arch}"));
    }
    if !name.contains("musllinux") {
        add.push(format!("musllinux_1_2_{arch}"));
    }
    if add.is_empty() {
        return Ok(wheel.to_path_buf());
    }
    let tagged = Command::new(tools.join("bin/python"))
        .args(["-m", "wheel", "tags", "--remove", "--platform-tag"])
        .arg(format!("+{}", add.join(".")))
        .arg(wheel)
        .output()
        .map_err(|e| format!("wheel tags: {e}"))?;
    // It prints the new wheel's file name, written beside the old one.
    let name = String::from_utf8_lossy(&tagged.stdout).lines().last().unwrap_or_default().trim().to_string();
    if !tagged.status.success() || name.is_empty() {
        return Err(format!("wheel tags: {}", String::from_utf8_lossy(&tagged.stderr)));
    }
    Ok(wheel.with_file_name(name))
}

/// An ELF executable with no interpreter (PT_INTERP) is started by the kernel itself and
/// loads no shared library: static (static-pie keeps a dynamic section for relocating
/// itself, so that one is no sign). 64-bit little-endian only, which both targets are.
fn is_static(elf: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    let u16_at = |o: usize| elf.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let u32_at = |o: usize| elf.get(o..o + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let u64_at = |o: usize| elf.get(o..o + 8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes);
    if elf.get(0..4) != Some(b"\x7fELF") || elf.get(4) != Some(&2) || elf.get(5) != Some(&1) {
        return false;
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38)) else {
        return false;
    };
    (0..phnum).all(|i| u32_at(phoff as usize + i * phentsize).is_some_and(|kind| kind != PT_INTERP))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dynamic_executable_is_not_static() {
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(!is_static(&me), "the test binary links glibc dynamically");
        assert!(!is_static(b"#!/bin/sh\n"));
    }

    /// A 64-bit little-endian ELF header with one program header of `kind`.
    fn elf_with(kind: u32) -> Vec<u8> {
        let mut elf = vec![0u8; 64 + 56];
        elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
        elf[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        elf[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        elf[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes());
        elf[64..68].copy_from_slice(&kind.to_le_bytes());
        elf
    }

    #[test]
    fn no_interpreter_is_static() {
        assert!(is_static(&elf_with(1)), "PT_LOAD only");
        assert!(is_static(&elf_with(2)), "static-pie keeps PT_DYNAMIC");
        assert!(!is_static(&elf_with(3)), "PT_INTERP");
        assert!(!is_static(&elf_with(1)[..66]), "truncated");
    }
}
