"""`PUT projects/{id}/auto_sync`: a project's auto-sync mode (the scheduler applies it)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..schemas.auto_sync import AutoSyncBody
from ..services import auto_sync
from .projects import PROJECT, ProjectsRESTHandler


class AutoSyncHandler(ProjectsRESTHandler):
    """Set `off`, `on_save` or `interval` (+ `interval_minutes`); setting it clears a pause."""

    @web.authenticated
    @authorized
    async def put(self, project_id: str) -> None:
        pid = self.project_id(project_id)
        body = self.body(AutoSyncBody)
        self.send(await self.run(auto_sync.set_auto_sync(self.context, pid, body)))


default_handlers: list[tuple[str, type[web.RequestHandler]]] = [
    (PROJECT + r"/auto_sync/?", AutoSyncHandler),
]
