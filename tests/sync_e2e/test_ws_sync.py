"""Push, pull and sync through the WebSocket against a real replica."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from aext_project_filebrowser_server.testing import (
    EXTENSION,
    local_files,
    remote_files,
    remote_versions,
    run_over_ws,
)

from .conftest import put_remote

TREE = {
    "README.md": b"# hello\n",
    "data/raw/numbers.csv": b"a,b\n1,2\n",
    "notebooks/\u00e9t\u00e9 \u65e5\u672c.ipynb": b'{"cells": []}',
    "empty.txt": b"",
    "big.bin": os.urandom(3 * 1024 * 1024 + 17),
}


def write_tree(root: Path, tree: dict[str, bytes]) -> None:
    for rel, data in tree.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


async def test_push_sends_the_tree_with_progress(jp_ws_fetch, make_project, cloud_http) -> None:
    project = await make_project()
    write_tree(project.root, TREE)
    messages = await run_over_ws(jp_ws_fetch, project.id, "push")
    kinds = [m["type"] for m in messages]
    assert kinds[0] == "accepted" and "progress" in kinds and kinds[-1] == "completed"
    assert messages[0]["plan"]["counts"]["upload"] == len(TREE)
    final_progress = [m for m in messages if m["type"] == "progress"][-1]
    assert final_progress["done_files"] == final_progress["total_files"] == len(TREE)
    assert messages[-1]["summary"]["result"] == "ok"
    assert remote_files(cloud_http, project.id) == TREE
    # a second push right after plans nothing
    again = await run_over_ws(jp_ws_fetch, project.id, "push")
    assert again[-1]["type"] == "completed"
    assert sum(again[0]["plan"]["counts"].values()) == 0


async def test_pull_brings_cloud_files_into_the_folder(jp_ws_fetch, make_project, cloud_http):
    project = await make_project()
    for rel, data in TREE.items():
        put_remote(cloud_http, project.id, rel, data)
    messages = await run_over_ws(jp_ws_fetch, project.id, "pull")
    assert messages[-1]["type"] == "completed", messages[-1]
    assert local_files(project.root) == TREE
    assert not list((project.root / ".aext-project" / "tmp").glob("*"))


async def test_conflict_keeps_both_versions(jp_ws_fetch, make_project, cloud_http) -> None:
    project = await make_project()
    write_tree(project.root, {"analysis.py": b"base\n"})
    assert (await run_over_ws(jp_ws_fetch, project.id, "sync"))[-1]["type"] == "completed"
    versions = remote_versions(cloud_http, project.id)
    put_remote(
        cloud_http,
        project.id,
        "analysis.py",
        b"cloud edit\n",
        **{"If-Match": versions["analysis.py"]},
    )
    (project.root / "analysis.py").write_bytes(b"local edit\n")
    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")
    conflicts = [m for m in messages if m["type"] == "conflict"]
    assert len(conflicts) == 1
    copy = conflicts[0]["copy_path"]
    assert copy.startswith("analysis (conflict, alice on lab-server, ") and copy.endswith(".py")
    here = local_files(project.root)
    assert here["analysis.py"] == b"cloud edit\n" and here[copy] == b"local edit\n"
    there = remote_files(cloud_http, project.id)
    assert there == here
    # converged: nothing left to do
    again = await run_over_ws(jp_ws_fetch, project.id, "sync")
    assert sum(again[0]["plan"]["counts"].values()) == 0


async def test_deletes_go_to_trash_and_edits_beat_deletes(jp_ws_fetch, make_project, cloud_http):
    project = await make_project()
    write_tree(project.root, {"keep.txt": b"k", "gone.txt": b"g", "edited.txt": b"e"})
    await run_over_ws(jp_ws_fetch, project.id, "sync")
    versions = remote_versions(cloud_http, project.id)
    for path in ("gone.txt", "edited.txt"):
        answer = cloud_http.delete(
            f"/api/projects/{project.id}/files/{path}", headers={"If-Match": versions[path]}
        )
        assert answer.status_code == 204
    (project.root / "edited.txt").write_bytes(b"edited locally")
    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")
    assert messages[-1]["type"] == "completed"
    assert local_files(project.root) == {"keep.txt": b"k", "edited.txt": b"edited locally"}
    trashed = list((project.root / ".aext-project" / "trash").rglob("gone.txt"))
    assert len(trashed) == 1 and trashed[0].read_bytes() == b"g"
    assert remote_files(cloud_http, project.id) == {
        "keep.txt": b"k",
        "edited.txt": b"edited locally",
    }


async def test_invalid_messages_get_an_error_and_the_socket_stays_open(jp_ws_fetch) -> None:
    ws = await jp_ws_fetch("aext_project_filebrowser_server", "ws")
    for bad in [
        "not json",
        json.dumps({"type": "explode"}),
        json.dumps({"type": "push"}),
        json.dumps([1, 2]),
        json.dumps({"type": "subscribe", "project_ids": 5}),
    ]:
        ws.write_message(bad)
        reply = json.loads(await ws.read_message())
        assert reply["type"] == "error" and reply["code"] == "invalid_message"
    ws.write_message(json.dumps({"type": "subscribe", "project_ids": "*"}))
    assert json.loads(await ws.read_message())["type"] == "subscribed"
    ws.close()


async def test_unknown_project_fails_cleanly(jp_ws_fetch) -> None:
    messages = await run_over_ws(jp_ws_fetch, "no-such-project", "push")
    assert messages[-1]["type"] == "failed" and messages[-1]["code"] == "not_found"


async def test_subscribers_hear_project_changed(jp_ws_fetch, make_project) -> None:
    project = await make_project()
    write_tree(project.root, {"a.txt": b"a"})
    watcher = await jp_ws_fetch("aext_project_filebrowser_server", "ws")
    watcher.write_message(json.dumps({"type": "subscribe", "project_ids": [project.id]}))
    assert json.loads(await watcher.read_message())["type"] == "subscribed"
    await run_over_ws(jp_ws_fetch, project.id, "push")
    seen = []
    while not any(m["type"] == "project_changed" for m in seen):
        seen.append(json.loads(await asyncio.wait_for(watcher.read_message(), 10)))
    changed = next(m for m in seen if m["type"] == "project_changed")
    assert changed["project_id"] == project.id
    watcher.close()


async def test_unauthenticated_websocket_is_refused(jp_ws_fetch) -> None:
    with pytest.raises(HTTPClientError) as raised:
        await jp_ws_fetch("aext_project_filebrowser_server", "ws", headers={"Authorization": ""})
    assert raised.value.code == 403


async def test_a_second_request_for_a_running_project_is_refused(jp_ws_fetch, make_project):
    project = await make_project()
    write_tree(project.root, {f"f{i}.bin": os.urandom(200_000) for i in range(30)})
    ws = await jp_ws_fetch("aext_project_filebrowser_server", "ws")
    for request_id in ("first", "second"):
        ws.write_message(
            json.dumps({"type": "push", "request_id": request_id, "project_id": project.id})
        )
    ended: dict[str, dict[str, Any]] = {}
    while len(ended) < 2:
        message = json.loads(await asyncio.wait_for(ws.read_message(), 60))
        if message.get("type") in ("completed", "failed"):
            ended[message["request_id"]] = message
    assert ended["second"]["type"] == "failed" and ended["second"]["code"] == "sync_in_progress"
    assert ended["first"]["type"] == "completed"
    ws.close()


async def test_cancel_stops_after_the_files_in_flight(jp_ws_fetch, make_project, dialect_replica):
    project = await make_project()
    write_tree(project.root, {f"many/{i}.txt": f"file {i}".encode() for i in range(80)})
    dialect_replica.set_faults("latency=40ms")  # the server's replica, in either dialect
    try:
        ws = await jp_ws_fetch("aext_project_filebrowser_server", "ws")
        ws.write_message(json.dumps({"type": "push", "request_id": "r1", "project_id": project.id}))
        cancelled = False
        while True:
            message = json.loads(await asyncio.wait_for(ws.read_message(), 30))
            if message["type"] == "progress" and not cancelled:
                ws.write_message(json.dumps({"type": "cancel", "request_id": "r1"}))
                cancelled = True
            if message["type"] in ("completed", "failed"):
                break
        ws.close()
    finally:
        dialect_replica.set_faults("")
    assert message["type"] == "completed"
    summary = message["summary"]
    assert summary["result"] == "cancelled"
    assert 0 < summary["counts"].get("upload", 0) < 80
    # the rest goes on the next push, and nothing is uploaded twice
    rest = await run_over_ws(jp_ws_fetch, project.id, "push")
    assert rest[0]["plan"]["counts"]["upload"] == 80 - summary["counts"]["upload"]


async def test_paths_limit_the_run(jp_ws_fetch, make_project, cloud_http) -> None:
    project = await make_project()
    write_tree(project.root, {"a/one.txt": b"1", "a/two.txt": b"2", "b/three.txt": b"3"})
    messages = await run_over_ws(jp_ws_fetch, project.id, "push", paths=["a"])
    assert messages[-1]["type"] == "completed"
    assert sorted(remote_files(cloud_http, project.id)) == ["a/one.txt", "a/two.txt"]


async def test_equal_edits_on_both_sides_make_no_conflict_copy(
    jp_ws_fetch, make_project, cloud_http
) -> None:
    """Against a cloud that lists no hashes (the evidence dialect) the planner cannot see
    that both sides hold the same bytes: the executor compares what it downloads."""
    project = await make_project()
    write_tree(project.root, {"same.txt": b"base\n", "new.txt": b"n\n"})
    assert (await run_over_ws(jp_ws_fetch, project.id, "sync"))[-1]["type"] == "completed"
    put_remote(cloud_http, project.id, "same.txt", b"both wrote this\n")
    put_remote(cloud_http, project.id, "added.txt", b"added on both\n")
    (project.root / "same.txt").write_bytes(b"both wrote this\n")
    (project.root / "added.txt").write_bytes(b"added on both\n")
    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")
    assert messages[-1]["type"] == "completed", messages[-1]
    assert not [m for m in messages if m["type"] == "conflict"]
    assert messages[-1]["summary"]["result"] == "ok"
    assert local_files(project.root) == remote_files(cloud_http, project.id)
    assert sorted(local_files(project.root)) == ["added.txt", "new.txt", "same.txt"]
    again = await run_over_ws(jp_ws_fetch, project.id, "sync")
    assert sum(again[0]["plan"]["counts"].values()) == 0


async def test_the_first_sync_learns_whether_the_cloud_refuses_stale_writes(
    jp_ws_fetch, jp_fetch, make_project, dialect_replica, pfb_db_path, cloud_http
) -> None:
    """Probed once per cloud (a DELETE of a path that does not exist, If-Match a version
    that never existed), kept in the store, shown once in health."""
    project = await make_project()
    write_tree(project.root, {"a.txt": b"a"})
    before = json.loads((await jp_fetch(EXTENSION, "health")).body)["cloud"]
    assert before["preconditions"] == "unknown"
    assert (await run_over_ws(jp_ws_fetch, project.id, "sync"))[-1]["type"] == "completed"
    cloud = json.loads((await jp_fetch(EXTENSION, "health")).body)["cloud"]
    ignored = dialect_replica.dialect == "evidence"
    assert cloud["preconditions"] == ("ignored" if ignored else "honoured")
    assert (cloud["concurrent_writes_warning"] is not None) == ignored
    with sqlite3.connect(pfb_db_path) as db:
        rows = db.execute("SELECT cloud_url, name, value FROM cloud_facts").fetchall()
    assert rows == [(dialect_replica.url, "preconditions", "ignored" if ignored else "honoured")]
    assert remote_files(cloud_http, project.id) == {"a.txt": b"a"}  # the probe left nothing
