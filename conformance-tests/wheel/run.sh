#!/usr/bin/env bash
# The nimbus-cloud wheel as a Python user gets it: built from the debug binary
# (`cargo xtask wheel --dev`, which only relinks it), installed into a fresh venv, and
# run there with no Rust toolchain on PATH: `nimbus --version`, then the pytest plugin's
# own tests (python/tests), which start the installed binary and call it with boto3.
# pytest and boto3 come at the versions conformance-tests/requirements.txt pins.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$here/../.work"
mkdir -p "$work"
started=$(date +%s)

rm -rf "$work/wheel" "$work/wheel-venv"
# The xtask binary itself rather than `cargo xtask` (a `cargo run`, which would change
# the CARGO_* variables that ring's build script watches, and so rebuild it and all
# above it instead of relinking the debug binary).
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
(cd "$root" && cargo build --quiet -p xtask && "$target/debug/xtask" wheel --dev --out "$work/wheel")
wheel="$(ls "$work"/wheel/nimbus_cloud-*.whl)"
echo "wheel: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"

python3 -m venv "$work/wheel-venv"
venv="$work/wheel-venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    -c "$root/conformance-tests/requirements.txt" "$wheel[pytest]"

# Nothing of the build: no cargo, no target directory, no NIMBUS_* settings.
clean=(env -u NIMBUS_BIN -u NIMBUS_ENDPOINT -u CARGO_TARGET_DIR PATH="$venv/bin:/usr/local/bin:/usr/bin:/bin")
if "${clean[@]}" sh -c 'command -v cargo || command -v rustc'; then
    echo "a Rust toolchain is on the clean PATH"; exit 1
fi
"${clean[@]}" nimbus --version
# From python/tests, so that the package imported is the installed one, not python/nimbus_cloud.
(cd "$root/python/tests" && "${clean[@]}" pytest -q -p no:cacheprovider --junitxml="$work/wheel.xml" .)
echo "wheel check took $(( $(date +%s) - started )) s"
