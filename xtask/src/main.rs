//! `cargo xtask <task>`: the project's developer tasks.
//!
//! - `specs`      fetch the pinned botocore release with pip and rewrite `api-specs/`
//! - `codegen`    regenerate everything derived from `api-specs/` (`--check`: fail on drift)
//! - `codec`      regenerate the codec fixtures botocore judges (`--check`: botocore re-judges them)
//! - `coverage`   write `docs/coverage.md`, implemented operations vs. the models
//! - `test`       the whole test suite: lints, unit and integration tests, conformance
//! - `bench`      benchmark figures (start-up, memory, throughput, nimbus vs moto, soak, --state-dir)
//! - `fuzz`       the cargo-fuzz targets in `fuzz/`, briefly (`--secs N`, target names)
//! - `layout`     the tree's rules: files under 800 lines, no import circle between EC2 families
//! - `wheel`      the `nimbus-cloud` Python wheel: the binary plus the pytest plugin (`--dev`: from the debug build)

mod bare_hyper;
mod bench;
mod bench_compare;
mod bench_compute;
mod bench_cw;
mod bench_cw_put;
mod bench_fixture;
mod bench_persist;
mod bench_read;
mod bench_runtime;
mod bench_soak;
mod codec;
mod codegen;
mod coverage;
mod fuzz;
mod layout;
mod load;
mod moto;
mod procmem;
mod specs;
mod test;
mod wheel;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The services nimbus emulates: (crate directory, botocore service name, api version).
pub const SERVICES: &[Service] = &[
    Service { key: "ec2", botocore: "ec2", version: "2016-11-15" },
    Service { key: "cloudwatch", botocore: "cloudwatch", version: "2010-08-01" },
    Service { key: "sts", botocore: "sts", version: "2011-06-15" },
    Service { key: "ssm", botocore: "ssm", version: "2014-11-06" },
];

pub struct Service {
    /// Directory under `api-specs/` and `emulator/`, and the section in operations.toml.
    pub key: &'static str,
    pub botocore: &'static str,
    pub version: &'static str,
}

pub type Result<T = ()> = std::result::Result<T, String>;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("specs") => specs::run(),
        Some("codegen") => codegen::run(args.iter().any(|a| a == "--check")),
        Some("codec") => codec::run(&args[1..]),
        Some("coverage") => coverage::run(),
        Some("test") => test::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("bare-hyper") => bare_hyper::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("layout") => layout::run(),
        Some("wheel") => wheel::run(&args[1..]),
        _ => Err("usage: cargo xtask <specs | codegen [--check] | codec [--check] | coverage | test [--quick] | bench | fuzz [--secs N] [target...] | layout | wheel [--dev] [--target TRIPLE] [--out DIR]>".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
