"""The cloud's view of project files: listing entries, revisions and upload results."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .projects import CloudTimestamp

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
    "unsyncable",
]


class CloudFile(BaseModel):
    """One entry of `GET /api/projects/{id}/files`: the current revision of a file.

    Two shapes are read. Ours: `path`, `file_version_id`, `size`, `sha256`,
    `last_modified`. The real product's file model (`CLOUD_API_EVIDENCE.md`, a hint): `key`
    (the path), `name`, `type` (`file` | `directory`) and `details.file_version_id`, with no
    hash, size or time. Only the path and the version id are required: without a hash a
    remote change is any new version id, and the executor hashes what it downloads.
    Directory entries validate (`type="directory"`) so the listing can leave them out.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    path: str = Field(min_length=1)
    file_version_id: str = Field(min_length=1)
    type: Literal["file", "directory"] = "file"
    size: int | None = Field(default=None, ge=0)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    last_modified: CloudTimestamp | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_file_model(cls, data: Any) -> Any:
        """Map the real product's `key` / `details.file_version_id` onto our fields."""
        if not isinstance(data, dict) or ("path" in data and "file_version_id" in data):
            return data
        mapped = dict(data)
        if "path" not in mapped and isinstance(mapped.get("key"), str):
            mapped["path"] = mapped["key"]
        details = mapped.get("details")
        if "file_version_id" not in mapped and isinstance(details, dict):
            mapped["file_version_id"] = details.get("file_version_id")
        if mapped.get("type") == "directory" and mapped.get("file_version_id") is None:
            mapped["file_version_id"] = "-"  # a directory has no version; it is left out
        return mapped


class UnfitFile(CloudFile):
    """A file listing entry whose path is known but whose other fields do not fit (no
    version id, a bad hash...): a stand-in that tells the planner to leave the path alone on
    both sides. Made by `cloud.answers.parse_file_page`, never validated from the wire."""

    reason: str = ""


class CloudFileVersion(BaseModel):
    """One revision of a file, from `GET /api/projects/{id}/files/{path}/versions`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    file_version_id: str = Field(min_length=1)
    size: int | None = Field(default=None, ge=0)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    last_modified: CloudTimestamp | None = None
    author: str | None = None
    deleted: bool = False


class UploadResult(BaseModel):
    """The answer to `PUT /api/projects/{id}/files/{path}`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    url: str
    project_id: str
    name: str
    file_version_id: str = Field(min_length=1)
