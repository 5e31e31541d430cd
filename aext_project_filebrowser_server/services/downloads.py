"""The first download of a cloud-only project into a new local folder, as a background job."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

from ..context import AppContext
from ..schemas.projects import LocalProject
from ..schemas.rest import DownloadStarted
from ..store import projects as store
from ..store.errors import NotFound, StaleVersion
from .errors import ServiceError, not_found
from .project_folders import make_project_folder, remove_new_folder
from .projects import local_paths, not_running, project_with_summary, version_conflict
from .store_access import read_store, write_store
from .sync.run import load_project, start_sync

log = logging.getLogger(__name__)


async def _forget_folder(ctx: AppContext, project: LocalProject, folder: Path) -> None:
    """Undo the folder of a download that could not start."""
    try:
        current = await read_store(ctx, store.get_project, project.id)
        await write_store(
            ctx, store.update_project, project.id, current.version, {"local_path": None}
        )
    except (NotFound, StaleVersion, ServiceError):
        log.warning("could not reset the folder of project %s", project.id)
    await asyncio.to_thread(remove_new_folder, folder)


async def start_download(
    ctx: AppContext, project_id: str, request_id: str | None = None
) -> DownloadStarted:
    """Create the local folder (with marker), record it, and start pulling in the background.

    Progress and the end of the job go out on the WebSocket under `job_id`.
    """
    project = await load_project(ctx, project_id)
    if project.local_path is not None:
        raise ServiceError(409, "already_downloaded", f"the project is in {project.local_path}")
    if project.cloud_state == "cloud_deleted":
        raise ServiceError(409, "cloud_deleted", "the project no longer exists in the cloud")
    not_running(ctx, project_id)
    taken = await read_store(ctx, local_paths)
    try:
        folder = await asyncio.to_thread(
            make_project_folder, ctx.settings.projects_root, project.title, project.id, taken
        )
    except OSError as exc:
        raise ServiceError(
            503, "local_folder_unavailable", f"the local folder could not be created: {exc}"
        ) from None
    try:
        local = await write_store(
            ctx, store.update_project, project_id, project.version, {"local_path": str(folder)}
        )
    except (StaleVersion, NotFound, ServiceError) as exc:
        await asyncio.to_thread(remove_new_folder, folder)
        if isinstance(exc, StaleVersion):
            raise version_conflict(exc) from None
        if isinstance(exc, NotFound):
            raise not_found(f"project {project_id}") from None
        raise
    job_id = request_id or uuid.uuid4().hex
    try:
        await start_sync(
            ctx, project_id=project_id, direction="pull", request_id=job_id, trigger="download"
        )
    except ServiceError:
        await _forget_folder(ctx, local, folder)
        raise
    ctx.events.project_changed(project_id, "download started")
    return DownloadStarted(job_id=job_id, project=await project_with_summary(ctx, local))
