"""Suite 5 of the issue's list, the 412 race: a side changes between plan and execute.

A Jupyter server runs in process; the test takes its `AppContext`, plans with `make_plan`,
then changes one side behind the planner's back (another client's `PUT`/`DELETE` straight
to the replica, or a local edit), then runs `execute_plan`. The executor must refuse to
act on what it did not plan: the cloud answers 412 to the conditional write, or the local
re-check fails, and the operation comes back stale, nothing overwritten or deleted. The
next sync then resolves the path with the newer state (a conflict copy, or the edit
winning over the delete), converges, and loses no version.

The last test races a whole run: the remote changes between the run's plan and its
execution, and the run's own re-plan pass settles it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.cloud import client as cloud_facade
from aext_project_filebrowser_server.services.sync import local_files
from aext_project_filebrowser_server.services.sync import run as run_module
from aext_project_filebrowser_server.services.sync.execute import SyncTarget, execute_plan
from aext_project_filebrowser_server.services.sync.run import load_project, make_plan
from aext_project_filebrowser_server.services.write_guard import cloud_guards_writes

from .evidence import (
    Ledger,
    cloud_http,
    cloud_listing,
    cloud_versions,
    convergence_problems,
    delete_remote,
    get_bytes,
    local_tree,
    lost_versions,
    whole_version_problems,
)
from .inprocess import Project, add_project_to, sync_once

# The races are staged by patching the engine in this process.
pytestmark = pytest.mark.usefixtures("engine_in_this_process")


@pytest.fixture
def pfb_extension_config(pfb_db_path: Path, dialect_replica: Any, tmp_path: Path) -> dict[str, Any]:
    """Against both dialects: the evidence one ignores If-Match / If-None-Match, so there
    the executor's own version checks must stop what the 412 stops here."""
    return {
        "db_url": f"sqlite:///{pfb_db_path}",
        "cloud_url": dialect_replica.url,
        "cloud_api_key": "demo-alice-key",
        "server_name": "race-lab",
        "projects_root": str(tmp_path / "projects-root"),
        "watch_folders": False,
    }


@pytest.fixture
def http(dialect_replica: Any) -> Iterator[httpx.Client]:
    with cloud_http(dialect_replica.url) as client:
        yield client


async def synced_project(
    jp_serverapp: Any, http: httpx.Client, tmp_path: Path, ledger: Ledger
) -> Project:
    """A project whose a.txt and b.txt are synced (base recorded on both sides)."""
    ctx = jp_serverapp.web_app.settings["pfb_context"]
    project = await add_project_to(ctx, http, tmp_path / "folders" / "race")
    ledger.write_local(project.root, "a.txt", "base")
    ledger.write_local(project.root, "b.txt", "base")
    messages = await sync_once(ctx, project.id, "sync")
    assert messages[-1]["type"] == "completed", messages[-1]
    return project


async def plan_then_race(
    jp_serverapp: Any, project: Project, race: Callable[[], None], kind: str
) -> tuple[Any, Any]:
    """Plan a sync, run `race()`, execute the (now stale) plan; (plan, report)."""
    ctx = jp_serverapp.web_app.settings["pfb_context"]
    local = await load_project(ctx, project.id)
    plan = await make_plan(ctx, local, "sync")
    assert [op.kind for op in plan.operations] == [kind], plan
    race()
    guarded = await cloud_guards_writes(ctx, project.id)
    target = SyncTarget(project.id, project.root, ctx.cloud, ctx.db, guarded)
    report = await execute_plan(target, plan, run_id=None)
    return plan, report


async def settle(jp_serverapp: Any, project: Project, http: httpx.Client, ledger: Ledger) -> Any:
    """The next sync: completes, converges, plans nothing after, loses nothing."""
    ctx = jp_serverapp.web_app.settings["pfb_context"]
    messages = await sync_once(ctx, project.id, "sync")
    end = messages[-1]
    assert end["type"] == "completed" and end["summary"]["result"] == "ok", end
    assert not convergence_problems(project.root, http, project.id)
    again = await sync_once(ctx, project.id, "sync")
    accepted = next(m for m in again if m["type"] == "accepted")
    assert sum(accepted["plan"]["counts"].values()) == 0, accepted
    assert not lost_versions(ledger, [project.root], http, project.id)
    assert not whole_version_problems(ledger, project.root, http, project.id)
    return end


def current(http: httpx.Client, project: Project, path: str) -> bytes:
    return get_bytes(http, f"/api/projects/{project.id}/files/{path}").content


async def test_upload_never_overwrites_a_newer_cloud_revision(jp_serverapp, http, tmp_path):
    ledger = Ledger(random.Random(1))
    project = await synced_project(jp_serverapp, http, tmp_path, ledger)
    ledger.write_local(project.root, "a.txt", "local edit")
    base = cloud_listing(http, project.id)["a.txt"]["file_version_id"]
    theirs = ledger.content("a.txt", "their edit")

    def race() -> None:
        answer = http.put(
            f"/api/projects/{project.id}/files/a.txt",
            files={"files": ("a.txt", theirs)},
            headers={"If-Match": base},
        )
        assert answer.status_code == 200, answer.text

    _, report = await plan_then_race(jp_serverapp, project, race, "upload")
    [outcome] = report.outcomes
    assert outcome.stale and outcome.code == "remote_changed"
    assert current(http, project, "a.txt") == theirs  # not overwritten
    assert len(cloud_versions(http, project.id, "a.txt")) == 2  # base + theirs, no upload
    end = await settle(jp_serverapp, project, http, ledger)
    [conflict] = end["summary"]["conflicts"]  # both edits kept: theirs at the path, ours aside
    assert local_tree(project.root)[conflict["copy_path"]].startswith(b"a.txt|local edit|")
    assert local_tree(project.root)["a.txt"] == theirs


async def test_new_file_upload_does_not_replace_one_created_meanwhile(jp_serverapp, http, tmp_path):
    ledger = Ledger(random.Random(2))
    project = await synced_project(jp_serverapp, http, tmp_path, ledger)
    ledger.write_local(project.root, "n.txt", "ours")
    theirs = ledger.content("n.txt", "theirs")

    def race() -> None:
        answer = http.put(
            f"/api/projects/{project.id}/files/n.txt", files={"files": ("n.txt", theirs)}
        )
        assert answer.status_code == 201, answer.text

    _, report = await plan_then_race(jp_serverapp, project, race, "upload")
    assert report.outcomes[0].stale
    assert current(http, project, "n.txt") == theirs
    end = await settle(jp_serverapp, project, http, ledger)
    assert len(end["summary"]["conflicts"]) == 1


async def test_delete_never_removes_a_newer_cloud_revision(jp_serverapp, http, tmp_path):
    ledger = Ledger(random.Random(3))
    project = await synced_project(jp_serverapp, http, tmp_path, ledger)
    (project.root / "a.txt").unlink()
    base = cloud_listing(http, project.id)["a.txt"]["file_version_id"]
    theirs = ledger.content("a.txt", "their edit")

    def race() -> None:
        answer = http.put(
            f"/api/projects/{project.id}/files/a.txt",
            files={"files": ("a.txt", theirs)},
            headers={"If-Match": base},
        )
        assert answer.status_code == 200, answer.text

    _, report = await plan_then_race(jp_serverapp, project, race, "delete_remote")
    assert report.outcomes[0].stale and report.outcomes[0].code == "remote_changed"
    assert current(http, project, "a.txt") == theirs  # still there
    await settle(jp_serverapp, project, http, ledger)
    assert local_tree(project.root)["a.txt"] == theirs  # the edit beat the delete


async def test_download_never_replaces_a_local_edit_made_meanwhile(jp_serverapp, http, tmp_path):
    ledger = Ledger(random.Random(4))
    project = await synced_project(jp_serverapp, http, tmp_path, ledger)
    base = cloud_listing(http, project.id)["a.txt"]["file_version_id"]
    theirs = ledger.content("a.txt", "their edit")
    answer = http.put(
        f"/api/projects/{project.id}/files/a.txt",
        files={"files": ("a.txt", theirs)},
        headers={"If-Match": base},
    )
    assert answer.status_code == 200, answer.text
    ours = ledger.content("a.txt", "local edit while downloading")

    def race() -> None:
        (project.root / "a.txt").write_bytes(ours)

    _, report = await plan_then_race(jp_serverapp, project, race, "download")
    assert report.outcomes[0].stale and report.outcomes[0].code == "local_changed"
    assert (project.root / "a.txt").read_bytes() == ours
    assert not list((project.root / ".aext-project" / "tmp").glob("*"))  # temp cleaned up
    end = await settle(jp_serverapp, project, http, ledger)
    assert len(end["summary"]["conflicts"]) == 1


async def test_trash_never_takes_a_local_edit_made_meanwhile(jp_serverapp, http, tmp_path):
    ledger = Ledger(random.Random(5))
    project = await synced_project(jp_serverapp, http, tmp_path, ledger)
    assert delete_remote(http, project.id, "b.txt").status_code == 204
    ours = ledger.content("b.txt", "local edit while trashing")

    def race() -> None:
        (project.root / "b.txt").write_bytes(ours)

    _, report = await plan_then_race(jp_serverapp, project, race, "trash_local")
    assert report.outcomes[0].stale
    assert (project.root / "b.txt").read_bytes() == ours
    await settle(jp_serverapp, project, http, ledger)
    assert current(http, project, "b.txt") == ours  # the edit beat the delete


async def test_a_run_replans_what_went_stale(jp_serverapp, http, tmp_path, monkeypatch):
    """The race inside one run: its second pass turns the stale upload into a conflict."""
    ledger = Ledger(random.Random(6))
    project = await synced_project(jp_serverapp, http, tmp_path, ledger)
    ledger.write_local(project.root, "a.txt", "local edit")
    ledger.write_local(project.root, "b.txt", "local edit")
    base = cloud_listing(http, project.id)["a.txt"]["file_version_id"]
    theirs = ledger.content("a.txt", "their edit")
    real_execute = run_module.execute_plan
    passes: list[list[str]] = []

    async def racing_execute(target: SyncTarget, plan: Any, **kw: Any) -> Any:
        passes.append(sorted(op.kind for op in plan.operations))
        if len(passes) == 1:
            answer = http.put(
                f"/api/projects/{project.id}/files/a.txt",
                files={"files": ("a.txt", theirs)},
                headers={"If-Match": base},
            )
            assert answer.status_code == 200, answer.text
        return await real_execute(target, plan, **kw)

    monkeypatch.setattr(run_module, "execute_plan", racing_execute)
    ctx = jp_serverapp.web_app.settings["pfb_context"]
    messages = await sync_once(ctx, project.id, "sync")
    end = messages[-1]
    assert passes == [["upload", "upload"], ["conflict"]], passes
    assert end["type"] == "completed" and end["summary"]["result"] == "ok", end
    assert [m["path"] for m in messages if m["type"] == "conflict"] == ["a.txt"]
    monkeypatch.undo()
    await settle(jp_serverapp, project, http, ledger)


async def test_recording_a_base_never_adopts_a_local_edit_made_meanwhile(
    jp_serverapp, http, tmp_path, dialect_replica
):
    """Both sides hold the same new bytes (plan: record the base; without listed hashes: a
    conflict the executor settles by comparing the bytes); the user edits before the base
    is written. The edit must stay visible to the next sync and reach the cloud (an earlier
    version recorded the user's file as if it held the planned bytes)."""
    ledger = Ledger(random.Random(7))
    project = await synced_project(jp_serverapp, http, tmp_path, ledger)
    same = ledger.content("a.txt", "same edit on both sides")
    base = cloud_listing(http, project.id)["a.txt"]["file_version_id"]
    (project.root / "a.txt").write_bytes(same)
    answer = http.put(
        f"/api/projects/{project.id}/files/a.txt",
        files={"files": ("a.txt", same)},
        headers={"If-Match": base},
    )
    assert answer.status_code == 200, answer.text
    ours = ledger.content("a.txt", "local edit while recording", size=300)

    def race() -> None:
        (project.root / "a.txt").write_bytes(ours)

    kind = "conflict" if dialect_replica.dialect == "evidence" else "record_base"
    _, report = await plan_then_race(jp_serverapp, project, race, kind)
    assert report.outcomes[0].stale
    await settle(jp_serverapp, project, http, ledger)  # converged: the edit was seen
    assert ours in local_tree(project.root).values()  # (as a conflict copy: the cloud moved)


async def test_a_write_right_after_a_download_is_not_taken_for_it(
    jp_serverapp, http, tmp_path, monkeypatch
):
    """The user saves the file between the download's rename and its base commit: the
    stat cache must not pair the user's file with the downloaded hash."""
    ledger = Ledger(random.Random(8))
    project = await synced_project(jp_serverapp, http, tmp_path, ledger)
    base = cloud_listing(http, project.id)["a.txt"]["file_version_id"]
    answer = ledger.put_remote(http, project.id, "a.txt", "their edit", **{"If-Match": base})
    assert answer.status_code == 200, answer.text
    ours = ledger.content("a.txt", "saved right after the download", size=500)
    real_fsync = local_files.fsync_directory
    saved: list[Path] = []

    def fsync_then_user_saves(folder: Path) -> None:
        real_fsync(folder)
        if not saved and (folder / "a.txt").is_file():
            (folder / "a.txt").write_bytes(ours)
            saved.append(folder / "a.txt")

    monkeypatch.setattr(local_files, "fsync_directory", fsync_then_user_saves)
    ctx = jp_serverapp.web_app.settings["pfb_context"]
    messages = await sync_once(ctx, project.id, "sync")
    monkeypatch.undo()
    assert saved and messages[-1]["type"] == "completed", messages[-1]
    await settle(jp_serverapp, project, http, ledger)
    assert current(http, project, "a.txt") == ours


@pytest.mark.parametrize("kind", ["upload", "delete_remote"])
async def test_a_write_inside_the_check_window_is_recovered_into_a_copy(
    jp_serverapp, http, tmp_path, monkeypatch, dialect_replica, kind
):
    """The window that remains with a cloud that ignores preconditions: another client
    writes right after our version check and right before our write. The cloud then
    replaced their version without a word; the executor sees it in the version listing
    and brings it back as a conflict copy named after its author. (With a cloud that
    honours If-Match the write is refused instead, and the next sync makes the copy.)"""
    ledger = Ledger(random.Random(11 if kind == "upload" else 12))
    project = await synced_project(jp_serverapp, http, tmp_path, ledger)
    if kind == "upload":
        ledger.write_local(project.root, "a.txt", "local edit")
    else:
        (project.root / "a.txt").unlink()
    base = cloud_listing(http, project.id)["a.txt"]["file_version_id"]
    theirs = ledger.content("a.txt", "their edit inside the window")
    real_check = cloud_facade.current_version

    async def check_then_race(client: Any, project_id: str, path: str) -> str | None:
        seen = await real_check(client, project_id, path)
        if path == "a.txt":
            answer = http.put(
                f"/api/projects/{project.id}/files/a.txt",
                files={"files": ("a.txt", theirs)},
                headers={"If-Match": base},
            )
            assert answer.status_code == 200, answer.text
        return seen

    monkeypatch.setattr(cloud_facade, "current_version", check_then_race)
    guarded = dialect_replica.dialect == "ours"
    if guarded:  # the racing PUT happens in the write itself here: the 412 stops ours
        real_upload = cloud_facade.upload_file
        real_delete = cloud_facade.delete_file

        async def race_then(real: Any, *args: Any, **kw: Any) -> Any:
            answer = http.put(
                f"/api/projects/{project.id}/files/a.txt",
                files={"files": ("a.txt", theirs)},
                headers={"If-Match": base},
            )
            assert answer.status_code == 200, answer.text
            return await real(*args, **kw)

        monkeypatch.setattr(
            cloud_facade, "upload_file", lambda *a, **k: race_then(real_upload, *a, **k)
        )
        monkeypatch.setattr(
            cloud_facade, "delete_file", lambda *a, **k: race_then(real_delete, *a, **k)
        )
    _, report = await plan_then_race(jp_serverapp, project, lambda: None, kind)
    [outcome] = report.outcomes
    monkeypatch.undo()
    if guarded:
        assert outcome.stale  # refused by the cloud
    else:
        assert outcome.ok and outcome.conflict_copy is not None
        assert outcome.conflict_copy.startswith("a (conflict, alice on the cloud, ")
        assert (project.root / outcome.conflict_copy).read_bytes() == theirs
    await settle(jp_serverapp, project, http, ledger)
    assert theirs in local_tree(project.root).values()  # their version survived, visibly
