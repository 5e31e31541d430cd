"""The cloud's view of project files: listing entries, revisions and upload results."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: What a file looks like from both sides; see services/sync/status.py for each case.
FileStatus = Literal[
    "synced",
    "modified_local",
    "modified_remote",
    "new_local",
    "new_remote",
    "deleted_local",
    "deleted_remote",
    "conflict",
    "ignored",
]


class CloudFile(BaseModel):
    """One entry of `GET /api/projects/{id}/files`: the current revision of a file."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    path: str = Field(min_length=1)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    last_modified: datetime
    file_version_id: str = Field(min_length=1)


class CloudFileVersion(BaseModel):
    """One revision of a file, from `GET /api/projects/{id}/files/{path}/versions`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    file_version_id: str = Field(min_length=1)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    last_modified: datetime
    author: str | None = None
    deleted: bool = False


class UploadResult(BaseModel):
    """The answer to `PUT /api/projects/{id}/files/{path}`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    url: str
    project_id: str
    name: str
    file_version_id: str = Field(min_length=1)
