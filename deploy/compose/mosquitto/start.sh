#!/bin/sh
# Entry point of the compose broker: write the password file from the environment (so a changed
# .env takes effect at the next start), install the ACL, then run Mosquitto. Runs as root (the
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
chown -R mosquitto:mosquitto "$AUTH_DIR" /mosquitto/data
chmod 0700 "$AUTH_DIR"
chmod 0600 "$AUTH_DIR/passwd" "$AUTH_DIR/acl"

exec /usr/sbin/mosquitto -c /mosquitto/config/mosquitto.conf
