"""What the guard suites add to `aext_project_filebrowser_server.testing`."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx


def trashed_files(root: Path) -> list[str]:
    trash = root / ".aext-project" / "trash"
    return sorted(p.relative_to(trash).as_posix() for p in trash.rglob("*") if p.is_file())


def delete_remote(client: httpx.Client, project_id: str, path: str) -> None:
    answer = client.delete(f"/api/projects/{project_id}/files/{path}")
    assert answer.status_code in (200, 204), answer.text


def sync_message(project_id: str, kind: str = "sync", **extra: Any) -> tuple[str, str]:
    request_id = uuid.uuid4().hex
    body = {"type": kind, "request_id": request_id, "project_id": project_id, **extra}
    return request_id, json.dumps(body)
