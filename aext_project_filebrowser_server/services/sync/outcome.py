"""What the executor works on and what it reports: the target, one operation's outcome,
progress, and the base row an operation records."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from ...cloud.client import CloudClient
from ...store.engine import Database
from ...store.files import FileRecord
from .plan import Operation
from .snapshot import cacheable_mtime


@dataclass(frozen=True)
class SyncTarget:
    """Where a plan runs: the project, its folder, the cloud and the store. `guarded`:
    the cloud refuses stale writes (`If-Match`, see `services.write_guard`); when it does
    not, each write is preceded by a read of the file's current version."""

    project_id: str
    root: Path
    client: CloudClient
    db: Database
    guarded: bool = True


@dataclass(frozen=True)
class Outcome:
    """What one operation did. `saves`/`drops` are the base rows to write or forget;
    `placed` the files it renamed into place, fsynced before those rows are written."""

    operation: Operation
    ok: bool
    stale: bool = False
    error: str | None = None
    code: str | None = None
    bytes: int = 0
    saves: tuple[FileRecord, ...] = ()
    drops: tuple[str, ...] = ()
    placed: tuple[Path, ...] = ()
    conflict_copy: str | None = None
    # A notebook changed on both sides: merged cleanly, or the cells that clashed and why
    # it fell back to the conflict copy.
    merged_notebook: bool = False
    clashing_cells: tuple[str, ...] = ()
    conflict_note: str | None = None


@dataclass(frozen=True)
class Progress:
    done_files: int
    total_files: int
    done_bytes: int
    total_bytes: int
    current_path: str | None


@dataclass
class ExecutionReport:
    """All outcomes of one execution, in completion order."""

    outcomes: list[Outcome] = field(default_factory=list)
    cancelled: bool = False

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok and not o.stale]

    @property
    def stale_paths(self) -> list[str]:
        return [o.operation.path for o in self.outcomes if o.stale]


ProgressCallback = Callable[[Progress], Awaitable[None] | None]
ConflictCallback = Callable[[Outcome], Awaitable[None] | None]


def base_row(
    path: str, sha256: str, version_id: str, st: os.stat_result, read_from_ns: int | None = None
) -> FileRecord:
    """The base row; `read_from_ns`: when reading the bytes behind `sha256` began (default:
    now, for callers that stat and read right before), see `snapshot.cacheable_mtime`."""
    read_from = time.time_ns() if read_from_ns is None else read_from_ns
    return FileRecord(
        path=path,
        base_sha256=sha256,
        base_version_id=version_id,
        base_size=st.st_size,
        base_mtime_ns=st.st_mtime_ns,
        local_size=st.st_size,
        local_mtime_ns=cacheable_mtime(st, read_from),
        local_inode=st.st_ino,
        local_sha256=sha256,
        status="synced",
    )
