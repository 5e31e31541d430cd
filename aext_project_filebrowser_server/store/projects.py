"""CRUD functions for projects. Each takes an open Session and returns LocalProject values."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..schemas.projects import CloudProject, LocalProject, local_from_cloud
from .errors import AlreadyExists, NotFound, StaleVersion
from .models import Project, ProjectFile, SyncRun

#: Ids per IN list: well under SQLite's limit on bound parameters.
IN_CHUNK = 500

#: Fields of LocalProject that a caller may change through `update_project`.
EDITABLE_FIELDS = frozenset(
    {
        "title",
        "description",
        "tags",
        "default_environment",
        "local_path",
        "cloud_updated_at",
        "cloud_state",
        "name",
        "owner_name",
    }
)


def to_local(row: Project) -> LocalProject:
    """The LocalProject value of a row."""
    return LocalProject(
        id=row.id,
        name=row.name,
        title=row.title,
        description=row.description,
        owner_id=row.owner_id,
        owner_type=row.owner_type,
        owner_name=row.owner_name,
        tags=tuple(row.tags or ()),
        default_environment=row.default_environment,
        local_path=row.local_path,
        cloud_created_at=row.cloud_created_at,
        cloud_updated_at=row.cloud_updated_at,
        cloud_state=row.cloud_state,
        version=row.version,
    )


def _columns(project: LocalProject) -> dict[str, Any]:
    # sync, last_sync, needs_attention and auto_sync are filled in when read, not stored here
    data = project.model_dump(
        exclude={"sync", "version", "last_sync", "needs_attention", "contents_path", "auto_sync"}
    )
    data["tags"] = list(project.tags)
    if not isinstance(data["owner_id"], str):  # pragma: no cover - guarded by the model
        raise TypeError("owner_id must be a string id")
    return data


def insert_project(session: Session, project: LocalProject) -> LocalProject:
    """Add a project; AlreadyExists if its id, owner+name or local path is taken."""
    row = Project(**_columns(project), version=1)
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise AlreadyExists(f"project {project.id} ({project.owner_id}/{project.name})") from exc
    return to_local(row)


def find_project(session: Session, project_id: str) -> LocalProject | None:
    row = session.get(Project, project_id)
    return None if row is None else to_local(row)


def get_project(session: Session, project_id: str) -> LocalProject:
    """One project; NotFound if the store does not know it."""
    found = find_project(session, project_id)
    if found is None:
        raise NotFound(f"project {project_id}")
    return found


def list_projects(
    session: Session, tag: str | None = None, q: str | None = None
) -> list[LocalProject]:
    """All projects, oldest first, optionally with a tag or a title/name substring."""
    query = select(Project).order_by(Project.created_at, Project.id)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(func.lower(Project.title).like(pattern), func.lower(Project.name).like(pattern))
        )
    rows = session.scalars(query).all()
    projects = [to_local(row) for row in rows]
    return [p for p in projects if tag in p.tags] if tag else projects


def update_project(
    session: Session, project_id: str, expected_version: int, changes: dict[str, Any]
) -> LocalProject:
    """Apply `changes` if the row is still at `expected_version`; StaleVersion otherwise."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    values = {k: (list(v) if k == "tags" else v) for k, v in changes.items()}
    result = session.execute(
        update(Project)
        .where(Project.id == project_id, Project.version == expected_version)
        .values(**values, version=Project.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        current = session.scalar(select(Project.version).where(Project.id == project_id))
        if current is None:
            raise NotFound(f"project {project_id}")
        raise StaleVersion("project", project_id, expected_version, current)
    session.expire_all()
    return get_project(session, project_id)


def save_cloud_project(session: Session, cloud: CloudProject) -> LocalProject:
    """Insert a project seen in the cloud, or bring a known one up to date with it.

    The local path and sync state of a known project are kept; the version only moves
    when something actually changed, so a refresh does not invalidate clients' ETags.
    """
    known = find_project(session, cloud.id)
    if known is None:
        return insert_project(session, local_from_cloud(cloud))
    fresh = local_from_cloud(cloud, known.local_path)
    changes = {
        field: getattr(fresh, field)
        for field in ("name", "title", "description", "tags", "owner_name", "cloud_updated_at")
        if getattr(fresh, field) != getattr(known, field)
    }
    if known.cloud_state != "present":
        changes["cloud_state"] = "present"
    if not changes:
        return known
    return update_project(session, cloud.id, known.version, changes)


def mark_cloud_deleted(session: Session, project_ids: Iterable[str]) -> None:
    """Flag projects that vanished from the cloud; local rows and files stay."""
    ids = list(project_ids)
    if ids:
        session.execute(
            update(Project)
            .where(Project.id.in_(ids), Project.cloud_state != "cloud_deleted")
            .values(cloud_state="cloud_deleted", version=Project.version + 1)
        )


def delete_project(session: Session, project_id: str) -> None:
    """Forget a project (its file bases and journal go with it)."""
    row = session.get(Project, project_id)
    if row is None:
        raise NotFound(f"project {project_id}")
    session.delete(row)


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    return (ids[start : start + IN_CHUNK] for start in range(0, len(ids), IN_CHUNK))


def file_status_counts(
    session: Session, project_ids: Collection[str], statuses: Collection[str]
) -> dict[str, dict[str, int]]:
    """How many files of each project have each of `statuses` (absent: none).

    One grouped query per 500 projects: the project list needs only the counts, never the
    file rows themselves.
    """
    counts: dict[str, dict[str, int]] = {}
    for chunk in _chunks(list(project_ids)):
        rows = session.execute(
            select(ProjectFile.project_id, ProjectFile.status, func.count())
            .where(ProjectFile.project_id.in_(chunk), ProjectFile.status.in_(statuses))
            .group_by(ProjectFile.project_id, ProjectFile.status)
        )
        for project_id, status, n in rows:
            counts.setdefault(project_id, {})[status] = n
    return counts


def last_successful_syncs(session: Session, project_ids: Collection[str]) -> dict[str, datetime]:
    """When the newest run with result `ok` of each project finished (absent: never)."""
    found: dict[str, datetime] = {}
    for chunk in _chunks(list(project_ids)):
        rows = session.execute(
            select(SyncRun.project_id, func.max(SyncRun.finished_at))
            .where(SyncRun.project_id.in_(chunk), SyncRun.result == "ok")
            .group_by(SyncRun.project_id)
        )
        for project_id, finished_at in rows:
            if finished_at is not None:
                found[project_id] = finished_at
    return found
