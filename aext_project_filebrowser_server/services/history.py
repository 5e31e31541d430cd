"""Sync history users can trust: the runs of a project, its last sync, and what needs them.

- `project_history`: the recorded runs, newest first (`GET projects/{id}/history`).
- `last_sync` / `needs_attention`: what `LocalProject.last_sync` and
  `LocalProject.needs_attention` carry; `with_sync_state` fills both for a whole list of
  projects with a few store queries; `count_needing_attention` is for the health endpoint.
- `conflict_details`: the unresolved conflict copies of a project with both sides' author,
  time and size, so the panel can show them side by side.
- `prune_history`: forget runs (and settled conflicts) older than the retention.

A project needs attention when a conflict copy is unresolved, files are changed on both
sides (a push or pull skips them until a sync), the last run failed, was refused by a safety
gate or was interrupted, files failed in it, or the cloud refused the API key. A cancelled
run changes nothing about that: the run before it decides.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cloud import client as cloud
from ..cloud.errors import CloudError, FileNotFound
from ..context import AppContext
from ..schemas.files import CloudFileVersion
from ..schemas.history import (
    ConflictDetail,
    ConflictSide,
    HistoryConflict,
    HistoryRun,
    ProjectHistory,
)
from ..schemas.projects import (
    AttentionReason,
    LastSync,
    LocalProject,
    NeedsAttention,
    RunResult,
)
from ..store import runs as run_store
from ..store.engine import Database, read, write, write_sync
from ..store.models import ProjectFile
from ..store.runs import ConflictRecord, RunRecord
from .errors import ServiceError
from .sync.local_files import resolve_inside
from .sync.run import load_project

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "ConflictDetail",
    "ConflictSide",
    "HistoryConflict",
    "HistoryRun",
    "ProjectHistory",
    "conflict_details",
    "count_needing_attention",
    "last_sync",
    "last_sync_of",
    "needs_attention",
    "needs_attention_of",
    "project_history",
    "prune_history",
    "prune_history_sync",
    "with_sync_state",
]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
_FAILED_RESULTS = frozenset({"failed", "partial", "refused", "interrupted"})
_AUTH_CODES = frozenset({"auth_required", "auth_required_cloud"})
# File rows whose file is gone (the copy was deleted by hand): the conflict no longer shows.
_GONE_STATUSES = frozenset({"deleted_local", "deleted_remote", "absent"})
_RUN_RESULTS: frozenset[str] = frozenset(get_args(RunResult))


# --- values ---------------------------------------------------------------------------------


# --- history --------------------------------------------------------------------------------


def _history_conflict(record: ConflictRecord) -> HistoryConflict:
    return HistoryConflict(
        path=record.path,
        copy_path=record.copy_path,
        cells=record.cells,
        reason=record.reason,
        resolution=record.resolution,
        resolved_at=record.resolved_at,
    )


def _history_run(run: RunRecord) -> HistoryRun:
    return HistoryRun(
        id=run.id,
        direction=run.direction,
        trigger=run.trigger,
        started_at=run.started_at,
        finished_at=run.finished_at,
        result=run.result,
        counts={str(k): int(v) for k, v in run.counts.items()},
        bytes=run.bytes_transferred,
        failures=tuple(run.failures),
        error_code=run.error_code,
        conflicts=tuple(_history_conflict(c) for c in run.conflicts if c.copy_path is not None),
        merged_notebooks=tuple(c.path for c in run.conflicts if c.resolution == "merged"),
    )


def _database(ctx: AppContext) -> Database:
    if ctx.db is None:
        raise ServiceError(503, "store_unavailable", "the project store is not available")
    return ctx.db


async def project_history(
    ctx: AppContext, project_id: str, limit: int = DEFAULT_LIMIT
) -> ProjectHistory:
    """The project's recorded runs, newest first, at most `limit` (1-500)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ServiceError(400, "invalid_query", f"limit must be 1-{MAX_LIMIT}")
    project = await load_project(ctx, project_id)
    runs = await read(_database(ctx), run_store.list_runs, project.id, limit)
    return ProjectHistory(project_id=project.id, runs=tuple(_history_run(r) for r in runs))


# --- last sync and attention ----------------------------------------------------------------


def last_sync_of(run: RunRecord | None) -> LastSync | None:
    """`LocalProject.last_sync` from the newest finished run (None: never synced)."""
    if run is None or run.finished_at is None or run.result not in _RUN_RESULTS:
        return None
    return LastSync.model_validate(
        {"at": run.finished_at, "result": run.result, "direction": run.direction, "run_id": run.id}
    )


def needs_attention_of(
    latest: RunRecord | None,
    unresolved_conflicts: int,
    changed_on_both_sides: int,
    *,
    auth_expired: bool = False,
) -> NeedsAttention | None:
    """`LocalProject.needs_attention` from the facts; None when the project is fine.

    `auth_expired`: the caller saw the cloud refuse the API key (e.g. a files listing that
    answered `auth_required`); a run that failed that way is detected here anyway.
    """
    reasons: list[AttentionReason] = []
    if unresolved_conflicts:
        reasons.append(
            AttentionReason(
                code="unresolved_conflicts",
                message=(
                    "1 conflict copy to review"
                    if unresolved_conflicts == 1
                    else f"{unresolved_conflicts} conflict copies to review"
                ),
                count=unresolved_conflicts,
            )
        )
    if changed_on_both_sides:
        reasons.append(
            AttentionReason(
                code="unresolved_conflicts",
                message=(
                    "1 file changed on both sides; run sync"
                    if changed_on_both_sides == 1
                    else f"{changed_on_both_sides} files changed on both sides; run sync"
                ),
                count=changed_on_both_sides,
            )
        )
    if latest is not None and latest.result in _FAILED_RESULTS:
        if latest.failures and latest.result == "partial":
            reasons.append(
                AttentionReason(
                    code="failed_files",
                    message=f"{len(latest.failures)} files failed in the last {latest.direction}",
                    count=len(latest.failures),
                )
            )
        else:
            detail = f": {latest.failures[-1]}" if latest.failures else ""
            reasons.append(
                AttentionReason(
                    code="last_sync_failed",
                    message=f"the last {latest.direction} {_said(latest.result)}{detail}",
                )
            )
    run_auth = latest is not None and latest.error_code in _AUTH_CODES
    if auth_expired or run_auth:
        reasons.append(
            AttentionReason(
                code="auth_expired",
                message="the cloud did not accept the API key; log in again",
            )
        )
    return NeedsAttention(reasons=tuple(reasons)) if reasons else None


def _said(result: str) -> str:
    return {
        "failed": "failed",
        "refused": "was refused by a safety check",
        "interrupted": "was interrupted",
    }.get(result, result)


def _live_conflicts(
    session: Session, project_ids: Sequence[str]
) -> dict[str, list[ConflictRecord]]:
    """Unresolved conflicts whose copy still exists (a copy deleted by hand settles it)."""
    live: dict[str, list[ConflictRecord]] = {}
    for project_id, conflicts in run_store.unresolved_conflicts(session, project_ids).items():
        copies = [c.copy_path for c in conflicts if c.copy_path]
        rows = session.execute(
            select(ProjectFile.path, ProjectFile.status).where(
                ProjectFile.project_id == project_id, ProjectFile.path.in_(copies)
            )
        )
        statuses = {path: status for path, status in rows}
        kept = [
            c
            for c in conflicts
            if c.copy_path in statuses and statuses[c.copy_path] not in _GONE_STATUSES
        ]
        if kept:
            live[project_id] = kept
    return live


def _both_changed(session: Session, project_ids: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    rows = session.execute(
        select(ProjectFile.project_id, ProjectFile.path).where(
            ProjectFile.project_id.in_(project_ids), ProjectFile.status == "conflict"
        )
    )
    for project_id, _path in rows:
        counts[project_id] = counts.get(project_id, 0) + 1
    return counts


@dataclass(frozen=True)
class _Facts:
    """What `last_sync` and `needs_attention` are computed from, per project id."""

    latest: dict[str, RunRecord]  # the newest finished run
    decisive: dict[str, RunRecord]  # the newest not cancelled (a cancel proves nothing)
    conflicts: dict[str, list[ConflictRecord]]
    both_changed: dict[str, int]

    def attention(self, project_id: str, auth_expired: bool = False) -> NeedsAttention | None:
        return needs_attention_of(
            self.decisive.get(project_id),
            len(self.conflicts.get(project_id, ())),
            self.both_changed.get(project_id, 0),
            auth_expired=auth_expired,
        )


def _sync_facts(session: Session, project_ids: Sequence[str]) -> _Facts:
    ids = list(project_ids)
    return _Facts(
        latest=run_store.latest_finished_runs(session, ids),
        decisive=run_store.latest_finished_runs(session, ids, skip=("cancelled",)),
        conflicts=_live_conflicts(session, ids),
        both_changed=_both_changed(session, ids),
    )


async def with_sync_state(
    ctx: AppContext,
    projects: Sequence[LocalProject],
    *,
    auth_expired: bool | Mapping[str, bool] = False,
) -> list[LocalProject]:
    """The projects with `last_sync` and `needs_attention` filled in (a few store reads for
    the whole list). `auth_expired`: for all projects, or per project id."""
    if not projects:
        return []
    facts = await read(_database(ctx), _sync_facts, [p.id for p in projects])
    filled = []
    for project in projects:
        expired = (
            auth_expired.get(project.id, False)
            if isinstance(auth_expired, Mapping)
            else auth_expired
        )
        update = {
            "last_sync": last_sync_of(facts.latest.get(project.id)),
            "needs_attention": facts.attention(project.id, expired),
        }
        filled.append(project.model_copy(update=update))
    return filled


async def last_sync(ctx: AppContext, project_id: str) -> LastSync | None:
    """`LocalProject.last_sync` of one project."""
    latest = await read(_database(ctx), run_store.latest_finished_runs, [project_id])
    return last_sync_of(latest.get(project_id))


async def needs_attention(
    ctx: AppContext, project_id: str, *, auth_expired: bool = False
) -> NeedsAttention | None:
    """`LocalProject.needs_attention` of one project."""
    facts = await read(_database(ctx), _sync_facts, [project_id])
    return facts.attention(project_id, auth_expired)


def _projects_needing_attention(session: Session) -> int:
    candidates = set(run_store.projects_with_unresolved_conflicts(session))
    candidates |= set(
        session.scalars(
            select(ProjectFile.project_id).where(ProjectFile.status == "conflict").distinct()
        )
    )
    candidates |= set(run_store.latest_runs(session))
    if not candidates:
        return 0
    facts = _sync_facts(session, sorted(candidates))
    return sum(1 for project_id in candidates if facts.attention(project_id) is not None)


async def count_needing_attention(ctx: AppContext) -> int:
    """How many projects need attention (for the health endpoint)."""
    return await read(_database(ctx), _projects_needing_attention)


# --- conflict details -----------------------------------------------------------------------


async def _side(
    project: LocalProject, path: str, versions: list[CloudFileVersion] | None
) -> ConflictSide:
    """The local file's size and time when it exists (else the cloud's), the cloud's author."""
    newest = next((v for v in versions or () if not v.deleted), None)
    side = ConflictSide(
        path=path,
        exists_locally=False,
        size=newest.size if newest else None,
        modified_at=newest.last_modified if newest else None,
        author=newest.author if newest else None,
        version_id=newest.file_version_id if newest else None,
    )
    if project.local_path is None:
        return side
    try:
        st = await asyncio.to_thread(resolve_inside(Path(project.local_path), path).stat)
    except (OSError, ValueError):
        return side
    return side.model_copy(
        update={
            "exists_locally": True,
            "size": st.st_size,
            "modified_at": datetime.fromtimestamp(st.st_mtime, timezone.utc),
        }
    )


async def _versions(ctx: AppContext, project_id: str, path: str) -> list[CloudFileVersion] | None:
    try:
        return await cloud.list_file_versions(ctx.cloud, project_id, path)
    except FileNotFound:
        return []
    except CloudError:
        return None  # shown without the cloud's author; the local side still shows


async def conflict_details(ctx: AppContext, project_id: str) -> tuple[ConflictDetail, ...]:
    """The unresolved conflict copies of a project, both sides described (cloud optional)."""
    project = await load_project(ctx, project_id)
    facts = await read(_database(ctx), _sync_facts, [project.id])
    details = []
    for record in facts.conflicts.get(project.id, ()):
        assert record.copy_path is not None
        here, there = await asyncio.gather(
            _versions(ctx, project.id, record.copy_path), _versions(ctx, project.id, record.path)
        )
        local_side, remote_side = await asyncio.gather(
            _side(project, record.copy_path, here), _side(project, record.path, there)
        )
        details.append(
            ConflictDetail(
                id=record.id,
                path=record.path,
                copy_path=record.copy_path,
                cells=record.cells,
                reason=record.reason,
                created_at=record.created_at,
                run_id=record.run_id,
                local=local_side,
                remote=remote_side,
            )
        )
    return tuple(details)


# --- retention ------------------------------------------------------------------------------


def prune_history_sync(db: Database, retention_days: int) -> tuple[int, int]:
    """Forget runs and settled conflicts older than `retention_days` (0: keep everything).

    Blocking, in the calling thread: the extension calls it once at start-up, before the
    server serves anything. Returns (runs, conflicts) deleted."""
    if retention_days <= 0:
        return 0, 0
    return write_sync(db, run_store.prune_history, timedelta(days=retention_days))


async def prune_history(db: Database, retention_days: int) -> tuple[int, int]:
    """`prune_history_sync` from the event loop, in the store's writer thread."""
    if retention_days <= 0:
        return 0, 0
    return await write(db, run_store.prune_history, timedelta(days=retention_days))
