#!/usr/bin/env bash
# The local stack of real services: up | down | status.
# Logs: $FRESHCHAIN_HOME/logs (default ~/.cache/freshchain/logs).
source "$(dirname "$0")/lib/common.sh"
here="$(dirname "$0")"
services=(timescale mosquitto temporal)

case "${1:-status}" in
  up) for s in "${services[@]}"; do bash "$here/$s.sh" up; done ;;
  down) for ((i = ${#services[@]} - 1; i >= 0; i--)); do bash "$here/${services[i]}.sh" down; done ;;
  status)
    rc=0
    for s in "${services[@]}"; do bash "$here/$s.sh" status || rc=1; done
    echo "logs: $FC_LOGS"
    exit $rc ;;
  *) die "usage: deploy/stack.sh up|down|status" ;;
esac
