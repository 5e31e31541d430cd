"""Follow edits in project folders so open tabs learn about them without polling.

`watchfiles` watches the projects root in its own thread (Rust notify backend) and hands us
debounced batches; each batch is mapped to the projects whose folders it touched, and
each such project gets one `project_changed` event. The extension's own folder
(`.aext-project/`: temp files, trash, marker) is not a user change and is ignored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path

from watchfiles import awatch

from ..context import AppContext
from ..store import projects as project_store
from ..store.engine import read
from .sync.ignore import EXTENSION_FOLDER

log = logging.getLogger(__name__)
DEBOUNCE_MS = 500


def touched_projects(changed: Iterable[str], folders: dict[Path, str]) -> set[str]:
    """The ids of the projects whose folder contains one of the changed paths."""
    hit: set[str] = set()
    for raw in changed:
        path = Path(raw)
        if EXTENSION_FOLDER in path.parts:
            continue
        for folder, project_id in folders.items():
            if path.is_relative_to(folder):
                hit.add(project_id)
    return hit


async def watch_projects(ctx: AppContext, stop: asyncio.Event) -> None:
    """Publish `project_changed` for local edits until `stop` is set."""
    root = ctx.settings.projects_root
    if ctx.db is None:
        return
    await asyncio.to_thread(root.mkdir, parents=True, exist_ok=True)
    try:
        async for changes in awatch(root, stop_event=stop, debounce=DEBOUNCE_MS, recursive=True):
            projects = await read(ctx.db, project_store.list_projects)
            folders = {Path(p.local_path): p.id for p in projects if p.local_path}
            for project_id in touched_projects((path for _, path in changes), folders):
                ctx.events.project_changed(project_id, "local_change")
    except Exception:  # the watcher is a convenience: never take the server down
        log.exception("watching %s for project changes stopped", root)
