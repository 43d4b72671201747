#!/usr/bin/env bash
# Benchmark of the real binary against a ceiling: builds the service and
# scripts/bench (a bare net/http server answering the same bytes, headers and
# body, from memory),
# seeds a user and 100 students, and runs wrk on each endpoint, RUNS times each
# (default 3), against both. Prints one table of medians: req/s, p50, p99,
# errors and the ratio to the ceiling (the median of each run's ratio to the
# ceiling run after it); then the login rate beside the raw
# bcrypt rate, the server's peak RSS and its start-up time to the first answer.
#
#   scripts/bench.sh                    # wrk -t2 -c16 -d10s, three runs
#   DURATION=3s RUNS=1 scripts/bench.sh # a quick look
#   SYNCHRONOUS=normal BCRYPT_COST=10 scripts/bench.sh
#   ONLY=detail,list,anon RUNS=5 scripts/bench.sh  # some endpoints (detail, list, anon, create, token)
#   scripts/bench.sh --backend postgres # the same on PostgreSQL, one and two instances
#
# With --backend postgres the service runs on a throwaway PostgreSQL cluster
# (scripts/postgres.sh) with fsync on: SYNCHRONOUS=full (the default) is
# synchronous_commit on, normal is off (an answered write may be lost on a crash
# of the server, as with SQLite's normal on power loss). It prints two tables:
# one instance, then two instances on the same database with wrk split across
# them (two wrk processes at once, each with half the threads and connections:
# req/s and errors are their sums; p50 and p99 the higher of the two, which
# bounds the combined percentile from above). The ceiling is the same one
# server in both.
#
# Needs Go; gcc, curl, python3 and wrk (and postgresql for --backend postgres)
# come from Debian's packages when missing (as root).
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
backend=sqlite
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) backend=${2:-}; shift 2 || { echo "bench: --backend needs sqlite or postgres" >&2; exit 2; } ;;
    --backend=*) backend=${1#--backend=}; shift ;;
    *) echo "usage: scripts/bench.sh [--backend sqlite|postgres]" >&2; exit 2 ;;
  esac
done
case "$backend" in
  sqlite | postgres) ;;
  *) echo "bench: unknown backend \"$backend\" (sqlite or postgres)" >&2; exit 2 ;;
esac
runs=${RUNS:-3}
duration=${DURATION:-10s}
threads=${THREADS:-2}
conns=${CONNS:-16}
cost=${BCRYPT_COST:-12}
synchronous=${SYNCHRONOUS:-full}

# On a fresh machine: what is missing comes from Debian's packages when we may
# install them (root), else the script says what to install.
. scripts/apt.sh
missing=()
for tool in wrk curl python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
command -v gcc >/dev/null || missing+=(gcc libc6-dev) # cgo, for SQLite
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ "$backend" = postgres ]; then pg_destroy; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() {
  for _ in $(seq 1 200); do curl -s -o /dev/null "$1/" && return 0; sleep 0.05; done
  echo "bench: nothing answers on $1" >&2
  exit 1
}

# BIN=path measures another build of the service (e.g. to compare a change).
bin=${BIN:-$work/studentapi}
[ -n "${BIN:-}" ] || go build -tags nomsgpack -trimpath -o "$bin" .
go build -o "$work/bench" ./scripts/bench
export STUDENTAPI_AUTH_BCRYPT_COST=$cost
if [ "$backend" = postgres ]; then
  . scripts/postgres.sh
  pg_fsync=on # measure durable commits, as SQLite's are (the tests' cluster has fsync off)
  pg_start >/dev/null
  commit=on
  [ "$synchronous" = full ] || commit=off
  export STUDENTAPI_DATABASE_DRIVER=postgres
  export STUDENTAPI_DATABASE_DSN="$STUDENTAPI_TEST_POSTGRES_DSN&synchronous_commit=$commit"
  # Required with PostgreSQL (the same on every instance); thrown away with the cluster.
  STUDENTAPI_AUTH_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  export STUDENTAPI_AUTH_SECRET_KEY
  durability="postgres $("$pg_bin/postgres" --version | awk '{print $3}'), fsync on, synchronous_commit=$commit"
else
  export STUDENTAPI_DATABASE_PATH="$work/bench.db"
  export STUDENTAPI_DATABASE_SQLITE_SYNCHRONOUS=$synchronous
  durability="synchronous=$synchronous"
fi
# Logins unthrottled, to measure them; everything else as shipped.
printf 'api:\n  throttle:\n    gettoken: ""\n    gettoken_username: []\n' >"$work/config.yaml"
"$bin" migrate --config "$work/config.yaml" >/dev/null
STUDENTAPI_PASSWORD='bench-pass' "$bin" createuser --noinput --username bench --email bench@example.com --config "$work/config.yaml" >/dev/null
token=$("$bin" drf_create_token bench --config "$work/config.yaml" | awk '{print $3}')

# serve N: starts instance N of the service on a free port; sets base and
# server_pid.
serve() {
  local port
  port=$(free_port)
  base="http://127.0.0.1:$port"
  "$bin" serve --addr "127.0.0.1:$port" --config "$work/config.yaml" >/dev/null 2>"$work/server$1.log" &
  server_pid=$!
  pids+=("$server_pid")
  wait_up "$base"
}
port=$(free_port)
startup_ms=$(STARTUP_ADDR="127.0.0.1:$port" "$work/bench" startup "$bin" serve --addr "127.0.0.1:$port" --config "$work/config.yaml")
serve 1

for i in $(seq 1 100); do
  curl -sf -o /dev/null -H "Authorization: Token $token" -H 'Content-Type: application/json' \
    -d "{\"name\":\"Student $i\",\"roll\":$i,\"city\":\"City $((i % 7))\"}" "$base/studentapi/"
done
first=$(curl -sf -H "Authorization: Token $token" "$base/studentapi/" | sed -E 's/^\[\{"id":([0-9]+).*/\1/')

# Record each endpoint's answer, status line, headers and body, for the ceiling
# to replay byte for byte.
record() { # NAME curl-args...
  local name=$1; shift
  curl -s -D "$work/$name.headers" -o "$work/$name.body" "$@"
}
auth=(-H "Authorization: Token $token")
create_body='{"name":"Bench","roll":7,"city":"Pune"}'
login_body='{"username":"bench","password":"bench-pass"}'
record detail "${auth[@]}" "$base/studentapi/$first/"
record list "${auth[@]}" "$base/studentapi/"
record anon "$base/studentapi/"
record create "${auth[@]}" -H 'Content-Type: application/json' -d "$create_body" "$base/studentapi/"
record token -H 'Content-Type: application/json' -d "$login_body" "$base/gettoken/"

cport=$(free_port)
cbase="http://127.0.0.1:$cport"
"$work/bench" ceiling -addr "127.0.0.1:$cport" -dir "$work" >/dev/null &
pids+=("$!")
wait_up "$cbase"

lua() { # NAME METHOD BODY AUTH
  {
    echo "wrk.method = \"$2\""
    echo "wrk.body = '$3'"
    echo 'wrk.headers["Content-Type"] = "application/json"'
    if [ -n "$4" ]; then echo "wrk.headers[\"Authorization\"] = \"Token $4\""; fi
  } >"$work/$1.lua"
}
lua detail GET "" "$token"
lua list GET "" "$token"
lua anon GET "" ""
lua create POST "$create_body" "$token"
lua token POST "$login_body" ""

# wrk_run NAME EXPECT_NON2XX THREADS CONNS URL: one wrk run; prints
# "req/s p50_ms p99_ms errors".
wrk_run() {
  local out
  out=$(wrk -t"$3" -c"$4" -d"$duration" --timeout 10s --latency -s "$work/$1.lua" "$5")
  printf '%s\n' "$out" | awk -v expect_non2xx="$2" '
    function ms(v) {
      if (v ~ /us$/) return v / 1000
      if (v ~ /ms$/) return v + 0
      if (v ~ /s$/) return v * 1000
      return v
    }
    /Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { if (!expect_non2xx) err += $5 }
    END { printf "%f %.2f %.2f %d\n", rps, p50, p99, err }'
}

# run NAME PATH EXPECT_NON2XX BASE...: one run against every base at once,
# THREADS and CONNS shared out among them, one wrk each; prints "req/s p50_ms
# p99_ms errors": the sums of req/s and errors, the highest p50 and p99 (an
# upper bound of the percentile of all requests together).
run() {
  local name=$1 path=$2 expect=$3 i=0 b wrks=()
  shift 3
  local n=$#
  for b in "$@"; do
    wrk_run "$name" "$expect" $((threads / n > 0 ? threads / n : 1)) $((conns / n)) "$b$path" >"$work/part$i" &
    wrks+=("$!")
    i=$((i + 1))
  done
  wait "${wrks[@]}"
  cat "$work"/part* | awk '
    { rps += $1; if ($2 > p50) p50 = $2; if ($3 > p99) p99 = $3; err += $4 }
    END { printf (rps < 100 ? "%.1f" : "%.0f") " %.2f %.2f %d\n", rps, p50, p99, err }'
  rm -f "$work"/part*
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure K NAME LABEL PATH EXPECT BASE...: RUNS runs of one endpoint against
# the service at BASE... (each one's share of wrk at once, see run), each
# followed by one against the ceiling; appends the table's row to $work/rows.K
# and the runs' line to $work/runs.K, and the login rate to $work/login.K.
measure() {
  local k=$1 name=$2 label=$3 path=$4 expect=$5 rps p50 p99 errs ceil pairs ratio
  shift 5
  : >"$work/svc"; : >"$work/ceil"
  for _ in $(seq 1 "$runs"); do
    run "$name" "$path" "$expect" "$@" >>"$work/svc"
    run "$name" "$path" "$expect" "$cbase" >>"$work/ceil"
  done
  rps=$(cut -d' ' -f1 "$work/svc" | median)
  p50=$(cut -d' ' -f2 "$work/svc" | median)
  p99=$(cut -d' ' -f3 "$work/svc" | median)
  errs=$(awk '{ s += $4 } END { print s }' "$work/svc")
  ceil=$(cut -d' ' -f1 "$work/ceil" | median)
  # Each service run's req/s beside the ceiling run right after it. The ratio
  # is the median of their ratios: the two runs of a pair share the machine's
  # state of the moment, which on a shared machine drifts from one run to the
  # next (a ratio of the two medians can pair a slow minute of one with a fast
  # minute of the other).
  pairs=$(paste -d' ' <(cut -d' ' -f1 "$work/svc") <(cut -d' ' -f1 "$work/ceil"))
  ratio=$(awk '{ printf "%.4f\n", 100 * $1 / $2 }' <<<"$pairs" | median | awk '{ printf "%.1f%%", $1 }')
  printf '%-34s %9s %8s %8s %7s %9s %8s\n' "$label" "$rps" "$p50" "$p99" "$errs" "$ceil" "$ratio" >>"$work/rows.$k"
  printf '  %-32s %s\n' "$name" "$(awk '{ printf "%s%s/%s (%.1f%%)", (NR > 1 ? ", " : ""), $1, $2, 100 * $1 / $2 }' <<<"$pairs")" >>"$work/runs.$k"
  if [ "$name" = token ]; then echo "$rps" >"$work/login.$k"; fi
}

# table K [TITLE]: prints the table measure built under K.
table() {
  echo
  [ -z "${2:-}" ] || echo "$2"
  printf '%-34s %9s %8s %8s %7s %9s %8s\n' endpoint 'req/s' 'p50 ms' 'p99 ms' errors ceiling ratio
  cat "$work/rows.$1"
  echo
  echo "each run, service/ceiling req/s (ratio):"
  cat "$work/runs.$1"
}

# With PostgreSQL, a second instance on the same database; each endpoint is
# measured on one instance and then on both before the next endpoint, so that
# both see the same rows (the creates' runs add rows, which would make a later
# list longer than the 100 rows the ceiling replays).
first_pid=$server_pid
base1=$base
if [ "$backend" = postgres ]; then serve 2; fi
for row in "detail|GET /studentapi/<id>/ (auth)|/studentapi/$first/|" \
           "list|GET /studentapi/ 100 rows (auth)|/studentapi/|" \
           "anon|GET /studentapi/ anonymous (401)|/studentapi/|1" \
           "create|POST /studentapi/ (201)|/studentapi/|" \
           "token|POST /gettoken/ (cost $cost)|/gettoken/|"; do
  IFS='|' read -r name label path expect <<<"$row"
  case ",${ONLY:-$name}," in *",$name,"*) ;; *) continue ;; esac
  measure 1 "$name" "$label" "$path" "$expect" "$base1"
  if [ "$backend" = postgres ]; then measure 2 "$name" "$label" "$path" "$expect" "$base1" "$base"; fi
done
if [ "$backend" = postgres ]; then
  table 1 "PostgreSQL, one instance:"
  table 2 "PostgreSQL, two instances on one database (wrk split across both):"
else
  table 1
fi

rss_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$first_pid/status")
login_line() { # RPS [WHAT]
  echo "login rate:  $1/s${2:+ $2} against a raw bcrypt (cost $cost) rate of $hash_rate/s on $(nproc) cores" \
    "($(awk -v a="$1" -v b="$hash_rate" 'BEGIN { printf "%.1f%%", 100 * a / b }'))"
}
echo
if [ -f "$work/login.1" ]; then # the logins were measured (not left out by ONLY)
  hash_rate=$("$work/bench" bcrypt -cost "$cost" -d 5s)
  if [ "$backend" = postgres ]; then
    login_line "$(cat "$work/login.1")" "(one instance)"
    login_line "$(cat "$work/login.2")" "(two instances)"
  else
    login_line "$(cat "$work/login.1")"
  fi
fi
echo "peak RSS:    $((rss_kb / 1024)) MiB ($rss_kb kB) after every run above$([ "$backend" = sqlite ] || echo ', instance 1')"
echo "start-up:    $startup_ms ms from exec to the first answer (GET /)"
echo "settings:    wrk -t$threads -c$conns -d$duration --latency, $runs runs each, medians; $durability"
echo "machine:     $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(go version | cut -d' ' -f3)"
