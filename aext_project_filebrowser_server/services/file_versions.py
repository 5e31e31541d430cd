"""A file's cloud revisions, and bringing one back as the current local file.

Restore never loses the current content: the revision is downloaded (and verified) into a
temp file inside the project first; if the current local file holds bytes the cloud does
not have as this file's base (it is not synced), it is kept next to it as a conflict copy;
then the temp file atomically replaces the path. The restored file shows as
`modified_local` until the next push makes it the newest cloud revision.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..cloud import client as cloud
from ..cloud.errors import CloudError, FileNotFound, InvalidRequest
from ..context import AppContext
from ..schemas.rest import FileVersions, RestoreResult
from ..store import files as file_store
from .errors import ServiceError, cloud_failure
from .project_folders import checked_relative_path, path_inside
from .projects import not_running
from .store_access import read_store
from .sync.local_files import move_aside, move_into_place, temp_path
from .sync.names import conflict_copy_path
from .sync.run import load_project, who_am_i
from .sync.snapshot import sha256_file

_RECHECKS = 3


async def file_versions(ctx: AppContext, project_id: str, path: str) -> FileVersions:
    """Every cloud revision of one file, newest first."""
    project = await load_project(ctx, project_id)
    checked_relative_path(path)
    try:
        versions = await cloud.list_file_versions(ctx.cloud, project.id, path)
    except FileNotFound:
        raise ServiceError(404, "not_found", f"{path!r} has no revisions in the cloud") from None
    except CloudError as exc:
        raise cloud_failure(exc) from None
    return FileVersions(project_id=project.id, path=path, versions=tuple(versions))


@dataclass(frozen=True)
class _Placement:
    root: Path
    path: str
    temp: Path
    new_sha256: str
    base_sha256: str | None
    who: str
    where: str
    now: datetime


def _stat_key(target: Path) -> tuple[int, int, int] | None:
    try:
        st = target.stat()
    except FileNotFoundError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _current(target: Path) -> tuple[tuple[int, int, int] | None, str | None]:
    """The target's stat key and hash, taken so that the file did not change in between."""
    for _ in range(_RECHECKS):
        before = _stat_key(target)
        if before is None:
            return None, None
        digest = sha256_file(target)
        if _stat_key(target) == before:
            return before, digest
    raise ServiceError(409, "local_changed", "the local file keeps changing; try again")


def _siblings(root: Path, path: str) -> set[str]:
    folder, _, _ = path.rpartition("/")
    where = root / folder if folder else root
    try:
        names = os.listdir(where)
    except OSError:
        return set()
    return {f"{folder}/{name}" if folder else name for name in names}


def _place(p: _Placement) -> str | None:
    """Put the verified temp file at the path; returns the conflict copy made, if any."""
    target = path_inside(p.root, p.path)
    if target.is_dir():
        raise ServiceError(409, "path_is_folder", f"{p.path!r} is a folder in the project")
    for _ in range(_RECHECKS):
        key, digest = _current(target)
        if digest is not None and digest not in (p.new_sha256, p.base_sha256):
            copy = conflict_copy_path(p.path, p.who, p.where, p.now, _siblings(p.root, p.path))
            move_aside(p.root, p.path, copy)  # whatever is there now is kept under the copy
            move_into_place(p.temp, target)
            return copy
        if _stat_key(target) == key:  # still what was hashed: safe to replace
            move_into_place(p.temp, target)
            return None
    raise ServiceError(409, "local_changed", "the local file keeps changing; try again")


async def restore_file(ctx: AppContext, project_id: str, path: str, version: str) -> RestoreResult:
    """Bring revision `version` of `path` back as the current local file."""
    project = await load_project(ctx, project_id)
    if project.local_path is None:
        raise ServiceError(409, "not_downloaded", "the project has no local folder yet")
    not_running(ctx, project_id)
    root = Path(project.local_path)
    path_inside(root, path)
    temp = await asyncio.to_thread(temp_path, root)
    try:
        try:
            fetched = await cloud.download_file(ctx.cloud, project.id, path, temp, version=version)
        except (FileNotFound, InvalidRequest):
            raise ServiceError(
                404, "not_found", f"{path!r} has no revision {version!r} in the cloud"
            ) from None
        except CloudError as exc:
            raise cloud_failure(exc) from None
        records = {r.path: r for r in await read_store(ctx, file_store.list_files, project.id)}
        record = records.get(path)
        placement = _Placement(
            root=root,
            path=path,
            temp=temp,
            new_sha256=fetched.sha256,
            base_sha256=record.base_sha256 if record else None,
            who=await who_am_i(ctx),
            where=ctx.settings.server_name,
            now=datetime.now(timezone.utc),
        )
        try:
            copy = await asyncio.to_thread(_place, placement)
        except OSError as exc:
            raise ServiceError(
                503, "local_folder_unavailable", f"the file could not be restored: {exc}"
            ) from None
    finally:
        await asyncio.to_thread(temp.unlink, missing_ok=True)
    ctx.events.project_changed(project.id, "restored")
    return RestoreResult(
        project_id=project.id,
        path=path,
        version=version,
        sha256=fetched.sha256,
        size=fetched.size,
        conflict_copy=copy,
    )
