"""CRUD functions for sync history: one row per push, pull or sync."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .models import SyncRun, utcnow


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    project_id: str
    direction: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    result: str
    counts: dict[str, Any]
    bytes_transferred: int
    failures: list[str]


def _record(row: SyncRun) -> RunRecord:
    return RunRecord(
        row.id,
        row.project_id,
        row.direction,
        row.trigger,
        row.started_at,
        row.finished_at,
        row.result,
        dict(row.counts),
        row.bytes_transferred,
        list(row.failures),
    )


def start_run(session: Session, project_id: str, direction: str, trigger: str) -> int:
    row = SyncRun(project_id=project_id, direction=direction, trigger=trigger)
    session.add(row)
    session.flush()
    return row.id


def finish_run(
    session: Session,
    run_id: int,
    result: str,
    counts: dict[str, Any],
    bytes_transferred: int,
    failures: list[str],
) -> None:
    session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id)
        .values(
            result=result,
            counts=counts,
            bytes_transferred=bytes_transferred,
            failures=failures,
            finished_at=utcnow(),
        )
    )


def list_runs(session: Session, project_id: str, limit: int = 50) -> list[RunRecord]:
    """A project's runs, newest first."""
    rows = session.scalars(
        select(SyncRun)
        .where(SyncRun.project_id == project_id)
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .limit(limit)
    )
    return [_record(row) for row in rows]


def latest_runs(session: Session) -> dict[str, RunRecord]:
    """The newest run of every project, by project id."""
    newest = (
        select(SyncRun.project_id, func.max(SyncRun.id).label("id"))
        .group_by(SyncRun.project_id)
        .subquery()
    )
    rows = session.scalars(select(SyncRun).join(newest, SyncRun.id == newest.c.id))
    return {row.project_id: _record(row) for row in rows}


def interrupt_running(session: Session) -> int:
    """Runs left 'running' by a crash become 'interrupted'; returns how many."""
    result = session.execute(
        update(SyncRun)
        .where(SyncRun.result == "running")
        .values(result="interrupted", finished_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def prune_runs(session: Session, older_than: timedelta) -> None:
    session.execute(delete(SyncRun).where(SyncRun.started_at < utcnow() - older_than))
