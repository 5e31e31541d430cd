"""`POST notebook_diff`: nbdime's diff of two notebooks, for the panel's Compare view."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..services.errors import ServiceError
from ..services.notebook_diff import notebook_diff
from .base import ApiError, ProjectsAPIHandler

# Two notebooks with outputs; above this the browser could not render the diff anyway.
MAX_BODY_BYTES = 64 * 1024 * 1024


class NotebookDiffHandler(ProjectsAPIHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        raw = self.request.body or b""
        if len(raw) > MAX_BODY_BYTES:
            raise ApiError(413, "body_too_large", f"the body is over {MAX_BODY_BYTES} bytes")
        try:
            self.write_json_body(await notebook_diff(raw))
        except ServiceError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from None


default_handlers = [(r"/aext_project_filebrowser_server/notebook_diff/?", NotebookDiffHandler)]
