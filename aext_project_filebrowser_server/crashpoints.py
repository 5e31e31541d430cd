"""Named points where the crash tests kill this process, like the fail points of
FoundationDB or TiKV.

Inert unless the environment variable AEXT_PFB_CRASH_AT is set when the server starts,
to `NAME:N` (SIGKILL this process the N-th time NAME is reached; N defaults to 1). The
crash-matrix tests start a Jupyter server with it, sync, and check what survived. Points:

- `after_journal`   the operations are journaled, nothing executed yet
- `mid_upload`      a request is under way: for a small file (one piece) its headers are
                    sent and no content yet; for a larger one, after each piece sent
- `after_upload`    the cloud accepted an upload, its base not yet committed
- `mid_download`    at each write of received pieces to the temp file (for a small file
                    the bytes may not be in the temp file yet)
- `after_temp_write` a verified download sits in the temp file, not yet renamed
- `after_rename`    the download was renamed into place, its base not yet committed
- `after_commit`    a group of finished operations was committed

Runs execute in the sync worker (`services.sync.worker`), which inherits the variable. There a
point kills the Jupyter server first, then the worker: a crash of the whole server, as
before the worker existed. With `AEXT_PFB_CRASH_WHO=worker` only the worker dies, and the
server lives on to report the run failed and start a new worker for the next one.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_ENV = "AEXT_PFB_CRASH_AT"
_WHO_ENV = "AEXT_PFB_CRASH_WHO"
_IN_WORKER_ENV = "AEXT_PFB_IN_WORKER"  # see services.sync.worker


def _parse(value: str) -> tuple[str, int] | None:
    if not value:
        return None
    name, _, count = value.partition(":")
    return name.strip(), int(count or 1)


_TARGET = _parse(os.environ.get(_ENV, ""))
_SEEN: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """Kill this process here if the crash tests asked for it; otherwise do nothing."""
    if _TARGET is None or _TARGET[0] != name:
        return
    _SEEN[name] += 1
    if _SEEN[name] == _TARGET[1]:
        if os.environ.get(_IN_WORKER_ENV) and os.environ.get(_WHO_ENV) != "worker":
            os.kill(os.getppid(), signal.SIGKILL)  # the server, which owns this worker
        os.kill(os.getpid(), signal.SIGKILL)
