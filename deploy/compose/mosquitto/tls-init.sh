#!/bin/sh
# One-shot before the compose broker: the TLS listener's tls.crt, tls.key and ca.crt, written to
# the volume mounted at /tls (the broker's start.sh installs them from there).
#
# - The operator's own: tls.crt, tls.key and ca.crt (the names of a cert-manager / Kubernetes TLS
#   Secret) in MQTT_TLS_DIR, mounted at /provided. They are checked (the CA signed the
#   certificate, the key matches it) and copied at every start, so a renewed file takes effect on
#   `docker compose up -d` / restart.
# - Otherwise generated here once: a private CA (10 years, kept in the volume) and a server
#   certificate it signs for mosquitto, localhost, 127.0.0.1 and MQTT_TLS_HOSTS (comma-separated:
#   the names devices use), re-issued when missing, within 30 days of expiry or for other names.
#   Devices then trust ca.crt: `docker compose cp mosquitto:/mosquitto/certs/ca.crt .`
# Runs in an image that has openssl (the Eclipse Mosquitto image does not).
set -eu
umask 077
OUT=/tls
IN=/provided

if [ -e "$IN/tls.crt" ] || [ -e "$IN/tls.key" ] || [ -e "$IN/ca.crt" ]; then
  for f in tls.crt tls.key ca.crt; do
    [ -s "$IN/$f" ] || { echo "tls-init: MQTT_TLS_DIR has some of tls.crt, tls.key, ca.crt but not $f" >&2; exit 1; }
  done
  openssl verify -CAfile "$IN/ca.crt" "$IN/tls.crt" >/dev/null || { echo "tls-init: tls.crt is not signed by ca.crt" >&2; exit 1; }
  [ "$(openssl x509 -noout -pubkey -in "$IN/tls.crt")" = "$(openssl pkey -pubout -in "$IN/tls.key")" ] \
    || { echo "tls-init: tls.key does not belong to tls.crt" >&2; exit 1; }
  cp "$IN/tls.crt" "$IN/tls.key" "$IN/ca.crt" "$OUT/"
  echo "tls-init: using the operator's certificate from MQTT_TLS_DIR"
  exit 0
fi

san="DNS:mosquitto,DNS:localhost,IP:127.0.0.1"
for h in $(echo "${MQTT_TLS_HOSTS:-}" | tr ',' ' '); do
  case "$h" in
    *[!A-Za-z0-9.:*-]*) echo "tls-init: MQTT_TLS_HOSTS: '$h' is neither a host name nor an IP address" >&2; exit 1 ;;
  esac
  if echo "$h" | grep -Eq '^[0-9.]+$|:'; then san="$san,IP:$h"; else san="$san,DNS:$h"; fi
done

if [ ! -s "$OUT/local-ca.key" ] || [ ! -s "$OUT/local-ca.crt" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -sha256 \
    -subj "/O=freshchain/CN=freshchain compose MQTT CA" -keyout "$OUT/local-ca.key" -out "$OUT/local-ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign"
  rm -f "$OUT/tls.crt"
  echo "tls-init: generated a private CA"
fi
if [ ! -s "$OUT/tls.crt" ] || [ ! -s "$OUT/tls.key" ] || [ "$(cat "$OUT/tls.san" 2>/dev/null)" != "$san" ] \
  || ! openssl x509 -checkend 2592000 -noout -in "$OUT/tls.crt" >/dev/null \
  || ! openssl verify -CAfile "$OUT/local-ca.crt" "$OUT/tls.crt" >/dev/null 2>&1; then
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=freshchain/CN=mosquitto" \
    -keyout "$OUT/tls.key" -out "$OUT/tls.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$san" > "$OUT/tls.ext"
  openssl x509 -req -in "$OUT/tls.csr" -CA "$OUT/local-ca.crt" -CAkey "$OUT/local-ca.key" -CAcreateserial -days 397 -sha256 \
    -extfile "$OUT/tls.ext" -out "$OUT/tls.crt"
  echo "$san" > "$OUT/tls.san"
  rm -f "$OUT/tls.csr"
  echo "tls-init: issued the broker certificate for $san"
fi
cp "$OUT/local-ca.crt" "$OUT/ca.crt"
