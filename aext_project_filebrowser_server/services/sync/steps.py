"""The steps the executor's operations share: local hashes and checks, the verified
download into a temp file, the guarded rename into place, and the version check and lost
race recovery for a cloud that ignores preconditions."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from dataclasses import replace
from pathlib import Path

from ...cloud import client as cloud
from ...cloud.errors import PreconditionFailed
from ...crashpoints import crash_point
from . import lost_race
from .local_files import LocalChanged, move_into_place, resolve_inside, temp_path
from .outcome import Outcome, SyncTarget
from .snapshot import sha256_file

log = logging.getLogger(__name__)


def hash_or_none(path: Path) -> str | None:
    try:
        return sha256_file(path)
    except FileNotFoundError:
        return None


async def local_hash(path: Path) -> str | None:
    return await asyncio.to_thread(hash_or_none, path)


async def check_version(target: SyncTarget, path: str, expected: str | None) -> None:
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


async def after_unguarded_write(
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


async def fetch_verified(
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
    """`place`'s blocking part: check the target, rename (no fsync: see `make_durable`).
    The temp file is removed whenever it is not renamed: a refused target (a link leading
    out, a name the file system rejects) or a local change must not leave it behind."""
    try:
        local = resolve_inside(root, path)
        if hash_or_none(local) != expect_sha256:
            raise LocalChanged(f"{path!r} changed locally during the sync; it was left as it is")
        return move_into_place(temp, local, durable=False)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


async def place(
    target: SyncTarget, temp: Path, path: str, expect_sha256: str | None
) -> os.stat_result:
    """Rename `temp` over the local file `path` (its name on disk) only if it is still what
    the plan saw; the caller lists `target.root / path` in its Outcome's `placed`."""
    st = await asyncio.to_thread(_replace_if_unchanged, target.root, temp, path, expect_sha256)
    crash_point("after_rename")
    return st


def read_verified(path: Path, sha256: str) -> bytes:
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise LocalChanged(f"{path.name!r} changed locally during the sync; try again")
    return data


def stat_verified(path: Path, sha256: str) -> os.stat_result:
    """The file's stat, taken before checking it still hashes to `sha256` (so the stat cache
    can never pair a newer file's stat with an older hash)."""
    st = path.stat()
    if sha256_file(path) != sha256:
        raise LocalChanged(f"{path.name!r} changed locally during the sync; try again")
    return st


def write_temp(root: Path, data: bytes) -> Path:
    temp = temp_path(root)
    with temp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return temp
