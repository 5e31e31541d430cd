"""SQLAlchemy 2 models of the local store.

The owner of a project is stored as two plain strings (id and type), never as an object;
`version` is the optimistic-lock counter that REST clients see as the ETag.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC without an offset (SQLite has no time zones) and reads it back aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON, datetime: UTCDateTime}


class Project(Base):
    """A project known locally: downloaded, created here, or seen in the cloud list."""

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_projects_owner_id_name"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(1024))
    description: Mapped[str | None]
    owner_id: Mapped[str] = mapped_column(String(255))
    owner_type: Mapped[str] = mapped_column(String(16))
    owner_name: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list[str]] = mapped_column(default=list)
    default_environment: Mapped[str | None] = mapped_column(String(255))
    local_path: Mapped[str | None] = mapped_column(String(4096), unique=True)
    cloud_created_at: Mapped[datetime | None]
    cloud_updated_at: Mapped[datetime | None]
    cloud_state: Mapped[str] = mapped_column(String(16), default="present")
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProjectFile(Base):
    """One file's sync base (what both sides last agreed on) and its local stat cache."""

    __tablename__ = "project_files"
    __table_args__ = (
        UniqueConstraint("project_id", "path", name="uq_project_files_project_id_path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(1024))
    # The base: the last state both sides agreed on.
    base_sha256: Mapped[str | None] = mapped_column(String(64))
    base_version_id: Mapped[str | None] = mapped_column(String(255))
    base_size: Mapped[int | None]
    base_mtime_ns: Mapped[int | None]
    # The stat cache: the hash we computed for this exact (size, mtime_ns, inode).
    local_size: Mapped[int | None]
    local_mtime_ns: Mapped[int | None]
    local_inode: Mapped[int | None]
    local_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default="synced")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SyncRun(Base):
    """One push, pull or sync of a project: when, why, and how it ended."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_project_started", "project_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8))
    trigger: Mapped[str] = mapped_column(String(32), default="user")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    result: Mapped[str] = mapped_column(String(16), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    bytes_transferred: Mapped[int] = mapped_column(default=0)
    failures: Mapped[list[str]] = mapped_column(default=list)
    # The run-level failure's stable code (`auth_required_cloud`, `mass_delete`...), if any.
    error_code: Mapped[str | None] = mapped_column(String(64))


class SyncConflict(Base):
    """A file changed on both sides, found by a sync run, and how it was settled.

    `resolution` is `merged` (a notebook merged cleanly; resolved at once) or, for a
    conflict copy, None until the user resolves it: `local`, `remote` or `both`.
    """

    __tablename__ = "sync_conflicts"
    __table_args__ = (Index("ix_sync_conflicts_project_resolved", "project_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id", ondelete="SET NULL"))
    path: Mapped[str] = mapped_column(String(1024))
    copy_path: Mapped[str | None] = mapped_column(String(1024))
    cells: Mapped[list[str]] = mapped_column(default=list, server_default=text("'[]'"))
    reason: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(16))


class JournalEntry(Base):
    """A sync operation written before it starts, so a crash can be re-checked on restart."""

    __tablename__ = "sync_journal"
    __table_args__ = (Index("ix_sync_journal_project_state", "project_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id", ondelete="SET NULL"))
    path: Mapped[str] = mapped_column(String(1024))
    operation: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class CloudFact(Base):
    """Something learned about a cloud by probing it, kept for a while (a time-to-live is
    applied by the reader): e.g. whether it honours `If-Match` (see `cloud.preconditions`)."""

    __tablename__ = "cloud_facts"

    cloud_url: Mapped[str] = mapped_column(String(1024), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProjectAutoSync(Base):
    """A project's auto-sync setting (no row: `off`) and whether it is paused.

    Kept out of `projects` on purpose: changing it must not move the project's version
    (its ETag), which belongs to the cloud metadata a PATCH edits. `paused_reason` is set
    when a safety gate refused an automatic run; auto-sync stays off for the project until
    the user sets a mode again.
    """

    __tablename__ = "project_auto_sync"

    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(16), default="off")
    interval_minutes: Mapped[int | None]
    paused_reason: Mapped[str | None]
    paused_at: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
