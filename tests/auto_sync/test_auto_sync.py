"""Auto-sync end to end: a real Jupyter server (folder watcher on, short delays) and a real
replica. Waits are on WebSocket messages, never on fixed sleeps, except where a test must
show that something does *not* happen."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from aext_project_filebrowser_server.schemas.projects import CloudProject, local_from_cloud
from aext_project_filebrowser_server.store import projects as project_store
from aext_project_filebrowser_server.store.engine import write
from aext_project_filebrowser_server.testing import (
    EXTENSION,
    local_files,
    remote_files,
    server_context,
    unique_name,
    write_tree,
)

from .conftest import QUIET_S, get_project, history, set_mode

BASE = {f"data/f{i:02}.txt": f"base {i}\n".encode() for i in range(6)}


def auto_completed(messages: list[dict[str, Any]], n: int = 1) -> bool:
    ends = [m for m in messages if m["type"] == "completed" and m.get("trigger") == "auto"]
    return len(ends) >= n


async def synced_base(make_project, listen, jp_fetch):
    """A project whose BASE auto-sync (on save) has uploaded; its listener."""
    project = await make_project()
    write_tree(project.root, BASE)
    listener = await listen(project.id)
    await set_mode(jp_fetch, project.id, {"mode": "on_save"})
    await listener.wait_for(auto_completed)
    return project, listener


# --- the REST contract ------------------------------------------------------------------


async def test_mode_is_listed_set_and_validated(jp_fetch, make_project, cloud_http) -> None:
    project = await make_project()
    listed = json.loads((await jp_fetch(EXTENSION, "projects")).body)["projects"]
    mine = next(p for p in listed if p["id"] == project.id)
    assert mine["auto_sync"] == {
        "mode": "off",
        "interval_minutes": None,
        "paused": False,
        "paused_reason": None,
        "last_run_at": None,
    }
    state = await set_mode(jp_fetch, project.id, {"mode": "interval", "interval_minutes": 15})
    assert state["mode"] == "interval" and state["interval_minutes"] == 15
    assert (await get_project(jp_fetch, project.id))["auto_sync"]["mode"] == "interval"

    bad = [
        {"mode": "interval"},
        {"mode": "interval", "interval_minutes": 0},
        {"mode": "interval", "interval_minutes": 1441},
        {"mode": "on_save", "interval_minutes": 5},
        {"mode": "sometimes"},
        {"mode": "off", "force": True},
        {},
    ]
    for body in bad:
        with pytest.raises(HTTPClientError) as refused:
            await jp_fetch(
                EXTENSION, "projects", project.id, "auto_sync", method="PUT", body=json.dumps(body)
            )
        assert refused.value.code == 400, body
        assert json.loads(refused.value.response.body)["code"] == "invalid_body"
    with pytest.raises(HTTPClientError) as missing:
        await jp_fetch(
            EXTENSION,
            "projects",
            "no-such-project",
            "auto_sync",
            method="PUT",
            body='{"mode":"off"}',
        )
    assert missing.value.code == 404
    assert json.loads(missing.value.response.body)["code"] == "not_found"


async def test_a_project_without_a_folder_cannot_auto_sync(jp_fetch, jp_serverapp, cloud_http):
    name = unique_name("auto-cloud-only")
    answer = cloud_http.post("/api/projects", json={"title": name, "name": name})
    assert answer.status_code == 201, answer.text
    cloud = CloudProject.model_validate(answer.json())
    ctx = server_context(jp_serverapp)
    assert ctx.db is not None
    await write(ctx.db, project_store.insert_project, local_from_cloud(cloud))
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch(
            EXTENSION, "projects", cloud.id, "auto_sync", method="PUT", body='{"mode":"on_save"}'
        )
    assert refused.value.code == 409
    assert json.loads(refused.value.response.body)["code"] == "not_downloaded"


async def test_post_projects_takes_a_mode_and_refuses_a_bad_one(jp_fetch) -> None:
    body = {"title": unique_name("auto-new"), "auto_sync": {"mode": "on_save"}}
    answer = await jp_fetch(EXTENSION, "projects", method="POST", body=json.dumps(body))
    assert answer.code == 201
    created = json.loads(answer.body)
    assert created["auto_sync"]["mode"] == "on_save"
    assert (await get_project(jp_fetch, created["id"]))["auto_sync"]["mode"] == "on_save"
    bad = {"title": unique_name("auto-new"), "auto_sync": {"mode": "interval"}}
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch(EXTENSION, "projects", method="POST", body=json.dumps(bad))
    assert refused.value.code == 400


# --- behaviour ------------------------------------------------------------------------------


async def test_ten_saves_in_a_burst_sync_once_or_twice(
    jp_fetch, make_project, listen, cloud_http
) -> None:
    project, listener = await synced_base(make_project, listen, jp_fetch)
    before = len(listener.auto_ends())
    notebook = project.root / "analysis.ipynb"
    for i in range(10):  # a user saving a notebook again and again
        notebook.write_text(json.dumps({"cells": [], "save": i}))
        await asyncio.sleep(0.3)
    final = notebook.read_bytes()

    def in_cloud(_: list[dict[str, Any]]) -> bool:
        return auto_completed(listener.messages, before + 1) and (
            remote_files(cloud_http, project.id).get("analysis.ipynb") == final
        )

    await listener.wait_for(in_cloud)
    await asyncio.sleep(QUIET_S + 2)  # a late watcher batch would start one more run now
    ends = listener.auto_ends()[before:]
    assert 1 <= len(ends) <= 2, [e.get("summary") for e in ends]
    assert all(e["type"] == "completed" for e in ends), ends
    assert all(e["request_id"].startswith("auto-") and e["trigger"] == "auto" for e in ends)
    runs = await history(jp_fetch, project.id)
    assert {r["trigger"] for r in runs} == {"auto"}
    assert (await get_project(jp_fetch, project.id))["auto_sync"]["last_run_at"] is not None


async def test_a_tripped_gate_pauses_and_never_forces(
    jp_fetch, make_project, listen, cloud_http
) -> None:
    project, listener = await synced_base(make_project, listen, jp_fetch)
    for path in BASE:  # someone empties the cloud project
        assert cloud_http.delete(f"/api/projects/{project.id}/files/{path}").status_code == 204
    (project.root / "notes.txt").write_text("a save after the cloud was emptied\n")

    def paused(messages: list[dict[str, Any]]) -> bool:
        return any(m.get("reason") == "auto_sync_paused" for m in messages)

    await listener.wait_for(paused)
    refused = [m for m in listener.auto_ends() if m["type"] == "failed"]
    assert refused and refused[-1]["code"] == "one_side_empty", listener.auto_ends()
    shown = await get_project(jp_fetch, project.id)
    assert shown["auto_sync"]["paused"] is True
    assert "one_side_empty" in shown["auto_sync"]["paused_reason"]
    assert shown["auto_sync"]["mode"] == "on_save"
    codes = {r["code"] for r in shown["needs_attention"]["reasons"]}
    assert "auto_sync_paused" in codes
    expected = {**BASE, "notes.txt": b"a save after the cloud was emptied\n"}
    assert local_files(project.root) == expected  # nothing deleted, nothing forced

    # paused: more saves start nothing
    ends_when_paused = len(listener.auto_ends())
    (project.root / "notes.txt").write_text("another save\n")
    await asyncio.sleep(QUIET_S + 3)
    assert len(listener.auto_ends()) == ends_when_paused
    assert (await history(jp_fetch, project.id))[0]["result"] == "refused"

    # setting the mode again resumes; the gate still holds, so it pauses again, unforced
    resumed = await set_mode(jp_fetch, project.id, {"mode": "on_save"})
    assert resumed["paused"] is False and resumed["paused_reason"] is None
    await listener.wait_for(lambda ms: sum(m.get("reason") == "auto_sync_paused" for m in ms) >= 2)
    assert remote_files(cloud_http, project.id) == {}
    assert local_files(project.root) == {**BASE, "notes.txt": b"another save\n"}
    runs = await history(jp_fetch, project.id)
    assert [r["result"] for r in runs[:2]] == ["refused", "refused"]
    assert all(r["trigger"] == "auto" for r in runs)


async def test_turning_it_off_stops_automatic_runs(jp_fetch, make_project, listen) -> None:
    project, listener = await synced_base(make_project, listen, jp_fetch)
    await set_mode(jp_fetch, project.id, {"mode": "off"})
    ends = len(listener.auto_ends())
    (project.root / "late.txt").write_text("saved with auto-sync off\n")
    await asyncio.sleep(QUIET_S + 3)
    assert len(listener.auto_ends()) == ends
