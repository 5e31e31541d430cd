"""Sync history, conflicts and their resolution, as the REST API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

Keep = Literal["local", "remote", "both"]


class HistoryConflict(BaseModel):
    """A file changed on both sides in one run: merged (`copy_path` None) or copied."""

    model_config = ConfigDict(frozen=True)

    path: str
    copy_path: str | None
    cells: tuple[str, ...]
    reason: str | None
    resolution: str | None
    resolved_at: datetime | None


class HistoryRun(BaseModel):
    """One recorded push, pull or sync."""

    model_config = ConfigDict(frozen=True)

    id: int
    direction: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    result: str
    counts: dict[str, int]
    bytes: int
    failures: tuple[str, ...]
    error_code: str | None
    conflicts: tuple[HistoryConflict, ...]
    merged_notebooks: tuple[str, ...]


class ProjectHistory(BaseModel):
    """`GET projects/{id}/history`: runs newest first."""

    model_config = ConfigDict(frozen=True)

    project_id: str
    runs: tuple[HistoryRun, ...]


class ConflictSide(BaseModel):
    """One version of a conflicted file: where it is now and who wrote it when."""

    model_config = ConfigDict(frozen=True)

    path: str
    exists_locally: bool
    size: int | None = None
    modified_at: datetime | None = None
    author: str | None = None
    version_id: str | None = None


class ConflictDetail(BaseModel):
    """An unresolved conflict copy: `local` is the copy (this server's edit), `remote` the
    version the cloud kept at the original path."""

    model_config = ConfigDict(frozen=True)

    id: int
    path: str
    copy_path: str
    cells: tuple[str, ...]
    reason: str | None
    created_at: datetime
    run_id: int | None
    local: ConflictSide
    remote: ConflictSide


class ResolveConflictBody(BaseModel):
    """`POST projects/{id}/conflicts/resolve`: a conflict copy (or its original) and which
    version to keep: `local` (the edit made here, in the copy), `remote` (the version the
    cloud kept at the original path) or `both`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    keep: Keep


class ResolveResult(BaseModel):
    """What resolving did. `trashed`: project-relative paths where the losing local content
    now is; `sync_request_id`: the follow-up sync to follow on the WebSocket (None when
    nothing needs to reach the cloud, or another sync of the project already runs)."""

    model_config = ConfigDict(frozen=True)

    project_id: str
    path: str
    copy_path: str
    keep: Keep
    trashed: tuple[str, ...]
    sync_request_id: str | None


class ConflictList(BaseModel):
    """`GET projects/{id}/conflicts`."""

    model_config = ConfigDict(frozen=True)

    project_id: str
    conflicts: tuple[ConflictDetail, ...]
