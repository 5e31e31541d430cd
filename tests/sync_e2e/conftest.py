"""A Jupyter server with the extension pointed at a real replica, and a project to sync."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.testing import (
    Project,
    cloud_client,
    create_project,
    unique_name,
)


@pytest.fixture
def pfb_extension_config(pfb_db_path: Path, dialect_replica: Any, tmp_path: Path) -> dict[str, Any]:
    return {
        "db_url": f"sqlite:///{pfb_db_path}",
        "cloud_url": dialect_replica.url,
        "cloud_api_key": "demo-alice-key",
        "cloud_retry_attempts": 4,
        "server_name": "lab-server",
        "projects_root": str(tmp_path / "projects-root"),
    }


@pytest.fixture
def cloud_http(dialect_replica: Any) -> Iterator[httpx.Client]:
    """Alice talking to the replica directly, as another client would."""
    with cloud_client(dialect_replica.url) as client:
        yield client


@pytest.fixture
def make_project(
    jp_serverapp: Any, cloud_http: httpx.Client, tmp_path: Path
) -> Callable[[], Awaitable[Project]]:
    """A new cloud project plus its local folder and store row (what POST projects does)."""

    async def make() -> Project:
        name = unique_name("t")
        return await create_project(jp_serverapp, cloud_http, name, tmp_path / "folders" / name)

    return make


def put_remote(
    client: httpx.Client, project_id: str, path: str, data: bytes, **headers: str
) -> str:
    answer = client.put(
        f"/api/projects/{project_id}/files/{path}",
        files={"files": (path.rsplit("/", 1)[-1], data)},
        headers=headers,
    )
    assert answer.status_code in (200, 201), answer.text
    version: str = answer.json()["file_version_id"]
    return version
