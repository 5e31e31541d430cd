"""GET health: version, store location and migration state, cloud URL."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .._version import __version__
from ..services import history
from ..store.engine import sqlite_path
from .base import ProjectsAPIHandler


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
            }
        )


default_handlers = [(r"/aext_project_filebrowser_server/health/?", HealthHandler)]
