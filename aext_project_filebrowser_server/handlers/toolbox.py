"""REST handlers for adopting Anaconda Toolbox projects (`services/toolbox.py`):
`GET toolbox/projects` and `POST toolbox/projects/{id}/adopt`."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..schemas.toolbox import AdoptBody
from ..services import toolbox
from .projects import API, ProjectsRESTHandler


class ToolboxProjectsHandler(ProjectsRESTHandler):
    """`GET toolbox/projects`: what Toolbox's database holds and what can be adopted."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.send(await self.run(toolbox.list_toolbox_projects(self.context)))


class AdoptHandler(ProjectsRESTHandler):
    """`POST toolbox/projects/{id}/adopt` with `{"move": false}` (the default)."""

    @web.authenticated
    @authorized
    async def post(self, project_id: str) -> None:
        pid = self.project_id(project_id)
        body = self.body(AdoptBody)
        self.send(await self.run(toolbox.adopt_project(self.context, pid, move=body.move)))


default_handlers: list[tuple[str, type[web.RequestHandler]]] = [
    (API + r"/toolbox/projects/?", ToolboxProjectsHandler),
    (API + r"/toolbox/projects/(?P<project_id>[^/]+)/adopt/?", AdoptHandler),
]
