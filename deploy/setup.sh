#!/usr/bin/env bash
# Provision everything `npm start` and `npm test` need, idempotently and quickly when it is
# already there: npm dependencies, the local stack of real services, database migrations.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm ci only when node_modules is missing or older than the lock file.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[setup] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

bash deploy/stack.sh up
bash deploy/browser.sh
bash deploy/temporal-test-server.sh install
echo "[setup] migrations" >&2
node --import tsx db/migrate-main.ts
