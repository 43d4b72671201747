#!/usr/bin/env bash
# Runs every ```sh block of README.md, in order and as written, in a copy of the
# working tree, so the README cannot drift from what the service does. A block
# preceded by <!-- readme: server --> or <!-- readme: server-tls --> is started in
# the background (on :8000 or :8443, or the port after the word, as in
# <!-- readme: server 8001 -->) and stopped at the end; <!-- readme: skip -->
# is not run (scripts/test.sh is what calls this script); <!-- readme: any-status -->
# may get 4xx answers. Everywhere else an HTTP error status fails the run.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for port in 8000 8001 8443; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "readme: port $port is in use; the README's commands need it free" >&2
    exit 1
  fi
done

# A copy of the tree as it is now (committed or not), without its database files
# and their generated secret keys.
mkdir "$work/repo"
(cd "$repo" && tar --exclude=./.git --exclude='*.db' --exclude='*.db-*' --exclude='*.db.secret' --exclude=./cert.pem --exclude=./key.pem -cf - .) | tar -C "$work/repo" -xf -

script="$work/readme-run.sh"
cat >"$script" <<'HARNESS'
set -euo pipefail
any_status=0
pids=()
stop_servers() { for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_servers EXIT
http() {
  if [ "$any_status" = 1 ]; then command http --ignore-stdin "$@"; else command http --ignore-stdin --check-status "$@"; fi
}
curl() {
  if [ "$any_status" = 1 ]; then command curl -sS "$@"; else command curl -sS --fail-with-body "$@"; fi
  echo
}
start_server() {
  local port=$1 cmd=$2
  setsid bash -c "$cmd" >"server-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "readme: server on :$port did not start: $cmd" >&2
  cat "server-$port.log" >&2
  return 1
}
HARNESS

awk -v q="'" '
  /^<!-- readme: [a-z-]+( [0-9]+)? -->$/ { kind = $3; port = ($4 ~ /^[0-9]+$/) ? $4 : ""; next }
  /^```sh$/ && !inblock { inblock = 1; body = ""; next }
  /^```$/ && inblock {
    inblock = 0
    if (kind == "skip") { print "echo \"readme: skipped a block\"" }
    else if (kind == "server" || kind == "server-tls") {
      if (port == "") port = (kind == "server") ? 8000 : 8443
      gsub(q, q "\\" q q, body)
      print "echo \"readme: starting server on :" port "\""
      print "start_server " port " " q body q
    } else {
      if (kind == "any-status") print "any_status=1"
      # Echo the block as written (variables unexpanded, so no key is printed).
      shown = body
      gsub(q, q "\\" q q, shown)
      print "printf \"%s\" " q shown q " | sed \"s/^/\\$ /\""
      printf "%s", body
      print "any_status=0"
    }
    kind = ""
    next
  }
  inblock { body = body $0 "\n"; next }
  /^$/ { next }
  { kind = "" }
' "$repo/README.md" >>"$script"
echo 'echo "readme: every command ran"' >>"$script"

cd "$work/repo"
bash "$script"
