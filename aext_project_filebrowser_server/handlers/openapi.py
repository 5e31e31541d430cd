"""`GET openapi.json`: the OpenAPI 3.1 document of the REST API, built from the route table
below and the pydantic models of `schemas/rest.py` (never hand-written JSON).

A route added to the handlers must be added to `ROUTES`: the tests check both ways, and
check every documented operation refuses unauthenticated requests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from tornado import web

from .._version import __version__
from ..schemas.auto_sync import AutoSyncBody, AutoSyncState
from ..schemas.deleted import DeletedFiles, RestoreDeletedBody, RestoreDeletedResult
from ..schemas.history import ConflictList, ProjectHistory, ResolveConflictBody, ResolveResult
from ..schemas.projects import LocalProject
from ..schemas.rest import (
    AccountInfo,
    CreateProjectBody,
    DeleteResult,
    DownloadBody,
    DownloadStarted,
    ErrorBody,
    FileVersions,
    PermissionsBody,
    PermissionsResult,
    PlanResult,
    ProjectDetail,
    ProjectFiles,
    ProjectList,
    RestoreBody,
    RestoreResult,
    UpdateProjectBody,
)
from ..schemas.toolbox import AdoptBody, AdoptResult, ToolboxProjects
from .base import ProjectsAPIHandler

EXTENSION_PATH = "aext_project_filebrowser_server"
Method = Literal["get", "post", "put", "patch", "delete"]


@dataclass(frozen=True)
class Param:
    name: str
    location: Literal["query", "header"]
    description: str
    schema: dict[str, Any]
    required: bool = False


@dataclass(frozen=True)
class Route:
    method: Method
    path: str  # relative to the extension's URL, OpenAPI template syntax
    summary: str
    response: type[BaseModel] | None  # None: a free-form JSON object
    status: int = 200
    body: type[BaseModel] | None = None
    params: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()
    raw: str | None = None  # the answer is bytes of this media type, not JSON


_BOOL = {"type": "boolean", "default": False}
REFRESH = Param("refresh", "query", "Reconcile with the cloud's project list first.", _BOOL)
TAG = Param("tag", "query", "Only projects with this tag.", {"type": "string", "maxLength": 200})
Q = Param("q", "query", "Title or name substring.", {"type": "string", "maxLength": 200})
IF_MATCH = Param(
    "If-Match", "header", "The project's version (its ETag).", {"type": "string"}, required=True
)
SCOPE = Param(
    "scope",
    "query",
    "local: forget here, folder to the trash; cloud: delete the cloud project; both.",
    {"enum": ["local", "cloud", "both"], "default": "local"},
)
DIRECTION = Param(
    "direction",
    "query",
    "Which sync to plan.",
    {"enum": ["push", "pull", "sync"], "default": "sync"},
)
LIMIT = Param("limit", "query", "How many runs.", {"type": "integer", "minimum": 1})
DELETED_LIMIT = Param(
    "limit",
    "query",
    "How many files (default 100).",
    {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
)
FORCE = Param("force", "query", "Plan as if forced past the forceable safety gates.", _BOOL)

_CLOUD = (401, 403, 502)
_STORE = (503,)
P = "/projects/{project_id}"

ROUTES: tuple[Route, ...] = (
    Route("get", "/health", "Extension health: version, store, migration, cloud URL.", None),
    Route(
        "get",
        "/account",
        "The cloud user behind the configured API key (401 `not_logged_in` without one).",
        AccountInfo,
        errors=_CLOUD,
    ),
    Route(
        "get",
        "/projects",
        "The user's projects with sync summaries; `refresh` reconciles with the cloud.",
        ProjectList,
        params=(REFRESH, TAG, Q),
        errors=(400, *_STORE),
    ),
    Route(
        "post",
        "/projects",
        "Create a project: cloud project, local folder and store row, all or nothing.",
        LocalProject,
        201,
        CreateProjectBody,
        errors=(400, 413, *_CLOUD, *_STORE),
    ),
    Route("get", P, "One project with its files' statuses.", ProjectDetail, errors=(404, 503)),
    Route(
        "patch",
        P,
        "Change title, description or tags (cloud first, then the store).",
        LocalProject,
        body=UpdateProjectBody,
        params=(IF_MATCH,),
        errors=(400, 404, 412, 413, 428, *_CLOUD, *_STORE),
    ),
    Route(
        "delete",
        P,
        "Delete locally (folder to the trash), in the cloud, or both.",
        DeleteResult,
        params=(SCOPE,),
        errors=(400, 404, 409, *_CLOUD, *_STORE),
    ),
    Route("get", P + "/files", "Per-file sync statuses.", ProjectFiles, errors=(404, 503)),
    Route(
        "get",
        P + "/plan",
        "Dry run of a push, pull or sync: operations, skipped paths, safety gate.",
        PlanResult,
        params=(DIRECTION, FORCE),
        errors=(400, 404, 409, *_CLOUD, *_STORE),
    ),
    Route(
        "get",
        P + "/files/{path}/versions",
        "The cloud revisions of one file, newest first.",
        FileVersions,
        errors=(400, 404, *_CLOUD, *_STORE),
    ),
    Route(
        "post",
        P + "/files/{path}/restore",
        "Bring a revision back as the local file (unsynced content kept as a conflict copy).",
        RestoreResult,
        body=RestoreBody,
        errors=(400, 404, 409, 413, *_CLOUD, *_STORE),
    ),
    Route(
        "get",
        P + "/files/{path}/versions/{version}/content",
        "The raw bytes of one cloud revision, read-only (at most 50 MiB: 413 `too_large`).",
        None,
        errors=(400, 404, 413, *_CLOUD, *_STORE),
        raw="application/octet-stream",
    ),
    Route(
        "get",
        P + "/deleted",
        "Recently deleted files, newest first: the project trash and this server's cloud "
        "deletes (`limit` 1-1000, default 100).",
        DeletedFiles,
        params=(DELETED_LIMIT,),
        errors=(400, 404, *_STORE),
    ),
    Route(
        "post",
        P + "/deleted/restore",
        "Move a trash file back to its path, or next to it under a new name if taken.",
        RestoreDeletedResult,
        body=RestoreDeletedBody,
        errors=(400, 404, 409, 413, *_STORE),
    ),
    Route(
        "get",
        P + "/permissions",
        "Whether the project is public, and who it is shared with.",
        PermissionsResult,
        errors=(404, *_CLOUD, *_STORE),
    ),
    Route(
        "post",
        P + "/permissions",
        "Make public/private; share with users or organizations with a role.",
        PermissionsResult,
        body=PermissionsBody,
        errors=(400, 404, 413, *_CLOUD, *_STORE),
    ),
    Route(
        "post",
        P + "/download",
        "First download into a new local folder, as a background job (202 + job id).",
        DownloadStarted,
        202,
        DownloadBody,
        errors=(400, 404, 409, 413, *_CLOUD, *_STORE),
    ),
    Route(
        "get",
        P + "/history",
        "Recorded sync runs, newest first (`limit` 1-500, default 50).",
        ProjectHistory,
        params=(LIMIT,),
        errors=(400, 404, *_STORE),
    ),
    Route(
        "get",
        P + "/conflicts",
        "Unresolved conflict copies with both sides described.",
        ConflictList,
        errors=(404, *_STORE),
    ),
    Route(
        "post",
        P + "/conflicts/resolve",
        "Resolve a conflict copy: keep the local edit, the cloud's version, or both.",
        ResolveResult,
        body=ResolveConflictBody,
        errors=(400, 404, 409, 413, *_CLOUD, *_STORE),
    ),
    Route(
        "post",
        "/notebook_diff",
        "nbdime's diff of two notebooks: `{base, remote}` in, `{base, diff}` out (Compare).",
        None,
        errors=(400, 413),
    ),
    Route(
        "put",
        P + "/auto_sync",
        "Set the project's auto-sync mode (off, on_save, interval); this clears a pause.",
        AutoSyncState,
        body=AutoSyncBody,
        errors=(400, 404, 409, 413, *_STORE),
    ),
    Route(
        "get",
        "/toolbox/projects",
        "Projects Anaconda Toolbox left under Jupyter's root, and whether each can be adopted.",
        ToolboxProjects,
        errors=_STORE,
    ),
    Route(
        "post",
        "/toolbox/projects/{project_id}/adopt",
        "Adopt a Toolbox project: its folder stays (or moves with `move`), its row comes "
        "from the stored JSON, reconciled with the cloud; nothing is transferred.",
        AdoptResult,
        body=AdoptBody,
        errors=(400, 404, 409, 413, *_CLOUD, *_STORE),
    ),
    Route("get", "/openapi.json", "This document.", None),
)

_DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    202: "Accepted: the job runs in the background",
    400: "Invalid body, query or path (`invalid_body`, `invalid_query`, `invalid_path`)",
    401: "The cloud did not accept the API key (`auth_required_cloud`)",
    403: "Not authenticated or not authorized here, or refused by the cloud (`forbidden`)",
    404: "Unknown or malformed project id, file or version (`not_found`)",
    409: "State conflict (`sync_in_progress`, `not_downloaded`, `already_downloaded`...)",
    412: "The project changed since it was read (`version_conflict`)",
    413: "The body is over 1 MiB (`body_too_large`), or the revision over 50 MiB (`too_large`)",
    428: "If-Match is required (`precondition_required`)",
    502: "The cloud is unavailable, refused the request or sent an answer that cannot be trusted "
    "(`cloud_unavailable`, `cloud_rejected`, `invalid_cloud_response`)",
    503: "The local store or folder is unavailable (`store_unavailable`...)",
}


def _models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    found: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(ErrorBody, "serialization"): None}
    for route in ROUTES:
        if route.body is not None:
            found[(route.body, "validation")] = None
        if route.response is not None:
            found[(route.response, "serialization")] = None
    return list(found)


def _path_params(path: str) -> list[dict[str, Any]]:
    described = {
        "project_id": "The cloud project id (a uuid).",
        "path": "A file path relative to the project folder; `/` separates folders.",
        "version": "A revision's `file_version_id`, as listed by `.../versions`.",
    }
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": described.get(name, ""),
            "schema": {"type": "string"},
        }
        for name in re.findall(r"\{(\w+)\}", path)
    ]


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation(route: Route, refs: Mapping[Any, dict[str, Any]]) -> dict[str, Any]:
    ok_schema = refs[(route.response, "serialization")] if route.response else {"type": "object"}
    ok_content = _content(ok_schema)
    if route.raw is not None:
        ok_content = {route.raw: {"schema": {"type": "string", "format": "binary"}}}
    responses: dict[str, Any] = {
        str(route.status): {"description": _DESCRIPTIONS[route.status], "content": ok_content}
    }
    error_schema = refs[(ErrorBody, "serialization")]
    for status in sorted({403, *route.errors}):
        responses[str(status)] = {
            "description": _DESCRIPTIONS[status],
            "content": _content(error_schema),
        }
    operation: dict[str, Any] = {
        "operationId": route.method + re.sub(r"\W+", "_", route.path).rstrip("_"),
        "summary": route.summary,
        "parameters": [
            *_path_params(route.path),
            *(
                {
                    "name": p.name,
                    "in": p.location,
                    "required": p.required,
                    "description": p.description,
                    "schema": p.schema,
                }
                for p in route.params
            ),
        ],
        "responses": responses,
    }
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": _content(refs[(route.body, "validation")]),
        }
    return operation


def openapi_document(server_url: str = "/" + EXTENSION_PATH) -> dict[str, Any]:
    """The OpenAPI 3.1 document; `server_url` is where the extension's routes start."""
    refs, top = models_json_schema(_models(), ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Project file browser REST API",
            "version": __version__,
            "description": "Projects kept in a Jupyter folder and in the cloud Project API. "
            'Errors are `{"message", "code"}`.',
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {
                "jupyterToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`token <jupyter server token>` (or the session cookie)",
                }
            },
        },
        "security": [{"jupyterToken": []}],
    }


class OpenAPIHandler(ProjectsAPIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(openapi_document(url_path_join(self.base_url, EXTENSION_PATH)))


default_handlers = [(r"/" + EXTENSION_PATH + r"/openapi\.json", OpenAPIHandler)]
