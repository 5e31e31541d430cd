"""The Project API's JSON shapes, built from storage records.

Timestamps are ISO 8601 UTC with microseconds and a `Z`. Project `metadata` always has
`tags`, `description`, `user_client` and `hidden` (defaults filled in) plus any other keys a
client stored. A deletion in a version listing reports size 0 and the sha256 of no bytes, so
clients that require a hash still parse it; `deleted: true` is what marks it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

from .accounts import Directory
from .dialect import Dialect, naive_iso
from .file_store import RevisionRecord
from .project_store import Permissions, ProjectRecord

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
METADATA_DEFAULTS: dict[str, Any] = {
    "tags": [],
    "description": None,
    "user_client": None,
    "hidden": False,
}


def iso_z(at: datetime) -> str:
    return at.isoformat(timespec="microseconds") + "Z"


def http_date(at: datetime) -> str:
    return format_datetime(at.replace(tzinfo=timezone.utc), usegmt=True)


def project_json(
    p: ProjectRecord, directory: Directory, dialect: Dialect = "ours"
) -> dict[str, Any]:
    if dialect == "evidence":  # as the seed product stored them (see `dialect`)
        return {
            "id": p.id,
            "name": p.name,
            "title": p.title,
            "created_at": naive_iso(p.created_at),
            "updated_at": naive_iso(p.updated_at),
            "metadata": {"tags": [], "user_client": "unknown", "hidden": False, **p.metadata},
            "owner": {"id": p.owner_id, "type": p.owner_type, "name": None},
        }
    return {
        "id": p.id,
        "name": p.name,
        "title": p.title,
        "created_at": iso_z(p.created_at),
        "updated_at": iso_z(p.updated_at),
        "metadata": {**METADATA_DEFAULTS, **p.metadata},
        "owner": {
            "id": p.owner_id,
            "type": p.owner_type,
            "name": directory.owner_name(p.owner_type, p.owner_id),
        },
    }


def file_json(r: RevisionRecord) -> dict[str, Any]:
    return {
        "path": r.path,
        "size": r.size,
        "sha256": r.sha256,
        "last_modified": iso_z(r.created_at),
        "file_version_id": r.version_id,
    }


def version_json(r: RevisionRecord, directory: Directory) -> dict[str, Any]:
    return {
        "file_version_id": r.version_id,
        "size": r.size,
        "sha256": r.sha256 or EMPTY_SHA256,
        "last_modified": iso_z(r.created_at),
        "author": directory.owner_name("user", r.author_id),
        "deleted": r.deleted,
    }


def permissions_json(p: Permissions) -> dict[str, Any]:
    return {
        "is_public": p.is_public,
        "grants": [{"type": t, "id": i, "role": r} for t, i, r in p.grants],
    }
