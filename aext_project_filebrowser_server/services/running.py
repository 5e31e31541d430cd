"""Which syncs are running on this server: one per project, cancellable, observable."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from .sync.plan import Direction


class SyncInProgress(Exception):
    """A push, pull or sync of this project is already running."""


@dataclass
class RunningSync:
    project_id: str
    request_id: str
    direction: Direction
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    last_progress: dict[str, Any] | None = None
    task: asyncio.Task[Any] | None = None


class SyncRegistry:
    """Keeps running syncs (and their tasks, so they are not garbage-collected)."""

    def __init__(self) -> None:
        self._by_project: dict[str, RunningSync] = {}

    def claim(self, project_id: str, request_id: str, direction: Direction) -> RunningSync:
        if project_id in self._by_project:
            raise SyncInProgress(project_id)
        running = RunningSync(project_id, request_id, direction)
        self._by_project[project_id] = running
        return running

    def release(self, running: RunningSync) -> None:
        if self._by_project.get(running.project_id) is running:
            del self._by_project[running.project_id]

    def for_project(self, project_id: str) -> RunningSync | None:
        return self._by_project.get(project_id)

    def for_request(self, request_id: str) -> RunningSync | None:
        return next((r for r in self._by_project.values() if r.request_id == request_id), None)

    def all(self) -> list[RunningSync]:
        return list(self._by_project.values())

    async def cancel_all(self, grace: float = 10.0, hard: float = 1.0) -> int:
        """Ask every run to stop after its files in flight (the safe point: their results
        are committed with the journal), wait up to `grace` s, then cancel the tasks still
        running and wait up to `hard` s more. A run cancelled hard leaves its journal
        entries pending and its run `running`, which the next start marks `interrupted`
        for the next sync to re-check (the crash-recovery path). Returns how many runs were
        cancelled hard."""
        tasks = [r.task for r in self._by_project.values() if r.task is not None]
        for running in self._by_project.values():
            running.cancel.set()
        if not tasks:
            return 0
        _done, late = await asyncio.wait(tasks, timeout=grace)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=hard)
        return len(late)
