"""Suite 5: the sync never turns a missing, emptied or unlisted side into deletions.

Each test first syncs a project with files on both sides (so there is a base), then breaks one
side the way it breaks in real life: the folder unmounted (gone, or empty without its marker),
emptied by the user, the cloud listing failing, or the cloud answering 200 with no files. A
`sync` over the WebSocket must refuse, and listing both sides afterwards shows that nothing
was deleted on the other side. One positive control (`force`) shows the same setup does
propagate deletions when the user confirms, so the refusals are the gates' doing.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess
from aext_project_filebrowser_server.testing import (
    EXTENSION,
    Project,
    local_files,
    remote_files,
    run_over_ws,
    write_tree,
)

from .helpers import delete_remote, sync_message, trashed_files

TREE = {f"data/part-{i:02d}.csv": f"row {i}\n".encode() for i in range(16)} | {
    "README.md": b"# guarded\n",
    "notebooks/analysis.ipynb": b'{"cells": [], "nbformat": 4}',
    "deep/a/b/c.txt": b"c",
    "empty.txt": b"",
}

MakeProject = Callable[[], Awaitable[Project]]


async def synced_project(make_project: MakeProject, jp_ws_fetch: Any, cloud: Any) -> Project:
    """A project whose files are on both sides with a base (pushed once)."""
    project = await make_project()
    write_tree(project.root, TREE)
    messages = await run_over_ws(jp_ws_fetch, project.id, "push")
    assert messages[-1]["type"] == "completed", messages[-1]
    assert remote_files(cloud, project.id) == TREE
    return project


def assert_refused(messages: list[dict[str, Any]], *codes: str) -> None:
    last = messages[-1]
    assert last["type"] == "failed", last
    assert last["code"] in codes, last
    assert not any(m["type"] == "accepted" for m in messages), messages


@pytest.mark.parametrize("direction", ["sync", "push"])
async def test_unmounted_folder_deletes_nothing_in_the_cloud(
    direction: str, make_project: MakeProject, jp_ws_fetch: Any, cloud_http: httpx.Client
) -> None:
    project = await synced_project(make_project, jp_ws_fetch, cloud_http)
    shutil.rmtree(project.root)  # the mount is gone: no folder at all

    messages = await run_over_ws(jp_ws_fetch, project.id, direction)

    assert_refused(messages, "local_folder_missing")
    assert remote_files(cloud_http, project.id) == TREE
    assert not project.root.exists(), "a refused run must not recreate the folder"


@pytest.mark.parametrize("direction", ["sync", "push"])
async def test_emptied_folder_without_its_marker_deletes_nothing_in_the_cloud(
    direction: str, make_project: MakeProject, jp_ws_fetch: Any, cloud_http: httpx.Client
) -> None:
    """An empty mount point (or a folder wiped with the extension's folder): no marker."""
    project = await synced_project(make_project, jp_ws_fetch, cloud_http)
    shutil.rmtree(project.root)
    project.root.mkdir()

    messages = await run_over_ws(jp_ws_fetch, project.id, direction)

    assert_refused(messages, "local_folder_missing")
    assert remote_files(cloud_http, project.id) == TREE
    assert list(project.root.iterdir()) == []


@pytest.mark.parametrize("direction", ["sync", "push"])
async def test_emptied_folder_with_its_marker_deletes_nothing_in_the_cloud(
    direction: str, make_project: MakeProject, jp_ws_fetch: Any, cloud_http: httpx.Client
) -> None:
    project = await synced_project(make_project, jp_ws_fetch, cloud_http)
    for child in project.root.iterdir():
        if child.name != ".aext-project":
            shutil.rmtree(child) if child.is_dir() else child.unlink()

    messages = await run_over_ws(jp_ws_fetch, project.id, direction)

    assert_refused(messages, "one_side_empty")
    assert remote_files(cloud_http, project.id) == TREE
    assert local_files(project.root) == {}


async def test_most_files_deleted_locally_is_a_refused_mass_delete(
    make_project: MakeProject, jp_ws_fetch: Any, cloud_http: httpx.Client
) -> None:
    project = await synced_project(make_project, jp_ws_fetch, cloud_http)
    for i in range(14):
        (project.root / f"data/part-{i:02d}.csv").unlink()
    kept = local_files(project.root)

    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")

    assert_refused(messages, "mass_delete")
    assert remote_files(cloud_http, project.id) == TREE
    assert local_files(project.root) == kept


@pytest.mark.parametrize(
    "faults",
    ["error_rate=1,status=503,methods=GET", "error_rate=1,status=500,methods=GET", "drop_rate=1"],
)
async def test_failed_cloud_listing_deletes_nothing_locally(
    faults: str,
    make_project: MakeProject,
    jp_ws_fetch: Any,
    cloud_http: httpx.Client,
    guard_cloud: ReplicaProcess,
) -> None:
    project = await synced_project(make_project, jp_ws_fetch, cloud_http)
    guard_cloud.set_faults(faults)

    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")

    assert_refused(messages, "cloud_unavailable", "remote_listing_incomplete")
    assert local_files(project.root) == TREE
    assert trashed_files(project.root) == []
    guard_cloud.set_faults("")
    assert remote_files(cloud_http, project.id) == TREE


@pytest.mark.parametrize("direction", ["sync", "pull"])
async def test_cloud_answering_an_empty_listing_deletes_nothing_locally(
    direction: str, make_project: MakeProject, jp_ws_fetch: Any, cloud_http: httpx.Client
) -> None:
    """200 with `items: []` (every file deleted server-side) while the folder is full."""
    project = await synced_project(make_project, jp_ws_fetch, cloud_http)
    for path in TREE:
        delete_remote(cloud_http, project.id, path)
    assert remote_files(cloud_http, project.id) == {}

    messages = await run_over_ws(jp_ws_fetch, project.id, direction)

    assert_refused(messages, "one_side_empty")
    assert local_files(project.root) == TREE
    assert trashed_files(project.root) == []
    assert remote_files(cloud_http, project.id) == {}


async def test_most_files_deleted_in_the_cloud_is_a_refused_mass_delete(
    make_project: MakeProject, jp_ws_fetch: Any, cloud_http: httpx.Client
) -> None:
    project = await synced_project(make_project, jp_ws_fetch, cloud_http)
    for i in range(14):
        delete_remote(cloud_http, project.id, f"data/part-{i:02d}.csv")

    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")

    assert_refused(messages, "mass_delete")
    assert local_files(project.root) == TREE
    assert trashed_files(project.root) == []


async def test_force_propagates_a_confirmed_deletion(
    make_project: MakeProject, jp_ws_fetch: Any, cloud_http: httpx.Client
) -> None:
    """Positive control: the same emptied folder, forced, does empty the cloud project (and
    the cloud keeps every revision). So the refusals above come from the gates."""
    project = await synced_project(make_project, jp_ws_fetch, cloud_http)
    for child in project.root.iterdir():
        if child.name != ".aext-project":
            shutil.rmtree(child) if child.is_dir() else child.unlink()

    messages = await run_over_ws(jp_ws_fetch, project.id, "sync", force=True)

    assert messages[-1]["type"] == "completed", messages[-1]
    assert remote_files(cloud_http, project.id) == {}
    versions = cloud_http.get(f"/api/projects/{project.id}/files/README.md/versions")
    assert versions.status_code == 200 and versions.json()["items"], versions.text


async def test_a_missing_folder_is_refused_even_when_forced(
    make_project: MakeProject, jp_ws_fetch: Any, cloud_http: httpx.Client
) -> None:
    project = await synced_project(make_project, jp_ws_fetch, cloud_http)
    shutil.rmtree(project.root)

    messages = await run_over_ws(jp_ws_fetch, project.id, "sync", force=True)

    assert_refused(messages, "local_folder_missing")
    assert remote_files(cloud_http, project.id) == TREE


async def test_concurrent_syncs_of_one_project_exactly_one_proceeds(
    make_project: MakeProject,
    jp_ws_fetch: Any,
    cloud_http: httpx.Client,
    guard_cloud: ReplicaProcess,
) -> None:
    """Six tabs ask at the same moment (each on its own socket): one run, five refusals."""
    project = await make_project()
    write_tree(project.root, TREE)
    guard_cloud.set_faults("latency=150ms")  # keeps the winner running while the rest arrive
    sockets = [await jp_ws_fetch(EXTENSION, "ws") for _ in range(6)]
    kinds = ["sync", "push", "sync", "sync", "push", "sync"]
    requests = [sync_message(project.id, kind) for kind in kinds]
    for ws, (_, message) in zip(sockets, requests, strict=True):
        ws.write_message(message)

    async def outcome(ws: Any, request_id: str) -> list[dict[str, Any]]:
        seen = []
        while True:
            raw = await asyncio.wait_for(ws.read_message(), 60)
            assert raw is not None
            reply = json.loads(raw)
            if reply.get("request_id") == request_id:
                seen.append(reply)
                if reply["type"] in ("completed", "failed"):
                    return seen

    results = await asyncio.gather(
        *(outcome(ws, rid) for ws, (rid, _) in zip(sockets, requests, strict=True))
    )
    for ws in sockets:
        ws.close()
    proceeded = [r for r in results if any(m["type"] == "accepted" for m in r)]
    refused = [r for r in results if r[-1]["type"] == "failed"]
    assert len(proceeded) == 1, results
    assert proceeded[0][-1]["type"] == "completed", proceeded[0][-1]
    assert len(refused) == 5
    assert {r[-1]["code"] for r in refused} == {"sync_in_progress"}
    guard_cloud.set_faults("")
    # The winner was a push or a sync: the tree is on both sides, and the lock is released.
    assert remote_files(cloud_http, project.id) == TREE
    again = await run_over_ws(jp_ws_fetch, project.id, "sync")
    assert again[-1]["type"] == "completed", again[-1]


LONG_PROJECTS = 200
BREAKAGES = ("unmount", "empty-mount", "empty-folder", "listing-503", "listing-drop", "cloud-empty")


async def break_and_sync(
    breakage: str,
    project: Project,
    tree: dict[str, bytes],
    jp_ws_fetch: Any,
    cloud_http: httpx.Client,
    guard_cloud: ReplicaProcess,
) -> None:
    """Break one side, sync, and check the other side lost nothing."""
    if breakage == "unmount":
        shutil.rmtree(project.root)
    elif breakage == "empty-mount":
        shutil.rmtree(project.root)
        project.root.mkdir()
    elif breakage == "empty-folder":
        for child in project.root.iterdir():
            if child.name != ".aext-project":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    elif breakage in ("listing-503", "listing-drop"):
        guard_cloud.set_faults(
            "error_rate=1,methods=GET" if breakage == "listing-503" else "drop_rate=1"
        )
    else:
        for path in tree:
            delete_remote(cloud_http, project.id, path)
    try:
        messages = await run_over_ws(jp_ws_fetch, project.id, "sync")
    finally:
        guard_cloud.set_faults("")
    assert messages[-1]["type"] == "failed", (breakage, messages[-1])
    if breakage in ("unmount", "empty-mount", "empty-folder"):
        assert remote_files(cloud_http, project.id) == tree, breakage
    else:
        assert local_files(project.root) == tree, breakage
        assert trashed_files(project.root) == [], breakage


@pytest.mark.slow
@pytest.mark.timeout(3600)
async def test_random_breakages_never_delete_the_other_side(
    make_project: MakeProject,
    jp_ws_fetch: Any,
    cloud_http: httpx.Client,
    guard_cloud: ReplicaProcess,
) -> None:
    """The long run: 200 projects of random shape, each broken one random way."""
    rng = random.Random(20261122)
    for _ in range(LONG_PROJECTS):
        size = rng.randint(1, 60)
        tree = {
            f"{rng.choice(['', 'a/', 'a/b/', 'nb/'])}f{i}.{rng.choice(['txt', 'csv', 'ipynb'])}": (
                rng.randbytes(rng.randint(0, 2000))
            )
            for i in range(size)
        }
        project = await make_project()
        write_tree(project.root, tree)
        assert (await run_over_ws(jp_ws_fetch, project.id, "push"))[-1]["type"] == "completed"
        breakage = rng.choice(BREAKAGES)
        await break_and_sync(breakage, project, tree, jp_ws_fetch, cloud_http, guard_cloud)
