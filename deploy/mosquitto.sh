#!/usr/bin/env bash
# Mosquitto for the local stack: up | down | status | ca-file | add-device. MQTT_URL set → that
# broker is used. Authentication is on: every client logs in, and the ACL gives each role only its
# topics. Two listeners: plain MQTT on 127.0.0.1 for the services of this host, TLS for devices
# (FRESHCHAIN_MQTT_TLS_* in lib/common.sh). `up` restarts a running broker whose configuration
# (listeners, certificate) is not the one it would write now.
source "$(dirname "$0")/lib/common.sh"

MQ_DIR="$FC_STATE/mosquitto"
MQ_CONF="$MQ_DIR/mosquitto.conf"
MQ_PID="$MQ_DIR/mosquitto.pid"

# ---------------------------------------------------------------- TLS material
# Sets TLS_CERT, TLS_KEY and TLS_CA to the files the TLS listener uses, and publishes the CA in
# use as $FC_MQTT_TLS_DIR/ca.crt for clients. Generated material lives in $FC_MQTT_TLS_DIR/local.
ensure_tls() {
  mkdir -p "$FC_MQTT_TLS_DIR"
  chmod 700 "$FC_MQTT_TLS_DIR"
  local given=0 v
  for v in FRESHCHAIN_MQTT_TLS_CERT FRESHCHAIN_MQTT_TLS_KEY FRESHCHAIN_MQTT_TLS_CA; do [[ -n "${!v:-}" ]] && given=$((given + 1)); done
  if ((given == 3)); then
    TLS_CERT="$(realpath "$FRESHCHAIN_MQTT_TLS_CERT")" TLS_KEY="$(realpath "$FRESHCHAIN_MQTT_TLS_KEY")" TLS_CA="$(realpath "$FRESHCHAIN_MQTT_TLS_CA")"
    for v in "$TLS_CERT" "$TLS_KEY" "$TLS_CA"; do [[ -r "$v" ]] || die "mosquitto: cannot read TLS file $v"; done
    openssl x509 -noout -in "$TLS_CERT" 2>/dev/null || die "mosquitto: FRESHCHAIN_MQTT_TLS_CERT ($TLS_CERT) is not a PEM certificate"
    openssl verify -CAfile "$TLS_CA" "$TLS_CERT" >/dev/null 2>&1 || die "mosquitto: FRESHCHAIN_MQTT_TLS_CERT is not signed by FRESHCHAIN_MQTT_TLS_CA"
  elif ((given == 0)); then
    ensure_local_tls
    TLS_CERT="$FC_MQTT_TLS_DIR/local/server.crt" TLS_KEY="$FC_MQTT_TLS_DIR/local/server.key" TLS_CA="$FC_MQTT_TLS_DIR/local/ca.crt"
  else
    die "mosquitto: set all three of FRESHCHAIN_MQTT_TLS_CERT, FRESHCHAIN_MQTT_TLS_KEY, FRESHCHAIN_MQTT_TLS_CA, or none (a certificate is generated)"
  fi
  cmp -s "$TLS_CA" "$FC_MQTT_TLS_DIR/ca.crt" || cp "$TLS_CA" "$FC_MQTT_TLS_DIR/ca.crt"
  chmod 644 "$FC_MQTT_TLS_DIR/ca.crt"
}

# The server certificate's subjectAltName: the loopback names plus FC_MQTT_TLS_HOSTS.
tls_san() {
  local san="DNS:localhost,IP:127.0.0.1,IP:::1" h extra
  IFS=',' read -r -a extra <<< "$FC_MQTT_TLS_HOSTS"
  for h in "${extra[@]}"; do
    h="${h#"${h%%[![:space:]]*}"}" h="${h%"${h##*[![:space:]]}"}"
    [[ -z "$h" ]] && continue
    if [[ "$h" =~ ^[0-9.]+$ || "$h" == *:* ]]; then san+=",IP:$h"
    elif [[ "$h" =~ ^[A-Za-z0-9*]([A-Za-z0-9.-]{0,252})$ ]]; then san+=",DNS:$h"
    else die "FRESHCHAIN_MQTT_TLS_HOSTS: '$h' is neither a host name nor an IP address"; fi
  done
  echo "$san"
}

# A private CA (10 years) made once, and a server certificate it signs (397 days: what clients
# accept for a leaf), made again when missing, within 30 days of expiry, or for other names.
ensure_local_tls() {
  local d="$FC_MQTT_TLS_DIR/local" san
  san="$(tls_san)"
  mkdir -p "$d"
  (
    umask 077
    if [[ ! -s "$d/ca.key" || ! -s "$d/ca.crt" ]]; then
      log "mosquitto: generating a private CA for the TLS listener ($d)"
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -sha256 \
        -subj "/O=freshchain/CN=freshchain local MQTT CA" -keyout "$d/ca.key" -out "$d/ca.crt" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>>"$FC_LOGS/openssl.log"
      rm -f "$d/server.crt"
    fi
    if [[ ! -s "$d/server.crt" || ! -s "$d/server.key" || "$(cat "$d/server.san" 2>/dev/null)" != "$san" ]] \
      || ! openssl x509 -checkend 2592000 -noout -in "$d/server.crt" >/dev/null 2>&1 \
      || ! openssl verify -CAfile "$d/ca.crt" "$d/server.crt" >/dev/null 2>&1; then
      log "mosquitto: issuing the TLS listener's certificate for $san"
      openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=freshchain/CN=localhost" \
        -keyout "$d/server.key" -out "$d/server.csr" 2>>"$FC_LOGS/openssl.log"
      printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san" > "$d/server.ext"
      openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 397 -sha256 \
        -extfile "$d/server.ext" -out "$d/server.crt" 2>>"$FC_LOGS/openssl.log"
      echo "$san" > "$d/server.san"
      rm -f "$d/server.csr"
    fi
  ) || die "mosquitto: could not generate the TLS certificate (see $FC_LOGS/openssl.log)"
}

# ---------------------------------------------------------------- configuration
write_passwords() {
  mkdir -p "$MQ_DIR/data"
  # Password file rebuilt on every start, so changed environment passwords take effect.
  : > "$MQ_DIR/passwd"
  mosquitto_passwd -b "$MQ_DIR/passwd" freshchain-ingest "$FC_MQTT_INGEST_PASS"
  mosquitto_passwd -b "$MQ_DIR/passwd" freshchain-device "$FC_MQTT_DEVICE_PASS"
  mosquitto_passwd -b "$MQ_DIR/passwd" freshchain-ops "$FC_MQTT_OPS_PASS"
  # Per-device accounts (one per node gateway), kept across restarts; see add-device.
  if [[ -f "$MQ_DIR/devices" ]]; then
    while IFS=: read -r user pass; do [[ -n "$user" ]] && mosquitto_passwd -b "$MQ_DIR/passwd" "$user" "$pass"; done < "$MQ_DIR/devices"
  fi
  cp "$(dirname "$0")/mosquitto/acl" "$MQ_DIR/acl"
  chmod 600 "$MQ_DIR/passwd" "$MQ_DIR/acl"
}

# The broker's configuration on stdout (after ensure_tls). `up` compares it with the running one.
render_config() {
  cat <<CONF
# Generated by deploy/mosquitto.sh; edit deploy/mosquitto/acl or the script instead.
per_listener_settings false
# Plain MQTT for the services on this host only (ingesters, API, tests).
listener $FC_MQTT_PORT 127.0.0.1
# Devices: TLS only (docs/devices.md). Clients verify the server with $FC_MQTT_TLS_DIR/ca.crt.
listener $FC_MQTT_TLS_PORT $FC_MQTT_TLS_BIND
certfile $TLS_CERT
keyfile $TLS_KEY
cafile $TLS_CA
tls_version tlsv1.2
# Server certificate in use (a new one restarts the broker on the next \`up\`):
# $(openssl x509 -noout -fingerprint -sha256 -in "$TLS_CERT")
allow_anonymous false
password_file $MQ_DIR/passwd
acl_file $MQ_DIR/acl
# Persistent sessions: QoS 1 messages for an offline ingester are queued, not dropped.
persistence true
persistence_location $MQ_DIR/data/
autosave_interval 30
max_queued_messages 2000000
max_queued_bytes 0
max_inflight_messages 1000
# The telemetry contract's maximum payload (256 KiB, docs/telemetry-contract.md) plus 8 KiB of
# header, topic and properties. MQTT 5 clients learn it from CONNACK; a client that sends a
# larger packet is disconnected, and nothing of it reaches an ingester. (Not
# message_size_limit: Mosquitto answers it with a PUBACK reason code MQTT 5 does not allow.)
max_packet_size $FC_MQTT_MAX_PACKET
set_tcp_nodelay true
log_dest file $FC_LOGS/mosquitto.log
log_type error
log_type warning
log_type notice
pid_file $MQ_PID
# FRESHCHAIN_HOME is usually under a private home directory the mosquitto user cannot enter.
user $(id -un)
CONF
}

# true when the TLS listener accepts TCP connections (on loopback when it listens everywhere).
tls_port_open() {
  local host="$FC_MQTT_TLS_BIND"
  [[ "$host" == 0.0.0.0 || "$host" == "::" ]] && host=127.0.0.1
  (exec 3<>"/dev/tcp/$host/$FC_MQTT_TLS_PORT") 2>/dev/null
}

# A listener beyond loopback takes logins from the network: never with the published passwords.
refuse_dev_passwords_on_network() {
  [[ "$FC_MQTT_TLS_BIND" == 127.* || "$FC_MQTT_TLS_BIND" == ::1 || "$FC_MQTT_TLS_BIND" == localhost ]] && return 0
  local v
  for v in MQTT_INGEST_PASSWORD MQTT_DEVICE_PASSWORD MQTT_OPS_PASSWORD; do
    [[ -n "${!v:-}" ]] || die "FRESHCHAIN_MQTT_TLS_BIND=$FC_MQTT_TLS_BIND opens the broker to the network: set $v (the development password is public)"
  done
}

up() {
  if [[ -n "${MQTT_URL:-}" ]]; then log "mosquitto: MQTT_URL is set; using that broker"; return 0; fi
  apt_install mosquitto mosquitto-clients openssl
  refuse_dev_passwords_on_network
  ensure_tls
  local config
  config="$(render_config)"
  if pid_alive "$MQ_PID" && port_open "$FC_MQTT_PORT"; then
    if [[ "$config" == "$(cat "$MQ_CONF" 2>/dev/null)" ]] && tls_port_open; then
      # A checkout with a newer ACL than the running broker's: the broker rereads it on SIGHUP.
      if ! cmp -s "$(dirname "$0")/mosquitto/acl" "$MQ_DIR/acl"; then
        cp "$(dirname "$0")/mosquitto/acl" "$MQ_DIR/acl"
        kill -HUP "$(head -n1 "$MQ_PID")"
        log "mosquitto: topic ACL changed; broker reloaded it"
      fi
      log "mosquitto: already up"; return 0
    fi
    # An older set-up's broker (no TLS listener, another certificate or port): take the new one.
    log "mosquitto: configuration changed; restarting"
    stop_pidfile mosquitto "$MQ_PID"
  fi
  port_open "$FC_MQTT_PORT" && die "port $FC_MQTT_PORT is taken by something else (set FRESHCHAIN_MQTT_PORT)"
  tls_port_open && die "port $FC_MQTT_TLS_PORT is taken by something else (set FRESHCHAIN_MQTT_TLS_PORT)"
  write_passwords
  printf '%s\n' "$config" > "$MQ_CONF"
  log "mosquitto: starting on 127.0.0.1:$FC_MQTT_PORT (plain) and $FC_MQTT_TLS_BIND:$FC_MQTT_TLS_PORT (TLS)"
  (daemonize mosquitto -c "$MQ_CONF" -d < /dev/null)
  wait_for "Mosquitto" 20 port_open "$FC_MQTT_PORT"
  wait_for "Mosquitto (TLS)" 10 tls_port_open
}

down() { [[ -n "${MQTT_URL:-}" ]] || stop_pidfile mosquitto "$MQ_PID"; }

# add-device NODE_ID [PASSWORD]: a gateway account that may publish only its own node's
# telemetry (the ACL's `pattern` lines match the user name against the topic). Prints the
# password; the running broker reloads its password file (SIGHUP).
add_device() {
  local node="${1:?usage: deploy/mosquitto.sh add-device NODE_ID [PASSWORD]}" pass="${2:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}"
  [[ "$node" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]] || die "node id must be 1-64 letters, digits, . _ -"
  mkdir -p "$MQ_DIR"
  touch "$MQ_DIR/devices"; chmod 600 "$MQ_DIR/devices"
  grep -v "^$node:" "$MQ_DIR/devices" > "$MQ_DIR/devices.new" || true
  echo "$node:$pass" >> "$MQ_DIR/devices.new"
  mv "$MQ_DIR/devices.new" "$MQ_DIR/devices"
  if [[ -f "$MQ_DIR/passwd" ]]; then
    mosquitto_passwd -b "$MQ_DIR/passwd" "$node" "$pass"
    pid_alive "$MQ_PID" && kill -HUP "$(head -n1 "$MQ_PID")"
  fi
  echo "$pass"
}

status() {
  if [[ -n "${MQTT_URL:-}" ]]; then echo "mosquitto: external (MQTT_URL)"; return 0; fi
  if ! pid_alive "$MQ_PID" || ! port_open "$FC_MQTT_PORT"; then echo "mosquitto: down"; return 1; fi
  if ! tls_port_open; then echo "mosquitto: up on 127.0.0.1:$FC_MQTT_PORT without its TLS listener (an older configuration: run deploy/mosquitto.sh up)"; return 1; fi
  echo "mosquitto: up on 127.0.0.1:$FC_MQTT_PORT (plain, this host only) and $FC_MQTT_TLS_BIND:$FC_MQTT_TLS_PORT (TLS, CA $FC_MQTT_TLS_DIR/ca.crt)"
}

# ca-file: make sure the TLS material exists and print the CA clients verify the broker with.
ca_file() { ensure_tls; echo "$FC_MQTT_TLS_DIR/ca.crt"; }

# print-config: the configuration `up` would write (making the TLS material if missing).
print_config() { ensure_tls; render_config; }

case "${1:-status}" in
  add-device) shift; add_device "$@" ;;
  ca-file) ca_file ;;
  print-config) print_config ;;
  up | down | status) "$1" ;;
  *) die "usage: deploy/mosquitto.sh up|down|status|ca-file|print-config|add-device NODE_ID [PASSWORD]" ;;
esac
