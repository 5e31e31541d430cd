"""Reading Anaconda Toolbox's state database, strictly read-only.

The old product kept `<root>/anaconda_projects/db/project_filebrowser.db` (Alembic head
`f7595b4621e2`, see CLOUD_API_EVIDENCE.md) and one folder per project,
`<root>/anaconda_projects/<project-id>/`. That database is the user's: it is opened with
SQLite's `mode=ro` URI (and `query_only`), so nothing here can change, lock for writing or
delete it. Blocking; callers run it in a thread.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOOLBOX_FOLDER = "anaconda_projects"
DATABASE = Path(TOOLBOX_FOLDER) / "db" / "project_filebrowser.db"
_COLUMNS = ("id", "data", "owner", "name", "default_environment", "tags")


class ToolboxUnreadable(Exception):
    """The database exists but could not be read as Toolbox's (its message says why)."""


@dataclass(frozen=True)
class StoredProject:
    """One row of Toolbox's `projects` table.

    `cloud` is the stored cloud project JSON without its `contents` tree (None when `data`
    is not a JSON object); `stored_files` counts the file entries of that tree.
    """

    id: str
    name: str | None
    owner: str | None
    default_environment: str | None
    tags: tuple[str, ...]
    cloud: dict[str, Any] | None
    stored_files: int


def database_path(root: Path) -> Path:
    return root / DATABASE


def project_folder(root: Path, project_id: str) -> Path:
    return root / TOOLBOX_FOLDER / project_id


def read_projects(database: Path) -> list[StoredProject]:
    """Every project row of the database at `database`, in id order."""
    uri = database.resolve().as_uri() + "?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True, timeout=2.0)) as connection:
            connection.execute("PRAGMA query_only = ON")
            present = {row[1] for row in connection.execute("PRAGMA table_info(projects)")}
            missing = [c for c in _COLUMNS if c not in present]
            if missing:
                raise ToolboxUnreadable(f"no projects table with {', '.join(missing)}")
            rows = connection.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM projects ORDER BY id"
            ).fetchall()
    except sqlite3.Error as exc:
        raise ToolboxUnreadable(f"not readable as a database: {exc}") from None
    return [_stored(*row) for row in rows if isinstance(row[0], str) and row[0]]


def _stored(
    project_id: str, data: Any, owner: Any, name: Any, environment: Any, tags: Any
) -> StoredProject:
    cloud = _json_object(data)
    contents = cloud.pop("contents", None) if cloud is not None else None
    return StoredProject(
        id=project_id,
        name=name if isinstance(name, str) else None,
        owner=owner if isinstance(owner, str) else None,
        default_environment=_environment(environment),
        tags=tuple(t for t in _json_list(tags) if isinstance(t, str)),
        cloud=cloud,
        stored_files=_count_files(contents),
    )


def _json_object(text: Any) -> dict[str, Any] | None:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _json_list(text: Any) -> list[Any]:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _environment(value: Any) -> str | None:
    """Toolbox wrote '' or 'undefined_environment' for "none chosen"."""
    if not isinstance(value, str) or value in ("", "undefined_environment"):
        return None
    return value


def _count_files(contents: Any) -> int:
    """File entries in a `contents` tree (directories hold their own `contents`)."""
    if not isinstance(contents, list):
        return 0
    count = 0
    for entry in contents:
        if not isinstance(entry, dict):
            continue
        if entry.get("type") == "file":
            count += 1
        count += _count_files(entry.get("contents"))
    return count
