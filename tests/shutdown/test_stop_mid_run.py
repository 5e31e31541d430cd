"""A stop in the middle of a push: the server still exits within 2 s, the journal is left
consistent, and after the next start a sync finishes the work with nothing lost.

Two ways a run can be caught: its files in flight finish within the grace period (the run
stops at its safe point and is recorded `cancelled`), or they do not (every upload takes
longer than the grace: the tasks are cancelled, and the next start marks the run and its
pending journal entries `interrupted`, the crash-recovery path). Uploads are slowed by the
replica's latency fault (PUT only) so that the stop lands mid-run every time.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability.jupyter_process import run_over_ws

from aext_project_filebrowser_server.testing import local_files, remote_files, write_tree

from .plain_server import STOPPED_LINE, plain_server
from .test_signals import create_project, stop_budget_s

EXT = "aext_project_filebrowser_server"
IN_FLIGHT_S = 0.5  # after `accepted`: a few fast uploads done, the slow ones all in flight
TREE = {f"data/part-{i:03}.bin": bytes([i]) * (32 * 1024 + i) for i in range(24)}


def journal_states(db_path: Path) -> dict[str, int]:
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT state, count(*) FROM sync_journal GROUP BY state").fetchall()
    return dict(rows)


def history(server: Any, project_id: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{server.url}{EXT}/projects/{project_id}/history", headers=server.headers, timeout=30
    )
    assert answer.status_code == 200, answer.text
    runs: list[dict[str, Any]] = answer.json()["runs"]
    return runs


def planned(server: Any, project_id: str) -> int:
    answer = httpx.get(
        f"{server.url}{EXT}/projects/{project_id}/plan",
        params={"direction": "sync"},
        headers=server.headers,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return len(answer.json()["operations"])


@pytest.mark.parametrize(
    ("latency", "recorded", "hard"),
    [("150ms", "cancelled", 0), ("2500ms", "interrupted", 1)],
    ids=["safe-point", "cancelled-mid-upload"],
)
async def test_stop_mid_push_then_resume(
    tmp_path: Path,
    server_config: dict[str, Any],
    replica_factory: Any,
    latency: str,
    recorded: str,
    hard: int,
) -> None:
    replica = replica_factory()
    config = {**server_config, "cloud_url": replica.url, "sync_concurrency": 2}
    home = tmp_path / "home"
    with plain_server(home, config) as first:
        project = create_project(first.server, "Stopped mid-run")
        folder = Path(project["local_path"])
        write_tree(folder, TREE)
        replica.set_faults(f"latency={latency},methods=PUT")
        loop = asyncio.get_running_loop()
        stop: asyncio.Future[float] = loop.create_future()

        def stop_now() -> None:
            stop.set_result(loop.time())
            first.process.send_signal(signal.SIGTERM)

        def stop_soon() -> None:  # uploads are in flight by then, and none of the slow done
            loop.call_later(IN_FLIGHT_S, stop_now)

        run = await run_over_ws(first.server, project["id"], "push", on_accepted=stop_soon)
        await asyncio.to_thread(first.process.wait, 30)
        took = loop.time() - await stop
        log = first.server.log_path.read_text()
    assert took < stop_budget_s(), f"stopped after {took:.2f} s:\n{log[-3000:]}"
    assert first.process.returncode == 0, log[-3000:]
    assert f"{STOPPED_LINE}" in log and f"1 runs stopped, {hard} of them cancelled" in log, log
    if recorded == "cancelled":
        assert run.end is not None and run.end["summary"]["result"] == "cancelled", run.messages
    journal = journal_states(Path(config["db_url"].removeprefix("sqlite:///")))
    assert journal.get("pending", 0) > 0, journal  # the stop left work for the next start

    replica.set_faults("")
    with plain_server(home, config) as second:
        runs = history(second.server, project["id"])
        assert [r["result"] for r in runs] == [recorded], runs
        assert journal_states(second.server.db_path).get("pending", 0) == 0
        again = await run_over_ws(second.server, project["id"], "sync")
        assert again.unclean() is None, again.messages
        assert again.end is not None and again.end["summary"]["result"] == "ok"
        assert planned(second.server, project["id"]) == 0
        with httpx.Client(
            base_url=replica.url, headers={"Authorization": "Bearer demo-alice-key"}
        ) as cloud:
            assert remote_files(cloud, project["id"]) == TREE
        assert local_files(folder) == TREE
        assert second.signal_and_wait(signal.SIGINT) < stop_budget_s()
