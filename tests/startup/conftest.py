"""Start-up resilience: the server is started on a broken store, a read-only folder or an
unreachable cloud; a user's notebook folder is laid out before it starts."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

USER_TREE = {
    "analysis.ipynb": b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    "data/raw.csv": b"a,b\n1,2\n",
    "projects/my-project/notes.md": b"# mine\n",
    "projects/my-project/.aext-project/project.json": b'{"project_id": "p-1"}',
}


@pytest.fixture
def user_tree(jp_root_dir: Path) -> dict[str, bytes]:
    """The user's files, written before the server starts; tests check them afterwards."""
    for rel, data in USER_TREE.items():
        target = Path(jp_root_dir) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return dict(USER_TREE)


def files_under(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".ipynb_checkpoints" not in p.parts
    }


def _writable(folder: Path) -> bool:
    probe = folder / ".write-probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return False
    probe.unlink()
    return True


def _chattr(flag: str, path: Path) -> bool:
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    done = subprocess.run([chattr, flag, str(path)], capture_output=True, check=False)
    return done.returncode == 0


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """Make `folder` refuse new entries for real: mode 0555, or (as root, whom modes do not
    stop) the immutable attribute. Skips the test when neither holds on this system."""
    mode = folder.stat().st_mode
    os.chmod(folder, 0o555)
    immutable = False
    try:
        if _writable(folder):
            immutable = _chattr("+i", folder)
        if _writable(folder):
            pytest.skip("cannot make a folder read-only here (root without chattr +i)")
        yield
    finally:
        if immutable:
            _chattr("-i", folder)
        os.chmod(folder, mode)


@contextlib.contextmanager
def read_only_file(path: Path) -> Iterator[None]:
    mode = path.stat().st_mode
    os.chmod(path, 0o444)
    immutable = False
    try:
        try:
            with path.open("ab"):
                writable = True
        except OSError:
            writable = False
        if writable:
            immutable = _chattr("+i", path)
            try:
                with path.open("ab"):
                    pytest.skip("cannot make a file read-only here (root without chattr +i)")
            except OSError:
                pass
        yield
    finally:
        if immutable:
            _chattr("-i", path)
        os.chmod(path, mode)
