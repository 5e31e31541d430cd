"""Resolving a conflict copy keeps one version (or both); the losing version stays reachable
in the project's trash and as a cloud revision, and the project stops needing attention."""

from __future__ import annotations

from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from aext_project_filebrowser_server.services import history
from aext_project_filebrowser_server.services.conflicts import original_of
from aext_project_filebrowser_server.testing import local_files, remote_files, run_over_ws

from .conftest import api, older_revisions, put_remote, trashed, wait_for_request

OURS, THEIRS = b"local edit\n", b"cloud edit\n"


async def conflicted(make_project: Any, jp_ws_fetch: Any, cloud_http: Any) -> tuple[Any, str]:
    """A project whose notes.txt changed on both sides and was synced: a conflict copy."""
    project = await make_project({"notes.txt": b"base\n", "other.txt": b"o"})
    await run_over_ws(jp_ws_fetch, project.id)
    put_remote(cloud_http, project.id, "notes.txt", THEIRS)
    (project.root / "notes.txt").write_bytes(OURS)
    messages = await run_over_ws(jp_ws_fetch, project.id)
    [conflict] = [m for m in messages if m["type"] == "conflict"]
    return project, conflict["copy_path"]


async def resolve(jp_fetch: Any, project_id: str, path: str, keep: str) -> tuple[int, Any]:
    return await api(
        jp_fetch,
        "POST",
        "projects",
        project_id,
        "conflicts",
        "resolve",
        body={"path": path, "keep": keep},
    )


async def test_keep_remote_trashes_the_copy_and_its_cloud_revision_stays(
    jp_fetch, jp_ws_fetch, make_project, cloud_http, context
) -> None:
    project, copy = await conflicted(make_project, jp_ws_fetch, cloud_http)
    assert await history.needs_attention(context, project.id) is not None

    status, body = await resolve(jp_fetch, project.id, copy, "remote")
    await wait_for_request(context, body["sync_request_id"])

    assert status == 200, body
    assert (body["path"], body["copy_path"], body["keep"]) == ("notes.txt", copy, "remote")
    assert local_files(project.root) == {"notes.txt": THEIRS, "other.txt": b"o"}
    assert trashed(project.root) == {copy: OURS}
    assert remote_files(cloud_http, project.id) == local_files(project.root)
    assert OURS in older_revisions(cloud_http, project.id, copy)  # still downloadable
    assert await history.needs_attention(context, project.id) is None
    runs = (await history.project_history(context, project.id)).runs
    assert runs[0].trigger == "resolve" and runs[0].result == "ok"
    assert runs[1].conflicts[0].resolution == "remote"


async def test_keep_local_puts_the_edit_back_and_the_cloud_keeps_the_other_revision(
    jp_fetch, jp_ws_fetch, make_project, cloud_http, context
) -> None:
    project, copy = await conflicted(make_project, jp_ws_fetch, cloud_http)

    # the original path names the conflict too
    status, body = await resolve(jp_fetch, project.id, "notes.txt", "local")
    await wait_for_request(context, body["sync_request_id"])

    assert status == 200, body
    assert body["copy_path"] == copy
    assert local_files(project.root) == {"notes.txt": OURS, "other.txt": b"o"}
    assert trashed(project.root) == {"notes.txt": THEIRS}
    assert remote_files(cloud_http, project.id) == local_files(project.root)
    assert THEIRS in older_revisions(cloud_http, project.id, "notes.txt")
    assert OURS in older_revisions(cloud_http, project.id, copy)
    assert await history.needs_attention(context, project.id) is None


async def test_keep_both_leaves_every_file_and_clears_the_attention(
    jp_fetch, jp_ws_fetch, make_project, cloud_http, context
) -> None:
    project, copy = await conflicted(make_project, jp_ws_fetch, cloud_http)
    before = local_files(project.root)
    details = await history.conflict_details(context, project.id)
    assert [d.copy_path for d in details] == [copy]

    status, body = await resolve(jp_fetch, project.id, copy, "both")

    assert status == 200 and body["sync_request_id"] is None and body["trashed"] == []
    assert (
        local_files(project.root) == before == {"notes.txt": THEIRS, copy: OURS, "other.txt": b"o"}
    )
    assert remote_files(cloud_http, project.id) == before
    assert await history.needs_attention(context, project.id) is None
    assert await history.conflict_details(context, project.id) == ()
    # resolved once: a second answer is refused, not applied
    status, body = await resolve(jp_fetch, project.id, copy, "local")
    assert status == 409 and body["code"] == "already_resolved"


async def test_a_copy_deleted_by_hand_no_longer_needs_attention(
    jp_ws_fetch, make_project, cloud_http, context
) -> None:
    project, copy = await conflicted(make_project, jp_ws_fetch, cloud_http)
    (project.root / copy).unlink()
    await run_over_ws(jp_ws_fetch, project.id)
    assert await history.needs_attention(context, project.id) is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"path": "notes.txt", "keep": "mine"}, "invalid_body"),
        ({"path": "notes.txt"}, "invalid_body"),
        ({"path": "notes.txt", "keep": "local", "force": True}, "invalid_body"),
        ({"path": "../outside.txt", "keep": "local"}, "invalid_path"),
        ({"path": ".aext-project/trash/x", "keep": "local"}, "invalid_path"),
    ],
)
async def test_bad_requests_are_400s(jp_fetch, make_project, body, code) -> None:
    project = await make_project({"notes.txt": b"n"})
    status, answer = await api(
        jp_fetch, "POST", "projects", project.id, "conflicts", "resolve", body=body
    )
    assert (status, answer["code"]) == (400, code)


async def test_no_conflict_is_a_404_and_anonymous_callers_a_403(jp_fetch, make_project) -> None:
    project = await make_project({"notes.txt": b"n"})
    status, body = await resolve(jp_fetch, project.id, "notes.txt", "local")
    assert status == 404 and body["code"] == "not_found"
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch(
            "aext_project_filebrowser_server",
            "projects",
            project.id,
            "conflicts",
            "resolve",
            method="POST",
            body="{}",
            headers={"Authorization": ""},
        )
    assert refused.value.code == 403


def test_a_copy_name_leads_back_to_its_original() -> None:
    label = "(conflict, alice on lab-server, 2026-11-22 14-03)"
    assert original_of(f"analysis {label}.ipynb") == "analysis.ipynb"
    assert original_of(f"data/big {label} 2.tar.gz") == "data/big.tar.gz"
    assert original_of(f"README {label}") == "README"
    assert original_of("analysis.ipynb") is None
