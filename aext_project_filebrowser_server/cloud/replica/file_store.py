"""File revision queries: conditional writes, tombstones, listings and version history.

Every function takes a plain `sqlite3` connection first and runs on the single DB thread
(`Database.run_sqlite`, see `storage`), so the precondition check and the write it guards
happen in one serialised transaction: two clients racing with the same `If-Match` cannot
both win.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .accounts import Principal
from .errors import NotFound, PreconditionFailed
from .project_store import require_project_role, utcnow


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


# Plain SQL on the `sqlite3` connection: these run hundreds of times a second. Timestamps are
# stored in SQLAlchemy's SQLite format (`sql_time`) so the ORM paths read them back alike.
_COLUMNS = "version_id, path, sha256, size, created_at, author_id, deleted"
_HEAD = f"""
    SELECT {_COLUMNS} FROM file_revisions WHERE project_id = ? AND path = ? AND is_head = 1
"""
_DROP_HEAD = """
    UPDATE file_revisions SET is_head = 0 WHERE project_id = ? AND path = ? AND is_head = 1
"""
_INSERT = """
    INSERT INTO file_revisions
        (project_id, path, version_id, sha256, size, created_at, author_id, deleted, is_head)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
"""
_TOUCH = "UPDATE projects SET updated_at = ? WHERE id = ?"
_ADD_BLOB = "INSERT OR IGNORE INTO blobs (sha256, content) VALUES (?, ?)"
_BLOB = "SELECT content FROM blobs WHERE sha256 = ?"
_VERSION = f"""
    SELECT {_COLUMNS} FROM file_revisions WHERE version_id = ? AND project_id = ? AND path = ?
"""
_HISTORY = f"""
    SELECT {_COLUMNS} FROM file_revisions WHERE project_id = ? AND path = ? ORDER BY id DESC
"""
# substr, not LIKE: SQLite's LIKE ignores ASCII case.
_CURRENT = "project_id = ? AND is_head = 1 AND deleted = 0 AND substr(path, 1, ?) = ?"
_COUNT = f"SELECT count(*) FROM file_revisions WHERE {_CURRENT}"
_PAGE = f"SELECT {_COLUMNS} FROM file_revisions WHERE {_CURRENT} AND path > ? ORDER BY path LIMIT ?"


def sql_time(at: datetime) -> str:
    """A naive UTC datetime as SQLAlchemy stores it in SQLite."""
    return at.isoformat(" ", "microseconds")


def _record(row: Sequence[Any]) -> RevisionRecord:
    version_id, path, sha256, size, created_at, author_id, deleted = row
    return RevisionRecord(
        version_id,
        path,
        sha256,
        size,
        datetime.fromisoformat(created_at),
        author_id,
        bool(deleted),
    )


def _current(conn: sqlite3.Connection, project_id: str, path: str) -> RevisionRecord | None:
    row = conn.execute(_HEAD, (project_id, path)).fetchone()
    if row is None:
        return None
    head = _record(row)
    return None if head.deleted else head


def check_write(
    conn: sqlite3.Connection,
    principal: Principal,
    project_id: str,
    path: str,
    conditions: Conditions,
) -> None:
    """Fail early (before a large upload body is read) on role or preconditions."""
    require_project_role(conn, principal, project_id, "writer")
    conditions.check(_current(conn, project_id, path))


def _append(
    conn: sqlite3.Connection,
    principal: Principal,
    project_id: str,
    path: str,
    *,
    sha256: str | None,
    size: int,
    deleted: bool,
) -> RevisionRecord:
    conn.execute(_DROP_HEAD, (project_id, path))
    record = RevisionRecord(
        uuid.uuid4().hex, path, sha256, size, utcnow(), principal.user_id, deleted
    )
    at = sql_time(record.created_at)
    conn.execute(
        _INSERT,
        (project_id, path, record.version_id, sha256, size, at, record.author_id, deleted),
    )
    conn.execute(_TOUCH, (at, project_id))
    return record


def add_revision(
    conn: sqlite3.Connection,
    principal: Principal,
    project_id: str,
    path: str,
    *,
    sha256: str,
    size: int,
    conditions: Conditions,
    content: bytes | None = None,
) -> tuple[RevisionRecord, bool]:
    """Record a new revision of `path`; returns it and whether the file is new.

    `content` (a small body, see `blobs`) is stored in the DB in the same transaction;
    without it the body must already be a blob file.
    """
    require_project_role(conn, principal, project_id, "writer")
    current = _current(conn, project_id, path)
    conditions.check(current)
    if content is not None:
        conn.execute(_ADD_BLOB, (sha256, content))
    record = _append(conn, principal, project_id, path, sha256=sha256, size=size, deleted=False)
    return record, current is None


def delete_file(
    conn: sqlite3.Connection,
    principal: Principal,
    project_id: str,
    path: str,
    conditions: Conditions,
) -> RevisionRecord:
    """Record a tombstone for `path`; `NotFound` if it has no current version (412 when
    an `If-Match` asked for one: RFC 9110 evaluates it against "no representation")."""
    require_project_role(conn, principal, project_id, "writer")
    current = _current(conn, project_id, path)
    if current is None:
        if conditions.if_match is not None:
            conditions.check(None)
        raise NotFound("file not found")
    conditions.check(current)
    return _append(conn, principal, project_id, path, sha256=None, size=0, deleted=True)


def find_revision(
    conn: sqlite3.Connection, principal: Principal, project_id: str, path: str, version: str | None
) -> tuple[RevisionRecord, bytes | None]:
    """The current revision of `path`, or the given version of it (not a tombstone), and its
    bytes if they are stored in the DB (None: they are a blob file)."""
    require_project_role(conn, principal, project_id, "reader")
    if version is None:
        record = _current(conn, project_id, path)
        if record is None:
            raise NotFound("file not found")
    else:
        row = conn.execute(_VERSION, (version, project_id, path)).fetchone()
        record = _record(row) if row is not None else None
        if record is None or record.deleted:
            raise NotFound("no such version of this file")
    blob = conn.execute(_BLOB, (record.sha256,)).fetchone()
    return record, blob[0] if blob is not None else None


def list_files(
    conn: sqlite3.Connection,
    principal: Principal,
    project_id: str,
    *,
    prefix: str,
    after: str | None,
    limit: int,
) -> FilePage:
    """Current (non-deleted) files ordered by path (code point order, like Python's)."""
    require_project_role(conn, principal, project_id, "reader")
    current = (project_id, len(prefix), prefix)
    total = conn.execute(_COUNT, current).fetchone()[0]
    rows = conn.execute(_PAGE, (*current, after or "", limit + 1)).fetchall()
    return FilePage([_record(r) for r in rows[:limit]], total, len(rows) > limit)


def list_versions(
    conn: sqlite3.Connection, principal: Principal, project_id: str, path: str
) -> list[RevisionRecord] | None:
    """Every revision of `path`, newest first; None if the path never existed."""
    require_project_role(conn, principal, project_id, "reader")
    rows = conn.execute(_HISTORY, (project_id, path)).fetchall()
    return [_record(r) for r in rows] or None
