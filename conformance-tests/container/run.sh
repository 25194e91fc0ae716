#!/usr/bin/env bash
# The container image, end to end, on a machine with no Docker engine and no image
# registry: podman (rootful) builds the repository's Dockerfile on Debian 12 base images
# made here with debootstrap, then runs the image and checks that
#   - the HEALTHCHECK (`nimbus healthcheck`) turns healthy and /_nimbus/health answers
#     on the published port,
#   - the server runs as a non-root user,
#   - SIGTERM (`podman stop`) makes it exit promptly, with status 0,
#   - nimbus_cloud.testcontainers.NimbusContainer (python/) starts it through podman's
#     Docker-compatible API and boto3 reaches it (testcontainers.sh).
# It prints the health JSON, the image size and the time of every phase.
#
# Needs root (rootful podman, apt-get, debootstrap) and a rustup toolchain on the host
# (RUSTUP_HOME/CARGO_HOME, default ~/.rustup and ~/.cargo): the build stage runs the
# host's cargo, bind-mounted into the build, and fetches crates from crates.io (the host's
# ~/.cargo registry cache is reused and filled).
#
# Safe to re-run: packages are installed only when missing (`apt-get update` only when an
# install fails or apt has no lists), the base images are made only when podman does not
# have them (their root filesystems are cached as tarballs in $CACHE_DIR), the image build
# reuses podman's layer cache, and the container is removed on exit whatever happens.
#
# Environment (all optional):
#   NIMBUS_IMAGE             tag to build            [localhost/nimbus:dev]
#   NIMBUS_CONTAINER_CACHE   rootfs tarball cache    [${XDG_CACHE_HOME:-$HOME/.cache}/nimbus-container]
#   NIMBUS_DEBIAN_MIRROR     Debian mirror           [the one apt uses, else deb.debian.org]
#   NIMBUS_PODMAN_FLAGS      podman global flags     [--runtime runc --cgroup-manager cgroupfs]
#   NIMBUS_NOFILE            container nofile ulimit [1024:1024]
#   NIMBUS_NPROC             container nproc ulimit  [32768:32768]
#   NIMBUS_HEALTH_TIMEOUT    seconds to turn healthy [60]
#   NIMBUS_STOP_TIMEOUT      seconds SIGTERM may take before SIGKILL, and the limit
#                            this check allows       [10]
#   NIMBUS_CONTAINER_STAGE   build: only make the image (host packages, base images, build);
#                            run: only run and check an image built before;
#                            unset: both. conformance-tests/run builds in the background
#                            while the Terraform and Ansible suites run, then runs it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

SUITE=bookworm
IMAGE=${NIMBUS_IMAGE:-localhost/nimbus:dev}
CACHE_DIR=${NIMBUS_CONTAINER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nimbus-container}
# Rootful podman raises nofile and nproc to its own maxima by default, which fails where
# root lacks CAP_SYS_RESOURCE (as here): "error setting rlimit type 6: operation not
# permitted". Explicit limits below the host's hard limits avoid that.
NOFILE=${NIMBUS_NOFILE:-1024:1024}
NPROC=${NIMBUS_NPROC:-32768:32768}
HEALTH_TIMEOUT=${NIMBUS_HEALTH_TIMEOUT:-60}
STOP_TIMEOUT=${NIMBUS_STOP_TIMEOUT:-10}
STAGE=${NIMBUS_CONTAINER_STAGE:-all}
case $STAGE in build | run | all) ;; *) echo "NIMBUS_CONTAINER_STAGE must be build, run or unset" >&2; exit 2 ;; esac
read -r -a PODMAN_FLAGS <<<"${NIMBUS_PODMAN_FLAGS:---runtime runc --cgroup-manager cgroupfs}"
RUSTUP_DIR=${RUSTUP_HOME:-$HOME/.rustup}
CARGO_DIR=${CARGO_HOME:-$HOME/.cargo}

# Host packages: podman and its runtime/network/storage helpers, debootstrap, curl.
PACKAGES=(podman buildah runc conmon netavark aardvark-dns iptables uidmap slirp4netns
          fuse-overlayfs debootstrap debian-archive-keyring curl ca-certificates tar)
# The build base: a C toolchain for `ring`; cargo and rustc come from the host.
BUILD_INCLUDE=gcc,libc6-dev,ca-certificates,pkg-config
# The runtime base, cut out of the build base (same glibc): what distroless/cc has that
# nimbus needs. No shell, no package manager, no CA certificates (nimbus calls nothing).
RUNTIME_PACKAGES=(base-files libc6 libgcc-s1)
# Bump when the recipe below changes, so that cached base images are made again.
RECIPE=1
BASE_TAG=$SUITE-$(printf '%s\n' "$RECIPE" "$SUITE" "$BUILD_INCLUDE" "${RUNTIME_PACKAGES[*]}" |
                  sha256sum | cut -c1-12)
BUILD_BASE=localhost/nimbus-build-base:$BASE_TAG
RUNTIME_BASE=localhost/nimbus-runtime-base:$BASE_TAG
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# ---------------------------------------------------------------------------------------
# Helpers

log() { printf '[run.sh %(%H:%M:%S)T] %s\n' -1 "$*"; }
fail() {
    printf '[run.sh] FAIL: %s\n' "$*" >&2
    exit 1
}
pm() { podman "${PODMAN_FLAGS[@]}" "$@"; }
# The container's health status: .State.Health (podman >= 4.4, Docker) or .State.Healthcheck.
health_status() {
    pm inspect --format '{{.State.Health.Status}}' "$1" 2>/dev/null ||
        pm inspect --format '{{.State.Healthcheck.Status}}' "$1"
}

PHASE_NAMES=()
PHASE_SECS=()
PHASE=
PHASE_T0=
T_START=$EPOCHREALTIME
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
phase() {
    phase_done
    PHASE=$1
    PHASE_T0=$EPOCHREALTIME
    log "== $PHASE"
}
phase_done() {
    [[ -n $PHASE ]] || return 0
    local dt
    dt=$(elapsed "$PHASE_T0")
    PHASE_NAMES+=("$PHASE")
    PHASE_SECS+=("$dt")
    log "-- $PHASE: ${dt}s"
    PHASE=
}
print_timings() {
    local i
    echo
    echo "Phase timings (seconds):"
    for i in "${!PHASE_NAMES[@]}"; do
        printf '  %-28s %8s\n' "${PHASE_NAMES[$i]}" "${PHASE_SECS[$i]}"
    done
    printf '  %-28s %8s\n' total "$(elapsed "$T_START")"
}

CONTAINER=
WORK_DIRS=()
cleanup() {
    local rc=$?
    set +e
    if [[ -n $PHASE ]]; then
        [[ $rc -ne 0 ]] && log "failed during phase: $PHASE"
        phase_done
    fi
    if [[ -n $CONTAINER ]] && pm container exists "$CONTAINER" 2>/dev/null; then
        if [[ $rc -ne 0 ]]; then
            echo "--- container logs ($CONTAINER) ---" >&2
            pm logs --tail 50 "$CONTAINER" >&2
            echo "---" >&2
        fi
        pm rm --force --time 0 "$CONTAINER" >/dev/null 2>&1
    fi
    local d
    for d in "${WORK_DIRS[@]}"; do remove_tree "$d"; done
    print_timings
    if [[ $rc -eq 0 ]]; then
        echo "run.sh: PASS"
    else
        echo "run.sh: FAILED (exit $rc)" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# rm -rf a scratch rootfs, first unmounting anything a failed debootstrap left mounted
# in it (proc, sys), and never crossing into another file system.
remove_tree() {
    local dir=$1 m
    [[ -e $dir ]] || return 0
    while read -r m; do
        [[ -z $m ]] || umount -l "$m" 2>/dev/null || true
    done < <(findmnt -rn -o TARGET | grep -F -- "$dir/" | sort -r)
    rm -rf --one-file-system -- "$dir"
}

# ---------------------------------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || fail "run me as root: rootful podman, apt-get and debootstrap need it"
[[ -f $repo/Dockerfile ]] || fail "no Dockerfile in $repo"

phase "host packages"
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_install() { apt-get install -y -q --no-install-recommends "${missing[@]}"; }
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
        apt-get update -q || fail "apt-get update failed"
        apt_install || fail "apt-get install ${missing[*]} failed"
    elif ! apt_install; then
        log "install failed with the current package lists; updating them and retrying"
        apt-get update -q || fail "apt-get update failed"
        apt_install || fail "apt-get install ${missing[*]} failed"
    fi
else
    log "all present"
fi
podman --version

phase "podman storage"
if [[ -e /etc/containers/storage.conf ]]; then
    log "/etc/containers/storage.conf exists; using it"
else
    graphroot=/var/lib/containers/storage
    if [[ -d $graphroot/overlay ]]; then
        driver=overlay # an existing store keeps its driver
    elif [[ -d $graphroot/vfs ]]; then
        driver=vfs
    else
        # Does the kernel mount overlayfs on this file system? Try it.
        mkdir -p /var/lib/containers
        t=$(mktemp -d /var/lib/containers/.overlay-probe.XXXXXX)
        mkdir "$t/lower" "$t/upper" "$t/work" "$t/merged"
        driver=vfs
        if mount -t overlay overlay -o "lowerdir=$t/lower,upperdir=$t/upper,workdir=$t/work" \
            "$t/merged" 2>/dev/null; then
            umount "$t/merged"
            driver=overlay
        fi
        rm -rf "$t"
    fi
    log "writing /etc/containers/storage.conf (driver $driver)"
    mkdir -p /etc/containers
    cat >/etc/containers/storage.conf <<EOF
# Written by nimbus conformance-tests/container/run.sh (rootful podman).
[storage]
driver = "$driver"
runroot = "/run/containers/storage"
graphroot = "$graphroot"
EOF
fi
log "graph driver: $(pm info --format '{{.Store.GraphDriverName}}')"

if [[ $STAGE == run ]]; then
    pm image exists "$IMAGE" || fail "NIMBUS_CONTAINER_STAGE=run: no image $IMAGE (build it first)"
else
# ---------------------------------------------------------------------------------------
phase "base images"
mkdir -p "$CACHE_DIR"
build_tar=$CACHE_DIR/build-rootfs-$BASE_TAG.tar
runtime_tar=$CACHE_DIR/runtime-rootfs-$BASE_TAG.tar

debian_mirror() {
    if [[ -n ${NIMBUS_DEBIAN_MIRROR:-} ]]; then
        echo "$NIMBUS_DEBIAN_MIRROR"
        return
    fi
    # The first http(s) URI apt uses for the main archive (…/debian, not -security).
    local uri
    uri=$({
        grep -hsE '^\s*URIs:' /etc/apt/sources.list.d/*.sources | awk '{ for (i = 2; i <= NF; i++) print $i }'
        grep -hsE '^\s*deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
            sed -E 's/\[[^]]*\]//' | awk '{ print $2 }'
    } | grep -E '^https?://.*/debian/?$' | head -n1)
    echo "${uri:-http://deb.debian.org/debian}"
}

# A rootfs directory ($2) holding only the files of the packages named after it, taken from
# the rootfs $1, plus the users and directories a container expects (distroless's layout).
make_runtime_rootfs() {
    local src dst=$2 p d l
    src=$(realpath "$1")
    shift 2
    mkdir -p "$dst"
    for l in bin sbin lib lib64; do # merged-/usr symlinks
        if [[ -L $src/$l ]]; then cp -a "$src/$l" "$dst/"; fi
    done
    while read -r p; do
        [[ -n $p && $p != /. ]] || continue
        [[ -L $src$p || -e $src$p ]] || continue # diverted or removed
        [[ -d $src$p && ! -L $src$p ]] && continue # directories come with their files
        d=$(realpath "$(dirname "$src$p")")
        d=${d#"$src"}
        mkdir -p "$dst$d"
        cp -a "$src$p" "$dst$d/"
    done < <(dpkg-query --admindir="$src/var/lib/dpkg" -L "$@")
    mkdir -p "$dst"/{dev,proc,sys,run,etc,root,home/nonroot,tmp,var/tmp}
    chmod 1777 "$dst/tmp" "$dst/var/tmp"
    chmod 0700 "$dst/root"
    cat >"$dst/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
    cat >"$dst/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
nonroot:x:65532:
EOF
    chown 65532:65532 "$dst/home/nonroot"
    chmod 0700 "$dst/home/nonroot"
}

if pm image exists "$BUILD_BASE" && pm image exists "$RUNTIME_BASE"; then
    log "present: $BUILD_BASE, $RUNTIME_BASE"
else
    build_root=
    if [[ ! -s $build_tar ]]; then
        mirror=$(debian_mirror)
        build_root=$CACHE_DIR/tmp.build-rootfs
        remove_tree "$build_root"
        WORK_DIRS+=("$build_root")
        log "debootstrap --variant=minbase --include=$BUILD_INCLUDE $SUITE from $mirror"
        t0=$EPOCHREALTIME
        if ! debootstrap --variant=minbase --include="$BUILD_INCLUDE" "$SUITE" "$build_root" "$mirror" \
            >"$CACHE_DIR/debootstrap.log" 2>&1; then
            tail -n 30 "$CACHE_DIR/debootstrap.log" >&2
            fail "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"
        fi
        log "debootstrap took $(elapsed "$t0")s"
        # What an image does not need: package caches and lists, docs, host files.
        rm -rf "$build_root"/var/cache/apt/archives/*.deb "$build_root"/var/cache/apt/*.bin \
            "$build_root"/var/lib/apt/lists/* "$build_root"/dev/* "$build_root"/tmp/* \
            "$build_root"/usr/share/{doc,man,info,locale}/*
        : >"$build_root/etc/resolv.conf"
        echo localhost >"$build_root/etc/hostname"
        tar --numeric-owner -C "$build_root" -cf "$build_tar.tmp" .
        mv "$build_tar.tmp" "$build_tar"
    fi
    if [[ ! -s $runtime_tar ]]; then
        if [[ -z $build_root ]]; then
            build_root=$CACHE_DIR/tmp.build-rootfs
            remove_tree "$build_root"
            WORK_DIRS+=("$build_root")
            mkdir -p "$build_root"
            tar --numeric-owner -C "$build_root" -xf "$build_tar"
        fi
        runtime_root=$CACHE_DIR/tmp.runtime-rootfs
        remove_tree "$runtime_root"
        WORK_DIRS+=("$runtime_root")
        make_runtime_rootfs "$build_root" "$runtime_root" "${RUNTIME_PACKAGES[@]}"
        tar --numeric-owner -C "$runtime_root" -cf "$runtime_tar.tmp" .
        mv "$runtime_tar.tmp" "$runtime_tar"
    fi
    for d in "${WORK_DIRS[@]}"; do remove_tree "$d"; done
    WORK_DIRS=()
    t0=$EPOCHREALTIME
    pm image exists "$BUILD_BASE" || {
        log "importing $BUILD_BASE"
        pm import --change "ENV PATH=$IMAGE_PATH" --change 'CMD ["/bin/bash"]' \
            --message "debootstrap --variant=minbase --include=$BUILD_INCLUDE $SUITE" \
            "$build_tar" "$BUILD_BASE" >/dev/null
    }
    pm image exists "$RUNTIME_BASE" || {
        log "importing $RUNTIME_BASE"
        pm import --change "ENV PATH=$IMAGE_PATH" --change 'USER 65532:65532' \
            --change 'WORKDIR /home/nonroot' \
            --message "$SUITE: ${RUNTIME_PACKAGES[*]} (distroless/cc-like)" \
            "$runtime_tar" "$RUNTIME_BASE" >/dev/null
    }
    log "podman import took $(elapsed "$t0")s"
fi
pm image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E '^localhost/nimbus-(build|runtime)-base:' | sed 's/^/  /'

# ---------------------------------------------------------------------------------------
phase "image build"
[[ -x $CARGO_DIR/bin/cargo && -d $RUSTUP_DIR/toolchains ]] ||
    fail "no rustup toolchain at $CARGO_DIR / $RUSTUP_DIR (on a host with registry access, plain 'docker build $repo' needs none)"
version=$(sed -n '/^\[workspace\.package\]/,/^\[/ s/^version *= *"\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n1)
revision=$(git -C "$repo" describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
created=$(git -C "$repo" log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
# --format docker: the OCI image format has no HEALTHCHECK, podman would drop it.
# --network host: cargo fetches crates. The host toolchain is mounted where the
# Dockerfile's PATH looks (/root/.cargo/bin); its registry cache is shared, read-write.
# The host's CA bundle is mounted over the build base's: where egress goes through a
# TLS-intercepting proxy (as here), its CA is trusted only by the host's bundle, and cargo
# fails with "SSL certificate problem: self-signed certificate in certificate chain".
# Elsewhere it is a harmless superset of Debian's. Not committed to any layer.
ca_bundle=${CARGO_HTTP_CAINFO:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
ca_mount=()
if [[ -f $ca_bundle ]]; then
    ca_mount=(--volume "$ca_bundle:/etc/ssl/certs/ca-certificates.crt:ro")
fi
# --label as well as --build-arg: buildah 1.28 (Debian 12) leaves build-arg values out of
# its layer cache key, so a new REVISION alone would come back as the cached, stale label.
build_cmd=(build --format docker --pull=never --layers --network host
    --ulimit "nofile=$NOFILE" --ulimit "nproc=$NPROC"
    --volume "$RUSTUP_DIR:/root/.rustup:ro" --volume "$CARGO_DIR:/root/.cargo" "${ca_mount[@]}"
    --build-arg "BUILDER_IMAGE=$BUILD_BASE" --build-arg "RUNTIME_IMAGE=$RUNTIME_BASE"
    --build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "CREATED=$created"
    --label "org.opencontainers.image.version=$version"
    --label "org.opencontainers.image.revision=$revision"
    --label "org.opencontainers.image.created=$created"
    --file "$repo/Dockerfile" --tag "$IMAGE" "$repo")
log "podman ${PODMAN_FLAGS[*]} ${build_cmd[*]}"
build_log=$CACHE_DIR/build.log
pm "${build_cmd[@]}" 2>&1 | tee "$build_log" || fail "image build failed (log: $build_log)"
# Which cargo layers ran: 1st "Finished" is the dependency layer, 2nd the sources.
log "cargo layers: $(grep -E '^\[[0-9]+/[0-9]+\] STEP .*cargo build|Using cache|Finished `release`' "$build_log" |
    awk '/STEP/ { step = 1; next } step && /Using cache/ { out = out " [cached]"; step = 0; next }
         step && /Finished/ { sub(/.*target\(s\) in /, ""); out = out " [built in " $0 "]"; step = 0 }
         END { print (out == "" ? " none" : out) }')"

healthcheck=$(pm image inspect --format '{{.Config.Healthcheck}}' "$IMAGE" 2>/dev/null ||
    pm image inspect --format '{{.Healthcheck}}' "$IMAGE")
[[ $healthcheck == *healthcheck* ]] || fail "the image has no HEALTHCHECK (got: $healthcheck)"
image_user=$(pm image inspect --format '{{.Config.User}}' "$IMAGE")
log "image user: '$image_user', healthcheck: $healthcheck"
fi
[[ $STAGE != build ]] || exit 0

# ---------------------------------------------------------------------------------------
phase "container start"
# Containers of earlier runs that died without cleaning up (their run.sh is gone).
while read -r name owner; do
    [[ -n $name ]] || continue
    if [[ -z $owner ]] || ! kill -0 "$owner" 2>/dev/null; then
        log "removing a leftover container: $name"
        pm rm --force --time 0 "$name" >/dev/null
    fi
done < <(pm ps -a --filter label=nimbus-ct.owner --format '{{.Names}} {{index .Labels "nimbus-ct.owner"}}')
CONTAINER=nimbus-ct-$$
log "(podman logs 'unable to get systemd connection' errors about healthcheck timers: there is"
log " no systemd here to schedule HEALTHCHECKs; this script runs them with 'podman healthcheck run')"
# 127.0.0.1::4566: podman picks a free host port.
pm run --detach --name "$CONTAINER" --label "nimbus-ct.owner=$$" \
    --ulimit "nofile=$NOFILE" --ulimit "nproc=$NPROC" \
    --publish 127.0.0.1::4566 "$IMAGE" >/dev/null || fail "podman run failed"
port=$(pm port "$CONTAINER" 4566/tcp | head -n1)
port=${port##*:}
[[ $port =~ ^[0-9]+$ ]] || fail "no host port published for 4566/tcp"
log "container $CONTAINER, 4566/tcp published on 127.0.0.1:$port"

phase "wait healthy"
deadline=$((SECONDS + HEALTH_TIMEOUT))
health=
while :; do
    [[ $(pm inspect --format '{{.State.Running}}' "$CONTAINER") == true ]] ||
        fail "the container exited: $(pm inspect --format 'status {{.State.Status}}, exit code {{.State.ExitCode}}' "$CONTAINER")"
    # podman schedules HEALTHCHECKs with systemd timers; without systemd, run them here.
    if pm healthcheck run "$CONTAINER" >/dev/null 2>&1; then
        health=$(health_status "$CONTAINER")
        [[ $health == healthy ]] && break
    fi
    ((SECONDS < deadline)) || fail "not healthy after ${HEALTH_TIMEOUT}s (status: $(health_status "$CONTAINER"))"
    sleep 0.2
done
log "container health: $health"
body=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/_nimbus/health") ||
    fail "GET http://127.0.0.1:$port/_nimbus/health failed"
echo "$body"
[[ $body == \{* ]] || fail "/_nimbus/health did not answer JSON"

phase "checks"
pid=$(pm inspect --format '{{.State.Pid}}' "$CONTAINER")
uid=$(awk '/^Uid:/ { print $3 }' "/proc/$pid/status") # effective uid, as the host sees it
log "nimbus (host pid $pid) runs as uid $uid"
if exec_uid=$(pm exec "$CONTAINER" id -u 2>/dev/null); then
    log "podman exec id -u: $exec_uid"
else
    log "the image has no 'id' (no shell, no coreutils): checked /proc/$pid/status instead"
fi
[[ $uid =~ ^[0-9]+$ && $uid -ne 0 ]] || fail "nimbus runs as root (uid $uid)"
size=$(pm image inspect --format '{{.Size}}' "$IMAGE")
log "image $IMAGE: $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.1f MB", s / 1e6 }'))"
binary=$(pm image inspect --format '{{.Id}}' "$IMAGE")
log "image id ${binary:0:12}; labels: $(pm image inspect --format '{{json .Labels}}' "$IMAGE")"

phase "SIGTERM stop"
t0=$EPOCHREALTIME
pm stop --time "$STOP_TIMEOUT" "$CONTAINER" >/dev/null || fail "podman stop failed"
took=$(elapsed "$t0")
code=$(pm inspect --format '{{.State.ExitCode}}' "$CONTAINER")
log "stopped in ${took}s, exit code $code"
echo "--- container logs ---"
pm logs "$CONTAINER" 2>&1 | tail -n 20
echo "---"
[[ $code -eq 0 ]] || fail "nimbus exited with $code on SIGTERM (137: it ignored SIGTERM and was killed)"
awk -v t="$took" -v lim="$STOP_TIMEOUT" 'BEGIN { exit !(t < lim) }' ||
    fail "SIGTERM took ${took}s (limit ${STOP_TIMEOUT}s)"
pm rm "$CONTAINER" >/dev/null
CONTAINER=

# ---------------------------------------------------------------------------------------
phase "testcontainers (Python)"
NIMBUS_IMAGE=$IMAGE NIMBUS_CONTAINER_CACHE=$CACHE_DIR NIMBUS_PODMAN_FLAGS="${PODMAN_FLAGS[*]}" \
    NIMBUS_NOFILE=$NOFILE NIMBUS_NPROC=$NPROC "$here/testcontainers.sh" || fail "the testcontainers check failed"
phase_done
