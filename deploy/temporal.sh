#!/usr/bin/env bash
# Temporal dev server for the local stack: up | down | status. TEMPORAL_ADDRESS set → that
# server is used. The `temporal` CLI comes from PATH, else from the cache, else it is built
# from its Go module (v1.5.1 is the last release that `go install` can build).
source "$(dirname "$0")/lib/common.sh"

TEMPORAL_CLI_VERSION=v1.5.1
T_DIR="$FC_STATE/temporal"
T_PID="$T_DIR/temporal.pid"
T_LOG="$FC_LOGS/temporal.log"

temporal_bin() {
  if [[ -x "$FC_BIN/temporal" ]]; then echo "$FC_BIN/temporal"; return; fi
  if command -v temporal >/dev/null 2>&1; then command -v temporal; return; fi
  command -v go >/dev/null 2>&1 || die "no temporal CLI and no Go toolchain to build it"
  log "temporal: building the CLI $TEMPORAL_CLI_VERSION from its Go module (once; a few minutes)"
  (cd /tmp && GOBIN="$FC_BIN" GOFLAGS=-trimpath go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION") \
    >>"$FC_LOGS/temporal-build.log" 2>&1 || die "building temporal failed (see $FC_LOGS/temporal-build.log)"
  echo "$FC_BIN/temporal"
}

healthy() { "$(temporal_bin)" operator namespace describe -n default --address "127.0.0.1:$FC_TEMPORAL_PORT" >/dev/null 2>&1; }

up() {
  if [[ -n "${TEMPORAL_ADDRESS:-}" ]]; then log "temporal: TEMPORAL_ADDRESS is set; using that server"; return 0; fi
  local bin; bin="$(temporal_bin)"
  if pid_alive "$T_PID" && healthy; then log "temporal: already up"; return 0; fi
  port_open "$FC_TEMPORAL_PORT" && die "port $FC_TEMPORAL_PORT is taken by something else (set FRESHCHAIN_TEMPORAL_PORT)"
  mkdir -p "$T_DIR"
  local args=(server start-dev --ip 127.0.0.1 --port "$FC_TEMPORAL_PORT" --ui-port "$FC_TEMPORAL_UI_PORT"
    --db-filename "$T_DIR/temporal.db" --log-level warn
    --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal)
  local line
  while IFS= read -r line; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    args+=(--search-attribute "$line")
  done < "$(dirname "$0")/temporal/search-attributes.txt"
  log "temporal: starting dev server on 127.0.0.1:$FC_TEMPORAL_PORT (Web UI http://127.0.0.1:$FC_TEMPORAL_UI_PORT)"
  daemonize nohup "$bin" "${args[@]}" >>"$T_LOG" 2>&1 < /dev/null &
  echo $! > "$T_PID"
  wait_for "Temporal" 90 healthy
}

down() { [[ -n "${TEMPORAL_ADDRESS:-}" ]] || stop_pidfile temporal "$T_PID"; }

status() {
  if [[ -n "${TEMPORAL_ADDRESS:-}" ]]; then echo "temporal: external (TEMPORAL_ADDRESS)"; return 0; fi
  if pid_alive "$T_PID" && healthy; then echo "temporal: up on 127.0.0.1:$FC_TEMPORAL_PORT, Web UI http://127.0.0.1:$FC_TEMPORAL_UI_PORT"
  else echo "temporal: down"; return 1; fi
}

"${1:-status}"
