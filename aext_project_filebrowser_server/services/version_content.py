"""One cloud revision's bytes, read-only (`GET projects/{id}/files/{path}/versions/{v}/content`).

The revision is found in the file's version listing first (an unknown id is a 404 before
anything is downloaded, and a listed size over the cap a 413), then streamed by
`cloud.download_file`, hashed and checked as for a restore, into a temp file outside the
project: nothing in the project folder or the store changes. The handler sends that file in
chunks read in a worker thread and removes it, so memory stays at one chunk whatever the
size. A cloud that lists no size is checked against the cap once the bytes are on disk.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from ..cloud import client as cloud
from ..cloud.errors import CloudError, FileNotFound, InvalidRequest
from ..context import AppContext
from .errors import ServiceError, cloud_failure
from .file_versions import file_versions

MAX_CONTENT_BYTES = 50 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024
# Types the standard `mimetypes` table does not know (or guesses differently per platform).
_MEDIA_TYPES = {".ipynb": "application/x-ipynb+json", ".json": "application/json"}


@dataclass(frozen=True)
class RevisionFile:
    """A downloaded revision waiting to be sent: the caller must `discard` it afterwards."""

    file: Path
    size: int
    sha256: str
    media_type: str


def media_type(path: str) -> str:
    """The Content-Type to answer for a file of this name."""
    suffix = os.path.splitext(path)[1].lower()
    guessed = _MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path, strict=False)[0]
    return guessed or "application/octet-stream"


def too_large(size: int) -> ServiceError:
    return ServiceError(
        413, "too_large", f"the revision is {size} bytes, over the {MAX_CONTENT_BYTES} bytes cap"
    )


def _new_temp() -> Path:
    fd, name = tempfile.mkstemp(prefix="aext-revision-", suffix=".part")
    os.close(fd)
    return Path(name)


async def _download(
    ctx: AppContext, project_id: str, path: str, version: str, temp: Path
) -> cloud.DownloadResult:
    try:
        return await cloud.download_file(
            ctx.cloud, project_id, path, temp, version=version, durable=False
        )
    except (FileNotFound, InvalidRequest):
        raise ServiceError(404, "not_found", f"{path!r} has no revision {version!r}") from None
    except CloudError as exc:
        raise cloud_failure(exc) from None


async def fetch_revision(ctx: AppContext, project_id: str, path: str, version: str) -> RevisionFile:
    """Download revision `version` of `path` into a temp file (404 unknown, 413 over the cap)."""
    listed = await file_versions(ctx, project_id, path)
    revision = next((v for v in listed.versions if v.file_version_id == version), None)
    if revision is None or revision.deleted:
        raise ServiceError(404, "not_found", f"{path!r} has no revision {version!r} with content")
    if revision.size is not None and revision.size > MAX_CONTENT_BYTES:
        raise too_large(revision.size)
    temp = await asyncio.to_thread(_new_temp)
    try:
        fetched = await _download(ctx, listed.project_id, path, version, temp)
        if fetched.size > MAX_CONTENT_BYTES:
            raise too_large(fetched.size)
    except BaseException:
        await asyncio.to_thread(temp.unlink, missing_ok=True)
        raise
    return RevisionFile(temp, fetched.size, fetched.sha256, media_type(path))


async def chunks(revision: RevisionFile) -> AsyncIterator[bytes]:
    """The revision's bytes in `CHUNK_BYTES` pieces, each read in a worker thread."""
    handle = await asyncio.to_thread(open, revision.file, "rb")
    try:
        while piece := await asyncio.to_thread(handle.read, CHUNK_BYTES):
            yield piece
    finally:
        await asyncio.to_thread(handle.close)


async def discard(revision: RevisionFile) -> None:
    await asyncio.to_thread(revision.file.unlink, missing_ok=True)
