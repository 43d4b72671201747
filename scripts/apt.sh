# Sourced by the scripts (test.sh, postgres.sh, bench.sh): defines
# apt_install and nothing else.

# apt_install PACKAGE...: install with apt-get when we may (root on Debian), else
# say what is missing and exit. Runs `apt-get update` once per shell.
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    [ -n "${apt_updated:-}" ] || { apt-get update -qq; apt_updated=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "${0##*/}: missing $*; install them (e.g. sudo apt-get install $*)" >&2
    exit 1
  fi
}
