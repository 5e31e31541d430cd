"""A Jupyter server whose extension syncs with a replica of its own (faults may be set on it)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess, start_replica
from aext_project_filebrowser_server.context import AppContext
from aext_project_filebrowser_server.schemas.projects import CloudProject, local_from_cloud
from aext_project_filebrowser_server.services.sync.local_files import write_marker
from aext_project_filebrowser_server.services.sync.snapshot import marker_path
from aext_project_filebrowser_server.store import projects as project_store
from aext_project_filebrowser_server.store.engine import write

from .helpers import ALICE_KEY, Project


@pytest.fixture(scope="module")
def guard_replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplicaProcess]:
    """One replica per test module: these tests set faults, so never the session's."""
    server = start_replica(tmp_path_factory.mktemp("guard-replica") / "data")
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
    with httpx.Client(
        base_url=guard_cloud.url, headers={"Authorization": f"Bearer {ALICE_KEY}"}, timeout=30
    ) as client:
        yield client


@pytest.fixture
def make_project(
    jp_serverapp: Any, cloud_http: httpx.Client, tmp_path: Path
) -> Callable[[], Awaitable[Project]]:
    """A new cloud project plus its local folder, marker and store row."""

    async def make() -> Project:
        name = f"g-{uuid.uuid4().hex[:12]}"
        answer = cloud_http.post("/api/projects", json={"title": name, "name": name})
        assert answer.status_code == 201, answer.text
        cloud = CloudProject.model_validate(answer.json())
        root = tmp_path / "folders" / name
        root.mkdir(parents=True)
        write_marker(marker_path(root), cloud.id)
        context: AppContext = jp_serverapp.web_app.settings["pfb_context"]
        assert context.db is not None
        await write(context.db, project_store.insert_project, local_from_cloud(cloud, str(root)))
        return Project(cloud.id, root)

    return make
