"""Who the cloud says the configured API key belongs to, for the panel's connection line."""

from __future__ import annotations

import asyncio

from ..cloud import client as cloud
from ..cloud.errors import CloudError
from ..context import AppContext
from ..schemas.rest import AccountInfo
from .errors import ServiceError, cloud_failure

ACCOUNT_TIMEOUT_S = 5.0


async def current_account(ctx: AppContext) -> AccountInfo:
    """The signed-in user's display name (first + last name, else username, else email)
    and organizations (`GET /api/organizations/my`: the account has none).

    Raises `not_logged_in` (401) when no key is configured, and the cloud failure codes of
    every route (`auth_required_cloud`, `cloud_unavailable`, ...) when the cloud says no.
    """
    if not ctx.settings.cloud_configured:
        raise ServiceError(401, "not_logged_in", "no cloud API key is configured")
    try:
        account, orgs = await asyncio.wait_for(
            asyncio.gather(cloud.get_account(ctx.cloud), cloud.list_my_organizations(ctx.cloud)),
            ACCOUNT_TIMEOUT_S,
        )
    except asyncio.TimeoutError:
        why = f"the cloud did not answer within {ACCOUNT_TIMEOUT_S:g} s"
        raise ServiceError(502, "cloud_unavailable", why) from None
    except CloudError as exc:
        raise cloud_failure(exc) from None
    user = account.user
    return AccountInfo(
        id=user.id,
        name=user.display_name or user.id,
        email=user.email,
        organizations=tuple(o.name or o.id for o in orgs),
    )
