"""Start-up recovery after a crash: close what a killed server left open.

Nothing is replayed blindly. Journal entries left pending and runs left running are
marked `interrupted`; the next sync of the project re-observes both sides, and the planner
adopts whatever already happened (both sides equal: record the base) and re-plans the rest.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from ..store import journal, runs
from ..store.engine import Database, write_sync

log = logging.getLogger(__name__)


def recover_project(session: Session, project_id: str | None = None) -> tuple[int, int]:
    """Mark one project's (or every) pending entry and running run interrupted; returns
    (entries, runs). Also used when the sync worker died under a run of that project."""
    pending = journal.pending_entries(session, project_id)
    journal.finish_entries(session, [p.id for p in pending], "interrupted")
    return len(pending), runs.interrupt_running(session, project_id)


def recover_interrupted(db: Database) -> tuple[int, int]:
    """Mark interrupted journal entries and runs; returns (entries, runs)."""
    entries, interrupted_runs = write_sync(db, recover_project)
    if entries or interrupted_runs:
        log.warning(
            "Recovered after an interrupted sync: %d operations and %d runs will be re-checked "
            "by the next sync",
            entries,
            interrupted_runs,
        )
    return entries, interrupted_runs
