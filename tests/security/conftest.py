"""A Jupyter server whose extension talks to a replica of this module alone (the fuzzers
create many projects and may set faults; the session replica stays clean)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess, start_replica
from aext_project_filebrowser_server.context import AppContext
from aext_project_filebrowser_server.schemas.projects import CloudProject, local_from_cloud
from aext_project_filebrowser_server.store import projects as project_store
from aext_project_filebrowser_server.store.engine import write
from aext_project_filebrowser_server.testing import (
    ALICE_KEY,
    Project,
    cloud_client,
    create_project,
    unique_name,
)


@pytest.fixture(scope="module")
def security_replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplicaProcess]:
    server = start_replica(tmp_path_factory.mktemp("security-replica") / "data")
    yield server
    server.stop()


@pytest.fixture
def security_cloud_url(security_replica: ReplicaProcess) -> str:
    """Where the extension's cloud is; modules with their own (malicious) cloud override it."""
    return security_replica.url


@pytest.fixture
def projects_root(tmp_path: Path) -> Path:
    return tmp_path / "projects-root"


@pytest.fixture
def pfb_extension_config(
    pfb_db_path: Path, security_cloud_url: str, projects_root: Path
) -> dict[str, Any]:
    return {
        "db_url": f"sqlite:///{pfb_db_path}",
        "cloud_url": security_cloud_url,
        "cloud_api_key": ALICE_KEY,
        "cloud_retry_attempts": 2,
        "cloud_timeout": 5.0,
        "server_name": "security-lab",
        "projects_root": str(projects_root),
        "watch_folders": False,
    }


@pytest.fixture
def cloud_http(security_replica: ReplicaProcess) -> Iterator[httpx.Client]:
    with cloud_client(security_replica.url) as client:
        yield client


def insert_project(jp_serverapp: Any, cloud: CloudProject, root: Path) -> Awaitable[None]:
    """The store row of a project whose folder is `root` (what POST projects would write)."""
    context: AppContext = jp_serverapp.web_app.settings["pfb_context"]
    assert context.db is not None
    return write(context.db, project_store.insert_project, local_from_cloud(cloud, str(root)))


@pytest.fixture
def make_project(
    jp_serverapp: Any, cloud_http: httpx.Client, tmp_path: Path
) -> Callable[[], Awaitable[Project]]:
    """A new cloud project (in the module's replica) with its folder, marker and row."""

    async def make() -> Project:
        # Each project alone in its folder, named `proj`, so tests can put a sibling whose
        # name starts with it (`proj-evil`) right next to it.
        name = unique_name("s")
        root = tmp_path / "folders" / name / "proj"
        return await create_project(jp_serverapp, cloud_http, name, root)

    return make
