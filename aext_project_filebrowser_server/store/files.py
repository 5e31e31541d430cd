"""CRUD functions for per-file sync bases and the local stat cache."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from .models import ProjectFile


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One row of `project_files` as a value. Base fields are None until both sides agree."""

    path: str
    base_sha256: str | None = None
    base_version_id: str | None = None
    base_size: int | None = None
    base_mtime_ns: int | None = None
    local_size: int | None = None
    local_mtime_ns: int | None = None
    local_inode: int | None = None
    local_sha256: str | None = None
    status: str = "synced"


_FIELDS = tuple(FileRecord.__dataclass_fields__)


def _record(row: ProjectFile) -> FileRecord:
    return FileRecord(**{name: getattr(row, name) for name in _FIELDS})


def list_files(session: Session, project_id: str) -> list[FileRecord]:
    """Every file row of a project, ordered by path."""
    rows = session.scalars(
        select(ProjectFile).where(ProjectFile.project_id == project_id).order_by(ProjectFile.path)
    )
    return [_record(row) for row in rows]


def save_files(session: Session, project_id: str, records: Iterable[FileRecord]) -> int:
    """Insert or replace rows by path in one statement per batch; returns the count."""
    values = [{"project_id": project_id, **asdict(r)} for r in records]
    if not values:
        return 0
    for start in range(0, len(values), 500):
        batch = values[start : start + 500]
        statement = insert(ProjectFile).values(batch)
        update_columns = {name: statement.excluded[name] for name in _FIELDS if name != "path"}
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["project_id", "path"], set_=update_columns
            )
        )
    return len(values)


def delete_files(session: Session, project_id: str, paths: Iterable[str]) -> None:
    """Forget the rows of these paths."""
    wanted = list(paths)
    for start in range(0, len(wanted), 500):
        session.execute(
            delete(ProjectFile).where(
                ProjectFile.project_id == project_id,
                ProjectFile.path.in_(wanted[start : start + 500]),
            )
        )
