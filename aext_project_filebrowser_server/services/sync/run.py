"""One push, pull or sync of a project, end to end, as a background task.

observe (snapshot + cloud listing + base) → plan (pure) → execute → record. Files the
cloud or the user changed while the run was under way come back as "stale" outcomes and
are observed and planned again, up to MAX_PASSES times. Every step is published on the
event bus as the WebSocket messages of DESIGN §7 (`accepted`, throttled `progress`,
`conflict`, `completed` or `failed`), so any tab subscribed to the project can follow it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Collection
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...cloud import client as cloud
from ...cloud import pacing
from ...cloud.errors import (
    CloudError,
)
from ...cloud.pacing import Pacer
from ...context import AppContext
from ...schemas.projects import LocalProject
from ...store import projects as project_store
from ...store import runs
from ...store.engine import read, write
from ...store.errors import NotFound
from ..errors import ServiceError, cloud_failure, not_found
from ..running import RunningSync, SyncInProgress
from ..write_guard import cloud_guards_writes
from .execute import ExecutionReport, Outcome, Progress, SyncTarget, execute_plan
from .local_files import clear_stale_temp, write_marker
from .observe import observe_project
from .plan import Direction, Plan, plan_sync
from .snapshot import marker_path

log = logging.getLogger(__name__)

MAX_PASSES = 3
PROGRESS_INTERVAL = 0.1  # seconds: at most ~10 progress messages a second


async def load_project(ctx: AppContext, project_id: str) -> LocalProject:
    if ctx.db is None:
        raise ServiceError(503, "store_unavailable", "the project store is not available")
    try:
        return await read(ctx.db, project_store.get_project, project_id)
    except NotFound:
        raise not_found(f"project {project_id}") from None


async def who_am_i(ctx: AppContext) -> str:
    """The cloud user's display name (first + last name, else username, else email), for
    conflict copy names."""
    try:
        return (await cloud.get_account(ctx.cloud)).user.display_name or "someone"
    except CloudError:
        return "someone"


async def make_plan(
    ctx: AppContext,
    project: LocalProject,
    direction: Direction,
    *,
    force: bool = False,
    paths: Collection[str] | None = None,
    who: str | None = None,
) -> Plan:
    """Observe the project and plan (a dry run: nothing but the stat cache is written)."""
    assert ctx.db is not None and project.local_path is not None
    root = Path(project.local_path)
    try:
        observation = await observe_project(ctx.db, ctx.cloud, project.id, root)
    except CloudError as exc:
        raise cloud_failure(exc) from None
    if observation.remote_error is not None:  # say why, not just "listing incomplete"
        raise cloud_failure(observation.remote_error)
    who = who or await who_am_i(ctx)
    # Planning is pure CPU, ~35 ms per 10,000 files: in a worker, so the loop stays free.
    return await asyncio.to_thread(
        plan_sync,
        observation.local,
        observation.remote,
        observation.base,
        direction=direction,
        force=force,
        rules=observation.rules,
        now=datetime.now(timezone.utc),
        who=who,
        where=ctx.settings.server_name,
        paths=paths,
    )


async def start_sync(
    ctx: AppContext,
    *,
    project_id: str,
    direction: Direction,
    request_id: str,
    force: bool = False,
    paths: Collection[str] | None = None,
    trigger: str = "user",
) -> RunningSync:
    """Start a run in the background (in the sync worker when the context has one);
    raises ServiceError when it cannot start at all."""
    project = await load_project(ctx, project_id)
    if project.local_path is None:
        raise ServiceError(409, "not_downloaded", "the project has no local folder yet")
    try:
        running = ctx.syncs.claim(project_id, request_id, direction)
    except SyncInProgress:
        raise ServiceError(
            409, "sync_in_progress", "a push, pull or sync of this project is already running"
        ) from None
    if ctx.worker is not None:
        work = ctx.worker.run(ctx, running, force, paths, trigger)
    else:
        work = _run(ctx, project, running, force, paths, trigger)
    running.task = asyncio.create_task(work)
    return running


def _summary(plan: Plan) -> dict[str, Any]:
    summary = plan.summary()
    return {
        "counts": dict(summary.counts),
        "upload_bytes": summary.upload_bytes,
        "download_bytes": summary.download_bytes,
        "skipped": [{"path": s.path, "reason": s.reason} for s in plan.skipped],
    }


class _Publisher:
    """Sends a run's messages to the bus, throttling progress. A run the server started by
    itself (auto-sync) says so in each message (`trigger`); a client's run does not."""

    def __init__(self, ctx: AppContext, running: RunningSync, trigger: str = "user") -> None:
        self.ctx, self.running = ctx, running
        self._last_progress = 0.0
        self._trigger = {} if trigger == "user" else {"trigger": trigger}

    def send(self, message_type: str, **fields: Any) -> None:
        message = {
            "type": message_type,
            "request_id": self.running.request_id,
            "project_id": self.running.project_id,
            **self._trigger,
            **fields,
        }
        self.ctx.events.publish(self.running.project_id, message)

    def progress(self, progress: Progress) -> None:
        fields = {
            "done_files": progress.done_files,
            "total_files": progress.total_files,
            "done_bytes": progress.done_bytes,
            "total_bytes": progress.total_bytes,
            "current_path": progress.current_path,
        }
        self.running.last_progress = fields
        now = time.monotonic()
        last = progress.done_files == progress.total_files
        if last or now - self._last_progress >= PROGRESS_INTERVAL:
            self._last_progress = now
            self.send("progress", **fields)

    def conflict(self, outcome: Outcome) -> None:
        self.send(
            "conflict",
            path=outcome.operation.path,
            copy_path=outcome.conflict_copy,
            cells=list(outcome.clashing_cells),
            reason=outcome.conflict_note,
        )


def _result(report: ExecutionReport, remaining_stale: list[str]) -> str:
    if report.cancelled:
        return "cancelled"
    if report.failures or remaining_stale:
        return "partial" if any(o.ok for o in report.outcomes) else "failed"
    return "ok"


async def _execute_passes(
    ctx: AppContext,
    project: LocalProject,
    running: RunningSync,
    first: Plan,
    run_id: int,
    publisher: _Publisher,
    who: str,
    force: bool,
    pacer: Pacer,
) -> tuple[ExecutionReport, list[str]]:
    """Execute the plan, then re-plan what went stale, a bounded number of times."""
    assert ctx.db is not None and project.local_path is not None
    guarded = await cloud_guards_writes(ctx, project.id)
    target = SyncTarget(project.id, Path(project.local_path), ctx.cloud, ctx.db, guarded)
    total = ExecutionReport()
    plan = first
    stale: list[str] = []
    for attempt in range(MAX_PASSES):
        report = await execute_plan(
            target,
            plan,
            run_id=run_id,
            pacer=pacer,
            cancel=running.cancel,
            on_progress=publisher.progress,
            on_conflict=publisher.conflict,
        )
        total.outcomes.extend(o for o in report.outcomes if not o.stale)
        total.cancelled = report.cancelled
        stale = report.stale_paths
        if report.cancelled or not stale or attempt == MAX_PASSES - 1:
            break
        plan = await make_plan(
            ctx,
            project,
            running.direction,
            force=force,
            paths=stale,
            who=who,
        )
        if plan.gate is not None:
            break
    total.outcomes.extend(o for o in report.outcomes if o.stale)
    return total, stale


def _done_kind(outcome: Outcome) -> str:
    return "notebook_merge" if outcome.merged_notebook else outcome.operation.kind


def _run_summary(report: ExecutionReport, result: str, plan: Plan) -> dict[str, Any]:
    done = Counter(_done_kind(o) for o in report.outcomes if o.ok)
    return {
        "result": result,
        "counts": dict(done),
        "bytes": sum(o.bytes for o in report.outcomes if o.ok),
        "failures": [
            {"path": o.operation.path, "code": o.code, "message": o.error}
            for o in report.outcomes
            if not o.ok
        ],
        "conflicts": [
            {
                "path": o.operation.path,
                "copy_path": o.conflict_copy,
                "cells": list(o.clashing_cells),
                "reason": o.conflict_note,
            }
            for o in report.outcomes
            if o.conflict_copy
        ],
        "merged_notebooks": [o.operation.path for o in report.outcomes if o.merged_notebook],
        "skipped": [{"path": s.path, "reason": s.reason} for s in plan.skipped],
    }


def _network_summary(pacer: Pacer, started: float) -> dict[str, Any]:
    """How much of the run was spent waiting on the cloud, and how far the pacer went."""
    return {
        "seconds": round(time.monotonic() - started, 3),
        "waiting_s": round(pacer.network_wait_s, 3),
        "max_in_flight": pacer.max_in_flight,
        "throttled": pacer.throttled_times,
    }


async def _run(
    ctx: AppContext,
    project: LocalProject,
    running: RunningSync,
    force: bool,
    paths: Collection[str] | None,
    trigger: str,
) -> None:
    assert ctx.db is not None
    publisher = _Publisher(ctx, running, trigger)
    run_id = await write(ctx.db, runs.start_run, project.id, running.direction, trigger)
    result, summary, failure = "failed", {}, None
    started = time.monotonic()
    pacer = Pacer(cap=ctx.settings.sync_concurrency)
    pacing.CURRENT.set(pacer)  # this task's context: its requests report to this run
    try:
        # Partial downloads of a server killed mid-run; this run owns the project now.
        await asyncio.to_thread(clear_stale_temp, Path(project.local_path or "."))
        who = await who_am_i(ctx)
        plan = await make_plan(
            ctx,
            project,
            running.direction,
            force=force,
            paths=paths,
            who=who,
        )
        if plan.gate is not None:
            failure = ServiceError(409, plan.gate.code, plan.gate.message)
            result = "refused"
        else:
            publisher.send("accepted", plan=_summary(plan))
            report, stale = await _execute_passes(
                ctx, project, running, plan, run_id, publisher, who, force, pacer
            )
            result = _result(report, stale)
            summary = _run_summary(report, result, plan)
            summary["network"] = _network_summary(pacer, started)
            await asyncio.to_thread(
                write_marker, marker_path(Path(project.local_path or ".")), project.id
            )
    except ServiceError as exc:
        failure = exc
    except Exception as exc:  # never let a bug kill the task silently
        log.exception("sync of project %s failed", project.id)
        failure = ServiceError(500, "internal_error", f"unexpected error: {type(exc).__name__}")
    finally:
        ctx.syncs.release(running)
    await _record(ctx, run_id, result, summary, failure)
    if failure is not None:
        publisher.send("failed", code=failure.code, message=failure.message)
    else:
        publisher.send("completed", summary=summary)
    ctx.events.project_changed(project.id, f"{running.direction} {result}")


def _error_code(summary: dict[str, Any], failure: ServiceError | None) -> str | None:
    """The run's failure code, else the first failed file's (e.g. `auth_required`)."""
    if failure is not None:
        return failure.code
    return next((f["code"] for f in summary.get("failures", []) if f.get("code")), None)


async def _record(
    ctx: AppContext,
    run_id: int,
    result: str,
    summary: dict[str, Any],
    failure: ServiceError | None,
) -> None:
    assert ctx.db is not None
    failures = [f"{f['path']}: {f['message']}" for f in summary.get("failures", [])]
    if failure is not None:
        failures.append(f"{failure.code}: {failure.message}")
    conflicts = [
        *(
            runs.NewConflict(c["path"], c["copy_path"], tuple(c["cells"]), c["reason"])
            for c in summary.get("conflicts", [])
        ),
        *(runs.NewConflict(path, None) for path in summary.get("merged_notebooks", [])),
    ]
    try:
        await write(
            ctx.db,
            runs.finish_run,
            run_id,
            result,
            summary.get("counts", {}),
            summary.get("bytes", 0),
            failures,
            error_code=_error_code(summary, failure),
            conflicts=conflicts,
        )
    except Exception:
        log.exception("could not record the end of sync run %s", run_id)
