#!/usr/bin/env bash
# Memory and time to first byte of streamed lists (issue 15): builds the
# service, seeds three SQLite databases straight through SQL (1,000, 200,000
# and 1,000,000 students), and for each scenario starts a fresh server and
# reads its peak RSS (VmHWM in /proc/PID/status) once the clients are done:
#
#   - one client reads the list of 1,000,000 students;
#   - 16 clients each read the list of 200,000 at once;
#   - the time to first byte of the 1,000,000 list against the 1,000 list.
#
# Fails (exit 1) when a peak passes LIMIT_MIB (default 60) or a list comes
# back short. Linux only (/proc).
#
#   scripts/listmem.sh
#   BIG=200000 scripts/listmem.sh   # a quicker look
#   BIN=/tmp/old/studentapi LIMIT_MIB=4096 scripts/listmem.sh   # another build
#
# Needs Go, gcc, curl and python3 (Debian's packages when missing, as root).
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
limit_mib=${LIMIT_MIB:-60}
big=${BIG:-1000000}
mid=${MID:-200000}
small=${SMALL:-1000}
readers=${READERS:-16}

. scripts/apt.sh
missing=()
for tool in curl python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
command -v gcc >/dev/null || missing+=(gcc libc6-dev) # cgo, for SQLite
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# BIN=path measures another build of the service (e.g. one from before lists streamed).
bin=${BIN:-$work/studentapi}
[ -n "${BIN:-}" ] || go build -tags nomsgpack -trimpath -o "$bin" .
# A list of a million is read whole, about 60 MB: the statement and the answer
# take seconds on a busy machine, more than the shipped query timeout (5s).
export STUDENTAPI_DATABASE_QUERY_TIMEOUT=${QUERY_TIMEOUT:-120s}
export STUDENTAPI_HTTP_WRITE_TIMEOUT=${WRITE_TIMEOUT:-120s}
export STUDENTAPI_AUTH_BCRYPT_COST=4
: >"$work/config.yaml"

# seed DB N: a migrated database with a user and N students, inserted in one
# transaction (through the API they would take minutes).
seed() {
  local db=$1 n=$2
  STUDENTAPI_DATABASE_PATH=$db "$bin" migrate --config "$work/config.yaml" >/dev/null
  STUDENTAPI_DATABASE_PATH=$db STUDENTAPI_PASSWORD='stream-reader-pw' "$bin" createuser --noinput \
    --username listmem --email listmem@example.com --config "$work/config.yaml" >/dev/null
  python3 - "$db" "$n" <<'EOF'
import sqlite3, sys
db, n = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect(db)
with con:
    con.executemany("INSERT INTO students (name, roll, city) VALUES (?, ?, ?)",
                    ((f"Student {i}", i, f"City {i % 7}") for i in range(1, n + 1)))
con.close()
EOF
}
seed "$work/small.db" "$small"
seed "$work/mid.db" "$mid"
seed "$work/big.db" "$big"
token() { STUDENTAPI_DATABASE_PATH=$1 "$bin" drf_create_token listmem --config "$work/config.yaml" | awk '{print $3}'; }

# serve DB: a fresh server on DB; sets base and server_pid.
serve() {
  local port
  port=$(free_port)
  base="http://127.0.0.1:$port"
  STUDENTAPI_DATABASE_PATH=$1 "$bin" serve --addr "127.0.0.1:$port" --config "$work/config.yaml" \
    >/dev/null 2>"$work/server.log" &
  server_pid=$!
  for _ in $(seq 1 200); do curl -s -o /dev/null "$base/" && return 0; sleep 0.05; done
  echo "listmem: nothing answers on $base" >&2
  exit 1
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=; }
hwm_mib() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status"; }

# read_list TOKEN OUT: reads the list into OUT; prints "ttfb_s total_s".
read_list() {
  curl -sf -o "$2" -w '%{time_starttransfer} %{time_total}\n' -H "Authorization: Token $1" "$base/studentapi/"
}
# check_list FILE N: the list in FILE is whole and holds N students.
check_list() {
  local got
  got=$(tr -cd '{' <"$1" | wc -c)
  if [ "$got" -ne "$2" ] || [ "$(tail -c 1 "$1")" != "]" ]; then
    echo "listmem: $1 holds $got students (want $2) or does not end the array" >&2
    exit 1
  fi
}

fail=0
over() { # NAME MIB
  if awk -v m="$2" -v l="$limit_mib" 'BEGIN { exit !(m > l) }'; then
    echo "listmem: $1: peak RSS $2 MiB, over $limit_mib MiB" >&2
    fail=1
  fi
}

t=$(token "$work/small.db")
serve "$work/small.db"
read small_ttfb small_total < <(read_list "$t" "$work/small.json")
check_list "$work/small.json" "$small"
stop

t=$(token "$work/big.db")
serve "$work/big.db"
idle=$(hwm_mib)
read big_ttfb big_total < <(read_list "$t" "$work/big.json")
check_list "$work/big.json" "$big"
big_hwm=$(hwm_mib)
big_bytes=$(stat -c %s "$work/big.json")
rm -f "$work/big.json"
stop
over "one client, $big students" "$big_hwm"

t=$(token "$work/mid.db")
serve "$work/mid.db"
start=$(date +%s.%N)
for i in $(seq 1 "$readers"); do read_list "$t" "$work/mid.$i.json" >"$work/mid.$i.time" & done
wait_fail=0
for job in $(jobs -p); do [ "$job" = "$server_pid" ] || wait "$job" || wait_fail=1; done
[ "$wait_fail" -eq 0 ] || { echo "listmem: a reader of the $mid list failed" >&2; exit 1; }
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
for i in $(seq 1 "$readers"); do check_list "$work/mid.$i.json" "$mid"; rm -f "$work/mid.$i.json"; done
mid_hwm=$(hwm_mib)
mid_ttfb=$(sort -n "$work"/mid.*.time | awk '{ v[NR] = $1 } END { print v[NR] }')
stop
over "$readers clients, $mid students each" "$mid_hwm"

printf '\n%-44s %12s %10s %10s\n' scenario 'peak RSS' 'TTFB' 'total'
printf '%-44s %8s MiB %10s %10s\n' "server idle after start" "$idle" - -
printf '%-44s %12s %9.3fs %9.2fs\n' "GET /studentapi/, $small rows" - "$small_ttfb" "$small_total"
printf '%-44s %8s MiB %9.3fs %9.2fs\n' "GET /studentapi/, $big rows ($((big_bytes / 1048576)) MiB)" "$big_hwm" "$big_ttfb" "$big_total"
printf '%-44s %8s MiB %9.3fs %9.1fs\n' "$readers x GET /studentapi/, $mid rows at once" "$mid_hwm" "$mid_ttfb" "$elapsed"
echo "(TTFB of the $readers readers: the slowest; limit $limit_mib MiB)"
exit "$fail"
