"""Randomized worlds with automatic runs interleaved: the auto-sync scheduler runs on the
worlds' engine, every world's project has auto-sync `on_save`, and each local write of the
world is reported as the folder watcher would (`project_changed`, `local_change`).

So automatic runs start whenever the scheduler's (very short) quiet period has passed:
between the world's own passes, right after its edits, in the middle of its mid-sync
edits. On a fast machine the world's own passes may always win that race, so two worlds in
three whose changes include a local write first wait for the automatic attempt that write
must start (a plan, then a run unless there is nothing to do; a world fails when none
comes): the run keeps exercising automatic runs on any machine, and the other third leaves
the interleaving to chance. The world's passes wait for a run in progress, as a user
would; a plan-and-execute pass holds the project in the sync registry, as a run does.
Before the invariants are checked auto-sync is turned off and the last automatic run
awaited, so the checks look at a world that holds still. The invariants are the same:
convergence, nothing lost.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

from aext_project_filebrowser_server.context import AppContext
from aext_project_filebrowser_server.schemas.auto_sync import AutoSyncBody
from aext_project_filebrowser_server.services import auto_sync
from aext_project_filebrowser_server.services.auto_sync_scheduler import Scheduler, Timing
from aext_project_filebrowser_server.services.errors import ServiceError
from aext_project_filebrowser_server.services.running import RunningSync, SyncInProgress
from aext_project_filebrowser_server.store import auto_sync as auto_store
from aext_project_filebrowser_server.store import runs as run_store
from aext_project_filebrowser_server.store.engine import read, write

from .generate import MAX_PASSES, PassSpec, WorldSpec
from .harness import Engine, _World

#: Short delays: automatic runs land between and inside the world's own steps.
TIMING = Timing(quiet=0.02, max_wait=0.2, retry=0.05, retry_max=0.5)
BUSY_TRIES = 500
#: How long a save may go without an automatic attempt before the world fails.
AUTO_START_S = 10.0


class AutoWorld(_World):
    """A world whose project has auto-sync on; `tally` counts what the automatic runs did."""

    def __init__(
        self, engine: Engine, spec: WorldSpec, scheduler: Scheduler, tally: Counter[str]
    ) -> None:
        super().__init__(engine, spec)
        self.scheduler, self.tally = scheduler, tally
        self.saved_in_changes = False
        self.last_save = 0.0
        self.waits_for_automatic_run = spec.seed % 3 != 0

    async def create_project(self) -> None:
        await super().create_project()
        await self._set_mode("on_save")

    async def _set_mode(self, mode: str) -> None:
        assert self.ctx.db is not None
        body = AutoSyncBody(mode=mode)  # type: ignore[arg-type]
        await write(self.ctx.db, auto_store.set_mode, self.project_id, body)
        self.ctx.events.project_changed(self.project_id, auto_sync.CHANGED)

    def _saved(self) -> None:
        """What the folder watcher reports after a local write or delete."""
        if self.project_id:
            self.saved_in_changes |= self.phase == "changes"
            self.last_save = time.monotonic()  # the scheduler's clock
            self.ctx.events.project_changed(self.project_id, "local_change")

    async def converge(self, passes: tuple[PassSpec, ...]) -> None:
        if self.phase == "changes" and self.saved_in_changes and self.waits_for_automatic_run:
            await self._automatic_attempt_started()
        self.waits_for_automatic_run = False  # once: the world's own edits, before its passes
        await super().converge(passes)

    async def _automatic_attempt_started(self) -> None:
        """Wait until the scheduler took up the last save (or fail the world)."""
        deadline = time.monotonic() + AUTO_START_S
        while time.monotonic() < deadline:
            pending = self.scheduler.pending.get(self.project_id)
            if pending is not None and pending.last_check >= self.last_save:
                self.tally["worlds that waited for an automatic attempt"] += 1
                return
            await asyncio.sleep(0.01)
        raise self.fail(f"no automatic attempt within {AUTO_START_S} s of a save")

    def write_local(self, path: str, content: bytes) -> None:
        super().write_local(path, content)
        self._saved()

    def delete_local(self, path: str) -> None:
        super().delete_local(path)
        self._saved()

    async def _busy_run_ends(self, ctx: AppContext) -> None:
        running = ctx.syncs.for_project(self.project_id)
        if running is not None and running.task is not None:
            await asyncio.wait([running.task])
        else:
            await asyncio.sleep(0.01)  # claimed a moment ago, its task not yet set

    async def _run(self, ctx: AppContext, force: bool, faulty: bool) -> None:
        """The world's pass as a user's run: refused while an automatic one runs, so wait
        for that one and ask again."""
        for _ in range(BUSY_TRIES):
            try:
                await super()._run(ctx, force, faulty)
                return
            except ServiceError as exc:
                if exc.code != "sync_in_progress":
                    raise
            await self._busy_run_ends(ctx)
        raise self.fail("the project stayed busy with automatic runs")

    async def _plan_execute(
        self, ctx: AppContext, spec: PassSpec, force: bool, faulty: bool, before: list[Any]
    ) -> None:
        held = await self._claim(ctx)
        try:
            await super()._plan_execute(ctx, spec, force, faulty, before)
        finally:
            ctx.syncs.release(held)

    async def _claim(self, ctx: AppContext) -> RunningSync:
        """Hold the project as a run does, so no automatic run starts beside this pass."""
        for _ in range(BUSY_TRIES):
            try:
                return ctx.syncs.claim(self.project_id, f"world-{self.spec.seed}", "sync")
            except SyncInProgress:
                await self._busy_run_ends(ctx)
        raise self.fail("the project stayed busy with automatic runs")

    async def _hold_still(self) -> None:
        """Auto-sync off, and no automatic attempt or run of the project left under way."""
        await self._set_mode("off")
        self.waits_for_automatic_run = False
        for _ in range(BUSY_TRIES):
            attempt = self.scheduler.attempts.get(self.project_id)
            if attempt is not None:
                await asyncio.wait([attempt])
            elif self.ctx.syncs.for_project(self.project_id) is not None:
                await self._busy_run_ends(self.ctx)
            else:
                return
        raise self.fail("automatic runs did not stop")

    async def check(self) -> None:
        await self._hold_still()
        assert self.ctx.db is not None
        runs = await read(self.ctx.db, run_store.list_runs, self.project_id, 500)
        auto = [r for r in runs if r.trigger == "auto"]
        self.tally["automatic runs"] += len(auto)
        self.tally["worlds with automatic runs"] += bool(auto)
        self.tally["refused automatic runs (paused)"] += sum(r.result == "refused" for r in auto)
        # an automatic run may have started after the world's last pass: converge again
        await self.converge(tuple(PassSpec("run", 4) for _ in range(MAX_PASSES)))
        await super().check()
