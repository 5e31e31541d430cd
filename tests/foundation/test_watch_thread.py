"""The folder watcher can never keep a server process alive: it runs in a daemon thread,
which ends by itself within one step of being told to stop. (Issue 17: awatch's worker
thread was not a daemon, and a server stopped by a KeyboardInterrupt waited for it forever
in `threading._shutdown`.)"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aext_project_filebrowser_server.services.events import EventBus
from aext_project_filebrowser_server.services.watch import STEP_MS, start_watching, stop_watching


async def test_the_watcher_thread_is_a_daemon_and_stops(tmp_path: Path) -> None:
    context: Any = SimpleNamespace(
        db=object(),  # only read when a change arrives; none does here
        settings=SimpleNamespace(projects_root=tmp_path / "projects"),
        events=EventBus(),
    )
    watch = await start_watching(context)
    assert watch is not None
    assert watch.thread.daemon and watch.thread.is_alive()
    assert (tmp_path / "projects").is_dir()
    await stop_watching(watch)
    deadline = time.monotonic() + 3 * STEP_MS / 1000
    while watch.thread.is_alive() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert not watch.thread.is_alive()
    assert watch.task.done()


async def test_no_store_no_watcher(tmp_path: Path) -> None:
    context: Any = SimpleNamespace(db=None, settings=SimpleNamespace(projects_root=tmp_path))
    assert await start_watching(context) is None
