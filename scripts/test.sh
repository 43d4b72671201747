#!/usr/bin/env bash
# The test command: every Go test under the race detector, then the real binary
# driven with curl (smoke.sh), then every command of the README as written
# (readme.sh). Needs Go, gcc (cgo SQLite), curl and httpie: as root on Debian it
# installs whatever of them is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

# apt_install PACKAGE...: install with apt-get when we may, else say what is missing.
apt_updated=""
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "test.sh: missing $*; install them (e.g. sudo apt-get install $*)" >&2
    exit 1
  fi
}

command -v go >/dev/null || { echo "test.sh: Go is missing (https://go.dev/dl/)" >&2; exit 1; }
missing=()
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
command -v curl >/dev/null || missing+=(curl ca-certificates)
command -v http >/dev/null || missing+=(httpie)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

# The admin site's browser tests drive Debian's chromium; here they must run,
# not skip (STUDENTAPI_REQUIRE_BROWSER=1 makes a missing browser a failure).
command -v chromium >/dev/null || apt_install chromium fonts-liberation
export STUDENTAPI_REQUIRE_BROWSER=1

go test -race -count=1 ./...
scripts/smoke.sh
scripts/readme.sh
