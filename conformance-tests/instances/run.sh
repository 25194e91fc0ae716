#!/usr/bin/env bash
# The seed story on instances that really run: a nimbus of its own with --instances run
# (root, runc, nftables, the base image of emulator/runtime/images/build-base.sh), and
# Ansible's immutable.yml against it. Afterwards nothing of what nimbus made may remain:
# no network namespace, nftables table, cgroup, mount, loop device (EBS volume) or
# sandbox process with its prefix.
#   NIMBUS_BIN                      the nimbus binary
#   NIMBUS_ANSIBLE_ACCESS_KEY/_SECRET_KEY   a credential pair of its own
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
: "${NIMBUS_BIN:?}" "${NIMBUS_ANSIBLE_ACCESS_KEY:?}" "${NIMBUS_ANSIBLE_SECRET_KEY:?}"

image_dir="${NIMBUS_IMAGE_CACHE:-$root/target/nimbus-images/debian-bookworm}"
"$root/emulator/runtime/images/build-base.sh" "$image_dir"

work="$(mktemp -d /tmp/nimbus-immutable.XXXXXX)"
prefix="nci$$"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$NIMBUS_BIN" --port "$port" --instances run --instances-prefix "$prefix" \
    --instances-dir "$work/instances" --instances-image "$image_dir/rootfs" \
    --credentials "$NIMBUS_ANSIBLE_ACCESS_KEY:$NIMBUS_ANSIBLE_SECRET_KEY" >"$work/nimbus.log" 2>&1 &
pid=$!
stop() {
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
}
trap 'stop; rm -rf "$work"' EXIT
endpoint="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
    curl -fsS "$endpoint/_nimbus/health" >/dev/null 2>&1 && break
    sleep 0.05
done
curl -fsS "$endpoint/_nimbus/health" >/dev/null || { cat "$work/nimbus.log"; echo "nimbus --instances run did not start"; exit 1; }

export NIMBUS_ENDPOINT="$endpoint" NIMBUS_INSTANCES_PREFIX="$prefix" WORK="$work"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0 \
    ANSIBLE_PYTHON_INTERPRETER="$(command -v python3)" ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_HOST_KEY_CHECKING=0
unset AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_PROFILE
status=0
start=$(date +%s)
ansible-playbook -i localhost, "$here/immutable.yml" || status=$?
echo "=== immutable.yml: $(( $(date +%s) - start )) s"
if [ "$status" != 0 ]; then
    echo "--- nimbus log (last 40 lines)"
    tail -40 "$work/nimbus.log"
fi

stop
leftovers=""
ip netns list 2>/dev/null | grep -q "^$prefix" && leftovers+=" namespaces:$(ip netns list | grep "^$prefix" | tr '\n' ' ')"
nft list tables 2>/dev/null | grep -q "$prefix" && leftovers+=" nftables:$(nft list tables | grep "$prefix" | tr '\n' ' ')"
grep -q "$work" /proc/mounts && leftovers+=" mounts:$(grep -c "$work" /proc/mounts)"
losetup -l -n -O BACK-FILE 2>/dev/null | grep -q "$work" && leftovers+=" loop-devices:$(losetup -l -n -O NAME,BACK-FILE | grep "$work" | tr '\n' ' ')"
find /sys/fs/cgroup -maxdepth 4 -name "$prefix*" 2>/dev/null | grep -q . && leftovers+=" cgroups"
pgrep -f -- "$prefix" >/dev/null && leftovers+=" processes:$(pgrep -f -- "$prefix" | tr '\n' ' ')"
if [ -n "$leftovers" ]; then
    echo "nimbus left behind:$leftovers"
    exit 1
fi
echo "instances: nothing left behind after shutdown"
exit "$status"
