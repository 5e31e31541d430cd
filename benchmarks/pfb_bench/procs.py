"""Starting and stopping the processes under test, and reading their memory use.

Every server listens on 127.0.0.1 only. Each is started as a subprocess whose output goes to
a log file in the work dir; `Proc.stop` ends exactly that process (by its pid).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
EXTENSION = "aext_project_filebrowser_server"
API_KEY = "demo-alice-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


STARTED: list[Proc] = []


def stop_all() -> None:
    """Stop every server this benchmark started (each by its own pid)."""
    while STARTED:
        STARTED.pop().stop()


@dataclass
class Proc:
    """A server process we started, where it listens, and its log."""

    name: str
    popen: subprocess.Popen[bytes]
    url: str
    log_path: Path
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def __post_init__(self) -> None:
        STARTED.append(self)

    def stop(self, timeout: float = 15.0) -> None:
        if self in STARTED:
            STARTED.remove(self)
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        if self.popen.stdin is not None:
            self.popen.stdin.close()
        if self._log is not None:
            self._log.close()


START_TIMEOUT_S = 180  # a Jupyter server starts in ~5 s idle, but far slower on a busy machine


def _log_tail(log: Path | None) -> str:
    if log is None or not log.exists():
        return ""
    lines = log.read_text(errors="replace").splitlines()[-15:]
    return "\n--- last lines of " + str(log) + ":\n" + "\n".join(lines)


def _wait_http(
    url: str,
    proc: subprocess.Popen[bytes],
    headers: dict[str, str],
    what: str,
    log: Path | None = None,
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{what} exited with {proc.returncode} before it was ready{_log_tail(log)}"
            )
        try:
            if httpx.get(url, headers=headers, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"{what} did not answer {url} in {START_TIMEOUT_S} s{_log_tail(log)}")


def start_replica(data_dir: Path, log_dir: Path) -> Proc:
    """`aext-project-replica --port 0 --data DIR`; its URL is the first stdout line."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "replica.log"
    log = log_path.open("wb")
    popen = subprocess.Popen(
        [
            str(VENV_BIN / "aext-project-replica"),
            "--port",
            "0",
            "--data",
            str(data_dir),
            "--exit-with-parent",
            "--log-level",
            "WARNING",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
    )
    assert popen.stdout is not None
    url = popen.stdout.readline().decode().strip()
    if not url.startswith("http"):
        popen.kill()
        raise RuntimeError(f"the replica did not print its URL (see {log_path})")
    _wait_http(f"{url}/api/projects/healthz", popen, {}, "the replica", log_path)
    return Proc("replica", popen, url, log_path, log)


def extension_enabled(env: dict[str, str]) -> bool:
    """Whether an installed config file enables the extension (as `jupyter server extension
    list` would say, without starting a process): a `jupyter_server_config.d/` entry."""
    code = (
        "import json, pathlib\n"
        "from jupyter_core.paths import jupyter_config_path\n"
        "found = False\n"
        "for folder in jupyter_config_path():\n"
        "    for f in pathlib.Path(folder, 'jupyter_server_config.d').glob('*.json'):\n"
        "        try: ext = json.loads(f.read_text())['ServerApp']['jpserver_extensions']\n"
        "        except (KeyError, ValueError, OSError): continue\n"
        f"        found = found or ext.get('{EXTENSION}') is True\n"
        "print(found)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    return out.stdout.strip() == "True"


def start_jupyter(
    name: str,
    home: Path,
    root: Path,
    db_path: Path,
    cloud_url: str,
    token: str,
    *,
    watch_folders: bool = False,
) -> Proc:
    """A Jupyter server with the extension, its config/data/runtime dirs under `home`. The
    folder watcher is off unless asked for: the transfer rows measure the runs alone."""
    env = dict(os.environ)
    for kind in ("CONFIG", "DATA", "RUNTIME"):
        folder = home / kind.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[f"JUPYTER_{kind}_DIR"] = str(folder)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    port = free_port()
    args = [
        str(VENV_BIN / "jupyter"),
        "server",
        "--no-browser",
        f"--ServerApp.port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={token}",
        f"--ProjectFileBrowserApp.db_url=sqlite:///{db_path}",
        f"--ProjectFileBrowserApp.cloud_url={cloud_url}",
        f"--ProjectFileBrowserApp.cloud_api_key={API_KEY}",
        f"--ProjectFileBrowserApp.watch_folders={watch_folders}",
    ]
    if os.geteuid() == 0:
        args.append("--allow-root")
    if not extension_enabled(env):
        args.append(f"--ServerApp.jpserver_extensions={{'{EXTENSION}': True}}")
    log_path = home / "jupyter.log"
    log = log_path.open("wb")
    popen = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/"
    _wait_http(
        f"{url}{EXTENSION}/health",
        popen,
        {"Authorization": f"token {token}"},
        f"jupyter server {name}",
        log_path,
    )
    return Proc(name, popen, url, log_path, log)


def start_webdav(root: Path, log_dir: Path) -> Proc:
    """`rclone serve webdav ROOT` on loopback, as the reference tools' server."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = log_dir / "webdav.log"
    log = log_path.open("wb")
    popen = subprocess.Popen(
        [rclone_bin(), "serve", "webdav", str(root), "--addr", f"127.0.0.1:{port}"],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_http(url + "/", popen, {}, "rclone serve webdav", log_path)
    return Proc("webdav", popen, url, log_path, log)


def start_netem(name: str, target_url: str, rtt_ms: float, log_dir: Path) -> Proc:
    """The user-space link (`netem.py`) in front of `target_url`: every byte `rtt_ms / 2`
    late in each direction. Its URL replaces the target's."""
    target = httpx.URL(target_url)
    port = free_port()
    log_path = log_dir / f"netem-{name}.log"
    log = log_path.open("wb")
    popen = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pfb_bench.netem",
            "--listen",
            str(port),
            "--target",
            f"{target.host}:{target.port}",
            "--rtt-ms",
            str(rtt_ms),
        ],
        cwd=Path(__file__).resolve().parents[1],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}{target.raw_path.decode().rstrip('/')}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:  # listening: a connection is accepted
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return Proc(f"netem-{name}", popen, url, log_path, log)
        time.sleep(0.05)
    popen.kill()
    raise RuntimeError(f"the link to {target_url} did not start{_log_tail(log_path)}")


def rclone_bin() -> str:
    found = shutil.which("rclone")
    if found is None:
        raise FileNotFoundError("rclone is not installed")
    return found


# ---------------------------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------------------------


def read_status_kib(pid: int) -> dict[str, int]:
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                values[key] = int(value.split()[0])
    return values


WORKER_MODULE = "aext_project_filebrowser_server.services.sync.worker"


def sync_worker_pid(server_pid: int) -> int | None:
    """The sync worker a Jupyter server started (at its first run), if it is running: the
    runs' CPU and memory are there, so every figure of a server adds its worker's."""
    try:
        with open(f"/proc/{server_pid}/task/{server_pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        return None
    for child in children:
        try:
            with open(f"/proc/{child}/cmdline", "rb") as f:
                if WORKER_MODULE.encode() in f.read():
                    return child
        except OSError:
            continue
    return None


def _rss_kib(pid: int | None, key: str = "VmRSS") -> int:
    if pid is None:
        return 0
    try:
        return read_status_kib(pid)[key]
    except (OSError, KeyError):
        return 0


def _reset_hwm(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class PeakRss:
    """Peak RSS growth of a process and its sync worker over a block: resets VmHWM
    (clear_refs 5) where the kernel allows, and also samples VmRSS every 10 ms, taking the
    larger of the two peaks. With a worker the HWM peak is the sum of both processes' own
    peaks, which may not have coincided: an upper bound. A worker started during the block
    counts whole (it was 0 before)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.worker: int | None = None
        self.before_kib = 0
        self.peak_kib = 0
        self.hwm_reset = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _both_kib(self, key: str = "VmRSS") -> int:
        if self.worker is None or not os.path.exists(f"/proc/{self.worker}"):
            self.worker = sync_worker_pid(self.pid)
        return _rss_kib(self.pid, key) + _rss_kib(self.worker, key)

    def __enter__(self) -> PeakRss:
        self.worker = sync_worker_pid(self.pid)
        self.hwm_reset = _reset_hwm(self.pid)
        _reset_hwm(self.worker)
        self.before_kib = self._both_kib()
        self.peak_kib = self.before_kib
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            if not os.path.exists(f"/proc/{self.pid}"):
                return
            self.peak_kib = max(self.peak_kib, self._both_kib())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_kib = max(self.peak_kib, self._both_kib())
        if self.hwm_reset:
            self.peak_kib = max(self.peak_kib, self._both_kib("VmHWM"))

    @property
    def growth_mib(self) -> float:
        return (self.peak_kib - self.before_kib) / 1024


# ---------------------------------------------------------------------------------------------
# CPU
# ---------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuUse:
    """CPU seconds each named process used over a block, and the block's wall time. A
    "Jupyter" process's sync worker is counted too (as "Jupyter's sync worker"): a worker
    started during the block counts whole."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.used: dict[str, float] = {}
        self.wall = 0.0
        self._start: dict[str, float] = {}
        self._workers: dict[str, tuple[int | None, float]] = {}
        self._clock = 0.0

    def __enter__(self) -> CpuUse:
        self._start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        for name, pid in self.pids.items():
            if name == "Jupyter":
                worker = sync_worker_pid(pid)
                self._workers[name] = (worker, cpu_seconds(worker) if worker else 0.0)
        self._clock = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._clock
        self.used = {name: cpu_seconds(pid) - self._start[name] for name, pid in self.pids.items()}
        for name, (before_pid, before) in self._workers.items():
            worker = sync_worker_pid(self.pids[name])
            if worker is not None:
                since = before if worker == before_pid else 0.0
                self.used[f"{name}'s sync worker"] = cpu_seconds(worker) - since

    def text(self) -> str:
        parts = [f"{name} {used:.2f} s" for name, used in self.used.items()]
        return f"CPU {', '.join(parts)} in {self.wall:.2f} s wall"
