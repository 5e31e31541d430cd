"""The sync worker: runs execute in a child process of the Jupyter server, and the server
outlives it.

A real Jupyter server (a child of the test) and a real replica. The worker is found the way
an operator would find it: a child process of the server running
`aext_project_filebrowser_server.services.sync.worker`. SIGKILLed from outside in the
middle of a push (the OOM killer's way), the run must end `failed` with code
`worker_failed` and be recorded `interrupted`; the same server, without a restart, must
take the next push in a new worker, converge, and then plan nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess, start_replica

from .evidence import cloud_http, convergence_problems
from .inprocess import Project, add_local_project, create_cloud_project
from .jupyter_process import JupyterProcess, Launcher, run_over_ws

WORKER_MODULE = b"aext_project_filebrowser_server.services.sync.worker"
EXT = "aext_project_filebrowser_server"
ADMIN = "test-admin"
FILES = 30


def sync_workers(server_pid: int) -> list[int]:
    """The server's children that are sync workers."""
    with open(f"/proc/{server_pid}/task/{server_pid}/children") as f:
        children = [int(c) for c in f.read().split()]
    workers = []
    for child in children:
        try:
            with open(f"/proc/{child}/cmdline", "rb") as f:
                if WORKER_MODULE in f.read():
                    workers.append(child)
        except OSError:
            continue
    return workers


def history(server: JupyterProcess, project_id: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{server.url}{EXT}/projects/{project_id}/history", headers=server.headers, timeout=30
    )
    assert answer.status_code == 200, answer.text
    runs: list[dict[str, Any]] = answer.json()["runs"]
    return runs


def write_files(root: Path) -> None:
    for i in range(FILES):
        (root / f"part-{i:02}.bin").write_bytes(os.urandom(2048 + i))


def kill_worker(server: JupyterProcess, killed: list[int]) -> None:
    """SIGKILL the server's sync worker (the run is under way: it sent `accepted`)."""
    workers = sync_workers(server.pid)
    assert len(workers) == 1, workers
    os.kill(workers[0], signal.SIGKILL)
    killed.append(workers[0])


@dataclass
class Lab:
    replica: ReplicaProcess
    http: httpx.Client
    project: Project
    server: JupyterProcess


@contextlib.contextmanager
def lab(tmp_path: Path, launcher: Launcher, **server_options: Any) -> Iterator[Lab]:
    """A replica, a project of FILES files on disk (not pushed yet) and a server."""
    replica = start_replica(tmp_path / "replica", admin_token=ADMIN)
    try:
        with cloud_http(replica.url) as http:
            db = tmp_path / "state" / "store.db"
            cloud = create_cloud_project(http, "sync worker")
            project = add_local_project(db, cloud, tmp_path / "folders" / "p")
            write_files(project.root)
            server = launcher.start(
                tmp_path / "home",
                db_path=db,
                cloud_url=replica.url,
                projects_root=tmp_path / "home" / "projects",
                **server_options,
            )
            try:
                yield Lab(replica, http, project, server)
            finally:
                server.stop()
    finally:
        replica.stop()


@pytest.mark.timeout(300)
async def test_a_killed_worker_fails_its_run_and_the_server_resumes_in_a_new_one(
    tmp_path: Path, launcher: Launcher
) -> None:
    workers: list[int] = []
    with lab(tmp_path, launcher, concurrency=2) as it:
        server, project = it.server, it.project
        assert sync_workers(server.pid) == []  # started at the first run only
        it.replica.set_faults("latency=400ms,methods=PUT")
        killed: list[int] = []
        loop = asyncio.get_running_loop()
        first = await run_over_ws(
            server,
            project.id,
            "push",
            timeout=120,
            # a few uploads done, the others slowed by the fault
            on_accepted=lambda: loop.call_later(0.5, kill_worker, server, killed),
        )
        assert killed, "the run ended before the kill"
        assert first.end is not None, first.messages
        assert first.end["type"] == "failed", first.end
        assert first.end["code"] == "worker_failed", first.end
        assert "stopped unexpectedly" in first.end["message"]
        assert server.alive(), "the server died with its worker"
        assert history(server, project.id)[0]["result"] == "interrupted"
        it.replica.set_faults("")

        second = await run_over_ws(server, project.id, "push", timeout=120)
        assert second.end is not None and second.end["type"] == "completed", second.end
        assert second.end["summary"]["result"] == "ok", second.end
        workers = sync_workers(server.pid)
        assert len(workers) == 1 and workers[0] not in killed, workers
        assert convergence_problems(project.root, it.http, project.id) == []
        third = await run_over_ws(server, project.id, "push", timeout=60)
        assert third.planned() == 0, third.accepted
    time.sleep(0.5)
    for pid in workers:  # it exits with its server
        cmdline = Path(f"/proc/{pid}/cmdline")
        assert not cmdline.exists() or WORKER_MODULE not in cmdline.read_bytes()


@pytest.mark.timeout(120)
async def test_runs_stay_in_the_server_when_the_worker_is_turned_off(
    tmp_path: Path, launcher: Launcher
) -> None:
    with lab(tmp_path, launcher, extra={"sync_in_worker": False}) as it:
        run = await run_over_ws(it.server, it.project.id, "push", timeout=60)
        assert run.end is not None and run.end["type"] == "completed", run.end
        assert run.end["summary"]["counts"] == {"upload": FILES}, run.end
        assert sync_workers(it.server.pid) == []
        assert convergence_problems(it.project.root, it.http, it.project.id) == []
