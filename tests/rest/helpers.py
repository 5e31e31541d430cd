"""Small helpers for the REST tests: a JSON client for the extension, and cloud access."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aext_project_filebrowser_server.cloud import client as cc

EXT = "aext_project_filebrowser_server"
ALICE_ID = "a11ce000-0000-4000-8000-000000000001"
BOB_ID = "b0b00000-0000-4000-8000-000000000002"
FAST = cc.RetryPolicy(attempts=3, timeout=10.0, wait_initial=0.01, wait_max=0.05, wait_jitter=0.01)


@dataclass(frozen=True)
class Reply:
    code: int
    headers: Any
    body: Any

    @property
    def error_code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None


@dataclass(frozen=True)
class Api:
    """Calls `{base_url}aext_project_filebrowser_server/...` and decodes JSON; never raises."""

    fetch: Any

    async def call(
        self,
        method: str,
        *parts: str,
        body: Any = None,
        raw: bytes | str | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        payload: bytes | str | None = raw
        if body is not None:
            payload = json.dumps(body)
        if payload is None and method in ("POST", "PATCH", "PUT"):
            payload = b""
        response = await self.fetch(
            EXT,
            *parts,
            method=method,
            body=payload,
            params=params,
            headers=headers,
            raise_error=False,
            allow_nonstandard_methods=True,
        )
        text = response.body.decode() if response.body else ""
        return Reply(response.code, response.headers, json.loads(text) if text else None)

    async def get(self, *parts: str, **kw: Any) -> Reply:
        return await self.call("GET", *parts, **kw)

    async def post(self, *parts: str, **kw: Any) -> Reply:
        return await self.call("POST", *parts, **kw)

    async def create(self, title: str, **extra: Any) -> dict[str, Any]:
        reply = await self.post("projects", body={"title": title, **extra})
        assert reply.code == 201, reply.body
        project: dict[str, Any] = reply.body
        return project

    async def wait_idle(self, project_id: str, timeout: float = 20.0) -> dict[str, Any]:
        """Poll until no sync of the project runs; returns the project with its summary."""
        deadline = time.monotonic() + timeout
        while True:
            listed = await self.get("projects")
            project = next(p for p in listed.body["projects"] if p["id"] == project_id)
            if not project["sync"]["sync_running"]:
                return dict(project)
            assert time.monotonic() < deadline, "the sync did not finish"
            await asyncio.sleep(0.05)


@asynccontextmanager
async def cloud_as(url: str, key: str) -> AsyncIterator[cc.CloudClient]:
    async with cc.open_cloud_client(url, key, retry_policy=FAST) as client:
        yield client


def slug(prefix: str = "rest") -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def put_file(
    client: cc.CloudClient, project_id: str, path: str, content: bytes, tmp: Path
) -> str:
    """Upload `content` as a new revision of `path`; returns its version id."""
    source = tmp / f"upload-{secrets.token_hex(4)}"
    source.write_bytes(content)
    try:
        result = await cc.upload_file(client, project_id, path, source)
    finally:
        source.unlink()
    return result.file_version_id


def stored_row(db_path: Path, project_id: str) -> dict[str, Any] | None:
    """The raw `projects` row, read with sqlite3 (not through the store's code)."""
    with sqlite3.connect(db_path) as connection:
        connection.row_factory = sqlite3.Row
        row = connection.execute("SELECT * FROM projects WHERE id = ?", (project_id,)).fetchone()
    connection.close()
    return dict(row) if row else None


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path → bytes)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
