#!/usr/bin/env bash
# Smoke test of the real binary: build it, serve on a free port with a temp
# database, make a user with the CLI, then walk the API with curl, checking every
# status. Exits non-zero on the first mismatch.
set -euo pipefail

cd "$(dirname "$0")/.."
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/studentapi" .
export STUDENTAPI_DATABASE_PATH="$work/smoke.db"
export STUDENTAPI_AUTH_BCRYPT_COST=4
bin="$work/studentapi"

fail() { echo "smoke: FAIL: $*" >&2; [ -f "$work/server.log" ] && sed 's/^/  server: /' "$work/server.log" >&2; exit 1; }

# A free port: let the kernel pick one, then reuse it.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

"$bin" migrate >/dev/null
STUDENTAPI_PASSWORD='smoke-pass' "$bin" createuser --noinput --username smoke --email smoke@example.com >/dev/null
cli_token=$("$bin" drf_create_token smoke | awk '{print $3}')

"$bin" serve --addr "127.0.0.1:$port" >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "$base/" && break
  sleep 0.1
done

# check METHOD PATH WANT_STATUS [curl args...]: runs curl, leaves the body in $body.
check() {
  local method=$1 path=$2 want=$3; shift 3
  local status
  status=$(curl -s -o "$work/body" -w '%{http_code}' -X "$method" "$@" "$base$path") || fail "$method $path: curl failed"
  body=$(cat "$work/body")
  [ "$status" = "$want" ] || fail "$method $path: status $status, want $want; body: $body"
  echo "ok  $method $path -> $status"
}
expect_body() { [ "$body" = "$1" ] || fail "body: got $body, want $1"; }
auth=(-H "Authorization: Token $cli_token")

check GET /studentapi/ 401
expect_body '{"detail":"Authentication credentials were not provided."}'
check POST /gettoken/ 400 -d username=smoke -d password=wrong
check POST /gettoken/ 200 -d username=smoke -d password=smoke-pass
token=$(printf '%s' "$body" | sed -E 's/.*"token":"([0-9a-f]{40})".*/\1/')
[ "$token" = "$cli_token" ] || fail "/gettoken/ gave $token, the CLI gave $cli_token"

check POST /studentapi/ 201 "${auth[@]}" -H 'Content-Type: application/json' -d '{"name":"Ravi","roll":10,"city":"Ranchi"}'
id=$(printf '%s' "$body" | sed -E 's/.*"id":([0-9]+).*/\1/')
expect_body "{\"id\":$id,\"name\":\"Ravi\",\"roll\":10,\"city\":\"Ranchi\"}"
check GET /studentapi/ 200 "${auth[@]}"
expect_body "[{\"id\":$id,\"name\":\"Ravi\",\"roll\":10,\"city\":\"Ranchi\"}]"
check GET "/studentapi/$id/" 200 "${auth[@]}"
check PUT "/studentapi/$id/" 200 "${auth[@]}" -d name=Sonam -d roll=11 -d city=Pune
expect_body "{\"id\":$id,\"name\":\"Sonam\",\"roll\":11,\"city\":\"Pune\"}"
check PATCH "/studentapi/$id/" 200 "${auth[@]}" -H 'Content-Type: application/json' -d '{"city":"Delhi"}'
expect_body "{\"id\":$id,\"name\":\"Sonam\",\"roll\":11,\"city\":\"Delhi\"}"
check POST /studentapi/ 400 "${auth[@]}" -H 'Content-Type: application/json' -d '{"name":"","roll":"x"}'
expect_body '{"name":["This field may not be blank."],"roll":["A valid integer is required."],"city":["This field is required."]}'
check DELETE "/studentapi/$id/" 204 "${auth[@]}"
check GET "/studentapi/$id/" 404 "${auth[@]}"
expect_body '{"detail":"Not found."}'

kill -TERM "$server_pid"
wait "$server_pid" || fail "server exited with status $? after SIGTERM, want 0"
server_pid=""
echo "smoke: all checks passed"
