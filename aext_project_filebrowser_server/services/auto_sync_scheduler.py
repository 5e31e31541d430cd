"""The server side of auto-sync: when to sync which project by itself, and what a run's end
means for the next one.

One task on the loop follows the event bus (it is a subscriber like any WebSocket) and
keeps, per project with auto-sync on, only a few timestamps in memory:

- `on_save`: the folder watcher's `project_changed` (`local_change`) marks the project
  changed; a run starts once no new change came for `quiet` seconds, and at the latest
  `max_wait` seconds after the first change not yet synced (a notebook saved every few
  seconds still syncs about once a `max_wait`). Cloud edits that the cloud poll notices
  (`cloud_change`, for projects an open tab follows) count as changes too.
- `interval`: a run every N minutes whatever tabs are open (it syncs both ways, so it is
  also the periodic cloud check). Local changes do not start extra runs.
- Every enabled project gets one run soon after the server starts (after `quiet`), for
  edits made while it was down and for the journal of a run a crash interrupted, and one
  after its mode is set.

Before a run the project is planned (a dry run): a project with nothing to do starts no
run, so its history does not fill with empty runs (e.g. after the run's own downloads,
which the watcher reports as local changes). A run goes through `start_sync` like a
client's, with `trigger="auto"`: one run per project at a time (the sync registry); when
the project is busy the change is kept and synced after the run in progress ends. A run
that a safety gate refuses pauses auto-sync for the project (stored; it never forces); a
failed run (login needed, cloud unreachable) is retried after `retry` seconds, doubling
up to `retry_max`, with the mode kept. The run itself reports the failure like any run
(`failed` on the WebSocket, history, `needs_attention`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from ..context import AppContext
from ..schemas.auto_sync import AutoSyncState
from ..store import auto_sync as auto_store
from ..store import runs as run_store
from . import auto_sync
from .errors import ServiceError
from .events import Event
from .store_access import read_store, write_store
from .sync.run import load_project, make_plan, start_sync

log = logging.getLogger(__name__)

#: Reasons of `project_changed` that are changes to sync (the others may change settings).
CHANGES = frozenset({"local_change", "cloud_change"})
WAKE = "auto_sync_wake"  # a message the scheduler sends itself when an attempt ends
MAX_SLEEP_S = 60.0  # wake up at least this often, whatever happens (a lost wake-up)


@dataclass(frozen=True)
class Timing:
    """The scheduler's delays in seconds (the `auto_sync_*` settings)."""

    quiet: float = 10.0
    max_wait: float = 60.0
    retry: float = 30.0
    retry_max: float = 1800.0


@dataclass
class Pending:
    """What the scheduler remembers of one project (monotonic seconds)."""

    first_change: float | None = None  # the oldest change not synced yet
    last_change: float | None = None
    last_check: float = 0.0  # the last attempt (the interval counts from it)
    failures: int = 0  # failed runs in a row
    retry_at: float = 0.0

    def changed(self, now: float) -> None:
        if self.first_change is None:
            self.first_change = now
        self.last_change = now


def due_at(state: AutoSyncState, pending: Pending, timing: Timing) -> float | None:
    """When the project should be synced next; None: not until something happens."""
    if state.mode == "off" or state.paused:
        return None
    candidates = []
    if pending.first_change is not None and pending.last_change is not None:
        debounced = pending.last_change + timing.quiet
        candidates.append(min(debounced, pending.first_change + timing.max_wait))
    if state.mode == "interval" and state.interval_minutes:
        candidates.append(pending.last_check + state.interval_minutes * 60.0)
    if not candidates:
        return None
    return max(min(candidates), pending.retry_at)


def retry_delay(failures: int, timing: Timing) -> float:
    """How long to wait after `failures` failed runs in a row (1: `retry`)."""
    return float(min(timing.retry * 2 ** max(0, failures - 1), timing.retry_max))


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended: `idle` (nothing to do), `busy` (another run had the project),
    `gone` (no longer a downloaded project), or the recorded run's result."""

    result: str
    reason: str | None = None


async def attempt(ctx: AppContext, project_id: str) -> Outcome:
    """Plan the project; when there is something to do, run a sync (trigger `auto`)."""
    try:
        project = await load_project(ctx, project_id)
    except ServiceError:
        return Outcome("gone")
    if project.local_path is None:
        return Outcome("gone")
    try:
        plan = await make_plan(ctx, project, "sync")
        if plan.gate is None and not plan.operations:
            return Outcome("idle")
    except ServiceError:
        pass  # e.g. the cloud is unreachable: the run below says so to the user and history
    request_id = f"auto-{uuid.uuid4().hex[:16]}"
    try:
        running = await start_sync(
            ctx, project_id=project_id, direction="sync", request_id=request_id, trigger="auto"
        )
    except ServiceError as exc:
        return Outcome("busy" if exc.code == "sync_in_progress" else "gone", exc.message)
    assert running.task is not None
    await asyncio.wait([running.task])  # not `await task`: stopping us must not cancel it
    return await _recorded(ctx, project_id)


async def _recorded(ctx: AppContext, project_id: str) -> Outcome:
    """The result of the project's newest automatic run, as history recorded it."""
    runs = await read_store(ctx, run_store.list_runs, project_id, 5)
    run = next((r for r in runs if r.trigger == "auto"), None)
    if run is None:
        return Outcome("failed")
    reason = run.failures[-1] if run.failures else run.error_code
    return Outcome(run.result, reason)


class Scheduler:
    """Starts automatic runs; `start` once, `stop` at shutdown (never hangs)."""

    def __init__(self, ctx: AppContext, timing: Timing) -> None:
        self.ctx, self.timing = ctx, timing
        self.states: dict[str, AutoSyncState] = {}
        self.pending: dict[str, Pending] = {}
        self.attempts: dict[str, asyncio.Task[None]] = {}
        self._queue = ctx.events.subscribe()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._reload(starting=True)
        self._task = asyncio.create_task(self._loop())

    async def stop(self, timeout: float) -> None:
        """Stop starting runs (the runs themselves are the sync registry's to stop)."""
        self.ctx.events.unsubscribe(self._queue)
        tasks = [t for t in (self._task, *self.attempts.values()) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    async def _loop(self) -> None:
        while True:
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad step must not end auto-sync for every project
                log.exception("auto-sync scheduling failed; going on")
                await asyncio.sleep(1.0)

    async def _step(self) -> None:
        """Wait for an event or the next due project, take in all events, start what is due."""
        try:
            first = await asyncio.wait_for(self._queue.get(), self._sleep())
        except asyncio.TimeoutError:
            first = None
        events = [first] if first is not None else []
        while not self._queue.empty():
            events.append(self._queue.get_nowait())
        if self._take(events):
            await self._reload()
        self._start_due()

    def _take(self, events: list[Event]) -> bool:
        """Note the changes; True when an event may have changed a project's setting."""
        now = time.monotonic()
        reload = False
        for event in events:
            message = event.message
            if message.get("type") != "project_changed":
                continue
            if message.get("reason") in CHANGES:
                state = self.states.get(event.project_id)
                if state is not None and state.mode == "on_save":
                    self.pending[event.project_id].changed(now)
            else:  # a setting, a new or deleted project, a run's end: re-read the settings
                reload = True
        return reload

    async def _reload(self, *, starting: bool = False) -> None:
        """Re-read the enabled projects; a newly enabled (or resumed) one gets a run soon."""
        fresh = await read_store(self.ctx, auto_store.enabled)
        now = time.monotonic()
        for project_id, state in fresh.items():
            before = self.states.get(project_id)
            if before is None or _setting(before) != _setting(state) or starting:
                pending = self.pending[project_id] = Pending(last_check=now)
                if not state.paused:
                    pending.changed(now)
        for gone in set(self.states) - set(fresh):
            self.pending.pop(gone, None)
        self.states = fresh

    def _sleep(self) -> float:
        now = time.monotonic()
        dues = [due for _, due in self._idle_dues()]
        return min([MAX_SLEEP_S, *(max(0.0, due - now) for due in dues)])

    def _idle_dues(self) -> list[tuple[str, float]]:
        """Projects that could start now (no attempt or run of theirs under way), by due."""
        found = []
        for project_id, state in self.states.items():
            if project_id in self.attempts or self.ctx.syncs.for_project(project_id):
                continue
            due = due_at(state, self.pending[project_id], self.timing)
            if due is not None:
                found.append((project_id, due))
        return found

    def _start_due(self) -> None:
        now = time.monotonic()
        for project_id, due in self._idle_dues():
            if due <= now:
                task = asyncio.create_task(self._attempt(project_id))
                self.attempts[project_id] = task

    async def _attempt(self, project_id: str) -> None:
        pending = self.pending[project_id]
        pending.first_change = pending.last_change = None
        pending.last_check = time.monotonic()
        try:
            outcome = await attempt(self.ctx, project_id)
            await self._after(project_id, pending, outcome)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("automatic sync of project %s failed", project_id)
            self._failed(pending)
        finally:
            self.attempts.pop(project_id, None)
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(Event(project_id, {"type": WAKE}))

    async def _after(self, project_id: str, pending: Pending, outcome: Outcome) -> None:
        if outcome.result not in ("idle", "busy", "gone"):
            finished = datetime.now(timezone.utc)
            await write_store(self.ctx, auto_store.record_run, project_id, finished)
        if outcome.result in ("idle", "ok"):
            pending.failures, pending.retry_at = 0, 0.0
        elif outcome.result == "busy":
            pending.changed(time.monotonic())  # synced once the run in progress ends
        elif outcome.result == "refused":
            await self._pause(project_id, outcome.reason or "a safety check refused the sync")
        elif outcome.result not in ("cancelled", "gone"):
            log.info("automatic sync of %s: %s (%s)", project_id, outcome.result, outcome.reason)
            self._failed(pending)

    def _failed(self, pending: Pending) -> None:
        """Try again later, not at once: a cloud that is down or a login that expired does
        not get better by asking in a loop."""
        pending.failures += 1
        now = time.monotonic()
        pending.retry_at = now + retry_delay(pending.failures, self.timing)
        pending.changed(now)

    async def _pause(self, project_id: str, reason: str) -> None:
        state = await write_store(self.ctx, auto_store.pause, project_id, reason)
        self.states[project_id] = state
        log.warning("auto-sync of project %s paused: %s", project_id, reason)
        self.ctx.events.project_changed(project_id, auto_sync.PAUSED)


def _setting(state: AutoSyncState) -> tuple[object, ...]:
    return (state.mode, state.interval_minutes, state.paused)
