"""Per-file status: one classification for the REST API and the planner."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from aext_project_filebrowser_server.services.sync.ignore import ignore_rules
from aext_project_filebrowser_server.services.sync.states import (
    BaseFile,
    CloudFile,
    LocalFile,
    LocalSnapshot,
    RemoteListing,
)
from aext_project_filebrowser_server.services.sync.status import (
    FileStatus,
    IncompleteListing,
    file_status,
    path_status,
    project_statuses,
)

from .world import sha

P = "notes.txt"
ONE, TWO, THREE = sha(b"one"), sha(b"two"), sha(b"three")


def local(digest: str) -> LocalFile:
    return LocalFile(P, 3, 1, 1, digest)


def remote(digest: str, version: str) -> CloudFile:
    return CloudFile(
        path=P,
        size=3,
        sha256=digest,
        last_modified=datetime(2026, 1, 1, tzinfo=timezone.utc),
        file_version_id=version,
    )


BASE = BaseFile(P, ONE, "r1", 3, 1)


@pytest.mark.parametrize(
    ("loc", "rem", "base", "status"),
    [
        (local(ONE), remote(ONE, "r1"), BASE, "synced"),
        (local(ONE), remote(ONE, "r2"), BASE, "synced"),  # new version, same bytes
        (local(TWO), remote(ONE, "r1"), BASE, "modified_local"),
        (local(TWO), remote(ONE, "r2"), BASE, "modified_local"),
        (local(ONE), remote(TWO, "r2"), BASE, "modified_remote"),
        (local(TWO), remote(TWO, "r2"), BASE, "synced"),  # same edit on both sides
        (local(TWO), remote(THREE, "r2"), BASE, "conflict"),
        (None, remote(ONE, "r1"), BASE, "deleted_local"),
        (None, remote(ONE, "r2"), BASE, "deleted_local"),
        (local(ONE), None, BASE, "deleted_remote"),
        (None, remote(TWO, "r2"), BASE, "modified_remote"),  # edit wins over delete
        (local(TWO), None, BASE, "modified_local"),  # edit wins over delete
        (None, None, BASE, "synced"),
        (local(ONE), None, None, "new_local"),
        (None, remote(ONE, "r1"), None, "new_remote"),
        (local(ONE), remote(ONE, "r1"), None, "synced"),
        (local(ONE), remote(TWO, "r1"), None, "conflict"),
    ],
)
def test_file_status(
    loc: LocalFile | None, rem: CloudFile | None, base: BaseFile | None, status: FileStatus
) -> None:
    assert file_status(loc, rem, base) == status


def test_same_version_id_is_trusted_over_a_different_hash() -> None:
    """The version id is the cloud's identity of content; only a new version is a change."""
    assert file_status(local(ONE), remote(TWO, "r1"), BASE) == "synced"


def test_a_path_that_exists_nowhere_has_no_status() -> None:
    with pytest.raises(ValueError, match="no status"):
        file_status(None, None, None)


def snapshot(*files: LocalFile, unreadable: tuple[str, ...] = ()) -> LocalSnapshot:
    return LocalSnapshot({f.path: f for f in files}, True, unreadable)


def listing(*files: CloudFile, complete: bool = True) -> RemoteListing:
    return RemoteListing({f.path: f for f in files}, complete)


def test_path_status_reports_ignored_and_unknown_paths() -> None:
    checkpoint = LocalFile(".ipynb_checkpoints/a-checkpoint.ipynb", 1, 1, 2, ONE)
    loc = snapshot(local(TWO), checkpoint, unreadable=("locked.txt",))
    rules = ignore_rules()

    assert path_status(P, loc, listing(remote(ONE, "r1")), {P: BASE}, rules) == "modified_local"
    assert path_status(checkpoint.path, loc, listing(), {}, rules) == "ignored"
    assert path_status("locked.txt", loc, listing(), {}, rules) is None
    assert path_status("nowhere.txt", loc, listing(), {"nowhere.txt": BASE}, rules) is None


def test_project_statuses_cover_both_sides_sorted() -> None:
    other = CloudFile(
        path="a.txt",
        size=1,
        sha256=ONE,
        last_modified=datetime(2026, 1, 1, tzinfo=timezone.utc),
        file_version_id="r7",
    )
    gone = BaseFile("gone.txt", ONE, "r3", 3, 1)
    statuses = project_statuses(
        snapshot(local(TWO), unreadable=("locked.txt",)),
        listing(remote(ONE, "r1"), other),
        {P: BASE, "gone.txt": gone},
        ignore_rules(),
    )

    assert list(statuses.items()) == [("a.txt", "new_remote"), (P, "modified_local")]


def test_statuses_refuse_a_partial_listing() -> None:
    with pytest.raises(IncompleteListing):
        project_statuses(snapshot(local(ONE)), listing(complete=False), {P: BASE}, ignore_rules())
