#!/usr/bin/env bash
# Run the whole platform on this machine: the cloud replica seeded with demo data, and
# JupyterLab with the extension pointed at it. Creates .venv and installs what it needs.
# Ctrl-C stops both. Data lives under .dev/ (git-ignored). Extra args go to jupyter lab.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1
REPLICA_PORT="${REPLICA_PORT:-8765}"
REPLICA_DIALECT="${REPLICA_DIALECT:-ours}"  # evidence: the cloud as public evidence shows it
JUPYTER_PORT="${JUPYTER_PORT:-8888}"
API_KEY="${DEMO_API_KEY:-demo-alice-key}"

[ -x "$PY" ] || python3 -m venv "$VENV"
source scripts/node-env.sh          # Node for the panel's build (from PyPI where missing)
# The editable install also builds the JupyterLab panel from src/ (jlpm install + build);
# `labextension develop` makes JupyterLab serve that fresh build.
"$PY" -m pip install -q -e ".[lab,dev]" 2>&1 | grep -v '^WARNING: Location' || true
"$PY" -c "import aext_project_filebrowser_server, jupyterlab"
"$VENV/bin/jupyter" labextension develop --overwrite . >/dev/null 2>&1 \
  || { echo "the Projects panel could not be linked into JupyterLab"; exit 1; }

export LOCAL=1                      # the store is the one alembic.dev.ini names
mkdir -p .dev/replica .dev/notebooks .dev/db
"$VENV/bin/aext-project-replica" --host 127.0.0.1 --port "$REPLICA_PORT" --data .dev/replica \
  --dialect "$REPLICA_DIALECT" \
  > .dev/replica.out 2> .dev/replica.log &
replica_pid=$!
trap 'kill $replica_pid 2>/dev/null; wait $replica_pid 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 100); do
  replica_url="$(head -n1 .dev/replica.out 2>/dev/null || true)"
  [ -n "$replica_url" ] && break
  kill -0 $replica_pid 2>/dev/null || { cat .dev/replica.log; exit 1; }
  sleep 0.1
done
[ -n "$replica_url" ] || { echo "the replica did not start; see .dev/replica.log"; exit 1; }

extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)   # containers often run as root
TOKEN="${JUPYTER_TOKEN:-$("$PY" -c 'import secrets; print(secrets.token_hex(16))')}"
cat <<MSG

  Cloud replica : $replica_url   (log: .dev/replica.log)
  Demo API key  : $API_KEY        (users alice / bob: demo-alice-key / demo-bob-key)
  JupyterLab    : http://127.0.0.1:$JUPYTER_PORT/lab?token=$TOKEN
  Jupyter token : $TOKEN
  Try           : curl -H "Authorization: token $TOKEN" http://127.0.0.1:$JUPYTER_PORT/aext_project_filebrowser_server/health
                  curl -H "Authorization: Bearer $API_KEY" "$replica_url/api/projects/?owner=me"
  Ctrl-C stops both.

MSG
"$VENV/bin/jupyter" lab --no-browser --ip 127.0.0.1 --port "$JUPYTER_PORT" \
  --ServerApp.root_dir=.dev/notebooks \
  --IdentityProvider.token="$TOKEN" \
  --ProjectFileBrowserApp.cloud_url="$replica_url" \
  --ProjectFileBrowserApp.cloud_api_key="$API_KEY" "${extra[@]}" "$@"
