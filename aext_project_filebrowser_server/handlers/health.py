"""GET health: version, store location and migration state, cloud URL and reachability."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..services.health import health_report
from .base import ProjectsAPIHandler


class HealthHandler(ProjectsAPIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(await health_report(self.context))


default_handlers = [(r"/aext_project_filebrowser_server/health/?", HealthHandler)]
