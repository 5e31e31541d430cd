#!/usr/bin/env bash
# The browser of the panel's UI tests: Debian's chromium (Playwright's own browser download
# is not used). Installs it with apt when missing; prints the executable's path.
set -euo pipefail
find_chromium() { command -v chromium || command -v chromium-browser || true; }
bin="${CHROMIUM:-$(find_chromium)}"
if [ -z "$bin" ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing Debian's chromium for the UI tests..." >&2
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1
  elif command -v apt-get >/dev/null 2>&1; then
    sudo apt-get update -qq >/dev/null 2>&1 || true
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1
  fi
  bin="$(find_chromium)"
fi
[ -n "$bin" ] || { echo "no chromium found and it could not be installed; set CHROMIUM=/path/to/chromium" >&2; exit 1; }
echo "$bin"
