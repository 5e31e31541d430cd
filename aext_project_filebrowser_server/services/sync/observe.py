"""Observe a project's three states (local snapshot, cloud listing, base) for planning.

The single place that gathers them, shared by the sync run, the dry-run plan and the
per-file status of the REST API. Stat-cache updates found by the snapshot are saved, so
the next look at an unchanged file costs one stat.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from ...cloud import client as cloud
from ...cloud.client import CloudClient
from ...cloud.errors import AuthRequired, CloudError, Forbidden, ProjectNotFound
from ...store import files as file_store
from ...store.engine import Database, read, write
from ...store.files import FileRecord
from .file_names import name_key
from .ignore import IgnoreRules
from .snapshot import SnapshotResult, take_snapshot
from .states import BaseFile, LocalSnapshot, RemoteListing
from .unsyncable import index_remote


@dataclass(frozen=True)
class Observation:
    local: LocalSnapshot
    remote: RemoteListing
    base: dict[str, BaseFile]
    rules: IgnoreRules
    records: dict[str, FileRecord]
    remote_error: CloudError | None


def base_of(records: dict[str, FileRecord]) -> dict[str, BaseFile]:
    """The base rows (paths both sides agreed on) among the store's file records, keyed
    like the other two states (`file_names.name_key`)."""
    return {
        name_key(path): BaseFile(
            path, r.base_sha256, r.base_version_id, r.base_size or 0, r.base_mtime_ns or 0
        )
        for path, r in records.items()
        if r.base_sha256 is not None and r.base_version_id is not None
    }


async def list_remote(
    client: CloudClient, project_id: str
) -> tuple[RemoteListing, CloudError | None]:
    """The complete cloud listing (keyed and sorted out by `unsyncable.index_remote`), or
    an incomplete one and the reason.

    Authentication and not-found errors are raised: they are answers, not outages.
    """
    try:
        listed = await cloud.list_files(client, project_id)
    except (AuthRequired, Forbidden, ProjectNotFound):
        raise
    except CloudError as exc:
        return RemoteListing({}, complete=False), exc
    return index_remote(listed), None


async def observe_project(
    db: Database, client: CloudClient, project_id: str, root: Path
) -> Observation:
    """List the cloud while the store is read and the folder snapshotted (network on one
    side, disk and CPU on the other), then read the base from the store's rows."""

    async def local_side() -> tuple[dict[str, FileRecord], SnapshotResult]:
        records = {r.path: r for r in await read(db, file_store.list_files, project_id)}
        return records, await asyncio.to_thread(take_snapshot, root, records)

    (records, result), (remote, error) = await asyncio.gather(
        local_side(), list_remote(client, project_id)
    )
    if result.cache_updates:
        await write(db, file_store.save_local_cache, project_id, result.cache_updates)
        records.update({r.path: r for r in result.cache_updates})
    return Observation(result.snapshot, remote, base_of(records), result.rules, records, error)
