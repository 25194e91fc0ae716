#!/usr/bin/env bash
# nimbus_cloud.testcontainers.NimbusContainer (python/) against an image already built
# (run.sh builds it, then calls this): podman's Docker-compatible API on a socket of this
# run stands in for a Docker engine, and test_testcontainers.py starts containers through
# it with testcontainers and calls them with boto3. The venv (requirements.txt, with
# ../requirements.txt's pins) is kept in the cache directory and made again when either
# file changes.
#
# Environment: NIMBUS_IMAGE (the tag to test, default localhost/nimbus:dev), and as run.sh
# sets them: NIMBUS_CONTAINER_CACHE, NIMBUS_PODMAN_FLAGS, NIMBUS_NOFILE, NIMBUS_NPROC.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
IMAGE=${NIMBUS_IMAGE:-localhost/nimbus:dev}
CACHE_DIR=${NIMBUS_CONTAINER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nimbus-container}
read -r -a PODMAN_FLAGS <<<"${NIMBUS_PODMAN_FLAGS:---runtime runc --cgroup-manager cgroupfs}"
export NIMBUS_NOFILE=${NIMBUS_NOFILE:-1024:1024} NIMBUS_NPROC=${NIMBUS_NPROC:-32768:32768}
mkdir -p "$CACHE_DIR"

log() { printf '[testcontainers.sh %(%H:%M:%S)T] %s\n' -1 "$*"; }

venv=$CACHE_DIR/testcontainers-venv
want=$(cat "$here/requirements.txt" "$repo/conformance-tests/requirements.txt" | sha256sum | cut -d' ' -f1)
if [[ ! -x $venv/bin/python || $(cat "$venv/.requirements.sha256" 2>/dev/null) != "$want" ]]; then
    log "making $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        -c "$repo/conformance-tests/requirements.txt" -r "$here/requirements.txt"
    echo "$want" >"$venv/.requirements.sha256"
fi

sock=/run/nimbus-tc-$$.sock
service_log=$CACHE_DIR/podman-service.log
service=
cleanup() {
    if [[ -n $service ]]; then
        kill "$service" 2>/dev/null || true
        wait "$service" 2>/dev/null || true
    fi
    rm -f "$sock"
}
trap cleanup EXIT
podman "${PODMAN_FLAGS[@]}" system service --time=0 "unix://$sock" >"$service_log" 2>&1 &
service=$!
for _ in $(seq 1 100); do
    curl -fsS --unix-socket "$sock" http://d/_ping >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS --unix-socket "$sock" http://d/_ping >/dev/null || {
    tail -n 20 "$service_log" >&2
    echo "podman system service did not answer on $sock" >&2
    exit 1
}
log "podman system service on $sock; image $IMAGE"

# Ryuk (testcontainers' reaper) is an image from a registry, unreachable here; the tests
# stop their containers themselves. Inside a container (as CI runs) testcontainers would
# take the engine for a sibling and reach containers through the bridge gateway, which
# podman's container list does not give; the published ports are on this host, so
# docker_host. nimbus_cloud comes from the source tree.
status=0
DOCKER_HOST=unix://$sock TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_CONNECTION_MODE=docker_host \
    NIMBUS_IMAGE=$IMAGE PYTHONPATH=$repo/python \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider "$here/test_testcontainers.py" || status=$?
if ((status)); then
    echo "--- podman service log (tail) ---" >&2
    tail -n 30 "$service_log" >&2
fi
exit "$status"
