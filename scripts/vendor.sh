#!/bin/sh
# Fetch pinned third-party browser files into static/vendor/ from the npm registry.
# Never hand-copy vendored files: change the pin here and re-run `make vendor`.
# Each package gets its own section; append new sections at the end.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENDOR="$ROOT/static/vendor"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# fetch NAME VERSION INTEGRITY -> unpacks the package tarball into $TMP/NAME/package
fetch() {
  name=$1; version=$2; integrity=$3
  mkdir -p "$TMP/$name"
  (cd "$TMP/$name" && npm pack --silent "$name@$version" >/dev/null)
  tarball=$(ls "$TMP/$name"/*.tgz)
  got="sha512-$(openssl dgst -sha512 -binary "$tarball" | openssl base64 -A)"
  if [ "$got" != "$integrity" ]; then
    echo "vendor: $name@$version integrity mismatch: got $got, expected $integrity" >&2
    exit 1
  fi
  tar -xzf "$tarball" -C "$TMP/$name"
}

# --- cytoscape (graph view, /graph) -------------------------------------------------------
CYTOSCAPE_VERSION=3.34.4
CYTOSCAPE_INTEGRITY=sha512-msY99tMY8iWTg+sIPGfSqDcPNOt4xcj+v/K/7qUFaCUxxlqnMkUYLBjRUzn9W5CU/R2hrmtJa5+UtovrEM2ctg==
fetch cytoscape "$CYTOSCAPE_VERSION" "$CYTOSCAPE_INTEGRITY"
rm -rf "$VENDOR/cytoscape"
mkdir -p "$VENDOR/cytoscape"
cp "$TMP/cytoscape/package/dist/cytoscape.min.js" "$VENDOR/cytoscape/"
cp "$TMP/cytoscape/package/LICENSE" "$VENDOR/cytoscape/LICENSE"
echo "$CYTOSCAPE_VERSION" > "$VENDOR/cytoscape/VERSION"
echo "vendor: cytoscape $CYTOSCAPE_VERSION -> static/vendor/cytoscape/"
