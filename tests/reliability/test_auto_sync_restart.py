"""Auto-sync across a restart: real Jupyter server processes on one store, a real replica.

The mode is stored, so a restarted server keeps applying it, and its first automatic run
syncs what was edited while it was down. A clean stop with auto-sync on ends promptly.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess

from .evidence import cloud_http, cloud_listing
from .inprocess import add_local_project, create_cloud_project
from .jupyter_process import JupyterProcess, Launcher

API = "aext_project_filebrowser_server"
AUTO = {"auto_sync_quiet_seconds": 0.5, "watch_folders": True, "cloud_poll_interval": 0}


def call(server: JupyterProcess, method: str, path: str, **kw: Any) -> httpx.Response:
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=30) as client:
        return client.request(method, f"{API}/{path}", **kw)


async def until(found: Any, timeout: float = 90.0) -> Any:
    """Re-check `found()` (a cheap read) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while not (value := found()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)
    return value


def auto_runs(server: JupyterProcess, project_id: str) -> list[dict[str, Any]]:
    runs = call(server, "GET", f"projects/{project_id}/history").json()["runs"]
    return [r for r in runs if r["trigger"] == "auto" and r["result"] != "running"]


async def test_the_mode_survives_a_restart_and_catches_up(
    tmp_path: Path, launcher: Launcher, replica: ReplicaProcess
) -> None:
    db = tmp_path / "state" / "store.db"
    home, root = tmp_path / "jupyter", tmp_path / "jupyter" / "projects"
    with cloud_http(replica.url) as http:
        project = add_local_project(db, create_cloud_project(http, "auto"), root / "p")
        (project.root / "first.txt").write_text("before the first start\n")

        def start() -> JupyterProcess:
            return launcher.start(
                home, db_path=db, cloud_url=replica.url, projects_root=root, extra=AUTO
            )

        server = start()
        try:
            answer = call(
                server, "PUT", f"projects/{project.id}/auto_sync", json={"mode": "on_save"}
            )
            assert answer.status_code == 200, answer.text
            await until(lambda: "first.txt" in cloud_listing(http, project.id))
            (project.root / "saved.txt").write_text("saved while it ran\n")
            await until(lambda: "saved.txt" in cloud_listing(http, project.id))
        finally:
            began = time.monotonic()
            server.stop()
            stopped_in = time.monotonic() - began
        assert server.exit_code() == 0, server.log_tail()
        assert stopped_in < 10, f"a stop with auto-sync on took {stopped_in:.1f} s"

        (project.root / "offline.txt").write_text("edited while the server was down\n")
        server = start()
        try:
            shown = call(server, "GET", f"projects/{project.id}").json()["project"]
            assert shown["auto_sync"]["mode"] == "on_save"
            assert shown["auto_sync"]["last_run_at"] is not None
            await until(lambda: "offline.txt" in cloud_listing(http, project.id))
            runs = await until(lambda: auto_runs(server, project.id))
            assert all(r["result"] == "ok" for r in runs), runs
        finally:
            server.stop()
