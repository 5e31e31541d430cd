"""Sharing a project: public/private and roles for users and organizations, in the cloud."""

from __future__ import annotations

from ..cloud import client as cloud
from ..cloud.errors import CloudError
from ..context import AppContext
from ..schemas.rest import Grant, PermissionsBody, PermissionsResult
from .errors import cloud_failure
from .projects import cloud_request_failure
from .sync.run import load_project


async def get_permissions(ctx: AppContext, project_id: str) -> PermissionsResult:
    await load_project(ctx, project_id)
    try:
        permissions = await cloud.get_permissions(ctx.cloud, project_id)
    except CloudError as exc:
        raise cloud_failure(exc) from None
    return _permissions(project_id, permissions)


async def set_permissions(
    ctx: AppContext, project_id: str, body: PermissionsBody
) -> PermissionsResult:
    """Make the project public/private and/or give users/organizations a role."""
    await load_project(ctx, project_id)
    try:
        permissions = await cloud.set_permissions(
            ctx.cloud,
            project_id,
            is_public=body.is_public,
            users=list(body.users) if body.users else None,
            organizations=list(body.organizations) if body.organizations else None,
            role=body.role,
        )
    except CloudError as exc:
        raise cloud_request_failure(exc) from None
    ctx.events.project_changed(project_id, "permissions")
    if permissions is None:  # an empty 2xx: done; what it is now is read back when possible
        try:
            permissions = await cloud.get_permissions(ctx.cloud, project_id)
        except CloudError:
            permissions = cloud.CloudPermissions(is_public=bool(body.is_public))
    return _permissions(project_id, permissions)


def _permissions(project_id: str, permissions: cloud.CloudPermissions) -> PermissionsResult:
    return PermissionsResult(
        project_id=project_id,
        is_public=permissions.is_public,
        grants=tuple(Grant(type=g.type, id=g.id, role=g.role) for g in permissions.grants),
    )
