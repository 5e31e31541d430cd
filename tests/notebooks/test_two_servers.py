"""Two servers, one cloud project, one notebook that both run and edit.

Server A is the Jupyter server under test; server B is a second, complete sync engine (its
own store, folder, cloud client and server name) driven through the same service calls the
WebSocket handler makes. Neither knows about the other beyond the cloud's conditional writes.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aext_project_filebrowser_server.cloud.client import make_cloud_client
from aext_project_filebrowser_server.context import AppContext, Settings
from aext_project_filebrowser_server.services import history
from aext_project_filebrowser_server.services.events import EventBus
from aext_project_filebrowser_server.services.running import SyncRegistry
from aext_project_filebrowser_server.services.sync.local_files import write_marker
from aext_project_filebrowser_server.services.sync.run import load_project, start_sync
from aext_project_filebrowser_server.services.sync.snapshot import marker_path
from aext_project_filebrowser_server.store import projects as project_store
from aext_project_filebrowser_server.store.engine import close_database, open_database, write
from aext_project_filebrowser_server.store.migrate import upgrade_if_needed
from aext_project_filebrowser_server.testing import local_files, run_over_ws, server_context

from .conftest import cells_of, dump, notebook, ran

PATH = "shared.ipynb"
BASE = notebook(
    ("intro", "# Shared analysis"),
    ("data", "data = [3, 1, 2]"),
    ("sort", "ordered = sorted(data)\nprint(ordered)"),
)


@pytest.fixture
def server_b(replica: Any, tmp_path: Path) -> Iterator[AppContext]:
    db_url = f"sqlite:///{tmp_path / 'server-b' / 'store.db'}"
    db = open_database(db_url)
    migration = upgrade_if_needed(db.engine)
    settings = Settings(
        db_url=db_url,
        projects_root=tmp_path / "server-b" / "projects",
        cloud_url=replica.url,
        api_version="2023.11.28",
        cloud_configured=True,
        sync_concurrency=4,
        server_name="laptop",
    )
    cloud = make_cloud_client(replica.url, "demo-alice-key", retry_attempts=3)
    yield AppContext(settings, db, migration, cloud, EventBus(), SyncRegistry())
    close_database(db)


async def sync_on(context: AppContext, project_id: str, direction: str = "sync") -> list[Any]:
    """Run one sync on a server and return the messages it published."""
    events = context.events.subscribe()
    running = await start_sync(
        context, project_id=project_id, direction=direction, request_id=uuid.uuid4().hex
    )
    assert running.task is not None
    await running.task
    context.events.unsubscribe(events)
    messages = []
    while not events.empty():
        messages.append(dict(events.get_nowait().message))
    ended = [m for m in messages if m["type"] in ("completed", "failed")]
    assert [m["type"] for m in ended] == ["completed"], ended
    return messages


def edited(nb: Any, cell_id: str, source: str) -> Any:
    changed = copy.deepcopy(nb)
    next(c for c in changed.cells if c.id == cell_id).source = source
    return changed


async def test_two_servers_merge_different_cells_then_keep_both_for_the_same_cell(
    make_project, jp_ws_fetch, jp_serverapp, server_b: AppContext
) -> None:
    a = await make_project()
    (a.root / PATH).write_bytes(dump(BASE))
    assert (await run_over_ws(jp_ws_fetch, a.id))[-1]["type"] == "completed"
    # server B gets the project: same store row, its own folder, a first pull
    project = await load_project(server_context(jp_serverapp), a.id)
    b_root = server_b.settings.projects_root / "shared"
    b_root.mkdir(parents=True)
    write_marker(marker_path(b_root), a.id)
    assert server_b.db is not None
    await write(
        server_b.db,
        project_store.insert_project,
        project.model_copy(update={"local_path": str(b_root), "version": 1}),
    )
    await sync_on(server_b, a.id, "pull")
    assert local_files(b_root) == local_files(a.root)

    # both run the notebook and edit different cells
    on_a = ran(edited(BASE, "data", "data = [30, 10, 20]"), "sort", 1, "[1, 2, 3]\n")
    on_b = ran(edited(BASE, "sort", "ordered = sorted(data, reverse=True)"), "sort", 4, "B\n")
    (a.root / PATH).write_bytes(dump(on_a))
    (b_root / PATH).write_bytes(dump(on_b))
    await run_over_ws(jp_ws_fetch, a.id)
    merged_on_b = await sync_on(server_b, a.id)
    await run_over_ws(jp_ws_fetch, a.id)

    assert not [m for m in merged_on_b if m["type"] == "conflict"]
    [completed] = [m for m in merged_on_b if m["type"] == "completed"]
    assert completed["summary"]["merged_notebooks"] == [PATH]
    assert local_files(a.root) == local_files(b_root)
    assert list(local_files(a.root)) == [PATH]  # one merged notebook, no conflict copy
    cells = cells_of(local_files(a.root)[PATH])
    assert "".join(cells["data"]["source"]) == "data = [30, 10, 20]"
    assert "".join(cells["sort"]["source"]) == "ordered = sorted(data, reverse=True)"

    # then both edit the same cell
    merged = local_files(a.root)[PATH]
    (a.root / PATH).write_bytes(merged.replace(b"[30, 10, 20]", b"[300]"))
    (b_root / PATH).write_bytes(merged.replace(b"[30, 10, 20]", b"[-1]"))
    await run_over_ws(jp_ws_fetch, a.id)
    conflicted = await sync_on(server_b, a.id)
    await run_over_ws(jp_ws_fetch, a.id)

    [conflict] = [m for m in conflicted if m["type"] == "conflict"]
    assert conflict["cells"] == ["data"]
    assert conflict["copy_path"].startswith("shared (conflict, alice on laptop, ")
    assert local_files(a.root) == local_files(b_root)
    assert sorted(local_files(a.root)) == sorted([PATH, conflict["copy_path"]])
    run = (await history.project_history(server_b, a.id)).runs[0]
    assert [(c.copy_path, c.cells) for c in run.conflicts] == [(conflict["copy_path"], ("data",))]
    attention = await history.needs_attention(server_b, a.id)
    assert attention is not None and attention.reasons[0].code == "unresolved_conflicts"
