"""A Jupyter server with the extension pointed at a real replica, and a project to sync."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.context import AppContext
from aext_project_filebrowser_server.schemas.projects import CloudProject, local_from_cloud
from aext_project_filebrowser_server.services.sync.local_files import write_marker
from aext_project_filebrowser_server.services.sync.snapshot import marker_path
from aext_project_filebrowser_server.store import projects as project_store
from aext_project_filebrowser_server.store.engine import write


@pytest.fixture
def pfb_extension_config(pfb_db_path: Path, replica: Any, tmp_path: Path) -> dict[str, Any]:
    return {
        "db_url": f"sqlite:///{pfb_db_path}",
        "cloud_url": replica.url,
        "cloud_api_key": "demo-alice-key",
        "cloud_retry_attempts": 4,
        "server_name": "lab-server",
        "projects_root": str(tmp_path / "projects-root"),
    }


@pytest.fixture
def cloud_http(replica: Any) -> Iterator[httpx.Client]:
    """Alice talking to the replica directly, as another client would."""
    with httpx.Client(
        base_url=replica.url, headers={"Authorization": "Bearer demo-alice-key"}, timeout=30
    ) as client:
        yield client


@dataclass(frozen=True)
class Project:
    id: str
    root: Path


def server_context(jp_serverapp: Any) -> AppContext:
    context: AppContext = jp_serverapp.web_app.settings["pfb_context"]
    return context


@pytest.fixture
def make_project(
    jp_serverapp: Any, cloud_http: httpx.Client, tmp_path: Path
) -> Callable[[], Awaitable[Project]]:
    """A new cloud project plus its local folder and store row (what POST projects does)."""

    async def make() -> Project:
        name = f"t-{uuid.uuid4().hex[:12]}"
        answer = cloud_http.post("/api/projects", json={"title": name, "name": name})
        assert answer.status_code == 201, answer.text
        cloud = CloudProject.model_validate(answer.json())
        root = tmp_path / "folders" / name
        root.mkdir(parents=True)
        write_marker(marker_path(root), cloud.id)
        context = server_context(jp_serverapp)
        assert context.db is not None
        await write(context.db, project_store.insert_project, local_from_cloud(cloud, str(root)))
        return Project(cloud.id, root)

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


def remote_files(client: httpx.Client, project_id: str) -> dict[str, bytes]:
    listing = client.get(f"/api/projects/{project_id}/files", params={"limit": 1000}).json()
    return {
        item["path"]: client.get(f"/api/projects/{project_id}/files/{item['path']}").content
        for item in listing["items"]
    }


def local_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".aext-project" not in p.relative_to(root).parts
    }


async def run_over_ws(
    jp_ws_fetch: Any, project_id: str, kind: str = "sync", **extra: Any
) -> list[dict[str, Any]]:
    """Send one request over the WebSocket and collect messages until it ends."""
    ws = await jp_ws_fetch("aext_project_filebrowser_server", "ws")
    request_id = uuid.uuid4().hex
    ws.write_message(
        json.dumps({"type": kind, "request_id": request_id, "project_id": project_id, **extra})
    )
    messages = []
    while True:
        raw = await ws.read_message()
        assert raw is not None, "socket closed early"
        message = json.loads(raw)
        if message.get("request_id") == request_id or message["type"] == "project_changed":
            messages.append(message)
        if message.get("request_id") == request_id and message["type"] in ("completed", "failed"):
            break
    ws.close()
    return messages
