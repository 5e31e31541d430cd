"""Does this cloud honour `If-Match`? A probe that cannot touch user data.

Nothing public shows that the real cloud honours `If-Match` / `If-None-Match: *`
(`CLOUD_API_EVIDENCE.md`); if it drops them, a conditional upload silently replaces a
version someone else just wrote. The probe deletes a path that does not exist (a random
name under the extension's own folder) with `If-Match` naming a version that never existed:

- 412: the precondition was evaluated (RFC 9110: `If-Match` against no representation is
  false) — the cloud honours it;
- 404 or any 2xx: it was dropped, or the cloud checks existence first — either way nothing
  shows it is honoured, so the sync treats it as ignored (the safe reading);
- anything else (5xx, no answer) raises: nothing was learned.

Nothing exists at that path, so whichever way the cloud reads the request, no file changes.
"""

from __future__ import annotations

import uuid

from .errors import FileNotFound, PreconditionFailed
from .sending import send_once
from .session import CloudClient, file_url, quote_etag

PROBE_FOLDER = ".aext-project"


async def probe_preconditions(client: CloudClient, project_id: str) -> bool:
    """True when the cloud refused a stale `If-Match` with 412 (see the module docstring)."""
    path = f"{PROBE_FOLDER}/precondition-probe-{uuid.uuid4().hex}"
    headers = {"If-Match": quote_etag(f"never-{uuid.uuid4().hex}")}
    try:
        await send_once(
            client,
            "DELETE",
            file_url(client, project_id, path),
            headers=headers,
            not_found=FileNotFound,
        )
    except PreconditionFailed:
        return True
    except FileNotFound:
        return False
    return False
