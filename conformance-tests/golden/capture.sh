#!/usr/bin/env bash
# Re-captures the golden wire tests' requests from the real clients, then rewrites the
# expected responses. Review the diff before committing it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/../.venv"
[ -x "$venv/bin/python" ] || { echo "run conformance-tests/run once first (it makes the venv)"; exit 1; }
cd "$root"
cargo build --quiet --bin nimbus
capture="$(mktemp -d)"
port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
./target/debug/nimbus --port "$port" --capture-dir "$capture" --id-seed 1 2>"$capture.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$capture" "$capture.log"' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/_nimbus/health" >/dev/null 2>&1 && break; sleep 0.05; done
rm -rf fixtures/golden/ec2 fixtures/golden/query fixtures/golden/json fixtures/golden/rpcv2-cbor
NIMBUS_ENDPOINT="http://127.0.0.1:$port" NIMBUS_CAPTURE_DIR="$capture" "$venv/bin/python" "$here/capture.py"
NIMBUS_BLESS=1 cargo test --quiet -p nimbus-server --test golden
git status --short fixtures/golden | head -50
