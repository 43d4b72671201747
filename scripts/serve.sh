# The set-up scripts/fulldisk.sh and scripts/pgrestart.sh share: a user with a
# token, and the built service on a free loopback port. Source this file: it
# only defines functions. They read $bin (the built binary) and $work (the
# script's temp dir), call the script's fail on error, and leave what they set
# in shell variables:
#
#   seed_user PASSWORD  migrate, create the superuser alice with PASSWORD and take
#                       her token: $token, and $auth, curl's arguments to send it
#   start_server        start "$bin serve" on a free loopback port, its output in
#                       $work/server.out and $work/server.log, and wait until
#                       /healthz answers: $port, $base and $server_pid

seed_user() {
  "$bin" migrate >/dev/null
  STUDENTAPI_PASSWORD="$1" "$bin" createsuperuser --noinput --username alice --email a@example.com >/dev/null
  token=$("$bin" drf_create_token alice | awk '{print $3}')
  [[ "$token" =~ ^[0-9a-f]{40}$ ]] || fail "drf_create_token gave no token: $token"
  auth=(-H "Authorization: Token $token")
}

start_server() {
  # A free port: let the kernel pick one, then reuse it.
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  STUDENTAPI_ADDR="127.0.0.1:$port" "$bin" serve >"$work/server.out" 2>"$work/server.log" &
  server_pid=$!
  local _
  for _ in $(seq 1 200); do
    curl -s -o /dev/null "$base/healthz" && return 0
    kill -0 "$server_pid" 2>/dev/null || fail "studentapi exited at start"
    sleep 0.05
  done
  fail "studentapi did not answer /healthz within 10 s"
}
