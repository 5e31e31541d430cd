"""Reading Toolbox's database: what it yields, and that the file is never changed."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from aext_project_filebrowser_server.services.toolbox import stored_cloud_project
from aext_project_filebrowser_server.services.toolbox_db import ToolboxUnreadable, read_projects

from .toolbox_db import fingerprint, make_database, offline_project, row


def test_rows_come_back_with_their_cloud_json_and_file_count(tmp_path: Path) -> None:
    project = offline_project("Numpy tutorial")
    files = {"main.ipynb": "v-1", "data/x.csv": "v-2", "draft.md": None}
    database = make_database(tmp_path, [row(project, files, "Python [conda env:base] *")])
    (stored,) = read_projects(database)
    assert (stored.id, stored.name, stored.owner) == (
        project["id"],
        project["name"],
        project["owner"]["id"],
    )
    assert stored.default_environment == "Python [conda env:base] *"
    assert stored.tags == ("toolbox",) and stored.stored_files == 3
    assert stored.cloud is not None and "contents" not in stored.cloud
    cloud = stored_cloud_project(stored)
    assert cloud is not None and cloud.title == "Numpy tutorial"
    assert cloud.created_at.tzinfo is not None  # naive in the file, UTC here


def test_a_row_without_title_or_owner_in_its_json_still_reads(tmp_path: Path) -> None:
    project = offline_project()
    stored_row = list(row(project, {}))
    stored_row[1] = stored_row[1].replace(f'"title": "{project["title"]}", ', "")
    stored_row[1] = stored_row[1].replace('"owner": {', '"was_owner": {')
    database = make_database(tmp_path, [tuple(stored_row)])
    cloud = stored_cloud_project(read_projects(database)[0])
    assert cloud is not None
    assert (cloud.title, cloud.owner.id) == (project["name"], project["owner"]["id"])


def test_unusable_rows_are_reported_not_fatal(tmp_path: Path) -> None:
    good, bad = offline_project("Good"), offline_project("Bad")
    broken = (bad["id"], "{not json", None, None, "", "not a list")
    database = make_database(tmp_path, [row(good, {}), broken])
    stored = {s.id: s for s in read_projects(database)}
    assert stored_cloud_project(stored[good["id"]]) is not None
    assert stored[bad["id"]].cloud is None and stored_cloud_project(stored[bad["id"]]) is None
    assert stored[bad["id"]].tags == ()


def test_the_database_is_opened_read_only_and_never_changed(tmp_path: Path) -> None:
    database = make_database(tmp_path, [row(offline_project(), {"a.py": "v"})])
    before = fingerprint(database)
    read_projects(database)
    read_projects(database)
    assert fingerprint(database) == before


def test_a_file_that_is_not_a_toolbox_database_is_unreadable(tmp_path: Path) -> None:
    database = make_database(tmp_path, [])
    database.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ToolboxUnreadable, match="not readable"):
        read_projects(database)
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE projects (id TEXT)")
    with pytest.raises(ToolboxUnreadable, match="data"):
        read_projects(other)
