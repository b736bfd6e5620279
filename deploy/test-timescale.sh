#!/usr/bin/env bash
# A throwaway TimescaleDB for a test that must stop and start its database (the shared stack's is
# never restarted by tests): up NAME PORT | stop NAME | destroy NAME. It runs the binaries
# deploy/timescale.sh installed (in its Debian 13 root on Debian 12) on a data directory of its
# own, on 127.0.0.1:PORT, with trust authentication (loopback, test data only) and no fsync.
# `up` leaves a `freshchain` role and database with the extension created; the caller migrates.
source "$(dirname "$0")/lib/common.sh"

PG_ROOT="$FRESHCHAIN_HOME/timescale-root"
PG_BIN=/usr/lib/postgresql/17/bin
NAME="${2:-}"
[[ "$NAME" =~ ^[A-Za-z0-9_-]{1,64}$ ]] || die "test-timescale: NAME must be 1-64 letters, digits, _ or - (got '$NAME')"

# Same layout rule as deploy/timescale.sh: Debian 12 runs PostgreSQL 17 in the chroot.
if [[ -x "$PG_ROOT$PG_BIN/postgres" ]]; then
  DATA_IN="/srv/test-timescale/$NAME"; DATA="$PG_ROOT$DATA_IN"
  as_postgres() { chroot --userspec=postgres:postgres "$PG_ROOT" "$@"; }
  in_root() { chroot "$PG_ROOT" "$@"; }
else
  DATA="$FC_STATE/test-timescale/$NAME"; DATA_IN="$DATA"
  as_postgres() { runuser -u postgres -- "$@"; }
  in_root() { "$@"; }
fi
[[ -x "${PG_ROOT}$PG_BIN/postgres" || -x "$PG_BIN/postgres" ]] ||
  die "test-timescale: no PostgreSQL 17; run \`npm run setup\` first"
LOG="$FC_LOGS/test-timescale-$NAME.log"

# psql_as_super PORT DATABASE ARGS...: the instance's superuser (trust on loopback).
psql_as_super() {
  as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$1" -U postgres -d "$2" -v ON_ERROR_STOP=1 -Atq "${@:3}"
}
ready() { port_open "$1" && psql_as_super "$1" postgres -c 'select 1' >/dev/null 2>&1; }

up() {
  local port="${1:-}"
  [[ "$port" =~ ^[0-9]{2,5}$ ]] || die "test-timescale: PORT must be a number (got '$port')"
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    mkdir -p "$DATA"; in_root chown postgres:postgres "$DATA_IN"; chmod 700 "$DATA"
    as_postgres "$PG_BIN/initdb" -D "$DATA_IN" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >>"$LOG" 2>&1 \
      || die "test-timescale: initdb failed (see $LOG)"
  fi
  if ! ready "$port"; then
    port_open "$port" && die "test-timescale: port $port is taken"
    rm -f "$DATA/postmaster.pid"
    daemonize as_postgres "$PG_BIN/postgres" -D "$DATA_IN" -c port="$port" -c listen_addresses=127.0.0.1 \
      -c unix_socket_directories= -c shared_preload_libraries=timescaledb -c timescaledb.license=timescale \
      -c timescaledb.telemetry_level=off -c dynamic_shared_memory_type=mmap -c max_connections=60 \
      -c shared_buffers=64MB -c fsync=off -c synchronous_commit=off -c full_page_writes=off >>"$LOG" 2>&1 < /dev/null &
    disown
    wait_for "test TimescaleDB $NAME" 60 ready "$port"
  fi
  psql_as_super "$port" postgres >/dev/null <<SQL
SELECT 'CREATE ROLE $FC_PG_USER LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$FC_PG_USER')\gexec
SELECT 'CREATE DATABASE $FC_PG_DB OWNER $FC_PG_USER'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$FC_PG_DB')\gexec
SQL
  PGOPTIONS='-c client_min_messages=warning' psql_as_super "$port" "$FC_PG_DB" \
    -c 'CREATE EXTENSION IF NOT EXISTS timescaledb' >/dev/null
}

stop() { stop_pidfile "test TimescaleDB $NAME" "$DATA/postmaster.pid"; }

destroy() {
  stop
  rm -rf "$DATA" "$LOG"
}

case "${1:-}" in
  up) up "${3:-}" ;;
  stop | destroy) "$1" ;;
  *) die "usage: $0 up NAME PORT | stop NAME | destroy NAME" ;;
esac
