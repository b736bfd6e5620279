#!/bin/sh
# One-shot (temporalio/admin-tools): create the namespace, register our custom search attributes
# from SEARCH_ATTRIBUTES_FILE (deploy/temporal/search-attributes.txt: NAME=TYPE lines, # comments),
# then wait until the server accepts a query on each, so workers started next can use them.
# Idempotent: existing attributes are skipped; one registered with another type is an error.
set -eu
: "${TEMPORAL_ADDRESS:?}" "${TEMPORAL_NAMESPACE:?}" "${SEARCH_ATTRIBUTES_FILE:?}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-720h}"
export TEMPORAL_ADDRESS

i=0
until temporal operator cluster health >/dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -lt 60 ] || { echo "Temporal at $TEMPORAL_ADDRESS is not serving" >&2; exit 1; }
  sleep 2
done

if ! temporal operator namespace describe --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
  temporal operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "$RETENTION"
fi
# A new namespace reaches every service's registry a few seconds after `create` returns.
i=0
until existing="$(temporal operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" 2>/dev/null)"; do
  i=$((i + 1))
  [ "$i" -lt 60 ] || { echo "namespace $TEMPORAL_NAMESPACE did not become usable" >&2; exit 1; }
  sleep 2
done
grep -v '^[[:space:]]*#' "$SEARCH_ATTRIBUTES_FILE" | grep '=' | while IFS='=' read -r name type; do
  name="$(echo "$name" | tr -d '[:space:]')"
  type="$(echo "$type" | tr -d '[:space:]')"
  if echo "$existing" | grep -Eq "(^|[[:space:]])$name([[:space:]]|$)"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "$name" --type "$type"
  fi
done

# The frontend caches the namespace's attribute mapping briefly: wait until each is queryable.
grep -v '^[[:space:]]*#' "$SEARCH_ATTRIBUTES_FILE" | grep '=' | while IFS='=' read -r name type; do
  name="$(echo "$name" | tr -d '[:space:]')"
  type="$(echo "$type" | tr -d '[:space:]')"
  case "$type" in
    Bool) query="$name = true" ;;
    Int | Double) query="$name = 0" ;;
    Datetime) query="$name > '2000-01-01T00:00:00Z'" ;;
    *) query="$name = 'probe'" ;;
  esac
  i=0
  until temporal workflow list --namespace "$TEMPORAL_NAMESPACE" --query "$query" --limit 1 >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -lt 60 ] || { echo "search attribute $name is not queryable" >&2; exit 1; }
    sleep 2
  done
done
echo "namespace $TEMPORAL_NAMESPACE ready with its search attributes"
