#!/usr/bin/env bash
# The service through a stop and restart of its PostgreSQL server: start a
# throwaway cluster (scripts/postgres.sh), build the binary, make a user and a
# token, serve on a free port, check that the API works, stop PostgreSQL under a
# little concurrent load and check that the API answers 503 with Retry-After (and
# /readyz 503, /healthz 200) while the process stays up, start PostgreSQL again
# and check that the same process serves again by itself, the earlier data intact.
# Every answer of the load must be 200, 201 or 503: never a 500 or a dropped
# connection. Exits non-zero on the first failed check; removes everything it
# made (server, cluster, temp files) on exit. Needs Go, gcc, curl and python3;
# as root on Debian it installs PostgreSQL when missing.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
# shellcheck source=scripts/serve.sh
. scripts/serve.sh
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh

work=$(mktemp -d)
server_pid=""
load_pids=()
cleanup() {
  touch "$work/stop-load" 2>/dev/null || true
  local p
  for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -n "$server_pid" ]; then kill -KILL "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  pg_destroy
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "pgrestart: FAIL: $*" >&2
  [ -f "$work/server.log" ] && tail -n 30 "$work/server.log" | sed 's/^/  server: /' >&2
  exit 1
}

pg_start

go build -tags nomsgpack -trimpath -o "$work/studentapi" . || fail "go build failed"
bin="$work/studentapi"
export STUDENTAPI_DATABASE_DRIVER=postgres
export STUDENTAPI_DATABASE_DSN="$STUDENTAPI_TEST_POSTGRES_DSN"
STUDENTAPI_AUTH_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export STUDENTAPI_AUTH_SECRET_KEY
export STUDENTAPI_AUTH_BCRYPT_COST=4

seed_user 'restart-pass'

start_server

# check METHOD PATH WANT_STATUS [curl args...]: runs curl, leaves the body in
# $body and the headers in $work/headers.
check() {
  local method=$1 path=$2 want=$3; shift 3
  local status
  status=$(curl -s --max-time 10 -o "$work/body" -D "$work/headers" -w '%{http_code}' -X "$method" "$@" "$base$path") ||
    fail "$method $path: curl failed (exit $?)"
  body=$(cat "$work/body")
  [ "$status" = "$want" ] || fail "$method $path: status $status, want $want; body: $body"
  echo "ok  $method $path -> $status"
}
# expect_json JSON: the last body is this JSON value (whatever its spacing).
expect_json() {
  python3 - "$1" "$work/body" <<'PY' || fail "body: got $body, want $1"
import json, sys
sys.exit(0 if json.load(open(sys.argv[2])) == json.loads(sys.argv[1]) else 1)
PY
  echo "ok    body $1"
}
# expect_header NAME VALUE: the last answer has this header, exactly.
expect_header() {
  grep -qi "^$1: $2"$'\r'"\?\$" "$work/headers" || fail "no \"$1: $2\" header; headers: $(tr -d '\r' <"$work/headers" | tr '\n' '|')"
  echo "ok    header $1: $2"
}
# expect_alive: studentapi is still running.
expect_alive() {
  kill -0 "$server_pid" 2>/dev/null || fail "studentapi exited"
  echo "ok  studentapi (pid $server_pid) is still running"
}
unavailable='{"detail": "Service temporarily unavailable."}'

echo "== PostgreSQL up"
check GET /readyz 200
check GET /studentapi/ 200 "${auth[@]}"
expect_json '[]'
check POST /studentapi/ 201 "${auth[@]}" -H 'Content-Type: application/json' -d '{"name":"Ravi","roll":10,"city":"Ranchi"}'
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/body")
ravi="{\"id\": $id, \"name\": \"Ravi\", \"roll\": 10, \"city\": \"Ranchi\"}"
expect_json "$ravi"

# The load: a few clients in a loop until $work/stop-load exists, each writing
# "METHOD STATUS CURL_EXIT" per request to $work/load.N (status 000 and a non-zero
# exit is a dropped or refused connection, or a timeout).
load_client() {
  local n=$1 method=$2 path=$3 out rc
  while [ ! -e "$work/stop-load" ]; do
    if [ "$method" = POST ]; then
      out=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X POST "${auth[@]}" \
        -H 'Content-Type: application/json' -d '{"name":"Load","roll":1,"city":"Pune"}' "$base$path") && rc=0 || rc=$?
      sleep 0.05
    else
      out=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "${auth[@]}" "$base$path") && rc=0 || rc=$?
    fi
    echo "$method $out $rc" >>"$work/load.$n"
  done
}
load_client 1 GET /studentapi/ &
load_pids+=($!)
load_client 2 GET "/studentapi/$id/" &
load_pids+=($!)
load_client 3 GET "/studentapi/$id/" &
load_pids+=($!)
load_client 4 POST /studentapi/ &
load_pids+=($!)
sleep 1

echo "== PostgreSQL stopped (pg_ctl stop -m fast), studentapi left running, under load"
pg_stop_server
check GET /studentapi/ 503 "${auth[@]}"
expect_header Retry-After 5
expect_json "$unavailable"
check GET "/studentapi/$id/" 503 "${auth[@]}"
expect_header Retry-After 5
expect_json "$unavailable"
check POST /studentapi/ 503 "${auth[@]}" -H 'Content-Type: application/json' -d '{"name":"Sonam","roll":7,"city":"Pune"}'
expect_header Retry-After 5
expect_json "$unavailable"
check GET /readyz 503
expect_header Retry-After 5
expect_json "$unavailable"
check GET /healthz 200
expect_json '{"status": "ok"}'
sleep 2
expect_alive

echo "== PostgreSQL started again, studentapi not restarted"
pg_start_server
started=$SECONDS
ready=""
while [ $((SECONDS - started)) -lt 30 ]; do
  if [ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ]; then ready=1; break; fi
  sleep 0.2
done
[ -n "$ready" ] || fail "/readyz did not answer 200 within 30 s of PostgreSQL's restart"
echo "ok  /readyz -> 200 within $((SECONDS - started)) s of PostgreSQL's restart"
check GET /readyz 200
expect_json '{"status": "ok"}'
check GET "/studentapi/$id/" 200 "${auth[@]}"
expect_json "$ravi"
check GET /studentapi/ 200 "${auth[@]}"
python3 - "$work/body" "$ravi" <<'PY' || fail "the list lost student $id: $body"
import json, sys
sys.exit(0 if json.loads(sys.argv[2]) in json.load(open(sys.argv[1])) else 1)
PY
echo "ok    list still has $ravi"
check POST /studentapi/ 201 "${auth[@]}" -H 'Content-Type: application/json' -d '{"name":"Sonam","roll":7,"city":"Pune"}'
new_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/body")
expect_json "{\"id\": $new_id, \"name\": \"Sonam\", \"roll\": 7, \"city\": \"Pune\"}"
check GET "/studentapi/$new_id/" 200 "${auth[@]}"
sleep 1
expect_alive

echo "== the load during the stop and the restart"
touch "$work/stop-load"
for p in "${load_pids[@]}"; do wait "$p" || fail "a load client failed (exit $?)"; done
load_pids=()
cat "$work"/load.* >"$work/load"
awk '{ n[$1 " " $2 " (curl exit " $3 ")"]++ } END { for (k in n) printf "      %6d  %s\n", n[k], k }' "$work/load" | sort -k2
bad=$(awk '!(($1 == "GET" && ($2 == 200 || $2 == 503) && $3 == 0) || ($1 == "POST" && ($2 == 201 || $2 == 503) && $3 == 0))' "$work/load" | sort | uniq -c)
[ -z "$bad" ] || fail "the load got answers other than 200/201 or 503, or lost connections:
$bad"
for want in 'GET 200' 'GET 503' 'POST 201' 'POST 503'; do
  grep -q "^$want 0\$" "$work/load" || fail "the load never got $want: it did not span the outage"
done
echo "ok  $(wc -l <"$work/load") requests of the load: each one 200/201 or 503, none 500 or dropped"

if grep -qE '^panic|goroutine [0-9]+ \[' "$work/server.log"; then fail "studentapi's log shows a panic"; fi
kill -TERM "$server_pid"
wait "$server_pid" || fail "studentapi exited with status $? after SIGTERM, want 0"
server_pid=""
echo "pgrestart: all checks passed: studentapi survived a stop and restart of PostgreSQL"
