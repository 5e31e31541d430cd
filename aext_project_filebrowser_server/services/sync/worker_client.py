"""The server's end of the sync worker (`worker`): start it, hand it runs, relay its messages.

The server keeps what it always owned: the registry of running syncs (one per project, so
a second push is refused at once), the event bus the WebSockets read, and each run's
`asyncio.Task`, which ends when the worker says the run is done. The worker starts at the
first run and lives as long as the server. When it dies under a run (a crash, the OOM
killer), each of its runs is closed as start-up recovery would close it (pending journal
entries and the run `interrupted`, re-checked by the next sync), its subscribers are told
(`failed`, code `worker_failed`), and the next run starts a new worker.

This module imports nothing heavy: the worker's imports happen in the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Collection
from dataclasses import asdict
from typing import Any

from ...context import AppContext
from ..running import RunningSync

log = logging.getLogger(__name__)

MODULE = "aext_project_filebrowser_server.services.sync.worker"
START_TIMEOUT_S = 60.0
STOP_GRACE_S = 1.0  # after the runs stopped (or were cancelled): the worker exits
WORKER_FAILED = "worker_failed"


class SyncWorker:
    """One worker process, started on demand. `config` is what the worker needs to build
    its own context: the settings and the cloud client's options (see `worker._context`)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._starting: asyncio.Lock = asyncio.Lock()
        self._runs: dict[str, tuple[RunningSync, asyncio.Future[None]]] = {}
        self._ctx: AppContext | None = None

    async def run(
        self,
        ctx: AppContext,
        running: RunningSync,
        force: bool,
        paths: Collection[str] | None,
        trigger: str,
    ) -> None:
        """The run's task on the server: starts it in the worker, forwards a cancel, and
        returns when the worker is done with it (or died)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._runs[running.request_id] = (running, done)
        cancelled: asyncio.Future[Any] = asyncio.ensure_future(running.cancel.wait())
        try:
            await self._ensure_started(ctx)
            self._send(
                {
                    "op": "start",
                    "project_id": running.project_id,
                    "request_id": running.request_id,
                    "direction": running.direction,
                    "force": force,
                    "paths": list(paths) if paths is not None else None,
                    "trigger": trigger,
                }
            )
            waiting: list[asyncio.Future[Any]] = [done, cancelled]
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if not done.done():
                self._send({"op": "cancel", "request_id": running.request_id})
                await done
        except OSError as exc:  # the worker could not start, or its pipe broke
            log.error("the sync worker could not take a run: %s", exc)
            await self._fail_run(running, f"the sync worker could not start ({exc})")
        finally:
            cancelled.cancel()
            self._runs.pop(running.request_id, None)
            ctx.syncs.release(running)

    async def _ensure_started(self, ctx: AppContext) -> None:
        async with self._starting:
            if self._process is not None and self._process.returncode is None:
                return
            self._ctx = ctx
            env = {**os.environ, "AEXT_PFB_IN_WORKER": "1", "AEXT_PFB_SERVER_PID": str(os.getpid())}
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                MODULE,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=env,
                limit=2**24,
            )
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write((json.dumps(self._config) + "\n").encode())
            ready = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)
            if not ready:
                code = await process.wait()
                raise OSError(f"it exited with code {code} before it was ready")
            log.info("sync worker started (pid %s)", process.pid)
            self._process = process
            self._reader = asyncio.create_task(self._read(process))

    def _send(self, command: dict[str, Any]) -> None:
        if self._process is None or self._process.stdin is None:
            raise OSError("the sync worker is not running")
        self._process.stdin.write((json.dumps(command) + "\n").encode())

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            try:
                self._handle(json.loads(line))
            except Exception:  # one bad line must not stop the relay
                log.exception("could not relay a message of the sync worker: %r", line[:200])
        code = await process.wait()
        for running, _done in list(self._runs.values()):
            log.error(
                "the sync worker died (exit code %s) during a run of %s", code, running.project_id
            )
            await self._fail_run(
                running, f"the sync worker stopped unexpectedly (exit code {code})"
            )

    def _handle(self, message: dict[str, Any]) -> None:
        assert self._ctx is not None
        if "publish" in message:
            self._relay(message["publish"], message["message"])
        elif "done" in message:
            self._finish(message["done"])
        elif "refused" in message:
            entry = self._runs.get(message["refused"])
            if entry is not None:
                self._publish_failed(entry[0], message["code"], message["message"])
                self._finish(message["refused"])

    def _relay(self, project_id: str, message: dict[str, Any]) -> None:
        assert self._ctx is not None
        entry = self._runs.get(message.get("request_id", ""))
        if entry is not None:
            running = entry[0]
            if message.get("type") == "progress":
                running.last_progress = {
                    k: v
                    for k, v in message.items()
                    if k not in ("type", "request_id", "project_id")
                }
            elif message.get("type") in ("completed", "failed"):
                # As in one process: the project is free again before anyone hears the end.
                self._ctx.syncs.release(running)
        self._ctx.events.publish(project_id, message)

    def _finish(self, request_id: str) -> None:
        entry = self._runs.get(request_id)
        if entry is not None and not entry[1].done():
            entry[1].set_result(None)

    def _publish_failed(self, running: RunningSync, code: str, message: str) -> None:
        assert self._ctx is not None
        self._ctx.syncs.release(running)
        self._ctx.events.publish(
            running.project_id,
            {
                "type": "failed",
                "request_id": running.request_id,
                "project_id": running.project_id,
                "code": code,
                "message": message,
            },
        )
        self._ctx.events.project_changed(running.project_id, f"{running.direction} failed")

    async def _fail_run(self, running: RunningSync, why: str) -> None:
        """Close a run the worker can no longer finish, as start-up recovery would (once:
        a broken pipe and the worker's exit can both report it)."""
        entry = self._runs.get(running.request_id)
        if entry is None or entry[1].done():
            return
        ctx = self._ctx
        if ctx is not None and ctx.db is not None:
            from ...store.engine import write
            from ..recovery import recover_project

            try:
                await write(ctx.db, recover_project, running.project_id)
            except Exception:
                log.exception("could not mark the interrupted run of %s", running.project_id)
        message = f"{why}; the next sync re-checks what it had done"
        self._publish_failed(running, WORKER_FAILED, message)
        self._finish(running.request_id)

    async def stop(self) -> None:
        """Close the worker's stdin (it stops its runs and exits); kill it if it lingers."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_S)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):  # it exited meanwhile
                process.kill()
            await process.wait()
        if self._reader is not None:
            await asyncio.wait([self._reader], timeout=STOP_GRACE_S)


def worker_config(
    ctx_settings: Any, api_key: str, timeout: float, retry_attempts: int
) -> dict[str, Any]:
    """What `worker._context` reads: the settings and the cloud client's options."""
    settings = {
        k: (str(v) if v is not None and k in ("projects_root", "contents_root") else v)
        for k, v in asdict(ctx_settings).items()
    }
    return {
        "settings": settings,
        "api_key": api_key,
        "timeout": timeout,
        "retry_attempts": retry_attempts,
        "max_connections": max(16, ctx_settings.sync_concurrency),
    }
