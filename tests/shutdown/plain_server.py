"""A real `jupyter server` child process with the extension, started the way a spawner or
systemd starts one: `subprocess.Popen`, stdin from /dev/null, no terminal.

The crash tests fork their servers from a pre-warmed zygote; these tests must not, because
what they check (the signal handlers, the threads left at exit) depends on the process
being a plain `jupyter server` from its first instruction. The `JupyterProcess` of the
reliability helpers is reused: it knows a server by pid, and a child we have not reaped yet
shows as a zombie, which `alive()` already treats as gone.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reliability.jupyter_process import (
    JupyterProcess,
    _wait_healthy,
    _write_config,
    free_port,
)

JUPYTER_SERVER = Path(sys.executable).with_name("jupyter-server")
STOPPED_LINE = "aext_project_filebrowser_server stopped in"


@dataclass
class PlainServer:
    """A server we started (a class: it owns the child process)."""

    server: JupyterProcess
    process: subprocess.Popen[bytes]

    def signal_and_wait(self, signum: int, timeout: float = 30.0) -> float:
        """Send `signum`; seconds until the process exited (raises if it did not)."""
        started = time.monotonic()
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"still running {timeout:g} s after signal {signum}:\n{self.server.log_tail()}"
            ) from None
        return time.monotonic() - started

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def server_args(home: Path, port: int, token: str) -> list[str]:
    """`jupyter server` on loopback, rooted at `home/root`, with no browser."""
    return [
        str(JUPYTER_SERVER),
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={home / 'root'}",
        f"--IdentityProvider.token={token}",
    ]


def start_plain_server(
    home: Path, extension_config: dict[str, Any], env: dict[str, str] | None = None
) -> PlainServer:
    """`jupyter server` with the extension; its Jupyter state under `home`."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "root").mkdir(exist_ok=True)
    config_dir = _write_config(home, extension_config)
    token = uuid.uuid4().hex
    port = free_port()
    log_path = home / f"jupyter-{port}.log"
    child_env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "HOME": str(home),
        **(env or {}),
    }
    child_env.pop("PYTEST_CURRENT_TEST", None)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            server_args(home, port, token),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=child_env,
            cwd=home,
        )
    db_url = str(extension_config.get("db_url", ""))
    server = JupyterProcess(
        url=f"http://127.0.0.1:{port}/",
        token=token,
        home=home,
        db_path=Path(db_url.removeprefix("sqlite:///")),
        pid=process.pid,
        log_path=log_path,
        exit_file=home / f"jupyter-{port}.never-written",
    )
    started = PlainServer(server, process)
    try:
        _wait_healthy(server)
    except BaseException:
        started.close()
        raise
    return started


@contextlib.contextmanager
def plain_server(home: Path, extension_config: dict[str, Any], env: dict[str, str] | None = None):
    """`start_plain_server` that is killed (SIGKILL) at the end if still running."""
    started = start_plain_server(home, extension_config, env)
    try:
        yield started
    finally:
        started.close()


_OWN_STOP: list[float] = []


def jupyter_own_stop_s() -> float:
    """How long `jupyter server` *without* this extension takes to exit on SIGTERM here, the
    slower of two tries (measured once per test session). Its own teardown took 0.9-1.3 s
    on the 2-core test machine, so a fixed budget mostly measured Jupyter, not us."""
    if not _OWN_STOP:
        import signal
        import tempfile

        import httpx

        tries = []
        for _ in range(2):
            with tempfile.TemporaryDirectory() as folder:
                home = Path(folder)
                (home / "root").mkdir()
                port = free_port()
                env = {
                    **os.environ,
                    "JUPYTER_CONFIG_DIR": str(home / "config"),
                    "JUPYTER_DATA_DIR": str(home / "data"),
                    "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
                    "HOME": str(home),
                }
                process = subprocess.Popen(
                    [
                        *server_args(home, port, "own-stop"),
                        "--ServerApp.jpserver_extensions=aext_project_filebrowser_server=False",
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                    cwd=home,
                )
                try:
                    deadline = time.monotonic() + 60
                    while time.monotonic() < deadline:
                        with contextlib.suppress(httpx.HTTPError):
                            url = f"http://127.0.0.1:{port}/api/status?token=own-stop"
                            if httpx.get(url, timeout=1).status_code == 200:
                                break
                        time.sleep(0.1)
                    started = time.monotonic()
                    process.send_signal(signal.SIGTERM)
                    process.wait(30)
                    tries.append(time.monotonic() - started)
                finally:
                    if process.poll() is None:
                        process.kill()
                        process.wait(10)
        _OWN_STOP.append(max(tries))
    return _OWN_STOP[0]
