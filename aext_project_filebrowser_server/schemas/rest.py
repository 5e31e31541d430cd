"""Request and response bodies of the projects REST API.

Request bodies refuse unknown fields (`extra="forbid"`), so a misspelt field is a 400, not
a silent no-op. Responses are the values the services return; `handlers/openapi.py` builds
the OpenAPI document from these models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .auto_sync import OPTIONAL, AutoSyncBody
from .files import CloudFileVersion, FileStatus
from .history import ConflictDetail
from .projects import LocalProject

MAX_TITLE = 255  # what the Project API accepts
MAX_DESCRIPTION = 10_000
MAX_TAGS = 50

Title = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE, pattern=r"\S")]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"\S")]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=255)]
CloudStatus = Literal["ok", "unreachable", "not_configured", "auth_required", "not_checked"]
FilesCloudStatus = Literal[
    "ok", "unreachable", "not_configured", "auth_required", "forbidden", "not_found"
]
DeleteScope = Literal["local", "cloud", "both"]
Role = Literal["reader", "writer", "owner", "none"]

_REQUEST = ConfigDict(frozen=True, extra="forbid")
_RESPONSE = ConfigDict(frozen=True)


# --- requests ------------------------------------------------------------------------------


class CreateProjectBody(BaseModel):
    """`POST projects`. `owner`: the id of an organization the user belongs to;
    `auto_sync`: the new project's auto-sync mode (default `off`)."""

    model_config = _REQUEST

    title: Title
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    tags: tuple[Tag, ...] = Field(default=(), max_length=MAX_TAGS)
    owner: Identifier | None = None
    auto_sync: AutoSyncBody | None = Field(default=None, **OPTIONAL)


class UpdateProjectBody(BaseModel):
    """`PATCH projects/{id}`: any of title, description (null clears it) and tags."""

    model_config = _REQUEST

    title: Title | None = None
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    tags: tuple[Tag, ...] | None = Field(default=None, max_length=MAX_TAGS)

    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateProjectBody:
        if not self.model_fields_set:
            raise ValueError("nothing to change: give title, description and/or tags")
        if "title" in self.model_fields_set and self.title is None:
            raise ValueError("title cannot be null")
        if "tags" in self.model_fields_set and self.tags is None:
            raise ValueError("tags cannot be null; send [] to remove every tag")
        return self


class RestoreBody(BaseModel):
    """`POST projects/{id}/files/{path}/restore`: the cloud revision to bring back."""

    model_config = _REQUEST

    version: Identifier


class PermissionsBody(BaseModel):
    """`POST projects/{id}/permissions`: public flag and/or a role for users/organizations.

    `role: "none"` revokes the grants of the listed users and organizations.
    """

    model_config = _REQUEST

    is_public: bool | None = None
    users: tuple[Identifier, ...] = Field(default=(), max_length=100)
    organizations: tuple[Identifier, ...] = Field(default=(), max_length=100)
    role: Role | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PermissionsBody:
        grantees = bool(self.users or self.organizations)
        if not grantees and self.is_public is None:
            raise ValueError("nothing to change: give is_public and/or users/organizations")
        if grantees and self.role is None:
            raise ValueError("role is required with users/organizations")
        if self.role is not None and not grantees:
            raise ValueError("role needs users and/or organizations")
        return self


class DownloadBody(BaseModel):
    """`POST projects/{id}/download`; `request_id` lets a tab follow the job on the WebSocket."""

    model_config = _REQUEST

    request_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None


# --- responses -----------------------------------------------------------------------------


class ErrorBody(BaseModel):
    """Every error: a human message and a stable machine code."""

    model_config = _RESPONSE

    message: str
    code: str


class ProjectList(BaseModel):
    """`GET projects`. `cloud_status` is `not_checked` unless `refresh=true` was asked."""

    model_config = _RESPONSE

    projects: tuple[LocalProject, ...]
    cloud_status: CloudStatus


class FileEntry(BaseModel):
    """One file of a project. `status` is None when the cloud could not be listed.

    `size`/`sha256` describe the local file when there is one, else the cloud's. `path` is
    the NFC form of the name (the cloud's); a name with bytes that are not UTF-8 shows them
    as `\\xNN`. `reason` says why an `unsyncable` file is left alone.
    """

    model_config = _RESPONSE

    path: str
    status: FileStatus | None
    reason: str | None = None
    size: int | None = None
    sha256: str | None = None
    local_size: int | None = None
    local_sha256: str | None = None
    remote_size: int | None = None
    remote_sha256: str | None = None
    remote_version: str | None = None
    remote_last_modified: datetime | None = None
    base_version: str | None = None


class ProjectFiles(BaseModel):
    """`GET projects/{id}/files`."""

    model_config = _RESPONSE

    project_id: str
    cloud_status: FilesCloudStatus
    files: tuple[FileEntry, ...]
    conflicts: tuple[ConflictDetail, ...] = ()


class ProjectDetail(BaseModel):
    """`GET projects/{id}`: the project and its files."""

    model_config = _RESPONSE

    project: LocalProject
    cloud_status: FilesCloudStatus
    files: tuple[FileEntry, ...]


class DeleteResult(BaseModel):
    """`DELETE projects/{id}`: what was done; `trash_path` is where the folder went."""

    model_config = _RESPONSE

    project_id: str
    scope: DeleteScope
    forgotten_locally: bool
    deleted_in_cloud: bool
    trash_path: str | None


class PlanOperation(BaseModel):
    model_config = _RESPONSE

    kind: str
    path: str
    reason: str
    size: int | None = None
    copy_path: str | None = None


class PlanSkipped(BaseModel):
    model_config = _RESPONSE

    path: str
    reason: str


class PlanGate(BaseModel):
    """A safety gate the sync would trip; `forceable` ones pass with `force=true`."""

    model_config = _RESPONSE

    code: str
    message: str
    forceable: bool


class PlanResult(BaseModel):
    """`GET projects/{id}/plan`: a dry run. Nothing was changed."""

    model_config = _RESPONSE

    project_id: str
    direction: Literal["push", "pull", "sync"]
    operations: tuple[PlanOperation, ...]
    skipped: tuple[PlanSkipped, ...]
    gate: PlanGate | None
    counts: dict[str, int]
    upload_bytes: int
    download_bytes: int


class FileVersions(BaseModel):
    """`GET projects/{id}/files/{path}/versions`: newest first."""

    model_config = _RESPONSE

    project_id: str
    path: str
    versions: tuple[CloudFileVersion, ...]


class RestoreResult(BaseModel):
    """`POST .../restore`. `conflict_copy`: where unsynced local content was kept, if any."""

    model_config = _RESPONSE

    project_id: str
    path: str
    version: str
    sha256: str
    size: int
    conflict_copy: str | None


class Grant(BaseModel):
    model_config = _RESPONSE

    type: str
    id: str
    role: str


class PermissionsResult(BaseModel):
    """The project's permissions in the cloud after the change."""

    model_config = _RESPONSE

    project_id: str
    is_public: bool
    grants: tuple[Grant, ...]


class AccountInfo(BaseModel):
    """`GET account`: the cloud user the API key belongs to."""

    model_config = _RESPONSE

    id: str
    name: str
    email: str | None = None
    organizations: tuple[str, ...] = ()


class DownloadStarted(BaseModel):
    """`POST projects/{id}/download`: 202; follow `job_id` on the WebSocket."""

    model_config = _RESPONSE

    job_id: str
    project: LocalProject
