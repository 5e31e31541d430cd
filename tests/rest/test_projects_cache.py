"""`GET projects` is served from a cache: every change must show in the next list.

Each test lists the projects first, so that the answer is cached, then changes something
by one of the paths that can (REST, a sync, a status update, a refresh from the cloud, a
write to the store by another process, a sync starting) and lists again.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from aext_project_filebrowser_server.cloud import client as cc
from aext_project_filebrowser_server.context import AppContext
from aext_project_filebrowser_server.services.project_list_cache import (
    MAX_ENTRIES,
    ProjectListCache,
)

from .helpers import EXT, Api, cloud_as, slug


async def listed(api: Api, **params: str) -> dict[str, dict[str, Any]]:
    reply = await api.get("projects", params=params or None)
    assert reply.code == 200, reply.body
    return {p["id"]: p for p in reply.body["projects"]}


async def patch(api: Api, project: dict[str, Any], **changes: Any) -> dict[str, Any]:
    reply = await api.call(
        "PATCH",
        "projects",
        project["id"],
        body=changes,
        headers={"If-Match": f'"{project["version"]}"'},
    )
    assert reply.code == 200, reply.body
    updated: dict[str, Any] = reply.body
    return updated


async def run_over_ws(jp_ws_fetch: Any, project_id: str, direction: str) -> dict[str, Any]:
    """Run a push, pull or sync over the WebSocket; returns its `completed` message."""
    ws = await jp_ws_fetch(EXT, "ws")
    try:
        request = {"type": direction, "request_id": secrets.token_hex(4), "project_id": project_id}
        await ws.write_message(json.dumps(request))
        while True:
            raw = await ws.read_message()
            assert raw is not None, "the WebSocket closed during the run"
            message = json.loads(raw)
            assert message["type"] not in ("failed", "error"), message
            if message["type"] == "completed":
                return dict(message)
    finally:
        ws.close()


def context_of(jp_serverapp: Any) -> AppContext:
    ctx: AppContext = jp_serverapp.web_app.settings["pfb_context"]
    return ctx


async def test_patch_then_list_shows_the_new_title(api: Api) -> None:
    project = await api.create("Before")
    assert (await listed(api))[project["id"]]["title"] == "Before"

    updated = await patch(api, project, title="After", tags=["new"])

    seen = (await listed(api))[project["id"]]
    assert (seen["title"], seen["tags"], seen["version"]) == ("After", ["new"], updated["version"])
    assert project["id"] in await listed(api, tag="new")


async def test_create_and_delete_show_in_every_cached_query(api: Api) -> None:
    first = await api.create("Alpha cache")
    assert set(await listed(api)) == {first["id"]}
    assert set(await listed(api, q="cache")) == {first["id"]}

    second = await api.create("Beta cache")
    assert set(await listed(api)) == {first["id"], second["id"]}
    assert set(await listed(api, q="cache")) == {first["id"], second["id"]}

    reply = await api.call("DELETE", "projects", first["id"])
    assert reply.code == 200, reply.body
    assert set(await listed(api)) == {second["id"]}
    assert set(await listed(api, q="cache")) == {second["id"]}


async def test_a_sync_then_list_shows_the_new_summary(api: Api, jp_ws_fetch: Any) -> None:
    project = await api.create("Synced")
    root = Path(project["local_path"])
    (root / "a.txt").write_bytes(b"alpha")
    before = (await listed(api))[project["id"]]["sync"]
    assert before["last_synced_at"] is None and before["counts"] == {}

    completed = await run_over_ws(jp_ws_fetch, project["id"], "push")

    assert completed["summary"]["result"] == "ok"
    seen = (await listed(api))[project["id"]]
    assert seen["sync"]["last_synced_at"] is not None
    assert seen["sync"]["counts"] == {"synced": 1}
    assert seen["last_sync"]["result"] == "ok"

    (root / "b.txt").write_bytes(b"beta")
    assert (await api.get("projects", project["id"], "files")).code == 200  # records statuses
    assert (await listed(api))[project["id"]]["sync"]["counts"] == {
        "new_local": 1,
        "synced": 1,
    }


async def test_a_sync_starting_and_ending_shows_in_the_list(api: Api, jp_serverapp: Any) -> None:
    project = await api.create("Running")
    syncs = context_of(jp_serverapp).syncs
    assert not (await listed(api))[project["id"]]["sync"]["sync_running"]

    running = syncs.claim(project["id"], "req-1", "push")
    try:
        assert (await listed(api))[project["id"]]["sync"]["sync_running"]
    finally:
        syncs.release(running)

    assert not (await listed(api))[project["id"]]["sync"]["sync_running"]


async def test_a_refresh_from_the_cloud_shows_in_the_plain_list(
    api: Api, replica: Any, replica_alice_key: str
) -> None:
    project = await api.create("Local title")
    assert (await listed(api))[project["id"]]["title"] == "Local title"
    async with cloud_as(replica.url, replica_alice_key) as alice:
        await cc.update_project(alice, project["id"], title="Renamed in the cloud")
        created = await cc.create_project(alice, "Made in the cloud", slug())

    assert (await api.get("projects", params={"refresh": "true"})).code == 200

    seen = await listed(api)
    assert seen[project["id"]]["title"] == "Renamed in the cloud"
    assert seen[created.id]["title"] == "Made in the cloud"


async def test_a_write_by_another_process_shows_in_the_list(api: Api, jp_serverapp: Any) -> None:
    """Another connection (a second server, a repair script) writes to the store directly."""
    project = await api.create("Original")
    assert (await listed(api))[project["id"]]["title"] == "Original"
    db = context_of(jp_serverapp).db
    assert db is not None
    with closing(sqlite3.connect(db.engine.url.database or "")) as other, other:
        edit = "UPDATE projects SET title = 'Edited elsewhere' WHERE id = ?"
        other.execute(edit, [project["id"]])

    assert (await listed(api))[project["id"]]["title"] == "Edited elsewhere"


# --- the cache itself -----------------------------------------------------------------------


def test_an_answer_is_served_only_for_the_sources_it_was_built_from() -> None:
    cache = ProjectListCache()
    cache.put(("q",), (1, frozenset()), b"one")

    assert cache.get(("q",), (1, frozenset())) == b"one"
    assert cache.get(("q",), (2, frozenset())) is None
    assert cache.get(("q",), (1, frozenset({"p"}))) is None
    assert cache.get(("other",), (1, frozenset())) is None
    cache.put(("memory",), (None, frozenset()), b"unknown version")  # an in-memory store
    assert cache.get(("memory",), (None, frozenset())) is None


def test_stale_answers_are_dropped_and_the_number_kept_is_bounded() -> None:
    cache = ProjectListCache()
    cache.put("old", (1, frozenset()), b"old")
    cache.put("new", (2, frozenset()), b"new")
    assert cache.get("old", (1, frozenset())) is None  # dropped by the newer put

    for n in range(MAX_ENTRIES + 5):
        cache.put(n, (3, frozenset()), b"x")
    assert cache.get(0, (3, frozenset())) is None
    assert cache.get(MAX_ENTRIES + 4, (3, frozenset())) == b"x"


def test_the_store_version_moves_with_every_commit(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with closing(sqlite3.connect(path)) as writer, writer:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("CREATE TABLE t (x)")
    cache = ProjectListCache()
    before = cache.store_version(path)
    assert cache.store_version(path) == before
    with closing(sqlite3.connect(path)) as writer, writer:
        writer.execute("INSERT INTO t VALUES (1)")
    assert cache.store_version(path) != before
