"""Follow edits in project folders so open tabs learn about them without polling.

`watchfiles` watches the projects root (Rust notify backend) and hands over debounced
batches; each batch is mapped to the projects whose folders it touched, and each such
project gets one `project_changed` event. The extension's own folder (`.aext-project/`:
temp files, trash, marker) is not a user change and is ignored.

The watch runs in a thread of its own, a *daemon* thread, instead of `watchfiles.awatch`:
awatch parks its blocking call in an anyio worker thread, which is not a daemon, so a
server stopped without our `stop_extension` (a SIGINT with no terminal ends the loop with a
KeyboardInterrupt) waited for it forever in `threading._shutdown`. A daemon thread can never
keep the process alive, so a stop does not wait for it: it sees the stop event within
`STEP_MS` and ends by itself. That step is also how often an idle server wakes up for the
watch (awatch's 50 ms meant 20 wake-ups a second in every idle user's server); a change is
reported within one to two steps. `watchfiles` is imported by that thread, not at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..context import AppContext
from ..store import projects as project_store
from ..store.engine import read
from .sync.ignore import EXTENSION_FOLDER

log = logging.getLogger(__name__)
DEBOUNCE_MS = 500
STEP_MS = 1000  # how often the watching thread wakes up (stop event, pending changes)
RESTART_DELAYS = (1.0, 5.0, 30.0, 60.0)  # seconds before the 1st, 2nd, 3rd... restart
HEALTHY_AFTER_S = 10.0  # a watch that failed after this long starts the delays over


@dataclass(frozen=True)
class FolderWatch:
    """A running watch: set `stop` to end it; `thread` watches, `task` publishes."""

    stop: threading.Event
    thread: threading.Thread
    task: asyncio.Task[None]


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


def _watch_blocking(
    root: Path, stop: threading.Event, deliver: Callable[[set[str] | None], None]
) -> None:
    """In the watching thread: hand each batch of changed paths to `deliver`; None at the end.

    Whatever one folder does (a name that is not UTF-8, a folder removed under the watch,
    the projects root itself gone, a permission error) ends only the current `watch`: the
    error is logged and the watch starts again after `RESTART_DELAYS` (so a root that
    stays missing costs one try a minute, not a busy loop), for every project at once,
    until the server stops. (`watchfiles` raises for the whole watch when one changed
    name is not UTF-8.) A batch that changed while the watch was down is not replayed:
    the next change, or the panel's next look, brings it.
    """
    failures = 0
    try:
        while not stop.is_set():
            started = time.monotonic()
            try:
                _watch_once(root, stop, deliver)
            except Exception:  # the watcher is a convenience: never take the server down
                if time.monotonic() - started >= HEALTHY_AFTER_S:
                    failures = 0  # it had been watching: a new trouble, not the same one
                delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
                failures += 1
                log.exception("watching %s failed; starting again in %s s", root, delay)
                stop.wait(delay)
    finally:
        deliver(None)


def _watch_once(
    root: Path, stop: threading.Event, deliver: Callable[[set[str] | None], None]
) -> None:
    """One `watchfiles.watch` of `root` until `stop` or an error. A root removed under the
    watch is an error: the watch would go on, silent, on a folder that is gone, and miss
    everything in the one made again in its place (seen by the batch that names the root
    deleted, or, when that batch comes late, by the root being another folder now)."""
    from watchfiles import Change, watch

    identity = _identity(root)
    for changes in watch(
        root,
        stop_event=stop,
        debounce=DEBOUNCE_MS,
        step=STEP_MS,
        rust_timeout=0,  # no periodic returns to Python while nothing changes
        recursive=True,
        raise_interrupt=False,
    ):
        deliver({path for _, path in changes})
        if (Change.deleted, str(root)) in changes or _identity(root) != identity:
            raise FileNotFoundError(f"the projects root {root} was removed")


def _identity(folder: Path) -> tuple[int, int] | None:
    try:
        st = folder.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


async def _publish(ctx: AppContext, batches: asyncio.Queue[set[str] | None]) -> None:
    """On the loop: map each batch to projects and publish `project_changed`."""
    assert ctx.db is not None
    while (changed := await batches.get()) is not None:
        try:
            projects = await read(ctx.db, project_store.list_projects)
        except Exception:
            log.exception("could not map folder changes to projects")
            continue
        folders = {Path(p.local_path): p.id for p in projects if p.local_path}
        try:
            for project_id in touched_projects(changed, folders):
                ctx.events.project_changed(project_id, "local_change")
        except Exception:  # one odd batch must not end the publishing for every project
            log.exception("could not publish folder changes")


async def start_watching(ctx: AppContext) -> FolderWatch | None:
    """Start watching the projects root; None when there is no store to map changes with."""
    if ctx.db is None:
        return None
    root = ctx.settings.projects_root
    await asyncio.to_thread(root.mkdir, parents=True, exist_ok=True)
    loop = asyncio.get_running_loop()
    batches: asyncio.Queue[set[str] | None] = asyncio.Queue()

    def deliver(changed: set[str] | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is already closed: nobody listens
            loop.call_soon_threadsafe(batches.put_nowait, changed)

    stop = threading.Event()
    thread = threading.Thread(
        target=_watch_blocking,
        args=(root, stop, deliver),
        name="pfb-folder-watcher",
        daemon=True,
    )
    thread.start()
    return FolderWatch(stop, thread, asyncio.create_task(_publish(ctx, batches)))


async def stop_watching(watch: FolderWatch) -> None:
    """Stop the publishing task and tell the thread to end (it does within `STEP_MS`; being
    a daemon, it is not waited for)."""
    watch.stop.set()
    watch.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watch.task
