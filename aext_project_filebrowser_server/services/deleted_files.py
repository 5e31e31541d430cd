"""Recently deleted files of a project, and bringing one back from the project trash.

Two sources, merged newest first (`GET projects/{id}/deleted`):

- `trash`: files in the project's own trash (see `trash_files`): a pull or sync that
  applied a cloud deletion, or a resolved conflict, put them there. Restored by
  `restore_deleted`, which moves the file back and never overwrites.
- `cloud`: files a push or sync of this server deleted in the cloud: the journal's finished
  `delete_remote` entries, whose `if_match` is the revision removed. The cloud keeps that
  revision; `POST projects/{id}/files/{path}/restore` brings it back. A path is listed only
  while it is gone here too: no file (or link, or folder) at that path in the local folder
  and no row for it in the store. This is judged without asking the cloud, so a file
  someone uploaded again elsewhere stays listed until a sync records it.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timezone
from pathlib import Path

from ..context import AppContext
from ..schemas.deleted import DeletedFile, DeletedFiles, RestoreDeletedResult
from ..store import files as file_store
from ..store import journal
from .errors import ServiceError
from .projects import not_running
from .store_access import read_store
from .sync.run import load_project
from .trash_files import list_trash, restore_from_trash

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Distinct cloud-deleted paths read from the journal, before leaving out those present again.
MAX_CLOUD_PATHS = 20_000


def _still_gone(root: Path | None, paths: list[str]) -> set[str]:
    """The paths with nothing at them in the local folder (blocking)."""
    if root is None:
        return set(paths)
    return {path for path in paths if not os.path.lexists(root / path)}


async def deleted_files(ctx: AppContext, project_id: str, limit: int) -> DeletedFiles:
    """The project's recently deleted files, newest first, at most `limit` (1-1000)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ServiceError(400, "invalid_query", f"limit must be 1-{MAX_LIMIT}")
    project = await load_project(ctx, project_id)
    root = Path(project.local_path) if project.local_path else None
    trashed = await asyncio.to_thread(list_trash, root) if root is not None else []
    known = {r.path for r in await read_store(ctx, file_store.list_files, project.id)}
    deletes = await read_store(ctx, journal.finished_deletes, project.id, MAX_CLOUD_PATHS)
    candidates = [d for d in deletes if d.path not in known]
    gone = await asyncio.to_thread(_still_gone, root, [d.path for d in candidates])
    files = [
        DeletedFile(
            path=t.path,
            source="trash",
            deleted_at=t.deleted_at,
            size=t.size,
            trash_path=t.trash_path,
            version=None,
        )
        for t in trashed
    ] + [
        DeletedFile(
            path=d.path,
            source="cloud",
            deleted_at=d.finished_at,
            size=None,
            trash_path=None,
            version=d.version,
        )
        for d in candidates
        if d.path in gone
    ]
    files.sort(key=lambda f: (f.deleted_at, f.path), reverse=True)
    return DeletedFiles(project_id=project.id, files=tuple(files[:limit]))


async def restore_deleted(
    ctx: AppContext, project_id: str, trash_path: str
) -> RestoreDeletedResult:
    """Move a file from the project trash back to its path, or next to it when taken."""
    project = await load_project(ctx, project_id)
    if project.local_path is None:
        raise ServiceError(409, "not_downloaded", "the project has no local folder yet")
    not_running(ctx, project.id)
    root = Path(project.local_path)
    try:
        path, restored_as = await asyncio.to_thread(
            restore_from_trash, root, trash_path, datetime.now(timezone.utc)
        )
    except OSError as exc:
        raise ServiceError(
            503, "local_folder_unavailable", f"the file could not be restored: {exc}"
        ) from None
    ctx.events.project_changed(project.id, "restored")
    return RestoreDeletedResult(project_id=project.id, path=path, restored_as=restored_as)
