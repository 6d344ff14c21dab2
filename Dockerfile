# syntax=docker/dockerfile:1
# kubechat container image: a static-ish Rust binary on distroless, running as non-root.
#   docker build -t registry.example.com/kubechat/kubechat:0.1.0 .
#   docker build --build-arg FEATURES="" -t kubechat:core .   # core only, no default adapters
#   docker build --build-arg FEATURES="slack,llm,matrix-e2e" -t kubechat:e2ee .   # + encrypted Matrix rooms
# The chart (charts/kubechat) runs it with a read-only root filesystem; the only writable
# paths are the data volume (/var/lib/kubechat) and /tmp.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS builder
# Cargo features to build (the default set when empty is not wanted, pass --build-arg FEATURES=…).
ARG FEATURES=default
WORKDIR /src
COPY . .
# Cache mounts keep the registry and target dir between builds; --locked uses Cargo.lock as is.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    if [ "$FEATURES" = "default" ]; then flags=""; else flags="--no-default-features --features=$FEATURES"; fi; \
    cargo build --release --locked --bin kubechat $flags \
    && install -D -m 0755 target/release/kubechat /out/kubechat \
    && mkdir -p /out/data

# distroless/cc: glibc, libgcc, CA certificates, tzdata; no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="kubechat" \
      org.opencontainers.image.description="Chat-ops for Kubernetes with previews, approvals, impersonation and an audit ledger" \
      org.opencontainers.image.source="https://github.com/kubechat/kubechat" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /out/kubechat /usr/local/bin/kubechat
# The working directory holds the SQLite ledger when no volume is mounted (trials only).
COPY --from=builder --chown=65532:65532 /out/data /var/lib/kubechat
WORKDIR /var/lib/kubechat
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/kubechat"]
CMD ["serve"]
