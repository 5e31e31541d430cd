"""`rename_no_replace`: the move behind every conflict copy. It never replaces a file that
is already at the target, and in the portable fallback it never removes a file a user's
save put at the old name while the move was under way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aext_project_filebrowser_server.services.sync import local_files
from aext_project_filebrowser_server.services.sync.local_files import (
    LocalChanged,
    move_aside,
    rename_no_replace,
)


@pytest.fixture(params=["renameat2", "link"])
def mover(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of moving: the atomic syscall (where the kernel has it) and the fallback."""
    if request.param == "link":
        monkeypatch.setattr(local_files, "_renameat2", None)
    elif local_files._renameat2 is None:
        pytest.skip("no renameat2 here")
    return str(request.param)


def test_moves_the_file(tmp_path: Path, mover: str) -> None:
    (tmp_path / "a.txt").write_bytes(b"mine")
    rename_no_replace(tmp_path / "a.txt", tmp_path / "b.txt")
    assert sorted(os.listdir(tmp_path)) == ["b.txt"]
    assert (tmp_path / "b.txt").read_bytes() == b"mine"


def test_never_replaces_the_target(tmp_path: Path, mover: str) -> None:
    (tmp_path / "a.txt").write_bytes(b"mine")
    (tmp_path / "b.txt").write_bytes(b"already here")
    with pytest.raises(FileExistsError):
        rename_no_replace(tmp_path / "a.txt", tmp_path / "b.txt")
    assert (tmp_path / "a.txt").read_bytes() == b"mine"
    assert (tmp_path / "b.txt").read_bytes() == b"already here"


def test_a_save_during_the_fallback_move_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor replaces the file between the link and the removal of the old name."""
    monkeypatch.setattr(local_files, "_renameat2", None)
    source, target = tmp_path / "a.txt", tmp_path / "a (conflict).txt"
    source.write_bytes(b"before")
    real_link = os.link

    def link_then_save(src: object, dst: object) -> None:
        real_link(src, dst)  # type: ignore[arg-type]
        saved = tmp_path / ".save"
        saved.write_bytes(b"the user's save")
        os.replace(saved, source)

    monkeypatch.setattr(local_files.os, "link", link_then_save)
    with pytest.raises(LocalChanged):
        rename_no_replace(source, target)
    assert source.read_bytes() == b"the user's save"
    assert target.read_bytes() == b"before"


def test_move_aside_refuses_an_existing_copy(tmp_path: Path, mover: str) -> None:
    (tmp_path / "n.txt").write_bytes(b"local")
    (tmp_path / "n (conflict).txt").write_bytes(b"someone's copy")
    with pytest.raises(LocalChanged):
        move_aside(tmp_path, "n.txt", "n (conflict).txt")
    assert (tmp_path / "n.txt").read_bytes() == b"local"
    assert (tmp_path / "n (conflict).txt").read_bytes() == b"someone's copy"
    moved = move_aside(tmp_path, "n.txt", "sub/n (conflict 2).txt")
    assert moved.read_bytes() == b"local" and not (tmp_path / "n.txt").exists()
