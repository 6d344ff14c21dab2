#!/usr/bin/env bash
# A throwaway Synapse homeserver for the Matrix adapter's tests (tests/matrix_synapse.rs).
#
#   scripts/synapse.sh start   install (once) into $HOME/.cache/kubechat-synapse, generate a config
#                              for server_name "localhost" on 127.0.0.1 (SQLite, a registration
#                              shared secret, relaxed rate limits, no federation), start it, wait
#                              until it answers, and print `export` lines for the tests:
#                              KUBECHAT_TEST_SYNAPSE_URL, KUBECHAT_TEST_SYNAPSE_SECRET and
#                              KUBECHAT_TEST_SYNAPSE_DIR (its data directory, which `restart` and
#                              `stop` act on).
#   scripts/synapse.sh restart stop and start it again on the same port with the same data (the
#                              Matrix tests use it to check that kubechat resumes its sync).
#   scripts/synapse.sh stop    stop the homeserver and delete its data (idempotent).
#
# Each `start` uses a fresh data directory of its own (users and rooms from an earlier run are
# gone, and several runs on one machine do not stop each other's homeserver); the
# tests register the users they need (alice, bob, mallory, the bot) with the shared-secret admin
# API. Progress goes to stderr so `eval "$(scripts/synapse.sh start)"` only sees the exports.
set -euo pipefail

cache="${HOME:-/tmp}/.cache/kubechat-synapse"
venv="$cache/venv"
# The running homeserver's data directory (set by `start`, exported for `restart` / `stop`).
data="${KUBECHAT_TEST_SYNAPSE_DIR:-}"
# Pinned so a Synapse release cannot change CI under us; bump deliberately.
version="${KUBECHAT_SYNAPSE_VERSION:-1.163.2}"

log() { echo "synapse.sh: $*" >&2; }

install() {
    if "$venv/bin/python" -c 'import synapse' 2>/dev/null \
        && [ "$("$venv/bin/python" -c 'import synapse; print(synapse.__version__)')" = "$version" ]; then
        return
    fi
    log "installing matrix-synapse $version into $venv (once)"
    rm -rf "$venv"
    mkdir -p "$cache"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "matrix-synapse==$version" >&2
}

free_port() {
    "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

write_config() {
    local port="$1" secret="$2"
    cat >"$data/homeserver.yaml" <<EOF
server_name: "localhost"
pid_file: "$data/homeserver.pid"
public_baseurl: "http://127.0.0.1:$port/"
listeners:
  - port: $port
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "$data/homeserver.db"
log_config: "$data/log.yaml"
media_store_path: "$data/media"
signing_key_path: "$data/localhost.signing.key"
registration_shared_secret: "$secret"
macaroon_secret_key: "$secret-macaroon"
form_secret: "$secret-form"
report_stats: false
enable_registration: false
# No federation: no key servers, no other homeservers.
trusted_key_servers: []
federation_domain_whitelist: []
suppress_key_server_warning: true
presence:
  enabled: false
# Tests send bursts from several users; keep Synapse's limits out of their way.
rc_message: {per_second: 1000, burst_count: 1000}
rc_registration: {per_second: 1000, burst_count: 1000}
rc_login:
  address: {per_second: 1000, burst_count: 1000}
  account: {per_second: 1000, burst_count: 1000}
  failed_attempts: {per_second: 1000, burst_count: 1000}
rc_joins:
  local: {per_second: 1000, burst_count: 1000}
  remote: {per_second: 1000, burst_count: 1000}
rc_invites:
  per_room: {per_second: 1000, burst_count: 1000}
  per_user: {per_second: 1000, burst_count: 1000}
  per_issuer: {per_second: 1000, burst_count: 1000}
rc_joins_per_room: {per_second: 1000, burst_count: 1000}
EOF
    cat >"$data/log.yaml" <<EOF
version: 1
formatters:
  precise: {format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s'}
handlers:
  file: {class: logging.FileHandler, formatter: precise, filename: "$data/homeserver.log"}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
EOF
}

start() {
    local began=$SECONDS
    install
    local installed=$SECONDS
    mkdir -p "$cache"
    data="$(mktemp -d "$cache/run.XXXXXX")"
    local port secret
    port="$(free_port)"
    secret="$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(16))')"
    write_config "$port" "$secret"
    "$venv/bin/python" -m synapse.app.homeserver -c "$data/homeserver.yaml" --generate-keys >&2
    run_and_wait "$port"
    log "set-up took $((SECONDS - began))s (install/check $((installed - began))s, start $((SECONDS - installed))s)"
    echo "export KUBECHAT_TEST_SYNAPSE_URL=http://127.0.0.1:$port"
    echo "export KUBECHAT_TEST_SYNAPSE_SECRET=$secret"
    echo "export KUBECHAT_TEST_SYNAPSE_DIR=$data"
}

run_and_wait() {
    local url="http://127.0.0.1:$1"
    "$venv/bin/python" -m synapse.app.homeserver -c "$data/homeserver.yaml" --daemonize >&2
    for _ in $(seq 120); do
        if curl -fsS "$url/_matrix/client/versions" >/dev/null 2>&1; then
            log "Synapse $version answers at $url"
            return
        fi
        sleep 0.5
    done
    log "Synapse did not answer at $url within 60 s; its log:"
    tail -n 50 "$data/homeserver.log" >&2 || true
    exit 1
}

restart() {
    [ -n "$data" ] && [ -f "$data/homeserver.yaml" ] \
        || { log "nothing to restart: KUBECHAT_TEST_SYNAPSE_DIR is not a started homeserver's"; exit 1; }
    stop_quietly
    run_and_wait "$(sed -n 's/^  - port: //p' "$data/homeserver.yaml")"
}

stop_quietly() {
    [ -n "$data" ] || return 0
    local pid_file="$data/homeserver.pid"
    [ -f "$pid_file" ] || return 0
    local pid
    pid="$(cat "$pid_file")"
    if kill "$pid" 2>/dev/null; then
        for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
    rm -f "$pid_file"
}

case "${1:-}" in
    start) start ;;
    restart) restart ;;
    stop)
        stop_quietly
        # Only our own run directories are ever deleted.
        case "$data" in "$cache"/run.*) rm -rf "$data" ;; esac
        log "stopped"
        ;;
    *) echo "usage: $0 start|restart|stop" >&2; exit 2 ;;
esac
