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

go build -tags nomsgpack -trimpath -o "$work/studentapi" .
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

# Paginated, to exercise DRF's page format; /gettoken/ keeps its default 5/minute throttle.
STUDENTAPI_API_PAGE_SIZE=2 STUDENTAPI_API_PAGE_SIZE_QUERY_PARAM=page_size \
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
expect_body "{\"count\":1,\"next\":null,\"previous\":null,\"results\":[{\"id\":$id,\"name\":\"Ravi\",\"roll\":10,\"city\":\"Ranchi\"}]}"
check GET "/studentapi/$id/" 200 "${auth[@]}"
check PUT "/studentapi/$id/" 200 "${auth[@]}" -d name=Sonam -d roll=11 -d city=Pune
expect_body "{\"id\":$id,\"name\":\"Sonam\",\"roll\":11,\"city\":\"Pune\"}"
check PATCH "/studentapi/$id/" 200 "${auth[@]}" -H 'Content-Type: application/json' -d '{"city":"Delhi"}'
expect_body "{\"id\":$id,\"name\":\"Sonam\",\"roll\":11,\"city\":\"Delhi\"}"
check POST /studentapi/ 400 "${auth[@]}" -H 'Content-Type: application/json' -d '{"name":"","roll":"x"}'
expect_body '{"name":["This field may not be blank."],"roll":["A valid integer is required."],"city":["This field is required."]}'
# Pagination, search and ordering over a few more students.
for row in 'Sonam 7 Pune' 'Ranjit 12 Chennai' 'Amit 3 Delhi'; do
  set -- $row
  check POST /studentapi/ 201 "${auth[@]}" -d "name=$1" -d "roll=$2" -d "city=$3"
done
check GET '/studentapi/?page=2' 200 "${auth[@]}"
case "$body" in
  '{"count":4,"next":null,"previous":"'"$base"'/studentapi/","results":[{"id":'*'"name":"Ranjit"'*'"name":"Amit"'*) ;;
  *) fail "page 2: $body" ;;
esac
check GET '/studentapi/?page=3' 404 "${auth[@]}"
expect_body '{"detail":"Invalid page."}'
check GET '/studentapi/?search=ran%20ch&ordering=-roll&page_size=10' 200 "${auth[@]}"
case "$body" in
  '{"count":1,"next":null,"previous":null,"results":[{"id":'*'"name":"Ranjit"'*) ;;
  *) fail "search: $body" ;;
esac
check GET '/studentapi/?roll__gte=7&ordering=roll' 200 "${auth[@]}"
case "$body" in
  '{"count":3,"next":"'"$base"'/studentapi/?ordering=roll&page=2&roll__gte=7","previous":null,"results":[{"id":'*'"roll":7,'*'"roll":11,'*) ;;
  *) fail "filter and order: $body" ;;
esac

check DELETE "/studentapi/$id/" 204 "${auth[@]}"
check GET "/studentapi/$id/" 404 "${auth[@]}"
expect_body '{"detail":"Not found."}'

# Two logins so far; three more wrong passwords reach the 5/minute limit, and
# then even the right password is throttled.
for _ in 1 2 3; do check POST /gettoken/ 400 -d username=smoke -d password=wrong; done
check POST /gettoken/ 429 -D "$work/headers" -d username=smoke -d password=smoke-pass
case "$body" in
  '{"detail":"Request was throttled. Expected available in '*' seconds."}') ;;
  *) fail "throttled login: $body" ;;
esac
grep -qi '^Retry-After: [0-9]' "$work/headers" || fail "throttled login has no Retry-After"

kill -TERM "$server_pid"
wait "$server_pid" || fail "server exited with status $? after SIGTERM, want 0"
server_pid=""
echo "smoke: all checks passed"
