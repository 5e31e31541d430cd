"""Resolving a conflict copy: keep this server's edit, the cloud's version, or both.

A conflict leaves two files: the original path holds the version the cloud kept ("remote")
and the conflict copy holds the edit made here ("local"). Resolving never deletes a version
outright, the losing one stays reachable:

- `remote`: the copy goes to the project's trash (`.aext-project/trash/`); the follow-up
  sync deletes it in the cloud, which keeps its revisions.
- `local`: the original's current content is linked into the trash, then the copy atomically
  replaces the original; the follow-up sync uploads it (`If-Match`), so the cloud keeps the
  replaced version as an older revision, and deletes the copy in the cloud (revisions kept).
- `both`: nothing moves; the copy stays an ordinary file and stops counting as unresolved.

The files are changed while the project is claimed in the sync registry (no sync can run
meanwhile); the follow-up sync, limited to the two paths, then runs as any sync does, with
all its preconditions, and shows in the history with trigger `resolve`.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from ..context import AppContext
from ..schemas.history import Keep, ResolveResult
from ..store import runs as run_store
from ..store.engine import Database, read, write
from ..store.runs import AlreadyResolved, ConflictRecord
from .errors import ServiceError
from .running import SyncInProgress
from .sync.ignore import EXTENSION_FOLDER
from .sync.local_files import fsync_directory, rename_no_replace, resolve_inside, trash_folder
from .sync.names import is_conflict_copy
from .sync.run import load_project, start_sync

__all__ = ["Keep", "ResolveResult", "original_of", "resolve_conflict"]


# The label `names.conflict_copy_path` puts between the stem and the extension.
_LABEL = re.compile(
    r"^(?P<stem>.*) \(conflict, .+ on .+, \d{4}-\d{2}-\d{2} \d{2}-\d{2}\)( \d+)?"
    r"(?P<extension>(\.tar)?\.[0-9A-Za-z_-]{1,10})?$"
)


def original_of(copy_path: str) -> str | None:
    """The path a conflict copy was made from (`a/x (conflict, ...).ipynb` → `a/x.ipynb`)."""
    folder, _, name = copy_path.rpartition("/")
    match = _LABEL.fullmatch(name)
    if match is None or not match["stem"]:
        return None
    original = match["stem"] + (match["extension"] or "")
    return f"{folder}/{original}" if folder else original


def _checked(root: Path, path: str) -> str:
    clean = path.strip()
    parts = PurePosixPath(clean).parts
    if not clean or clean.startswith("/") or ".." in parts or EXTENSION_FOLDER in parts:
        raise ServiceError(400, "invalid_path", f"{path!r} is not a path inside the project")
    try:
        resolve_inside(root, clean)
    except ValueError:
        raise ServiceError(
            400, "invalid_path", f"{path!r} is not a path inside the project"
        ) from None
    return clean


@dataclass(frozen=True)
class _Target:
    """The conflict to settle: a recorded one, or a copy only its name tells about."""

    path: str
    copy_path: str
    record: ConflictRecord | None


async def _find(db: Database, project_id: str, root: Path, path: str) -> _Target:
    """The newest unresolved conflict whose copy is `path`, else whose original is."""
    known = await read(db, run_store.find_conflicts, project_id, path)
    open_ = [c for c in known if c.resolved_at is None and c.copy_path is not None]
    record = next((c for c in open_ if c.copy_path == path), open_[0] if open_ else None)
    if record is not None and record.copy_path is not None:
        return _Target(record.path, record.copy_path, record)
    if any(c.copy_path == path for c in known):
        raise ServiceError(409, "already_resolved", f"the conflict of {path!r} was resolved")
    # A copy no sync recorded (a restore makes them): its name says where it came from.
    original = original_of(path) if is_conflict_copy(path) else None
    if original is None or not await asyncio.to_thread(resolve_inside(root, path).is_file):
        raise ServiceError(404, "not_found", f"no unresolved conflict for {path!r}")
    return _Target(original, path, None)


def _link_into_trash(root: Path, relative: str, now: datetime) -> str:
    """Put a copy of a project file into the trash (hard link, else a real copy)."""
    source = resolve_inside(root, relative)
    folder = trash_folder(root, now)
    destination = folder / relative
    destination.parent.mkdir(parents=True, exist_ok=True)
    while destination.exists():
        destination = destination.with_name(destination.name + ".1")
    try:
        os.link(source, destination)
    except OSError:  # no hard links here: copy the bytes instead
        shutil.copy2(source, destination)
    fsync_directory(destination.parent)
    return destination.relative_to(root).as_posix()


def _move_into_trash(root: Path, relative: str, now: datetime) -> str:
    """Move a project file into the trash in one step (never link then unlink: a save
    landing in between would be removed with the old name)."""
    source = resolve_inside(root, relative)
    destination = trash_folder(root, now) / relative
    destination.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            rename_no_replace(source, destination)
            break
        except FileExistsError:
            destination = destination.with_name(destination.name + ".1")
    fsync_directory(destination.parent)
    fsync_directory(source.parent)
    return destination.relative_to(root).as_posix()


def _apply(root: Path, target: _Target, keep: Keep) -> tuple[str, ...]:
    """Change the project folder for `keep`; returns where losing content went."""
    if keep == "both":
        return ()
    copy = resolve_inside(root, target.copy_path)
    now = datetime.now(timezone.utc)
    if not copy.is_file():
        if keep == "remote":  # already gone: nothing left to put away
            return ()
        raise ServiceError(
            409, "copy_missing", f"the conflict copy {target.copy_path!r} is no longer here"
        )
    if keep == "remote":
        return (_move_into_trash(root, target.copy_path, now),)
    original = resolve_inside(root, target.path)
    trashed: tuple[str, ...] = ()
    if original.is_file():
        trashed = (_link_into_trash(root, target.path, now),)
    original.parent.mkdir(parents=True, exist_ok=True)
    os.replace(copy, original)  # the original is never missing, not even for a moment
    fsync_directory(original.parent)
    return trashed


async def _record(db: Database, project_id: str, target: _Target, keep: Keep) -> None:
    try:
        if target.record is not None:
            await write(db, run_store.resolve_conflict, target.record.id, keep)
        else:
            await write(
                db, run_store.add_resolved_conflict, project_id, target.path, target.copy_path, keep
            )
    except AlreadyResolved:
        raise ServiceError(
            409, "already_resolved", f"the conflict on {target.path!r} was already resolved"
        ) from None


async def resolve_conflict(
    ctx: AppContext, project_id: str, path: str, keep: Keep
) -> ResolveResult:
    """Settle the conflict of `path` (a conflict copy, or an original with a known copy)."""
    project = await load_project(ctx, project_id)
    if project.local_path is None or ctx.db is None:
        raise ServiceError(409, "not_downloaded", "the project has no local folder yet")
    root = Path(project.local_path)
    target = await _find(ctx.db, project.id, root, _checked(root, path))
    try:
        claim = ctx.syncs.claim(project.id, f"resolve-{uuid.uuid4().hex}", "sync")
    except SyncInProgress:
        raise ServiceError(
            409, "sync_in_progress", "a push, pull or sync of this project is running; try later"
        ) from None
    try:
        try:
            trashed = await asyncio.to_thread(_apply, root, target, keep)
        except OSError as exc:
            raise ServiceError(
                503, "local_folder_unavailable", f"the conflict could not be resolved: {exc}"
            ) from None
        await _record(ctx.db, project.id, target, keep)
    finally:
        ctx.syncs.release(claim)
    ctx.events.project_changed(project.id, f"conflict resolved: kept {keep}")
    request_id = None
    if keep != "both":
        request_id = f"resolve-{uuid.uuid4().hex}"
        try:
            await start_sync(
                ctx,
                project_id=project.id,
                direction="sync",
                request_id=request_id,
                paths=[target.path, target.copy_path],
                trigger="resolve",
            )
        except ServiceError:  # another sync started meanwhile: it carries the change
            request_id = None
    return ResolveResult(
        project_id=project.id,
        path=target.path,
        copy_path=target.copy_path,
        keep=keep,
        trashed=trashed,
        sync_request_id=request_id,
    )
