"""A Jupyter server against a replica of its own (so tests may inject faults), and helpers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess, start_replica
from aext_project_filebrowser_server.context import AppContext
from aext_project_filebrowser_server.testing import (
    EXTENSION,
    Project,
    cloud_client,
    create_project,
    server_context,
    unique_name,
    write_tree,
)


@pytest.fixture(scope="module")
def faulty_replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplicaProcess]:
    """This module's own replica: its faults never reach other tests."""
    server = start_replica(tmp_path_factory.mktemp("history-replica") / "data")
    yield server
    server.stop()


@pytest.fixture
def set_faults(faulty_replica: ReplicaProcess) -> Iterator[Callable[[str], str]]:
    """Set a fault spec on this module's replica; cleared after the test."""
    yield faulty_replica.set_faults
    faulty_replica.set_faults("")


@pytest.fixture
def pfb_extension_config(
    pfb_db_path: Path, faulty_replica: ReplicaProcess, tmp_path: Path
) -> dict[str, Any]:
    return {
        "db_url": f"sqlite:///{pfb_db_path}",
        "cloud_url": faulty_replica.url,
        "cloud_api_key": "demo-alice-key",
        "cloud_retry_attempts": 2,
        "server_name": "lab-server",
        "projects_root": str(tmp_path / "projects-root"),
        "watch_folders": False,
    }


@pytest.fixture
def cloud_http(faulty_replica: ReplicaProcess) -> Iterator[httpx.Client]:
    """Alice talking to the replica directly, as another Jupyter server would."""
    with cloud_client(faulty_replica.url) as client:
        yield client


@pytest.fixture
def context(jp_serverapp: Any) -> AppContext:
    return server_context(jp_serverapp)


@pytest.fixture
def make_project(
    jp_serverapp: Any, cloud_http: httpx.Client, tmp_path: Path
) -> Callable[[dict[str, bytes]], Awaitable[Project]]:
    """A new cloud project with its local folder (holding `files`) and store row."""

    async def make(files: dict[str, bytes]) -> Project:
        name = unique_name("h")
        root = tmp_path / "folders" / name
        project = await create_project(jp_serverapp, cloud_http, name, root)
        write_tree(root, files)
        return project

    return make


def put_remote(client: httpx.Client, project_id: str, path: str, data: bytes) -> str:
    """Replace the cloud file as another server would: If-Match its current version."""
    listing = client.get(f"/api/projects/{project_id}/files", params={"limit": 1000}).json()
    current = next(i["file_version_id"] for i in listing["items"] if i["path"] == path)
    answer = client.put(
        f"/api/projects/{project_id}/files/{path}",
        files={"files": (path.rsplit("/", 1)[-1], data)},
        headers={"If-Match": current},
    )
    assert answer.status_code in (200, 201), answer.text
    version: str = answer.json()["file_version_id"]
    return version


def older_revisions(client: httpx.Client, project_id: str, path: str) -> list[bytes]:
    """The bytes of every revision of a cloud file that is not its current one."""
    answer = client.get(f"/api/projects/{project_id}/files/{path}/versions")
    assert answer.status_code == 200, answer.text
    contents = []
    for item in answer.json()["items"][1:]:
        if item.get("deleted"):
            continue
        fetched = client.get(
            f"/api/projects/{project_id}/files/{path}",
            params={"version": item["file_version_id"]},
        )
        assert fetched.status_code == 200, fetched.text
        contents.append(fetched.content)
    return contents


def trashed(root: Path) -> dict[str, bytes]:
    """Everything in the project's trash, by path inside the dated trash folder."""
    trash = root / ".aext-project" / "trash"
    return {
        p.relative_to(trash).as_posix().split("/", 1)[1]: p.read_bytes()
        for p in sorted(trash.rglob("*"))
        if p.is_file()
    }


async def wait_for_request(context: AppContext, request_id: str | None) -> None:
    """Wait until a background sync started by the server (e.g. after resolve) ends."""
    if request_id is None:
        return
    running = context.syncs.for_request(request_id)
    if running is not None and running.task is not None:
        await asyncio.wait_for(asyncio.shield(running.task), 60)


async def api(
    jp_fetch: Any, method: str, *parts: str, body: Any = None, **kw: Any
) -> tuple[int, Any]:
    """Call the extension's REST API; returns (status, decoded JSON)."""
    payload = json.dumps(body) if body is not None else (b"" if method == "POST" else None)
    response = await jp_fetch(
        EXTENSION, *parts, method=method, body=payload, raise_error=False, **kw
    )
    return response.code, json.loads(response.body) if response.body else None
