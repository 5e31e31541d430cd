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
"$PY" -m pip install -q -e ".[test]" 2>&1 | grep -v '^WARNING: Location' || true
"$PY" -c "import aext_project_filebrowser_server, pytest_jupyter, ruff, mypy" # install really worked

echo "== ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
echo "== mypy"
"$VENV/bin/mypy"
echo "== pytest"
"$VENV/bin/pytest" -m "not slow" "$@"
echo "== wheel"
bash scripts/check-wheel.sh
