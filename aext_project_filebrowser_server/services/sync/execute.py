"""The executor: performs a Plan against the cloud and the project folder.

Every operation is journaled as pending before anything runs; several run at once
(bounded); each re-checks its preconditions right before it acts and never overwrites or
deletes what it did not expect. Finished operations are committed in small groups: the new
base rows and the journal entries in one transaction. A crash between a transfer and its
commit is harmless: on the next run both sides hold the same bytes and the planner records
the base (rows "changed, changed, equal bytes" and "new, new, equal" of DESIGN §5).

Downloads are verified in a temp file and renamed into place without an fsync each; the
files a group placed, and their folders, are fsynced together right before the group's
commit (`make_durable`), so a base row is still written only once its bytes are durable.
A power cut between a rename and that fsync can leave a placed file empty or old, with no
base recorded: the next run sees a local edit against a cloud change and keeps both
versions; the version replaced was the base, which the cloud keeps as a revision.

The parts, one job each: `outcome` (what runs and what it reports), `operations` (one
operation of each kind), `conflict_run` (notebook merge, else both versions kept) and
`steps` (the checks, verified downloads and guarded renames they share). This module runs a
whole plan: journal, paced concurrency (`cloud.pacing`), progress, grouped commits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from sqlalchemy.orm import Session

from ...cloud.pacing import Pacer
from ...crashpoints import crash_point
from ...store import files as file_store
from ...store import journal
from ...store.engine import write
from .local_files import make_durable
from .operations import run_operation
from .outcome import (
    ConflictCallback,
    ExecutionReport,
    Outcome,
    Progress,
    ProgressCallback,
    SyncTarget,
)
from .plan import Conflict, Download, Operation, Plan, Upload

__all__ = [
    "ExecutionReport",
    "Outcome",
    "Progress",
    "SyncTarget",
    "execute_plan",
    "run_operation",
]

COMMIT_EVERY = 64
log = logging.getLogger(__name__)


def _operation_bytes(op: Operation) -> int:
    if isinstance(op, Upload | Download):
        return op.size
    if isinstance(op, Conflict):
        return op.local_size + op.remote_size
    return 0


def _commit(
    session: Session, project_id: str, outcomes: list[Outcome], ids: dict[int, int]
) -> None:
    saves = [row for o in outcomes if o.ok for row in o.saves]
    drops = [path for o in outcomes if o.ok for path in o.drops]
    file_store.save_files(session, project_id, saves)
    file_store.delete_files(session, project_id, drops)
    done = [ids[id(o.operation)] for o in outcomes if o.ok]
    failed = [ids[id(o.operation)] for o in outcomes if not o.ok]
    journal.finish_entries(session, done, "done")
    journal.finish_entries(session, failed, "failed")


def _journal_detail(op: Operation) -> dict[str, Any]:
    return {k: getattr(op, k) for k in op.__slots__ if k not in ("kind", "path")}


async def execute_plan(
    target: SyncTarget,
    plan: Plan,
    *,
    run_id: int | None,
    concurrency: int = 4,
    pacer: Pacer | None = None,
    cancel: asyncio.Event | None = None,
    on_progress: ProgressCallback | None = None,
    on_conflict: ConflictCallback | None = None,
) -> ExecutionReport:
    """Run every operation of `plan`; returns when all finished or after a cancel.
    `pacer` sets how many run at once (see `cloud.pacing`; default: one that grows up to
    `concurrency`)."""
    pacer = pacer if pacer is not None else Pacer(cap=concurrency)
    operations = list(plan.operations)
    report = ExecutionReport()
    if not operations:
        return report
    entry_ids = await write(
        target.db,
        journal.add_entries,
        target.project_id,
        run_id,
        [(op.kind, op.path, _journal_detail(op)) for op in operations],
    )
    ids = {id(op): entry for op, entry in zip(operations, entry_ids, strict=True)}
    crash_point("after_journal")
    total_bytes = sum(_operation_bytes(op) for op in operations)
    queue: asyncio.Queue[Operation] = asyncio.Queue()
    for op in operations:
        queue.put_nowait(op)
    pending: list[Outcome] = []
    done_bytes = 0

    async def flush() -> None:
        batch = pending[:]
        pending.clear()
        if batch:
            placed = [path for o in batch if o.ok for path in o.placed]
            if placed:  # their bytes must be durable before their bases are recorded
                await asyncio.to_thread(make_durable, placed)
            await write(target.db, _commit, target.project_id, batch, ids)
            crash_point("after_commit")

    async def worker() -> None:
        nonlocal done_bytes
        while not queue.empty():
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                return
            async with pacer.slot():
                if queue.empty():
                    return
                op = queue.get_nowait()
                outcome = await run_operation(target, op)
            report.outcomes.append(outcome)
            pending.append(outcome)
            done_bytes += _operation_bytes(op)
            if len(pending) >= COMMIT_EVERY:
                await flush()
            if outcome.conflict_copy and on_conflict is not None:
                await _maybe_await(on_conflict(outcome))
            if on_progress is not None:
                progress = Progress(
                    len(report.outcomes), len(operations), done_bytes, total_bytes, op.path
                )
                await _maybe_await(on_progress(progress))

    try:
        await asyncio.gather(*(worker() for _ in range(min(pacer.cap, len(operations)))))
    finally:
        try:
            await flush()
        except Exception:  # entries stay pending; the next run re-checks and adopts them
            log.exception("could not record finished sync operations")
    return report


async def _maybe_await(value: Awaitable[None] | None) -> None:
    if value is not None:
        await value
