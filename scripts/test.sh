#!/usr/bin/env bash
# The test command: every Go test under the race detector, then the real binary
# driven with curl (smoke.sh), then every command of the README as written
# (readme.sh). Needs Go, gcc (cgo SQLite), curl and httpie; .ci/run installs them.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in go gcc curl http; do
  command -v "$tool" >/dev/null || { echo "test.sh: $tool is missing (apt-get install golang gcc curl httpie)" >&2; exit 1; }
done

go test -race -count=1 ./...
scripts/smoke.sh
scripts/readme.sh
