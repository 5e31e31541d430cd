"""The two views of a project and the pure functions that translate between them.

`CloudProject` is exactly the Project API's JSON; `LocalProject` is what the store knows.
They are separate on purpose: the old single model let cloud-only fields leak into the
store and wrote the whole owner object where an id string belonged.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from .auto_sync import AutoSyncState


def _utc_if_naive(value: datetime) -> datetime:
    """The real product stored cloud timestamps without an offset
    (`2025-11-13T13:29:47.246655`); they are UTC. The store refuses naive datetimes."""
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


#: A timestamp from the cloud: aware as sent, or naive and read as UTC.
CloudTimestamp = Annotated[datetime, AfterValidator(_utc_if_naive)]

OwnerType = Literal["user", "organization"]


class ProjectOwner(BaseModel):
    """Who owns a cloud project: a user or an organization."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1)
    type: OwnerType
    name: str | None = None


class CloudProjectMetadata(BaseModel):
    """The free-form `metadata` object of a cloud project; unknown keys are kept."""

    model_config = ConfigDict(frozen=True, extra="allow")

    tags: tuple[str, ...] = ()
    description: str | None = None
    user_client: str | None = None
    hidden: bool = False
    default_environment: str | None = None


class CloudProject(BaseModel):
    """A project as the cloud Project API returns it. Unknown fields are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    title: str
    created_at: CloudTimestamp
    updated_at: CloudTimestamp
    # A factory, not a shared default instance: pydantic deep-copies a model default on
    # every construction, which is most of the cost of building a project.
    metadata: CloudProjectMetadata = Field(default_factory=CloudProjectMetadata)
    owner: ProjectOwner

    @model_validator(mode="before")
    @classmethod
    def _title_defaults_to_name(cls, data: Any) -> Any:
        """A project without `title` (one of the public fixtures has none) shows its name."""
        if isinstance(data, dict) and data.get("title") is None and "name" in data:
            return {**data, "title": data["name"]}
        return data


class SyncSummary(BaseModel):
    """How a local project stands against its cloud copy."""

    model_config = ConfigDict(frozen=True)

    counts: dict[str, int] = {}
    last_synced_at: datetime | None = None
    sync_running: bool = False


CloudState = Literal["present", "cloud_deleted"]
RunResult = Literal["ok", "partial", "failed", "refused", "cancelled", "interrupted"]
AttentionCode = Literal[
    "unresolved_conflicts", "failed_files", "last_sync_failed", "auth_expired", "auto_sync_paused"
]


class LastSync(BaseModel):
    """The newest finished push, pull or sync of a project, whatever its result."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    result: RunResult
    direction: str
    run_id: int


class AttentionReason(BaseModel):
    """One thing the user should look at; `count` says how many files, when that applies."""

    model_config = ConfigDict(frozen=True)

    code: AttentionCode
    message: str
    count: int | None = None


class NeedsAttention(BaseModel):
    """Why a project needs the user (never empty: a project that is fine has None)."""

    model_config = ConfigDict(frozen=True)

    reasons: tuple[AttentionReason, ...] = Field(min_length=1)


class LocalProject(BaseModel):
    """A project as the local store sees it: ids and strings only, plus where it lives."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    title: str
    description: str | None = None
    owner_id: str
    owner_type: OwnerType
    owner_name: str | None = None
    tags: tuple[str, ...] = ()
    default_environment: str | None = None
    local_path: str | None = None
    #: The folder as a Jupyter contents-API path (relative to the server's root, "/"
    #: separated); None when not downloaded or outside the root. Filled in for responses.
    contents_path: str | None = None
    cloud_created_at: datetime | None = None
    cloud_updated_at: datetime | None = None
    cloud_state: CloudState = "present"
    version: int = 1
    sync: SyncSummary = Field(default_factory=SyncSummary)  # see CloudProject.metadata
    last_sync: LastSync | None = None
    needs_attention: NeedsAttention | None = None
    auto_sync: AutoSyncState = Field(default_factory=AutoSyncState)


def local_from_cloud(cloud: CloudProject, local_path: str | None = None) -> LocalProject:
    """The store's view of a cloud project; the owner becomes its id string and type."""
    return LocalProject(
        id=cloud.id,
        name=cloud.name,
        title=cloud.title,
        description=cloud.metadata.description,
        owner_id=cloud.owner.id,
        owner_type=cloud.owner.type,
        owner_name=cloud.owner.name,
        tags=cloud.metadata.tags,
        default_environment=cloud.metadata.default_environment,
        local_path=local_path,
        cloud_created_at=cloud.created_at,
        cloud_updated_at=cloud.updated_at,
    )


def merge_cloud_into_local(local: LocalProject, cloud: CloudProject) -> LocalProject:
    """A local project updated with the cloud's current metadata; local-only fields are kept."""
    fresh = local_from_cloud(cloud, local.local_path)
    return fresh.model_copy(
        update={
            "version": local.version,
            "sync": local.sync,
            "last_sync": local.last_sync,
            "needs_attention": local.needs_attention,
            "auto_sync": local.auto_sync,
            "cloud_state": "present",
        }
    )


def cloud_update_body(local: LocalProject) -> dict[str, Any]:
    """The PATCH body that sends a local project's editable fields to the cloud."""
    return {
        "title": local.title,
        "metadata": {"tags": list(local.tags), "description": local.description},
    }


def cloud_create_body(
    title: str, name: str, description: str | None, tags: tuple[str, ...]
) -> dict[str, Any]:
    """The POST body that creates a cloud project (the `name` is a random slug)."""
    return {
        "title": title,
        "name": name,
        "metadata": {"tags": list(tags), "description": description, "user_client": "jupyterlab"},
    }
