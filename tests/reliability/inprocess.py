"""The sync engine in this test process, on a store file a Jupyter child process also uses.

`open_engine(...)` builds the same `AppContext` the extension builds at start-up (open the
store, migrate, recover interrupted journal entries, a cloud client, an event bus, a sync
registry) without Tornado, so the crash tests can prepare projects and bases quickly, and
`close_engine(...)` releases the store before a child process opens it. `sync_once(...)`
runs one push/pull/sync through `start_sync` and returns the messages a WebSocket client
would have received.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from aext_project_filebrowser_server.cloud.client import aclose, make_cloud_client
from aext_project_filebrowser_server.context import AppContext, Settings
from aext_project_filebrowser_server.schemas.auto_sync import AutoSyncBody
from aext_project_filebrowser_server.schemas.projects import CloudProject, local_from_cloud
from aext_project_filebrowser_server.services.events import EventBus
from aext_project_filebrowser_server.services.recovery import recover_interrupted
from aext_project_filebrowser_server.services.running import SyncRegistry
from aext_project_filebrowser_server.services.sync.local_files import write_marker
from aext_project_filebrowser_server.services.sync.run import start_sync
from aext_project_filebrowser_server.services.sync.snapshot import marker_path
from aext_project_filebrowser_server.store import auto_sync as auto_store
from aext_project_filebrowser_server.store import projects as project_store
from aext_project_filebrowser_server.store.engine import (
    close_database,
    open_database,
    write,
    write_sync,
)
from aext_project_filebrowser_server.store.migrate import upgrade_if_needed

ALICE_KEY = "demo-alice-key"


def open_engine(
    db_path: Path,
    cloud_url: str,
    *,
    api_key: str = ALICE_KEY,
    server_name: str = "crash-lab",
    projects_root: Path | None = None,
    retry_attempts: int = 4,
    concurrency: int = 4,
) -> AppContext:
    """The extension's start-up, in process: store (migrated, recovered), client, bus."""
    db_url = f"sqlite:///{db_path}"
    db = open_database(db_url)
    migration = upgrade_if_needed(db.engine)
    assert migration.outcome != "failed", migration
    recover_interrupted(db)
    settings = Settings(
        db_url=db_url,
        projects_root=projects_root or db_path.parent / "projects",
        cloud_url=cloud_url,
        api_version="2023.11.28",
        cloud_configured=True,
        sync_concurrency=concurrency,
        server_name=server_name,
    )
    client = make_cloud_client(cloud_url, api_key, retry_attempts=retry_attempts)
    return AppContext(settings, db, migration, client, EventBus(), SyncRegistry())


async def close_engine(ctx: AppContext) -> None:
    await ctx.syncs.cancel_all()
    await aclose(ctx.cloud)
    if ctx.db is not None:
        close_database(ctx.db)


@asynccontextmanager
async def engine(db_path: Path, cloud_url: str, **kw: Any) -> AsyncIterator[AppContext]:
    ctx = open_engine(db_path, cloud_url, **kw)
    try:
        yield ctx
    finally:
        await close_engine(ctx)


async def sync_once(
    ctx: AppContext, project_id: str, direction: str = "sync", *, force: bool = False
) -> list[dict[str, Any]]:
    """One run through `start_sync`; the messages of its request, `completed`/`failed` last."""
    queue = ctx.events.subscribe()
    request_id = uuid.uuid4().hex
    try:
        running = await start_sync(
            ctx,
            project_id=project_id,
            direction=direction,  # type: ignore[arg-type]
            request_id=request_id,
            force=force,
        )
        assert running.task is not None
        await running.task
        messages = []
        while not queue.empty():
            message = dict(queue.get_nowait().message)
            if message.get("request_id") == request_id:
                messages.append(message)
        return messages
    finally:
        ctx.events.unsubscribe(queue)


@dataclass(frozen=True)
class Project:
    id: str
    root: Path


def create_cloud_project(http: httpx.Client, title: str = "reliability") -> CloudProject:
    name = f"r-{uuid.uuid4().hex[:12]}"
    answer = http.post("/api/projects", json={"title": title, "name": name})
    assert answer.status_code == 201, answer.text
    return CloudProject.model_validate(answer.json())


def add_local_project(db_path: Path, cloud: CloudProject, root: Path) -> Project:
    """The project's folder (with its marker) and its store row, written directly."""
    root.mkdir(parents=True, exist_ok=True)
    write_marker(marker_path(root), cloud.id)
    db = open_database(f"sqlite:///{db_path}")
    try:
        assert upgrade_if_needed(db.engine).outcome != "failed"
        write_sync(db, project_store.insert_project, local_from_cloud(cloud, str(root)))
    finally:
        close_database(db)
    return Project(cloud.id, root)


async def add_project_to(ctx: AppContext, http: httpx.Client, root: Path) -> Project:
    """A new cloud project, its folder and its row in a running server's store."""
    assert ctx.db is not None
    cloud = create_cloud_project(http)
    root.mkdir(parents=True, exist_ok=True)
    write_marker(marker_path(root), cloud.id)
    await write(ctx.db, project_store.insert_project, local_from_cloud(cloud, str(root)))
    return Project(cloud.id, root)


def set_auto_sync(db_path: Path, project_id: str, mode: str, minutes: int | None = None) -> None:
    """Set a project's auto-sync mode in the store directly (no server has to run)."""
    body = AutoSyncBody(mode=mode, interval_minutes=minutes)  # type: ignore[arg-type]
    db = open_database(f"sqlite:///{db_path}")
    try:
        write_sync(db, auto_store.set_mode, project_id, body)
    finally:
        close_database(db)
