"""The sync worker: a child process of the Jupyter server that runs pushes, pulls and syncs.

Why a process: a 2,000-file push costs Jupyter's process several CPU seconds (HTTP, hashing,
SQLite), and its event loop also serves the user's notebooks, file browser and terminals.
On that loop (or on threads that fight it for the GIL) the file browser's requests waited
~100 to 300 ms behind the run. Here the run has its own interpreter; the server only relays
its messages (issue 18).

The worker is the same engine: `start_sync` with a context of its own (the same store file,
a cloud client with the same settings, its own registry) whose event bus writes each message
as a JSON line on stdout instead of to subscribers. Commands arrive as JSON lines on stdin:
first the configuration, then `{"op": "start", ...}` and `{"op": "cancel", ...}`.
`worker_client` is the other end. The worker dies with its server (PR_SET_PDEATHSIG): a run
never outlives the server that owns the project's registry; what it leaves open is closed by
the same recovery as a crash.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from ...cloud.client import aclose, make_cloud_client
from ...cloud.credentials import resolve_credential
from ...context import AppContext, Settings
from ...store.engine import close_database, open_database
from ...store.migrate import MigrationState
from ..errors import ServiceError
from ..events import EventBus
from ..running import SyncRegistry
from .run import start_sync

log = logging.getLogger("aext_project_filebrowser_server.worker")
WORKER_ENV = "AEXT_PFB_IN_WORKER"  # set in the worker's environment (see crashpoints)
PARENT_ENV = "AEXT_PFB_SERVER_PID"  # the server that started this worker


_PROTOCOL = sys.stdout  # replaced in main() by a private copy of the pipe to the server


def _send(message: dict[str, Any]) -> None:
    """One JSON line to the server. Small and rare (progress is throttled to ~10/s)."""
    _PROTOCOL.write(json.dumps(message, separators=(",", ":")) + "\n")
    _PROTOCOL.flush()


class RelayBus(EventBus):
    """The worker's event bus: every message goes to the server, which publishes it."""

    def publish(self, project_id: str, message: Any) -> None:
        _send({"publish": project_id, "message": dict(message)})


def _context(config: dict[str, Any]) -> AppContext:
    fields = dict(config["settings"])
    fields["projects_root"] = Path(fields["projects_root"])
    if fields.get("contents_root") is not None:
        fields["contents_root"] = Path(fields["contents_root"])
    settings = Settings(**fields)
    credential = resolve_credential(config["api_key"], os.environ, settings.cloud_url)
    cloud = make_cloud_client(
        settings.cloud_url,
        credential.value,
        settings.api_version,
        timeout=config["timeout"],
        retry_attempts=config["retry_attempts"],
        max_connections=config["max_connections"],
        credential=credential,
    )
    db = open_database(settings.db_url)  # the server migrated and recovered it already
    migration = MigrationState("up_to_date", None, "")  # not ours: the server's health says
    return AppContext(settings, db, migration, cloud, RelayBus(), SyncRegistry())


async def _one_run(ctx: AppContext, command: dict[str, Any]) -> None:
    request_id = command["request_id"]
    try:
        running = await start_sync(
            ctx,
            project_id=command["project_id"],
            direction=command["direction"],
            request_id=request_id,
            force=command.get("force", False),
            paths=command.get("paths"),
            trigger=command.get("trigger", "user"),
        )
    except ServiceError as exc:
        _send({"refused": request_id, "code": exc.code, "message": exc.message})
        return
    assert running.task is not None
    await asyncio.wait([running.task])
    _send({"done": request_id})


async def _serve(ctx: AppContext, reader: asyncio.StreamReader) -> None:
    runs: set[asyncio.Task[None]] = set()
    while line := await reader.readline():
        command = json.loads(line)
        if command["op"] == "start":
            task = asyncio.create_task(_one_run(ctx, command))
            runs.add(task)
            task.add_done_callback(runs.discard)
        elif command["op"] == "cancel":
            running = ctx.syncs.for_request(command["request_id"])
            if running is not None:
                running.cancel.set()
    # stdin closed: the server is stopping (it asked the runs to stop first) or gone.
    await ctx.syncs.cancel_all(grace=0.2, hard=0.2)


async def _main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    config = json.loads(await reader.readline())
    ctx = _context(config)
    _send({"ready": os.getpid()})
    try:
        await _serve(ctx, reader)
    finally:
        await aclose(ctx.cloud)
        if ctx.db is not None:
            close_database(ctx.db)


def _die_with_parent() -> None:
    """SIGKILL this process when the server dies (Linux); elsewhere stdin's EOF stops it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != int(os.environ.get(PARENT_ENV, os.getppid())):
        os._exit(1)  # the server died before prctl: nobody to work for


def _private_protocol_pipe() -> None:
    """Keep the pipe to the server for our messages only: a stray print() anywhere in the
    process (fd 1) goes to stderr, the server's log, not into the protocol."""
    global _PROTOCOL
    _PROTOCOL = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr


def main() -> None:
    _die_with_parent()
    _private_protocol_pipe()
    logging.basicConfig(
        level=logging.WARNING, format="[pfb-worker %(levelname)s %(asctime)s] %(message)s"
    )
    logging.getLogger("aext_project_filebrowser_server").setLevel(logging.INFO)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the server, which stops us
    asyncio.run(_main())
    logging.shutdown()
    os._exit(0)  # the store and the client are closed: skip the interpreter's slow teardown


if __name__ == "__main__":
    main()
