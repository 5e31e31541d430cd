"""The folder watcher survives what one folder does, on a real folder with watchfiles.

`watchfiles` raises for the whole watch when a changed name is not UTF-8, and goes silent
when the watched root is removed; the watching thread must log, start again and deliver
the next change. The restart delays are shortened here (`RESTART_DELAYS`) to keep the
test quick; what is checked is that changes are delivered again, not the timing.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aext_project_filebrowser_server.services import watch
from aext_project_filebrowser_server.services.sync.local_files import GITIGNORE, write_marker


class Watching:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.batches: queue.Queue[set[str] | None] = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=watch._watch_blocking, args=(root, self.stop, self.batches.put), daemon=True
        )

    def delivers(self, path: Path, timeout: float = 30) -> bool:
        """Write `path` (again each second: a watch starting again misses what changed
        while it was down) until a batch names it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(4))
            try:
                while True:
                    batch = self.batches.get(timeout=1.5)
                    assert batch is not None, "the watching thread ended"
                    if str(path) in batch:
                        return True
            except queue.Empty:
                continue
        return False


@pytest.fixture
def watching(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Watching]:
    monkeypatch.setattr(watch, "RESTART_DELAYS", (0.2, 0.2))
    root = tmp_path / "projects"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    running = Watching(root)
    running.thread.start()
    time.sleep(0.5)  # the watch is set up
    yield running
    running.stop.set()
    running.thread.join(timeout=10)
    assert not running.thread.is_alive()


def test_a_name_that_is_not_utf8_does_not_end_the_watch(
    watching: Watching, caplog: pytest.LogCaptureFixture
) -> None:
    with open(os.fsencode(watching.root / "a") + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"latin-1")
    assert watching.delivers(watching.root / "b" / "after.txt")
    assert "starting again" in caplog.text
    assert watching.delivers(watching.root / "a" / "same-folder.txt")


def test_a_projects_root_removed_and_made_again_is_watched_again(watching: Watching) -> None:
    assert watching.delivers(watching.root / "a" / "before.txt")
    shutil.rmtree(watching.root)
    time.sleep(1.5)
    assert watching.delivers(watching.root / "c" / "new.txt")


def test_a_removed_project_folder_leaves_the_others_watched(watching: Watching) -> None:
    shutil.rmtree(watching.root / "a")
    assert watching.delivers(watching.root / "b" / "still.txt")


def test_the_extension_folder_keeps_out_of_repositories(tmp_path: Path) -> None:
    """`.aext-project/.gitignore` ignores everything in it; the marker is still written, and
    a `.gitignore` the user changed is left as it is."""
    marker = tmp_path / "p" / ".aext-project" / "project.json"
    write_marker(marker, "id-1")
    ignore = marker.parent / ".gitignore"
    assert marker.is_file()
    assert [line for line in ignore.read_text().splitlines() if not line.startswith("#")] == ["*"]
    assert ignore.read_text() == GITIGNORE
    ignore.write_text("*\n!project.json\n")
    write_marker(marker, "id-1")
    assert ignore.read_text() == "*\n!project.json\n"
