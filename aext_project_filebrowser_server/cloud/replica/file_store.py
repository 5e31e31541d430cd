"""File revision queries: conditional writes, tombstones, listings and version history.

Every function takes a Core `Connection` first and runs on the single DB thread
(`Database.run_connection`, see `storage`), so
the precondition check and the write it guards happen in one serialised transaction: two
clients racing with the same `If-Match` cannot both win. The hot paths (PUT, GET, DELETE)
use prebuilt Core statements: they run hundreds of times a second, and an ORM session plus
statement building would cost several times SQLite's own work.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, func, insert, select, update

from .accounts import Principal
from .errors import NotFound, PreconditionFailed
from .models import FileRevision
from .project_store import require_project_role, touch_project, utcnow


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


_COLUMNS = (
    FileRevision.version_id,
    FileRevision.path,
    FileRevision.sha256,
    FileRevision.size,
    FileRevision.created_at,
    FileRevision.author_id,
    FileRevision.deleted,
)
_IS_HEAD = (
    FileRevision.project_id == bindparam("b_project_id"),
    FileRevision.path == bindparam("b_path"),
    FileRevision.is_head.is_(True),
)
_HEAD = select(*_COLUMNS).where(*_IS_HEAD)
_DROP_HEAD = update(FileRevision).where(*_IS_HEAD).values(is_head=False)
_INSERT = insert(FileRevision)
_VERSION = select(*_COLUMNS).where(
    FileRevision.version_id == bindparam("b_version_id"),
    FileRevision.project_id == bindparam("b_project_id"),
    FileRevision.path == bindparam("b_path"),
)
_HISTORY = (
    select(*_COLUMNS)
    .where(
        FileRevision.project_id == bindparam("b_project_id"),
        FileRevision.path == bindparam("b_path"),
    )
    .order_by(FileRevision.id.desc())
)


def _record(row: Sequence[Any]) -> RevisionRecord:
    return RevisionRecord(*row)


def _current(conn: Connection, project_id: str, path: str) -> RevisionRecord | None:
    row = conn.execute(_HEAD, {"b_project_id": project_id, "b_path": path}).first()
    if row is None:
        return None
    head = _record(row)
    return None if head.deleted else head


def check_write(
    conn: Connection, principal: Principal, project_id: str, path: str, conditions: Conditions
) -> None:
    """Fail early (before a large upload body is read) on role or preconditions."""
    require_project_role(conn, principal, project_id, "writer")
    conditions.check(_current(conn, project_id, path))


def _append(
    conn: Connection,
    principal: Principal,
    project_id: str,
    path: str,
    *,
    sha256: str | None,
    size: int,
    deleted: bool,
) -> RevisionRecord:

    conn.execute(_DROP_HEAD, {"b_project_id": project_id, "b_path": path})
    record = RevisionRecord(
        uuid.uuid4().hex, path, sha256, size, utcnow(), principal.user_id, deleted
    )
    conn.execute(
        _INSERT,
        {
            "project_id": project_id,
            "path": path,
            "version_id": record.version_id,
            "sha256": sha256,
            "size": size,
            "created_at": record.created_at,
            "author_id": record.author_id,
            "deleted": deleted,
            "is_head": True,
        },
    )
    touch_project(conn, project_id, record.created_at)
    return record


def add_revision(
    conn: Connection,
    principal: Principal,
    project_id: str,
    path: str,
    *,
    sha256: str,
    size: int,
    conditions: Conditions,
) -> tuple[RevisionRecord, bool]:
    """Record a new revision of `path`; returns it and whether the file is new."""
    require_project_role(conn, principal, project_id, "writer")
    current = _current(conn, project_id, path)
    conditions.check(current)
    record = _append(conn, principal, project_id, path, sha256=sha256, size=size, deleted=False)
    return record, current is None


def delete_file(
    conn: Connection, principal: Principal, project_id: str, path: str, conditions: Conditions
) -> RevisionRecord:
    """Record a tombstone for `path`; `NotFound` if it has no current version."""
    require_project_role(conn, principal, project_id, "writer")
    current = _current(conn, project_id, path)
    if current is None:
        raise NotFound("file not found")
    conditions.check(current)
    return _append(conn, principal, project_id, path, sha256=None, size=0, deleted=True)


def find_revision(
    conn: Connection, principal: Principal, project_id: str, path: str, version: str | None
) -> RevisionRecord:
    """The current revision of `path`, or the given version of it (not a tombstone)."""
    require_project_role(conn, principal, project_id, "reader")
    if version is None:
        current = _current(conn, project_id, path)
        if current is None:
            raise NotFound("file not found")
        return current
    row = conn.execute(
        _VERSION, {"b_version_id": version, "b_project_id": project_id, "b_path": path}
    ).first()
    if row is None or row.deleted:
        raise NotFound("no such version of this file")
    return _record(row)


def list_files(
    conn: Connection,
    principal: Principal,
    project_id: str,
    *,
    prefix: str,
    after: str | None,
    limit: int,
) -> FilePage:
    """Current (non-deleted) files ordered by path (code point order, like Python's)."""
    require_project_role(conn, principal, project_id, "reader")
    conditions: list[ColumnElement[bool]] = [
        FileRevision.project_id == project_id,
        FileRevision.is_head.is_(True),
        FileRevision.deleted.is_(False),
    ]
    if prefix:
        # substr, not LIKE: SQLite's LIKE ignores ASCII case.
        conditions.append(func.substr(FileRevision.path, 1, len(prefix)) == prefix)

    total = conn.execute(select(func.count()).where(*conditions)).scalar() or 0
    if after is not None:
        conditions.append(FileRevision.path > after)
    rows = conn.execute(
        select(*_COLUMNS).where(*conditions).order_by(FileRevision.path).limit(limit + 1)
    ).all()
    return FilePage([_record(r) for r in rows[:limit]], total, len(rows) > limit)


def list_versions(
    conn: Connection, principal: Principal, project_id: str, path: str
) -> list[RevisionRecord] | None:
    """Every revision of `path`, newest first; None if the path never existed."""
    require_project_role(conn, principal, project_id, "reader")
    rows = conn.execute(_HISTORY, {"b_project_id": project_id, "b_path": path}).all()
    return [_record(r) for r in rows] or None
