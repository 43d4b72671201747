#!/usr/bin/env bash
# Refreshes the vendored Swagger UI that /schema/docs/ serves (api/static/
# swagger-ui/, embedded in the binary: the page loads nothing from a CDN) from
# npm's swagger-ui-dist: the bundle, its stylesheet, and the licence and notices
# they ship under, with the version in VERSION. Usage: scripts/swagger-ui.sh
# [version] (default: the latest on npm). Needs npm.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-$(npm view swagger-ui-dist version)}
dest=api/static/swagger-ui
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "swagger-ui-dist@$version" >/dev/null && tar xzf swagger-ui-dist-*.tgz)
rm -rf "$dest"
mkdir -p "$dest"
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE; do
  cp "$work/package/$f" "$dest/$f"
done
echo "swagger-ui-dist $version" >"$dest/VERSION"
echo "swagger-ui.sh: $dest holds swagger-ui-dist $version"
