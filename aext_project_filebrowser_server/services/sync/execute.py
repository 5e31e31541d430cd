"""The executor: performs a Plan against the cloud and the project folder.

Every operation is journaled as pending before anything runs; several run at once
(bounded); each re-checks its preconditions right before it acts and never overwrites or
deletes what it did not expect. Finished operations are committed in small groups: the new
base rows and the journal entries in one transaction. A crash between a transfer and its
commit is harmless: on the next run both sides hold the same bytes and the planner records
the base (rows "changed, changed, equal bytes" and "new, new, equal" of DESIGN §5).

Downloads are verified in a temp file and renamed into place without an fsync each; the
files a group placed, and their folders, are fsynced together right before the group's
commit (`make_durable`), so a base row is still written only once its bytes are durable.
A power cut between a rename and that fsync can leave a placed file empty or old, with no
base recorded: the next run sees a local edit against a cloud change and keeps both
versions; the version replaced was the base, which the cloud keeps as a revision.

A notebook changed on both sides is first merged against its base revision
(`notebook_merge`); only when that cannot be done cleanly are both versions kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ...cloud import client as cloud
from ...cloud.client import CloudClient
from ...cloud.errors import (
    CloudError,
    FileNotFound,
    InvalidRequest,
    LocalFileChanged,
    PreconditionFailed,
)
from ...crashpoints import crash_point
from ...store import files as file_store
from ...store import journal
from ...store.engine import Database, write
from ...store.files import FileRecord
from . import lost_race
from .local_files import (
    LocalChanged,
    make_durable,
    move_aside,
    move_into_place,
    move_to_trash,
    resolve_inside,
    temp_path,
)
from .notebook_merge import Clash, Merged, Unmergeable, merge_notebooks, too_large
from .plan import (
    Conflict,
    DeleteRemote,
    Download,
    DropBase,
    Operation,
    Plan,
    RecordBase,
    TrashLocal,
    Upload,
)
from .snapshot import cacheable_mtime, sha256_file

COMMIT_EVERY = 64
log = logging.getLogger(__name__)


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


def _operation_bytes(op: Operation) -> int:
    if isinstance(op, Upload | Download):
        return op.size
    if isinstance(op, Conflict):
        return op.local_size + op.remote_size
    return 0


def _base(
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


def _hash_or_none(path: Path) -> str | None:
    try:
        return sha256_file(path)
    except FileNotFoundError:
        return None


async def _local_hash(path: Path) -> str | None:
    return await asyncio.to_thread(_hash_or_none, path)


async def _check_version(target: SyncTarget, path: str, expected: str | None) -> None:
    """With a cloud that ignores preconditions, do their job right before the write: the
    file must still be at `expected` (None: absent), else the write is stale (a conflict
    on re-planning, never an overwrite). A write landing between this read and ours is
    the window that remains (README: Guarantees)."""
    if target.guarded:
        return
    current = await cloud.current_version(target.client, target.project_id, path)
    if current != expected:
        raise PreconditionFailed(
            f"{path!r} changed in the cloud since the plan (version {current}, expected "
            f"{expected}); checked before writing, as this cloud ignores If-Match"
        )


def _stat_inside(root: Path, path: str) -> tuple[Path, os.stat_result]:
    local = resolve_inside(root, path)
    return local, local.stat()


async def _upload(target: SyncTarget, op: Upload) -> Outcome:
    read_from = time.time_ns()  # before the stat: the upload may take long (see `_base`)
    # One thread call: `resolve_inside` stats every path component, off the event loop.
    local, st = await asyncio.to_thread(_stat_inside, target.root, op.path)
    await _check_version(target, op.path, op.if_match)
    result = await cloud.upload_file(
        target.client,
        target.project_id,
        op.path,
        local,
        if_match=op.if_match,
        if_none_match=op.if_match is None,
        expected_sha256=op.sha256,
    )
    crash_point("after_upload")
    base = _base(op.path, op.sha256, result.file_version_id, st, read_from)
    done = Outcome(op, ok=True, bytes=op.size, saves=(base,))
    return await _after_unguarded_write(target, done, result.file_version_id, op.if_match)


async def _after_unguarded_write(
    target: SyncTarget, done: Outcome, ours: str | None, expected: str | None
) -> Outcome:
    """With a cloud that ignores preconditions: recover what our write replaced if it was
    not what we checked (see `lost_race`)."""
    if target.guarded:
        return done
    path = done.operation.path
    lost = await lost_race.replaced_by_us(target.client, target.project_id, path, ours, expected)
    if lost is None:
        return done
    copy, placed = await lost_race.recover(
        target.client, target.project_id, target.root, path, lost
    )
    log.warning("%s: %s (%s)", path, lost_race.NOTE, copy)
    return replace(
        done, placed=(*done.placed, placed), conflict_copy=copy, conflict_note=lost_race.NOTE
    )


async def _fetch_verified(
    target: SyncTarget, path: str, version_id: str, sha256: str | None
) -> tuple[Path, str]:
    """Download `version_id` into a temp file; returns it and the hash of what came, which
    must be `sha256` when the cloud listed one (a cloud without hashes is taken at its
    word, and the hash recorded is the one of the bytes received)."""
    temp = temp_path(target.root)
    # Not fsynced here: `make_durable` does it for the group, before its commit.
    result = await cloud.download_file(
        target.client, target.project_id, path, temp, version=version_id, durable=False
    )
    if sha256 is not None and result.sha256 != sha256:
        await asyncio.to_thread(temp.unlink, missing_ok=True)
        raise LocalChanged(f"cloud sent different bytes than listed for {path!r}")
    crash_point("after_temp_write")
    return temp, result.sha256


def _replace_if_unchanged(
    root: Path, temp: Path, path: str, expect_sha256: str | None
) -> os.stat_result:
    """`_place`'s blocking part: check the target, rename (no fsync: see `make_durable`).
    The temp file is removed whenever it is not renamed: a refused target (a link leading
    out, a name the file system rejects) or a local change must not leave it behind."""
    try:
        local = resolve_inside(root, path)
        if _hash_or_none(local) != expect_sha256:
            raise LocalChanged(f"{path!r} changed locally during the sync; it was left as it is")
        return move_into_place(temp, local, durable=False)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


async def _place(
    target: SyncTarget, temp: Path, path: str, expect_sha256: str | None
) -> os.stat_result:
    """Rename `temp` over `path` only if the local file is still what the plan saw; the
    caller lists `target.root / path` in its Outcome's `placed`."""
    st = await asyncio.to_thread(_replace_if_unchanged, target.root, temp, path, expect_sha256)
    crash_point("after_rename")
    return st


async def _download(target: SyncTarget, op: Download) -> Outcome:
    temp, sha256 = await _fetch_verified(target, op.path, op.version_id, op.sha256)
    st = await _place(target, temp, op.path, op.expect_local_sha256)
    return Outcome(
        op,
        ok=True,
        bytes=op.size,
        saves=(_base(op.path, sha256, op.version_id, st),),
        placed=(target.root / op.path,),
    )


async def _delete_remote(target: SyncTarget, op: DeleteRemote) -> Outcome:
    try:
        await _check_version(target, op.path, op.if_match)
        await cloud.delete_file(target.client, target.project_id, op.path, if_match=op.if_match)
    except FileNotFound:
        # Someone deleted it in the cloud meanwhile: the cloud moved on, like a 412 (it was
        # reported as a failed delete; found by the randomized worlds, seed 316).
        return _stale_remote(op)
    done = Outcome(op, ok=True, drops=(op.path,))
    return await _after_unguarded_write(target, done, None, op.if_match)


async def _trash_local(target: SyncTarget, op: TrashLocal) -> Outcome:
    local = resolve_inside(target.root, op.path)
    if await _local_hash(local) != op.expect_local_sha256:
        raise LocalChanged(f"{op.path!r} changed locally; it was not moved to the trash")
    await asyncio.to_thread(move_to_trash, target.root, op.path)
    return Outcome(op, ok=True, drops=(op.path,))


async def _record_base(target: SyncTarget, op: RecordBase) -> Outcome:
    local = resolve_inside(target.root, op.path)
    # Re-check the bytes: the base row pairs this stat with `op.sha256` in the stat cache, so
    # a file edited since it was planned would otherwise look unchanged to every later
    # snapshot and its edit would never sync (found by the randomized worlds, seed 19).
    try:
        st = await asyncio.to_thread(_stat_verified, local, op.sha256)
    except FileNotFoundError:
        raise LocalChanged(f"{op.path!r} was deleted locally during the sync") from None
    return Outcome(op, ok=True, saves=(_base(op.path, op.sha256, op.version_id, st),))


async def _drop_base(target: SyncTarget, op: DropBase) -> Outcome:
    return Outcome(op, ok=True, drops=(op.path,))


async def _conflict(target: SyncTarget, op: Conflict) -> Outcome:
    """Both sides changed: merge a notebook if nbdime can, otherwise keep both versions.
    Equal bytes on both sides (seen only now when the cloud lists no hashes) are no
    conflict: the base is recorded and nothing is copied."""
    local = resolve_inside(target.root, op.path)
    if await _local_hash(local) != op.local_sha256:
        raise LocalChanged(f"{op.path!r} changed locally during the sync; try again")
    remote, remote_sha256 = await _fetch_verified(
        target, op.path, op.remote_version_id, op.remote_sha256
    )
    try:
        if remote_sha256 == op.local_sha256:
            st = await asyncio.to_thread(_stat_verified, local, op.local_sha256)
            saves = (_base(op.path, op.local_sha256, op.remote_version_id, st),)
            return Outcome(op, ok=True, bytes=op.remote_size, saves=saves)
        fallback: Clash | Unmergeable | None = None
        if op.notebook and op.base_version_id is not None:
            result = too_large(op) or await _merge_notebook(
                target, op, local, remote, remote_sha256
            )
            if isinstance(result, Outcome):
                return result
            fallback = result
        return await _keep_both(target, op, remote, remote_sha256, fallback)
    finally:
        await asyncio.to_thread(remote.unlink, missing_ok=True)


async def _keep_both(
    target: SyncTarget,
    op: Conflict,
    remote: Path,
    remote_sha256: str,
    why: Clash | Unmergeable | None,
) -> Outcome:
    """The local content moves to the copy (and is uploaded), the cloud's keeps `path`."""
    copy = await asyncio.to_thread(move_aside, target.root, op.path, op.copy_path)
    st_path = await _place(target, remote, op.path, None)
    copy_stat = await asyncio.to_thread(copy.stat)
    await _check_version(target, op.copy_path, None)
    uploaded = await cloud.upload_file(
        target.client,
        target.project_id,
        op.copy_path,
        copy,
        if_none_match=True,
        expected_sha256=op.local_sha256,
    )
    saves = (
        _base(op.path, remote_sha256, op.remote_version_id, st_path),
        _base(op.copy_path, op.local_sha256, uploaded.file_version_id, copy_stat),
    )
    return Outcome(
        op,
        ok=True,
        bytes=op.local_size + op.remote_size,
        saves=saves,
        placed=(target.root / op.path,),
        conflict_copy=op.copy_path,
        clashing_cells=why.cells if isinstance(why, Clash) else (),
        conflict_note=_fallback_note(why),
    )


def _fallback_note(why: Clash | Unmergeable | None) -> str | None:
    if isinstance(why, Clash):
        return "the same cells changed on both sides: " + ", ".join(why.cells)
    if isinstance(why, Unmergeable):
        return f"the notebook could not be merged: {why.reason}"
    return None


def _read_verified(path: Path, sha256: str) -> bytes:
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise LocalChanged(f"{path.name!r} changed locally during the sync; try again")
    return data


def _stat_verified(path: Path, sha256: str) -> os.stat_result:
    """The file's stat, taken before checking it still hashes to `sha256` (so the stat cache
    can never pair a newer file's stat with an older hash)."""
    st = path.stat()
    if sha256_file(path) != sha256:
        raise LocalChanged(f"{path.name!r} changed locally during the sync; try again")
    return st


def _write_temp(root: Path, data: bytes) -> Path:
    temp = temp_path(root)
    with temp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return temp


async def _fetch_base(target: SyncTarget, op: Conflict) -> bytes | None:
    """The base revision's bytes, or None when the cloud no longer has it."""
    assert op.base_version_id is not None
    temp = await asyncio.to_thread(temp_path, target.root)
    try:
        await cloud.download_file(
            target.client,
            target.project_id,
            op.path,
            temp,
            version=op.base_version_id,
            durable=False,  # only read, then deleted
        )
        return await asyncio.to_thread(temp.read_bytes)
    except (FileNotFound, InvalidRequest):
        return None
    finally:
        await asyncio.to_thread(temp.unlink, missing_ok=True)


async def _merge_notebook(
    target: SyncTarget, op: Conflict, local: Path, remote: Path, remote_sha256: str
) -> Outcome | Clash | Unmergeable:
    """Three-way merge against the base revision; an Outcome when the merge was applied.

    The merge goes to the cloud first (`If-Match: remote version`, so a newer cloud edit is
    never overwritten: the operation turns stale and is re-planned), then replaces the local
    file only if it still holds what was merged.
    """
    base = await _fetch_base(target, op)
    if base is None:
        return Unmergeable("the base revision is no longer in the cloud")
    ours = await asyncio.to_thread(_read_verified, local, op.local_sha256)
    theirs = await asyncio.to_thread(remote.read_bytes)
    result = await asyncio.to_thread(merge_notebooks, base, ours, theirs)
    if not isinstance(result, Merged):
        return result
    merged_sha = hashlib.sha256(result.content).hexdigest()
    temp = await asyncio.to_thread(_write_temp, target.root, result.content)
    try:
        version = op.remote_version_id
        if merged_sha != remote_sha256:
            await _check_version(target, op.path, op.remote_version_id)
            uploaded = await cloud.upload_file(
                target.client,
                target.project_id,
                op.path,
                temp,
                if_match=op.remote_version_id,
                expected_sha256=merged_sha,
            )
            version = uploaded.file_version_id
        if merged_sha == op.local_sha256:  # the merge is our file: nothing to write here
            st = await asyncio.to_thread(_stat_verified, local, merged_sha)
        else:
            st = await _place(target, temp, op.path, op.local_sha256)
    finally:
        await asyncio.to_thread(temp.unlink, missing_ok=True)
    return Outcome(
        op,
        ok=True,
        bytes=len(result.content) + op.remote_size,
        saves=(_base(op.path, merged_sha, version, st),),
        placed=(target.root / op.path,),
        merged_notebook=True,
    )


_RUNNERS: dict[str, Callable[[SyncTarget, Any], Awaitable[Outcome]]] = {
    "upload": _upload,
    "download": _download,
    "delete_remote": _delete_remote,
    "trash_local": _trash_local,
    "record_base": _record_base,
    "drop_base": _drop_base,
    "conflict": _conflict,
}


def _stale_remote(op: Operation) -> Outcome:
    return Outcome(
        op,
        ok=False,
        stale=True,
        code="remote_changed",
        error="the cloud copy changed during the sync; it will be re-planned",
    )


async def run_operation(target: SyncTarget, op: Operation) -> Outcome:
    """Run one operation; every expected failure becomes an Outcome, never an exception."""
    try:
        return await _RUNNERS[op.kind](target, op)
    except PreconditionFailed:
        return _stale_remote(op)
    except (LocalChanged, LocalFileChanged) as exc:
        return Outcome(op, ok=False, stale=True, code="local_changed", error=str(exc))
    except FileNotFoundError as exc:
        # A local file deleted while its operation ran (between the plan's hash and a stat,
        # open, link or rename) is a local change to re-plan, not an error (found by the
        # randomized worlds, seeds 630, 677, 787).
        error = f"{op.path!r} was deleted locally during the sync ({exc.strerror})"
        return Outcome(op, ok=False, stale=True, code="local_changed", error=error)
    except CloudError as exc:
        return Outcome(op, ok=False, code=exc.code, error=str(exc))
    except (OSError, ValueError) as exc:
        return Outcome(op, ok=False, code="local_error", error=f"{type(exc).__name__}: {exc}")


def _commit(
    session: Session, project_id: str, outcomes: list[Outcome], ids: dict[int, int]
) -> None:
    saves = [row for o in outcomes if o.ok for row in o.saves]
    drops = [path for o in outcomes if o.ok for path in o.drops]
    file_store.save_files(session, project_id, saves)
    file_store.delete_files(session, project_id, drops)
    done = [ids[id(o.operation)] for o in outcomes if o.ok]
    failed = [ids[id(o.operation)] for o in outcomes if not o.ok]
    journal.finish_entries(session, done, "done")
    journal.finish_entries(session, failed, "failed")


def _journal_detail(op: Operation) -> dict[str, Any]:
    return {k: getattr(op, k) for k in op.__slots__ if k not in ("kind", "path")}


async def execute_plan(
    target: SyncTarget,
    plan: Plan,
    *,
    run_id: int | None,
    concurrency: int = 4,
    cancel: asyncio.Event | None = None,
    on_progress: ProgressCallback | None = None,
    on_conflict: ConflictCallback | None = None,
) -> ExecutionReport:
    """Run every operation of `plan`; returns when all finished or after a cancel."""
    operations = list(plan.operations)
    report = ExecutionReport()
    if not operations:
        return report
    entry_ids = await write(
        target.db,
        journal.add_entries,
        target.project_id,
        run_id,
        [(op.kind, op.path, _journal_detail(op)) for op in operations],
    )
    ids = {id(op): entry for op, entry in zip(operations, entry_ids, strict=True)}
    crash_point("after_journal")
    total_bytes = sum(_operation_bytes(op) for op in operations)
    queue: asyncio.Queue[Operation] = asyncio.Queue()
    for op in operations:
        queue.put_nowait(op)
    pending: list[Outcome] = []
    done_bytes = 0

    async def flush() -> None:
        batch = pending[:]
        pending.clear()
        if batch:
            placed = [path for o in batch if o.ok for path in o.placed]
            if placed:  # their bytes must be durable before their bases are recorded
                await asyncio.to_thread(make_durable, placed)
            await write(target.db, _commit, target.project_id, batch, ids)
            crash_point("after_commit")

    async def worker() -> None:
        nonlocal done_bytes
        while not queue.empty():
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                return
            op = queue.get_nowait()
            outcome = await run_operation(target, op)
            report.outcomes.append(outcome)
            pending.append(outcome)
            done_bytes += _operation_bytes(op)
            if len(pending) >= COMMIT_EVERY:
                await flush()
            if outcome.conflict_copy and on_conflict is not None:
                await _maybe_await(on_conflict(outcome))
            if on_progress is not None:
                progress = Progress(
                    len(report.outcomes), len(operations), done_bytes, total_bytes, op.path
                )
                await _maybe_await(on_progress(progress))

    try:
        await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    finally:
        try:
            await flush()
        except Exception:  # entries stay pending; the next run re-checks and adopts them
            log.exception("could not record finished sync operations")
    return report


async def _maybe_await(value: Awaitable[None] | None) -> None:
    if value is not None:
        await value
