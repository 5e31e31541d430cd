"""What the Projects panel needs of the server: contents-API paths of project folders, the
signed-in account, and the cloud poll that turns edits made elsewhere into
`project_changed` for the projects some tab follows."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from aext_project_filebrowser_server.cloud.client import aclose, make_cloud_client
from aext_project_filebrowser_server.services.account import current_account
from aext_project_filebrowser_server.services.cloud_poll import poll_once
from aext_project_filebrowser_server.services.errors import ServiceError
from aext_project_filebrowser_server.services.project_files import contents_path
from aext_project_filebrowser_server.services.subscriptions import Subscriptions
from aext_project_filebrowser_server.testing import (
    EXTENSION,
    create_project,
    run_over_ws,
    server_context,
    unique_name,
)

from .conftest import put_remote


@pytest.mark.parametrize(
    ("root", "folder", "expected"),
    [
        ("/srv/notebooks", "/srv/notebooks/projects/Sales forecast", "projects/Sales forecast"),
        ("/srv/notebooks", "/srv/notebooks", ""),
        ("/srv/notebooks", "/srv/other/p", None),
        ("/srv/notebooks", "/srv/notebooks-evil/p", None),
        ("/srv/notebooks", None, None),
        (None, "/srv/notebooks/p", None),
    ],
)
def test_contents_path_is_relative_to_the_jupyter_root_or_none(
    root: str | None, folder: str | None, expected: str | None
) -> None:
    assert contents_path(Path(root) if root else None, folder) == expected


async def test_projects_carry_their_contents_path(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path, cloud_http: Any, tmp_path: Path
) -> None:
    name = unique_name("inside")
    inside = await create_project(jp_serverapp, cloud_http, name, jp_root_dir / "work" / name)
    outside = await create_project(jp_serverapp, cloud_http, unique_name("out"), tmp_path / "x")
    reply = await jp_fetch(EXTENSION, "projects")
    by_id = {p["id"]: p for p in json.loads(reply.body)["projects"]}
    assert by_id[inside.id]["contents_path"] == f"work/{name}"
    assert by_id[outside.id]["contents_path"] is None
    detail = json.loads((await jp_fetch(EXTENSION, "projects", inside.id)).body)
    assert detail["project"]["contents_path"] == f"work/{name}"


async def test_account_names_the_user_behind_the_key(jp_fetch: Any) -> None:
    reply = await jp_fetch(EXTENSION, "account")
    body = json.loads(reply.body)
    assert body["name"] == "alice"
    assert body["id"]


async def test_account_without_a_key_or_with_a_bad_one_says_log_in(
    jp_serverapp: Any, replica: Any
) -> None:
    ctx = server_context(jp_serverapp)
    unconfigured = dataclasses.replace(
        ctx, settings=dataclasses.replace(ctx.settings, cloud_configured=False)
    )
    with pytest.raises(ServiceError) as none:
        await current_account(unconfigured)
    assert (none.value.status, none.value.code) == (401, "not_logged_in")
    bad_client = make_cloud_client(replica.url, "not-a-key", "2023.11.28", retry_attempts=1)
    try:
        with pytest.raises(ServiceError) as bad:
            await current_account(dataclasses.replace(ctx, cloud=bad_client))
    finally:
        await aclose(bad_client)
    assert bad.value.status == 401
    assert bad.value.code.startswith("auth_required")


def test_subscriptions_count_tabs_and_everything() -> None:
    subs = Subscriptions()
    assert subs.empty
    subs.add(["a"])
    subs.add(["a", "b"])
    subs.remove(["a"])
    assert subs.watched(["a", "b", "c"]) == {"a", "b"}  # the second tab still follows a
    subs.remove(["a", "b"])
    assert subs.empty
    subs.add(None)
    assert subs.watched(["a", "c"]) == {"a", "c"}
    subs.remove(None)
    assert subs.empty


async def _changed_events(ws: Any, timeout: float) -> list[dict[str, Any]]:
    events = []
    try:
        while True:
            raw = await asyncio.wait_for(ws.read_message(), timeout)
            message = json.loads(raw)
            if message["type"] == "project_changed":
                events.append(message)
    except asyncio.TimeoutError:
        return events


async def test_the_cloud_poll_tells_subscribers_of_cloud_edits_once(
    jp_fetch: Any, jp_ws_fetch: Any, jp_serverapp: Any, make_project: Any, cloud_http: Any
) -> None:
    ctx = server_context(jp_serverapp)
    watched, ignored = await make_project(), await make_project()
    (watched.root / "a.txt").write_bytes(b"one\n")
    (ignored.root / "a.txt").write_bytes(b"one\n")
    for project in (watched, ignored):
        done = await run_over_ws(jp_ws_fetch, project.id, "push")
        assert done[-1]["summary"]["result"] == "ok"
    tab_one = await jp_ws_fetch(EXTENSION, "ws")
    tab_two = await jp_ws_fetch(EXTENSION, "ws")
    for tab in (tab_one, tab_two):
        await tab.write_message(json.dumps({"type": "subscribe", "project_ids": [watched.id]}))
        assert json.loads(await tab.read_message())["type"] == "subscribed"

    seen: dict[str, str] = {}
    assert await poll_once(ctx, seen) == 0  # the cloud matches the bases: nothing to say
    put_remote(cloud_http, watched.id, "a.txt", b"edited elsewhere\n")
    put_remote(cloud_http, ignored.id, "a.txt", b"edited elsewhere\n")
    assert await poll_once(ctx, seen) == 1  # only the followed project is checked
    events = await _changed_events(tab_one, 1.0)
    assert [(e["project_id"], e["reason"]) for e in events] == [(watched.id, "cloud_change")]
    assert await poll_once(ctx, seen) == 0  # no second event for the same edit

    listed = json.loads((await jp_fetch(EXTENSION, "projects")).body)["projects"]
    counts = next(p for p in listed if p["id"] == watched.id)["sync"]["counts"]
    assert counts.get("modified_remote") == 1  # the stored statuses were refreshed too
    tab_one.close()
    tab_two.close()
    await asyncio.sleep(0.1)
    put_remote(cloud_http, watched.id, "a.txt", b"again\n")
    assert await poll_once(ctx, seen) == 0  # nobody follows it any more
