#!/usr/bin/env bash
# A DRF deployment moved to studentapi and back, with a real Django (issue 16).
#
# A stock DRF studentapi project (scripts/django: Django's auth with its
# default hashers, rest_framework.authtoken, the api app's Student) makes users
# whose passwords were hashed by pbkdf2_sha256 (Django's default), pbkdf2_sha1,
# argon2 and bcrypt_sha256, one with an unusable password, a token each, and
# students with gaps in their ids. Then:
#
#   manage.py dumpdata  →  studentapi loaddata   every old key authenticates,
#                                                every password logs in and
#                                                gets the same key, ids match
#   studentapi dumpdata →  manage.py loaddata    into a fresh Django database:
#                                                Django's authenticate() and
#                                                Token.objects accept every
#                                                password and key
#
# and the --natural-foreign --natural-primary form loads too.
#
#   scripts/django_roundtrip.sh                     # on SQLite
#   scripts/django_roundtrip.sh --backend postgres  # on PostgreSQL
#
# With --backend postgres the service's databases are fresh ones made with
# psql on the server STUDENTAPI_TEST_POSTGRES_DSN names (scripts/postgres.sh's
# pg_start exports it; scripts/test.sh runs both backends). Django keeps its
# own SQLite files either way.
# Uses Debian's python3-django, python3-djangorestframework, python3-argon2
# and python3-bcrypt (installed when missing, as root) and /usr/bin/python3,
# whatever python3 comes first in PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
# shellcheck source=scripts/apt.sh
. scripts/apt.sh

backend=sqlite
case "$*" in
  "") ;;
  "--backend sqlite" | "--backend postgres") backend=$2 ;;
  *) echo "usage: $0 [--backend sqlite|postgres]" >&2; exit 2 ;;
esac
if [ "$backend" = postgres ] && [ -z "${STUDENTAPI_TEST_POSTGRES_DSN:-}" ]; then
  echo "django_roundtrip: --backend postgres needs STUDENTAPI_TEST_POSTGRES_DSN (scripts/postgres.sh's pg_start)" >&2
  exit 2
fi

py=/usr/bin/python3
if ! "$py" -c 'import django, rest_framework, argon2, bcrypt' 2>/dev/null; then
  apt_install python3-django python3-djangorestframework python3-argon2 python3-bcrypt
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
  find scripts/django -name __pycache__ -prune -exec rm -rf {} +
}
trap cleanup EXIT
fail() { echo "django_roundtrip: FAIL: $*" >&2; [ -f "$work/server.log" ] && sed 's/^/  server: /' "$work/server.log" >&2; exit 1; }

# use_db NAME: point the service's commands at a new, empty database NAME: a
# file in $work on SQLite, a database made for this run on PostgreSQL (the
# test server is thrown away with all of them).
use_db() {
  if [ "$backend" = sqlite ]; then
    export STUDENTAPI_DATABASE_PATH="$work/$1.db"
    return
  fi
  local name="roundtrip_$1_$$"
  psql -q -v ON_ERROR_STOP=1 "$STUDENTAPI_TEST_POSTGRES_DSN" -c "CREATE DATABASE $name" >/dev/null ||
    fail "cannot make database $name"
  export STUDENTAPI_DATABASE_DRIVER=postgres
  export STUDENTAPI_DATABASE_DSN="${STUDENTAPI_TEST_POSTGRES_DSN/\/postgres\?//$name?}"
}

go build -trimpath -o "$work/studentapi" .
bin="$work/studentapi"
manage() { "$py" scripts/django/manage.py "$@"; }
export PYTHONDONTWRITEBYTECODE=1

# The Django side.
export DJANGO_DB="$work/django.sqlite3"
manage migrate -v 0
manage seed "$work/creds.json"
manage dumpdata auth.user authtoken.token api.student contenttypes sessions --indent 2 >"$work/django.json"
manage dumpdata auth.user authtoken.token api.student --natural-foreign --natural-primary >"$work/natural.json"

# Into studentapi.
use_db studentapi
export STUDENTAPI_AUTH_SECRET_KEY="django-roundtrip-secret-key-of-32-bytes-or-more"
export STUDENTAPI_AUTH_BCRYPT_COST=4
"$bin" loaddata "$work/django.json" 2>"$work/loaddata.err" || { cat "$work/loaddata.err" >&2; fail "loaddata"; }
grep -q '^ignored fields of auth.user: first_name, groups, last_name, user_permissions$' "$work/loaddata.err" ||
  fail "loaddata did not report the ignored fields: $(cat "$work/loaddata.err")"
grep -q '^skipped [0-9]* record(s) of contenttypes.contenttype$' "$work/loaddata.err" ||
  fail "loaddata did not count the skipped models: $(cat "$work/loaddata.err")"
echo "ok  studentapi loaddata <manage.py dumpdata>"

port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
STUDENTAPI_API_THROTTLE_GETTOKEN=1000/minute STUDENTAPI_API_THROTTLE_GETTOKEN_USERNAME=1000/minute \
  "$bin" serve --addr "127.0.0.1:$port" >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "$base/" && break
  sleep 0.1
done

# Each user as a line: id, username, algorithm, key, and the login's JSON body.
"$py" - "$work/creds.json" >"$work/users.tsv" <<'EOF'
import json, sys
for u in json.load(open(sys.argv[1]))["users"]:
    body = json.dumps({"username": u["username"], "password": u["password"] or "x"})
    print("\t".join([str(u["id"]), u["username"], u["algorithm"], u["key"], body]))
EOF
while IFS=$'\t' read -r id username algorithm key body; do
  status=$(curl -s -o "$work/body" -w '%{http_code}' -H "Authorization: Token $key" "$base/studentapi/")
  [ "$status" = 200 ] || fail "$username's old key: GET /studentapi/ $status $(cat "$work/body")"
  echo "ok  old key of $username authenticates"
  printf '%s' "$body" >"$work/login.json"
  status=$(curl -s -o "$work/body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$work/login.json" "$base/gettoken/")
  if [ "$algorithm" = unusable ]; then
    [ "$status" = 400 ] || fail "$username has an unusable password, but POST /gettoken/ answered $status"
    echo "ok  $username (unusable password) cannot log in"
  elif [ "$status" = 200 ] && grep -q "\"token\":\"$key\"" "$work/body"; then
    echo "ok  $username [$algorithm] logs in and gets the same key"
  else
    fail "$username [$algorithm]: POST /gettoken/ $status $(cat "$work/body"), want 200 with key $key"
  fi
done <"$work/users.tsv"

# Ids: the students as the API lists them, the users as dumpdata writes them.
curl -s -H "Authorization: Token $(cut -f4 "$work/users.tsv" | head -n 1)" "$base/studentapi/" >"$work/students.json"
"$bin" dumpdata 2>/dev/null >"$work/back-stdout.json"
"$py" - "$work/creds.json" "$work/students.json" "$work/back-stdout.json" <<'EOF' || fail "ids differ"
import json, sys
creds = json.load(open(sys.argv[1]))
listed = json.load(open(sys.argv[2]))
listed = listed["results"] if isinstance(listed, dict) else listed
assert sorted(listed, key=lambda s: s["id"]) == sorted(creds["students"], key=lambda s: s["id"]), (listed, creds["students"])
users = {r["fields"]["username"]: r["pk"] for r in json.load(open(sys.argv[3])) if r["model"] == "auth.user"}
assert users == {u["username"]: u["id"] for u in creds["users"]}, users
EOF
echo "ok  student and user ids are Django's"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

# The natural-key form loads as well, each key to its user.
main_path=${STUDENTAPI_DATABASE_PATH:-} main_dsn=${STUDENTAPI_DATABASE_DSN:-}
use_db natural
"$bin" loaddata "$work/natural.json" 2>/dev/null >/dev/null || fail "loaddata of the natural-key form"
"$bin" dumpdata --natural-foreign 2>/dev/null >"$work/natural-back.json"
if [ "$backend" = sqlite ]; then export STUDENTAPI_DATABASE_PATH="$main_path"; else export STUDENTAPI_DATABASE_DSN="$main_dsn"; fi
"$py" - "$work/creds.json" "$work/natural-back.json" <<'EOF' || fail "natural-key form: keys differ"
import json, sys
creds = json.load(open(sys.argv[1]))
tokens = {r["pk"]: r["fields"]["user"][0] for r in json.load(open(sys.argv[2])) if r["model"] == "authtoken.token"}
assert tokens == {u["key"]: u["username"] for u in creds["users"]}, tokens
EOF
echo "ok  studentapi loaddata <manage.py dumpdata --natural-foreign --natural-primary>"

# And back into a fresh Django database.
"$bin" dumpdata --output "$work/back.json" 2>"$work/dumpdata.err" || { cat "$work/dumpdata.err" >&2; fail "dumpdata"; }
grep -q 'live credentials' "$work/dumpdata.err" || fail "dumpdata did not warn about live credentials"
[ "$(stat -c %a "$work/back.json")" = 600 ] || fail "dumpdata --output wrote mode $(stat -c %a "$work/back.json"), want 600"
export DJANGO_DB="$work/django2.sqlite3"
manage migrate -v 0
manage loaddata "$work/back.json"
manage verify "$work/creds.json" || fail "Django refuses what studentapi dumped"
echo "django_roundtrip: all passed ($backend)"
