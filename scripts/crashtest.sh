#!/usr/bin/env bash
# Crash safety of the real binary: serve a temp database, write to it with
# several clients (scripts/crashload), kill the server with SIGKILL at a random
# moment, then check the file with SQLite's own `PRAGMA integrity_check`,
# restart, and check that every acknowledged write is there. ROUNDS rounds
# (default 12). Needs Go, gcc and the sqlite3 CLI (installed as root on Debian).
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
rounds=${ROUNDS:-12}

if ! command -v sqlite3 >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends sqlite3 >/dev/null
  else
    echo "crashtest: the sqlite3 CLI is missing; install it (e.g. sudo apt-get install sqlite3)" >&2
    exit 1
  fi
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -KILL "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "crashtest: FAIL: $*" >&2
  [ -f "$work/server.log" ] && tail -n 20 "$work/server.log" | sed 's/^/  server: /' >&2
  exit 1
}

go build -tags nomsgpack -trimpath -o "$work/studentapi" .
go build -o "$work/crashload" ./scripts/crashload
bin="$work/studentapi"
db="$work/crash.db"
export STUDENTAPI_DATABASE_PATH="$db"
export STUDENTAPI_AUTH_BCRYPT_COST=4
"$bin" migrate >/dev/null
STUDENTAPI_PASSWORD='crash-pass' "$bin" createuser --noinput --username crash --email crash@example.com >/dev/null
token=$("$bin" drf_create_token crash | awk '{print $3}')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

start_server() {
  "$bin" serve --addr "127.0.0.1:$port" >"$work/server.out" 2>"$work/server.log" &
  server_pid=$!
  for _ in $(seq 1 200); do
    curl -s -o /dev/null "$base/" && return 0
    kill -0 "$server_pid" 2>/dev/null || fail "server exited at start"
    sleep 0.05
  done
  fail "server did not answer within 10s"
}

integrity() {
  local got
  got=$(sqlite3 "$db" 'PRAGMA integrity_check;') || fail "sqlite3 could not open the database"
  [ "$got" = ok ] || fail "round $1: integrity_check: $got"
}

for round in $(seq 1 "$rounds"); do
  start_server
  "$work/crashload" load -url "$base" -token "$token" -state "$work/state.json" -workers 8 &
  load_pid=$!
  # Kill between 0.2 and 1.5 s into the load: mid-transaction, mid-checkpoint, anywhere.
  sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", 0.2 + (r % 1300) / 1000 }')"
  kill -KILL "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  wait "$load_pid" || fail "round $round: the load client saw a wrong answer before the kill"
  integrity "$round"
  start_server
  "$work/crashload" check -url "$base" -token "$token" -state "$work/state.json" || fail "round $round: lost or phantom writes"
  kill -TERM "$server_pid"
  wait "$server_pid" || fail "round $round: server exited with $? after SIGTERM, want 0"
  server_pid=""
done
integrity final
echo "crashtest: $rounds rounds of SIGKILL under load: integrity ok, no acknowledged write lost"
