# A throwaway PostgreSQL server for the tests. Source this file: it only defines
# functions (and sources scripts/apt.sh, which only defines apt_install).
#
#   pg_start         install Debian's postgresql package when missing, initdb a new
#                    cluster in a fresh temp dir, start it on a free loopback port,
#                    wait until it accepts connections, and export
#                    STUDENTAPI_TEST_POSTGRES_DSN (superuser studentapi, trust auth)
#   pg_stop_server   stop that server (pg_ctl stop -m fast), keeping its data
#   pg_start_server  start it again, same data and port, and wait until it is ready
#   pg_destroy       stop it and remove the temp dir; does nothing when there is no
#                    cluster, so it fits a trap on EXIT
#
# initdb and postgres refuse to run as root: as root the cluster belongs to, and
# runs as, the `postgres` system user (made by Debian's package); otherwise it runs
# as the current user. It listens on 127.0.0.1 and on a socket in its temp dir only.
# State lives in the shell variables pg_bin, pg_dir and pg_port. Set pg_fsync=on
# before pg_start for a server that syncs its commits (scripts/bench.sh does, to
# measure durable writes); the tests' default is off (see _pg_ctl_start).

# shellcheck source=scripts/apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

# _pg_fail MESSAGE: say what went wrong, with the end of the server's log.
_pg_fail() {
  echo "postgres.sh: $*" >&2
  if [ -n "${pg_dir:-}" ] && [ -f "$pg_dir/server.log" ]; then
    tail -n 20 "$pg_dir/server.log" | sed 's/^/  postgres: /' >&2
  fi
  return 1
}

# _pg_as COMMAND...: run as the cluster's owner, from a directory it may enter.
_pg_as() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# _pg_find_bin: the newest /usr/lib/postgresql/<version>/bin, or nothing.
_pg_find_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true
}

# _pg_wait_ready: wait (up to 30 s) until the server accepts connections over TCP.
_pg_wait_ready() {
  local _
  for _ in $(seq 1 150); do
    "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -U studentapi -d postgres && return 0
    sleep 0.2
  done
  _pg_fail "the server on 127.0.0.1:$pg_port did not accept connections within 30 s"
}

# _pg_ctl_start: start the server of $pg_dir on $pg_port and wait until it is up.
_pg_ctl_start() {
  # fsync=off only because this is a throwaway test cluster, deleted when the run
  # ends: a crash of the machine may corrupt it, which here costs nothing and saves
  # minutes of the test suite's many small transactions. Never on data that matters.
  _pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 -s \
    -o "-p $pg_port -c listen_addresses=127.0.0.1 -k '$pg_dir' -c max_connections=300 -c fsync=${pg_fsync:-off}" \
    start >/dev/null 2>&1
}

pg_start() {
  if [ -n "${pg_dir:-}" ]; then
    _pg_fail "pg_start: a cluster is already running in $pg_dir"
    return 1
  fi
  pg_bin=$(_pg_find_bin)
  if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    apt_install postgresql
    pg_bin=$(_pg_find_bin)
    if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
      _pg_fail "no PostgreSQL under /usr/lib/postgresql/*/bin, even after installing Debian's postgresql"
      return 1
    fi
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    _pg_fail "as root the cluster runs as the postgres system user, which does not exist (Debian's postgresql package makes it)"
    return 1
  fi

  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/studentapi-pg.XXXXXX") || { pg_dir=""; _pg_fail "mktemp failed"; return 1; }
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$pg_dir" || { _pg_fail "chown postgres $pg_dir failed"; return 1; }
  fi
  if ! _pg_as test -w "$pg_dir"; then
    _pg_fail "the postgres user cannot write to $pg_dir (is ${TMPDIR:-/tmp} closed to it? set TMPDIR)"
    return 1
  fi

  # --no-sync: a throwaway cluster (see _pg_ctl_start).
  if ! _pg_as "$pg_bin/initdb" -D "$pg_dir/data" -U studentapi -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$pg_dir/initdb.log" 2>&1; then
    sed 's/^/  initdb: /' "$pg_dir/initdb.log" >&2
    _pg_fail "initdb failed"
    return 1
  fi

  # A port below Linux's ephemeral range (32768 and up, where outgoing connections
  # take theirs) that nothing listens on; another process may still take it before
  # the server binds, so a start that fails on the port is retried on another.
  local try started=""
  for try in 1 2 3 4 5 6 7 8; do
    pg_port=$((20000 + RANDOM % 12000))
    if (exec 3<>"/dev/tcp/127.0.0.1/$pg_port") 2>/dev/null; then
      continue
    fi
    rm -f "$pg_dir/server.log"
    if _pg_ctl_start; then
      started=1
      break
    fi
    if grep -qE 'Address already in use|could not create any TCP/IP sockets|could not bind' "$pg_dir/server.log" 2>/dev/null; then
      echo "postgres.sh: port $pg_port is taken; trying another" >&2
      continue
    fi
    _pg_fail "could not start PostgreSQL on 127.0.0.1:$pg_port"
    return 1
  done
  if [ -z "$started" ]; then
    _pg_fail "could not find a free port for PostgreSQL in $try tries"
    return 1
  fi
  _pg_wait_ready || return 1

  export STUDENTAPI_TEST_POSTGRES_DSN="postgres://studentapi@127.0.0.1:$pg_port/postgres?sslmode=disable"
  echo "postgres.sh: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port, cluster in $pg_dir"
}

pg_stop_server() {
  [ -n "${pg_dir:-}" ] || { _pg_fail "pg_stop_server: no cluster (call pg_start first)"; return 1; }
  _pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w -t 60 -s stop >/dev/null 2>&1 ||
    { _pg_fail "pg_ctl stop -m fast failed"; return 1; }
}

pg_start_server() {
  [ -n "${pg_dir:-}" ] || { _pg_fail "pg_start_server: no cluster (call pg_start first)"; return 1; }
  _pg_ctl_start || { _pg_fail "could not start PostgreSQL again on 127.0.0.1:$pg_port"; return 1; }
  _pg_wait_ready
}

pg_destroy() {
  [ -n "${pg_dir:-}" ] || return 0
  if [ -f "$pg_dir/data/postmaster.pid" ]; then
    if ! _pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w -t 30 -s stop >/dev/null 2>&1; then
      local pid
      pid=$(head -n 1 "$pg_dir/data/postmaster.pid" 2>/dev/null || true)
      if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
  fi
  rm -rf "$pg_dir"
  pg_dir="" pg_port=""
  unset STUDENTAPI_TEST_POSTGRES_DSN
  return 0
}
