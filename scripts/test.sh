#!/usr/bin/env bash
# Sets up and runs the whole test suite: venv, Debian packages, a throw-away PostgreSQL
# on a local port, then pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

bash scripts/setup.sh
bash scripts/system-deps.sh

PG_DATA=""
cleanup() {
  if [ -n "$PG_DATA" ]; then
    su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $PG_DATA -m fast stop" >/dev/null 2>&1 || true
    rm -rf "$PG_DATA"
  fi
}
trap cleanup EXIT

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "${TEST_POSTGRES_URL:-}" ] && [ -n "$PG_BIN" ] && [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
  PG_DATA=$(mktemp -d /tmp/supportbot-pg.XXXXXX)
  PG_PORT=${PG_PORT:-54329}
  chown postgres "$PG_DATA"
  su postgres -s /bin/sh -c "$PG_BIN/initdb -D $PG_DATA -A trust -U postgres" >/dev/null
  su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $PG_DATA -o '-p $PG_PORT -k $PG_DATA -c listen_addresses=127.0.0.1' -l $PG_DATA/log -w start" >/dev/null
  export TEST_POSTGRES_URL="postgresql+asyncpg://postgres@127.0.0.1:$PG_PORT/postgres"
fi

# the tests run in parallel, one worker per core (at most 4: each loads the models);
# TEST_WORKERS=0 runs them in this process, one after another
.venv/bin/python -m pytest -n "${TEST_WORKERS:-auto}" --maxprocesses 4 "$@"
