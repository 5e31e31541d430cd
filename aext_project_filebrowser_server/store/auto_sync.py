"""Store calls for the auto-sync settings (`project_auto_sync`); a missing row reads `off`."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..schemas.auto_sync import AutoSyncBody, AutoSyncState
from .errors import NotFound
from .models import Project, ProjectAutoSync, utcnow


def _state(row: ProjectAutoSync | None) -> AutoSyncState:
    if row is None:
        return AutoSyncState()
    return AutoSyncState.model_validate(
        {
            "mode": row.mode,
            "interval_minutes": row.interval_minutes,
            "paused": row.paused_reason is not None,
            "paused_reason": row.paused_reason,
            "last_run_at": row.last_run_at,
        }
    )


def get_states(session: Session, project_ids: Collection[str]) -> dict[str, AutoSyncState]:
    """The auto-sync state of each of these projects (absent ids: `off`)."""
    wanted = list(project_ids)
    found: dict[str, AutoSyncState] = {}
    for start in range(0, len(wanted), 500):
        rows = session.scalars(
            select(ProjectAutoSync).where(
                ProjectAutoSync.project_id.in_(wanted[start : start + 500])
            )
        )
        found.update({row.project_id: _state(row) for row in rows})
    return found


def enabled(session: Session) -> dict[str, AutoSyncState]:
    """Every project whose mode is not `off`, paused or not, with a local folder."""
    rows = session.scalars(
        select(ProjectAutoSync)
        .join(Project, Project.id == ProjectAutoSync.project_id)
        .where(ProjectAutoSync.mode != "off", Project.local_path.is_not(None))
    )
    return {row.project_id: _state(row) for row in rows}


def _row(session: Session, project_id: str) -> ProjectAutoSync:
    if session.get(Project, project_id) is None:
        raise NotFound(f"project {project_id}")
    row = session.get(ProjectAutoSync, project_id)
    if row is None:
        row = ProjectAutoSync(project_id=project_id, mode="off")
        session.add(row)
    return row


def set_mode(session: Session, project_id: str, body: AutoSyncBody) -> AutoSyncState:
    """Set the mode; this also clears a pause (the user has looked at the project)."""
    row = _row(session, project_id)
    row.mode = body.mode
    row.interval_minutes = body.interval_minutes
    row.paused_reason = None
    row.paused_at = None
    session.flush()
    return _state(row)


def pause(session: Session, project_id: str, reason: str) -> AutoSyncState:
    row = _row(session, project_id)
    row.paused_reason = reason
    row.paused_at = utcnow()
    session.flush()
    return _state(row)


def record_run(session: Session, project_id: str, finished_at: datetime) -> None:
    """When an automatic run of the project last finished (a forgotten project: nothing)."""
    row = session.get(ProjectAutoSync, project_id)
    if row is not None:
        row.last_run_at = finished_at
