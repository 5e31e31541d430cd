"""Who the user is, which organizations they belong to, sharing, and the service's health.

The account shape is firm evidence (anaconda-auth's live tests): `GET /api/account` →
`{"user": {"id", "email", "username", "first_name", "last_name"}, ...}` with no `name`; the
organizations come from `GET /api/organizations/my` → `[{"id", "name", "title"}]`.
Permissions beyond `is_public` are our design's guess, and nobody uses the answer to a
change, so an empty 2xx to one is success.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel

from .answers import parse_model
from .errors import NotFound
from .sending import Replay, json_request, retrying, send_once
from .session import NO_RETRY, CloudClient, project_url, projects_url


class CloudUser(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1)
    email: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    @property
    def display_name(self) -> str | None:
        """First and last name, else the username, else the email: what conflict copies
        and the panel call the user."""
        full = " ".join(p.strip() for p in (self.first_name, self.last_name) if p and p.strip())
        return full or (self.username or "").strip() or (self.email or "").strip() or None


class CloudOrganization(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1)
    name: str | None = None
    title: str | None = None


class _Organizations(RootModel[list[CloudOrganization]]):
    model_config = ConfigDict(frozen=True)


class CloudAccount(BaseModel):
    """`GET /api/account`: who the credential belongs to (organizations: see
    `list_my_organizations`)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    user: CloudUser


class PermissionGrant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    type: str = Field(min_length=1)  # "user" | "organization"
    id: str = Field(min_length=1)
    role: str = Field(min_length=1)


class CloudPermissions(BaseModel):
    """`GET/POST /api/projects/{id}/permissions`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    is_public: bool = False
    grants: tuple[PermissionGrant, ...] = ()


async def healthz(client: CloudClient) -> bool:
    """True when `GET /api/projects/healthz` (no auth, no retries) answers any 2xx: the
    evidence shows the status only, never the body."""

    async def once() -> bool:
        await send_once(client, "GET", projects_url(client, "healthz"), auth=False)
        return True

    return await retrying(client, Replay.ALWAYS, once, policy=NO_RETRY)


async def get_account(client: CloudClient) -> CloudAccount:
    """The user the credential belongs to."""
    return await json_request(
        client, "GET", f"{client.base_url}/api/account", CloudAccount, not_found=NotFound
    )


async def list_my_organizations(client: CloudClient) -> list[CloudOrganization]:
    """The organizations the user belongs to."""
    orgs = await json_request(
        client,
        "GET",
        f"{client.base_url}/api/organizations/my",
        _Organizations,
        not_found=NotFound,
    )
    return list(orgs.root)


async def get_permissions(client: CloudClient, project_id: str) -> CloudPermissions:
    return await json_request(
        client, "GET", project_url(client, project_id, "permissions"), CloudPermissions
    )


async def set_permissions(
    client: CloudClient,
    project_id: str,
    *,
    is_public: bool | None = None,
    users: list[str] | None = None,
    organizations: list[str] | None = None,
    role: str | None = None,
) -> CloudPermissions | None:
    """Make a project public/private and/or set the role of users / organizations (ids) to
    `role` (`role=None` with grantees revokes their grants). These are absolute settings,
    so the POST is retried as idempotent. None when the cloud accepted the change with an
    empty answer (the only public caller ignores the answer)."""
    body: dict[str, Any] = {}
    if is_public is not None:
        body["is_public"] = is_public
    if users is not None:
        body["users"] = list(users)
    if organizations is not None:
        body["organizations"] = list(organizations)
    if role is not None:
        body["role"] = role
    url = project_url(client, project_id, "permissions")

    async def once() -> CloudPermissions | None:
        resp = await send_once(client, "POST", url, json_body=body)
        if not resp.content.strip():
            return None
        return parse_model(client, resp, CloudPermissions)

    return await retrying(client, Replay.ALWAYS, once)
