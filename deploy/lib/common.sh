# Shared settings and helpers for the local stack scripts. Sourced, never run.
# Everything the stack installs or writes lives under FRESHCHAIN_HOME, outside the repository,
# so a fresh clone reuses what an earlier run built (the Temporal binary, the TimescaleDB root).
set -euo pipefail

FRESHCHAIN_HOME="${FRESHCHAIN_HOME:-$HOME/.cache/freshchain}"
FC_BIN="$FRESHCHAIN_HOME/bin"
FC_STATE="$FRESHCHAIN_HOME/state"
FC_LOGS="$FRESHCHAIN_HOME/logs"
mkdir -p "$FC_BIN" "$FC_STATE" "$FC_LOGS"

# Ports and credentials of the local stack. Development defaults only: production takes every
# secret from the environment (config/schema.ts refuses these defaults when NODE_ENV=production).
FC_PG_PORT="${FRESHCHAIN_PG_PORT:-5433}"
FC_PG_SUPERPASS="${FRESHCHAIN_PG_SUPERUSER_PASSWORD:-freshchain-super-dev}"
FC_PG_USER="${FRESHCHAIN_PG_USER:-freshchain}"
FC_PG_PASS="${FRESHCHAIN_PG_PASSWORD:-freshchain-dev}"
FC_PG_DB="${FRESHCHAIN_PG_DB:-freshchain}"
FC_TEMPORAL_PORT="${FRESHCHAIN_TEMPORAL_PORT:-7233}"
FC_TEMPORAL_UI_PORT="${FRESHCHAIN_TEMPORAL_UI_PORT:-8233}"
FC_MQTT_PORT="${FRESHCHAIN_MQTT_PORT:-1883}"
# Devices connect over TLS only (docs/devices.md); the plain port above stays on 127.0.0.1.
# The TLS listener binds to 127.0.0.1 unless FRESHCHAIN_MQTT_TLS_BIND opens it to the network
# (refused while an account still has its development password). Its certificate: generated once
# under FC_MQTT_TLS_DIR (a private CA + a server certificate for localhost, 127.0.0.1, ::1 and
# FRESHCHAIN_MQTT_TLS_HOSTS, comma-separated), or the operator's own, named by all three of
# FRESHCHAIN_MQTT_TLS_CERT, FRESHCHAIN_MQTT_TLS_KEY and FRESHCHAIN_MQTT_TLS_CA (PEM files).
# Clients verify the broker with FC_MQTT_TLS_DIR/ca.crt (the CA in use; MQTT_CA_FILE's default).
FC_MQTT_TLS_PORT="${FRESHCHAIN_MQTT_TLS_PORT:-8883}"
FC_MQTT_TLS_BIND="${FRESHCHAIN_MQTT_TLS_BIND:-127.0.0.1}"
FC_MQTT_TLS_HOSTS="${FRESHCHAIN_MQTT_TLS_HOSTS:-}"
FC_MQTT_TLS_DIR="$FC_STATE/mosquitto/tls"
# Largest MQTT packet the broker takes: the telemetry contract's 256 KiB payload
# (domain/coldchain/telemetry.ts) plus 8 KiB for the fixed header, topic and properties.
FC_MQTT_MAX_PACKET=270336
FC_MQTT_INGEST_PASS="${MQTT_INGEST_PASSWORD:-ingest-dev}"
FC_MQTT_DEVICE_PASS="${MQTT_DEVICE_PASSWORD:-device-dev}"
FC_MQTT_OPS_PASS="${MQTT_OPS_PASSWORD:-ops-dev}"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for DESCRIPTION SECONDS COMMAND...: poll COMMAND once a second until it succeeds.
wait_for() {
  local what="$1" secs="$2"; shift 2
  local i
  for ((i = 0; i < secs; i++)); do
    if "$@"; then return 0; fi
    sleep 1
  done
  die "$what not ready after ${secs}s (logs: $FC_LOGS)"
}

# daemonize COMMAND...: run a long-lived service with no descriptor of ours beyond stdio. A
# daemon that inherits one keeps it open for its whole life: a caller's `flock` lock file stays
# locked, a caller's pipe never sees EOF. Call it in a subshell of its own (`daemonize … &` or
# `(daemonize …)`): it closes that shell's descriptors, then becomes the command.
daemonize() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd="${fd##*/}"
    if ((fd > 2)); then eval "exec $fd>&-"; fi
  done
  if declare -F "$1" >/dev/null; then "$@"; exit; else exec "$@"; fi
}

# pid_alive FILE: true when FILE names a running process.
pid_alive() { [[ -f "$1" ]] && kill -0 "$(head -n1 "$1")" 2>/dev/null; }

# stop_pidfile NAME FILE: stop the process in FILE politely, then firmly.
stop_pidfile() {
  local name="$1" file="$2" pid i
  if ! pid_alive "$file"; then log "$name: not running"; rm -f "$file"; return 0; fi
  pid="$(head -n1 "$file")"
  kill -INT "$pid" 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
  log "$name: stopped"
}

apt_updated=0
# apt_install PKG...: install Debian packages, refreshing the lists once per run. Services the
# packages ship are not started (policy-rc.d): the stack runs its own instances on its own config.
apt_install() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  [[ $(id -u) == 0 ]] || die "installing ${missing[*]} needs root (or install them yourself)"
  if ((apt_updated == 0)); then apt-get update -qq; apt_updated=1; fi
  local made_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$FC_LOGS/apt.log" 2>&1 \
    || { ((made_policy)) && rm -f /usr/sbin/policy-rc.d; die "apt-get install ${missing[*]} failed (see $FC_LOGS/apt.log)"; }
  ((made_policy)) && rm -f /usr/sbin/policy-rc.d
  return 0
}
