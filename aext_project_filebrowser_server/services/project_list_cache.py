"""The serialized answers of `GET projects`, kept until anything they were built from changes.

Building the list of 1,000 projects (store reads, pydantic values, JSON) costs far more CPU
than a browser polling it should, and between two changes it is the same bytes every time.
An answer is reused only while both of its sources are unchanged:

- the store: SQLite's `PRAGMA data_version`, read on a connection of our own that never
  writes, moves with every commit of any other connection, in this process or another. So
  no code path that writes (a sync, a REST change, a refresh, a status update) can forget
  to invalidate the list, and nothing has to remember to tell the cache;
- the set of running syncs (`sync.sync_running` comes from the sync registry, not the store).

The version is read *before* the list is built: a commit that lands while it is being built
moves the version, so that answer is never served again.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Hashable
from pathlib import Path

#: Distinct queries kept (`tag`, `q`, `cloud_status`); the oldest goes first.
MAX_ENTRIES = 16

#: What an answer was built from: the store's data version (None: unknown, as for an
#: in-memory store, so never cached) and the projects syncing then.
Sources = tuple[int | None, frozenset[str]]


class ProjectListCache:
    """Serialized project lists by query, each valid for the sources it was built from."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[Sources, bytes]] = {}
        self._watch: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def store_version(self, db_path: Path) -> int:
        """The store's data version. Blocking SQLite I/O: call it in a worker thread."""
        with self._lock:
            if self._watch is None:
                self._watch = sqlite3.connect(
                    db_path, isolation_level=None, check_same_thread=False
                )
                weakref.finalize(self, self._watch.close)
            version: int = self._watch.execute("PRAGMA data_version").fetchone()[0]
            return version

    def get(self, query: Hashable, sources: Sources) -> bytes | None:
        """The answer to `query` if it was built from exactly these sources."""
        found = self._entries.get(query)
        if found is None or sources[0] is None or found[0] != sources:
            return None
        return found[1]

    def put(self, query: Hashable, sources: Sources, body: bytes) -> None:
        """Keep an answer; answers built from other sources are stale and dropped."""
        if sources[0] is None:
            return
        self._entries = {key: entry for key, entry in self._entries.items() if entry[0] == sources}
        self._entries.pop(query, None)
        self._entries[query] = (sources, body)
        while len(self._entries) > MAX_ENTRIES:
            del self._entries[next(iter(self._entries))]
