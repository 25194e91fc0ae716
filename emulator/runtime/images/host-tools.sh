#!/usr/bin/env bash
# Installs what `--instances run` and the runtime's tests need on a Debian host, when run
# as root and something is missing: runc, nftables, iproute2, util-linux (nsenter),
# debootstrap (the base image), openssh-client (the end-to-end test logs in). Without root, or without apt-get, it only says so.
set -euo pipefail
missing=()
for tool in runc:runc nft:nftables ip:iproute2 nsenter:util-linux debootstrap:debootstrap ssh:openssh-client; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "host-tools.sh: missing ${missing[*]} (install them as root to run instances)" >&2
    exit 0
fi
echo "host-tools.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
