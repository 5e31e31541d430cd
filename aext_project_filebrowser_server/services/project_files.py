"""Per-file statuses, sync summaries and dry-run plans of a project, for the REST API.

Statuses come from the one classification in `sync/status.py`, over the states gathered by
`sync/observe.py` (which uses the stat cache: unchanged files are not re-hashed). When the
cloud cannot be listed the local files are still shown, with an unknown (null) status.

The statuses last computed are kept in the store's `project_files.status` column, so the
project list can show counts per status without asking the cloud for every project.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import get_args

from sqlalchemy.orm import Session

from ..cloud.errors import AuthRequired, CloudError, Forbidden, ProjectNotFound
from ..context import AppContext
from ..schemas.files import FileStatus
from ..schemas.projects import LocalProject, SyncSummary
from ..schemas.rest import (
    FileEntry,
    FilesCloudStatus,
    PlanGate,
    PlanOperation,
    PlanResult,
    PlanSkipped,
    ProjectDetail,
    ProjectFiles,
)
from ..store import files as file_store
from ..store import projects as project_store
from ..store.files import FileRecord
from . import auto_sync, history
from .errors import ServiceError
from .store_access import database, read_store, write_store
from .sync import notebook_merge
from .sync.ignore import IgnoreRules, ignore_rules
from .sync.observe import base_of, list_remote, observe_project
from .sync.plan import Conflict, Direction, Operation
from .sync.run import load_project, make_plan
from .sync.snapshot import take_snapshot
from .sync.states import BaseFile, LocalSnapshot, RemoteListing
from .sync.status import project_statuses
from .sync.unsyncable import left_alone

log = logging.getLogger(__name__)

#: The statuses counted in a project's summary (the column may hold other markers).
COUNTED: frozenset[str] = frozenset(get_args(FileStatus))
GONE = "absent"  # a base row whose file no longer exists on either side


# --- statuses -------------------------------------------------------------------------------


def _cloud_status_of(ctx: AppContext, exc: CloudError) -> FilesCloudStatus:
    if isinstance(exc, AuthRequired):
        return "auth_required" if ctx.settings.cloud_configured else "not_configured"
    if isinstance(exc, Forbidden):
        return "forbidden"
    if isinstance(exc, ProjectNotFound):
        return "not_found"
    return "unreachable"


def _entry(
    path: str,
    status: FileStatus | None,
    local: LocalSnapshot,
    remote: RemoteListing,
    base: Mapping[str, BaseFile],
    reason: str | None = None,
) -> FileEntry:
    here, there, agreed = local.files.get(path), remote.files.get(path), base.get(path)
    return FileEntry(
        path=path,
        status=status,
        reason=reason,
        size=here.size if here else (there.size if there else None),
        sha256=here.sha256 if here else (there.sha256 if there else None),
        local_size=here.size if here else None,
        local_sha256=here.sha256 if here else None,
        remote_size=there.size if there else None,
        remote_sha256=there.sha256 if there else None,
        remote_version=there.file_version_id if there else None,
        remote_last_modified=there.last_modified if there else None,
        base_version=agreed.version_id if agreed else None,
    )


def _entries(
    local: LocalSnapshot,
    remote: RemoteListing,
    base: Mapping[str, BaseFile],
    statuses: Mapping[str, FileStatus] | None,
) -> tuple[FileEntry, ...]:
    if statuses is not None:
        reasons = left_alone(local, remote, base)
        return tuple(
            _entry(p, s, local, remote, base, reasons.get(p) if s == "unsyncable" else None)
            for p, s in statuses.items()
        )
    paths = sorted(set(local.files) | set(local.unreadable) | set(local.unsyncable) | set(base))
    return tuple(_entry(p, None, local, remote, base, local.unsyncable.get(p)) for p in paths)


def _record_statuses(session: Session, project_id: str, statuses: Mapping[str, FileStatus]) -> None:
    """Store the statuses just computed, re-reading the rows in this write transaction."""
    records = {r.path: r for r in file_store.list_files(session, project_id)}
    updates: list[FileRecord] = []
    stale: list[str] = []
    for path, status in statuses.items():
        record = records.get(path)
        if record is None:
            updates.append(FileRecord(path=path, status=status))
        elif record.status != status:
            updates.append(replace(record, status=status))
    for path, record in records.items():
        if path in statuses:
            continue
        if record.base_sha256 is None and record.local_sha256 is None:
            stale.append(path)  # a status-only row of a file that is gone
        elif record.status != GONE:
            updates.append(replace(record, status=GONE))
    file_store.save_files(session, project_id, updates)
    file_store.delete_files(session, project_id, stale)


async def _observe(
    ctx: AppContext, project: LocalProject
) -> tuple[LocalSnapshot, RemoteListing, dict[str, BaseFile], CloudError | None, IgnoreRules]:
    db = database(ctx)
    if project.local_path is None:
        rules = ignore_rules(None)
        remote, error = await list_remote(ctx.cloud, project.id)
        return LocalSnapshot({}, marker_present=False), remote, {}, error, rules
    observation = await observe_project(db, ctx.cloud, project.id, Path(project.local_path))
    return (
        observation.local,
        observation.remote,
        observation.base,
        observation.remote_error,
        observation.rules,
    )


async def _local_only(
    ctx: AppContext, project: LocalProject
) -> tuple[LocalSnapshot, dict[str, BaseFile]]:
    """The local side alone, for when the cloud refuses to list the project."""
    records = {r.path: r for r in await read_store(ctx, file_store.list_files, project.id)}
    if project.local_path is None:
        return LocalSnapshot({}, marker_present=False), base_of(records)
    result = await asyncio.to_thread(take_snapshot, Path(project.local_path), records)
    return result.snapshot, base_of(records)


async def file_entries(
    ctx: AppContext, project: LocalProject
) -> tuple[FilesCloudStatus, tuple[FileEntry, ...]]:
    """Every file of a project with its status, and how the cloud answered."""
    empty = RemoteListing({}, complete=False)
    try:
        local, remote, base, error, rules = await _observe(ctx, project)
    except (AuthRequired, Forbidden, ProjectNotFound) as exc:
        local, base = await _local_only(ctx, project)
        return _cloud_status_of(ctx, exc), _entries(local, empty, base, None)
    if error is not None or not remote.complete:
        return "unreachable", _entries(local, remote, base, None)
    statuses = project_statuses(local, remote, base, rules)
    await write_store(ctx, _record_statuses, project.id, statuses)
    return "ok", _entries(local, remote, base, statuses)


async def project_files(ctx: AppContext, project_id: str) -> ProjectFiles:
    project = await load_project(ctx, project_id)
    cloud_status, entries = await file_entries(ctx, project)
    conflicts = await history.conflict_details(ctx, project.id)
    return ProjectFiles(
        project_id=project.id, cloud_status=cloud_status, files=entries, conflicts=conflicts
    )


async def project_detail(ctx: AppContext, project_id: str) -> ProjectDetail:
    project = await load_project(ctx, project_id)
    cloud_status, entries = await file_entries(ctx, project)
    summarized = await with_summaries(ctx, [project])
    return ProjectDetail(project=summarized[0], cloud_status=cloud_status, files=entries)


async def refresh_statuses(ctx: AppContext, projects: Iterable[LocalProject]) -> None:
    """Recompute and store the statuses of downloaded projects, a few at a time."""
    limit = asyncio.Semaphore(4)

    async def one(project: LocalProject) -> None:
        async with limit:
            try:
                await file_entries(ctx, project)
            except (CloudError, ServiceError, OSError) as exc:
                log.debug("statuses of project %s not refreshed: %s", project.id, exc)

    await asyncio.gather(*(one(p) for p in projects if p.local_path is not None))


# --- summaries ------------------------------------------------------------------------------


def _stored_summaries(
    session: Session, project_ids: list[str]
) -> tuple[dict[str, dict[str, int]], dict[str, datetime]]:
    """The stored status counts and the last successful sync of every project, in one read
    transaction (grouped queries: the cost barely grows with the files per project)."""
    return (
        project_store.file_status_counts(session, project_ids, COUNTED),
        project_store.last_successful_syncs(session, project_ids),
    )


def running_syncs(ctx: AppContext) -> frozenset[str]:
    """The ids of the projects being pushed, pulled or synced right now."""
    return frozenset(running.project_id for running in ctx.syncs.all())


async def with_summaries(
    ctx: AppContext, projects: list[LocalProject], running: AbstractSet[str] | None = None
) -> list[LocalProject]:
    """The projects with their sync summaries (stored counts, last sync, running now).

    `running`: the projects syncing, as the caller saw them (default: as they are once the
    store has answered); the cached project list must know which set it shows.
    """
    if not projects:
        return []
    counts, last_ok = await read_store(ctx, _stored_summaries, [p.id for p in projects])
    if running is None:
        running = running_syncs(ctx)
    summarized = []
    for project in projects:
        summary = SyncSummary(
            counts=dict(sorted(counts.get(project.id, {}).items())),
            last_synced_at=last_ok.get(project.id),
            sync_running=project.id in running,
        )
        contents = contents_path(ctx.settings.contents_root, project.local_path)
        summarized.append(project.model_copy(update={"sync": summary, "contents_path": contents}))
    return await auto_sync.with_auto_sync(ctx, await history.with_sync_state(ctx, summarized))


def contents_path(root: Path | None, local_path: str | None) -> str | None:
    """The folder as the contents API (and JupyterLab's file browser) names it: relative to
    the Jupyter root, with "/" separators; None when there is no folder or it is outside."""
    if root is None or not local_path:
        return None
    try:
        relative = Path(local_path).relative_to(root)
    except ValueError:
        try:  # the root was resolved; the stored folder may name it through a symlink
            relative = Path(local_path).resolve().relative_to(root)
        except (ValueError, OSError):
            return None
    return relative.as_posix() if relative.parts else ""


# --- plan -----------------------------------------------------------------------------------


def _operation(op: Operation) -> PlanOperation:
    size = getattr(op, "size", None)
    if size is None:
        size = getattr(op, "local_size", None)
    return PlanOperation(
        kind=op.kind,
        path=op.path,
        reason=op.reason,
        size=size,
        copy_path=getattr(op, "copy_path", None),
    )


async def _described(ctx: AppContext, project: LocalProject, op: Operation) -> PlanOperation:
    """A planned operation for the dry run; a conflict says whether a notebook will merge."""
    entry = _operation(op)
    if not isinstance(op, Conflict) or project.local_path is None:
        return entry
    reason = await notebook_merge.describe_conflict(
        ctx.cloud, project.id, Path(project.local_path), op
    )
    copy_path = None if reason == "will merge notebook" else entry.copy_path
    return entry.model_copy(update={"reason": reason, "copy_path": copy_path})


async def plan_project(
    ctx: AppContext, project_id: str, direction: Direction, *, force: bool = False
) -> PlanResult:
    """A dry run of a push, pull or sync: what it would do and why. Changes nothing."""
    project = await load_project(ctx, project_id)
    if project.local_path is None:
        raise ServiceError(409, "not_downloaded", "the project has no local folder yet")
    plan = await make_plan(ctx, project, direction, force=force)
    summary = plan.summary()
    operations = [await _described(ctx, project, op) for op in plan.operations]
    gate = plan.gate
    return PlanResult(
        project_id=project.id,
        direction=direction,
        operations=tuple(operations),
        skipped=tuple(PlanSkipped(path=s.path, reason=s.reason) for s in plan.skipped),
        gate=None
        if gate is None
        else PlanGate(code=gate.code, message=gate.message, forceable=gate.forceable),
        counts=dict(summary.counts),
        upload_bytes=summary.upload_bytes,
        download_bytes=summary.download_bytes,
    )
