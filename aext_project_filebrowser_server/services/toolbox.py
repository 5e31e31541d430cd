"""Adopting projects that Anaconda Toolbox (the old product) left in the notebook folder.

`list_toolbox_projects` says what its state database holds and what can be adopted;
`adopt_project` makes one of them ours: the folder stays where it is (or, when the user
asks, moves under `projects_root`), the store row comes from the stored cloud JSON and is
reconciled with the cloud's list of the user's projects. Nothing is uploaded or
downloaded here: the store keeps no base for the files, so the first sync treats each
file as new on both sides — equal content becomes a base without a transfer (without a
listed hash the cloud copy is downloaded to compare), different content a conflict with
both versions kept, never an overwrite. The old database is only ever read
(`toolbox_db`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.orm import Session

from ..cloud import client as cloud
from ..cloud.errors import AuthRequired, CloudError, Forbidden
from ..context import AppContext
from ..schemas.projects import CloudProject, LocalProject, local_from_cloud
from ..schemas.rest import CloudStatus
from ..schemas.toolbox import AdoptResult, ToolboxProject, ToolboxProjects
from ..store import projects as store
from ..store.errors import AlreadyExists, NotFound, StaleVersion
from .errors import ServiceError, cloud_failure, not_found
from .project_files import contents_path
from .project_folders import reserve_folder
from .projects import REFRESH_TIMEOUT_S, check_project_id, local_paths, project_with_summary
from .store_access import read_store, write_store
from .sync.local_files import write_marker
from .sync.snapshot import marker_path
from .toolbox_db import (
    StoredProject,
    ToolboxUnreadable,
    database_path,
    project_folder,
    read_projects,
)

log = logging.getLogger(__name__)


# --- what is there --------------------------------------------------------------------------


def stored_cloud_project(stored: StoredProject) -> CloudProject | None:
    """The cloud project as Toolbox stored it (naive times, no title... are fine), or None.

    The row's own id wins over the JSON's; a JSON without an owner takes the row's owner
    column (a user: Toolbox kept only the id).
    """
    if stored.cloud is None:
        return None
    data = {**stored.cloud, "id": stored.id}
    if not isinstance(data.get("owner"), dict) and stored.owner:
        data["owner"] = {"id": stored.owner, "type": "user"}
    data.setdefault("name", stored.name)
    try:
        return CloudProject.model_validate(data)
    except ValidationError:
        return None


def _describe(root: Path, stored: StoredProject, known: LocalProject | None) -> ToolboxProject:
    """One row of `GET toolbox/projects` (`root`: Jupyter's, where Toolbox kept its data)."""
    folder = project_folder(root, stored.id)
    parsed = stored_cloud_project(stored)
    exists = folder.is_dir()
    local_path = known.local_path if known is not None else None
    problem = None
    if local_path is not None:
        problem = f"already kept in {local_path}"
    elif parsed is None:
        problem = "its row in the Toolbox database is not a readable cloud project"
    elif not exists:
        problem = "its folder is missing"
    return ToolboxProject(
        id=stored.id,
        title=parsed.title if parsed else stored.name or stored.id,
        name=stored.name,
        folder=str(folder),
        contents_path=contents_path(root, str(folder)),
        folder_exists=exists,
        stored_files=stored.stored_files,
        adopted=local_path is not None,
        local_path=local_path,
        adoptable=problem is None,
        problem=problem,
    )


def _describe_all(
    root: Path, stored: list[StoredProject], known: Mapping[str, LocalProject]
) -> list[ToolboxProject]:
    return [_describe(root, s, known.get(s.id)) for s in stored]


async def _read_database(root: Path) -> tuple[Path, list[StoredProject]] | None:
    database = database_path(root)
    if not await asyncio.to_thread(database.is_file):
        return None
    return database, await asyncio.to_thread(read_projects, database)


async def list_toolbox_projects(ctx: AppContext) -> ToolboxProjects:
    """The projects of the Toolbox database under Jupyter's root, and whether each can be
    adopted. No database: `database` null. An unreadable one: `problem`, nothing listed."""
    root = ctx.settings.contents_root
    if root is None:
        return ToolboxProjects(database=None)
    try:
        found = await _read_database(root)
    except ToolboxUnreadable as exc:
        return ToolboxProjects(database=str(database_path(root)), problem=str(exc))
    if found is None:
        return ToolboxProjects(database=None)
    database, stored = found
    known = {p.id: p for p in await read_store(ctx, store.list_projects)}
    rows = await asyncio.to_thread(_describe_all, root, stored, known)
    return ToolboxProjects(database=str(database), projects=tuple(rows))


# --- adopting one ---------------------------------------------------------------------------


async def _reconciled(ctx: AppContext, stored: CloudProject) -> tuple[CloudProject, CloudStatus]:
    """The cloud's current copy of the project, or the stored one when the cloud cannot say.

    Read from the user's project list (the route every public client uses), not a GET of
    one project, which nothing public shows. A cloud that answers but does not list the
    project for this login refuses the adoption: its folder would never sync.
    """
    if not ctx.settings.cloud_configured:
        return stored, "not_configured"
    try:
        listed = await asyncio.wait_for(cloud.list_user_projects(ctx.cloud), REFRESH_TIMEOUT_S)
    except AuthRequired:
        return stored, "auth_required"
    except Forbidden as exc:
        raise cloud_failure(exc) from None
    except (CloudError, asyncio.TimeoutError) as exc:
        log.info("adopting %s from its stored copy, the cloud is unreachable: %s", stored.id, exc)
        return stored, "unreachable"
    current = next((p for p in listed if p.id == stored.id), None)
    if current is None:
        raise ServiceError(
            409,
            "not_in_cloud",
            f"the cloud lists no project {stored.id} for this login (deleted, or another "
            "account's); nothing was changed",
        )
    return current, "ok"


def _move_under(folder: Path, root: Path, title: str, taken: set[str]) -> Path:
    """Move a Toolbox folder to a new folder under `root` named from `title` (a rename:
    the reserved empty folder is replaced). Another file system: OSError, nothing moved."""
    target = reserve_folder(root, title, taken)
    try:
        os.rename(folder, target)
    except BaseException:
        with contextlib.suppress(OSError):
            target.rmdir()
        raise
    return target


async def _place_folder(
    ctx: AppContext, folder: Path, title: str, move: bool
) -> tuple[Path, str | None]:
    """Where the adopted project lives, and where it was moved from (None: not moved)."""
    if not move:
        return folder, None
    taken = await read_store(ctx, local_paths)
    try:
        moved = await asyncio.to_thread(
            _move_under, folder, ctx.settings.projects_root, title, taken
        )
    except FileNotFoundError:
        raise ServiceError(409, "folder_missing", f"{folder} is gone") from None
    except OSError as exc:
        raise ServiceError(
            409,
            "cannot_move",
            f"the folder could not be moved under {ctx.settings.projects_root}: {exc}; "
            'adopt it where it is with {"move": false}',
        ) from None
    return moved, str(folder)


def _save(session: Session, project: LocalProject) -> tuple[LocalProject, bool]:
    """Insert the adopted project, or give a known cloud-only row its folder; returns the
    row and whether it was new. A concurrent adoption or download loses (AlreadyExists)."""
    known = store.find_project(session, project.id)
    if known is None:
        return store.insert_project(session, project), True
    if known.local_path is not None:
        raise AlreadyExists(f"project {project.id} is already kept in {known.local_path}")
    fields = ("name", "title", "description", "tags", "owner_name", "default_environment")
    changes = {f: getattr(project, f) for f in fields}
    changes.update(local_path=project.local_path, cloud_updated_at=project.cloud_updated_at)
    changes["cloud_state"] = "present"
    return store.update_project(session, project.id, known.version, changes), False


def _revert(session: Session, project: LocalProject, inserted: bool) -> None:
    """Undo `_save` (the marker could not be written): the row as it was, or none."""
    if inserted:
        store.delete_project(session, project.id)
    else:
        current = store.get_project(session, project.id)
        store.update_project(session, project.id, current.version, {"local_path": None})


async def _put_back(folder: Path, moved_from: str | None) -> None:
    """Put a failed adoption's folder back where the user had it."""
    if moved_from is not None:
        with contextlib.suppress(OSError):
            await asyncio.to_thread(os.rename, folder, moved_from)


async def adopt_project(ctx: AppContext, project_id: str, *, move: bool = False) -> AdoptResult:
    """Make a Toolbox project ours: its folder, the store row, the marker. See the module."""
    check_project_id(project_id)
    root = ctx.settings.contents_root
    try:
        found = await _read_database(root) if root is not None else None
    except ToolboxUnreadable as exc:
        raise ServiceError(409, "toolbox_unreadable", f"the Toolbox database: {exc}") from None
    stored = next((s for s in found[1] if s.id == project_id), None) if found else None
    if root is None or stored is None:
        raise not_found(f"Toolbox project {project_id}")
    known = await read_store(ctx, store.find_project, project_id)
    described = await asyncio.to_thread(_describe, root, stored, known)
    if not described.adoptable:
        code = "already_adopted" if described.adopted else "not_adoptable"
        raise ServiceError(409, code, f"{described.title}: {described.problem}")
    parsed = stored_cloud_project(stored)
    if parsed is None:  # not adoptable, said above; this tells the type checker
        raise ServiceError(409, "not_adoptable", f"{described.title}: unreadable row")
    current, cloud_status = await _reconciled(ctx, parsed)
    folder, moved_from = await _place_folder(ctx, Path(described.folder), current.title, move)
    project = local_from_cloud(current, str(folder))
    if project.default_environment is None and stored.default_environment:
        project = project.model_copy(update={"default_environment": stored.default_environment})
    try:
        saved, inserted = await write_store(ctx, _save, project)
    except (AlreadyExists, StaleVersion, NotFound) as exc:
        await _put_back(folder, moved_from)
        raise ServiceError(409, "already_adopted", f"{current.title}: {exc}") from None
    except BaseException:
        await _put_back(folder, moved_from)
        raise
    try:
        await asyncio.to_thread(write_marker, marker_path(folder), project_id)
    except OSError as exc:
        await write_store(ctx, _revert, saved, inserted)
        await _put_back(folder, moved_from)
        raise ServiceError(
            503, "local_folder_unavailable", f"the folder could not be marked as ours: {exc}"
        ) from None
    ctx.events.project_changed(project_id, "adopted")
    return AdoptResult(
        project=await project_with_summary(ctx, saved),
        moved_from=moved_from,
        cloud_status=cloud_status,
    )
