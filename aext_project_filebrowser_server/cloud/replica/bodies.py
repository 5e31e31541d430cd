"""Validation of JSON request bodies (project create/update, permissions).

Unknown top-level keys are refused (`400 invalid_request`) rather than ignored, so a client
bug that sends a misspelt or unsupported field shows up against the replica.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .access import ROLES, Role
from .accounts import Directory
from .errors import InvalidRequest

SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")  # real names have `_` (numpy_tutorial)
RANDOM_NAME = "<random>"  # what Anaconda's share extension sends: the server picks a name
MAX_TITLE = 255


@dataclass(frozen=True)
class ProjectCreate:
    name: str
    title: str
    metadata: dict[str, Any]
    owner: tuple[str, str] | None


@dataclass(frozen=True)
class ProjectUpdate:
    title: str | None
    metadata: dict[str, Any] | None


@dataclass(frozen=True)
class PermissionsChange:
    is_public: bool | None
    grantees: list[tuple[str, str]]
    role: Role | None


def _only_keys(body: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidRequest(f"unknown field(s): {', '.join(unknown)}")


def _title(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TITLE:
        raise InvalidRequest(f"title must be a non-empty string of at most {MAX_TITLE} chars")
    return value


def _metadata(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest("metadata must be an object")
    tags = value.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidRequest("metadata.tags must be a list of strings")
    for key in ("description", "user_client"):
        if value.get(key) is not None and not isinstance(value[key], str):
            raise InvalidRequest(f"metadata.{key} must be a string or null")
    if not isinstance(value.get("hidden", False), bool):
        raise InvalidRequest("metadata.hidden must be a boolean")
    return dict(value)


def parse_project_create(body: Mapping[str, Any]) -> ProjectCreate:
    _only_keys(body, {"name", "title", "metadata", "owner"})
    name = body.get("name")
    if name == RANDOM_NAME:
        name = f"project_{secrets.token_hex(6)}"
    if not isinstance(name, str) or not SLUG.fullmatch(name):
        raise InvalidRequest(f"name must be {RANDOM_NAME!r} or a slug: [a-z0-9][a-z0-9_-]{{0,62}}")
    owner = body.get("owner")
    parsed_owner = None
    if owner is not None:
        if (
            not isinstance(owner, dict)
            or owner.get("type") not in ("user", "organization")
            or not isinstance(owner.get("id"), str)
        ):
            raise InvalidRequest('owner must be {"type": "user"|"organization", "id": "..."}')
        parsed_owner = (owner["type"], owner["id"])
    return ProjectCreate(
        name, _title(body.get("title")), _metadata(body.get("metadata", {})), parsed_owner
    )


def parse_project_update(body: Mapping[str, Any]) -> ProjectUpdate:
    _only_keys(body, {"title", "metadata"})
    title = _title(body["title"]) if "title" in body else None
    metadata = _metadata(body["metadata"]) if "metadata" in body else None
    return ProjectUpdate(title, metadata)


def _ids(body: Mapping[str, Any], key: str) -> list[str]:
    ids = body.get(key, [])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InvalidRequest(f"{key} must be a list of ids")
    return ids


def parse_permissions_change(body: Mapping[str, Any], directory: Directory) -> PermissionsChange:
    """`{"is_public"?, "users"?, "organizations"?, "role"?}`; role `"none"` revokes."""
    _only_keys(body, {"is_public", "users", "organizations", "role"})
    is_public = body.get("is_public")
    if is_public is not None and not isinstance(is_public, bool):
        raise InvalidRequest("is_public must be a boolean")
    users, orgs = _ids(body, "users"), _ids(body, "organizations")
    for user_id in users:
        if user_id not in directory.users:
            raise InvalidRequest(f"unknown user {user_id!r}")
    for org_id in orgs:
        if org_id not in directory.org_names:
            raise InvalidRequest(f"unknown organization {org_id!r}")
    grantees = [("user", u) for u in users] + [("organization", o) for o in orgs]
    role = body.get("role")
    if grantees and role not in (*ROLES, "none"):
        raise InvalidRequest('role must be "reader", "writer", "owner" or "none"')
    if not grantees and is_public is None:
        raise InvalidRequest("nothing to change: give is_public and/or users/organizations")
    return PermissionsChange(is_public, grantees, None if role == "none" else role)
