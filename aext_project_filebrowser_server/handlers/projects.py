"""REST handlers for projects: parse and validate, authorize, call a service, serialize.

Every method is `@web.authenticated` then `@authorized`. Service errors become JSON
`{"message", "code"}` with their status; bad bodies, queries, ids and paths are 4xx.
The routes and their bodies are documented by `GET openapi.json` (see `openapi.py`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable
from typing import TypeVar

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from pydantic import BaseModel, ValidationError
from tornado import web

from ..schemas.rest import (
    CreateProjectBody,
    DeleteScope,
    DownloadBody,
    PermissionsBody,
    RestoreBody,
    UpdateProjectBody,
)
from ..services import downloads, file_versions, permissions, project_files, projects
from ..services.errors import ServiceError, service_call
from ..services.sync.plan import Direction
from .base import ApiError, ProjectsAPIHandler

API = r"/aext_project_filebrowser_server"
PROJECT = API + r"/projects/(?P<project_id>[^/]+)"
MAX_BODY_BYTES = 1024 * 1024
MAX_QUERY_CHARS = 200
MAX_SEGMENT_BYTES = 255  # what the cloud (and common file systems) accept per path segment
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no", "")
_SCOPES: dict[str, DeleteScope] = {"local": "local", "cloud": "cloud", "both": "both"}
_DIRECTIONS: dict[str, Direction] = {"push": "push", "pull": "pull", "sync": "sync"}

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False)[:10]:
        where = ".".join(str(part) for part in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts) or "invalid body"


class ProjectsRESTHandler(ProjectsAPIHandler):
    """Parsing helpers shared by the project handlers."""

    def check_etag_header(self) -> bool:
        # Our ETag is the row version; a response also carries live file statuses, so a
        # conditional GET must never turn into a 304.
        return False

    def compute_etag(self) -> str | None:
        # With conditional GETs off, Tornado's default ETag (a SHA-1 of the body) is never
        # used, and hashing the ~0.5 MiB list of 1,000 projects costs ~1 ms per request.
        return None

    async def run(self, work: Awaitable[T]) -> T:
        """Await a service call, turning its errors into JSON API errors."""
        try:
            return await service_call(work)
        except ServiceError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from None

    def project_id(self, raw: str) -> str:
        try:
            return projects.check_project_id(raw)
        except ServiceError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from None

    def file_path(self, raw: str) -> str:
        """Refuse, as 400 `invalid_path`, file names the cloud refuses too (control
        characters, lone surrogates, over-long segments). Found by the schemathesis suite:
        the cloud's own 400 came back through the services as `502 cloud_unavailable`,
        blaming an outage for bad input. The services check the rest (`..`, `/`...)."""
        if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in raw):
            why = "control characters and invalid UTF-8 are not allowed"
            raise ApiError(400, "invalid_path", f"invalid file path {raw[:200]!r}: {why}")
        if any(len(part.encode("utf-8", "replace")) > MAX_SEGMENT_BYTES for part in raw.split("/")):
            why = f"a segment is longer than {MAX_SEGMENT_BYTES} bytes"
            raise ApiError(400, "invalid_path", f"invalid file path {raw[:200]!r}: {why}")
        return raw

    def body(self, model: type[M]) -> M:
        raw = self.request.body or b""
        if len(raw) > MAX_BODY_BYTES:
            raise ApiError(413, "body_too_large", f"the body is over {MAX_BODY_BYTES} bytes")
        try:
            return model.model_validate_json(raw.strip() or b"{}")
        except ValidationError as exc:
            raise ApiError(400, "invalid_body", _validation_message(exc)) from None

    def text_query(self, name: str) -> str | None:
        value = self.get_query_argument(name, None)
        if value is not None and len(value) > MAX_QUERY_CHARS:
            raise ApiError(400, "invalid_query", f"{name} is longer than {MAX_QUERY_CHARS}")
        return value or None

    def flag_query(self, name: str) -> bool:
        value = (self.get_query_argument(name, "") or "").lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ApiError(400, "invalid_query", f"{name} must be true or false")

    def choice_query(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get_query_argument(name, None) or default
        if value not in choices:
            raise ApiError(400, "invalid_query", f"{name} must be one of {', '.join(choices)}")
        return value

    def send(self, value: BaseModel, status: int = 200) -> None:
        self.write_json(value.model_dump(mode="json"), status)

    def send_project_version(self, version: int) -> None:
        self.set_header("ETag", f'"{version}"')


def _if_match_version(header: str | None) -> int:
    if not header:
        raise ApiError(
            428,
            "precondition_required",
            "send If-Match with the project's version (its ETag) to change it",
        )
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip().strip('"')
    if not value.isdigit() or len(value) > 18:
        raise ApiError(412, "version_conflict", f"If-Match {header[:40]!r} names no version")
    return int(value)


class ProjectsHandler(ProjectsRESTHandler):
    """`GET projects` (`refresh`, `tag`, `q`) and `POST projects`."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        refresh = self.flag_query("refresh")
        tag, q = self.text_query("tag"), self.text_query("q")
        listed = projects.list_projects_json(self.context, refresh=refresh, tag=tag, q=q)
        self.write_json_body(await self.run(listed))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body(CreateProjectBody)
        created = await self.run(projects.create_project(self.context, body))
        self.send_project_version(created.version)
        self.set_header(
            "Location",
            url_path_join(self.base_url, "aext_project_filebrowser_server/projects", created.id),
        )
        self.send(created, 201)


class ProjectHandler(ProjectsRESTHandler):
    """`GET`, `PATCH` (If-Match) and `DELETE` (`scope`) of one project."""

    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        pid = self.project_id(project_id)
        detail = await self.run(project_files.project_detail(self.context, pid))
        self.send_project_version(detail.project.version)
        self.send(detail)

    @web.authenticated
    @authorized
    async def patch(self, project_id: str) -> None:
        pid = self.project_id(project_id)
        expected = _if_match_version(self.request.headers.get("If-Match"))
        body = self.body(UpdateProjectBody)
        updated = await self.run(projects.update_project(self.context, pid, expected, body))
        self.send_project_version(updated.version)
        self.send(updated)

    @web.authenticated
    @authorized
    async def delete(self, project_id: str) -> None:
        pid = self.project_id(project_id)
        scope = _SCOPES[self.choice_query("scope", tuple(_SCOPES), "local")]
        self.send(await self.run(projects.delete_project(self.context, pid, scope)))


class FilesHandler(ProjectsRESTHandler):
    """`GET projects/{id}/files`: every file with its sync status."""

    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        pid = self.project_id(project_id)
        self.send(await self.run(project_files.project_files(self.context, pid)))


class PlanHandler(ProjectsRESTHandler):
    """`GET projects/{id}/plan?direction=push|pull|sync[&force=true]`: a dry run."""

    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        pid = self.project_id(project_id)
        direction = _DIRECTIONS[self.choice_query("direction", tuple(_DIRECTIONS), "sync")]
        force = self.flag_query("force")
        plan = await self.run(project_files.plan_project(self.context, pid, direction, force=force))
        self.send(plan)


class FileVersionsHandler(ProjectsRESTHandler):
    """`GET projects/{id}/files/{path}/versions`."""

    @web.authenticated
    @authorized
    async def get(self, project_id: str, path: str) -> None:
        pid = self.project_id(project_id)
        path = self.file_path(path)
        self.send(await self.run(file_versions.file_versions(self.context, pid, path)))


class RestoreHandler(ProjectsRESTHandler):
    """`POST projects/{id}/files/{path}/restore` `{"version"}`."""

    @web.authenticated
    @authorized
    async def post(self, project_id: str, path: str) -> None:
        pid = self.project_id(project_id)
        path = self.file_path(path)
        body = self.body(RestoreBody)
        restored = await self.run(file_versions.restore_file(self.context, pid, path, body.version))
        self.send(restored)


class PermissionsHandler(ProjectsRESTHandler):
    """`GET` and `POST projects/{id}/permissions`."""

    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        pid = self.project_id(project_id)
        self.send(await self.run(permissions.get_permissions(self.context, pid)))

    @web.authenticated
    @authorized
    async def post(self, project_id: str) -> None:
        pid = self.project_id(project_id)
        body = self.body(PermissionsBody)
        self.send(await self.run(permissions.set_permissions(self.context, pid, body)))


class DownloadHandler(ProjectsRESTHandler):
    """`POST projects/{id}/download`: 202 and a job id to follow on the WebSocket."""

    @web.authenticated
    @authorized
    async def post(self, project_id: str) -> None:
        pid = self.project_id(project_id)
        body = self.body(DownloadBody)
        started = await self.run(downloads.start_download(self.context, pid, body.request_id))
        self.send(started, 202)


default_handlers: list[tuple[str, type[web.RequestHandler]]] = [
    (API + r"/projects/?", ProjectsHandler),
    (PROJECT + r"/?", ProjectHandler),
    (PROJECT + r"/files/?", FilesHandler),
    (PROJECT + r"/files/(?P<path>.+)/versions/?", FileVersionsHandler),
    (PROJECT + r"/files/(?P<path>.+)/restore/?", RestoreHandler),
    (PROJECT + r"/plan/?", PlanHandler),
    (PROJECT + r"/permissions/?", PermissionsHandler),
    (PROJECT + r"/download/?", DownloadHandler),
]
