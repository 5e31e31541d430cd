"""Project files in the cloud: the listing, revisions, uploads and deletes.

The listing accepts our shape and the real product's file model (see `schemas.files`),
leaves directory entries out, and reads without a hash, size or time when the cloud sends
none. An entry that does not fit is an `UnfitFile` stand-in (`answers.parse_file_page`).
Downloads are in `cloud.downloads`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path, PurePosixPath

from ..schemas.files import CloudFile, CloudFileVersion, UnfitFile, UploadResult
from .answers import parse_file_page, parse_model
from .errors import (
    FileNotFound,
    InvalidCloudResponse,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
)
from .sending import Replay, RetryLog, pages, retrying, send_once
from .session import CloudClient, file_url, project_url, quote_etag
from .transfer import MultipartFileBody, sha256_file

PAGE_LIMIT = 1000
# A project's file listing is read whole by every sync: one page of up to the replica's
# maximum (10,000 entries) instead of pages of 1,000 saves a round trip per 1,000 files.
FILES_PAGE_LIMIT = 10_000


async def list_files(
    client: CloudClient, project_id: str, *, page_size: int | None = None
) -> list[CloudFile]:
    """The complete file listing of a project (every page), files only. If any page fails
    this raises: a partial listing is never returned.

    Pages of `FILES_PAGE_LIMIT` save a round trip per 1,000 files, but the only public
    evidence about the real cloud is pages of 1,000: if it refuses the larger limit (400),
    the listing is asked again in pages of `PAGE_LIMIT`, and the client remembers that."""
    size = page_size or client.notes.files_page_size or FILES_PAGE_LIMIT
    try:
        return await _all_files(client, project_id, size)
    except InvalidRequest:
        if page_size is not None or size <= PAGE_LIMIT:
            raise
        client.notes.files_page_size = PAGE_LIMIT
        return await _all_files(client, project_id, PAGE_LIMIT)


async def _all_files(
    client: CloudClient, project_id: str, page_size: int, prefix: str | None = None
) -> list[CloudFile]:
    files: list[CloudFile] = []
    params: dict[str, str | int] = {"limit": page_size}
    if prefix is not None:
        params["prefix"] = prefix
    url = project_url(client, project_id, "files")
    # A file entry left out would read as "deleted in the cloud" to the planner: one that
    # does not fit comes back as an `UnfitFile` (see `answers.parse_file_page`).
    async for items in pages(client, url, params, CloudFile, parse=parse_file_page):
        files.extend(item for item in items if item.type == "file")
    return files


async def current_version(client: CloudClient, project_id: str, path: str) -> str | None:
    """The current version id of one file (None: absent), read right before a write to a
    cloud that ignores preconditions. Asks the listing for `prefix=path` (a cloud that
    ignores the filter answers the whole listing: slower, still right). An entry of that
    path that does not fit raises: its version is unknown, never "absent"."""
    listed = await _all_files(client, project_id, PAGE_LIMIT, prefix=path)
    found = next((f for f in listed if f.path == path), None)
    if isinstance(found, UnfitFile):
        raise InvalidCloudResponse(f"the cloud's entry for {path!r} does not fit: {found.reason}")
    return found.file_version_id if found is not None else None


async def list_file_versions(
    client: CloudClient, project_id: str, path: str
) -> list[CloudFileVersion]:
    """Every revision of a file, newest first."""
    versions: list[CloudFileVersion] = []
    async for items in pages(
        client,
        file_url(client, project_id, path, "versions"),
        None,
        CloudFileVersion,
        not_found=FileNotFound,
    ):
        versions.extend(items)
    return versions


async def newest_version(
    client: CloudClient, project_id: str, path: str
) -> CloudFileVersion | None:
    try:
        versions = await list_file_versions(client, project_id, path)
    except FileNotFound:
        return None
    return versions[0] if versions else None


async def upload_file(
    client: CloudClient,
    project_id: str,
    path: str,
    local_file: Path,
    *,
    if_match: str | None = None,
    if_none_match: bool = False,
    expected_sha256: str | None = None,
) -> UploadResult:
    """Upload `local_file` as `path` in the project, streamed from disk (see
    `MultipartFileBody`).

    `if_match=<file_version_id>` replaces only that revision; `if_none_match=True` creates
    only if the path is absent; either failing raises `PreconditionFailed`. With a
    precondition the upload is retried as idempotent (see `cloud.sending`); without,
    only after failures that prove it was not processed.

    `expected_sha256`: the hash the caller recorded for the file; if the bytes read while
    uploading differ (or the size changes), the upload is aborted before the server can
    commit it and `LocalFileChanged` is raised.
    """
    if if_match is not None and if_none_match:
        raise ValueError("if_match and if_none_match are mutually exclusive")
    url = file_url(client, project_id, path)
    conditions: dict[str, str] = {}
    if if_match is not None:
        conditions["If-Match"] = quote_etag(if_match)
    if if_none_match:
        conditions["If-None-Match"] = "*"
    replay = Replay.ALWAYS if conditions else Replay.IF_UNPROCESSED
    filename = PurePosixPath(path).name
    log = RetryLog()

    async def adopt_if_ours(sent_sha256: str | None) -> UploadResult | None:
        ours = sent_sha256 or expected_sha256 or await asyncio.to_thread(sha256_file, local_file)
        newest = await newest_version(client, project_id, path)
        if newest is None or newest.deleted or newest.sha256 != ours:
            return None
        return UploadResult(
            url=url, project_id=project_id, name=path, file_version_id=newest.file_version_id
        )

    async def once() -> UploadResult:
        async with MultipartFileBody(
            local_file, field="files", filename=filename, expected_sha256=expected_sha256
        ) as body:
            try:
                resp = await send_once(
                    client, "PUT", url, content=body, headers={**conditions, **body.headers}
                )
            except PreconditionFailed:
                # Our own earlier attempt may have succeeded with its answer lost.
                if log.ambiguous and (adopted := await adopt_if_ours(body.sha256)):
                    return adopted
                raise
        return parse_model(client, resp, UploadResult)

    return await retrying(client, replay, once, log=log)


async def delete_file(
    client: CloudClient, project_id: str, path: str, *, if_match: str | None = None
) -> None:
    """Delete a file (its current revision; history is kept by the cloud).

    `if_match=<file_version_id>` deletes only if that is still the current revision
    (`PreconditionFailed` otherwise). After an ambiguous earlier attempt, a 404, or a 412
    while the file is in fact gone, counts as done."""
    url = file_url(client, project_id, path)
    headers = {"If-Match": quote_etag(if_match)} if if_match is not None else None
    log = RetryLog()

    async def once() -> None:
        try:
            await send_once(client, "DELETE", url, headers=headers, not_found=FileNotFound)
        except NotFound:
            if not log.ambiguous:
                raise
        except PreconditionFailed:
            if not log.ambiguous:
                raise
            newest = await newest_version(client, project_id, path)
            if newest is not None and not newest.deleted:
                raise

    await retrying(client, Replay.ALWAYS, once, log=log)
