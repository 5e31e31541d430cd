"""CRUD functions of the store, including optimistic locking."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from aext_project_filebrowser_server.schemas.projects import LocalProject
from aext_project_filebrowser_server.store import files, journal, projects
from aext_project_filebrowser_server.store.engine import (
    Database,
    close_database,
    open_database,
    read,
    read_sync,
    write,
    write_sync,
)
from aext_project_filebrowser_server.store.errors import AlreadyExists, NotFound, StaleVersion
from aext_project_filebrowser_server.store.migrate import upgrade_if_needed


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'store.db'}")
    assert upgrade_if_needed(database.engine).outcome == "created"
    yield database
    close_database(database)


def _project(pid: str = "p1", name: str = "demo", **extra: object) -> LocalProject:
    fields: dict[str, object] = {
        "id": pid,
        "name": name,
        "title": "Demo",
        "owner_id": "user-1",
        "owner_type": "user",
        "tags": ("a",),
    }
    fields.update(extra)
    return LocalProject.model_validate(fields)


def test_insert_get_list_and_filter(db: Database) -> None:
    write_sync(db, projects.insert_project, _project())
    write_sync(db, projects.insert_project, _project("p2", "other", title="Sales", tags=("b",)))
    assert read_sync(db, projects.get_project, "p1").title == "Demo"
    assert [p.id for p in read_sync(db, projects.list_projects)] == ["p1", "p2"]
    assert [p.id for p in read_sync(db, projects.list_projects, tag="b")] == ["p2"]
    assert [p.id for p in read_sync(db, projects.list_projects, q="SAL")] == ["p2"]
    with pytest.raises(NotFound):
        read_sync(db, projects.get_project, "nope")


def test_duplicate_owner_and_name_is_refused(db: Database) -> None:
    write_sync(db, projects.insert_project, _project())
    with pytest.raises(AlreadyExists):
        write_sync(db, projects.insert_project, _project("p2", "demo"))


def test_stale_update_raises_and_changes_nothing(db: Database) -> None:
    write_sync(db, projects.insert_project, _project())
    updated = write_sync(db, projects.update_project, "p1", 1, {"title": "First"})
    assert updated.version == 2 and updated.title == "First"
    with pytest.raises(StaleVersion) as raised:
        write_sync(db, projects.update_project, "p1", 1, {"title": "Second"})
    assert raised.value.current == 2
    assert read_sync(db, projects.get_project, "p1").title == "First"


def test_owner_is_stored_as_its_id_string(db: Database) -> None:
    write_sync(db, projects.insert_project, _project())
    with db.engine.connect() as connection:
        row = connection.execute(text("SELECT owner_id, owner_type FROM projects")).one()
    assert tuple(row) == ("user-1", "user")


def test_files_upsert_in_batches_and_delete(db: Database) -> None:
    write_sync(db, projects.insert_project, _project())
    records = [files.FileRecord(path=f"d/{i}.txt", base_sha256="0" * 64) for i in range(1200)]
    assert write_sync(db, files.save_files, "p1", records) == 1200
    changed = files.FileRecord(path="d/7.txt", base_sha256="1" * 64, local_size=3)
    write_sync(db, files.save_files, "p1", [changed])
    stored = {r.path: r for r in read_sync(db, files.list_files, "p1")}
    assert len(stored) == 1200 and stored["d/7.txt"] == changed
    write_sync(db, files.delete_files, "p1", [f"d/{i}.txt" for i in range(600)])
    assert len(read_sync(db, files.list_files, "p1")) == 600


def test_a_snapshot_cache_written_late_keeps_a_base_recorded_meanwhile(db: Database) -> None:
    """A status request reads the rows, hashes the folder, then stores its cache; a download
    that recorded its bases in between must keep them (they were lost before)."""
    write_sync(db, projects.insert_project, _project())
    read_before = {r.path: r for r in read_sync(db, files.list_files, "p1")}  # no rows yet
    assert read_before == {}
    base = files.FileRecord(
        path="nb.ipynb", base_sha256="b" * 64, base_version_id="v1", base_size=3, status="synced"
    )
    write_sync(db, files.save_files, "p1", [base])  # the download's commit
    cache = [
        files.FileRecord(
            path="nb.ipynb", local_size=3, local_inode=7, local_sha256="b" * 64, status="new_local"
        ),
        files.FileRecord(path="new.txt", local_size=1, local_sha256="c" * 64, status="new_local"),
    ]
    assert write_sync(db, files.save_local_cache, "p1", cache) == 2
    stored = {r.path: r for r in read_sync(db, files.list_files, "p1")}
    assert stored["nb.ipynb"].base_version_id == "v1" and stored["nb.ipynb"].status == "synced"
    assert stored["nb.ipynb"].local_inode == 7 and stored["nb.ipynb"].local_sha256 == "b" * 64
    assert stored["new.txt"] == cache[1]  # a file the store did not know is inserted whole


def test_deleting_a_project_drops_its_rows(db: Database) -> None:
    write_sync(db, projects.insert_project, _project())
    write_sync(db, files.save_files, "p1", [files.FileRecord(path="a")])
    write_sync(db, journal.add_entries, "p1", None, [("upload", "a", {})])
    write_sync(db, projects.delete_project, "p1")
    assert read_sync(db, files.list_files, "p1") == []
    assert read_sync(db, journal.pending_entries) == []


def test_journal_pending_until_finished(db: Database) -> None:
    write_sync(db, projects.insert_project, _project())
    ids = write_sync(db, journal.add_entries, "p1", None, [("upload", "a", {"v": 1})])
    pending = read_sync(db, journal.pending_entries, "p1")
    assert [(p.path, p.operation, p.detail) for p in pending] == [("a", "upload", {"v": 1})]
    write_sync(db, journal.finish_entries, ids, "done")
    assert read_sync(db, journal.pending_entries, "p1") == []


def test_timestamps_come_back_timezone_aware(db: Database) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    write_sync(db, projects.insert_project, _project(cloud_created_at=when))
    assert read_sync(db, projects.get_project, "p1").cloud_created_at == when


async def test_async_calls_run_off_the_event_loop_thread(db: Database) -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    def insert(session, project):  # type: ignore[no-untyped-def]
        seen.append(threading.get_ident())
        return projects.insert_project(session, project)

    await write(db, insert, _project())
    got = await read(db, projects.get_project, "p1")
    assert got.id == "p1" and seen and seen[0] != loop_thread


async def test_concurrent_updates_lose_nothing(db: Database) -> None:
    write_sync(db, projects.insert_project, _project())

    async def bump(n: int) -> bool:
        current = await read(db, projects.get_project, "p1")
        try:
            await write(db, projects.update_project, "p1", current.version, {"title": f"t{n}"})
            return True
        except StaleVersion:
            return False

    results = await asyncio.gather(*(bump(n) for n in range(20)))
    final = read_sync(db, projects.get_project, "p1")
    # every successful write moved the version exactly once; the others were refused
    assert final.version == 1 + sum(results)
