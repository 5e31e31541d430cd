"""Notice cloud edits of the projects that open tabs are watching, without browser polling.

The folder watcher covers local edits; nothing tells us when someone else changes a file in
the cloud. So every `cloud_poll_interval` seconds the server lists the cloud files of each
downloaded project that at least one WebSocket connection is subscribed to (one listing per
project, however many tabs watch it) and compares a fingerprint of the listing, the paths
and version ids, with the one seen before. Only when it moved are the stored statuses
recomputed and `project_changed` (reason `cloud_change`) broadcast, so an idle poll costs
one listing request per watched project and no store write.

The first look at a project compares the listing with the store's bases instead: a cloud
edit made while no tab was open shows up at the first poll.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping

from ..cloud.errors import CloudError
from ..context import AppContext
from ..schemas.projects import LocalProject
from ..store import files as file_store
from ..store import projects as project_store
from .errors import ServiceError
from .project_files import file_entries, running_syncs
from .store_access import read_store
from .sync.observe import base_of, list_remote

log = logging.getLogger(__name__)
POLL_CONCURRENCY = 4


def fingerprint(versions: Mapping[str, str]) -> str:
    """A short digest of a listing's paths and version ids (order does not matter)."""
    digest = hashlib.sha256()
    for path in sorted(versions):
        digest.update(path.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
        digest.update(versions[path].encode())
        digest.update(b"\n")
    return digest.hexdigest()


async def _base_fingerprint(ctx: AppContext, project_id: str) -> str:
    records = {r.path: r for r in await read_store(ctx, file_store.list_files, project_id)}
    return fingerprint({path: b.version_id for path, b in base_of(records).items()})


async def check_project(ctx: AppContext, project: LocalProject, seen: dict[str, str]) -> bool:
    """List one project's cloud files; True (and statuses refreshed, event sent) if they
    moved since the last look (the first look compares with the store's bases)."""
    remote, error = await list_remote(ctx.cloud, project.id)
    if error is not None or not remote.complete:
        return False
    now = fingerprint({path: f.file_version_id for path, f in remote.files.items()})
    before = seen.get(project.id)
    if before is None:
        before = await _base_fingerprint(ctx, project.id)
    seen[project.id] = now
    if now == before:
        return False
    await file_entries(ctx, project)  # recompute and store the statuses the list shows
    ctx.events.project_changed(project.id, "cloud_change")
    return True


async def poll_once(ctx: AppContext, seen: dict[str, str]) -> int:
    """Check every watched, downloaded, idle project once; returns how many had moved."""
    if ctx.db is None or not ctx.settings.cloud_configured or ctx.subscriptions.empty:
        return 0
    projects = await read_store(ctx, project_store.list_projects)
    local = {p.id: p for p in projects if p.local_path and p.cloud_state == "present"}
    busy = running_syncs(ctx)
    targets = [local[i] for i in ctx.subscriptions.watched(local) if i not in busy]
    for gone in set(seen) - set(local):
        del seen[gone]
    limit = asyncio.Semaphore(POLL_CONCURRENCY)

    async def one(project: LocalProject) -> bool:
        async with limit:
            try:
                return await check_project(ctx, project, seen)
            except (CloudError, ServiceError, OSError) as exc:
                log.debug("cloud check of project %s skipped: %s", project.id, exc)
                return False

    moved = await asyncio.gather(*(one(p) for p in targets))
    return sum(moved)


async def poll_cloud(ctx: AppContext, interval: float, stop: asyncio.Event) -> None:
    """Run `poll_once` every `interval` seconds until `stop` is set (0 never starts it)."""
    seen: dict[str, str] = {}
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
            return
        except asyncio.TimeoutError:
            pass
        try:
            await poll_once(ctx, seen)
        except Exception:  # a convenience: one bad poll must not end polling
            log.exception("checking the cloud for changes failed; trying again later")
