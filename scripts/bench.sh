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
#
# Needs Go; gcc, curl, python3 and wrk come from Debian's packages when missing
# (as root).
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
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
export STUDENTAPI_DATABASE_PATH="$work/bench.db"
export STUDENTAPI_AUTH_BCRYPT_COST=$cost
export STUDENTAPI_DATABASE_SQLITE_SYNCHRONOUS=$synchronous
# Logins unthrottled, to measure them; everything else as shipped.
printf 'api:\n  throttle:\n    gettoken: ""\n    gettoken_username: []\n' >"$work/config.yaml"
"$bin" migrate --config "$work/config.yaml" >/dev/null
STUDENTAPI_PASSWORD='bench-pass' "$bin" createuser --noinput --username bench --email bench@example.com --config "$work/config.yaml" >/dev/null
token=$("$bin" drf_create_token bench --config "$work/config.yaml" | awk '{print $3}')

port=$(free_port)
base="http://127.0.0.1:$port"
startup_ms=$(STARTUP_ADDR="127.0.0.1:$port" "$work/bench" startup "$bin" serve --addr "127.0.0.1:$port" --config "$work/config.yaml")
"$bin" serve --addr "127.0.0.1:$port" --config "$work/config.yaml" >/dev/null 2>"$work/server.log" &
server_pid=$!
pids+=("$server_pid")
wait_up "$base"

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

# run NAME URL: one wrk run; prints "req/s p50_ms p99_ms errors".
run() {
  local out
  out=$(wrk -t"$threads" -c"$conns" -d"$duration" --timeout 10s --latency -s "$work/$1.lua" "$2")
  printf '%s\n' "$out" | awk -v expect_non2xx="$3" '
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
    END { printf (rps < 100 ? "%.1f" : "%.0f") " %.2f %.2f %d\n", rps, p50, p99, err }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

runs_lines=()
printf '\n%-34s %9s %8s %8s %7s %9s %8s\n' endpoint 'req/s' 'p50 ms' 'p99 ms' errors ceiling ratio
for row in "detail|GET /studentapi/<id>/ (auth)|/studentapi/$first/|" \
           "list|GET /studentapi/ 100 rows (auth)|/studentapi/|" \
           "anon|GET /studentapi/ anonymous (401)|/studentapi/|1" \
           "create|POST /studentapi/ (201)|/studentapi/|" \
           "token|POST /gettoken/ (cost $cost)|/gettoken/|"; do
  IFS='|' read -r name label path expect <<<"$row"
  : >"$work/svc"; : >"$work/ceil"
  for _ in $(seq 1 "$runs"); do
    run "$name" "$base$path" "$expect" >>"$work/svc"
    run "$name" "$cbase$path" "$expect" >>"$work/ceil"
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
  printf '%-34s %9s %8s %8s %7s %9s %8s\n' "$label" "$rps" "$p50" "$p99" "$errs" "$ceil" "$ratio"
  runs_line=$(awk '{ printf "%s%s/%s (%.1f%%)", (NR > 1 ? ", " : ""), $1, $2, 100 * $1 / $2 }' <<<"$pairs")
  runs_lines+=("$(printf '  %-32s %s' "$name" "$runs_line")")
  [ "$name" = token ] && login_rps=$rps
done
echo
echo "each run, service/ceiling req/s (ratio):"
printf '%s\n' "${runs_lines[@]}"

rss_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$server_pid/status")
hash_rate=$("$work/bench" bcrypt -cost "$cost" -d 5s)
echo
echo "login rate:  $login_rps/s against a raw bcrypt (cost $cost) rate of $hash_rate/s on $(nproc) cores" \
  "($(awk -v a="$login_rps" -v b="$hash_rate" 'BEGIN { printf "%.1f%%", 100 * a / b }'))"
echo "peak RSS:    $((rss_kb / 1024)) MiB ($rss_kb kB) after every run above"
echo "start-up:    $startup_ms ms from exec to the first answer (GET /)"
echo "settings:    wrk -t$threads -c$conns -d$duration --latency, $runs runs each, medians; synchronous=$synchronous"
echo "machine:     $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(go version | cut -d' ' -f3)"
