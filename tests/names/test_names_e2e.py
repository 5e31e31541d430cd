"""Each class of file name end to end: a real Jupyter server, the replica in both dialects,
syncs over the WebSocket and every REST route that shows a project.

For each class: the outcome of issue #16 (synced as one file, or skipped as unsyncable with
a reason while the rest syncs, with the run `ok`), nothing renamed or moved to the trash,
no 500 from any route, and the folder watcher still delivering `project_changed` after.
Case-insensitivity is simulated by replacing `file_names.folder_is_case_insensitive` (the
machine's folders are case-sensitive); the function the snapshot asks is that one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sync_e2e.conftest import put_remote

from aext_project_filebrowser_server.services.sync import file_names
from aext_project_filebrowser_server.services.watch import start_watching, stop_watching
from aext_project_filebrowser_server.testing import (
    EXTENSION,
    Project,
    local_files,
    remote_files,
    remote_versions,
    run_over_ws,
    server_context,
    write_tree,
)

from .test_name_table import NFC, NFD

LATIN1 = b"caf\xe9.txt"  # as a Latin-1 system wrote it: not UTF-8
SHOWN_LATIN1 = "caf\\xe9.txt"


def disk_names(root: Path) -> set[bytes]:
    """Every user file's name on disk, as bytes (the extension's own folder left out)."""
    found: set[bytes] = set()
    base = os.fsencode(root)
    for folder, dirs, names in os.walk(base):
        dirs[:] = [d for d in dirs if d != b".aext-project"]
        found |= {os.path.relpath(os.path.join(folder, n), base) for n in names}
    return found


def trash(root: Path) -> list[Path]:
    return [p for p in (root / ".aext-project" / "trash").rglob("*") if p.is_file()]


async def routes_answer(jp_fetch: Any, project_id: str) -> dict[str, dict[str, Any]]:
    """Every route that shows the project answers 200; the files by path."""
    await jp_fetch(EXTENSION, "projects")
    await jp_fetch(EXTENSION, "projects", project_id)
    for direction in ("push", "pull", "sync"):
        await jp_fetch(EXTENSION, "projects", project_id, "plan", params={"direction": direction})
    answer = await jp_fetch(EXTENSION, "projects", project_id, "files")
    assert answer.code == 200
    files = json.loads(answer.body)
    assert files["cloud_status"] == "ok"
    return {entry["path"]: entry for entry in files["files"]}


async def sync(jp_ws_fetch: Any, project: Project, kind: str = "sync") -> dict[str, Any]:
    messages = await run_over_ws(jp_ws_fetch, project.id, kind)
    assert messages[-1]["type"] == "completed", messages[-1]
    summary: dict[str, Any] = messages[-1]["summary"]
    return summary


async def settles(jp_ws_fetch: Any, project: Project) -> None:
    """A sync right after plans nothing."""
    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")
    assert sum(messages[0]["plan"]["counts"].values()) == 0, messages[0]["plan"]


@contextlib.asynccontextmanager
async def watched(jp_serverapp: Any) -> AsyncIterator[None]:
    """The folder watcher of the server under test, running for the whole test (the
    in-process test server does not start the extension's own)."""
    watch = await start_watching(server_context(jp_serverapp))
    assert watch is not None
    try:
        yield
    finally:
        await stop_watching(watch)


async def watcher_still_delivers(jp_ws_fetch: Any, project: Project) -> None:
    """A file written into the folder is heard as `project_changed` (`local_change`). It is
    written again each second: a watch that is starting again after an error misses what
    changed while it was down (see `watch._watch_blocking`)."""
    tab = await jp_ws_fetch(EXTENSION, "ws")
    try:
        tab.write_message(json.dumps({"type": "subscribe", "project_ids": [project.id]}))
        assert json.loads(await tab.read_message())["type"] == "subscribed"
        deadline = asyncio.get_running_loop().time() + 30
        while asyncio.get_running_loop().time() < deadline:
            (project.root / f"touch-{os.urandom(4).hex()}.txt").write_bytes(b"t")
            try:
                while True:
                    message = json.loads(await asyncio.wait_for(tab.read_message(), 1.5))
                    if message["type"] == "project_changed" and message["reason"] == "local_change":
                        return
            except asyncio.TimeoutError:
                continue
        raise AssertionError("no project_changed from the folder watcher within 30 s")
    finally:
        tab.close()


async def test_an_nfd_file_with_its_nfc_twin_in_the_cloud_is_one_file(
    jp_serverapp, jp_fetch, jp_ws_fetch, make_project, cloud_http
) -> None:
    """The issue's loop: before, a second copy was downloaded and every sync failed."""
    async with watched(jp_serverapp):
        project = await make_project()
        put_remote(cloud_http, project.id, NFC, b"same bytes")
        write_tree(project.root, {NFD: b"same bytes"})
        summary = await sync(jp_ws_fetch, project)
        assert summary["result"] == "ok" and not summary["failures"]
        assert disk_names(project.root) == {os.fsencode(NFD)}
        assert trash(project.root) == []
        assert remote_files(cloud_http, project.id) == {NFC: b"same bytes"}
        await settles(jp_ws_fetch, project)
        files = await routes_answer(jp_fetch, project.id)
        assert files[NFC]["status"] == "synced"
        # an edit in the cloud lands on the name on disk
        version = remote_versions(cloud_http, project.id)[NFC]
        put_remote(cloud_http, project.id, NFC, b"edited in the cloud", **{"If-Match": version})
        await sync(jp_ws_fetch, project)
        assert disk_names(project.root) == {os.fsencode(NFD)}
        assert (project.root / NFD).read_bytes() == b"edited in the cloud"
        assert trash(project.root) == []
        await watcher_still_delivers(jp_ws_fetch, project)


async def test_an_nfd_file_alone_is_uploaded_and_keeps_its_name(
    jp_serverapp, jp_fetch, jp_ws_fetch, make_project, cloud_http
) -> None:
    """Before, the next sync moved it to the trash and downloaded an NFC copy."""
    async with watched(jp_serverapp):
        project = await make_project()
        write_tree(project.root, {f"notes/{NFD}": b"from a mac"})
        summary = await sync(jp_ws_fetch, project)
        assert summary["result"] == "ok"
        assert remote_files(cloud_http, project.id) == {f"notes/{NFC}": b"from a mac"}
        await settles(jp_ws_fetch, project)
        assert disk_names(project.root) == {os.fsencode(f"notes/{NFD}")}
        assert trash(project.root) == []
        files = await routes_answer(jp_fetch, project.id)
        assert files[f"notes/{NFC}"]["status"] == "synced"


async def test_a_latin1_name_is_unsyncable_and_the_rest_syncs(
    jp_serverapp, jp_fetch, jp_ws_fetch, make_project, cloud_http
) -> None:
    """Before: every sync failed internal_error, GET files answered 500, the watcher died."""
    async with watched(jp_serverapp):
        project = await make_project()
        write_tree(project.root, {"ok.txt": b"ok"})
        with open(os.fsencode(project.root) + b"/" + LATIN1, "wb") as handle:
            handle.write(b"latin-1 named")
        summary = await sync(jp_ws_fetch, project)
        assert summary["result"] == "ok" and not summary["failures"]
        assert [s["path"] for s in summary["skipped"]] == [SHOWN_LATIN1]
        assert remote_files(cloud_http, project.id) == {"ok.txt": b"ok"}
        assert disk_names(project.root) == {b"ok.txt", LATIN1}
        files = await routes_answer(jp_fetch, project.id)
        assert files[SHOWN_LATIN1]["status"] == "unsyncable"
        assert "not valid UTF-8" in files[SHOWN_LATIN1]["reason"]
        assert files["ok.txt"]["status"] == "synced" and files["ok.txt"]["reason"] is None
        await settles(jp_ws_fetch, project)
        await watcher_still_delivers(jp_ws_fetch, project)


async def test_a_control_character_is_skipped_not_a_failure(
    jp_serverapp, jp_fetch, jp_ws_fetch, make_project, cloud_http
) -> None:
    """Before: its upload was refused on every run, and every run ended `partial`."""
    async with watched(jp_serverapp):
        project = await make_project()
        write_tree(project.root, {"line\nbreak.txt": b"x", "fine.txt": b"f"})
        summary = await sync(jp_ws_fetch, project)
        assert summary["result"] == "ok" and not summary["failures"]
        assert remote_files(cloud_http, project.id) == {"fine.txt": b"f"}
        files = await routes_answer(jp_fetch, project.id)
        assert files["line\nbreak.txt"]["status"] == "unsyncable"
        assert local_files(project.root) == {"line\nbreak.txt": b"x", "fine.txt": b"f"}
        detail = json.loads((await jp_fetch(EXTENSION, "projects", project.id)).body)
        assert detail["project"]["needs_attention"] is None
        await watcher_still_delivers(jp_ws_fetch, project)


async def test_two_spellings_of_one_name_are_both_left_alone(
    jp_serverapp, jp_fetch, jp_ws_fetch, make_project, cloud_http
) -> None:
    async with watched(jp_serverapp):
        project = await make_project()
        write_tree(project.root, {NFD: b"one", NFC: b"two", "other.txt": b"o"})
        summary = await sync(jp_ws_fetch, project)
        assert summary["result"] == "ok"
        assert remote_files(cloud_http, project.id) == {"other.txt": b"o"}
        assert disk_names(project.root) == {os.fsencode(NFD), os.fsencode(NFC), b"other.txt"}
        assert (project.root / NFD).read_bytes() == b"one"
        assert (project.root / NFC).read_bytes() == b"two"
        files = await routes_answer(jp_fetch, project.id)
        assert files[NFD]["status"] == files[NFC]["status"] == "unsyncable"
        await watcher_still_delivers(jp_ws_fetch, project)


async def test_case_variants_on_a_case_insensitive_folder_never_overwrite(
    jp_serverapp,
    engine_in_this_process,
    jp_fetch,
    jp_ws_fetch,
    make_project,
    cloud_http,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with watched(jp_serverapp):
        monkeypatch.setattr(file_names, "folder_is_case_insensitive", lambda _root: True)
        project = await make_project()
        put_remote(cloud_http, project.id, "Data.csv", b"upper")
        put_remote(cloud_http, project.id, "data.csv", b"lower")
        summary = await sync(jp_ws_fetch, project)
        assert summary["result"] == "ok"
        assert local_files(project.root) == {"Data.csv": b"upper"}
        assert [(s["path"], "differs only in case" in s["reason"]) for s in summary["skipped"]] == [
            ("data.csv", True)
        ]
        assert remote_files(cloud_http, project.id) == {"Data.csv": b"upper", "data.csv": b"lower"}
        await settles(jp_ws_fetch, project)
        files = await routes_answer(jp_fetch, project.id)
        assert files["Data.csv"]["status"] == "synced"
        assert files["data.csv"]["status"] == "unsyncable"
        await watcher_still_delivers(jp_ws_fetch, project)


async def test_the_watcher_survives_a_name_that_is_not_utf8(
    jp_serverapp, jp_ws_fetch, make_project
) -> None:
    """watchfiles raises for the whole watch on such a name: the watch starts again."""
    async with watched(jp_serverapp):
        project, other = await make_project(), await make_project()
        with open(os.fsencode(project.root) + b"/" + LATIN1, "wb") as handle:
            handle.write(b"x")
        await asyncio.sleep(1.5)  # the watch has seen it, failed, and is starting again
        await watcher_still_delivers(jp_ws_fetch, other)
        await watcher_still_delivers(jp_ws_fetch, project)
