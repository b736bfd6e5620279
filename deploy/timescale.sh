#!/usr/bin/env bash
# TimescaleDB for the local stack: up | down | status.
# DATABASE_URL set → that server is used and nothing is installed or started here.
# Debian 13+ → the distribution's postgresql-17-timescaledb, run on our own data directory.
# Debian 12 (no TimescaleDB package) → a minimal Debian 13 root made with debootstrap, cached
# under FRESHCHAIN_HOME, running PostgreSQL 17 + TimescaleDB in a chroot on 127.0.0.1.
source "$(dirname "$0")/lib/common.sh"

PG_ROOT="$FRESHCHAIN_HOME/timescale-root"   # the chroot (Debian 12 only)
PG_BIN=/usr/lib/postgresql/17/bin
PG_LOG="$FC_LOGS/timescale.log"

debian_major() { local v; v="$(cut -d. -f1 /etc/debian_version 2>/dev/null || echo 0)"; [[ "$v" =~ ^[0-9]+$ ]] && echo "$v" || echo 13; }
use_chroot() { (( $(debian_major) < 13 )); }

if use_chroot; then
  PG_DATA_IN=/srv/pgdata                      # path as postgres sees it
  PG_DATA="$PG_ROOT$PG_DATA_IN"               # path as we see it
  as_postgres() { chroot --userspec=postgres:postgres "$PG_ROOT" "$@"; }
  in_root() { chroot "$PG_ROOT" "$@"; }
else
  PG_DATA="$FC_STATE/pgdata"; PG_DATA_IN="$PG_DATA"
  as_postgres() { runuser -u postgres -- "$@"; }
  in_root() { "$@"; }
fi

install_server() {
  if ! use_chroot; then apt_install postgresql-17 postgresql-17-timescaledb; return; fi
  [[ -x "$PG_ROOT$PG_BIN/postgres" && -f "$PG_ROOT/usr/share/postgresql/17/extension/timescaledb.control" ]] && return 0
  apt_install debootstrap
  local tmp="$PG_ROOT.partial" mirror
  mirror="$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  # A run stopped half-way may have left /proc mounted in the partial root: unmount it before
  # removing the root, or rm would walk into the host's /proc.
  if mountpoint -q "$tmp/proc" 2>/dev/null; then umount "$tmp/proc"; fi
  rm -rf "$tmp"
  log "timescale: debootstrap trixie from $mirror (once; cached in $PG_ROOT)"
  debootstrap --variant=minbase trixie "$tmp" "$mirror" >>"$FC_LOGS/debootstrap.log" 2>&1 \
    || die "debootstrap failed (see $FC_LOGS/debootstrap.log)"
  # No service starts inside the root, and no default cluster: we initdb our own.
  printf '#!/bin/sh\nexit 101\n' > "$tmp/usr/sbin/policy-rc.d"; chmod +x "$tmp/usr/sbin/policy-rc.d"
  mkdir -p "$tmp/etc/postgresql-common"
  echo 'create_main_cluster = false' > "$tmp/etc/postgresql-common/createcluster.conf"
  # /proc is mounted for the package scripts only, and unmounted on every path out of this
  # step: no trap, since a RETURN trap outlives the function and fires later with $tmp unset.
  mount -t proc proc "$tmp/proc"
  log "timescale: installing postgresql-17 + postgresql-17-timescaledb in the root"
  local installed=0
  { chroot "$tmp" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive chroot "$tmp" apt-get install -y -qq --no-install-recommends \
      postgresql-17 postgresql-17-timescaledb; } >>"$FC_LOGS/debootstrap.log" 2>&1 && installed=1
  umount "$tmp/proc" 2>/dev/null || true
  ((installed)) || die "installing PostgreSQL in the root failed (see $FC_LOGS/debootstrap.log)"
  mv "$tmp" "$PG_ROOT"
}

init_cluster() {
  [[ -f "$PG_DATA/PG_VERSION" ]] && return 0
  log "timescale: initdb"
  # chown runs where postgres is defined: the root's postgres uid need not be the host's.
  mkdir -p "$PG_DATA"; in_root chown postgres:postgres "$PG_DATA_IN"; chmod 700 "$PG_DATA"
  local pwfile="$PG_DATA.pwfile"
  printf '%s\n' "$FC_PG_SUPERPASS" > "$pwfile"; in_root chown postgres "$PG_DATA_IN.pwfile"
  as_postgres "$PG_BIN/initdb" -D "$PG_DATA_IN" -U postgres --pwfile="$PG_DATA_IN.pwfile" \
    --auth-host=scram-sha-256 --auth-local=peer -E UTF8 --locale=C.UTF-8 >>"$PG_LOG" 2>&1 \
    || { rm -f "$pwfile"; die "initdb failed (see $PG_LOG)"; }
  rm -f "$pwfile"
  cat >> "$PG_DATA/postgresql.conf" <<CONF
# freshchain local stack
listen_addresses = '127.0.0.1'
port = $FC_PG_PORT
unix_socket_directories = ''
shared_preload_libraries = 'timescaledb'
dynamic_shared_memory_type = mmap
max_connections = 200
shared_buffers = 512MB
wal_level = minimal
max_wal_senders = 0
synchronous_commit = on
timescaledb.telemetry_level = off
timescaledb.max_background_workers = 8
max_worker_processes = 16
CONF
}

pg_ready() { port_open "$FC_PG_PORT" && PGPASSWORD="$FC_PG_SUPERPASS" in_root "$PG_BIN/psql" -h 127.0.0.1 -p "$FC_PG_PORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; }

psql_super() { PGPASSWORD="$FC_PG_SUPERPASS" in_root "$PG_BIN/psql" -h 127.0.0.1 -p "$FC_PG_PORT" -U postgres -v ON_ERROR_STOP=1 -Atq "$@"; }

provision_database() {
  # Idempotent: role, database and the extension (created by the superuser, since the
  # application role is not one; migrations then find it present).
  psql_super -d postgres <<SQL >/dev/null
SELECT 'CREATE ROLE $FC_PG_USER LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$FC_PG_USER')\gexec
ALTER ROLE $FC_PG_USER WITH LOGIN PASSWORD '$FC_PG_PASS';
SELECT 'CREATE DATABASE $FC_PG_DB OWNER $FC_PG_USER' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$FC_PG_DB')\gexec
SQL
  psql_super -d "$FC_PG_DB" -c 'CREATE EXTENSION IF NOT EXISTS timescaledb' >/dev/null
}

up() {
  if [[ -n "${DATABASE_URL:-}" ]]; then log "timescale: DATABASE_URL is set; using that server"; return 0; fi
  install_server
  init_cluster
  if ! pg_ready; then
    if port_open "$FC_PG_PORT"; then die "port $FC_PG_PORT is taken by something else (set FRESHCHAIN_PG_PORT)"; fi
    log "timescale: starting PostgreSQL 17 + TimescaleDB on 127.0.0.1:$FC_PG_PORT"
    rm -f "$PG_DATA/postmaster.pid"
    daemonize as_postgres "$PG_BIN/postgres" -D "$PG_DATA_IN" >>"$PG_LOG" 2>&1 < /dev/null &
    disown
    wait_for "TimescaleDB" 60 pg_ready
  fi
  provision_database
  log "timescale: up (postgres://$FC_PG_USER:***@127.0.0.1:$FC_PG_PORT/$FC_PG_DB)"
}

down() {
  [[ -n "${DATABASE_URL:-}" ]] && return 0
  stop_pidfile timescale "$PG_DATA/postmaster.pid"
}

status() {
  if [[ -n "${DATABASE_URL:-}" ]]; then echo "timescale: external (DATABASE_URL)"; return 0; fi
  if pg_ready; then echo "timescale: up on 127.0.0.1:$FC_PG_PORT ($(psql_super -d "$FC_PG_DB" -c "select 'timescaledb '||extversion from pg_extension where extname='timescaledb'"))"
  else echo "timescale: down"; return 1; fi
}

"${1:-status}"
