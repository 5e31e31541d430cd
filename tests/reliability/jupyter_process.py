"""Real Jupyter servers with the extension, as child processes the tests can SIGKILL.

`Launcher` starts `jupyter_zygote.py` once (it pays for importing jupyter_server and the
libraries); `launcher.start(...)` then forks a fresh Jupyter server from it in well under a
second: a free loopback port, a private Jupyter config (the extension enabled, the other
installed server extensions off), `AEXT_PFB_CRASH_AT` when asked, and it waits for the
health endpoint. Each server imports the extension itself, so a crash point set for it is
its own. `run_over_ws(...)` sends one push/pull/sync over the WebSocket and collects the
request's messages until `completed`/`failed`, or until the server dies (the socket
closes). Every server is killed by its own pid at teardown (`Launcher.close`), and none can
outlive the test run (PR_SET_PDEATHSIG on the zygote and on each server).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

EXTENSION = "aext_project_filebrowser_server"
START_TIMEOUT_S = 60.0
ZYGOTE = Path(__file__).with_name("jupyter_zygote.py")
# Installed server extensions that these test servers do not need (start-up time).
OTHER_EXTENSIONS = (
    "jupyterlab",
    "jupyter_lsp",
    "nbdime",
    "notebook_shim",
    "notebook",
    "jupyter_server_terminals",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _running(pid: int) -> bool:
    """True while `pid` runs (not a zombie): the zygote, not us, reaps the servers."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


@dataclass
class JupyterProcess:
    """One Jupyter server process, known by pid (its parent is the zygote)."""

    url: str
    token: str
    home: Path
    db_path: Path
    pid: int
    log_path: Path
    exit_file: Path
    crash_at: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def alive(self) -> bool:
        return not self.exit_file.exists() and _running(self.pid)

    def exit_code(self) -> int | None:
        try:
            return int(self.exit_file.read_text())
        except (OSError, ValueError):
            return None

    def wait_dead(self, timeout: float = 30.0) -> int | None:
        """Wait for the process to end (a crash point, a kill); its exit code if known."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                raise TimeoutError(f"Jupyter server {self.pid} still runs after {timeout:g} s")
            time.sleep(0.02)
        for _ in range(50):  # the zygote writes the status right after reaping
            if (code := self.exit_code()) is not None:
                return code
            time.sleep(0.02)
        return None

    def kill(self) -> None:
        """SIGKILL (a crash) and wait until it is gone."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self.wait_dead()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (a clean shutdown); SIGKILL if it does not exit in time."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            try:
                self.wait_dead(timeout)
            except TimeoutError:
                self.kill()

    def log_tail(self, chars: int = 6000) -> str:
        """The end of the server's log, without the health polls."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(line for line in lines if "/health" not in line)[-chars:]


def _write_config(home: Path, extension_config: dict[str, Any]) -> Path:
    config_dir = home / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    extensions = {name: False for name in OTHER_EXTENSIONS}
    extensions[EXTENSION] = True
    config = {
        "ServerApp": {"jpserver_extensions": extensions},
        "ProjectFileBrowserApp": extension_config,
    }
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(config, indent=1))
    return config_dir


class Launcher:
    """Forks Jupyter servers from a pre-warmed zygote (a class: it owns the processes)."""

    def __init__(self) -> None:
        self._zygote = subprocess.Popen(
            [sys.executable, str(ZYGOTE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            text=True,
            preexec_fn=_die_with_parent,  # the test runner is single-threaded here
        )
        assert self._zygote.stdout is not None
        ready = self._zygote.stdout.readline().strip()
        if ready != "ready":
            self._zygote.kill()
            raise RuntimeError(f"the Jupyter zygote did not start: {ready!r}")
        self.servers: list[JupyterProcess] = []
        self.starts = 0

    def close(self) -> None:
        for server in self.servers:
            server.kill()
        if self._zygote.poll() is None:
            assert self._zygote.stdin is not None
            self._zygote.stdin.close()
            try:
                self._zygote.wait(10)
            except subprocess.TimeoutExpired:
                self._zygote.kill()
                self._zygote.wait()
        if self._zygote.stdout is not None:
            self._zygote.stdout.close()

    def _fork(self, argv: list[str], env: dict[str, str], cwd: Path, log: Path, exit_file: Path):
        assert self._zygote.stdin is not None and self._zygote.stdout is not None
        request = {
            "argv": argv,
            "env": env,
            "cwd": str(cwd),
            "log": str(log),
            "exit_file": str(exit_file),
        }
        self._zygote.stdin.write(json.dumps(request) + "\n")
        self._zygote.stdin.flush()
        return int(self._zygote.stdout.readline())

    def start(
        self,
        home: Path,
        *,
        db_path: Path,
        cloud_url: str,
        projects_root: Path,
        api_key: str = "demo-alice-key",
        server_name: str = "crash-lab",
        crash_at: str | None = None,
        crash_who: str | None = None,
        retry_attempts: int = 4,
        cloud_timeout: float = 10.0,
        concurrency: int = 4,
        extra: dict[str, Any] | None = None,
    ) -> JupyterProcess:
        """A Jupyter server whose Jupyter state lives under `home`, its store at `db_path`;
        `extra`: more ProjectFileBrowserApp settings (e.g. auto-sync delays);
        `crash_who="worker"`: the crash point kills only the sync worker, not the server."""
        home.mkdir(parents=True, exist_ok=True)
        (home / "root").mkdir(exist_ok=True)
        config_dir = _write_config(
            home,
            {
                "db_url": f"sqlite:///{db_path}",
                "cloud_url": cloud_url,
                "cloud_api_key": api_key,
                "projects_root": str(projects_root),
                "watch_folders": False,
                "server_name": server_name,
                "cloud_retry_attempts": retry_attempts,
                "cloud_timeout": cloud_timeout,
                "sync_concurrency": concurrency,
                **(extra or {}),
            },
        )
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(config_dir),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "HOME": str(home),
        }
        for name in ("AEXT_PFB_CRASH_AT", "AEXT_PFB_CRASH_WHO", "PYTEST_CURRENT_TEST"):
            env.pop(name, None)
        if crash_at:
            env["AEXT_PFB_CRASH_AT"] = crash_at
        if crash_who:
            env["AEXT_PFB_CRASH_WHO"] = crash_who
        for attempt in range(3):
            try:
                return self._start_once(home, db_path, env, crash_at)
            except PortTaken:  # another process took the free port we picked: pick again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _start_once(
        self, home: Path, db_path: Path, env: dict[str, str], crash_at: str | None
    ) -> JupyterProcess:
        token = uuid.uuid4().hex
        port = free_port()
        argv = [
            "jupyter-server",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={home / 'root'}",
            f"--IdentityProvider.token={token}",
        ]
        self.starts += 1
        log_path = home / f"jupyter-{self.starts:03}-{port}.log"
        exit_file = home / f"jupyter-{self.starts:03}-{port}.exit"
        pid = self._fork(argv, env, home, log_path, exit_file)
        server = JupyterProcess(
            url=f"http://127.0.0.1:{port}/",
            token=token,
            home=home,
            db_path=db_path,
            pid=pid,
            log_path=log_path,
            exit_file=exit_file,
            crash_at=crash_at,
        )
        self.servers.append(server)
        try:
            _wait_healthy(server)
        except BaseException:
            server.kill()
            if "already in use" in server.log_tail():
                raise PortTaken(port) from None
            raise
        return server


class PortTaken(Exception):
    """The port picked for a server was taken before it could listen."""


def _wait_healthy(server: JupyterProcess, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    health = f"{server.url}{EXTENSION}/health"
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(
                f"the Jupyter server exited with {server.exit_code()} at start-up:\n"
                + server.log_tail()
            )
        with contextlib.suppress(httpx.HTTPError):
            answer = httpx.get(health, headers=server.headers, timeout=2.0)
            if answer.status_code == 404 and "error adding extension" in server.log_tail():
                raise RuntimeError(f"the extension did not load:\n{server.log_tail()}")
            if answer.status_code == 200:
                body = answer.json()
                if body.get("status") != "ok":
                    raise RuntimeError(f"the Jupyter server is degraded: {body}")
                return
        time.sleep(0.05)
    raise RuntimeError(
        f"the Jupyter server did not answer within {timeout:g} s:\n{server.log_tail()}"
    )


@dataclass
class WsRun:
    """What one request over the WebSocket produced."""

    request_id: str
    messages: list[dict[str, Any]]
    died: bool = False  # the socket closed before `completed`/`failed`

    @property
    def end(self) -> dict[str, Any] | None:
        last = self.messages[-1] if self.messages else None
        return last if last and last["type"] in ("completed", "failed") else None

    @property
    def accepted(self) -> dict[str, Any] | None:
        return next((m for m in self.messages if m["type"] == "accepted"), None)

    @property
    def conflicts(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == "conflict"]

    def unclean(self) -> str | None:
        """Why the run did not end cleanly, or None: `failed` with a code and a message, or
        `completed` whose summary lists every failure with a code and a message."""
        end = self.end
        if end is None:
            return "the run sent no `completed` or `failed`" + (" (socket closed)" * self.died)
        if end["type"] == "failed":
            ok = isinstance(end.get("code"), str) and end["code"] and end.get("message")
            return None if ok else f"`failed` without a code or message: {end}"
        summary = end["summary"]
        if summary["result"] == "ok":
            return None
        failures = summary.get("failures") or []
        if not failures:
            return f"a {summary['result']!r} run lists no failures: {summary}"
        vague = [f for f in failures if not f.get("code") or not f.get("message")]
        return f"failures without a code or message: {vague}" if vague else None

    def planned(self) -> int:
        """How many operations the accepted plan held (-1 without an `accepted`)."""
        accepted = self.accepted
        return -1 if accepted is None else sum(accepted["plan"]["counts"].values())


async def connect(server: JupyterProcess) -> WebSocketClientConnection:
    url = server.url.replace("http://", "ws://") + f"{EXTENSION}/ws"
    request = HTTPRequest(url, headers=server.headers, connect_timeout=10, request_timeout=10)
    return await websocket_connect(request)


async def run_over_ws(
    server: JupyterProcess,
    project_id: str,
    kind: str = "sync",
    *,
    force: bool = False,
    timeout: float = 120.0,
    on_accepted: Callable[[], object] | None = None,
) -> WsRun:
    """One push/pull/sync; `on_accepted()` is called when `accepted` arrives (the crash
    tests schedule a SIGKILL of the server or the replica from it)."""
    ws = await connect(server)
    return await run_on_socket(
        ws, project_id, kind, force=force, timeout=timeout, on_accepted=on_accepted
    )


async def run_on_socket(
    ws: WebSocketClientConnection,
    project_id: str,
    kind: str = "sync",
    *,
    force: bool = False,
    timeout: float = 120.0,
    on_accepted: Callable[[], object] | None = None,
) -> WsRun:
    """`run_over_ws` on an open socket (e.g. from `jp_ws_fetch`); closes it at the end."""
    request_id = uuid.uuid4().hex
    run = WsRun(request_id, [])
    ws.write_message(
        json.dumps(
            {"type": kind, "request_id": request_id, "project_id": project_id, "force": force}
        )
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while True:
            raw = await asyncio.wait_for(ws.read_message(), max(0.1, deadline - loop.time()))
            if raw is None:
                run.died = True
                break
            message = json.loads(raw)
            if message.get("request_id") != request_id:
                continue
            run.messages.append(message)
            if message["type"] == "accepted" and on_accepted is not None:
                on_accepted()
            if message["type"] in ("completed", "failed"):
                break
    finally:
        ws.close()
    return run


def kill_later(server: JupyterProcess, delay: float) -> asyncio.TimerHandle:
    """SIGKILL the server `delay` seconds from now (from the event loop, not a thread)."""

    def kill() -> None:
        if server.alive():
            os.kill(server.pid, signal.SIGKILL)

    return asyncio.get_running_loop().call_later(delay, kill)
