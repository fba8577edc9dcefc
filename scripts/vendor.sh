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

# --- cytoscape-dagre (layered lineage layout, /graph) ------------------------------------
# The UMD build bundles @dagrejs/dagre and @dagrejs/graphlib; their licenses are copied from
# the exact versions the bundle names, fetched and checked the same way.
CYTOSCAPE_DAGRE_VERSION=4.0.1
CYTOSCAPE_DAGRE_INTEGRITY=sha512-hyNdh8Vp1nwzBcjHnM4c71G81bFhPmQYLXD2HM9AZIvl+8TrMzWEOPW45hF/XOBQiEguPcDQzi6VrXR1XBcXOA==
DAGRE_VERSION=3.0.0
DAGRE_INTEGRITY=sha512-ZzhnTy1rfuoew9Ez3EIw4L2znPGnYYhfn8vc9c4oB8iw6QAsszbiU0vRhlxWPFnmmNSFAkrYeF1PhM5m4lAN0Q==
GRAPHLIB_VERSION=4.0.1
GRAPHLIB_INTEGRITY=sha512-IvcV6FduIIAmLwnH+yun+QtV36SC7mERqa86aClNqmMN09WhmPPYU8ckHrZBozErf+UvHPWOTJYaGYiIcs0DgA==
fetch cytoscape-dagre "$CYTOSCAPE_DAGRE_VERSION" "$CYTOSCAPE_DAGRE_INTEGRITY"
fetch @dagrejs/dagre "$DAGRE_VERSION" "$DAGRE_INTEGRITY"
fetch @dagrejs/graphlib "$GRAPHLIB_VERSION" "$GRAPHLIB_INTEGRITY"
rm -rf "$VENDOR/cytoscape-dagre"
mkdir -p "$VENDOR/cytoscape-dagre"
cp "$TMP/cytoscape-dagre/package/dist/cytoscape-dagre.min.js" "$VENDOR/cytoscape-dagre/"
cp "$TMP/cytoscape-dagre/package/LICENSE" "$VENDOR/cytoscape-dagre/LICENSE"
cp "$TMP/@dagrejs/dagre/package/LICENSE" "$VENDOR/cytoscape-dagre/LICENSE.dagre"
cp "$TMP/@dagrejs/graphlib/package/LICENSE" "$VENDOR/cytoscape-dagre/LICENSE.graphlib"
printf '%s (bundles @dagrejs/dagre %s, @dagrejs/graphlib %s)\n' "$CYTOSCAPE_DAGRE_VERSION" \
  "$DAGRE_VERSION" "$GRAPHLIB_VERSION" > "$VENDOR/cytoscape-dagre/VERSION"
echo "vendor: cytoscape-dagre $CYTOSCAPE_DAGRE_VERSION -> static/vendor/cytoscape-dagre/"
