"""Helpers for tests that drive the extension end to end: a project on both sides, each side
listed byte for byte, a sync request over the WebSocket.

They live in the package, next to `pytest_plugin`, so that every test folder (and code that
embeds the extension) uses one version instead of a copy per folder.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .context import AppContext
from .schemas.files import CloudFile
from .schemas.projects import CloudProject, local_from_cloud
from .services.sync.local_files import write_marker
from .services.sync.snapshot import marker_path
from .store import projects as project_store
from .store.engine import write

EXTENSION = "aext_project_filebrowser_server"
ALICE_KEY = "demo-alice-key"  # a user of the replica's demo seed


@dataclass(frozen=True)
class Project:
    id: str
    root: Path


def server_context(jp_serverapp: Any) -> AppContext:
    """The extension's context inside a running (test) Jupyter server."""
    context: AppContext = jp_serverapp.web_app.settings["pfb_context"]
    return context


def cloud_client(url: str, key: str = ALICE_KEY) -> httpx.Client:
    """A user talking to the cloud (the replica) directly, as another client would."""
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def create_project(jp_serverapp: Any, cloud: httpx.Client, name: str, root: Path) -> Project:
    """A new cloud project named `name`, its folder `root` with the marker, and its store row:
    what `POST projects` does, without going through the REST API under test. (Blocking
    calls are fine here: the test's own loop waits for nothing else meanwhile.)"""
    body = {"title": name, "name": name}
    answer = cloud.post("/api/projects", json=body)  # noqa: ASYNC212
    assert answer.status_code == 201, answer.text
    created = CloudProject.model_validate(answer.json())
    root.mkdir(parents=True)  # noqa: ASYNC240
    write_marker(marker_path(root), created.id)
    context = server_context(jp_serverapp)
    assert context.db is not None
    await write(context.db, project_store.insert_project, local_from_cloud(created, str(root)))
    return Project(created.id, root)


def write_tree(root: Path, tree: dict[str, bytes]) -> None:
    for relative, data in tree.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def local_files(root: Path) -> dict[str, bytes]:
    """Every user file in the folder (the extension's own folder left out)."""
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".aext-project" not in p.relative_to(root).parts
    }


def remote_versions(client: httpx.Client, project_id: str) -> dict[str, str]:
    """Path → current file version id, read straight from the replica in either dialect
    (our listing shape or the real product's file model)."""
    answer = client.get(f"/api/projects/{project_id}/files", params={"limit": 1000})
    assert answer.status_code == 200, answer.text
    listing = answer.json()
    assert not listing.get("next_page_url"), "more than one page: raise the limit"
    files = (CloudFile.model_validate(item) for item in listing["items"])
    return {f.path: f.file_version_id for f in files if f.type == "file"}


def remote_bytes(client: httpx.Client, project_id: str, path: str) -> bytes:
    """One cloud file's bytes; a redirect to storage is followed without the API key."""
    answer = client.get(f"/api/projects/{project_id}/files/{path}")
    if answer.is_redirect:
        answer = httpx.get(str(answer.url.join(answer.headers["Location"])), timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.content


def remote_files(client: httpx.Client, project_id: str) -> dict[str, bytes]:
    """The cloud side, read straight from the replica (not through the extension)."""
    return {
        path: remote_bytes(client, project_id, path) for path in remote_versions(client, project_id)
    }


async def run_over_ws(
    jp_ws_fetch: Any,
    project_id: str,
    kind: str = "sync",
    *,
    cancel_when_accepted: bool = False,
    timeout: float = 120,
    **extra: Any,
) -> list[dict[str, Any]]:
    """Send one request over the WebSocket; the messages of that request until it ends.
    `cancel_when_accepted` cancels the run as soon as the server accepts it."""
    ws = await jp_ws_fetch(EXTENSION, "ws")
    request_id = uuid.uuid4().hex
    body = {"type": kind, "request_id": request_id, "project_id": project_id, **extra}
    ws.write_message(json.dumps(body))
    messages = []
    try:
        while True:
            raw = await asyncio.wait_for(ws.read_message(), timeout)
            assert raw is not None, "socket closed early"
            reply = json.loads(raw)
            if reply.get("request_id") != request_id:
                continue
            messages.append(reply)
            if reply["type"] == "accepted" and cancel_when_accepted:
                ws.write_message(json.dumps({"type": "cancel", "request_id": request_id}))
            if reply["type"] in ("completed", "failed"):
                return messages
    finally:
        ws.close()
