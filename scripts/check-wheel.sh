#!/usr/bin/env bash
# Build the wheel, install it (not editable) into a fresh venv, and check that Jupyter
# lists the server extension and the Projects panel as enabled and OK, and that the
# migrations ship inside the wheel. The panel is built by the wheel build itself (a
# production build; the development build of the editable install is removed first).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
source scripts/node-env.sh
rm -rf aext_project_filebrowser_server/labextension
"$VENV/bin/python" -m build --wheel --outdir "$work/dist" . >"$work/build.log" 2>&1 \
  || { cat "$work/build.log"; exit 1; }
python3 -m venv "$work/venv"
# Next to a current JupyterLab, as users install it.
"$work/venv/bin/python" -m pip install -q "$work"/dist/*.whl "jupyterlab>=4.1" 2>&1 | grep -v '^WARNING: Location' || true
export JUPYTER_CONFIG_DIR="$work/config" JUPYTER_DATA_DIR="$work/data"
list="$("$work/venv/bin/jupyter" server extension list 2>&1)"
echo "$list" | grep -E "aext_project_filebrowser_server" || { echo "$list"; exit 1; }
echo "$list" | grep -qE "aext_project_filebrowser_server.*enabled" || { echo "$list"; exit 1; }
echo "$list" | grep -qE "aext_project_filebrowser_server.*OK" || { echo "$list"; exit 1; }
labs="$("$work/venv/bin/jupyter-labextension" list 2>&1)"
echo "$labs" | grep -qE "aext-project-filebrowser v[0-9.]+ .*enabled.*OK" || { echo "$labs"; exit 1; }
echo "$labs" | grep -E "aext-project-filebrowser"
cd "$work"   # away from the source tree: migrations must come from the wheel
"$work/venv/bin/python" - <<'PY'
from pathlib import Path
from sqlalchemy import create_engine
from aext_project_filebrowser_server.store.migrate import script_location, upgrade_if_needed
assert "site-packages" in str(script_location()), script_location()
state = upgrade_if_needed(create_engine(f"sqlite:///{Path.cwd() / 'wheel-check.db'}"))
assert state.outcome == "created", state
print(f"wheel OK: migrations from {script_location()}, store created at {state.current}")
PY
