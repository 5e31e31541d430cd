"""Sync history: every run recorded (success, partial failure, cancellation), listed newest
first over REST, with `last_sync` and `needs_attention` set and cleared as runs go."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session
from tornado.httpclient import HTTPClientError
from traitlets.traitlets import TraitError

from aext_project_filebrowser_server.extension import ProjectFileBrowserApp
from aext_project_filebrowser_server.services import history
from aext_project_filebrowser_server.services.sync.run import load_project
from aext_project_filebrowser_server.store import runs as run_store
from aext_project_filebrowser_server.store.engine import read, write
from aext_project_filebrowser_server.store.models import SyncConflict, SyncRun, utcnow
from aext_project_filebrowser_server.testing import local_files, remote_files, run_over_ws

from .conftest import api


async def test_runs_are_listed_newest_first_with_what_they_did(
    jp_fetch, jp_ws_fetch, make_project, context
) -> None:
    project = await make_project({"a.txt": b"alpha", "b.txt": b"beta"})
    assert (await history.last_sync(context, project.id)) is None
    first = await run_over_ws(jp_ws_fetch, project.id, "push")
    (project.root / "c.txt").write_bytes(b"gamma")
    second = await run_over_ws(jp_ws_fetch, project.id, "sync")
    assert first[-1]["type"] == second[-1]["type"] == "completed"

    status, body = await api(jp_fetch, "GET", "projects", project.id, "history")

    assert status == 200 and body["project_id"] == project.id
    newest, oldest = body["runs"]
    assert (newest["direction"], oldest["direction"]) == ("sync", "push")
    assert newest["id"] > oldest["id"]
    assert oldest["counts"] == {"upload": 2} and oldest["bytes"] == len(b"alphabeta")
    assert newest["counts"] == {"upload": 1} and newest["result"] == "ok"
    for run in body["runs"]:
        assert run["trigger"] == "user" and run["failures"] == [] and run["conflicts"] == []
        assert run["started_at"] <= run["finished_at"]
    status, body = await api(
        jp_fetch, "GET", "projects", project.id, "history", params={"limit": 1}
    )
    assert status == 200 and [r["id"] for r in body["runs"]] == [newest["id"]]
    last = await history.last_sync(context, project.id)
    assert last is not None and (last.result, last.run_id) == ("ok", newest["id"])
    assert await history.needs_attention(context, project.id) is None


@pytest.mark.parametrize("limit", ["0", "501", "ten", "-1", "\u00b2", "9" * 30])
async def test_a_bad_limit_is_a_400(jp_fetch, make_project, limit) -> None:
    project = await make_project({})
    status, body = await api(
        jp_fetch, "GET", "projects", project.id, "history", params={"limit": limit}
    )
    assert status == 400 and body["code"] == "invalid_query"


async def test_unknown_projects_and_anonymous_callers_are_refused(jp_fetch) -> None:
    status, body = await api(jp_fetch, "GET", "projects", "no-such-project", "history")
    assert status == 404 and body["code"] == "not_found"
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch(
            "aext_project_filebrowser_server",
            "projects",
            "x",
            "history",
            headers={"Authorization": ""},
        )
    assert refused.value.code == 403


async def test_a_partial_failure_is_recorded_and_needs_attention_until_a_good_run(
    jp_fetch, jp_ws_fetch, make_project, context, set_faults, cloud_http
) -> None:
    project = await make_project({"keep.txt": b"k", "old.txt": b"o"})
    await run_over_ws(jp_ws_fetch, project.id)
    (project.root / "old.txt").unlink()
    (project.root / "new.txt").write_bytes(b"n")
    set_faults("error_rate=1,methods=DELETE")  # the cloud refuses every delete

    messages = await run_over_ws(jp_ws_fetch, project.id)

    assert messages[-1]["summary"]["result"] == "partial"
    status, body = await api(jp_fetch, "GET", "projects", project.id, "history")
    assert status == 200
    run = body["runs"][0]
    assert run["result"] == "partial" and run["counts"] == {"upload": 1}
    assert len(run["failures"]) == 1 and run["failures"][0].startswith("old.txt: ")
    attention = await history.needs_attention(context, project.id)
    assert attention is not None and [r.code for r in attention.reasons] == ["failed_files"]
    last = await history.last_sync(context, project.id)
    assert last is not None and last.result == "partial"
    # the same facts on a list of projects, as the REST project list will carry them
    filled = await history.with_sync_state(context, [await load_project(context, project.id)])
    assert filled[0].needs_attention == attention and filled[0].last_sync == last
    assert await history.count_needing_attention(context) >= 1

    set_faults("")
    again = await run_over_ws(jp_ws_fetch, project.id)

    assert again[-1]["summary"]["result"] == "ok"
    assert await history.needs_attention(context, project.id) is None
    assert remote_files(cloud_http, project.id) == local_files(project.root)


async def test_a_failed_run_needs_attention_and_says_why(
    jp_ws_fetch, make_project, context, set_faults
) -> None:
    project = await make_project({"a.txt": b"a"})
    set_faults("error_rate=1,methods=GET|PUT")  # the cloud listing itself fails

    messages = await run_over_ws(jp_ws_fetch, project.id)

    assert messages[-1]["type"] == "failed"
    runs = (await history.project_history(context, project.id)).runs
    assert runs[0].result == "failed" and runs[0].error_code == messages[-1]["code"]
    attention = await history.needs_attention(context, project.id)
    assert attention is not None and attention.reasons[0].code == "last_sync_failed"


async def test_a_cancelled_run_is_recorded_and_leaves_the_attention_as_it_was(
    jp_ws_fetch, make_project, context, set_faults
) -> None:
    project = await make_project({f"many/{i}.txt": b"x" * i for i in range(60)})
    set_faults("error_rate=1,methods=GET")
    assert (await run_over_ws(jp_ws_fetch, project.id, "push"))[-1]["type"] == "failed"
    set_faults("latency=40ms")

    messages = await run_over_ws(jp_ws_fetch, project.id, "push", cancel_when_accepted=True)

    assert messages[-1]["summary"]["result"] == "cancelled"
    run = (await history.project_history(context, project.id)).runs[0]
    assert run.result == "cancelled" and run.finished_at is not None
    assert run.direction == "push" and run.counts.get("upload", 0) < 60
    last = await history.last_sync(context, project.id)
    assert last is not None and last.result == "cancelled"
    attention = await history.needs_attention(context, project.id)  # the failure still counts
    assert attention is not None and attention.reasons[0].code == "last_sync_failed"

    set_faults("")
    assert (await run_over_ws(jp_ws_fetch, project.id, "push"))[-1]["summary"]["result"] == "ok"
    assert await history.needs_attention(context, project.id) is None


async def test_old_history_is_pruned_but_unresolved_conflicts_stay(make_project, context) -> None:
    project = await make_project({})
    assert context.db is not None
    db = context.db
    old = await write(db, run_store.start_run, project.id, "sync", "user")
    copy = "x (conflict, alice on lab-server, 2026-01-01 10-00).txt"
    found = [run_store.NewConflict("x.txt", copy), run_store.NewConflict("nb.ipynb", None)]
    await write(db, run_store.finish_run, old, "ok", {}, 0, [], conflicts=found)
    recent = await write(db, run_store.start_run, project.id, "push", "user")
    await write(db, run_store.finish_run, recent, "ok", {}, 0, [])
    await write(db, _age, old, timedelta(days=40))

    assert await history.prune_history(db, 0) == (0, 0)  # 0 keeps everything
    assert await history.prune_history(db, 30) == (1, 1)  # the old run, the merged notebook

    assert [r.id for r in await read(db, run_store.list_runs, project.id)] == [recent]
    unresolved = await read(db, run_store.unresolved_conflicts, [project.id])
    assert [(c.path, c.copy_path, c.run_id) for c in unresolved[project.id]] == [
        ("x.txt", copy, None)
    ]


def test_the_retention_must_not_be_negative() -> None:
    assert ProjectFileBrowserApp().history_retention_days == 90
    with pytest.raises(TraitError):
        ProjectFileBrowserApp(history_retention_days=-1)


def _age(session: Session, run_id: int, age: timedelta) -> None:
    then = utcnow() - age
    session.execute(update(SyncRun).where(SyncRun.id == run_id).values(started_at=then))
    session.execute(
        update(SyncConflict)
        .where(SyncConflict.run_id == run_id, SyncConflict.resolved_at.is_not(None))
        .values(created_at=then, resolved_at=then)
    )
