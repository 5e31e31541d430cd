"""A Toolbox state database built in the test from its schema (CLOUD_API_EVIDENCE.md, S4).

No binary is committed: the DDL below is the schema of every public copy (Alembic head
`f7595b4621e2`), and the rows are shaped like theirs: the cloud project JSON with naive
timestamps and `owner.name` null, plus a `contents` tree in the real product's file model.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

from aext_project_filebrowser_server.services.toolbox_db import database_path, project_folder

HEAD = "f7595b4621e2"
DDL = """
CREATE TABLE alembic_version (
  version_num VARCHAR(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE projects (
  id VARCHAR NOT NULL PRIMARY KEY,
  data TEXT,
  owner TEXT,
  name TEXT,
  default_environment VARCHAR DEFAULT '' NOT NULL,
  tags TEXT DEFAULT '[]' NOT NULL,
  CONSTRAINT uq_owner_name_temp UNIQUE (owner, name)
);
"""


def naive(timestamp: str) -> str:
    """`2025-11-13T13:29:47.246655+00:00` or `...Z` as the real product stored it."""
    return timestamp.replace("Z", "").split("+")[0]


def contents_tree(project_id: str, files: dict[str, str | None]) -> list[dict[str, Any]]:
    """The `contents` tree of `data`: path → the file_version_id Toolbox last saw (None:
    never synced, `unstaged`)."""
    root: list[dict[str, Any]] = []
    for path, version in sorted(files.items()):
        level, parts = root, path.split("/")
        for depth, part in enumerate(parts[:-1]):
            key = "/".join(parts[: depth + 1])
            folder = next((e for e in level if e["key"] == key), None)
            if folder is None:
                folder = {"key": key, "name": part, "type": "directory", "contents": []}
                folder.update(project_id=project_id, details=None, status="synced", metadata={})
                level.append(folder)
            level = folder["contents"]
        details = None if version is None else {"file_version_id": version, "metadata": {}}
        level.append(
            {
                "key": path,
                "name": parts[-1],
                "type": "file",
                "project_id": project_id,
                "contents": [],
                "details": details,
                "status": "unstaged" if version is None else "synced",
                "metadata": {},
            }
        )
    return root


def stored_json(cloud: dict[str, Any], files: dict[str, str | None]) -> str:
    """The `data` column: the cloud JSON as Toolbox kept it, with its file tree."""
    data = {
        **cloud,
        "created_at": naive(cloud["created_at"]),
        "updated_at": naive(cloud["updated_at"]),
        "owner": {**cloud["owner"], "name": None},
        "contents": contents_tree(cloud["id"], files),
    }
    return json.dumps(data)


def make_database(root: Path, rows: list[tuple[Any, ...]]) -> Path:
    """`<root>/anaconda_projects/db/project_filebrowser.db` with these `projects` rows
    (id, data, owner, name, default_environment, tags)."""
    path = database_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as connection:
        connection.executescript(DDL)
        connection.execute("INSERT INTO alembic_version VALUES (?)", (HEAD,))
        connection.executemany("INSERT INTO projects VALUES (?, ?, ?, ?, ?, ?)", rows)
        connection.commit()
    return path


def row(
    cloud: dict[str, Any], files: dict[str, str | None], environment: str = "undefined_environment"
) -> tuple[Any, ...]:
    tags = json.dumps(list(cloud.get("metadata", {}).get("tags", [])))
    return (
        cloud["id"],
        stored_json(cloud, files),
        cloud["owner"]["id"],
        cloud["name"],
        environment,
        tags,
    )


def offline_project(title: str = "Offline notes") -> dict[str, Any]:
    """A cloud project JSON that no cloud knows (for tests that never ask one)."""
    project_id = str(uuid.uuid4())
    return {
        "id": project_id,
        "name": f"offline_{project_id[:8]}",
        "title": title,
        "created_at": "2025-11-13T13:29:47.246655",
        "updated_at": "2025-11-13T13:29:47.246655",
        "metadata": {"tags": ["toolbox"], "user_client": "unknown", "hidden": False},
        "owner": {"id": str(uuid.uuid4()), "type": "user", "name": None},
    }


def write_folder(root: Path, project_id: str, files: dict[str, bytes]) -> Path:
    folder = project_folder(root, project_id)
    for relative, data in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def fingerprint(database: Path) -> tuple[str, float, list[str]]:
    """The database's bytes (hash), mtime and the names beside it (no journal appears)."""
    digest = hashlib.sha256(database.read_bytes()).hexdigest()
    return digest, database.stat().st_mtime, sorted(p.name for p in database.parent.iterdir())
