"""Both sides of a project listed byte for byte, and a sync driven over the WebSocket."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

EXT = "aext_project_filebrowser_server"
ALICE_KEY = "demo-alice-key"


@dataclass(frozen=True)
class Project:
    id: str
    root: Path


def write_tree(root: Path, tree: dict[str, bytes]) -> None:
    for rel, data in tree.items():
        target = root / rel
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


def remote_files(client: httpx.Client, project_id: str) -> dict[str, bytes]:
    """The cloud side, read straight from the replica (not through the extension)."""
    answer = client.get(f"/api/projects/{project_id}/files", params={"limit": 1000})
    assert answer.status_code == 200, answer.text
    listing = answer.json()
    assert not listing.get("next_page_url")
    return {
        item["path"]: client.get(f"/api/projects/{project_id}/files/{item['path']}").content
        for item in listing["items"]
    }


async def run_over_ws(
    jp_ws_fetch: Any, project_id: str, kind: str = "sync", **extra: Any
) -> list[dict[str, Any]]:
    """Send one request over the WebSocket; the messages of that request until it ends."""
    ws = await jp_ws_fetch(EXT, "ws")
    request_id = uuid.uuid4().hex
    body = {"type": kind, "request_id": request_id, "project_id": project_id, **extra}
    ws.write_message(json.dumps(body))
    messages = []
    try:
        while True:
            raw = await ws.read_message()
            assert raw is not None, "socket closed early"
            reply = json.loads(raw)
            if reply.get("request_id") == request_id:
                messages.append(reply)
                if reply["type"] in ("completed", "failed"):
                    return messages
    finally:
        ws.close()
