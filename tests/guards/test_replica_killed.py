"""Suite 5: a cloud that died (the replica SIGKILLed) is an outage, not an empty project."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.cloud.replica.fixtures import (
    ReplicaFactory,
    ReplicaProcess,
    start_replica,
)
from aext_project_filebrowser_server.testing import (
    ALICE_KEY,
    Project,
    local_files,
    remote_files,
    run_over_ws,
    write_tree,
)

from .helpers import trashed_files

TREE = {f"notes/{i:02d}.md": f"note {i}\n".encode() for i in range(12)}


@pytest.fixture
def guard_cloud(replica_factory: ReplicaFactory) -> ReplicaProcess:
    """A replica of this test alone: it gets killed."""
    return replica_factory()


async def test_killed_cloud_deletes_nothing_locally_and_loses_nothing_remotely(
    make_project: Callable[[], Awaitable[Project]],
    jp_ws_fetch: Any,
    cloud_http: httpx.Client,
    guard_cloud: ReplicaProcess,
) -> None:
    project = await make_project()
    write_tree(project.root, TREE)
    assert (await run_over_ws(jp_ws_fetch, project.id, "push"))[-1]["type"] == "completed"
    guard_cloud.kill()

    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")

    assert messages[-1]["type"] == "failed", messages[-1]
    assert messages[-1]["code"] in ("cloud_unavailable", "remote_listing_incomplete")
    assert not any(m["type"] == "accepted" for m in messages)
    assert local_files(project.root) == TREE
    assert trashed_files(project.root) == []
    # The cloud comes back (same data, new port): every file is still there.
    revived = start_replica(guard_cloud.data_dir)
    try:
        with httpx.Client(
            base_url=revived.url, headers={"Authorization": f"Bearer {ALICE_KEY}"}, timeout=30
        ) as client:
            assert remote_files(client, project.id) == TREE
    finally:
        revived.stop()
