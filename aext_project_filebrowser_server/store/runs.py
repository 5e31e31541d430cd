"""CRUD functions for sync history: one row per push, pull or sync, and the conflicts
(files changed on both sides) each run found, with how they were settled."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from .errors import NotFound, StoreError
from .models import SyncConflict, SyncRun, utcnow


@dataclass(frozen=True, slots=True)
class ConflictRecord:
    """A file changed on both sides. `resolution` None: a conflict copy not yet resolved."""

    id: int
    project_id: str
    run_id: int | None
    path: str
    copy_path: str | None
    cells: tuple[str, ...]
    reason: str | None
    created_at: datetime
    resolved_at: datetime | None
    resolution: str | None


@dataclass(frozen=True, slots=True)
class NewConflict:
    """What a run found: `copy_path` None when a notebook merged cleanly."""

    path: str
    copy_path: str | None
    cells: tuple[str, ...] = ()
    reason: str | None = None


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
    error_code: str | None = None
    conflicts: tuple[ConflictRecord, ...] = ()


class AlreadyResolved(StoreError):
    """The conflict was resolved by someone else since it was read."""


def _record(row: SyncRun, conflicts: Sequence[ConflictRecord] = ()) -> RunRecord:
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
        row.error_code,
        tuple(conflicts),
    )


def _conflict(row: SyncConflict) -> ConflictRecord:
    return ConflictRecord(
        row.id,
        row.project_id,
        row.run_id,
        row.path,
        row.copy_path,
        tuple(row.cells),
        row.reason,
        row.created_at,
        row.resolved_at,
        row.resolution,
    )


def _conflicts_of_runs(
    session: Session, run_ids: Collection[int]
) -> dict[int, list[ConflictRecord]]:
    by_run: dict[int, list[ConflictRecord]] = {}
    wanted = list(run_ids)
    for start in range(0, len(wanted), 500):
        rows = session.scalars(
            select(SyncConflict)
            .where(SyncConflict.run_id.in_(wanted[start : start + 500]))
            .order_by(SyncConflict.id)
        )
        for row in rows:
            if row.run_id is not None:
                by_run.setdefault(row.run_id, []).append(_conflict(row))
    return by_run


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
    *,
    error_code: str | None = None,
    conflicts: Iterable[NewConflict] = (),
) -> None:
    """Close a run; `conflicts` are recorded with it (merged notebooks count as resolved)."""
    now = utcnow()
    session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id)
        .values(
            result=result,
            counts=counts,
            bytes_transferred=bytes_transferred,
            failures=failures,
            error_code=error_code,
            finished_at=now,
        )
    )
    found = list(conflicts)
    if not found:
        return
    project_id = session.scalar(select(SyncRun.project_id).where(SyncRun.id == run_id))
    if project_id is None:
        raise NotFound(f"sync run {run_id}")
    session.add_all(
        SyncConflict(
            project_id=project_id,
            run_id=run_id,
            path=c.path,
            copy_path=c.copy_path,
            cells=list(c.cells),
            reason=c.reason,
            created_at=now,
            resolved_at=now if c.copy_path is None else None,
            resolution="merged" if c.copy_path is None else None,
        )
        for c in found
    )


def list_runs(session: Session, project_id: str, limit: int = 50) -> list[RunRecord]:
    """A project's runs, newest first."""
    rows = session.scalars(
        select(SyncRun)
        .where(SyncRun.project_id == project_id)
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .limit(limit)
    )
    runs = list(rows)
    conflicts = _conflicts_of_runs(session, [row.id for row in runs])
    return [_record(row, conflicts.get(row.id, ())) for row in runs]


def latest_runs(session: Session) -> dict[str, RunRecord]:
    """The newest run of every project, by project id."""
    newest = (
        select(SyncRun.project_id, func.max(SyncRun.id).label("id"))
        .group_by(SyncRun.project_id)
        .subquery()
    )
    rows = session.scalars(select(SyncRun).join(newest, SyncRun.id == newest.c.id))
    return {row.project_id: _record(row) for row in rows}


def interrupt_running(session: Session, project_id: str | None = None) -> int:
    """Runs left 'running' by a crash (of one project's, or all) become 'interrupted';
    returns how many."""
    query = update(SyncRun).where(SyncRun.result == "running")
    if project_id is not None:
        query = query.where(SyncRun.project_id == project_id)
    result = session.execute(query.values(result="interrupted", finished_at=utcnow()))
    return int(result.rowcount)  # type: ignore[attr-defined]


def prune_runs(session: Session, older_than: timedelta) -> None:
    session.execute(delete(SyncRun).where(SyncRun.started_at < utcnow() - older_than))


def prune_history(session: Session, older_than: timedelta) -> tuple[int, int]:
    """Forget runs started, and conflicts resolved, before `older_than` ago.

    Unresolved conflicts are kept whatever their age: they still need the user.
    Returns (runs, conflicts) deleted.
    """
    cutoff = utcnow() - older_than
    conflicts = session.execute(
        delete(SyncConflict).where(
            SyncConflict.resolved_at.is_not(None), SyncConflict.resolved_at < cutoff
        )
    )
    runs = session.execute(
        delete(SyncRun).where(SyncRun.started_at < cutoff, SyncRun.result != "running")
    )
    return int(runs.rowcount), int(conflicts.rowcount)  # type: ignore[attr-defined]


def latest_finished_runs(
    session: Session, project_ids: Collection[str], *, skip: Collection[str] = ()
) -> dict[str, RunRecord]:
    """The newest finished run of each of these projects (`skip`: results to pass over)."""
    wanted = list(project_ids)
    passed_over = ["running", *skip]
    found: dict[str, RunRecord] = {}
    for start in range(0, len(wanted), 500):
        newest = (
            select(SyncRun.project_id, func.max(SyncRun.id).label("id"))
            .where(
                SyncRun.project_id.in_(wanted[start : start + 500]),
                SyncRun.result.not_in(passed_over),
            )
            .group_by(SyncRun.project_id)
            .subquery()
        )
        for row in session.scalars(select(SyncRun).join(newest, SyncRun.id == newest.c.id)):
            found[row.project_id] = _record(row)
    return found


def unresolved_conflicts(
    session: Session, project_ids: Collection[str]
) -> dict[str, list[ConflictRecord]]:
    """The conflict copies not yet resolved, per project, oldest first."""
    wanted = list(project_ids)
    found: dict[str, list[ConflictRecord]] = {}
    for start in range(0, len(wanted), 500):
        rows = session.scalars(
            select(SyncConflict)
            .where(
                SyncConflict.project_id.in_(wanted[start : start + 500]),
                SyncConflict.resolved_at.is_(None),
            )
            .order_by(SyncConflict.id)
        )
        for row in rows:
            found.setdefault(row.project_id, []).append(_conflict(row))
    return found


def projects_with_unresolved_conflicts(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(SyncConflict.project_id).where(SyncConflict.resolved_at.is_(None)).distinct()
        )
    )


def find_conflicts(session: Session, project_id: str, path: str) -> list[ConflictRecord]:
    """Every conflict whose copy or original is `path`, newest first, resolved or not."""
    rows = session.scalars(
        select(SyncConflict)
        .where(
            SyncConflict.project_id == project_id,
            or_(SyncConflict.copy_path == path, SyncConflict.path == path),
        )
        .order_by(SyncConflict.id.desc())
    )
    return [_conflict(row) for row in rows]


def add_resolved_conflict(
    session: Session, project_id: str, path: str, copy_path: str, resolution: str
) -> ConflictRecord:
    """Record a conflict that no run recorded (a copy made by a restore), already resolved."""
    now = utcnow()
    row = SyncConflict(
        project_id=project_id,
        path=path,
        copy_path=copy_path,
        created_at=now,
        resolved_at=now,
        resolution=resolution,
    )
    session.add(row)
    session.flush()
    return _conflict(row)


def resolve_conflict(session: Session, conflict_id: int, resolution: str) -> ConflictRecord:
    """Mark a conflict resolved; fails loudly if it was resolved meanwhile (optimistic)."""
    done = session.execute(
        update(SyncConflict)
        .where(SyncConflict.id == conflict_id, SyncConflict.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolution=resolution)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise AlreadyResolved(f"conflict {conflict_id} was already resolved")
    row = session.get(SyncConflict, conflict_id)
    if row is None:  # pragma: no cover - the update just matched it
        raise NotFound(f"conflict {conflict_id}")
    return _conflict(row)
