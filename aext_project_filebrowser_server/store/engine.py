"""The SQLite engine, its pragmas, and the workers that keep DB work off the event loop.

Every connection gets WAL, synchronous=FULL, a 10 s busy timeout and foreign keys. Write
transactions start with BEGIN IMMEDIATE so two writers never deadlock on a lock upgrade;
all writes go through one worker thread (one writer at a time), reads through a small pool.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

P = ParamSpec("P")
T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
SYNCHRONOUS = "FULL"


def sqlite_path(db_url: str) -> Path | None:
    """The file behind a SQLite URL, or None for an in-memory database."""
    url = make_url(db_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's "begin" event below (pysqlite's own
    # implicit BEGIN would defeat BEGIN IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _on_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(db_url: str) -> Engine:
    """A SQLAlchemy engine for `db_url` with the store's pragmas and transaction rules."""
    path = sqlite_path(db_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(db_url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


@dataclass(frozen=True)
class Database:
    """An engine plus the worker threads that run its calls."""

    engine: Engine
    writer: ThreadPoolExecutor
    readers: ThreadPoolExecutor

    @property
    def write_engine(self) -> Engine:
        return self.engine.execution_options(sqlite_begin="IMMEDIATE")


def open_database(db_url: str, readers: int = 4) -> Database:
    """Open the store; call `close_database` when the server stops."""
    return Database(
        engine=make_engine(db_url),
        writer=ThreadPoolExecutor(max_workers=1, thread_name_prefix="pfb-db-writer"),
        readers=ThreadPoolExecutor(max_workers=readers, thread_name_prefix="pfb-db-reader"),
    )


def close_database(db: Database) -> None:
    db.writer.shutdown(wait=True)
    db.readers.shutdown(wait=True)
    db.engine.dispose()


def read_sync(
    db: Database, fn: Callable[Concatenate[Session, P], T], *a: P.args, **k: P.kwargs
) -> T:
    """Run `fn(session, ...)` in a read transaction, in the calling thread."""
    with Session(db.engine, expire_on_commit=False) as session, session.begin():
        return fn(session, *a, **k)


def write_sync(
    db: Database, fn: Callable[Concatenate[Session, P], T], *a: P.args, **k: P.kwargs
) -> T:
    """Run `fn(session, ...)` in one BEGIN IMMEDIATE transaction, in the calling thread."""
    with Session(db.write_engine, expire_on_commit=False) as session, session.begin():
        return fn(session, *a, **k)


async def read(
    db: Database, fn: Callable[Concatenate[Session, P], T], *a: P.args, **k: P.kwargs
) -> T:
    """Run `fn(session, ...)` in a reader thread; the session does not outlive the call."""
    loop = asyncio.get_running_loop()
    call = functools.partial(read_sync, db, fn, *a, **k)
    return await loop.run_in_executor(db.readers, call)


async def write(
    db: Database, fn: Callable[Concatenate[Session, P], T], *a: P.args, **k: P.kwargs
) -> T:
    """Run `fn(session, ...)` in the single writer thread, committed when `fn` returns."""
    loop = asyncio.get_running_loop()
    call = functools.partial(write_sync, db, fn, *a, **k)
    return await loop.run_in_executor(db.writer, call)
