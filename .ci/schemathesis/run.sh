#!/usr/bin/env bash
# A bounded schemathesis run (GraphQL mode) against the real server, once on a fresh SQLite file
# and once on a fresh PostgreSQL database, with an admin token. Fails on any 5xx response and on
# any GraphQL error coded INTERNAL (hooks.py); every 4xx and every other error code is the server
# refusing bad input, which is fine. Also fails when the server dies during the run.
#
#   .ci/schemathesis/run.sh                      # both databases
#   ST_DATABASES=sqlite .ci/schemathesis/run.sh  # one
#
# Settings (environment): COUNTERSIGN_BIN (default $CARGO_TARGET_DIR/debug/countersign),
# PG_URL (server URL without a database, default postgres://postgres@127.0.0.1:5432),
# ST_MAX_EXAMPLES (per operation, default 25), ST_MAX_TIME (seconds per database, default 120),
# ST_WORKERS (default 2), ST_SEED (hypothesis seed; default 20261201 so CI explores the same
# cases each run; set another to explore further).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/countersign-target}"
BIN="${COUNTERSIGN_BIN:-$CARGO_TARGET_DIR/debug/countersign}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
MAX_EXAMPLES="${ST_MAX_EXAMPLES:-25}"
MAX_TIME="${ST_MAX_TIME:-120}"
WORKERS="${ST_WORKERS:-2}"
DATABASES="${ST_DATABASES:-sqlite postgres}"
ST_SEED="${ST_SEED:-20261201}"
TENANT=schemathesis

if [ ! -x "$BIN" ]; then
  echo "no server binary at $BIN (build it with: cargo build -p countersign --bin countersign)" >&2
  exit 1
fi

# The pinned tools, in a venv outside the repository (rebuilt when the pins change).
venv="$CARGO_TARGET_DIR/schemathesis-venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/st" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$here/requirements.txt"
  echo "$want" > "$stamp"
fi
"$venv/bin/st" --version

work="$(mktemp -d "${TMPDIR:-/tmp}/countersign-st.XXXXXX")"
server_pid=""
pg_db=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$pg_db" ]; then
    psql "$PG_URL/postgres" -qAt -c "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

run_one() {
  local kind="$1" database_url
  case "$kind" in
    sqlite) database_url="sqlite://$work/$kind.db?mode=rwc" ;;
    postgres)
      pg_db="cs_st_$(date +%s)_$$"
      psql "$PG_URL/postgres" -v ON_ERROR_STOP=1 -qAt -c "CREATE DATABASE \"$pg_db\""
      database_url="$PG_URL/$pg_db"
      ;;
    *) echo "unknown database kind $kind" >&2; return 1 ;;
  esac
  printf '\n== schemathesis on %s\n' "$kind"
  local port log secret
  port="$(free_port)"
  log="$work/server-$kind.log"
  secret="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
  export DATABASE_URL="$database_url" COUNTERSIGN_JWT_SECRET="$secret"
  # History to query, so resolvers over real rows are exercised, not only empty lists.
  (cd "$work" && "$BIN" migrate >/dev/null && "$BIN" seed --tenant "$TENANT" --requests 300 --days 7 >/dev/null)
  (cd "$work" && exec "$BIN" serve --listen "127.0.0.1:$port") >"$log" 2>&1 &
  server_pid=$!
  local base="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
      "$base/healthz" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.2
  done
  local token
  token="$(cd "$work" && "$BIN" token --tenant "$TENANT" --sub schemathesis-admin --roles admin --ttl 1h)"

  local status=0
  # Run from a state directory outside the repository: schemathesis and hypothesis keep their
  # caches (failures to replay first next time) in the working directory.
  local state="$CARGO_TARGET_DIR/schemathesis-state"
  mkdir -p "$state"
  (cd "$state" && SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$here" "$venv/bin/st" --no-color run "$base/graphql" \
    --header "Authorization: Bearer $token" \
    --checks no_server_error_or_internal \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$MAX_TIME" \
    --workers "$WORKERS" \
    --request-timeout 30 \
    --suppress-health-check all \
    --phases fuzzing \
    --report junit --report-dir "$CARGO_TARGET_DIR/schemathesis-report/$kind" \
    ${ST_SEED:+--seed "$ST_SEED"}) || status=$?

  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server died during the schemathesis run on $kind:" >&2
    tail -n 50 "$log" >&2
    status=1
  fi
  if grep -q 'panicked' "$log"; then
    echo "the server panicked during the schemathesis run on $kind:" >&2
    grep -n -A5 'panicked' "$log" | head -n 40 >&2
    status=1
  fi
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  if [ -n "$pg_db" ]; then
    psql "$PG_URL/postgres" -qAt -c "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null
    pg_db=""
  fi
  return "$status"
}

cd "$root"
failed=()
for kind in $DATABASES; do
  run_one "$kind" || failed+=("$kind")
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "schemathesis found 5xx or INTERNAL responses on: ${failed[*]}" >&2
  exit 1
fi
echo "schemathesis: no 5xx and no INTERNAL on: $DATABASES"
