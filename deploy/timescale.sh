#!/usr/bin/env bash
# TimescaleDB for the local stack: up | down | status.
# DATABASE_URL set → that server is used and nothing is installed or started here.
# Debian 13+ → the distribution's PostgreSQL 17, run on our own data directory.
# Debian 12 (no PostgreSQL 17) → a minimal Debian 13 root made with debootstrap, cached
# under FRESHCHAIN_HOME, running PostgreSQL 17 in a chroot on 127.0.0.1.
# Either way TimescaleDB itself is built once from source with its Timescale-licensed features
# (compression, continuous aggregates, policies), the build production's images carry: Debian's
# postgresql-17-timescaledb is the Apache-only build, and a server running it is upgraded here.
source "$(dirname "$0")/lib/common.sh"

PG_ROOT="$FRESHCHAIN_HOME/timescale-root"   # the chroot (Debian 12 only)
PG_BIN=/usr/lib/postgresql/17/bin
PG_LOG="$FC_LOGS/timescale.log"

# The TimescaleDB release the local stack builds; compose and Kubernetes pin the same one.
TS_VERSION=2.19.3
TS_COMMIT=95861e123bd439ed3c04dc5eeb86fef841bdf93b
TS_SHA256=70f0807d121cd9ec3828d3e8bed7ea0cdff47f50fab090406e22f49e4ced6cef
TS_GIT_URL="${FRESHCHAIN_TIMESCALE_GIT:-https://github.com/timescale/timescaledb.git}"
REPO_DIR="$(cd "$(dirname "$0")/.." && pwd)"
TS_VENDORED="$REPO_DIR/../shared/vendor/timescaledb-$TS_VERSION.tar.gz"
# Present only in a build with the Timescale-licensed module.
TS_TSL_LIB="/usr/lib/postgresql/17/lib/timescaledb-tsl-$TS_VERSION.so"
TS_BUILD_DEPS=(postgresql-server-dev-17 cmake gcc make libc6-dev libssl-dev libkrb5-dev)
# Our patches to that release, applied after the source is checked (see each file's header).
TS_PATCHES=("$REPO_DIR"/deploy/timescale/*.patch)
# What was built: version and patches. Kept beside the control file; a different one rebuilds.
TS_BUILD_ID="$TS_VERSION $(cat "${TS_PATCHES[@]}" | sha256sum | cut -c1-16)"
TS_BUILD_MARK=/usr/share/postgresql/17/extension/timescaledb.freshchain-build

debian_major() { local v; v="$(cut -d. -f1 /etc/debian_version 2>/dev/null || echo 0)"; [[ "$v" =~ ^[0-9]+$ ]] && echo "$v" || echo 13; }
use_chroot() { (( $(debian_major) < 13 )); }

if use_chroot; then
  PG_DATA_IN=/srv/pgdata                      # path as postgres sees it
  PG_DATA="$PG_ROOT$PG_DATA_IN"               # path as we see it
  ROOT_PREFIX="$PG_ROOT"                      # host path of the server's /
  as_postgres() { chroot --userspec=postgres:postgres "$PG_ROOT" "$@"; }
  in_root() { chroot "$PG_ROOT" "$@"; }
else
  PG_DATA="$FC_STATE/pgdata"; PG_DATA_IN="$PG_DATA"
  ROOT_PREFIX=""
  as_postgres() { runuser -u postgres -- "$@"; }
  in_root() { "$@"; }
fi

install_server() {
  if ! use_chroot; then apt_install postgresql-17 "${TS_BUILD_DEPS[@]}"; return; fi
  [[ -x "$PG_ROOT$PG_BIN/postgres" ]] && return 0
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
  log "timescale: installing postgresql-17 and TimescaleDB's build dependencies in the root"
  apt_in "$tmp" update -qq && apt_in "$tmp" install -y -qq --no-install-recommends postgresql-17 "${TS_BUILD_DEPS[@]}" \
    || die "installing PostgreSQL in the root failed (see $FC_LOGS/debootstrap.log)"
  mv "$tmp" "$PG_ROOT"
}

# apt_in ROOT ARGS...: apt-get inside a Debian root. /proc is mounted for the package scripts
# only, and unmounted on every path out: no trap, since a RETURN trap outlives the function and
# fires later with its locals unset.
apt_in() {
  local root="$1" ok=0; shift
  mount -t proc proc "$root/proc"
  DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get "$@" >>"$FC_LOGS/debootstrap.log" 2>&1 && ok=1
  umount "$root/proc" 2>/dev/null || true
  ((ok))
}

# The server's root has Debian package PKG installed.
root_has_package() { in_root dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# The server runs our build of the pinned TimescaleDB, with its Timescale-licensed module.
# Debian's 2.19.3+dfsg (the Apache-only build) has the same control file but no tsl library.
tsl_installed() {
  [[ -f "$ROOT_PREFIX$TS_TSL_LIB" && "$(cat "$ROOT_PREFIX$TS_BUILD_MARK" 2>/dev/null)" == "$TS_BUILD_ID" ]] &&
    grep -q "^default_version = '$TS_VERSION'" "$ROOT_PREFIX/usr/share/postgresql/17/extension/timescaledb.control" 2>/dev/null
}

# timescale_source DEST: the pinned source tree, checked, unpacked into DEST. A tarball (from
# FRESHCHAIN_TIMESCALE_SRC, else the vendored one beside the repository) must have the pinned
# sha256; otherwise the upstream tag is cloned and must be the pinned commit.
timescale_source() {
  local dest="$1" tarball="" sum head
  if [[ -n "${FRESHCHAIN_TIMESCALE_SRC:-}" ]]; then
    tarball="$FRESHCHAIN_TIMESCALE_SRC"
    [[ -f "$tarball" ]] || die "FRESHCHAIN_TIMESCALE_SRC=$tarball: no such file"
  elif [[ -f "$TS_VENDORED" ]]; then
    tarball="$TS_VENDORED"
  fi
  rm -rf "$dest"; mkdir -p "$dest"
  if [[ -n "$tarball" ]]; then
    sum="$(sha256sum "$tarball" | cut -d' ' -f1)"
    [[ "$sum" == "$TS_SHA256" ]] || die "timescale: $tarball has sha256 $sum, not TimescaleDB $TS_VERSION's $TS_SHA256"
    log "timescale: source $tarball (sha256 checked)"
    tar -xzf "$tarball" -C "$dest" --strip-components=1 --no-same-owner
  else
    command -v git >/dev/null || apt_install git ca-certificates
    log "timescale: no tarball; cloning tag $TS_VERSION of $TS_GIT_URL"
    git -c advice.detachedHead=false clone -q --depth 1 --branch "$TS_VERSION" "$TS_GIT_URL" "$dest" >>"$FC_LOGS/timescale-build.log" 2>&1 \
      || die "cloning $TS_GIT_URL failed (see $FC_LOGS/timescale-build.log; or set FRESHCHAIN_TIMESCALE_SRC to a tarball)"
    head="$(git -C "$dest" rev-parse HEAD)"
    [[ "$head" == "$TS_COMMIT" ]] || die "timescale: tag $TS_VERSION of $TS_GIT_URL is commit $head, not $TS_COMMIT"
  fi
}

# Build and install TimescaleDB with its Timescale-licensed features, once: a server whose
# TimescaleDB is missing or the Apache-only build (an older FRESHCHAIN_HOME) gets it, and a
# running one is stopped first (its libraries are replaced), so `up` starts it on the new build.
install_timescale() {
  tsl_installed && return 0
  local t0=$SECONDS src_in src
  if use_chroot; then src_in="/usr/src/timescaledb-$TS_VERSION"; else src_in="$FRESHCHAIN_HOME/build/timescaledb-$TS_VERSION"; fi
  src="$ROOT_PREFIX$src_in"
  log "timescale: building TimescaleDB $TS_VERSION with its Timescale-licensed features (once; about a minute)"
  timescale_source "$src"
  local p
  for p in "${TS_PATCHES[@]}"; do patch -d "$src" -p1 --forward --silent < "$p" || die "patch $p does not apply to TimescaleDB $TS_VERSION"; done
  # A root made before TimescaleDB was built here lacks the build dependencies.
  local missing=() dep
  if use_chroot; then for dep in "${TS_BUILD_DEPS[@]}"; do root_has_package "$dep" || missing+=("$dep"); done; fi
  if ((${#missing[@]})); then
    apt_in "$PG_ROOT" update -qq && apt_in "$PG_ROOT" install -y -qq --no-install-recommends "${missing[@]}" \
      || die "installing TimescaleDB's build dependencies in the root failed (see $FC_LOGS/debootstrap.log)"
  fi
  # cmake and make read /proc (CPU count); mounted for the build only, as in apt_in.
  local built=0
  if use_chroot; then mount -t proc proc "$PG_ROOT/proc"; fi
  in_root bash -c "cd '$src_in' && BUILD_FORCE_REMOVE=true ./bootstrap -DPG_CONFIG=$PG_BIN/pg_config -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF \
      -DWARNINGS_AS_ERRORS=OFF -DCMAKE_BUILD_TYPE=Release && make -C build -j\$(nproc)" >>"$FC_LOGS/timescale-build.log" 2>&1 && built=1
  if use_chroot; then umount "$PG_ROOT/proc" 2>/dev/null || true; fi
  ((built)) || die "building TimescaleDB failed (see $FC_LOGS/timescale-build.log)"
  stop_pidfile timescale "$PG_DATA/postmaster.pid"
  if root_has_package postgresql-17-timescaledb; then
    log "timescale: removing Debian's Apache-only postgresql-17-timescaledb"
    if use_chroot; then apt_in "$PG_ROOT" remove -y -qq postgresql-17-timescaledb || die "removing postgresql-17-timescaledb failed (see $FC_LOGS/debootstrap.log)"
    else DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq postgresql-17-timescaledb >>"$FC_LOGS/apt.log" 2>&1 || die "removing postgresql-17-timescaledb failed (see $FC_LOGS/apt.log)"; fi
  fi
  in_root make -C "$src_in/build" install >>"$FC_LOGS/timescale-build.log" 2>&1 || die "installing TimescaleDB failed (see $FC_LOGS/timescale-build.log)"
  rm -rf "$src"
  echo "$TS_BUILD_ID" > "$ROOT_PREFIX$TS_BUILD_MARK"
  tsl_installed || die "TimescaleDB installed without its Timescale-licensed module (see $FC_LOGS/timescale-build.log)"
  log "timescale: TimescaleDB $TS_VERSION (Timescale license) built and installed in $((SECONDS - t0)) s"
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
timescaledb.license = 'timescale'
timescaledb.max_background_workers = 8
max_worker_processes = 16
CONF
}

# A cluster made before the Timescale-licensed build carries no licence line; the build's
# default is the same, but the setting says which features migrations rely on.
ensure_license_setting() {
  grep -q '^timescaledb.license' "$PG_DATA/postgresql.conf" || echo "timescaledb.license = 'timescale'" >> "$PG_DATA/postgresql.conf"
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
  PGOPTIONS='-c client_min_messages=warning' psql_super -d "$FC_PG_DB" -c 'CREATE EXTENSION IF NOT EXISTS timescaledb' >/dev/null
}

up() {
  if [[ -n "${DATABASE_URL:-}" ]]; then log "timescale: DATABASE_URL is set; using that server"; return 0; fi
  install_server
  install_timescale
  init_cluster
  ensure_license_setting
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
  if pg_ready; then echo "timescale: up on 127.0.0.1:$FC_PG_PORT ($(psql_super -d "$FC_PG_DB" -c "select 'timescaledb '||extversion||', license '||current_setting('timescaledb.license', true) from pg_extension where extname='timescaledb'"))"
  else echo "timescale: down"; return 1; fi
}

"${1:-status}" "${@:2}"
