"""REST handlers for a project's sync history and for resolving conflict copies.

- `GET projects/{id}/history?limit=N`: recorded runs, newest first (default 50, 1-500).
- `GET projects/{id}/conflicts`: unresolved conflict copies with both sides described.
- `POST projects/{id}/conflicts/resolve` `{"path", "keep": "local"|"remote"|"both"}`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import TypeVar

from jupyter_server.auth.decorator import authorized
from pydantic import BaseModel, ValidationError
from tornado import web

from ..schemas.history import ConflictList, ResolveConflictBody
from ..services import conflicts, history
from ..services.errors import ServiceError
from .base import ApiError, ProjectsAPIHandler

PROJECT = r"/aext_project_filebrowser_server/projects/(?P<project_id>[^/]+)"
MAX_BODY_BYTES = 64 * 1024
T = TypeVar("T")


class _HistoryHandler(ProjectsAPIHandler):
    async def run(self, work: Awaitable[T]) -> T:
        try:
            return await work
        except ServiceError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from None

    def send(self, value: BaseModel) -> None:
        self.write_json(value.model_dump(mode="json"))


class HistoryHandler(_HistoryHandler):
    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        raw = self.get_query_argument("limit", None) or str(history.DEFAULT_LIMIT)
        if not re.fullmatch(r"[0-9]{1,6}", raw):
            raise ApiError(400, "invalid_query", f"limit must be 1-{history.MAX_LIMIT}")
        self.send(await self.run(history.project_history(self.context, project_id, int(raw))))


class ConflictsHandler(_HistoryHandler):
    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        details = await self.run(history.conflict_details(self.context, project_id))
        self.write_json(
            ConflictList(project_id=project_id, conflicts=details).model_dump(mode="json")
        )


class ResolveConflictHandler(_HistoryHandler):
    @web.authenticated
    @authorized
    async def post(self, project_id: str) -> None:
        raw = self.request.body or b""
        if len(raw) > MAX_BODY_BYTES:
            raise ApiError(413, "body_too_large", f"the body is over {MAX_BODY_BYTES} bytes")
        try:
            body = ResolveConflictBody.model_validate_json(raw.strip() or b"{}")
        except ValidationError as exc:
            message = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                for e in exc.errors(include_url=False)[:10]
            )
            raise ApiError(400, "invalid_body", message) from None
        result = await self.run(
            conflicts.resolve_conflict(self.context, project_id, body.path, body.keep)
        )
        self.send(result)


default_handlers = [
    (PROJECT + r"/history/?", HistoryHandler),
    (PROJECT + r"/conflicts/?", ConflictsHandler),
    (PROJECT + r"/conflicts/resolve/?", ResolveConflictHandler),
]
