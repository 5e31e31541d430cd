#!/usr/bin/env bash
# Install configurable-http-proxy (JupyterHub's proxy, from npm) under .dev/hub-proxy
# (git-ignored) unless it is already there, and print the path of its command. The hub
# tests (tests/hub) call it; so can a developer trying the README's JupyterHub snippet.
set -euo pipefail
cd "$(dirname "$0")/.."
# node/npm on PATH (falls back to Node from PyPI) once scripts/node-env.sh exists.
VENV="${VENV:-.venv}"
if [ -f scripts/node-env.sh ]; then source scripts/node-env.sh; fi
PREFIX="${HUB_PROXY_PREFIX:-$PWD/.dev/hub-proxy}"
BIN="$PREFIX/node_modules/.bin/configurable-http-proxy"
if [ ! -x "$BIN" ]; then
  command -v npm >/dev/null || { echo "ensure-hub-proxy: npm is not on PATH" >&2; exit 1; }
  npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=error \
    "configurable-http-proxy@^4" >&2
fi
"$BIN" --version >/dev/null
echo "$BIN"
