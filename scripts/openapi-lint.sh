#!/usr/bin/env bash
# Lints the OpenAPI document, as `studentapi spectacular` writes it (and
# /schema/ serves it), in both versions, with a real OpenAPI linter: Redocly
# CLI, pinned, with its recommended rules less those scripts/redocly.yaml turns
# off and says why. Errors fail; warnings are printed. Needs Go and Node.js
# (npx); as root on Debian it installs Node.js when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
# shellcheck source=scripts/apt.sh
. scripts/apt.sh

# The version test.sh and the README were checked with; bump it on purpose.
redocly_version=2.77.0

command -v npx >/dev/null || apt_install nodejs npm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/studentapi" .
# Config files of their own, not config.yaml: the defaults (a plain array), and
# pagination with a client-chosen size, which adds a schema and parameters.
: >"$work/plain.yaml"
printf 'api:\n  page_size: 10\n  page_size_query_param: page_size\n  max_page_size: 100\n' >"$work/paginated.yaml"
for config in plain paginated; do
  for openapi in 3.0 3.1; do
    doc="$work/openapi-$config-$openapi.yaml"
    "$work/studentapi" spectacular --config "$work/$config.yaml" --openapi "$openapi" --file "$doc"
    echo "openapi-lint: OpenAPI $openapi, $config list"
    (cd "$work" && npx --yes "@redocly/cli@$redocly_version" lint --format=stylish \
      --config "$OLDPWD/scripts/redocly.yaml" "$doc")
  done
done
