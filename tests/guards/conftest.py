"""A Jupyter server whose extension syncs with a replica of its own (faults may be set on it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess, start_replica
from aext_project_filebrowser_server.testing import (
    ALICE_KEY,
    Project,
    cloud_client,
    create_project,
    unique_name,
)


@pytest.fixture(scope="module", params=["ours", "evidence"])
def guard_replica(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ReplicaProcess]:
    """One replica per test module and dialect (see `cloud.replica.dialect`): these tests
    set faults, so never the session's."""
    where = tmp_path_factory.mktemp(f"guard-replica-{request.param}") / "data"
    server = start_replica(where, dialect=request.param)
    yield server
    server.stop()


@pytest.fixture
def guard_cloud(guard_replica: ReplicaProcess) -> Iterator[ReplicaProcess]:
    """The replica the server talks to in a test, its faults cleared afterwards."""
    yield guard_replica
    if guard_replica.process.poll() is None:
        guard_replica.set_faults("")


@pytest.fixture
def pfb_extension_config(
    pfb_db_path: Path, guard_cloud: ReplicaProcess, tmp_path: Path
) -> dict[str, Any]:
    return {
        "db_url": f"sqlite:///{pfb_db_path}",
        "cloud_url": guard_cloud.url,
        "cloud_api_key": ALICE_KEY,
        "cloud_retry_attempts": 2,
        "cloud_timeout": 5.0,
        "server_name": "guard-lab",
        "projects_root": str(tmp_path / "projects-root"),
        "watch_folders": False,
    }


@pytest.fixture
def cloud_http(guard_cloud: ReplicaProcess) -> Iterator[httpx.Client]:
    """Alice talking to the replica directly, as another client would."""
    with cloud_client(guard_cloud.url) as client:
        yield client


@pytest.fixture
def make_project(
    jp_serverapp: Any, cloud_http: httpx.Client, tmp_path: Path
) -> Callable[[], Awaitable[Project]]:
    """A new cloud project plus its local folder, marker and store row."""

    async def make() -> Project:
        name = unique_name("g")
        return await create_project(jp_serverapp, cloud_http, name, tmp_path / "folders" / name)

    return make
