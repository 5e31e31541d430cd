"""Seeding a new data dir from a JSON file of users, organizations, projects and files.

Seeding happens once: the transaction that writes the seed also writes a `seeded_at` row in
`replica_meta`, and a data dir that has it is never seeded again (restarts keep their data).

Format (all keys not marked optional are required)::

    {
      "users": [
        {"id": "u-alice", "name": "alice", "email": "alice@example.com",
         "api_keys": ["demo-alice-key"]}
      ],
      "organizations": [
        {"id": "o-acme", "name": "acme", "members": ["u-alice", "u-bob"]}
      ],
      "projects": [
        {
          "id": "3f0c…",                      (optional uuid; random if absent)
          "name": "sales-forecast",           (slug: [a-z0-9][a-z0-9-]{0,62})
          "title": "Sales forecast",
          "owner": {"type": "user", "id": "u-alice"},   (or "organization")
          "metadata": {"tags": ["demo"], "description": "…"},   (optional)
          "files": {                          (optional; path → content)
            "README.md": "plain text, stored as UTF-8",
            "data/logo.png": {"base64": "iVBORw0…"},
            "analysis.ipynb": {"json": {"nbformat": 4, …}}
          },
          "shares": [{"type": "user", "id": "u-bob", "role": "reader"}],  (optional)
          "is_public": false                  (optional)
        }
      ]
    }

A file's content is a string (UTF-8 text), `{"base64": …}` (bytes) or `{"json": …}` (any
JSON value, written with one-space indent and a final newline, as Jupyter writes notebooks).
Projects are created in list order, one microsecond apart, so listings keep that order;
their files are authored by the owner (for an organization, its first member).
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .access import Role
from .accounts import Principal, key_sha256
from .blobs import INLINE_MAX_BYTES, store_bytes
from .file_store import Conditions, add_revision
from .models import ApiKey, Grant, Membership, Organization, Project, ReplicaMeta, User
from .paths import normalize_path
from .project_store import create_project, driver_connection, utcnow

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
DEFAULT_SEED = Path(__file__).with_name("demo_seed.json")


class SeedError(ValueError):
    """The seed file is malformed or refers to something it does not define."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SeedUser(_Model):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    email: str
    api_keys: list[str] = []


class SeedOrganization(_Model):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    members: list[str] = []


class SeedOwner(_Model):
    type: Literal["user", "organization"]
    id: str


class SeedShare(_Model):
    type: Literal["user", "organization"]
    id: str
    role: Role


class SeedBytes(_Model):
    base64: str


class SeedJson(_Model):
    json_: Any = Field(alias="json")


class SeedProject(_Model):
    id: str | None = None
    name: str = Field(pattern=SLUG_PATTERN)
    title: str
    owner: SeedOwner
    metadata: dict[str, Any] = {}
    files: dict[str, str | SeedBytes | SeedJson] = {}
    shares: list[SeedShare] = []
    is_public: bool = False


class Seed(_Model):
    users: list[SeedUser] = []
    organizations: list[SeedOrganization] = []
    projects: list[SeedProject] = []


def load_seed(path: Path) -> Seed:
    """Read and validate a seed file, including its cross references."""
    try:
        seed = Seed.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as e:
        raise SeedError(f"cannot load seed {path}: {e}") from None
    users = {u.id for u in seed.users}
    orgs = {o.id for o in seed.organizations}
    known = {"user": users, "organization": orgs}
    for org in seed.organizations:
        for member in org.members:
            if member not in users:
                raise SeedError(f"organization {org.id}: unknown member {member!r}")
    for project in seed.projects:
        if project.owner.id not in known[project.owner.type]:
            raise SeedError(f"project {project.name}: unknown owner {project.owner.id!r}")
        for share in project.shares:
            if share.id not in known[share.type]:
                raise SeedError(f"project {project.name}: unknown {share.type} {share.id!r}")
        for file_path in project.files:
            normalize_path(file_path)
    return seed


def file_bytes(content: str | SeedBytes | SeedJson) -> bytes:
    if isinstance(content, str):
        return content.encode("utf-8")
    if isinstance(content, SeedBytes):
        return base64.b64decode(content.base64)
    return (json.dumps(content.json_, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def is_seeded(s: Session) -> bool:
    return s.get(ReplicaMeta, "seeded_at") is not None


def _author(seed: Seed, owner: SeedOwner) -> Principal:
    """Whom the seed's writes are done as: the owner, or an organization's first member."""
    if owner.type == "user":
        return Principal(owner.id, owner.id, "", frozenset())
    org = next(o for o in seed.organizations if o.id == owner.id)
    author = org.members[0] if org.members else "seed"
    return Principal(author, author, "", frozenset({owner.id}))


def apply_seed(s: Session, data_dir: Path, seed: Seed) -> None:
    """Write `seed` into an empty data dir (one transaction; blobs first)."""
    # No ORM relationships, so flush parents before children to satisfy foreign keys.
    s.add_all(User(id=u.id, name=u.name, email=u.email) for u in seed.users)
    s.add_all(Organization(id=o.id, name=o.name) for o in seed.organizations)
    s.flush()
    s.add_all(
        ApiKey(key_sha256=key_sha256(key), user_id=u.id) for u in seed.users for key in u.api_keys
    )
    s.add_all(
        Membership(org_id=o.id, user_id=member) for o in seed.organizations for member in o.members
    )
    s.flush()
    start = utcnow()
    for index, project in enumerate(seed.projects):
        author = _author(seed, project.owner)
        record = create_project(
            s,
            author,
            name=project.name,
            title=project.title,
            metadata=project.metadata,
            owner=(project.owner.type, project.owner.id),
            project_id=project.id,
            created_at=start + timedelta(microseconds=index),
        )
        for raw_path, content in project.files.items():
            body = file_bytes(content)
            inline = len(body) <= INLINE_MAX_BYTES
            add_revision(
                driver_connection(s),
                author,
                record.id,
                normalize_path(raw_path),
                sha256=hashlib.sha256(body).hexdigest() if inline else store_bytes(data_dir, body),
                size=len(body),
                conditions=Conditions(),
                content=body if inline else None,
            )
        for share in project.shares:
            s.add(
                Grant(
                    project_id=record.id,
                    grantee_type=share.type,
                    grantee_id=share.id,
                    role=share.role,
                )
            )
        # Seeded projects look untouched since creation, whatever their files did.
        s.execute(
            update(Project)
            .where(Project.id == record.id)
            .values(is_public=project.is_public, updated_at=record.created_at)
        )
    s.add(ReplicaMeta(key="seeded_at", value=start.isoformat()))


def seed_if_new(s: Session, data_dir: Path, seed_path: Path) -> bool:
    """Apply the seed unless this data dir was already seeded; returns whether it seeded."""
    if is_seeded(s):
        return False
    if s.scalar(select(User.id).limit(1)) is not None:
        raise SeedError("the database has users but no seed marker; refusing to re-seed")
    apply_seed(s, data_dir, load_seed(seed_path))
    return True
