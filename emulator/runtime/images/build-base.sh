#!/usr/bin/env bash
# Builds nimbus's base root filesystem: Debian 12 (bookworm) from Debian's packages with
# bash, coreutils, sshd, curl, python3 (for Ansible), sudo and tini. It stands in for the
# public catalogue's Linux AMIs (Amazon Linux 2023 and 2, Ubuntu, Debian); each boots it
# with its own default user (ec2-user, ubuntu, admin).
#
#   emulator/runtime/images/build-base.sh [OUT]    (as root; needs debootstrap)
#
# OUT defaults to $NIMBUS_IMAGE_CACHE, else target/nimbus-images/debian-bookworm in the
# repository. The root filesystem lands in OUT/rootfs. A finished build is reused (the
# stamp OUT/rootfs/.nimbus-base, which names the packages: a cache built with another
# package list is built again), so CI and the tests call this freely; concurrent calls
# wait for one build. NIMBUS_DEBIAN_MIRROR overrides http://deb.debian.org/debian.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out=${1:-${NIMBUS_IMAGE_CACHE:-$repo/target/nimbus-images/debian-bookworm}}
mirror=${NIMBUS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=openssh-server,curl,python3,sudo,tini,iproute2,procps,ca-certificates,netcat-openbsd,iputils-ping,less,e2fsprogs,mount

current() { grep -qxF "packages=$packages" "$out/rootfs/.nimbus-base" 2>/dev/null; }
if current; then
    echo "base image: $out/rootfs (cached)"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "build-base.sh: run as root (debootstrap makes device nodes and chowns files)" >&2
    exit 1
fi
if ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
fi
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
if current; then
    echo "base image: $out/rootfs (built meanwhile)"
    exit 0
fi
partial="$out/rootfs.partial"
rm -rf "$partial"
echo "base image: debootstrap bookworm into $partial (a few minutes)"
debootstrap --variant=minbase --include="$packages" bookworm "$partial" "$mirror" >"$out/debootstrap.log" 2>&1 || {
    tail -20 "$out/debootstrap.log" >&2
    exit 1
}
# Host keys are made per instance at its first boot; package caches are not needed.
rm -f "$partial"/etc/ssh/ssh_host_*
rm -rf "$partial"/var/cache/apt/archives/*.deb "$partial"/var/lib/apt/lists/* "$partial"/var/log/*.log
: >"$partial/etc/hostname"
# No DNS is reachable from instances; keep name lookups local and quick.
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$partial/etc/resolv.conf"
printf 'nimbus base image, Debian bookworm, %s\npackages=%s\n' "$(date -u +%Y-%m-%d)" "$packages" >"$partial/.nimbus-base"
rm -rf "$out/rootfs"
mv "$partial" "$out/rootfs"
echo "base image: $out/rootfs ($(du -sh "$out/rootfs" | cut -f1))"
