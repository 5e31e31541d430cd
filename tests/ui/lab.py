"""A real JupyterLab server with the extension and its panel, against a real replica, for the
UI tests: started as a child process on a free loopback port, with its own Jupyter config,
data, settings and store under a temp folder, and stopped at teardown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from reliability.jupyter_process import free_port

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess

START_TIMEOUT_S = 90.0
EXTENSION_URL = "aext_project_filebrowser_server"
# JupyterLab's own news prompt would cover the panel in screenshots.
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    cloud_url: str

    @property
    def lab_url(self) -> str:
        return f"{self.url}lab?token={self.token}"

    def api(self, path: str) -> str:
        return f"{self.url}{EXTENSION_URL}/{path}"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def _write_user_settings(folder: Path) -> None:
    for name, value in USER_SETTINGS.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))


def start_lab(
    home: Path,
    replica: ReplicaProcess | None,
    *,
    api_key: str | None = "demo-alice-key",
    cloud_url: str | None = None,
    poll_interval: float = 2.0,
    port: int | None = None,
    extra_args: tuple[str, ...] = (),
) -> Lab:
    """Start `jupyter lab` with the extension pointed at `replica` (or `cloud_url`)."""
    cloud = cloud_url or (replica.url if replica else "")
    root = home / "notebooks"
    root.mkdir(parents=True, exist_ok=True)  # a restart reuses the same home
    settings = home / "lab-settings"
    _write_user_settings(settings)
    port = port or free_port()
    token = "ui-test-token"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    env.pop("ANACONDA_AUTH_API_KEY", None)
    env.pop("LOCAL", None)
    args = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.jpserver_extensions=aext_project_filebrowser_server=True",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",
        f"--ProjectFileBrowserApp.db_url=sqlite:///{home / 'state' / 'store.db'}",
        f"--ProjectFileBrowserApp.cloud_url={cloud}",
        f"--ProjectFileBrowserApp.cloud_poll_interval={poll_interval}",
        "--ProjectFileBrowserApp.server_name=ui-test",
        "--ProjectFileBrowserApp.cloud_retry_attempts=1",
        "--ProjectFileBrowserApp.cloud_timeout=5",
    ]
    if api_key is not None:
        args.append(f"--ProjectFileBrowserApp.cloud_api_key={api_key}")
    args.extend(extra_args)
    if os.geteuid() == 0:
        args.append("--allow-root")
    log_path = home / "lab.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    lab = Lab(f"http://127.0.0.1:{port}/", token, root, process, log_path, cloud)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited ({process.returncode}):\n{lab.log()[-4000:]}")
        try:
            answer = httpx.get(lab.api("health"), headers=lab.headers(), timeout=2)
            if answer.status_code == 200:
                return lab
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    lab.stop()
    why = f"jupyter lab did not answer within {START_TIMEOUT_S:g} s"
    raise RuntimeError(f"{why}:\n{lab.log()[-4000:]}")
