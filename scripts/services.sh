#!/usr/bin/env bash
# Real PostgreSQL and Redis servers on loopback for the app tests and local runs.
#
#   scripts/services.sh start | stop | status | env | start-redis | stop-redis
#
# Installs the Debian packages when missing (apt-get, non-interactive), keeps data under .local/
# (git-ignored), and is idempotent: `start` on running servers only checks them. PostgreSQL runs as an
# unprivileged user (initdb refuses root). Generated passwords live in .local/services/, never in argv.
# Ports: OHMYCOINS_PG_PORT (default 55432), OHMYCOINS_REDIS_PORT (default 56379).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${OHMYCOINS_SERVICES_DIR:-$ROOT/.local/services}"
# As root, PostgreSQL runs as `postgres`, which must reach the data directory: if the checkout sits
# under a private directory (e.g. /root), fall back to a directory of its own under /tmp.
if [[ -z "${OHMYCOINS_SERVICES_DIR:-}" && "$(id -u)" == 0 ]] && id postgres >/dev/null 2>&1 \
    && ! runuser -u postgres -- test -x "$ROOT"; then
    STATE="/tmp/ohmycoins-services-$(printf '%s' "$ROOT" | md5sum | cut -c1-12)"
fi
PG_PORT="${OHMYCOINS_PG_PORT:-55432}"
REDIS_PORT="${OHMYCOINS_REDIS_PORT:-56379}"
PG_DATA="$STATE/pg/data"
PG_RUN="$STATE/pg/run"
PG_LOG="$STATE/pg/postgres.log"
PG_PASSFILE="$STATE/pg-password"
REDIS_DIR="$STATE/redis"
REDIS_PASSFILE="$STATE/redis-password"
export DEBIAN_FRONTEND=noninteractive

log() { echo "services: $*" >&2; }

# apt-get as root, or through passwordless sudo (e.g. a hosted CI runner).
apt_get() {
    if [[ "$(id -u)" == 0 ]]; then
        apt-get "$@"
    else
        sudo -n env DEBIAN_FRONTEND=noninteractive apt-get "$@"
    fi
}

apt_install() {
    if ! apt_get install -y -q --no-install-recommends "$@" >/dev/null; then
        apt_get update -q >/dev/null
        apt_get install -y -q --no-install-recommends "$@" >/dev/null
    fi
}

pg_bin() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    [[ -n "$dir" && -x "$dir/initdb" ]] && echo "$dir"
}

install_missing() {
    local pkgs=()
    pg_bin >/dev/null || pkgs+=(postgresql)
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null || pkgs+=(redis-server)
    ((${#pkgs[@]} == 0)) && return 0
    if [[ "$(id -u)" != 0 ]] && ! sudo -n true 2>/dev/null; then
        log "missing ${pkgs[*]}; install them, or run as root or with passwordless sudo"
        exit 1
    fi
    log "installing ${pkgs[*]} with apt-get"
    apt_install "${pkgs[@]}"
}

# Runs a command as the unprivileged PostgreSQL owner (the `postgres` user when we are root).
as_pg() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

secret() {
    local file="$1"
    if [[ ! -s "$file" ]]; then
        (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file")
    fi
    cat "$file"
}

pg_running() { as_pg "$(pg_bin)/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; }

start_pg() {
    local bin
    bin="$(pg_bin)"
    mkdir -p "$STATE/pg" "$PG_RUN"
    secret "$PG_PASSFILE" >/dev/null
    [[ "$(id -u)" == 0 ]] && chown -R postgres: "$STATE/pg" && chmod 755 "$STATE"
    if [[ "$(id -u)" == 0 ]] && ! runuser -u postgres -- test -w "$STATE/pg"; then
        log "the postgres user cannot reach $STATE (a parent directory is private);"
        log "set OHMYCOINS_SERVICES_DIR to a directory it can reach"
        exit 1
    fi
    if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
        log "initdb $PG_DATA"
        local pwtmp="$STATE/pg/.pw"
        (umask 077 && cat "$PG_PASSFILE" >"$pwtmp")
        [[ "$(id -u)" == 0 ]] && chown postgres: "$pwtmp"
        as_pg "$bin/initdb" -D "$PG_DATA" -U postgres --pwfile="$pwtmp" \
            --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
        rm -f "$pwtmp"
    fi
    if pg_running; then
        log "postgresql already running on 127.0.0.1:$PG_PORT"
    else
        log "starting postgresql on 127.0.0.1:$PG_PORT"
        as_pg "$bin/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
            -o "-p $PG_PORT -k $PG_RUN -c listen_addresses=127.0.0.1 -c fsync=off" >/dev/null
    fi
    as_pg "$bin/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -t 30 >/dev/null
}

redis_cli() { REDISCLI_AUTH="$(cat "$REDIS_PASSFILE")" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

redis_running() { [[ -s "$REDIS_PASSFILE" ]] && [[ "$(redis_cli ping 2>/dev/null)" == PONG ]]; }

start_redis() {
    mkdir -p "$REDIS_DIR"
    local pass
    pass="$(secret "$REDIS_PASSFILE")"
    if redis_running; then
        log "redis already running on 127.0.0.1:$REDIS_PORT"
        return 0
    fi
    log "starting redis on 127.0.0.1:$REDIS_PORT"
    # The password goes through stdin as a config file, never through argv.
    printf 'requirepass %s\n' "$pass" | redis-server - --port "$REDIS_PORT" --bind 127.0.0.1 \
        --daemonize yes --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" \
        --logfile "$REDIS_DIR/redis.log" --save "" --appendonly no >/dev/null
    for _ in $(seq 1 100); do
        redis_running && return 0
        sleep 0.1
    done
    log "redis did not answer; see $REDIS_DIR/redis.log"
    exit 1
}

stop_redis() {
    if redis_running; then
        redis_cli shutdown nosave >/dev/null 2>&1 || true
        for _ in $(seq 1 100); do
            redis_running || break
            sleep 0.1
        done
        log "redis stopped"
    fi
}

stop_pg() {
    local bin
    bin="$(pg_bin)" || return 0
    if [[ -f "$PG_DATA/PG_VERSION" ]] && pg_running; then
        as_pg "$bin/pg_ctl" stop -D "$PG_DATA" -m fast -w >/dev/null
        log "postgresql stopped"
    fi
}

print_env() {
    # Connection settings for the app; secrets are read from the files, not printed in argv.
    echo "POSTGRES_SERVER=127.0.0.1"
    echo "POSTGRES_PORT=$PG_PORT"
    echo "POSTGRES_USER=postgres"
    echo "POSTGRES_PASSWORD_FILE=$PG_PASSFILE"
    echo "REDIS_HOST=127.0.0.1"
    echo "REDIS_PORT=$REDIS_PORT"
    echo "REDIS_PASSWORD_FILE=$REDIS_PASSFILE"
}

case "${1:-}" in
    start)
        install_missing
        start_pg
        start_redis
        ;;
    stop)
        stop_redis
        stop_pg
        ;;
    start-redis) start_redis ;;
    stop-redis) stop_redis ;;
    status)
        if pg_bin >/dev/null && [[ -f "$PG_DATA/PG_VERSION" ]] && pg_running; then
            echo "postgresql: running on 127.0.0.1:$PG_PORT"
        else
            echo "postgresql: stopped"
        fi
        if redis_running; then echo "redis: running on 127.0.0.1:$REDIS_PORT"; else echo "redis: stopped"; fi
        ;;
    env) print_env ;;
    *)
        echo "usage: $0 start|stop|status|env|start-redis|stop-redis" >&2
        exit 2
        ;;
esac
