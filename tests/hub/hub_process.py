"""A real JupyterHub (from PyPI) with configurable-http-proxy (from npm) on loopback.

The hub loads the README's `examples/jupyterhub_config.py` and then this test's settings:
DummyAuthenticator, `SimpleLocalProcessSpawner` (each user's home under the test's temp
folder), loopback ports, and a service token with the admin role that drives the REST API
(start and stop servers, user tokens). Users' cloud keys come from the example's keys file.
Each user's own `~/.jupyter` turns off the other installed server extensions (start-up
time); the hub's `jupyterhub-singleuser` and this extension stay on. The hub runs with stdin
from /dev/null, as under systemd, and is stopped by its pid at the end.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from reliability.jupyter_process import OTHER_EXTENSIONS, free_port

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = REPO / "examples" / "jupyterhub_config.py"
ENSURE_PROXY = REPO / "scripts" / "ensure-hub-proxy.sh"
VENV_BIN = Path(sys.executable).parent
EXT = "aext_project_filebrowser_server"


@dataclass
class Hub:
    """A running hub (a class: it owns the process)."""

    url: str  # the proxy's public URL, ending in /
    token: str  # the admin service's token
    root: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call of the hub's REST API (`/hub/api/...`) as the admin service."""
        return httpx.request(
            method,
            f"{self.url}hub/api/{path}",
            headers={"Authorization": f"token {self.token}"},
            timeout=30,
            **kwargs,
        )

    def home(self, user: str) -> Path:
        return self.root / "home" / user

    def user_url(self, user: str, path: str = "") -> str:
        return f"{self.url}user/{user}/{path}"

    def ext_url(self, user: str, path: str) -> str:
        return self.user_url(user, f"{EXT}/{path}")

    def log_tail(self, chars: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def ensure_proxy() -> Path:
    """configurable-http-proxy installed by the repo's script (npm, git-ignored folder)."""
    env = {**os.environ, "VENV": str(VENV_BIN.parent)}  # where node-env.sh may put Node
    done = subprocess.run(
        ["bash", str(ENSURE_PROXY)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, f"ensure-hub-proxy.sh failed:\n{done.stdout}\n{done.stderr}"
    return Path(done.stdout.strip().splitlines()[-1])


def _test_config(root: Path, ports: dict[str, int], token: str, proxy: Path) -> str:
    """The settings of this test hub, appended after the example's."""
    return f"""c = get_config()  # noqa: F821
load_subconfig({str(EXAMPLE_CONFIG)!r})
c.JupyterHub.bind_url = "http://127.0.0.1:{ports["public"]}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{ports["hub"]}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports["proxy_api"]}"
c.ConfigurableHTTPProxy.command = [{str(proxy)!r}]
c.ConfigurableHTTPProxy.auth_token = {secrets.token_hex(16)!r}
c.JupyterHub.db_url = "sqlite:///{root / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret = bytes.fromhex({secrets.token_hex(32)!r})
c.JupyterHub.pid_file = {str(root / "jupyterhub.pid")!r}
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {{"alice", "bob"}}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(root / "home" / "{username}")!r}
c.Spawner.cmd = [{str(VENV_BIN / "jupyterhub-singleuser")!r}]
c.Spawner.ip = "127.0.0.1"
c.Spawner.args = c.Spawner.args + ["--allow-root"]
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
c.JupyterHub.services = [{{"name": "hub-test", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "admin", "services": ["hub-test"]}}]
"""


def start_hub(root: Path, cloud_url: str, keys: dict[str, str]) -> Hub:
    """Start the hub and wait until its API answers."""
    proxy = ensure_proxy()
    root.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in ("public", "hub", "proxy_api")}
    token = secrets.token_hex(16)
    for user in keys:
        _write_user_config(root / "home" / user)
    keys_file = root / "cloud-keys.json"
    keys_file.write_text(json.dumps(keys))
    keys_file.chmod(0o600)
    config = root / "jupyterhub_config.py"
    config.write_text(_test_config(root, ports, token, proxy))
    log_path = root / "jupyterhub.log"
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "AEXT_PFB_CLOUD_URL": cloud_url,
        "AEXT_PFB_KEYS_FILE": str(keys_file),
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop("ANACONDA_AUTH_API_KEY", None)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(VENV_BIN / "jupyterhub"), "-f", str(config)],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
        )
    hub = Hub(f"http://127.0.0.1:{ports['public']}/", token, root, process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the hub exited with {process.returncode}:\n{hub.log_tail()}")
        try:
            if hub.api("GET", "").status_code == 200:
                return hub
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    hub.stop()
    raise RuntimeError(f"the hub did not answer within 60 s:\n{hub.log_tail()}")


def _write_user_config(home: Path) -> None:
    config_dir = home / ".jupyter"
    config_dir.mkdir(parents=True, exist_ok=True)
    extensions = {name: False for name in OTHER_EXTENSIONS}
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": extensions}}, indent=1)
    )


def wait_for(check: Any, timeout: float, what: str, hub: Hub) -> float:
    """Poll `check()` until true; the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout:g} s\n{hub.log_tail()}")


def server_state(hub: Hub, user: str) -> dict[str, Any] | None:
    answer = hub.api("GET", f"users/{user}")
    assert answer.status_code == 200, answer.text
    server: dict[str, Any] | None = answer.json()["servers"].get("")
    return server


def start_server(hub: Hub, user: str, timeout: float = 60) -> float:
    """Start `user`'s server through the hub's API; seconds until the extension answers."""
    started = time.monotonic()
    answer = hub.api("POST", f"users/{user}/server")
    assert answer.status_code in (201, 202), answer.text

    def ready() -> bool:
        state = server_state(hub, user)
        return bool(state and state.get("ready"))

    wait_for(ready, timeout, f"{user}'s server ready", hub)
    return time.monotonic() - started


def stop_server(hub: Hub, user: str, timeout: float = 30) -> float:
    """Stop `user`'s server through the hub's API; seconds until the hub has no server."""
    started = time.monotonic()
    answer = hub.api("DELETE", f"users/{user}/server")
    assert answer.status_code in (202, 204), answer.text
    wait_for(lambda: server_state(hub, user) is None, timeout, f"{user}'s server stopped", hub)
    return time.monotonic() - started


def user_token(hub: Hub, user: str) -> str:
    """A hub API token of `user` (what JupyterLab's own requests carry, as a token)."""
    answer = hub.api("POST", f"users/{user}/tokens", json={"note": "hub test", "expires_in": 3600})
    assert answer.status_code == 201, answer.text
    token: str = answer.json()["token"]
    return token
