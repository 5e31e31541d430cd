"""Running a `Conflict`: both sides changed the file to different bytes.

A notebook is first merged three-way against its base revision (`notebook_merge`); only
when that cannot be done cleanly are both versions kept: the cloud's keeps the path, the
local one moves to the conflict copy and is uploaded there. Equal bytes on both sides
(seen only now when the cloud lists no hashes) are no conflict: the base is recorded.
Local steps use the name on disk (`plan.on_disk`), cloud steps the cloud's name.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from ...cloud import client as cloud
from ...cloud.errors import FileNotFound, InvalidRequest
from .local_files import LocalChanged, move_aside, resolve_inside, temp_path
from .notebook_merge import Clash, Merged, Unmergeable, merge_notebooks, too_large
from .outcome import Outcome, SyncTarget, base_row
from .plan import Conflict, on_disk
from .steps import (
    check_version,
    fetch_verified,
    local_hash,
    place,
    read_verified,
    stat_verified,
    write_temp,
)


async def run_conflict(target: SyncTarget, op: Conflict) -> Outcome:
    """Merge a notebook if nbdime can, otherwise keep both versions."""
    local = resolve_inside(target.root, on_disk(op))
    if await local_hash(local) != op.local_sha256:
        raise LocalChanged(f"{op.path!r} changed locally during the sync; try again")
    remote, remote_sha256 = await fetch_verified(
        target, op.path, op.remote_version_id, op.remote_sha256
    )
    try:
        if remote_sha256 == op.local_sha256:
            st = await asyncio.to_thread(stat_verified, local, op.local_sha256)
            saves = (base_row(op.path, op.local_sha256, op.remote_version_id, st),)
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
    copy = await asyncio.to_thread(move_aside, target.root, on_disk(op), op.copy_path)
    st_path = await place(target, remote, on_disk(op), None)
    copy_stat = await asyncio.to_thread(copy.stat)
    await check_version(target, op.copy_path, None)
    uploaded = await cloud.upload_file(
        target.client,
        target.project_id,
        op.copy_path,
        copy,
        if_none_match=True,
        expected_sha256=op.local_sha256,
    )
    saves = (
        base_row(op.path, remote_sha256, op.remote_version_id, st_path),
        base_row(op.copy_path, op.local_sha256, uploaded.file_version_id, copy_stat),
    )
    return Outcome(
        op,
        ok=True,
        bytes=op.local_size + op.remote_size,
        saves=saves,
        placed=(target.root / on_disk(op),),
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
    ours = await asyncio.to_thread(read_verified, local, op.local_sha256)
    theirs = await asyncio.to_thread(remote.read_bytes)
    result = await asyncio.to_thread(merge_notebooks, base, ours, theirs)
    if not isinstance(result, Merged):
        return result
    merged_sha = hashlib.sha256(result.content).hexdigest()
    temp = await asyncio.to_thread(write_temp, target.root, result.content)
    try:
        version = op.remote_version_id
        if merged_sha != remote_sha256:
            await check_version(target, op.path, op.remote_version_id)
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
            st = await asyncio.to_thread(stat_verified, local, merged_sha)
        else:
            st = await place(target, temp, on_disk(op), op.local_sha256)
    finally:
        await asyncio.to_thread(temp.unlink, missing_ok=True)
    return Outcome(
        op,
        ok=True,
        bytes=len(result.content) + op.remote_size,
        saves=(base_row(op.path, merged_sha, version, st),),
        placed=(target.root / on_disk(op),),
        merged_notebook=True,
    )
