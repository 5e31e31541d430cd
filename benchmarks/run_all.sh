#!/usr/bin/env bash
# The benchmarks of issue 7, side by side with rclone, curl, cp, sha256 and a scandir walk.
#
#   bash benchmarks/run_all.sh           # full run: 3 runs per scenario, ~10-13 min on 2 cores
#   bash benchmarks/run_all.sh --smoke   # tiny sizes, 1 run, well under a minute (CI)
#
# Sets everything up from a clean checkout: uses .venv (or $VENV), creating it and running
# `pip install -e .` when needed; installs rclone with apt-get when it is missing (the
# rclone and curl references are skipped, with a message, if that is impossible). Other
# arguments go to `python -m pfb_bench` (see --help: --only, --runs, --profile, --keep...).
# Results: a table on stdout, JSON + Markdown in benchmarks/results/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
VENV="${VENV:-.venv}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
PY="$(cd "$VENV/bin" && pwd)/python"
if ! "$PY" -c "import aext_project_filebrowser_server, jupyter_server, httpx, tornado" 2>/dev/null; then
  "$PY" -m pip install -q -e . 2>&1 | grep -v '^WARNING: Location' || true
fi
"$PY" -c "import aext_project_filebrowser_server, jupyter_server, httpx, tornado"

smoke=0
for arg in "$@"; do
  [ "$arg" = "--smoke" ] && smoke=1
done

if ! command -v rclone >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing rclone with apt-get..."
    wait_s=600
    [ "$smoke" = 1 ] && wait_s=45
    timeout "$wait_s" bash -c \
      'apt-get install -y -qq rclone >/dev/null 2>&1 ||
       { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq rclone >/dev/null 2>&1; }' ||
      echo "warning: could not install rclone; its references will be skipped"
  else
    echo "warning: rclone is missing and cannot be installed here; its references will be skipped"
  fi
fi
if [ "$smoke" = 0 ] && [ ! -x "$(dirname "$PY")/py-spy" ]; then
  # Only needed for --profile; a failure here is not fatal.
  "$PY" -m pip install -q py-spy 2>&1 | grep -v '^WARNING: Location' || true
fi

# PFB_BENCH_SOURCE=DIR benchmarks the package in another source tree (e.g. an export of a
# commit) with this venv's dependencies: it goes first on PYTHONPATH for every process.
if [ -n "${PFB_BENCH_SOURCE:-}" ]; then
  export PYTHONPATH="$PFB_BENCH_SOURCE${PYTHONPATH:+:$PYTHONPATH}"
fi
# Run from benchmarks/ so that `python -m` puts it, not the repo root, first on sys.path.
cd "$REPO/benchmarks"
"$PY" -m pfb_bench "$@"
# Issue 17: a user's server with and without the extension (RSS, start-up, idle CPU).
# PFB_SERVER_COST=0 skips it.
if [ "${PFB_SERVER_COST:-1}" != 0 ]; then
  if [ "$smoke" = 1 ]; then "$PY" server_cost.py --smoke; else "$PY" server_cost.py; fi
fi
