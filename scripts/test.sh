#!/usr/bin/env bash
# The test command. Starts a throwaway PostgreSQL server (scripts/postgres.sh;
# removed on exit, pass or fail), then runs every Go test under the race detector
# twice: on SQLite (with the PostgreSQL-only tests on that server, required to
# run, not skip) and then the whole suite on PostgreSQL. Then the OpenAPI
# document through a linter (openapi-lint.sh), the real binary driven with curl
# (smoke.sh), every command of the README as written (readme.sh), the service
# through a stop and restart of its PostgreSQL server (pgrestart.sh, on a
# cluster of its own), and a DRF project's data moved here and back with a real
# Django (django_roundtrip.sh). Needs Go, gcc (cgo SQLite), curl, httpie,
# chromium, Node.js (npx) and PostgreSQL: as root on Debian it installs whatever
# of them is missing. Every server it starts takes a free port, so it needs no
# particular port and runs beside a service on 8000.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
# shellcheck source=scripts/apt.sh
. scripts/apt.sh
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh

command -v go >/dev/null || { echo "test.sh: Go is missing (https://go.dev/dl/)" >&2; exit 1; }
missing=()
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
command -v curl >/dev/null || missing+=(curl ca-certificates)
command -v http >/dev/null || missing+=(httpie)
command -v python3 >/dev/null || missing+=(python3)
command -v npx >/dev/null || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

# The admin site's browser tests drive Debian's chromium; here they must run,
# not skip (STUDENTAPI_REQUIRE_BROWSER=1 makes a missing browser a failure).
command -v chromium >/dev/null || apt_install chromium fonts-liberation
export STUDENTAPI_REQUIRE_BROWSER=1

# phase NAME COMMAND...: run one step, saying what it is as it starts, that it is
# still running every minute (go test prints a package only once it finishes, and
# the root package takes minutes), and how long it took.
phase_name=""
heartbeat_pid=""
timings=()
heartbeat() {
  local minutes=0
  # sleep's output goes nowhere, so a sleep outliving a killed heartbeat does
  # not hold a pipe that test.sh's output goes into (scripts/test.sh | tee).
  while sleep 60 </dev/null >/dev/null 2>&1; do
    minutes=$((minutes + 1))
    echo "    test.sh: $1: still running ($minutes min)"
  done
}
stop_heartbeat() {
  [ -n "$heartbeat_pid" ] || return 0
  kill "$heartbeat_pid" 2>/dev/null || true
  wait "$heartbeat_pid" 2>/dev/null || true
  heartbeat_pid=""
}
phase() {
  phase_name=$1; shift
  local start=$SECONDS
  echo
  echo "==> test.sh: $phase_name"
  heartbeat "$phase_name" &
  heartbeat_pid=$!
  "$@"
  stop_heartbeat
  timings+=("$(printf '%5ds  %s' $((SECONDS - start)) "$phase_name")")
  echo "<== test.sh: $phase_name: ok ($((SECONDS - start)) s)"
}
finish() {
  local rc=$?
  stop_heartbeat
  pg_destroy
  if [ "$rc" != 0 ]; then echo "test.sh: FAILED in: ${phase_name:-setup} (exit $rc)" >&2; fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The PostgreSQL-only tests (several instances, a server going away) must run,
# not skip: STUDENTAPI_REQUIRE_POSTGRES=1 makes a missing server a failure.
phase "start a throwaway PostgreSQL server" pg_start
export STUDENTAPI_REQUIRE_POSTGRES=1

phase "go test -race ./... on SQLite, the PostgreSQL-only tests on PostgreSQL (minutes; a package prints when it finishes)" \
  go test -race -count=1 -timeout 30m ./...
phase "go test -race ./..., every test on PostgreSQL (STUDENTAPI_TEST_BACKEND=postgres; minutes again)" \
  env STUDENTAPI_TEST_BACKEND=postgres go test -race -count=1 -timeout 30m ./...
phase "go test ./api/ -run TestParseCost (bytes a parse allocates; built without the race detector, whose instrumentation allocates on its own)" \
  go test -count=1 -run 'TestParseCost' ./api/
phase "scripts/openapi-lint.sh (the OpenAPI document, with Redocly CLI)" scripts/openapi-lint.sh
phase "scripts/smoke.sh" scripts/smoke.sh
phase "scripts/readme.sh" scripts/readme.sh
phase "scripts/pgrestart.sh" scripts/pgrestart.sh
phase "scripts/django_roundtrip.sh (a DRF project moved here and back with a real Django)" \
  scripts/django_roundtrip.sh
phase "scripts/django_roundtrip.sh --backend postgres (the same on PostgreSQL)" \
  scripts/django_roundtrip.sh --backend postgres

echo
echo "test.sh: all passed"
printf '%s\n' "${timings[@]}"
