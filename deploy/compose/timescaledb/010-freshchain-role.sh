#!/bin/bash
# First start of the compose TimescaleDB only (docker-entrypoint-initdb.d): the application role
# `freshchain` owns the `freshchain` database but is not a superuser. The image's own init script
# (000_install_timescaledb.sh) has already created the extension in POSTGRES_DB; the migrations'
# `CREATE EXTENSION IF NOT EXISTS` then finds it. The password comes from the environment.
set -euo pipefail
: "${FRESHCHAIN_DB_PASSWORD:?}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$FRESHCHAIN_DB_PASSWORD" <<'SQL'
SELECT 'CREATE ROLE freshchain LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'freshchain')\gexec
ALTER ROLE freshchain WITH LOGIN PASSWORD :'app_password';
ALTER DATABASE freshchain OWNER TO freshchain;
CREATE EXTENSION IF NOT EXISTS timescaledb;
SQL
