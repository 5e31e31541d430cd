"""The replica's Tornado application: the route table of the Project API.

Routes (a trailing slash is accepted everywhere):

    GET                 /api/projects/healthz                 no auth, never faulted
    GET                 /api/account                          the caller
    GET                 /api/organizations/my                 the caller's organizations
    GET, POST           /api/projects                         list / create
    GET                 /api/projects/shared-with-me          shared with the caller (ours)
    GET, PATCH, DELETE  /api/projects/{id}
    GET, POST           /api/projects/{id}/permissions
    GET                 /api/projects/{id}/files              current files
    GET, HEAD, PUT, DELETE /api/projects/{id}/files/{path}    (GET …/{path}/versions too)
    GET, PUT            /_replica/faults                      admin token only
    GET, HEAD           /_storage/{token}                     evidence dialect: presigned

Handlers live in `project_handlers`, `file_handlers` and `admin_handlers`; shared plumbing
(faults, auth, JSON errors) in `base`.
"""

from __future__ import annotations

from tornado import web

from .admin_handlers import FaultsAdminHandler
from .base import NoRouteHandler, ReplicaState
from .file_handlers import FileHandler, FileListHandler
from .project_handlers import (
    AccountHandler,
    HealthHandler,
    MyOrganizationsHandler,
    PermissionsHandler,
    ProjectHandler,
    ProjectsHandler,
    SharedProjectsHandler,
)
from .storage_handlers import StorageHandler

PROJECT = r"/api/projects/([^/]+)"


def make_app(state: ReplicaState) -> web.Application:
    args = {"state": state}
    routes: list[tuple[str, type[web.RequestHandler], dict[str, ReplicaState]]] = [
        (r"/api/projects/healthz/?", HealthHandler, args),
        (r"/api/account/?", AccountHandler, args),
        (r"/api/organizations/my/?", MyOrganizationsHandler, args),
        (r"/api/projects/?", ProjectsHandler, args),
        (r"/api/projects/shared-with-me/?", SharedProjectsHandler, args),
        (PROJECT + r"/?", ProjectHandler, args),
        (PROJECT + r"/permissions/?", PermissionsHandler, args),
        (PROJECT + r"/files/?", FileListHandler, args),
        (PROJECT + r"/files/(.+)", FileHandler, args),
        (r"/_replica/faults/?", FaultsAdminHandler, args),
        (r"/_storage/([^/]+)", StorageHandler, args),
    ]
    return web.Application(
        routes,
        default_handler_class=NoRouteHandler,
        default_handler_args=args,
        compress_response=False,
        serve_traceback=False,
    )
