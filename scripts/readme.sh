#!/usr/bin/env bash
# Runs every ```sh block of README.md, in order and as written, in a copy of the
# working tree, so the README cannot drift from what the service does. A block
# preceded by <!-- readme: server --> or <!-- readme: server-tls --> is started in
# the background (on :8000 or :8443, or the port after the word, as in
# <!-- readme: server 8001 -->) and stopped at the end; <!-- readme: skip -->
# is not run (scripts/test.sh is what calls this script); <!-- readme: any-status -->
# may get 4xx answers. Everywhere else an HTTP error status fails the run. A
# ```text block preceded by <!-- readme: output --> must be exactly what the ```sh
# block before it printed.
#
# The README's ports (8000, 8001, 8002, 8443) are mapped to free ones the kernel picks,
# in every block run and every output compared, and the server on the default
# address gets STUDENTAPI_ADDR: so this script runs beside a service already on
# 8000, or beside another run of itself, and the commands are otherwise as written.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every relative link of the README and of docs/ names a file or directory of the
# repository: a link outside it (such as ../shared/...) is dead in a clone.
dead=0
for doc in "$repo/README.md" "$repo"/docs/*.md; do
  while IFS= read -r target; do
    case "$target" in http://* | https://* | mailto:* | '#'*) continue ;; esac
    path=$(cd "$(dirname "$doc")" && realpath -m "${target%%#*}")
    if [ ! -e "$path" ] || [ "${path#"$repo"/}" = "$path" ]; then
      echo "readme: ${doc#"$repo"/} links to $target, which is not in the repository" >&2
      dead=1
    fi
  done < <(grep -oE '\]\([^) ]+\)' "$doc" | sed -E 's/^\]\((.*)\)$/\1/')
done
[ "$dead" = 0 ] || exit 1

# Four free ports, held open together so they differ, then released for the
# servers (another process could take one meanwhile: then a server fails to start).
read -r port8000 port8001 port8002 port8443 < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))')
echo "readme: the README's ports 8000, 8001, 8002 and 8443 are $port8000, $port8001, $port8002 and $port8443 here"

# A copy of the tree as it is now (committed or not), without its database files
# and their generated secret keys.
mkdir "$work/repo"
(cd "$repo" && tar --exclude=./.git --exclude='*.db' --exclude='*.db-*' --exclude='*.db.secret' --exclude=./cert.pem --exclude=./key.pem -cf - .) | tar -C "$work/repo" -xf -

script="$work/readme-run.sh"
cat >"$script" <<'HARNESS'
set -euo pipefail
any_status=0
pids=()
in_block=0
stop_servers() { for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
# A block's output goes to last-output first (see check_output): shown when it fails.
on_exit() {
  if [ "$in_block" = 1 ]; then echo "readme: the failing block printed:" >&2; cat last-output >&2; fi
  stop_servers
}
trap on_exit EXIT
http() {
  if [ "$any_status" = 1 ]; then command http --ignore-stdin "$@"; else command http --ignore-stdin --check-status "$@"; fi
  echo
}
curl() {
  if [ "$any_status" = 1 ]; then command curl -sS "$@"; else command curl -sS --fail-with-body "$@"; fi
  echo
}
start_server() {
  local port=$1 cmd=$2
  # The address the server takes when its command names none; --addr wins.
  STUDENTAPI_ADDR="127.0.0.1:$port" setsid bash -c "$cmd" >"server-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "readme: server on :$port did not start: $cmd" >&2
  cat "server-$port.log" >&2
  return 1
}
# check_output: the expected text on stdin must be what the last block printed.
check_output() {
  local want got
  want=$(cat)
  got=$(cat last-output)
  if [ "$got" != "$want" ]; then
    echo "readme: the sample output differs from what the command above it printed" >&2
    diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | sed 's/^/  /' >&2 || true
    return 1
  fi
  echo "readme: the sample output matches"
}
HARNESS

awk -v q="'" -v p8000="$port8000" -v p8001="$port8001" -v p8002="$port8002" -v p8443="$port8443" '
  /^<!-- readme: [a-z-]+( [0-9]+)? -->$/ { kind = $3; port = ($4 ~ /^[0-9]+$/) ? $4 : ""; next }
  function ports(text) {
    gsub(/:8000/, ":" p8000, text); gsub(/:8001/, ":" p8001, text); gsub(/:8002/, ":" p8002, text)
    gsub(/:8443/, ":" p8443, text)
    return text
  }
  /^```sh$/ && !inblock { inblock = 1; body = ""; next }
  /^```text$/ && !inblock && kind == "output" { intext = 1; body = ""; next }
  /^```$/ && intext {
    intext = 0
    print "check_output <<" q "README_OUTPUT" q
    printf "%s", ports(body)
    print "README_OUTPUT"
    kind = ""
    next
  }
  /^```$/ && inblock {
    inblock = 0
    body = ports(body)
    if (kind == "skip") { print "echo \"readme: skipped a block\"" }
    else if (kind == "server" || kind == "server-tls") {
      if (port == "") port = (kind == "server") ? 8000 : 8443
      port = ports(":" port); sub(/^:/, "", port)
      gsub(q, q "\\" q q, body)
      print "echo \"readme: starting server on :" port "\""
      print "start_server " port " " q body q
    } else {
      if (kind == "any-status") print "any_status=1"
      # Echo the block as run (variables unexpanded, so no key is printed).
      shown = body
      gsub(q, q "\\" q q, shown)
      print "printf \"%s\" " q shown q " | sed \"s/^/\\$ /\""
      # Its output is kept for a sample output that may follow (check_output).
      print "in_block=1"
      print "{"
      printf "%s", body
      print "} >last-output"
      print "in_block=0"
      print "cat last-output"
      print "any_status=0"
    }
    kind = ""
    next
  }
  (inblock || intext) { body = body $0 "\n"; next }
  /^$/ { next }
  { kind = "" }
' "$repo/README.md" >>"$script"
echo 'echo "readme: every command ran"' >>"$script"

cd "$work/repo"
bash "$script"
