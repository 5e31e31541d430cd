"""CRUD functions for the sync journal: operations written before they run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .models import JournalEntry, utcnow


@dataclass(frozen=True, slots=True)
class PendingOperation:
    """A journal entry that was started and never finished."""

    id: int
    project_id: str
    run_id: int | None
    path: str
    operation: str
    detail: dict[str, Any]


def add_entries(
    session: Session,
    project_id: str,
    run_id: int | None,
    operations: list[tuple[str, str, dict[str, Any]]],
) -> list[int]:
    """Journal `(operation, path, detail)` triples as pending; returns their ids in order."""
    rows = [
        JournalEntry(project_id=project_id, run_id=run_id, path=p, operation=op, detail=d)
        for op, p, d in operations
    ]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def finish_entries(
    session: Session, entry_ids: list[int], state: str, error: str | None = None
) -> None:
    """Mark entries `done`, `failed` or `abandoned`."""
    if entry_ids:
        session.execute(
            update(JournalEntry)
            .where(JournalEntry.id.in_(entry_ids))
            .values(state=state, error=error, finished_at=utcnow())
        )


def pending_entries(session: Session, project_id: str | None = None) -> list[PendingOperation]:
    """Entries left pending, e.g. by a crash, oldest first."""
    query = select(JournalEntry).where(JournalEntry.state == "pending").order_by(JournalEntry.id)
    if project_id is not None:
        query = query.where(JournalEntry.project_id == project_id)
    return [
        PendingOperation(r.id, r.project_id, r.run_id, r.path, r.operation, dict(r.detail))
        for r in session.scalars(query)
    ]


@dataclass(frozen=True, slots=True)
class FinishedDelete:
    """A cloud delete our sync completed: which file, which revision it removed, and when."""

    path: str
    version: str | None
    finished_at: datetime


def finished_deletes(session: Session, project_id: str, limit: int) -> list[FinishedDelete]:
    """The newest finished `delete_remote` entry of each path, newest first, at most `limit`."""
    done_deletes = (
        JournalEntry.project_id == project_id,
        JournalEntry.operation == "delete_remote",
        JournalEntry.state == "done",
    )
    newest = select(func.max(JournalEntry.id)).where(*done_deletes).group_by(JournalEntry.path)
    query = (
        select(JournalEntry)
        .where(JournalEntry.id.in_(newest))
        .order_by(JournalEntry.id.desc())
        .limit(limit)
    )
    return [
        FinishedDelete(row.path, row.detail.get("if_match"), row.finished_at or row.created_at)
        for row in session.scalars(query)
    ]
