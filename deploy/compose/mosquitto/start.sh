#!/bin/sh
# Entry point of the compose broker: write the password file from the environment (so a changed
# .env takes effect at the next start), install the ACL and the TLS files, then run Mosquitto. Runs as root (the
# image's default) only to set file ownership; Mosquitto itself drops to the `mosquitto` user.
set -eu

: "${MQTT_USERNAME:?}" "${MQTT_PASSWORD:?}"
: "${MQTT_DEVICE_USERNAME:?}" "${MQTT_DEVICE_PASSWORD:?}"
: "${MQTT_OPS_USERNAME:?}" "${MQTT_OPS_PASSWORD:?}"

AUTH_DIR=/mosquitto/auth
umask 077
mkdir -p "$AUTH_DIR" /mosquitto/data
: > "$AUTH_DIR/passwd.new"
mosquitto_passwd -b "$AUTH_DIR/passwd.new" "$MQTT_USERNAME" "$MQTT_PASSWORD"
mosquitto_passwd -b "$AUTH_DIR/passwd.new" "$MQTT_DEVICE_USERNAME" "$MQTT_DEVICE_PASSWORD"
mosquitto_passwd -b "$AUTH_DIR/passwd.new" "$MQTT_OPS_USERNAME" "$MQTT_OPS_PASSWORD"

# Gateway accounts: "node-id:password node-id:password ...". The ACL's `pattern` lines let an
# account named after a node publish only that node's topics.
for account in ${MQTT_GATEWAY_ACCOUNTS:-}; do
  user="${account%%:*}"
  pass="${account#*:}"
  if [ -z "$user" ] || [ "$user" = "$account" ] || [ -z "$pass" ]; then
    echo "start.sh: MQTT_GATEWAY_ACCOUNTS entries must look like node-id:password" >&2
    exit 1
  fi
  mosquitto_passwd -b "$AUTH_DIR/passwd.new" "$user" "$pass"
done
mv "$AUTH_DIR/passwd.new" "$AUTH_DIR/passwd"

cp /freshchain/acl "$AUTH_DIR/acl"

# The TLS listener's certificate, key and CA, from the mosquitto-tls one-shot (the operator's
# files or generated ones), copied so the mosquitto user owns them and alone reads the key.
CERT_DIR=/mosquitto/certs
mkdir -p "$CERT_DIR"
for f in tls.crt tls.key ca.crt; do
  [ -s "/freshchain/tls/$f" ] || { echo "start.sh: /freshchain/tls/$f is missing (did mosquitto-tls run?)" >&2; exit 1; }
  cp "/freshchain/tls/$f" "$CERT_DIR/$f"
done

chown -R mosquitto:mosquitto "$AUTH_DIR" "$CERT_DIR" /mosquitto/data
chmod 0700 "$AUTH_DIR" "$CERT_DIR"
chmod 0600 "$AUTH_DIR/passwd" "$AUTH_DIR/acl" "$CERT_DIR/tls.key"
chmod 0644 "$CERT_DIR/tls.crt" "$CERT_DIR/ca.crt"

exec /usr/sbin/mosquitto -c /mosquitto/config/mosquitto.conf
