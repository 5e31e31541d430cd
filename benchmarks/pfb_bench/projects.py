"""Benchmark projects: created in the replica, then written into a server's store (before
that server starts) with a local folder and its marker, as POST projects would do."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from aext_project_filebrowser_server.schemas.projects import CloudProject, local_from_cloud
from aext_project_filebrowser_server.services.sync.local_files import write_marker
from aext_project_filebrowser_server.services.sync.snapshot import marker_path
from aext_project_filebrowser_server.store import projects as project_store
from aext_project_filebrowser_server.store.engine import close_database, open_database, write_sync
from aext_project_filebrowser_server.store.migrate import upgrade_if_needed

from .procs import API_KEY


@dataclass(frozen=True)
class BenchProject:
    id: str
    name: str
    cloud: CloudProject


def cloud_client(replica_url: str) -> httpx.Client:
    return httpx.Client(
        base_url=replica_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60
    )


def create_cloud_project(http: httpx.Client, label: str) -> BenchProject:
    name = f"{label}-{uuid.uuid4().hex[:8]}"
    answer = http.post("/api/projects", json={"title": f"Bench {label}", "name": name})
    answer.raise_for_status()
    cloud = CloudProject.model_validate(answer.json())
    return BenchProject(cloud.id, name, cloud)


def prepare_store(db_path: Path, entries: Iterable[tuple[BenchProject, Path | None]]) -> None:
    """Create/migrate the store at `db_path` and add each project with its folder."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db = open_database(f"sqlite:///{db_path}")
    try:
        state = upgrade_if_needed(db.engine)
        if state.outcome == "failed":
            raise RuntimeError(f"store migration failed: {state.error}")
        for project, folder in entries:
            if folder is not None:
                folder.mkdir(parents=True, exist_ok=True)
                write_marker(marker_path(folder), project.id)
            local = local_from_cloud(project.cloud, str(folder) if folder else None)
            write_sync(db, project_store.insert_project, local)
    finally:
        close_database(db)
