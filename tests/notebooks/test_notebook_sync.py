"""Notebooks changed on both sides, synced through the WebSocket against a real replica.

Each test syncs a base notebook, changes it in the cloud (as another server would, with
If-Match) and locally, syncs again and checks what a user would see: one merged notebook,
or a readable conflict copy naming the cells that clash.
"""

from __future__ import annotations

import copy
from typing import Any

from aext_project_filebrowser_server.services import history
from aext_project_filebrowser_server.services.sync.notebook_merge import describe_conflict
from aext_project_filebrowser_server.services.sync.plan import Conflict
from aext_project_filebrowser_server.services.sync.run import load_project, make_plan
from aext_project_filebrowser_server.testing import (
    local_files,
    remote_files,
    run_over_ws,
    server_context,
)

from .conftest import cells_of, dump, notebook, put_remote, ran, source_of, versions

PATH = "analysis.ipynb"
BASE = notebook(
    ("md1", "# Analysis"),
    ("load", "import math\nvalues = [1, 2, 3]"),
    ("total", "total = sum(values)\nprint(total)"),
)


async def synced_project(make_project: Any, jp_ws_fetch: Any, content: bytes) -> Any:
    project = await make_project()
    (project.root / PATH).write_bytes(content)
    first = await run_over_ws(jp_ws_fetch, project.id)
    assert first[-1]["type"] == "completed", first[-1]
    return project


def edited(nb: Any, cell_id: str, source: str) -> Any:
    changed = copy.deepcopy(nb)
    for cell in changed.cells:
        if cell.id == cell_id:
            cell.source = source
    return changed


async def test_outputs_only_differences_merge_and_keep_local_outputs(
    make_project, jp_ws_fetch, cloud_http, jp_serverapp
) -> None:
    project = await synced_project(make_project, jp_ws_fetch, dump(BASE))
    theirs = ran(copy.deepcopy(BASE), "total", 7, "6 (cloud run)\n")
    theirs.metadata["language_info"]["version"] = "3.12"
    put_remote(cloud_http, project.id, PATH, dump(theirs))
    ours = ran(copy.deepcopy(BASE), "total", 1, "6 (local run)\n")
    (project.root / PATH).write_bytes(dump(ours))
    revisions_before = len(versions(cloud_http, project.id, PATH))

    messages = await run_over_ws(jp_ws_fetch, project.id)

    assert not [m for m in messages if m["type"] == "conflict"]
    summary = messages[-1]["summary"]
    assert summary["result"] == "ok" and summary["merged_notebooks"] == [PATH]
    assert summary["counts"] == {"notebook_merge": 1}
    here = local_files(project.root)
    assert list(here) == [PATH]  # no conflict copy
    merged = cells_of(here[PATH])
    assert merged["total"]["execution_count"] == 1
    assert "".join(merged["total"]["outputs"][0]["text"]) == "6 (local run)\n"
    assert remote_files(cloud_http, project.id) == here  # the merge was uploaded
    assert len(versions(cloud_http, project.id, PATH)) == revisions_before + 1
    # the history says so, and nothing needs the user
    context = server_context(jp_serverapp)
    runs = (await history.project_history(context, project.id)).runs
    assert runs[0].merged_notebooks == (PATH,) and runs[0].conflicts == ()
    assert await history.needs_attention(context, project.id) is None
    again = await run_over_ws(jp_ws_fetch, project.id)
    assert sum(again[0]["plan"]["counts"].values()) == 0


async def test_edits_in_different_cells_merge_cleanly(
    make_project, jp_ws_fetch, cloud_http
) -> None:
    project = await synced_project(make_project, jp_ws_fetch, dump(BASE))
    put_remote(cloud_http, project.id, PATH, dump(edited(BASE, "load", "values = [4, 5, 6]")))
    ours = ran(edited(BASE, "total", "total = sum(values) * 2\nprint(total)"), "total", 3, "12\n")
    (project.root / PATH).write_bytes(dump(ours))

    messages = await run_over_ws(jp_ws_fetch, project.id)

    assert not [m for m in messages if m["type"] == "conflict"]
    assert messages[-1]["summary"]["merged_notebooks"] == [PATH]
    here = local_files(project.root)
    assert list(here) == [PATH]
    merged = cells_of(here[PATH])
    assert source_of(merged["load"]) == "values = [4, 5, 6]"
    assert source_of(merged["total"]) == "total = sum(values) * 2\nprint(total)"
    assert source_of(merged["md1"]) == "# Analysis"
    assert remote_files(cloud_http, project.id) == here


async def test_the_same_cell_edited_on_both_sides_keeps_both_and_names_the_cell(
    make_project, jp_ws_fetch, cloud_http, jp_serverapp
) -> None:
    project = await synced_project(make_project, jp_ws_fetch, dump(BASE))
    theirs = dump(edited(BASE, "total", "total = max(values)"))
    put_remote(cloud_http, project.id, PATH, theirs)
    ours = dump(edited(BASE, "total", "total = min(values)"))
    (project.root / PATH).write_bytes(ours)

    messages = await run_over_ws(jp_ws_fetch, project.id)

    conflicts = [m for m in messages if m["type"] == "conflict"]
    assert len(conflicts) == 1
    conflict = conflicts[0]
    assert conflict["path"] == PATH and conflict["cells"] == ["total"]
    assert "total" in conflict["reason"]
    copy_path = conflict["copy_path"]
    assert copy_path.startswith("analysis (conflict, alice on lab-server, ")
    assert copy_path.endswith(").ipynb")
    here = local_files(project.root)
    assert here == {PATH: theirs, copy_path: ours}  # both kept, byte for byte
    assert remote_files(cloud_http, project.id) == here
    # the history entry says which cells clashed, and the project needs the user
    context = server_context(jp_serverapp)
    run = (await history.project_history(context, project.id)).runs[0]
    assert [(c.path, c.copy_path, c.cells) for c in run.conflicts] == [
        (PATH, copy_path, ("total",))
    ]
    attention = await history.needs_attention(context, project.id)
    assert attention is not None
    assert [r.code for r in attention.reasons] == ["unresolved_conflicts"]
    details = await history.conflict_details(context, project.id)
    assert [(d.path, d.copy_path) for d in details] == [(PATH, copy_path)]
    assert details[0].local.size == len(ours) and details[0].remote.size == len(theirs)
    assert details[0].local.author == details[0].remote.author == "alice"


async def test_invalid_notebook_json_falls_back_to_a_byte_level_copy(
    make_project, jp_ws_fetch, cloud_http
) -> None:
    project = await synced_project(make_project, jp_ws_fetch, dump(BASE))
    theirs = dump(edited(BASE, "load", "values = []"))
    put_remote(cloud_http, project.id, PATH, theirs)
    broken = b'{"cells": [ {"cell_type": "code", '  # a save cut short
    (project.root / PATH).write_bytes(broken)

    messages = await run_over_ws(jp_ws_fetch, project.id)

    assert messages[-1]["type"] == "completed"
    assert messages[-1]["summary"]["result"] == "ok"
    conflicts = [m for m in messages if m["type"] == "conflict"]
    assert len(conflicts) == 1 and conflicts[0]["cells"] == []
    assert "not valid JSON" in conflicts[0]["reason"]
    here = local_files(project.root)
    assert here == {PATH: theirs, conflicts[0]["copy_path"]: broken}
    assert remote_files(cloud_http, project.id) == here


async def test_a_cell_deleted_on_one_side_and_run_on_the_other_merges(
    make_project, jp_ws_fetch, cloud_http
) -> None:
    project = await synced_project(make_project, jp_ws_fetch, dump(BASE))
    without = copy.deepcopy(BASE)
    without.cells = [c for c in without.cells if c.id != "load"]
    put_remote(cloud_http, project.id, PATH, dump(without))
    (project.root / PATH).write_bytes(dump(ran(copy.deepcopy(BASE), "load", 1, "ok\n")))

    messages = await run_over_ws(jp_ws_fetch, project.id)

    assert messages[-1]["summary"]["merged_notebooks"] == [PATH]
    assert set(cells_of(local_files(project.root)[PATH])) == {"md1", "total"}


async def test_the_dry_run_says_whether_the_notebook_will_merge(
    make_project, jp_ws_fetch, cloud_http, jp_serverapp
) -> None:
    project = await synced_project(make_project, jp_ws_fetch, dump(BASE))
    context = server_context(jp_serverapp)
    put_remote(cloud_http, project.id, PATH, dump(edited(BASE, "total", "total = max(values)")))

    async def dry_run() -> str:
        local = await load_project(context, project.id)
        plan = await make_plan(context, local, "sync")
        [op] = plan.operations
        assert isinstance(op, Conflict)
        return await describe_conflict(context.cloud, project.id, project.root, op)

    (project.root / PATH).write_bytes(dump(ran(copy.deepcopy(BASE), "load", 2, "ok\n")))
    assert await dry_run() == "will merge notebook"
    (project.root / PATH).write_bytes(dump(edited(BASE, "total", "total = min(values)")))
    assert await dry_run() == "conflict copy: the same cells changed on both sides (total)"
    assert local_files(project.root) == {PATH: dump(edited(BASE, "total", "total = min(values)"))}
    assert not list((project.root / ".aext-project" / "tmp").glob("*"))
