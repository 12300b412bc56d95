# Real PostgreSQL and Redis servers for the tests, from Debian's packages, on 127.0.0.1.
#
# Sourced by .ci/run; a developer can source it too (`source .ci/services.sh && ci_services_up`)
# and then run the suite with TEST_DATABASE_URL="$CI_POSTGRES_URL". Every step is idempotent: a
# server that is already up is reused, a data directory that exists is kept.
#
# The servers are throwaway test servers: their own data directory, a fixed port away from the
# defaults (so a system PostgreSQL or Redis on 5432 / 6379 is never touched), a fixed password,
# and durability switched off for speed. `ci_private_services` gives a run a data directory and
# free ports of its own instead (.ci/run uses it), so two runs never share or stop each other's.

CI_SERVICES_DIR=${CI_SERVICES_DIR:-/tmp/gptitor-ci}
CI_POSTGRES_PORT=${CI_POSTGRES_PORT:-54329}
CI_REDIS_PORT=${CI_REDIS_PORT:-63790}
CI_STARTED=()  # what this shell started, to stop at exit

_ci_urls() {
    CI_POSTGRES_URL="postgres://gptitor:gptitor@127.0.0.1:${CI_POSTGRES_PORT}/postgres"
    CI_REDIS_URL="redis://127.0.0.1:${CI_REDIS_PORT}/0"
}
_ci_urls

_ci_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A fresh data directory and two free ports for this shell's servers; removed by ci_services_down.
ci_private_services() {
    CI_SERVICES_DIR=$(mktemp -d /tmp/gptitor-ci.XXXXXX)
    chmod 755 "$CI_SERVICES_DIR"
    CI_POSTGRES_PORT=$(_ci_free_port)
    CI_REDIS_PORT=$(_ci_free_port)
    while [ "$CI_REDIS_PORT" = "$CI_POSTGRES_PORT" ]; do CI_REDIS_PORT=$(_ci_free_port); done
    CI_PRIVATE_DIR=$CI_SERVICES_DIR
    _ci_urls
}

_ci_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

_ci_fail() {
    echo "ci: $*" >&2
    return 1
}

# The server's bin directory; the client package alone (psql) has one too, but without initdb.
_ci_pg_bin() {
    ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 | xargs -r dirname
}

ci_install_packages() {
    local missing=()
    [ -n "$(_ci_pg_bin)" ] || missing+=(postgresql)
    command -v redis-server >/dev/null || missing+=(redis-server)
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "ci: installing ${missing[*]} from Debian's packages"
    _ci_root apt-get update -qq
    _ci_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        || _ci_fail "could not install ${missing[*]}"
}

_ci_pg_answers() {
    psql "$CI_POSTGRES_URL" -qAtc "select 1" >/dev/null 2>&1
}

ci_start_postgres() {
    local bin data as=()
    bin=$(_ci_pg_bin)
    [ -n "$bin" ] || _ci_fail "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin)" || return 1
    data=$CI_SERVICES_DIR/postgres
    mkdir -p "$CI_SERVICES_DIR" && chmod 755 "$CI_SERVICES_DIR"
    # PostgreSQL refuses to run as root: as root, the server runs as Debian's `postgres` user.
    # From /, which the postgres user may enter: runuser keeps the caller's working directory,
    # and PostgreSQL warns when it cannot change into it.
    if [ "$(id -u)" = 0 ]; then
        as=(env -C / runuser -u postgres --)
        install -d -m 700 -o postgres -g postgres "$data"
    else
        install -d -m 700 "$data"
    fi
    if [ ! -s "$data/PG_VERSION" ]; then
        local pwfile=$CI_SERVICES_DIR/postgres.pw
        echo gptitor > "$pwfile" && chmod 644 "$pwfile"
        # C collation: text sorts by bytes, as SQLite's default does.
        "${as[@]}" "$bin/initdb" -D "$data" -U gptitor --pwfile="$pwfile" --auth=scram-sha-256 \
            -E UTF8 --locale=C >"$CI_SERVICES_DIR/initdb.log" 2>&1 \
            || { cat "$CI_SERVICES_DIR/initdb.log" >&2; _ci_fail "initdb failed in $data"; return 1; }
        rm -f "$pwfile"
    fi
    if ! _ci_pg_answers; then
        # A server killed with its session leaves its pid file; a new process may have that pid
        # since, and PostgreSQL would then refuse to start.
        local pid
        pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != postgres ]; then
            rm -f "$data/postmaster.pid"
        fi
        echo "ci: starting PostgreSQL ($(basename "$(dirname "$bin")")) on 127.0.0.1:$CI_POSTGRES_PORT"
        "${as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start -o \
            "-c listen_addresses=127.0.0.1 -p $CI_POSTGRES_PORT -k $data -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            >/dev/null || { tail -n 30 "$data/server.log" >&2; _ci_fail "PostgreSQL did not start (log above)"; return 1; }
        CI_STARTED+=(postgres)
    fi
    _ci_pg_answers \
        || _ci_fail "PostgreSQL runs but $CI_POSTGRES_URL does not answer (another server on port $CI_POSTGRES_PORT?)"
}

ci_start_redis() {
    command -v redis-server >/dev/null || _ci_fail "redis-server is not installed" || return 1
    mkdir -p "$CI_SERVICES_DIR"
    if ! redis-cli -h 127.0.0.1 -p "$CI_REDIS_PORT" ping >/dev/null 2>&1; then
        echo "ci: starting Redis on 127.0.0.1:$CI_REDIS_PORT"
        redis-server --bind 127.0.0.1 --port "$CI_REDIS_PORT" --daemonize yes --save '' --appendonly no \
            --dir "$CI_SERVICES_DIR" --pidfile "$CI_SERVICES_DIR/redis.pid" --logfile "$CI_SERVICES_DIR/redis.log" \
            || _ci_fail "redis-server did not start" || return 1
        CI_STARTED+=(redis)
        local i
        for i in $(seq 50); do
            redis-cli -h 127.0.0.1 -p "$CI_REDIS_PORT" ping >/dev/null 2>&1 && break
            sleep 0.2
        done
    fi
    redis-cli -h 127.0.0.1 -p "$CI_REDIS_PORT" ping >/dev/null 2>&1 \
        || { tail -n 30 "$CI_SERVICES_DIR/redis.log" >&2; _ci_fail "Redis does not answer on port $CI_REDIS_PORT"; }
}

ci_services_up() {
    ci_install_packages && ci_start_postgres && ci_start_redis
}

# Stops only what this shell started, so a server a developer had running stays up.
ci_services_down() {
    local s
    for s in "${CI_STARTED[@]}"; do
        case $s in
            postgres)
                if [ "$(id -u)" = 0 ]; then
                    env -C / runuser -u postgres -- "$(_ci_pg_bin)/pg_ctl" -D "$CI_SERVICES_DIR/postgres" -m fast stop >/dev/null || true
                else
                    "$(_ci_pg_bin)/pg_ctl" -D "$CI_SERVICES_DIR/postgres" -m fast stop >/dev/null || true
                fi ;;
            redis) redis-cli -h 127.0.0.1 -p "$CI_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true ;;
        esac
    done
    CI_STARTED=()
    if [ -n "${CI_PRIVATE_DIR:-}" ]; then
        rm -rf "$CI_PRIVATE_DIR"
        CI_PRIVATE_DIR=
    fi
}
