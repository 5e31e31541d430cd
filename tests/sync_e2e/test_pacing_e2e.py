"""Pacing through a real server and replica: over a slow link a push keeps more files in
flight than it starts with; when the cloud throttles, the run slows down and still
completes; the summary says how long the run waited on the network."""

from __future__ import annotations

from pathlib import Path

from aext_project_filebrowser_server.cloud.pacing import START
from aext_project_filebrowser_server.testing import local_files, remote_files, run_over_ws


def write_many(root: Path, count: int) -> None:
    for i in range(count):
        target = root / f"many/{i // 20}/{i}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f"file {i}\n".encode() * 40)


async def test_a_slow_link_gets_more_files_in_flight(
    jp_ws_fetch, make_project, dialect_replica, cloud_http
) -> None:
    project = await make_project()
    write_many(project.root, 160)
    dialect_replica.set_faults("latency=40ms")
    try:
        messages = await run_over_ws(jp_ws_fetch, project.id, "push")
    finally:
        dialect_replica.set_faults("")
    summary = messages[-1]["summary"]
    assert summary["result"] == "ok", summary
    assert summary["counts"] == {"upload": 160}
    network = summary["network"]
    assert network["max_in_flight"] > START, network  # it grew
    assert 0 < network["waiting_s"] <= network["seconds"], network
    assert network["throttled"] == 0
    assert remote_files(cloud_http, project.id) == local_files(project.root)


async def test_throttling_slows_the_run_and_it_still_completes(
    jp_ws_fetch, make_project, dialect_replica, cloud_http
) -> None:
    project = await make_project()
    write_many(project.root, 80)
    dialect_replica.set_faults("rate_limit=429:retry_after=1:rps=20,methods=PUT")
    try:
        messages = await run_over_ws(jp_ws_fetch, project.id, "push")
    finally:
        dialect_replica.set_faults("")
    summary = messages[-1]["summary"]
    assert summary["result"] == "ok", summary
    assert summary["counts"] == {"upload": 80}
    assert summary["network"]["throttled"] >= 1, summary["network"]
    assert remote_files(cloud_http, project.id) == local_files(project.root)
