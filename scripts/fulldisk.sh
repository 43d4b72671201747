#!/usr/bin/env bash
# The service on a full disk, for real: mount a 2 MB tmpfs, put the SQLite
# database on it, serve, create students, fill the rest of the file system with a
# filler file, and check that writes answer 507 with the JSON detail (never 500)
# while reads answer 200 and hold every write answered 201, that the log has one
# ERROR line for the episode, and that the process stays up. Then remove the
# filler and check that the same process takes writes again and logs that once;
# stop it and check PRAGMA integrity_check and every acknowledged write.
# (TestFullDisk does the same with database.sqlite.max_size, without a mount.)
# Needs root (to mount), Go, gcc, curl, python3 and sqlite3. Where no tmpfs can
# be mounted it says so and exits 0, or 1 with FULLDISK_REQUIRE=1. Removes
# everything it made on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
# shellcheck source=scripts/serve.sh
. scripts/serve.sh

work=$(mktemp -d)
mnt="$work/mnt"
mkdir "$mnt"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -KILL "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  mountpoint -q "$mnt" && umount "$mnt"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "fulldisk: FAIL: $*" >&2
  [ -f "$work/server.log" ] && tail -n 30 "$work/server.log" | sed 's/^/  server: /' >&2
  exit 1
}

if ! mount -t tmpfs -o size=2m tmpfs "$mnt" 2>"$work/mount.err"; then
  msg="cannot mount a tmpfs here ($(cat "$work/mount.err")); needs root or CAP_SYS_ADMIN"
  [ "${FULLDISK_REQUIRE:-}" = 1 ] && fail "$msg"
  echo "fulldisk: SKIP: $msg"
  exit 0
fi

go build -tags nomsgpack -trimpath -o "$work/studentapi" . || fail "go build failed"
bin="$work/studentapi"
export STUDENTAPI_DATABASE_PATH="$mnt/studentapi.db"
export STUDENTAPI_AUTH_BCRYPT_COST=4
seed_user 'full-pass'

start_server

# create NAME: POST a student; prints the status, and appends the id of a 201
# to $work/acked.
create() {
  local status
  status=$(curl -s --max-time 10 -o "$work/body" -w '%{http_code}' -X POST "${auth[@]}" \
    -H 'Content-Type: application/json' \
    -d "{\"name\":\"$1\",\"roll\":1,\"city\":\"$(printf 'c%.0s' $(seq 1 100))\"}" "$base/studentapi/") || status=000
  if [ "$status" = 201 ]; then
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/body" >>"$work/acked"
  fi
  echo "$status"
}
full='{"detail": "Insufficient storage: the database is full; try again later."}'
expect_full_body() {
  python3 - "$full" "$work/body" <<'PY' || fail "507 body: $(cat "$work/body"), want $full"
import json, sys
sys.exit(0 if json.load(open(sys.argv[2])) == json.loads(sys.argv[1]) else 1)
PY
}
errors() { grep -c 'level=ERROR' "$work/server.log" || true; }

echo "== before the disk fills"
touch "$work/acked"
for i in $(seq 1 50); do
  s=$(create "before-$i")
  [ "$s" = 201 ] || fail "create before-$i: $s"
done
echo "ok  50 creates answered 201"

echo "== the disk fills"
dd if=/dev/zero of="$mnt/filler" bs=4k status=none 2>/dev/null || true # stops at ENOSPC
df -k "$mnt" | tail -n 1
refused=0
for i in $(seq 1 2000); do
  s=$(create "while-full-$i")
  case "$s" in
    201) ;;
    507) expect_full_body; refused=$((refused + 1)); [ "$refused" -ge 20 ] && break ;;
    *) fail "create while-full-$i: $s, want 201 or 507; body $(cat "$work/body")" ;;
  esac
done
[ "$refused" -ge 20 ] || fail "only $refused creates refused on a full disk"
echo "ok  creates answered 507 with the JSON detail ($refused of them)"
kill -0 "$server_pid" 2>/dev/null || fail "studentapi exited"

status=$(curl -s --max-time 10 -o "$work/list" -w '%{http_code}' "${auth[@]}" "$base/studentapi/")
[ "$status" = 200 ] || fail "list on a full disk: $status"
python3 - "$work/list" "$work/acked" <<'PY' || fail "a write answered 201 is missing from the list"
import json, sys
listed = {s["id"] for s in json.load(open(sys.argv[1]))}
acked = {int(l) for l in open(sys.argv[2]) if l.strip()}
missing = acked - listed
print("ok  list answered 200 with all %d acknowledged writes" % len(acked))
sys.exit(1 if missing else 0)
PY
id=$(head -n 1 "$work/acked")
status=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "${auth[@]}" "$base/studentapi/$id/")
[ "$status" = 200 ] || fail "retrieve on a full disk: $status"
echo "ok  retrieve answered 200"
sleep 0.5 # the log may hold a line for log_flush_interval
[ "$(errors)" = 1 ] || fail "$(errors) ERROR lines for one episode, want 1"
echo "ok  one ERROR line: $(grep 'level=ERROR' "$work/server.log" | cut -c1-160)"

echo "== space is freed"
rm "$mnt/filler"
s=$(create after-1)
[ "$s" = 201 ] || fail "create after freeing space: $s; body $(cat "$work/body")"
sleep 5.5 # an episode ends at a success after five quiet seconds
s=$(create after-2)
[ "$s" = 201 ] || fail "create after freeing space: $s; body $(cat "$work/body")"
sleep 0.5
n=$(grep -c 'database writes succeed again' "$work/server.log" || true)
[ "$n" = 1 ] || fail "$n recovery lines, want 1"
echo "ok  writes answered 201 again in the same process (pid $server_pid), recovery logged once"

kill -TERM "$server_pid"
wait "$server_pid" || fail "serve exited non-zero on SIGTERM"
server_pid=""
check=$(sqlite3 "$STUDENTAPI_DATABASE_PATH" 'PRAGMA integrity_check')
[ "$check" = ok ] || fail "integrity_check: $check"
echo "ok  integrity_check: ok"
sqlite3 "$STUDENTAPI_DATABASE_PATH" 'SELECT id FROM students' | sort -n >"$work/stored"
missing=$(sort -n "$work/acked" | comm -23 - "$work/stored" | wc -l)
[ "$missing" = 0 ] || fail "$missing acknowledged writes missing after shutdown"
echo "ok  all $(wc -l <"$work/acked") acknowledged writes in the file after shutdown"
echo "fulldisk: PASS"
