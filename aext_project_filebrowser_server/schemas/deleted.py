"""Bodies of the recently-deleted-files routes (`GET projects/{id}/deleted`, restore)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

TrashPath = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class DeletedFile(BaseModel):
    """One deleted file. `source: "trash"`: its bytes are in the project's trash at
    `trash_path` (restore with `POST .../deleted/restore`). `source: "cloud"`: a sync of this
    server deleted it in the cloud; `version` is the revision it removed (restore with
    `POST .../files/{path}/restore`). `size` is null when not known (cloud deletions)."""

    model_config = ConfigDict(frozen=True)

    path: str
    source: Literal["trash", "cloud"]
    deleted_at: datetime
    size: int | None
    trash_path: str | None
    version: str | None


class DeletedFiles(BaseModel):
    """`GET projects/{id}/deleted`: newest first."""

    model_config = ConfigDict(frozen=True)

    project_id: str
    files: tuple[DeletedFile, ...]


class RestoreDeletedBody(BaseModel):
    """`POST projects/{id}/deleted/restore`: a `trash_path` as listed by `GET .../deleted`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trash_path: TrashPath


class RestoreDeletedResult(BaseModel):
    """Where the file is now: `restored_as` equals `path` when the path was free, else it
    is a new name next to it (`data (restored 2026-12-02 01-15).csv`)."""

    model_config = ConfigDict(frozen=True)

    project_id: str
    path: str
    restored_as: str = Field(description="project-relative path of the restored file")
