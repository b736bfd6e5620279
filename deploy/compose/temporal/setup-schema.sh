#!/bin/sh
# One-shot (temporalio/admin-tools): create Temporal's two PostgreSQL databases and bring their
# schemas to this release's version. Safe to run on every `docker compose up`: an existing
# database is kept, setup-schema -v 0.0 is a no-op on a versioned schema, update-schema applies
# only what is missing. Password: SQL_PASSWORD (read by temporal-sql-tool).
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
PORT="${DB_PORT:-5432}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$PORT"
i=0
until nc -z -w 2 "$POSTGRES_SEEDS" "$PORT"; do
  i=$((i + 1))
  [ "$i" -lt 60 ] || { echo "PostgreSQL unreachable" >&2; exit 1; }
  sleep 1
done

sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$PORT" "$@"; }

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) dir="$SCHEMA_DIR/temporal/versioned" ;;
    *) dir="$SCHEMA_DIR/visibility/versioned" ;;
  esac
  # `create` fails when the database exists, which is the normal case after the first start.
  sql --db "$db" create || echo "database $db exists"
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$dir"
done
echo "Temporal schemas are up to date"
