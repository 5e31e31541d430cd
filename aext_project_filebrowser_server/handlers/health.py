"""GET health: version, store location and migration state, cloud URL and reachability."""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .._version import __version__
from ..cloud import client as cloud
from ..context import AppContext
from ..services import history
from ..store.engine import sqlite_path
from .base import ProjectsAPIHandler

CLOUD_CHECK_TIMEOUT_S = 3.0


async def _cloud_state(context: AppContext) -> dict[str, Any]:
    """Whether the cloud answers its unauthenticated `healthz` (bounded; never raises).

    Without it an unreachable cloud did not show in health at all (found by the start-up
    resilience suite). Only checked once an API key is configured: without one the cloud
    is not used, and the default URL may not be reachable from where tests run.
    """
    if not context.settings.cloud_configured:
        return {"reachable": None, "error": None}
    try:
        ok = await asyncio.wait_for(cloud.healthz(context.cloud), CLOUD_CHECK_TIMEOUT_S)
    except asyncio.TimeoutError:
        return {"reachable": False, "error": f"no answer within {CLOUD_CHECK_TIMEOUT_S:g} s"}
    except Exception as exc:  # any failure is the answer here, not a reason for a 500
        return {"reachable": False, "error": str(exc)[:300] or type(exc).__name__}
    return {"reachable": ok, "error": None if ok else "the cloud's healthz did not say ok"}


class HealthHandler(ProjectsAPIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        context = self.context
        migration = context.migration
        db_path = sqlite_path(context.settings.db_url)
        ok = migration.outcome != "failed" and context.db is not None
        self.write_json(
            {
                "status": "ok" if ok else "degraded",
                "version": __version__,
                "db_path": str(db_path) if db_path else ":memory:",
                "db_revision": migration.current,
                "head_revision": migration.head,
                "migration": {
                    "outcome": migration.outcome,
                    "error": migration.error,
                    "backup_path": migration.backup_path,
                    "set_aside_path": migration.set_aside_path,
                },
                "projects_needing_attention": (
                    await history.count_needing_attention(context) if context.db else None
                ),
                "cloud_url": context.settings.cloud_url,
                "cloud_configured": context.settings.cloud_configured,
                "cloud": await _cloud_state(context),
            }
        )


default_handlers = [(r"/aext_project_filebrowser_server/health/?", HealthHandler)]
