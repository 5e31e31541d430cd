"""`GET toolbox/projects` and `POST toolbox/projects/{id}/adopt` on a real Jupyter server
against the replica (both dialects): a Toolbox folder becomes a project without a file
overwritten, and the first sync settles it — equal files become bases with no upload,
different ones conflicts with both versions kept. The Toolbox database is never changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from rest.helpers import Api
from sync_e2e.conftest import put_remote

from aext_project_filebrowser_server.testing import (
    local_files,
    remote_files,
    remote_versions,
    run_over_ws,
    unique_name,
)

from .toolbox_db import fingerprint, make_database, offline_project, row, write_folder

CLOUD_FILES = {"same.py": b"print('same')\n", "differs.md": b"cloud text\n", "cloud.csv": b"1\n"}
LOCAL_FILES = {"same.py": b"print('same')\n", "differs.md": b"local text\n", "mine.txt": b"m\n"}


def cloud_project(cloud_http: httpx.Client, title: str) -> dict[str, Any]:
    answer = cloud_http.post("/api/projects", json={"title": title, "name": unique_name("tb")})
    assert answer.status_code == 201, answer.text
    project: dict[str, Any] = answer.json()
    return project


def toolbox_with(root: Path, cloud_http: httpx.Client, title: str) -> tuple[dict[str, Any], Path]:
    """A cloud project with CLOUD_FILES, and Toolbox's row and folder (LOCAL_FILES) for it."""
    project = cloud_project(cloud_http, title)
    versions = {p: put_remote(cloud_http, project["id"], p, b) for p, b in CLOUD_FILES.items()}
    stored = {"same.py": versions["same.py"], "differs.md": versions["differs.md"]}
    database = make_database(root, [row(project, {**stored, "mine.txt": None})])
    write_folder(root, project["id"], LOCAL_FILES)
    return project, database


async def listed(api: Api) -> dict[str, Any]:
    reply = await api.get("toolbox", "projects")
    assert reply.code == 200, reply.body
    return {p["id"]: p for p in reply.body["projects"]}


async def test_adopt_in_place_then_the_first_sync_overwrites_nothing(
    api: Api, jp_ws_fetch: Any, cloud_http: httpx.Client, root: Path, dialect_replica: Any
) -> None:
    project, database = toolbox_with(root, cloud_http, "Toolbox notes")
    before = fingerprint(database)
    folder = root / "anaconda_projects" / project["id"]
    # a refresh first: the project is known here as cloud-only, and adoption gives it a folder
    refreshed = await api.get("projects", params={"refresh": "true"})
    assert refreshed.body["cloud_status"] == "ok"
    offered = (await listed(api))[project["id"]]
    assert offered["adoptable"] and not offered["adopted"] and offered["problem"] is None
    assert (offered["title"], offered["folder"], offered["stored_files"]) == (
        "Toolbox notes",
        str(folder),
        3,
    )
    assert offered["contents_path"] == f"anaconda_projects/{project['id']}"

    adopted = await api.post("toolbox", "projects", project["id"], "adopt", body={})
    assert adopted.code == 200, adopted.body
    assert adopted.body["cloud_status"] == "ok" and adopted.body["moved_from"] is None
    assert adopted.body["project"]["local_path"] == str(folder)
    assert local_files(folder) == LOCAL_FILES  # adopting alone touches no file
    assert (folder / ".aext-project" / "project.json").is_file()
    again = await api.post("toolbox", "projects", project["id"], "adopt", body={})
    assert (again.code, again.body["code"]) == (409, "already_adopted")
    now = (await listed(api))[project["id"]]
    assert now["adopted"] and not now["adoptable"] and now["local_path"] == str(folder)

    cloud_before = remote_versions(cloud_http, project["id"])
    messages = await run_over_ws(jp_ws_fetch, project["id"], "sync")
    assert messages[-1]["type"] == "completed", messages[-1]
    assert messages[-1]["summary"]["result"] == "ok", messages[-1]
    conflicts = [m for m in messages if m["type"] == "conflict"]
    assert [c["path"] for c in conflicts] == ["differs.md"]
    copy = conflicts[0]["copy_path"]
    here = local_files(folder)
    assert here == {
        "same.py": LOCAL_FILES["same.py"],
        "differs.md": CLOUD_FILES["differs.md"],
        copy: LOCAL_FILES["differs.md"],
        "mine.txt": LOCAL_FILES["mine.txt"],
        "cloud.csv": CLOUD_FILES["cloud.csv"],
    }
    assert remote_files(cloud_http, project["id"]) == here
    after = remote_versions(cloud_http, project["id"])
    # nothing written over in the cloud: the equal and the differing file kept their versions
    assert after["same.py"] == cloud_before["same.py"]
    assert after["differs.md"] == cloud_before["differs.md"]
    counts = messages[0]["plan"]["counts"]
    assert counts["upload"] == 1 and counts["download"] == 1  # mine.txt, cloud.csv
    if dialect_replica.dialect == "ours":  # a listed hash: the equal file is recorded as is
        assert (counts["record_base"], counts["conflict"]) == (1, 1), counts
    else:  # no listed hash: both are compared on downloaded bytes, only one differs
        assert counts["conflict"] == 2, counts
    again_sync = await run_over_ws(jp_ws_fetch, project["id"], "sync")
    assert sum(again_sync[0]["plan"]["counts"].values()) == 0
    assert fingerprint(database) == before


async def test_adopt_with_move_puts_the_folder_under_projects_root(
    api: Api, cloud_http: httpx.Client, root: Path, tmp_path: Path
) -> None:
    project, database = toolbox_with(root, cloud_http, "Moved notes")
    before = fingerprint(database)
    folder = root / "anaconda_projects" / project["id"]
    adopted = await api.post("toolbox", "projects", project["id"], "adopt", body={"move": True})
    assert adopted.code == 200, adopted.body
    target = tmp_path / "projects-root" / "Moved notes"
    assert adopted.body["moved_from"] == str(folder)
    assert adopted.body["project"]["local_path"] == str(target)
    assert not folder.exists() and local_files(target) == LOCAL_FILES
    offered = (await listed(api))[project["id"]]
    assert offered["adopted"] and not offered["folder_exists"]
    assert fingerprint(database) == before


async def test_what_cannot_be_adopted_is_said_and_refused(
    api: Api, cloud_http: httpx.Client, root: Path, pfb_db_path: Path
) -> None:
    stranger = offline_project("Not in this cloud")
    no_folder = cloud_project(cloud_http, "No folder")
    database = make_database(
        root,
        [row(stranger, {}), row(no_folder, {}), ("broken-1", "{", None, None, "", "[]")],
    )
    write_folder(root, stranger["id"], {"notes.md": b"n"})
    before = fingerprint(database)
    offered = await listed(api)
    assert offered[no_folder["id"]]["problem"] == "its folder is missing"
    assert "not a readable cloud project" in offered["broken-1"]["problem"]
    assert not offered[no_folder["id"]]["adoptable"] and not offered["broken-1"]["adoptable"]

    missing = await api.post("toolbox", "projects", no_folder["id"], "adopt", body={})
    assert (missing.code, missing.body["code"]) == (409, "not_adoptable")
    gone = await api.post("toolbox", "projects", stranger["id"], "adopt", body={})
    assert (gone.code, gone.body["code"]) == (409, "not_in_cloud")
    stranger_folder = root / "anaconda_projects" / stranger["id"]
    assert not (stranger_folder / ".aext-project").exists()  # nothing changed
    assert (await api.get("projects", stranger["id"])).code == 404
    unknown = await api.post("toolbox", "projects", "no-such-project", "adopt", body={})
    assert (unknown.code, unknown.body["code"]) == (404, "not_found")
    bad = await api.post("toolbox", "projects", stranger["id"], "adopt", body={"move": "maybe"})
    assert (bad.code, bad.body["code"]) == (400, "invalid_body")
    assert fingerprint(database) == before


async def test_no_database_and_an_unreadable_one(api: Api, root: Path) -> None:
    reply = await api.get("toolbox", "projects")
    assert reply.code == 200 and reply.body == {"database": None, "problem": None, "projects": []}
    database = make_database(root, [])
    database.write_bytes(b"garbage" * 200)
    reply = await api.get("toolbox", "projects")
    assert reply.code == 200 and reply.body["database"] == str(database)
    assert "not readable" in reply.body["problem"] and reply.body["projects"] == []
    refused = await api.post("toolbox", "projects", "some-id", "adopt", body={})
    assert (refused.code, refused.body["code"]) == (409, "toolbox_unreadable")
