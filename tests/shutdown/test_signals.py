"""SIGINT and SIGTERM stop a server with the extension promptly, with no terminal: within
2 s, or within the time Jupyter Server without the extension takes to exit on the
same machine in the same run plus 1.5 s, whichever is longer.

Before the fix, a server started with stdin from /dev/null (how JupyterHub's spawners,
systemd and CI start it) ignored SIGINT: the KeyboardInterrupt ended the loop without
stopping the extensions, and the process then waited forever for the folder watcher's
worker thread; a SIGTERM after that found no loop to stop. These tests start the server
exactly that way, check the watcher works (so the thread that used to hang is running),
then time the stop and look for the line `stop_extension` logs.
"""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability.jupyter_process import connect

from .plain_server import STOPPED_LINE, jupyter_own_stop_s, plain_server

EXT = "aext_project_filebrowser_server"
# What the extension may add to Jupyter's own exit (benchmarks/server_cost.py measured +0.8 s).
OUR_SHARE_S = 1.5


def stop_budget_s() -> float:
    """The stop budget: 2 s, or Jupyter's own exit time here plus our share. (A stop that
    hangs, as before the fix, still fails: it waited forever for the watcher thread.)"""
    return max(2.0, jupyter_own_stop_s() + OUR_SHARE_S)


def create_project(server: Any, title: str) -> dict[str, Any]:
    answer = httpx.post(
        f"{server.url}{EXT}/projects", json={"title": title}, headers=server.headers, timeout=30
    )
    assert answer.status_code == 201, answer.text
    project: dict[str, Any] = answer.json()
    return project


async def local_change_seen(server: Any, folder: Path) -> dict[str, Any]:
    """Subscribe, edit a file in `folder`, and return the `project_changed` that follows."""
    ws = await connect(server)
    try:
        ws.write_message(json.dumps({"type": "subscribe", "project_ids": "*"}))
        while json.loads(await asyncio.wait_for(ws.read_message(), 10))["type"] != "subscribed":
            pass
        (folder / "edited.txt").write_text("an edit\n")
        while True:
            message = json.loads(await asyncio.wait_for(ws.read_message(), 10))
            if message["type"] == "project_changed":
                return message
    finally:
        ws.close()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_signal_stops_the_server_promptly(
    tmp_path: Path, server_config: dict[str, Any], signum: int
) -> None:
    with plain_server(tmp_path / "home", server_config) as started:
        project = create_project(started.server, "Watched")
        changed = await local_change_seen(started.server, Path(project["local_path"]))
        assert changed == {
            "type": "project_changed",
            "project_id": project["id"],
            "reason": "local_change",
        }
        took = started.signal_and_wait(signum)
        log = started.server.log_path.read_text()
    assert took < stop_budget_s(), f"stopped after {took:.2f} s:\n{log[-3000:]}"
    assert started.process.returncode == 0, log[-3000:]
    assert STOPPED_LINE in log, log[-3000:]
    print(f"{signal.Signals(signum).name}: exited {took:.2f} s after the signal")


async def test_second_sigint_still_interrupts(tmp_path: Path, server_config: dict[str, Any]):
    """Two Ctrl-C in a row stop it as promptly as one. (Whether the second arrives before or
    during the clean stop is up to the scheduler; that no thread of ours can keep the process
    alive after a KeyboardInterrupt is checked in tests/foundation/test_watch_thread.py.)"""
    with plain_server(tmp_path / "home", server_config) as started:
        project = create_project(started.server, "Twice")
        await local_change_seen(started.server, Path(project["local_path"]))
        started.process.send_signal(signal.SIGINT)
        took = started.signal_and_wait(signal.SIGINT)
        log = started.server.log_path.read_text()
    assert took < stop_budget_s(), f"stopped after {took:.2f} s:\n{log[-3000:]}"
