"""Whether the cloud guards our writes against concurrent ones, found out once per cloud.

The answer comes from `cloud.probe_preconditions`, is kept for `TTL` in the store
(`cloud_facts`, per cloud URL) and in memory, and decides how the executor writes: with a
cloud that honours `If-Match` the preconditions alone stop a stale write (412); with one
that ignores them, the executor reads each file's current version right before writing it
and treats a moved version as a conflict (see `sync.execute`). A probe that fails (the
cloud is down) counts as "ignored" for that run and is not kept: the safe reading.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from ..cloud import client as cloud
from ..cloud.errors import CloudError
from ..context import AppContext
from ..store import cloud_facts
from ..store.engine import read, write

FACT = "preconditions"
TTL = timedelta(hours=24)
WARNING = (
    "This cloud does not refuse stale writes (it ignores If-Match): each file's version is "
    "checked right before it is written, so a concurrent edit becomes a conflict copy, but "
    "an edit landing within that moment can still be replaced (it stays a cloud revision)."
)
log = logging.getLogger(__name__)


async def cloud_guards_writes(ctx: AppContext, project_id: str) -> bool:
    """True when the cloud honours `If-Match` (probed in `project_id` when not known)."""
    notes, now = ctx.cloud.notes, datetime.now(timezone.utc)
    checked = notes.preconditions_checked_at
    if notes.preconditions is not None and checked is not None and now - checked < TTL:
        return notes.preconditions
    url = ctx.settings.cloud_url
    fact = await read(ctx.db, cloud_facts.get_fact, url, FACT) if ctx.db else None
    if fact is not None and now - fact.checked_at < TTL:
        honoured, checked = fact.value == "honoured", fact.checked_at
    else:
        try:
            honoured = await cloud.probe_preconditions(ctx.cloud, project_id)
        except CloudError as exc:
            log.info("could not learn whether the cloud honours If-Match (%s)", exc)
            return False
        checked = now
        if ctx.db is not None:
            value = "honoured" if honoured else "ignored"
            await write(ctx.db, cloud_facts.put_fact, url, FACT, value, now)
        if not honoured:
            log.warning("%s (%s)", WARNING, url)
    notes.preconditions, notes.preconditions_checked_at = honoured, checked
    return honoured


async def write_guard_state(ctx: AppContext) -> dict[str, Any]:
    """For `GET health`: `honoured`, `ignored` (with the warning the user is shown) or
    `unknown` (not probed yet: the first sync probes). The probe usually ran in the sync
    worker, which keeps its answer in the store: this process reads it from there."""
    notes = ctx.cloud.notes
    if notes.preconditions is None and ctx.db is not None:
        fact = await read(ctx.db, cloud_facts.get_fact, ctx.settings.cloud_url, FACT)
        if fact is not None and datetime.now(timezone.utc) - fact.checked_at < TTL:
            notes.preconditions = fact.value == "honoured"
            notes.preconditions_checked_at = fact.checked_at
    known = notes.preconditions
    state = "unknown" if known is None else ("honoured" if known else "ignored")
    return {
        "preconditions": state,
        "concurrent_writes_warning": WARNING if known is False else None,
    }
