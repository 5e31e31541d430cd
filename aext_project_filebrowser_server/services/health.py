"""What `GET health` reports: version, store and migration state, the cloud and the login.

The cloud part says whether the cloud answers its unauthenticated `healthz`, where the
credential came from (never its value), and what the client had to leave out of the
cloud's answers (entries that did not fit), so an operator can see a cloud that disagrees
with our model without reading the log.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .._version import __version__
from ..cloud import client as cloud
from ..cloud.errors import AuthRequired, CloudError
from ..context import AppContext
from ..store.engine import sqlite_path
from . import history
from .write_guard import write_guard_state

CLOUD_CHECK_TIMEOUT_S = 3.0


async def _reachability(context: AppContext) -> dict[str, Any]:
    """Whether the cloud answers its unauthenticated `healthz` (bounded; never raises).

    Without it an unreachable cloud did not show in health at all (found by the start-up
    resilience suite). Only checked once a credential is configured: without one the cloud
    is not used, and the default URL may not be reachable from where tests run.
    """
    if not context.settings.cloud_configured:
        return {"reachable": None, "error": None}
    try:
        ok = await asyncio.wait_for(cloud.healthz(context.cloud), CLOUD_CHECK_TIMEOUT_S)
    except asyncio.TimeoutError:
        return {"reachable": False, "error": f"no answer within {CLOUD_CHECK_TIMEOUT_S:g} s"}
    except Exception as exc:  # any failure is the answer here, not a reason for a 500
        return {"reachable": False, "error": str(exc)[:300] or type(exc).__name__}
    return {"reachable": ok, "error": None}


async def _login(context: AppContext) -> str:
    """Whether the cloud accepts the credential: `ok`, `login_needed` (401, or 403
    `auth_required`), `not_configured`, or `unknown` (no answer)."""
    if not context.settings.cloud_configured:
        return "not_configured"
    try:
        await asyncio.wait_for(cloud.get_account(context.cloud), CLOUD_CHECK_TIMEOUT_S)
    except AuthRequired:
        return "login_needed"
    except (CloudError, asyncio.TimeoutError):
        return "unknown"
    return "ok"


def _credential(context: AppContext) -> dict[str, Any]:
    """Where the credential came from (`setting`, `environment`, `anaconda-auth`, `none`)
    and why it is unusable, if it is: never the value."""
    credential = context.cloud.credential
    if credential is None:
        return {"credential_source": "setting", "credential_problem": None}
    return {"credential_source": credential.source, "credential_problem": credential.problem}


def _left_out(context: AppContext) -> dict[str, Any]:
    notes = context.cloud.notes
    last = notes.last_skipped
    return {
        "count": notes.skipped_items,
        "last": None
        if last is None
        else {"where": last.where, "reason": last.reason, "at": last.at},
    }


async def health_report(context: AppContext) -> dict[str, Any]:
    """The body of `GET health`."""
    migration = context.migration
    db_path = sqlite_path(context.settings.db_url)
    ok = migration.outcome != "failed" and context.db is not None
    return {
        "status": "ok" if ok else "degraded",
        "version": __version__,
        "db_path": str(db_path) if db_path else ":memory:",
        "db_revision": migration.current,
        "head_revision": migration.head,
        "migration": {
            "outcome": migration.outcome,
            "error": migration.error,
            "backup_path": migration.backup_path,
            "set_aside_path": migration.set_aside_path,
        },
        "projects_needing_attention": (
            await history.count_needing_attention(context) if context.db else None
        ),
        "cloud_url": context.settings.cloud_url,
        "cloud_configured": context.settings.cloud_configured,
        "cloud": {
            **await _reachability(context),
            "login": await _login(context),
            **_credential(context),
            **await write_guard_state(context),
            "left_out_entries": _left_out(context),
        },
    }
