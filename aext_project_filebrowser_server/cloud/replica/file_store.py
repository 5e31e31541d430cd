"""File revision queries: conditional writes, tombstones, listings and version history.

Every function takes a `Session` first and runs on the single DB thread (see `storage`), so
the precondition check and the write it guards happen in one serialised transaction: two
clients racing with the same `If-Match` cannot both win.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from .accounts import Principal
from .errors import NotFound, PreconditionFailed
from .models import FileRevision
from .project_store import load_project, touch_project, utcnow


@dataclass(frozen=True)
class RevisionRecord:
    version_id: str
    path: str
    sha256: str | None
    size: int
    created_at: datetime
    author_id: str
    deleted: bool


@dataclass(frozen=True)
class FilePage:
    items: list[RevisionRecord]
    total: int
    has_more: bool


@dataclass(frozen=True)
class Conditions:
    """Parsed `If-Match` / `If-None-Match` version ids (`"*"` means "any version")."""

    if_match: frozenset[str] | None = None
    if_none_match: frozenset[str] | None = None

    def check(self, current: RevisionRecord | None) -> None:
        """Raise `PreconditionFailed` unless the current (non-deleted) file satisfies these."""
        headers = {"ETag": f'"{current.version_id}"'} if current else {}
        if self.if_match is not None:
            if current is None:
                raise PreconditionFailed("If-Match: the file does not exist")
            if "*" not in self.if_match and current.version_id not in self.if_match:
                raise PreconditionFailed(
                    f"If-Match: the current version is {current.version_id}", headers
                )
        if (
            self.if_none_match is not None
            and current is not None
            and ("*" in self.if_none_match or current.version_id in self.if_none_match)
        ):
            raise PreconditionFailed(
                f"If-None-Match: the file exists (version {current.version_id})", headers
            )


def _record(r: FileRevision) -> RevisionRecord:
    return RevisionRecord(
        r.version_id, r.path, r.sha256, r.size, r.created_at, r.author_id, r.deleted
    )


def _head(s: Session, project_id: str, path: str) -> FileRevision | None:
    return s.scalar(
        select(FileRevision).where(
            FileRevision.project_id == project_id,
            FileRevision.path == path,
            FileRevision.is_head.is_(True),
        )
    )


def _current(s: Session, project_id: str, path: str) -> RevisionRecord | None:
    head = _head(s, project_id, path)
    return None if head is None or head.deleted else _record(head)


def check_write(
    s: Session, principal: Principal, project_id: str, path: str, conditions: Conditions
) -> None:
    """Fail early (before an upload body is read) on role or preconditions."""
    load_project(s, principal, project_id, "writer")
    conditions.check(_current(s, project_id, path))


def _append(
    s: Session,
    principal: Principal,
    project_id: str,
    path: str,
    *,
    sha256: str | None,
    size: int,
    deleted: bool,
) -> RevisionRecord:
    s.execute(
        update(FileRevision)
        .where(
            FileRevision.project_id == project_id,
            FileRevision.path == path,
            FileRevision.is_head.is_(True),
        )
        .values(is_head=False)
    )
    revision = FileRevision(
        project_id=project_id,
        path=path,
        version_id=uuid.uuid4().hex,
        sha256=sha256,
        size=size,
        created_at=utcnow(),
        author_id=principal.user_id,
        deleted=deleted,
        is_head=True,
    )
    s.add(revision)
    touch_project(s, project_id)
    s.flush()
    return _record(revision)


def add_revision(
    s: Session,
    principal: Principal,
    project_id: str,
    path: str,
    *,
    sha256: str,
    size: int,
    conditions: Conditions,
) -> tuple[RevisionRecord, bool]:
    """Record a new revision of `path`; returns it and whether the file is new."""
    load_project(s, principal, project_id, "writer")
    current = _current(s, project_id, path)
    conditions.check(current)
    record = _append(s, principal, project_id, path, sha256=sha256, size=size, deleted=False)
    return record, current is None


def delete_file(
    s: Session, principal: Principal, project_id: str, path: str, conditions: Conditions
) -> RevisionRecord:
    """Record a tombstone for `path`; `NotFound` if it has no current version."""
    load_project(s, principal, project_id, "writer")
    current = _current(s, project_id, path)
    if current is None:
        raise NotFound("file not found")
    conditions.check(current)
    return _append(s, principal, project_id, path, sha256=None, size=0, deleted=True)


def find_revision(
    s: Session, principal: Principal, project_id: str, path: str, version: str | None
) -> RevisionRecord:
    """The current revision of `path`, or the given version of it (not a tombstone)."""
    load_project(s, principal, project_id, "reader")
    if version is None:
        current = _current(s, project_id, path)
        if current is None:
            raise NotFound("file not found")
        return current
    revision = s.scalar(
        select(FileRevision).where(
            FileRevision.version_id == version,
            FileRevision.project_id == project_id,
            FileRevision.path == path,
        )
    )
    if revision is None or revision.deleted:
        raise NotFound("no such version of this file")
    return _record(revision)


def list_files(
    s: Session,
    principal: Principal,
    project_id: str,
    *,
    prefix: str,
    after: str | None,
    limit: int,
) -> FilePage:
    """Current (non-deleted) files ordered by path (code point order, like Python's)."""
    load_project(s, principal, project_id, "reader")
    conditions: list[ColumnElement[bool]] = [
        FileRevision.project_id == project_id,
        FileRevision.is_head.is_(True),
        FileRevision.deleted.is_(False),
    ]
    if prefix:
        # substr, not LIKE: SQLite's LIKE ignores ASCII case.
        conditions.append(func.substr(FileRevision.path, 1, len(prefix)) == prefix)
    total = s.scalar(select(func.count()).select_from(FileRevision).where(*conditions)) or 0
    if after is not None:
        conditions.append(FileRevision.path > after)
    rows = s.scalars(
        select(FileRevision).where(*conditions).order_by(FileRevision.path).limit(limit + 1)
    ).all()
    return FilePage([_record(r) for r in rows[:limit]], total, len(rows) > limit)


def list_versions(
    s: Session, principal: Principal, project_id: str, path: str
) -> list[RevisionRecord] | None:
    """Every revision of `path`, newest first; None if the path never existed."""
    load_project(s, principal, project_id, "reader")
    rows = s.scalars(
        select(FileRevision)
        .where(FileRevision.project_id == project_id, FileRevision.path == path)
        .order_by(FileRevision.id.desc())
    ).all()
    return [_record(r) for r in rows] or None
