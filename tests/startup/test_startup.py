"""Suite 8: a broken store or an unreachable cloud never takes the Jupyter server down.

For each start-up problem (a corrupt database file, a database written by a newer version,
a read-only database folder or file, a cloud that does not answer), the server starts, the
health endpoint says what is wrong, Jupyter's own API keeps working, the extension's routes
answer with a JSON 4xx/5xx (never a crash), the user's files are untouched, and a corrupt
database is renamed aside, never deleted.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from tornado.testing import bind_unused_port

from aext_project_filebrowser_server.store.engine import make_engine
from aext_project_filebrowser_server.store.migrate import alembic_config, head_revision

from .conftest import files_under, read_only_file, read_only_folder

EXT = "aext_project_filebrowser_server"
FUTURE_REVISION = "9999_from_a_newer_version"


def make_head_db(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    engine.dispose()


def dump(path: Path) -> list[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        lines = list(connection.iterdump())
    connection.close()
    return lines


async def get_json(jp_fetch: Any, *parts: str, **kw: Any) -> tuple[int, Any]:
    response = await jp_fetch(*parts, raise_error=False, **kw)
    return response.code, json.loads(response.body) if response.body else None


async def assert_jupyter_works(jp_fetch: Any, jp_root_dir: Path) -> None:
    """Jupyter's own features: status, listing the root, writing a new notebook."""
    assert (await jp_fetch("api", "status")).code == 200
    code, listing = await get_json(jp_fetch, "api", "contents")
    assert code == 200 and {"analysis.ipynb", "data"} <= {i["name"] for i in listing["content"]}
    created = await jp_fetch(
        "api", "contents", "new.ipynb", method="PUT", body=json.dumps({"type": "notebook"})
    )
    assert created.code == 201
    (Path(jp_root_dir) / "new.ipynb").unlink()


async def assert_extension_answers_cleanly(jp_fetch: Any, jp_ws_fetch: Any) -> None:
    """Store-backed routes say the store is unavailable (JSON 503), never a 500."""
    code, body = await get_json(jp_fetch, EXT, "projects")
    assert code == 503 and body["code"] == "store_unavailable", (code, body)
    code, body = await get_json(
        jp_fetch, EXT, "projects", method="POST", body=json.dumps({"title": "x"})
    )
    assert 400 <= code < 600 and code != 500 and set(body) == {"message", "code"}, (code, body)
    ws = await jp_ws_fetch(EXT, "ws")
    ws.write_message(json.dumps({"type": "sync", "request_id": "r", "project_id": "p"}))
    reply = json.loads(await ws.read_message())
    assert reply["type"] == "failed" and reply["code"] == "store_unavailable", reply
    ws.close()


# --- a corrupt database -----------------------------------------------------------------------


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database, but the user may still want it\n" * 300)


def _bad_pages(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(16 * 1024))


def _truncated(path: Path) -> None:
    """A real store cut in half (a disk that filled up, a copy that stopped)."""
    make_head_db(path)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("CREATE TABLE filler (x)")
    connection.executemany("INSERT INTO filler VALUES (?)", [(os.urandom(500),)] * 400)
    connection.execute("PRAGMA journal_mode = DELETE")  # folds the WAL into the file
    connection.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbage_with_wal(path: Path) -> None:
    _garbage(path)
    path.with_name(path.name + "-wal").write_bytes(b"not a wal either" * 100)


CORRUPTIONS = {
    "garbage": _garbage,
    "bad-pages": _bad_pages,
    "truncated": _truncated,
    "garbage-with-wal": _garbage_with_wal,
}


@pytest.fixture(params=list(CORRUPTIONS))
def corrupt_store(request: pytest.FixtureRequest, pfb_db_path: Path) -> Iterator[dict[str, bytes]]:
    pfb_db_path.parent.mkdir(parents=True, exist_ok=True)
    CORRUPTIONS[request.param](pfb_db_path)
    yield {p.name: p.read_bytes() for p in pfb_db_path.parent.iterdir()}


@pytest.fixture
def pfb_db_setup(request: pytest.FixtureRequest, user_tree: dict[str, bytes]) -> None:
    """Each test names the store problem it starts with as a fixture of its own."""
    for name in ("corrupt_store", "future_store", "read_only_state", "read_only_store"):
        if name in request.fixturenames:
            request.getfixturevalue(name)


async def test_a_corrupt_store_is_set_aside_and_replaced(
    corrupt_store: dict[str, bytes],
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_root_dir: Path,
    pfb_db_path: Path,
    user_tree: dict[str, bytes],
) -> None:
    code, health = await get_json(jp_fetch, EXT, "health")
    assert code == 200
    aside = Path(health["migration"]["set_aside_path"])
    assert aside.parent == pfb_db_path.parent and aside.name.startswith(pfb_db_path.name)
    assert aside.read_bytes() == corrupt_store[pfb_db_path.name], "set aside, byte for byte"
    if pfb_db_path.name + "-wal" in corrupt_store:
        wal = aside.with_name(aside.name + "-wal")
        assert wal.read_bytes() == corrupt_store[pfb_db_path.name + "-wal"]
    # A fresh store took its place, and the extension works.
    assert health["status"] == "ok", health
    assert health["migration"]["outcome"] == "created"
    assert health["db_revision"] == head_revision()
    assert (await jp_fetch(EXT, "projects")).code == 200
    await assert_jupyter_works(jp_fetch, jp_root_dir)
    assert files_under(Path(jp_root_dir)) == user_tree


# --- a database from a newer version ----------------------------------------------------------


@pytest.fixture
def future_store(pfb_db_path: Path) -> list[str]:
    make_head_db(pfb_db_path)
    with sqlite3.connect(pfb_db_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (FUTURE_REVISION,))
        connection.execute("CREATE TABLE from_the_future (x TEXT)")
        connection.execute("INSERT INTO from_the_future VALUES ('keep me')")
    connection.close()
    return dump(pfb_db_path)


async def test_a_store_from_a_newer_version_is_left_untouched(
    future_store: list[str],
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_root_dir: Path,
    pfb_db_path: Path,
    user_tree: dict[str, bytes],
) -> None:
    code, health = await get_json(jp_fetch, EXT, "health")
    assert code == 200
    assert health["status"] == "degraded", health
    assert health["migration"]["outcome"] == "failed"
    assert FUTURE_REVISION in health["migration"]["error"]
    assert health["db_revision"] == FUTURE_REVISION
    assert health["migration"]["backup_path"] is None
    await assert_extension_answers_cleanly(jp_fetch, jp_ws_fetch)
    await assert_jupyter_works(jp_fetch, jp_root_dir)
    assert files_under(Path(jp_root_dir)) == user_tree
    assert dump(pfb_db_path) == future_store
    assert sorted(p.name for p in pfb_db_path.parent.iterdir() if ".backup-" in p.name) == []


# --- a read-only store ------------------------------------------------------------------------


@pytest.fixture(params=["empty-folder", "existing-store"])
def read_only_state(request: pytest.FixtureRequest, pfb_db_path: Path) -> Iterator[str]:
    pfb_db_path.parent.mkdir(parents=True, exist_ok=True)
    if request.param == "existing-store":
        make_head_db(pfb_db_path)
    with read_only_folder(pfb_db_path.parent):
        yield request.param


async def test_a_read_only_store_folder_degrades_but_starts(
    read_only_state: str,
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_root_dir: Path,
    pfb_db_path: Path,
    user_tree: dict[str, bytes],
) -> None:
    before = sorted(p.name for p in pfb_db_path.parent.iterdir())
    code, health = await get_json(jp_fetch, EXT, "health")
    assert code == 200, health
    assert health["status"] == "degraded", health
    assert health["migration"]["outcome"] == "failed"
    assert health["migration"]["error"], health
    await assert_extension_answers_cleanly(jp_fetch, jp_ws_fetch)
    await assert_jupyter_works(jp_fetch, jp_root_dir)
    assert files_under(Path(jp_root_dir)) == user_tree
    assert sorted(p.name for p in pfb_db_path.parent.iterdir()) == before


@pytest.fixture
def read_only_store(pfb_db_path: Path) -> Iterator[list[str]]:
    pfb_db_path.parent.mkdir(parents=True, exist_ok=True)
    make_head_db(pfb_db_path)
    content = dump(pfb_db_path)
    with read_only_file(pfb_db_path):
        yield content


async def test_a_read_only_store_file_degrades_but_starts(
    read_only_store: list[str],
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_root_dir: Path,
    pfb_db_path: Path,
    user_tree: dict[str, bytes],
) -> None:
    code, health = await get_json(jp_fetch, EXT, "health")
    assert code == 200, health
    assert health["status"] == "degraded", health
    await assert_extension_answers_cleanly(jp_fetch, jp_ws_fetch)
    await assert_jupyter_works(jp_fetch, jp_root_dir)
    assert files_under(Path(jp_root_dir)) == user_tree
    assert dump(pfb_db_path) == read_only_store


# --- an unreachable cloud ---------------------------------------------------------------------


@pytest.fixture
def closed_port() -> int:
    sock, port = bind_unused_port()
    sock.close()
    return port


@pytest.fixture
def pfb_extension_config(
    pfb_extension_config: dict[str, Any], request: pytest.FixtureRequest
) -> dict[str, Any]:
    if "closed_port" not in request.fixturenames:
        return pfb_extension_config
    port = request.getfixturevalue("closed_port")
    return {
        **pfb_extension_config,
        "cloud_url": f"http://127.0.0.1:{port}",
        "cloud_api_key": "demo-alice-key",
        "cloud_retry_attempts": 2,
    }


async def test_an_unreachable_cloud_at_start(
    closed_port: int,
    jp_fetch: Any,
    jp_root_dir: Path,
    user_tree: dict[str, bytes],
) -> None:
    code, health = await get_json(jp_fetch, EXT, "health")
    assert code == 200
    assert health["status"] == "ok"  # the store is fine; local features work
    assert health["cloud_url"] == f"http://127.0.0.1:{closed_port}"
    assert health["cloud"]["reachable"] is False, health
    assert health["cloud"]["error"], health
    code, listed = await get_json(jp_fetch, EXT, "projects", params={"refresh": "true"})
    assert code == 200 and listed["cloud_status"] == "unreachable", listed
    code, body = await get_json(
        jp_fetch, EXT, "projects", method="POST", body=json.dumps({"title": "offline"})
    )
    assert code == 502 and body["code"] == "cloud_unavailable", (code, body)
    await assert_jupyter_works(jp_fetch, jp_root_dir)
    assert files_under(Path(jp_root_dir)) == user_tree
