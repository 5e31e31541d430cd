"""The replica's SQLite database: engine set-up and the one thread that talks to it.

Every connection runs `journal_mode=WAL`, `synchronous=NORMAL`, `busy_timeout=5000` and
`foreign_keys=ON`.

What a 2xx file write means. It is answered only after its transaction has committed. In WAL
mode with `synchronous=NORMAL` a commit appends the transaction to the WAL file (a write into
the OS page cache) without an fsync; the WAL is fsynced at each checkpoint. So:

- a crash of the replica process at any point (what the reliability suites inject, with
  SIGKILL) loses nothing that was answered: the kernel still holds the WAL pages and the next
  open replays them;
- an OS crash or power cut may roll back the last transactions since the last checkpoint,
  whole: the database stays consistent, and a revision never survives without its bytes. A
  small body commits in the same transaction as its revision; a large one is fsynced,
  renamed into place and its directory fsynced *before* the revision is committed (see
  `blobs`), because the kernel may write WAL pages back at any time, which would make the
  revision durable ahead of an unsynced blob.

`synchronous=FULL` would fsync the WAL on every commit: about 3.5 ms on this kind of disk,
which alone caps one client near 270 PUTs a second. For a development and test tool, whose
clients re-check the cloud after any failure anyway, surviving process crashes is the
guarantee that matters.

Threading: all DB work goes through `Database.run` (a plain function `fn(session, ...)`) or
`Database.run_sqlite` (`fn(sqlite3_connection, ...)`), each inside one transaction on a
single dedicated worker thread. The Tornado loop never blocks on SQLite, and because there is
exactly one DB thread every transaction is serialised — so check-then-write sequences
(conditional writes, unique names) are atomic without `BEGIN IMMEDIATE`. Functions return
plain frozen values, never ORM objects, so nothing lazy-loads outside the thread.

Two connections: the engine's (ORM sessions, for the project routes) and a plain `sqlite3`
connection kept open for the file routes, which run hundreds of times a second. A PUT on
the plain connection costs a fraction of a SQLAlchemy Core transaction (pool checkout,
reset-on-return rollback, statement compilation and result wrapping were most of the DB
thread's time). Both are only ever used from the DB thread, one transaction at a time, so
they never wait on each other's locks.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from .models import Base

P = ParamSpec("P")
T = TypeVar("T")

DB_FILENAME = "replica.sqlite3"


def _set_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "busy_timeout=5000",
        "foreign_keys=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def open_engine(data_dir: Path) -> Engine:
    """An engine on `DATA/replica.sqlite3` with the schema created."""
    engine = create_engine(
        f"sqlite:///{data_dir / DB_FILENAME}",
        # The connection is created on the start-up thread and then used by the DB thread.
        connect_args={"check_same_thread": False},
        pool_size=1,
        max_overflow=0,
    )
    event.listen(engine, "connect", _set_pragmas)
    Base.metadata.create_all(engine)
    return engine


class Database:
    """Runs session functions on the single DB thread (a class: it owns that thread)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replica-db")
        # Autocommit mode (isolation_level=None): `run_sqlite` issues BEGIN/COMMIT itself.
        self._sqlite = sqlite3.connect(
            str(engine.url.database), isolation_level=None, check_same_thread=False
        )
        _set_pragmas(self._sqlite)

    def run_sync(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `fn(session, ...)` in one transaction on the calling thread (start-up only)."""
        with self._sessions.begin() as session:
            return fn(session, *args, **kwargs)

    async def run(
        self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `fn(session, ...)` in one transaction on the DB thread."""
        loop = asyncio.get_running_loop()
        call = functools.partial(self.run_sync, fn, *args, **kwargs)
        return await loop.run_in_executor(self._executor, call)

    def _in_sqlite(
        self,
        fn: Callable[Concatenate[sqlite3.Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        connection = self._sqlite
        connection.execute("BEGIN")
        try:
            result = fn(connection, *args, **kwargs)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        return result

    async def run_sqlite(
        self,
        fn: Callable[Concatenate[sqlite3.Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run `fn(sqlite3_connection, ...)` in one transaction on the DB thread."""
        loop = asyncio.get_running_loop()
        call = functools.partial(self._in_sqlite, fn, *args, **kwargs)
        return await loop.run_in_executor(self._executor, call)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self._sqlite.close()
        self.engine.dispose()
