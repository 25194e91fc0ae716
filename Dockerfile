# nimbus container image: a local AWS cloud (EC2 + VPC, CloudWatch, STS) on port 4566.
#
#   docker build -t nimbus .
#   docker run --rm -p 4566:4566 nimbus
#
# Plain Dockerfile syntax, no BuildKit-only features: it builds with Docker (BuildKit or
# the classic builder), podman/buildah and kaniko.
#
# Base images are build arguments so that machines without a registry can substitute
# locally made ones (conformance-tests/container/run.sh does exactly that):
#   BUILDER_IMAGE  a Debian 12 image with a C compiler (the `ring` crate compiles C) and
#                  cargo on PATH, either at /usr/local/cargo/bin (the official rust image)
#                  or at /root/.cargo/bin (a host toolchain bind-mounted into the build).
#   RUNTIME_IMAGE  anything with Debian 12's glibc and libgcc_s; nothing runs in it at
#                  build time, so it needs no shell. The default is Google's distroless
#                  "cc" image (glibc, libgcc_s, CA certificates, tzdata, a `nonroot` user:
#                  about 23 MB). `debian:bookworm-slim` works as well, for a shell.
# The binary links only to glibc and libgcc_s (TLS is rustls + ring, no OpenSSL), and the
# runtime glibc must be at least the builder's: keep both stages on the same Debian release.
ARG BUILDER_IMAGE=docker.io/library/rust:1-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

# ---------------------------------------------------------------------------------------
FROM ${BUILDER_IMAGE} AS toolchain
# Explicit, not ${PATH}: an imported rootfs image may define no PATH at all.
ENV PATH=/usr/local/cargo/bin:/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    CARGO_TERM_COLOR=never
WORKDIR /src

# ---------------------------------------------------------------------------------------
# The workspace reduced to what decides its dependencies: every Cargo.toml, Cargo.lock,
# .cargo/ and each crate root emptied. This stage reruns on any change (it is cheap); the
# dependency layer below is keyed on its output only, so it is rebuilt only when the
# manifests or the lockfile change.
FROM toolchain AS skeleton
COPY . .
RUN set -eu; \
    find . -type f ! -name Cargo.toml ! -name Cargo.lock ! -path './.cargo/*' \
        ! -path '*/src/lib.rs' ! -path '*/src/main.rs' -delete; \
    find . -type f -path '*/src/lib.rs' -exec sh -c 'for f; do : > "$f"; done' sh {} +; \
    find . -type f -path '*/src/main.rs' -exec sh -c 'for f; do echo "fn main() { }" > "$f"; done' sh {} +; \
    find . -depth -type d -empty -delete

# ---------------------------------------------------------------------------------------
FROM toolchain AS builder
# --locked when the lockfile is committed (it is); without one cargo resolves afresh.
COPY --from=skeleton /src/ ./
RUN set -eu; \
    locked=; if [ -f Cargo.lock ]; then locked=--locked; fi; \
    cargo --version; \
    cargo build --release $locked -p nimbus-server --bin nimbus
COPY . .
# The real sources may be older than the stub build (COPY keeps mtimes), and cargo decides
# freshness by mtime: touch them so every workspace crate is recompiled for real.
RUN set -eu; \
    locked=; if [ -f Cargo.lock ]; then locked=--locked; fi; \
    find . -path ./target -prune -o -type f -name '*.rs' -exec touch {} +; \
    cargo build --release $locked -p nimbus-server --bin nimbus; \
    mkdir -p /out; \
    cp target/release/nimbus /out/nimbus; \
    /out/nimbus --version

# ---------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=
ARG SOURCE=
LABEL org.opencontainers.image.title="nimbus" \
      org.opencontainers.image.description="A local AWS cloud: EC2 + VPC, CloudWatch and STS, SigV4-verified, in memory." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}"
COPY --from=builder /out/nimbus /usr/local/bin/nimbus
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NIMBUS_HOST=0.0.0.0 \
    NIMBUS_PORT=4566
# distroless's `nonroot`; by number, so it needs no /etc/passwd entry in other bases.
USER 65532:65532
EXPOSE 4566
# Change the port with NIMBUS_PORT, not --port: the probe reads the same environment.
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 CMD ["nimbus", "healthcheck"]
# nimbus runs as PID 1 and handles SIGTERM itself (graceful drain, then exit 0).
STOPSIGNAL SIGTERM
ENTRYPOINT ["nimbus"]
