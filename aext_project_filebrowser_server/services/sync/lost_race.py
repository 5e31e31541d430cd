"""After a write to a cloud that ignores preconditions: did it replace a version someone
else wrote in the moment between our version check and our write?

The check right before each write (`steps.check_version`) leaves a window: a write
landing between that read and ours is replaced without a 412. Where the cloud reveals what
a write replaced (a version listing: the revision right below ours), a replaced revision
that is not the one we checked is a lost race. It is not lost data: the cloud keeps it, and
`?version=` (firm evidence) reads it back, so it is downloaded into a conflict copy next to
the file, named after its author. The next sync uploads the copy like any new local file.
A cloud with no version listing reveals nothing; that remaining risk is in the README's
Guarantees.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timezone
from pathlib import Path

from ...cloud import client as cloud
from ...cloud.errors import InvalidRequest, NotFound
from ...schemas.files import CloudFileVersion
from .local_files import move_into_place, resolve_inside, temp_path
from .names import conflict_copy_path

NOTE = (
    "another write reached the cloud between our version check and our write (this cloud "
    "ignores If-Match); the version it replaced was recovered into this copy"
)


async def replaced_by_us(
    client: cloud.CloudClient, project_id: str, path: str, ours: str | None, expected: str | None
) -> CloudFileVersion | None:
    """The revision our write replaced, when it is not `expected` (None: the path was to
    be absent). `ours`: our revision's id; None for a delete (our tombstone is newest)."""
    try:
        versions = await cloud.list_file_versions(client, project_id, path)
    except (NotFound, InvalidRequest):
        return None  # this cloud does not reveal what a write replaced
    ids = [v.file_version_id for v in versions]
    if ours is not None:
        if ours not in ids:
            return None
        below = versions[ids.index(ours) + 1 :]
    else:
        below = versions[1:] if versions and versions[0].deleted else []
    replaced = below[0] if below else None
    if replaced is None or replaced.deleted or replaced.file_version_id == expected:
        return None
    return replaced


def _copy_name(root: Path, path: str, who: str, when: datetime) -> str:
    folder = resolve_inside(root, path).parent
    taken = {f"{path.rpartition('/')[0]}/{n}".lstrip("/") for n in os.listdir(folder)}
    return conflict_copy_path(path, who, "the cloud", when, taken | {path})


async def recover(
    client: cloud.CloudClient, project_id: str, root: Path, path: str, lost: CloudFileVersion
) -> tuple[str, Path]:
    """Download the replaced revision into a conflict copy; (copy path, placed file)."""
    when = lost.last_modified or datetime.now(timezone.utc)
    copy = await asyncio.to_thread(_copy_name, root, path, lost.author or "someone", when)
    temp = await asyncio.to_thread(temp_path, root)
    try:
        await cloud.download_file(
            client, project_id, path, temp, version=lost.file_version_id, durable=False
        )
        target = await asyncio.to_thread(resolve_inside, root, copy)
        await asyncio.to_thread(move_into_place, temp, target, durable=False)
    finally:
        await asyncio.to_thread(temp.unlink, missing_ok=True)
    return copy, root / copy
