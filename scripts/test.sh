#!/usr/bin/env bash
# The whole test suite: lint, types, tests, and the built wheel loading in a clean venv.
# Creates .venv (or $VENV) and installs everything it needs. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1

if [ ! -x "$PY" ]; then
  python3 -m venv "$VENV"
fi
"$PY" -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
source scripts/node-env.sh          # Node for the panel's build (from PyPI where missing)
# The editable install also builds the JupyterLab panel (jlpm install + build).
"$PY" -m pip install -q -e ".[test]" 2>&1 | grep -v '^WARNING: Location' || true
"$PY" -c "import aext_project_filebrowser_server, pytest_jupyter, ruff, mypy, playwright"
[ -f aext_project_filebrowser_server/labextension/static/style.js ] \
  || { echo "the panel was not built"; exit 1; }
"$VENV/bin/jupyter" labextension develop --overwrite . >/dev/null 2>&1
CHROMIUM="$(bash scripts/ensure-chromium.sh)"
export CHROMIUM

echo "== ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
echo "== mypy"
"$VENV/bin/mypy"
echo "== frontend: types from openapi.json, tsc, jest"
bash scripts/api-types.sh --check
jlpm tsc --noEmit -p tsconfig.test.json
jlpm jest --ci
echo "== pytest"
if [ $# -gt 0 ]; then
  "$VENV/bin/pytest" -m "not slow" "$@"
else
  # The browser tests run in a process of their own: Playwright's sync API leaves an event
  # loop on the main thread that pytest-jupyter's async tests must not inherit.
  "$VENV/bin/pytest" -m "not slow" --ignore=tests/ui
  echo "== pytest: the panel in Chromium"
  "$VENV/bin/pytest" -m "not slow" tests/ui
fi
echo "== wheel"
bash scripts/check-wheel.sh
