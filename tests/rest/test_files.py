"""Files of a downloaded project over REST: first download, per-file statuses, dry-run plans,
revisions and restore."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aext_project_filebrowser_server.cloud import client as cc

from .helpers import FAST, Api, cloud_as, put_file, sha, slug, tree


@pytest.fixture
def alice(replica: Any, replica_alice_key: str, jp_asyncio_loop: Any) -> Iterator[cc.CloudClient]:
    """Alice's own cloud client, to change the cloud side behind the extension's back."""
    client = cc.make_cloud_client(replica.url, replica_alice_key, retry_policy=FAST)
    yield client
    jp_asyncio_loop.run_until_complete(cc.aclose(client))


async def cloud_project(
    alice: cc.CloudClient, files: dict[str, bytes], tmp_path: Path, title: str = "Files"
) -> str:
    project = await cc.create_project(alice, title, slug())
    for path, content in files.items():
        await put_file(alice, project.id, path, content, tmp_path)
    return project.id


async def download(api: Api, project_id: str) -> dict[str, Any]:
    """Refresh, start the first download, and wait for it to finish."""
    assert (await api.get("projects", params={"refresh": "true"})).code == 200
    reply = await api.post("projects", project_id, "download", body={})
    assert reply.code == 202, reply.body
    assert reply.body["job_id"]
    assert reply.body["project"]["local_path"]
    deadline = time.monotonic() + 20
    while True:
        listed = await api.get("projects")
        project = next(p for p in listed.body["projects"] if p["id"] == project_id)
        sync = project["sync"]
        if not sync["sync_running"] and sync["last_synced_at"]:
            return dict(project)
        assert time.monotonic() < deadline, project
        await asyncio.sleep(0.05)


async def statuses(api: Api, project_id: str) -> dict[str, str | None]:
    reply = await api.get("projects", project_id, "files")
    assert reply.code == 200, reply.body
    assert reply.body["cloud_status"] == "ok"
    return {f["path"]: f["status"] for f in reply.body["files"]}


async def test_download_then_every_status_of_the_table(
    api: Api, alice: cc.CloudClient, tmp_path: Path
) -> None:
    names = ["same", "local_edit", "remote_edit", "local_del", "remote_del", "both", "twin"]
    files = {f"{n}.txt": f"{n} v1".encode() for n in names}
    project_id = await cloud_project(alice, files, tmp_path)
    project = await download(api, project_id)
    root = Path(project["local_path"])
    assert root.parent.name == "projects"
    assert {p: c for p, c in tree(root).items() if not p.startswith(".aext")} == files
    assert project["sync"]["counts"] == {"synced": len(files)}

    (root / "local_edit.txt").write_bytes(b"local edit")
    await put_file(alice, project_id, "remote_edit.txt", b"remote edit", tmp_path)
    (root / "local_del.txt").unlink()
    await cc.delete_file(alice, project_id, "remote_del.txt")
    (root / "both.txt").write_bytes(b"mine")
    await put_file(alice, project_id, "both.txt", b"theirs", tmp_path)
    (root / "twin.txt").write_bytes(b"same on both sides")
    await put_file(alice, project_id, "twin.txt", b"same on both sides", tmp_path)
    (root / "new_local.txt").write_bytes(b"new here")
    await put_file(alice, project_id, "new_remote.txt", b"new there", tmp_path)
    await put_file(alice, project_id, "new_both.txt", b"one", tmp_path)
    (root / "new_both.txt").write_bytes(b"two")
    await put_file(alice, project_id, "__pycache__/m.pyc", b"\x00", tmp_path)

    assert await statuses(api, project_id) == {
        "__pycache__/m.pyc": "ignored",
        "both.txt": "conflict",
        "local_del.txt": "deleted_local",
        "local_edit.txt": "modified_local",
        "new_both.txt": "conflict",
        "new_local.txt": "new_local",
        "new_remote.txt": "new_remote",
        "remote_del.txt": "deleted_remote",
        "remote_edit.txt": "modified_remote",
        "same.txt": "synced",
        "twin.txt": "synced",
    }
    detail = await api.get("projects", project_id, "files")
    by_path = {f["path"]: f for f in detail.body["files"]}
    edited = by_path["local_edit.txt"]
    assert (edited["size"], edited["sha256"]) == (10, sha(b"local edit"))
    assert edited["remote_sha256"] == sha(b"local_edit v1")
    assert edited["remote_version"] == edited["base_version"]
    assert by_path["new_remote.txt"]["local_size"] is None
    assert by_path["new_remote.txt"]["size"] == len(b"new there")

    # The list shows the counts last observed.
    listed = await api.get("projects")
    counts = next(p for p in listed.body["projects"] if p["id"] == project_id)["sync"]["counts"]
    assert counts == {
        "conflict": 2,
        "deleted_local": 1,
        "deleted_remote": 1,
        "ignored": 1,
        "modified_local": 1,
        "modified_remote": 1,
        "new_local": 1,
        "new_remote": 1,
        "synced": 2,
    }


async def test_plan_is_a_dry_run_that_changes_nothing(
    api: Api, alice: cc.CloudClient, tmp_path: Path
) -> None:
    project_id = await cloud_project(alice, {"a.txt": b"a", "b.txt": b"b"}, tmp_path)
    root = Path((await download(api, project_id))["local_path"])
    (root / "a.txt").write_bytes(b"a, edited")
    (root / "c.txt").write_bytes(b"new")
    await put_file(alice, project_id, "b.txt", b"b, edited in the cloud", tmp_path)
    before_local = tree(root)
    before_cloud = await cc.list_files(alice, project_id)

    reply = await api.get("projects", project_id, "plan", params={"direction": "sync"})
    assert reply.code == 200, reply.body
    plan = reply.body
    assert plan["gate"] is None
    assert {(op["kind"], op["path"]) for op in plan["operations"]} == {
        ("upload", "a.txt"),
        ("upload", "c.txt"),
        ("download", "b.txt"),
    }
    assert all(op["reason"] for op in plan["operations"])
    assert plan["counts"]["upload"] == 2 and plan["counts"]["download"] == 1
    assert plan["upload_bytes"] == len(b"a, edited") + len(b"new")

    push = await api.get("projects", project_id, "plan", params={"direction": "push"})
    assert {op["path"] for op in push.body["operations"]} == {"a.txt", "c.txt"}
    assert [s["path"] for s in push.body["skipped"]] == ["b.txt"]

    assert tree(root) == before_local
    assert await cc.list_files(alice, project_id) == before_cloud


async def test_plan_reports_a_safety_gate(api: Api, alice: cc.CloudClient, tmp_path: Path) -> None:
    project_id = await cloud_project(alice, {"a.txt": b"a"}, tmp_path)
    root = Path((await download(api, project_id))["local_path"])
    (root / ".aext-project" / "project.json").unlink()  # looks unmounted
    reply = await api.get("projects", project_id, "plan", params={"direction": "push"})
    assert reply.code == 200
    assert reply.body["operations"] == []
    assert reply.body["gate"]["code"] == "local_folder_missing"


async def test_plan_and_files_4xx(api: Api, alice: cc.CloudClient, tmp_path: Path) -> None:
    project_id = await cloud_project(alice, {"a.txt": b"a"}, tmp_path)
    await api.get("projects", params={"refresh": "true"})
    not_downloaded = await api.get("projects", project_id, "plan")
    assert (not_downloaded.code, not_downloaded.body["code"]) == (409, "not_downloaded")
    bad = await api.get("projects", project_id, "plan", params={"direction": "sideways"})
    assert (bad.code, bad.body["code"]) == (400, "invalid_query")
    # A cloud-only project's files are all new_remote.
    assert await statuses(api, project_id) == {"a.txt": "new_remote"}


async def test_download_4xx(api: Api, alice: cc.CloudClient, tmp_path: Path) -> None:
    project_id = await cloud_project(alice, {"a.txt": b"a"}, tmp_path)
    await api.get("projects", params={"refresh": "true"})
    bad = await api.post("projects", project_id, "download", body={"request_id": "no spaces"})
    assert (bad.code, bad.body["code"]) == (400, "invalid_body")
    unknown = await api.post("projects", project_id, "download", body={"extra": 1})
    assert (unknown.code, unknown.body["code"]) == (400, "invalid_body")
    await download(api, project_id)
    again = await api.post("projects", project_id, "download", body={})
    assert (again.code, again.body["code"]) == (409, "already_downloaded")


async def test_versions_and_restore(api: Api, alice: cc.CloudClient, tmp_path: Path) -> None:
    project_id = await cloud_project(alice, {"notes.md": b"version one"}, tmp_path)
    await put_file(alice, project_id, "notes.md", b"version two", tmp_path)
    root = Path((await download(api, project_id))["local_path"])
    assert (root / "notes.md").read_bytes() == b"version two"

    reply = await api.get("projects", project_id, "files", "notes.md", "versions")
    assert reply.code == 200, reply.body
    versions = reply.body["versions"]
    assert [v["sha256"] for v in versions] == [sha(b"version two"), sha(b"version one")]
    old, new = versions[1]["file_version_id"], versions[0]["file_version_id"]

    # The local file is synced: restoring replaces it, no copy needed.
    restored = await api.post(
        "projects", project_id, "files", "notes.md", "restore", body={"version": old}
    )
    assert restored.code == 200, restored.body
    assert restored.body["conflict_copy"] is None
    assert restored.body["sha256"] == sha(b"version one")
    assert (root / "notes.md").read_bytes() == b"version one"
    assert (await statuses(api, project_id))["notes.md"] == "modified_local"

    # Unsynced local content is kept as a conflict copy, never lost.
    (root / "notes.md").write_bytes(b"my unsynced edit")
    again = await api.post(
        "projects", project_id, "files", "notes.md", "restore", body={"version": new}
    )
    assert again.code == 200, again.body
    copy = again.body["conflict_copy"]
    assert copy and copy.startswith("notes (conflict, alice on test-lab, ")
    assert (root / copy).read_bytes() == b"my unsynced edit"
    assert (root / "notes.md").read_bytes() == b"version two"
    assert not list((root / ".aext-project").rglob("*.part"))


async def test_versions_and_restore_4xx(api: Api, alice: cc.CloudClient, tmp_path: Path) -> None:
    project_id = await cloud_project(alice, {"a.txt": b"a"}, tmp_path)
    await api.get("projects", params={"refresh": "true"})
    body = {"version": "v1"}
    not_downloaded = await api.post("projects", project_id, "files", "a.txt", "restore", body=body)
    assert (not_downloaded.code, not_downloaded.body["code"]) == (409, "not_downloaded")
    root = Path((await download(api, project_id))["local_path"])
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)

    for path in [
        "../escape.txt",
        "a/../../escape.txt",
        "a\\b.txt",
        "nul\x00.txt",
        ".aext-project/project.json",
        "link/x.txt",
    ]:
        reply = await api.post("projects", project_id, "files", path, "restore", body=body)
        assert (reply.code, reply.body["code"]) == (400, "invalid_path"), (path, reply.body)
    traversal = await api.get("projects", project_id, "files", "../a.txt", "versions")
    assert (traversal.code, traversal.body["code"]) == (400, "invalid_path")
    missing = await api.get("projects", project_id, "files", "nope.txt", "versions")
    assert (missing.code, missing.body["code"]) == (404, "not_found")
    unknown = await api.post(
        "projects", project_id, "files", "a.txt", "restore", body={"version": "no-such"}
    )
    assert (unknown.code, unknown.body["code"]) == (404, "not_found")
    no_version = await api.post("projects", project_id, "files", "a.txt", "restore", body={})
    assert (no_version.code, no_version.body["code"]) == (400, "invalid_body")
    assert (root / "a.txt").read_bytes() == b"a"
    assert not list(outside.iterdir())


async def test_permissions(
    api: Api, alice: cc.CloudClient, replica: Any, replica_bob_key: str, tmp_path: Path
) -> None:
    project = await api.create("Shared")
    public = await api.post("projects", project["id"], "permissions", body={"is_public": True})
    assert public.code == 200, public.body
    assert public.body["is_public"] is True
    bob_id = "b0b00000-0000-4000-8000-000000000002"
    shared = await api.post(
        "projects", project["id"], "permissions", body={"users": [bob_id], "role": "writer"}
    )
    assert shared.code == 200, shared.body
    assert {"type": "user", "id": bob_id, "role": "writer"} in shared.body["grants"]
    current = await api.get("projects", project["id"], "permissions")
    assert current.body["is_public"] is True and current.body["grants"] == shared.body["grants"]
    async with cloud_as(replica.url, replica_bob_key) as bob:
        assert (await cc.get_project(bob, project["id"])).title == "Shared"

    for body in [{}, {"users": [bob_id]}, {"role": "reader"}, {"is_public": "maybe"}]:
        reply = await api.post("projects", project["id"], "permissions", body=body)
        assert (reply.code, reply.body["code"]) == (400, "invalid_body"), body
    unknown_user = await api.post(
        "projects", project["id"], "permissions", body={"users": ["nobody"], "role": "reader"}
    )
    assert (unknown_user.code, unknown_user.body["code"]) == (400, "invalid_body")
