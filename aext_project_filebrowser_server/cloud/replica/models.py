"""The replica's SQLite schema (SQLAlchemy 2 typed declarative models).

`metadata.create_all` builds it: the replica is a development and test tool whose data dirs
are throwaway, so it has no migrations. Timestamps are naive UTC `datetime`s (SQLite has no
time zone type); the API layer adds the `Z`.

Files are an append-only log of revisions. Each PUT or DELETE adds a row with a fresh
`version_id`; the newest row of a path carries `is_head` so "the current file" is an index
lookup instead of a max-per-group scan. A DELETE adds a tombstone (`deleted`, no sha256), so
older revisions stay downloadable by version.

A revision's bytes are named by its sha256: bodies of at most `blobs.INLINE_MAX_BYTES` are
rows of `blobs` (written in the same transaction as the revision), larger ones are files
under `DATA/blobs/` (see `blobs`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
    email: Mapped[str]


class ApiKey(Base):
    """An API key, stored as its sha256 so the DB file does not hold usable secrets."""

    __tablename__ = "api_keys"

    key_sha256: Mapped[str] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)


class Membership(Base):
    __tablename__ = "memberships"

    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (
        UniqueConstraint("owner_type", "owner_id", "name", name="uq_projects_owner_name"),
        Index("ix_projects_created", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str]
    title: Mapped[str]
    owner_type: Mapped[str]
    owner_id: Mapped[str]
    # `metadata` is reserved by declarative classes, hence the attribute name.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON)
    is_public: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Grant(Base):
    __tablename__ = "grants"

    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    grantee_type: Mapped[str] = mapped_column(primary_key=True)
    grantee_id: Mapped[str] = mapped_column(primary_key=True)
    role: Mapped[str]


class FileRevision(Base):
    __tablename__ = "file_revisions"
    __table_args__ = (
        Index("ix_revisions_path", "project_id", "path", "id"),
        Index("ix_revisions_head", "project_id", "is_head", "path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    path: Mapped[str]
    version_id: Mapped[str] = mapped_column(unique=True)
    sha256: Mapped[str | None]
    size: Mapped[int]
    created_at: Mapped[datetime]
    author_id: Mapped[str]
    deleted: Mapped[bool] = mapped_column(default=False)
    is_head: Mapped[bool] = mapped_column(default=True)


class Blob(Base):
    """A small file body, by sha256 (content-addressed: written once, never changed)."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(primary_key=True)
    content: Mapped[bytes]


class ReplicaMeta(Base):
    """Key/value facts about the data dir itself, e.g. when it was seeded."""

    __tablename__ = "replica_meta"

    key: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[str]
