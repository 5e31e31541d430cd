"""Project and permission queries, run on the DB thread (see `storage`).

CRUD functions take an ORM `Session` (`Database.run`); the access check, which every file
request runs, takes the plain `sqlite3` connection (`Database.run_sqlite`; the ORM paths pass
their session's own driver connection, see `load_project`). All return frozen values and
raise `ReplicaError`s.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .access import Role, effective_role, require_role
from .accounts import Principal
from .errors import Conflict, Forbidden
from .models import Grant, Project


def utcnow() -> datetime:
    """Naive UTC, as stored."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class ProjectRecord:
    id: str
    name: str
    title: str
    owner_type: str
    owner_id: str
    metadata: Mapping[str, Any]
    is_public: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ProjectPage:
    items: list[ProjectRecord]
    total: int
    has_more: bool


@dataclass(frozen=True)
class Permissions:
    is_public: bool
    grants: list[tuple[str, str, str]]


def _record(p: Project) -> ProjectRecord:
    return ProjectRecord(
        p.id,
        p.name,
        p.title,
        p.owner_type,
        p.owner_id,
        dict(p.meta),
        p.is_public,
        p.created_at,
        p.updated_at,
    )


# One row per grant (or one row with NULL grant columns): the owner, visibility and grants
# of a project in a single statement (plain SQL: every file request runs it).
_PROJECT_ACCESS = """
    SELECT p.owner_type, p.owner_id, p.is_public, g.grantee_type, g.grantee_id, g.role
    FROM projects AS p LEFT JOIN grants AS g ON g.project_id = p.id
    WHERE p.id = ?
"""
_GRANTS = (
    select(Grant.grantee_type, Grant.grantee_id, Grant.role)
    .where(Grant.project_id == bindparam("b_project_id"))
    .order_by(Grant.grantee_type, Grant.grantee_id)
)


def _grants(s: Session, project_id: str) -> list[tuple[str, str, str]]:
    rows = s.connection().execute(_GRANTS, {"b_project_id": project_id})
    return [(t, i, r) for t, i, r in rows]


def _valid_uuid(project_id: str) -> bool:
    try:
        uuid.UUID(project_id)
    except ValueError:
        return False
    return True


def project_role(conn: sqlite3.Connection, principal: Principal, project_id: str) -> Role | None:
    """The caller's role on the project; None if it does not exist or is invisible."""
    if not _valid_uuid(project_id):
        return None
    rows = conn.execute(_PROJECT_ACCESS, (project_id,)).fetchall()
    if not rows:
        return None
    owner_type, owner_id, is_public = rows[0][:3]
    grants = [(t, i, r) for *_, t, i, r in rows if t is not None]
    return effective_role(principal, owner_type, owner_id, bool(is_public), grants)


def require_project_role(
    conn: sqlite3.Connection, principal: Principal, project_id: str, needed: Role
) -> None:
    """`NotFound` if the project is invisible, `Forbidden` if the role is below `needed`."""
    require_role(project_role(conn, principal, project_id), needed)


def driver_connection(s: Session) -> sqlite3.Connection:
    """The session's own `sqlite3` connection, inside the session's transaction."""
    connection = s.connection().connection.driver_connection
    assert isinstance(connection, sqlite3.Connection)
    return connection


def load_project(s: Session, principal: Principal, project_id: str, needed: Role) -> Project:
    """The project row if the caller has at least `needed`; `NotFound`/`Forbidden` otherwise."""
    require_project_role(driver_connection(s), principal, project_id, needed)
    project = s.get(Project, project_id)
    assert project is not None
    return project


def get_project(s: Session, principal: Principal, project_id: str) -> ProjectRecord:
    return _record(load_project(s, principal, project_id, "reader"))


def _granted_to(principal: Principal) -> ColumnElement[bool]:
    orgs = sorted(principal.org_ids)
    return exists().where(
        Grant.project_id == Project.id,
        or_(
            and_(Grant.grantee_type == "user", Grant.grantee_id == principal.user_id),
            and_(Grant.grantee_type == "organization", Grant.grantee_id.in_(orgs)),
        ),
    )


def _owned_by(principal: Principal) -> ColumnElement[bool]:
    orgs = sorted(principal.org_ids)
    return or_(
        and_(Project.owner_type == "user", Project.owner_id == principal.user_id),
        and_(Project.owner_type == "organization", Project.owner_id.in_(orgs)),
    )


def _visible_to(principal: Principal) -> ColumnElement[bool]:
    return or_(_owned_by(principal), Project.is_public.is_(True), _granted_to(principal))


def list_projects(
    s: Session,
    principal: Principal,
    *,
    owner: tuple[str, str] | None,
    tag: str | None,
    name: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
    shared_only: bool = False,
) -> ProjectPage:
    """Visible projects in (created_at, id) order, optionally filtered, after a cursor.
    `shared_only`: only other owners' projects granted to the caller or their orgs."""
    conditions: list[ColumnElement[bool]] = [_visible_to(principal)]
    if shared_only:
        conditions += [_granted_to(principal), ~_owned_by(principal)]
    if owner is not None:
        conditions += [Project.owner_type == owner[0], Project.owner_id == owner[1]]
    if name:
        conditions.append(Project.name == name)
    if tag:
        tags = func.json_each(Project.meta, "$.tags").table_valued("value")
        conditions.append(exists(select(tags.c.value).where(tags.c.value == tag)))
    total = s.scalar(select(func.count()).select_from(Project).where(*conditions)) or 0
    if after is not None:
        at, last_id = after
        conditions.append(
            or_(Project.created_at > at, and_(Project.created_at == at, Project.id > last_id))
        )
    rows = s.scalars(
        select(Project).where(*conditions).order_by(Project.created_at, Project.id).limit(limit + 1)
    ).all()
    return ProjectPage([_record(p) for p in rows[:limit]], total, len(rows) > limit)


def create_project(
    s: Session,
    principal: Principal,
    *,
    name: str,
    title: str,
    metadata: Mapping[str, Any],
    owner: tuple[str, str] | None,
    project_id: str | None = None,
    created_at: datetime | None = None,
) -> ProjectRecord:
    owner_type, owner_id = owner or ("user", principal.user_id)
    if owner_type == "user" and owner_id != principal.user_id:
        raise Forbidden("you can only create projects for yourself or your organizations")
    if owner_type == "organization" and owner_id not in principal.org_ids:
        raise Forbidden("you are not a member of that organization")
    clash = s.scalar(
        select(Project.id).where(
            Project.owner_type == owner_type, Project.owner_id == owner_id, Project.name == name
        )
    )
    if clash is not None:
        raise Conflict(f"a project named {name!r} already exists for this owner")
    now = created_at or utcnow()
    project = Project(
        id=project_id or str(uuid.uuid4()),
        name=name,
        title=title,
        owner_type=owner_type,
        owner_id=owner_id,
        meta=dict(metadata),
        is_public=False,
        created_at=now,
        updated_at=now,
    )
    s.add(project)
    try:
        s.flush()
    except IntegrityError:
        raise Conflict(f"a project named {name!r} or with that id already exists") from None
    return _record(project)


def update_project(
    s: Session,
    principal: Principal,
    project_id: str,
    *,
    title: str | None,
    metadata: Mapping[str, Any] | None,
) -> ProjectRecord:
    """Change the title and/or merge metadata keys (a shallow merge; new values win)."""
    project = load_project(s, principal, project_id, "writer")
    if title is not None:
        project.title = title
    if metadata is not None:
        project.meta = {**project.meta, **metadata}
    project.updated_at = utcnow()
    s.flush()
    return _record(project)


def delete_project(s: Session, principal: Principal, project_id: str) -> None:
    project = load_project(s, principal, project_id, "owner")
    s.delete(project)


def get_permissions(s: Session, principal: Principal, project_id: str) -> Permissions:
    project = load_project(s, principal, project_id, "reader")
    return Permissions(project.is_public, _grants(s, project_id))


def set_permissions(
    s: Session,
    principal: Principal,
    project_id: str,
    *,
    is_public: bool | None,
    grantees: list[tuple[str, str]],
    role: Role | None,
) -> Permissions:
    """Set visibility and/or give `grantees` `role` (replacing theirs); `role=None` revokes."""
    project = load_project(s, principal, project_id, "owner")
    if is_public is not None:
        project.is_public = is_public
    for grantee_type, grantee_id in grantees:
        s.execute(
            delete(Grant).where(
                Grant.project_id == project_id,
                Grant.grantee_type == grantee_type,
                Grant.grantee_id == grantee_id,
            )
        )
        if role is not None:
            s.add(
                Grant(
                    project_id=project_id,
                    grantee_type=grantee_type,
                    grantee_id=grantee_id,
                    role=role,
                )
            )
    project.updated_at = utcnow()
    s.flush()
    return Permissions(project.is_public, _grants(s, project_id))
