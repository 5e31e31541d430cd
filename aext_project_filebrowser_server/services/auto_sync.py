"""Auto-sync settings for the REST API: set a project's mode, show every project's state.

The scheduler that applies them is `auto_sync_scheduler.py`; it learns of a change from
the `project_changed` event (reason `auto_sync_changed`) published here, so the two share
nothing but the store and the event bus.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..context import AppContext
from ..schemas.auto_sync import AutoSyncBody, AutoSyncState
from ..schemas.projects import AttentionReason, LocalProject, NeedsAttention
from ..store import auto_sync as auto_store
from ..store.errors import NotFound
from .errors import ServiceError, not_found
from .store_access import read_store, write_store
from .sync.run import load_project

CHANGED = "auto_sync_changed"
PAUSED = "auto_sync_paused"


async def set_auto_sync(ctx: AppContext, project_id: str, body: AutoSyncBody) -> AutoSyncState:
    """Store the project's mode (clearing a pause) and tell the scheduler."""
    project = await load_project(ctx, project_id)
    if project.local_path is None:
        raise ServiceError(409, "not_downloaded", "the project has no local folder yet")
    try:
        state = await write_store(ctx, auto_store.set_mode, project_id, body)
    except NotFound:
        raise not_found(f"project {project_id}") from None
    ctx.events.project_changed(project_id, CHANGED)
    return state


def _paused_reason(state: AutoSyncState) -> AttentionReason:
    return AttentionReason(
        code="auto_sync_paused",
        message=f"auto-sync is paused ({state.paused_reason}); set its mode again to resume",
    )


def _with_state(project: LocalProject, state: AutoSyncState) -> LocalProject:
    attention = project.needs_attention
    if state.paused:
        reasons = (*(attention.reasons if attention else ()), _paused_reason(state))
        attention = NeedsAttention(reasons=reasons)
    return project.model_copy(update={"auto_sync": state, "needs_attention": attention})


async def with_auto_sync(ctx: AppContext, projects: Sequence[LocalProject]) -> list[LocalProject]:
    """The projects with `auto_sync` filled in (one store read for the list); a paused one
    also needs attention."""
    if not projects:
        return []
    states = await read_store(ctx, auto_store.get_states, [p.id for p in projects])
    return [_with_state(p, states.get(p.id, AutoSyncState())) for p in projects]
