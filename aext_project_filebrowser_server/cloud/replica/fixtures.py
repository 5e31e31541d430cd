"""Pytest fixtures that run the replica as a real subprocess, and the function behind them.

`start_replica()` launches `python -m aext_project_filebrowser_server.cloud.replica --port 0`
with `--exit-with-parent` (the server stops when our end of its stdin closes, so it cannot
outlive a crashed test run), waits for the URL on its first stdout line, and returns a
`ReplicaProcess`. The server's stderr goes to `<data_dir>-replica.log` next to the data dir
(appended across restarts), quoted in the error if start-up fails.

Fixtures (loaded by `aext_project_filebrowser_server.pytest_plugin`):

- `replica`: one server for the whole session, demo seed, in a temp dir. Shared: tests that
  change its state should create their own projects, and never set faults on it.
- `evidence_replica`: the same, speaking the `evidence` dialect (`cloud.replica.dialect`).
- `dialect_replica`: parametrized, `replica` then `evidence_replica`.
- `replica_factory`: `replica_factory(data_dir=None, *, seed=None, faults=None,
  admin_token="test-admin", dialect="ours")` starts a fresh server; all are stopped at
  teardown.
- `replica_alice_key`, `replica_bob_key`, `replica_carol_key`: demo API keys (alice and bob
  are in the `acme` organization; carol is in none).
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

import httpx
import pytest

__all__ = [
    "ReplicaFactory",
    "ReplicaProcess",
    "dialect_replica",
    "evidence_replica",
    "replica",
    "replica_alice_key",
    "replica_bob_key",
    "replica_carol_key",
    "replica_factory",
    "start_replica",
]

ALICE_KEY = "demo-alice-key"
BOB_KEY = "demo-bob-key"
CAROL_KEY = "demo-carol-key"
START_TIMEOUT_S = 30.0


@dataclass
class ReplicaProcess:
    """A running replica server (a class: it owns the child process and its pipes)."""

    url: str
    data_dir: Path
    admin_token: str | None
    process: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] = field(repr=False)
    dialect: str = "ours"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait up to `timeout` s, then SIGKILL; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_pipes()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL at once (a crash); the data dir keeps whatever was committed."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()
        self._log.close()

    def set_faults(self, spec: str) -> str:
        """Replace the fault spec through the admin route; returns the canonical spec."""
        if not self.admin_token:
            raise RuntimeError("this replica was started without an admin token")
        response = httpx.put(
            f"{self.url}/_replica/faults",
            json={"spec": spec},
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=10.0,
        )
        response.raise_for_status()
        canonical: str = response.json()["spec"]
        return canonical

    def __enter__(self) -> ReplicaProcess:
        return self

    def __exit__(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _read_first_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    """The first stdout line, or "" if the process exits or the timeout passes first."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    buffer = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                return ""
            chunk = os.read(fd, 4096)
            if not chunk:
                return ""
            buffer += chunk
    return buffer.split(b"\n", 1)[0].decode().strip()


def start_replica(
    data_dir: Path,
    seed: Path | None = None,
    faults: str | None = None,
    admin_token: str | None = "test-admin",
    *,
    dialect: str = "ours",
    extra_args: tuple[str, ...] = (),
    timeout: float = START_TIMEOUT_S,
) -> ReplicaProcess:
    """Start a replica on a free loopback port serving `data_dir` (created if needed).
    `dialect`: `ours` or `evidence` (see `cloud.replica.dialect`)."""
    data_dir = Path(data_dir)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"{data_dir.name}-replica.log"
    command = [
        sys.executable,
        "-m",
        "aext_project_filebrowser_server.cloud.replica",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data",
        str(data_dir),
        "--exit-with-parent",
        *(["--seed", str(seed)] if seed is not None else []),
        *(["--faults", faults] if faults else []),
        *(["--admin-token", admin_token] if admin_token else []),
        *(["--dialect", dialect] if dialect != "ours" else []),
        *extra_args,
    ]
    log = log_path.open("ab")
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
    replica = ReplicaProcess("", data_dir, admin_token, process, log_path, log, dialect)
    url = _read_first_line(process, timeout)
    if not url.startswith("http"):
        replica.stop(timeout=5.0)
        stderr = log_path.read_text(errors="replace")[-4000:]
        raise RuntimeError(
            f"the replica did not start within {timeout:g} s "
            f"(exit code {process.returncode}); its stderr:\n{stderr}"
        )
    replica.url = url
    return replica


class ReplicaFactory(Protocol):
    def __call__(
        self,
        data_dir: Path | None = None,
        *,
        seed: Path | None = None,
        faults: str | None = None,
        admin_token: str | None = "test-admin",
        dialect: str = "ours",
    ) -> ReplicaProcess: ...


@pytest.fixture(scope="session")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplicaProcess]:
    """One demo-seeded replica shared by the whole session."""
    server = start_replica(tmp_path_factory.mktemp("replica-session") / "data")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def evidence_replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplicaProcess]:
    """One demo-seeded replica speaking the `evidence` dialect, shared by the session."""
    server = start_replica(tmp_path_factory.mktemp("replica-evidence") / "data", dialect="evidence")
    yield server
    server.stop()


@pytest.fixture(params=["ours", "evidence"])
def dialect_replica(
    request: pytest.FixtureRequest, replica: ReplicaProcess, evidence_replica: ReplicaProcess
) -> ReplicaProcess:
    """The session replica of each dialect in turn: a suite that takes this fixture runs
    against our design's API and against the API as the evidence shows it."""
    return evidence_replica if request.param == "evidence" else replica


@pytest.fixture
def replica_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplicaFactory]:
    """Start fresh replicas (new temp data dir unless given); all stopped at teardown."""
    started: list[ReplicaProcess] = []

    def start(
        data_dir: Path | None = None,
        *,
        seed: Path | None = None,
        faults: str | None = None,
        admin_token: str | None = "test-admin",
        dialect: str = "ours",
    ) -> ReplicaProcess:
        where = data_dir or tmp_path_factory.mktemp("replica") / "data"
        server = start_replica(
            where, seed=seed, faults=faults, admin_token=admin_token, dialect=dialect
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def replica_alice_key() -> str:
    return ALICE_KEY


@pytest.fixture(scope="session")
def replica_bob_key() -> str:
    return BOB_KEY


@pytest.fixture(scope="session")
def replica_carol_key() -> str:
    return CAROL_KEY
