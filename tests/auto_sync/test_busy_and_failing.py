"""Auto-sync next to other runs and against a failing cloud: a replica of this module's own,
so its faults (latency, errors) touch no other test."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime
from typing import Any

import pytest

from aext_project_filebrowser_server.testing import remote_files, run_over_ws, write_tree

from .conftest import RETRY_S, get_project, history
from .test_auto_sync import auto_completed, synced_base

MANY = {f"slow/s{i:02}.txt": f"slow {i}\n".encode() for i in range(12)}


@pytest.fixture
def auto_replica(replica_factory: Any) -> Any:
    return replica_factory()


def index_of(messages: list[dict[str, Any]], found: Any) -> int:
    return next(i for i, m in enumerate(messages) if found(m))


async def test_a_change_during_a_run_syncs_after_it_never_beside_it(
    jp_fetch, jp_ws_fetch, make_project, listen, cloud_http, auto_replica
) -> None:
    project, listener = await synced_base(make_project, listen, jp_fetch)
    before = len(listener.auto_ends())
    write_tree(project.root, MANY)
    auto_replica.set_faults("latency=700ms")  # a manual sync that lasts several seconds
    try:
        manual = asyncio.ensure_future(run_over_ws(jp_ws_fetch, project.id, "sync", timeout=180))
        await listener.wait_for(
            lambda ms: any(m["type"] == "accepted" and "trigger" not in m for m in ms)
        )
        (project.root / "during.txt").write_text("saved while the manual sync ran\n")
        messages = await manual
    finally:
        auto_replica.set_faults("")
    assert messages[-1]["type"] == "completed", messages[-1]
    await listener.wait_for(lambda ms: auto_completed(ms, before + 1), 120)

    seen = listener.messages
    manual_id = messages[-1]["request_id"]
    manual_end = index_of(
        seen, lambda m: m.get("request_id") == manual_id and m["type"] == "completed"
    )
    auto_start = index_of(
        seen[manual_end:], lambda m: m["type"] == "accepted" and m.get("trigger") == "auto"
    )
    assert auto_start > 0  # the automatic run was accepted only after the manual one ended
    assert (
        remote_files(cloud_http, project.id)["during.txt"] == b"saved while the manual sync ran\n"
    )
    runs = sorted(await history(jp_fetch, project.id), key=lambda r: r["started_at"])
    for earlier, later in itertools.pairwise(runs):  # never two runs of the project at once
        assert datetime.fromisoformat(later["started_at"]) >= datetime.fromisoformat(
            earlier["finished_at"]
        ), runs


async def test_a_manual_run_during_an_automatic_one_is_refused(
    jp_fetch, jp_ws_fetch, make_project, listen, auto_replica
) -> None:
    project, listener = await synced_base(make_project, listen, jp_fetch)
    auto_replica.set_faults("latency=700ms")
    try:
        write_tree(project.root, MANY)
        await listener.wait_for(
            lambda ms: (
                any(m["type"] == "accepted" and m.get("trigger") == "auto" for m in ms[-40:])
                and sum(m["type"] == "accepted" and m.get("trigger") == "auto" for m in ms) >= 2
            )
        )
        refused = await run_over_ws(jp_ws_fetch, project.id, "sync", timeout=60)
    finally:
        auto_replica.set_faults("")
    assert refused[-1]["type"] == "failed" and refused[-1]["code"] == "sync_in_progress"
    await listener.wait_for(lambda ms: auto_completed(ms, 2), 120)


async def test_a_failing_cloud_is_retried_later_not_in_a_loop(
    jp_fetch, make_project, listen, auto_replica, cloud_http
) -> None:
    project, listener = await synced_base(make_project, listen, jp_fetch)
    auto_replica.set_faults("error_rate=1,status=503")  # the cloud is down
    try:
        (project.root / "while-down.txt").write_text("saved while the cloud was down\n")
        await listener.wait_for(
            lambda ms: (
                sum(m["type"] == "failed" and m.get("trigger") == "auto" for m in ms) >= 3
                or sum(
                    m["type"] == "completed"
                    and m.get("trigger") == "auto"
                    and m["summary"]["result"] != "ok"
                    for m in ms
                )
                >= 3
            ),
            120,
        )
    finally:
        auto_replica.set_faults("")
    mark = len(listener.messages)
    runs = [r for r in await history(jp_fetch, project.id) if r["result"] != "ok"]
    runs.sort(key=lambda r: r["started_at"])
    assert len(runs) >= 3
    gaps = [
        (datetime.fromisoformat(b["started_at"]) - datetime.fromisoformat(a["finished_at"]))
        for a, b in itertools.pairwise(runs)
    ]
    # waits of RETRY_S, then twice that: never straight back at the cloud
    assert gaps[0].total_seconds() >= RETRY_S * 0.9, gaps
    assert gaps[1].total_seconds() >= 2 * RETRY_S * 0.9, gaps
    assert (await get_project(jp_fetch, project.id))["auto_sync"]["mode"] == "on_save"
    # the cloud is back: the next retry syncs the change
    await listener.wait_for(
        lambda ms: any(
            m["type"] == "completed"
            and m.get("trigger") == "auto"
            and m["summary"]["result"] == "ok"
            for m in ms[mark:]
        ),
        120,
    )
    assert remote_files(cloud_http, project.id)["while-down.txt"] == (
        b"saved while the cloud was down\n"
    )
