#!/usr/bin/env bash
# Generate the frontend's REST types (src/api/openapi.d.ts) from the server's OpenAPI
# document. `--check` only compares, and fails when the committed file is out of date.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$VENV/bin/python" -c '
import json, sys
from aext_project_filebrowser_server.handlers.openapi import openapi_document
json.dump(openapi_document(), sys.stdout, indent=1, sort_keys=True)
' > "$work/openapi.json"
node_modules/.bin/openapi-typescript "$work/openapi.json" -o "$work/openapi.d.ts" >/dev/null
if [ "${1:-}" = "--check" ]; then
  diff -q "$work/openapi.d.ts" src/api/openapi.d.ts >/dev/null || {
    echo "src/api/openapi.d.ts is out of date with openapi.json: run bash scripts/api-types.sh"
    exit 1
  }
  echo "src/api/openapi.d.ts matches openapi.json"
else
  cp "$work/openapi.d.ts" src/api/openapi.d.ts
  echo "wrote src/api/openapi.d.ts"
fi
