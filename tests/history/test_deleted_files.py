"""Recently deleted files over REST: the project trash after a sync applied a cloud delete,
the cloud files a push deleted, and bringing each back (never over another file)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.services.trash_files import list_trash, restore_from_trash
from aext_project_filebrowser_server.testing import (
    Project,
    local_files,
    remote_versions,
    run_over_ws,
    write_tree,
)

from .conftest import api

REPORT = b"a,b\n1,2\n"


async def synced(jp_ws_fetch: Any, project: Project, kind: str = "sync") -> None:
    messages = await run_over_ws(jp_ws_fetch, project.id, kind)
    assert messages[-1]["type"] == "completed", messages[-1]


def delete_in_cloud(client: httpx.Client, project_id: str, path: str) -> None:
    """Delete a cloud file as another server would."""
    version = remote_versions(client, project_id)[path]
    answer = client.delete(
        f"/api/projects/{project_id}/files/{path}", headers={"If-Match": version}
    )
    assert answer.status_code in (200, 204), answer.text


async def deleted(jp_fetch: Any, project: Project, **params: str) -> list[dict[str, Any]]:
    status, body = await api(jp_fetch, "GET", "projects", project.id, "deleted", params=params)
    assert status == 200, body
    assert body["project_id"] == project.id
    return list(body["files"])


async def restore(jp_fetch: Any, project: Project, trash_path: str) -> tuple[int, Any]:
    body = {"trash_path": trash_path}
    return await api(jp_fetch, "POST", "projects", project.id, "deleted", "restore", body=body)


async def trashed_report(jp_ws_fetch: Any, make_project: Any, cloud_http: httpx.Client) -> Project:
    """A project whose `data/report.csv` a sync moved to the trash (deleted in the cloud)."""
    project = await make_project(
        {"data/report.csv": REPORT, "keep.txt": b"keep", "stays.txt": b"stays"}
    )
    await synced(jp_ws_fetch, project, "push")
    delete_in_cloud(cloud_http, project.id, "data/report.csv")
    await synced(jp_ws_fetch, project)
    assert not (project.root / "data/report.csv").exists()
    return project


async def test_trash_and_cloud_deletions_are_listed_newest_first(
    jp_fetch, jp_ws_fetch, make_project, cloud_http
) -> None:
    project = await trashed_report(jp_ws_fetch, make_project, cloud_http)
    uploaded = remote_versions(cloud_http, project.id)["keep.txt"]
    (project.root / "keep.txt").unlink()
    await synced(jp_ws_fetch, project, "push")
    assert "keep.txt" not in remote_versions(cloud_http, project.id)

    files = await deleted(jp_fetch, project)

    cloud, trash = files
    assert cloud == {
        "path": "keep.txt",
        "source": "cloud",
        "deleted_at": cloud["deleted_at"],
        "size": None,
        "trash_path": None,
        "version": uploaded,
    }
    assert trash["path"] == "data/report.csv" and trash["source"] == "trash"
    assert trash["size"] == len(REPORT) and trash["version"] is None
    assert re.fullmatch(r"\.aext-project/trash/\d{8}-\d{6}/data/report\.csv", trash["trash_path"])
    assert (project.root / trash["trash_path"]).read_bytes() == REPORT
    assert datetime.fromisoformat(cloud["deleted_at"]) >= datetime.fromisoformat(
        trash["deleted_at"]
    )
    assert await deleted(jp_fetch, project, limit="1") == [cloud]

    # The cloud kept the deleted revision: it is listed, and restoring it brings it back.
    status, body = await api(
        jp_fetch, "GET", "projects", project.id, "files", "keep.txt", "versions"
    )
    assert status == 200, body
    assert uploaded in [v["file_version_id"] for v in body["versions"]]
    status, body = await api(
        jp_fetch,
        "POST",
        "projects",
        project.id,
        "files",
        "keep.txt",
        "restore",
        body={"version": uploaded},
    )
    assert status == 200, body
    assert (body["path"], body["conflict_copy"]) == ("keep.txt", None)
    assert (project.root / "keep.txt").read_bytes() == b"keep"
    # Present again locally: no longer a deleted file.
    assert [f["path"] for f in await deleted(jp_fetch, project)] == ["data/report.csv"]
    await synced(jp_ws_fetch, project, "push")
    assert "keep.txt" in remote_versions(cloud_http, project.id)
    assert [f["path"] for f in await deleted(jp_fetch, project)] == ["data/report.csv"]


async def test_a_trashed_file_goes_back_to_its_free_path(
    jp_fetch, jp_ws_fetch, make_project, cloud_http
) -> None:
    project = await trashed_report(jp_ws_fetch, make_project, cloud_http)
    (entry,) = await deleted(jp_fetch, project)

    status, body = await restore(jp_fetch, project, entry["trash_path"])

    assert status == 200, body
    assert body == {
        "project_id": project.id,
        "path": "data/report.csv",
        "restored_as": "data/report.csv",
    }
    assert (project.root / "data/report.csv").read_bytes() == REPORT
    assert not (project.root / entry["trash_path"]).exists()
    assert await deleted(jp_fetch, project) == []
    again = await restore(jp_fetch, project, entry["trash_path"])
    assert (again[0], again[1]["code"]) == (404, "not_found")
    # The next sync puts it back in the cloud.
    await synced(jp_ws_fetch, project)
    assert "data/report.csv" in remote_versions(cloud_http, project.id)


async def test_a_trashed_file_lands_next_to_a_file_now_at_its_path(
    jp_fetch, jp_ws_fetch, make_project, cloud_http
) -> None:
    project = await trashed_report(jp_ws_fetch, make_project, cloud_http)
    (entry,) = await deleted(jp_fetch, project)
    (project.root / "data/report.csv").write_bytes(b"a new report")
    (project.root / "data/report (restored 2000-01-01 00-00).csv").write_bytes(b"older")

    status, body = await restore(jp_fetch, project, entry["trash_path"])

    assert status == 200, body
    assert body["path"] == "data/report.csv"
    restored_as = body["restored_as"]
    assert re.fullmatch(r"data/report \(restored \d{4}-\d\d-\d\d \d\d-\d\d\)\.csv", restored_as)
    assert (project.root / restored_as).read_bytes() == REPORT
    assert (project.root / "data/report.csv").read_bytes() == b"a new report"
    assert (project.root / "data/report (restored 2000-01-01 00-00).csv").read_bytes() == b"older"
    assert not (project.root / entry["trash_path"]).exists()


def test_names_taken_by_earlier_restores_get_a_counter(tmp_path: Path) -> None:
    """Restores within one minute of two trashed versions of an occupied path."""
    trash = tmp_path / ".aext-project" / "trash"
    for stamp, content in [("20261202-011500", b"first"), ("20261202-011501", b"second")]:
        write_tree(trash / stamp, {"nb/notes.ipynb": content, "nb/notes.ipynb.1": b"clash"})
    write_tree(tmp_path, {"nb/notes.ipynb": b"current"})
    now = datetime(2026, 12, 2, 1, 15, 30, tzinfo=timezone.utc)

    first = restore_from_trash(tmp_path, ".aext-project/trash/20261202-011500/nb/notes.ipynb", now)
    second = restore_from_trash(tmp_path, ".aext-project/trash/20261202-011501/nb/notes.ipynb", now)
    clash = restore_from_trash(
        tmp_path, ".aext-project/trash/20261202-011500/nb/notes.ipynb.1", now
    )

    assert first == ("nb/notes.ipynb", "nb/notes (restored 2026-12-02 01-15).ipynb")
    assert second == ("nb/notes.ipynb", "nb/notes (restored 2026-12-02 01-15 2).ipynb")
    assert clash == ("nb/notes.ipynb.1", "nb/notes.ipynb.1")  # a trash clash name is kept
    assert local_files(tmp_path) == {
        "nb/notes.ipynb": b"current",
        "nb/notes (restored 2026-12-02 01-15).ipynb": b"first",
        "nb/notes (restored 2026-12-02 01-15 2).ipynb": b"second",
        "nb/notes.ipynb.1": b"clash",
    }
    assert [t.trash_path for t in list_trash(tmp_path)] == [
        ".aext-project/trash/20261202-011501/nb/notes.ipynb.1"
    ]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "invalid_body"),
        ({"trash_path": ".aext-project/trash/20261202-011500/a.txt", "x": 1}, 400, "invalid_body"),
        ({"trash_path": "../a.txt"}, 400, "invalid_path"),
        ({"trash_path": ".aext-project/trash/20261202-011500/../../a.txt"}, 400, "invalid_path"),
        ({"trash_path": ".aext-project/trash/20261202-011500/nothing.txt"}, 404, "not_found"),
    ],
)
async def test_bad_restores_are_4xx(jp_fetch, make_project, body, status, code) -> None:
    project = await make_project({"a.txt": b"a"})
    got = await api(jp_fetch, "POST", "projects", project.id, "deleted", "restore", body=body)
    assert (got[0], got[1]["code"]) == (status, code), got
    assert (project.root / "a.txt").read_bytes() == b"a"


@pytest.mark.parametrize("limit", ["0", "1001", "ten", "-1"])
async def test_a_bad_limit_is_a_400(jp_fetch, make_project, limit) -> None:
    project = await make_project({})
    got = await api(jp_fetch, "GET", "projects", project.id, "deleted", params={"limit": limit})
    assert (got[0], got[1]["code"]) == (400, "invalid_query")


async def test_an_unknown_project_is_a_404(jp_fetch) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    for method, parts in [("GET", ("deleted",)), ("POST", ("deleted", "restore"))]:
        body = {"trash_path": ".aext-project/trash/20261202-011500/a.txt"}
        got = await api(
            jp_fetch, method, "projects", unknown, *parts, body=body if method == "POST" else None
        )
        assert (got[0], got[1]["code"]) == (404, "not_found"), got
