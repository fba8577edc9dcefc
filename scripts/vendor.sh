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

# --- swagger-ui-dist (API reference, /docs) ----------------------------------------------
SWAGGER_UI_VERSION=5.35.0
SWAGGER_UI_INTEGRITY=sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==
fetch swagger-ui-dist "$SWAGGER_UI_VERSION" "$SWAGGER_UI_INTEGRITY"
rm -rf "$VENDOR/swagger-ui"
mkdir -p "$VENDOR/swagger-ui"
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css favicon-32x32.png \
         LICENSE NOTICE; do
  cp "$TMP/swagger-ui-dist/package/$f" "$VENDOR/swagger-ui/"
done
echo "$SWAGGER_UI_VERSION" > "$VENDOR/swagger-ui/VERSION"
echo "vendor: swagger-ui-dist $SWAGGER_UI_VERSION -> static/vendor/swagger-ui/"

# --- redoc (API reference, /redoc; 2.x: the <redoc spec-url> element FastAPI's page uses) --
REDOC_VERSION=2.5.4
REDOC_INTEGRITY=sha512-M6jWhG1qoBnH6TFmzJnstyCZ87HmOY/UzDm78mHiYihEdlV/YcS9ogOo1NlElnJMeLsyxHFe2yFc4sNjHTrABQ==
fetch redoc "$REDOC_VERSION" "$REDOC_INTEGRITY"
rm -rf "$VENDOR/redoc"
mkdir -p "$VENDOR/redoc"
cp "$TMP/redoc/package/bundles/redoc.standalone.js" \
   "$TMP/redoc/package/bundles/redoc.standalone.js.LICENSE.txt" "$VENDOR/redoc/"
cp "$TMP/redoc/package/LICENSE" "$VENDOR/redoc/LICENSE"
echo "$REDOC_VERSION" > "$VENDOR/redoc/VERSION"
echo "vendor: redoc $REDOC_VERSION -> static/vendor/redoc/"
