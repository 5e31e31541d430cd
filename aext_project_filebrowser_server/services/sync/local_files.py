"""Safe local file moves for the executor: temp files, atomic replace, trash, fsync.

Nothing here deletes a user's file: replaced content is only ever a file the plan proved
equal to the base, and removed files are moved into the project's trash folder.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import stat
import sys
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

from .ignore import EXTENSION_FOLDER


class LocalChanged(Exception):
    """The local file is no longer what the plan saw; the operation was not performed."""


# Names this process's temp files, so `clear_stale_temp` can tell them from the partial
# downloads a killed server left behind (no clock involved: mtimes on network mounts lie).
_PROCESS_TAG = uuid.uuid4().hex[:12]


def temp_path(root: Path) -> Path:
    """A fresh temp file path inside the project (same file system, so rename is atomic)."""
    folder = root / EXTENSION_FOLDER / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{_PROCESS_TAG}-{uuid.uuid4().hex}.part"


def clear_stale_temp(root: Path) -> int:
    """Delete the temp files of other (killed) server processes; returns how many.

    A server killed mid-download leaves its `.part` file in the project's temp folder, and
    nothing else would ever remove it (found by the crash-matrix tests: a crash during a
    large download kept its size in the hidden folder for good). Files of this process are
    kept: a transfer of this server may be writing them right now. These are never user
    files: only the executor writes there.
    """
    folder = root / EXTENSION_FOLDER / "tmp"
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:  # no temp folder yet, or unreadable: nothing to clear
        return 0
    for entry in entries:
        if not entry.name.endswith(".part") or entry.name.startswith(f"{_PROCESS_TAG}-"):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    return removed


def trash_folder(root: Path, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    return root / EXTENSION_FOLDER / "trash" / stamp


def fsync_directory(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def resolve_inside(root: Path, relative: str) -> Path:
    """`root/relative`, refusing anything that would land outside `root` (symlinks too)."""
    try:
        target = (root / relative).resolve()
    except RuntimeError as exc:
        # Python < 3.13 raises RuntimeError for a symlink loop (`a -> b -> a`); callers
        # handle ValueError as "refused", so a loop in a project folder must not escape as
        # a RuntimeError (it turned REST calls into 500s and failed whole syncs).
        raise ValueError(f"path runs into a symlink loop: {relative!r}") from exc
    base = root.resolve()
    if target == base or not target.is_relative_to(base):
        raise ValueError(f"path escapes the project folder: {relative!r}")
    return root / relative


def move_into_place(temp: Path, target: Path, *, durable: bool = True) -> os.stat_result:
    """Atomically put a verified temp file at `target`; returns the new file's stat.

    `durable=False` skips the fsync of the directory: the caller makes a whole group of
    placed files durable at once with `make_durable`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temp, target)
    if durable:
        fsync_directory(target.parent)
    return target.stat()


# Opening a placed path fails so when something else is there now (see `make_durable`).
_NOT_OURS_ANY_MORE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.ENXIO})


def make_durable(files: Iterable[Path]) -> None:
    """fsync each file, then each distinct folder holding them once (blocking: call it in a
    worker thread).

    The executor renames verified downloads into place without fsyncing them one by one
    (a per-file fsync of the file and of its folder was a quarter of a pull's time) and
    calls this once per commit group, before the group's base rows are written: a base is
    still recorded only after its bytes and its directory entry are on disk. A path that no
    longer holds a regular file (deleted, replaced by a folder, a link or a FIFO since) is
    skipped: what is there now is not ours to make durable.
    """
    folders: dict[Path, None] = {}
    for path in files:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno in _NOT_OURS_ANY_MORE:
                continue
            raise
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.fsync(fd)
                folders[path.parent] = None
        finally:
            os.close(fd)
    for folder in folders:
        try:
            fsync_directory(folder)
        except FileNotFoundError:
            continue


def move_to_trash(root: Path, relative: str, now: datetime | None = None) -> Path:
    """Move a project file into the trash, keeping its relative path; returns where."""
    source = resolve_inside(root, relative)
    destination = trash_folder(root, now) / relative
    destination.parent.mkdir(parents=True, exist_ok=True)
    while destination.exists():
        destination = destination.with_name(destination.name + ".1")
    os.replace(source, destination)
    return destination


def move_aside(root: Path, relative: str, copy_relative: str) -> Path:
    """Rename a project file to a new name (a conflict copy); refuses to overwrite."""
    source = resolve_inside(root, relative)
    target = resolve_inside(root, copy_relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        rename_no_replace(source, target)
    except FileExistsError:
        raise LocalChanged(f"conflict copy {copy_relative!r} already exists") from None
    return target


_RENAME_NOREPLACE = 1  # linux/fs.h
_AT_FDCWD = -100


def _libc_renameat2() -> Callable[..., int] | None:
    if sys.platform != "linux":
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # glibc < 2.28, musl without it
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return cast(Callable[..., int], function)


_renameat2 = _libc_renameat2()


def rename_no_replace(source: Path, target: Path) -> None:
    """Move `source` to `target` in one step, never replacing a `target` that exists
    (FileExistsError). Linux: `renameat2(RENAME_NOREPLACE)`, atomic. Elsewhere, or where
    the file system lacks it: a hard link (which refuses an existing target), then the old
    name is removed only while it is still the same file — a user's save that replaced the
    file in the meantime is never removed (LocalChanged; both files stay)."""
    if _renameat2 is not None:
        names = (os.fsencode(source), os.fsencode(target))
        if _renameat2(_AT_FDCWD, names[0], _AT_FDCWD, names[1], _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise FileExistsError(code, os.strerror(code), str(target))
        if code not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise OSError(code, os.strerror(code), str(source))
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError:  # no hard links on this file system: rename after a last check
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from None
        os.rename(source, target)
        return
    if not os.path.samestat(os.stat(source), os.stat(target)):
        raise LocalChanged(f"{source.name!r} was replaced during the move; both are kept")
    source.unlink()


# Keeps the extension's folder (temp files, trash, the marker) out of a git repository
# that holds the project folder: `git add .` must never commit a trashed file.
GITIGNORE = "# aext-project-filebrowser's own files (temp, trash): never committed\n*\n"


def write_marker(marker: Path, project_id: str) -> None:
    """Create the folder's marker (atomically) if it is missing, and the `.gitignore` of
    the extension's folder (see `GITIGNORE`) if that is missing."""
    marker.parent.mkdir(parents=True, exist_ok=True)
    ignore = marker.parent / ".gitignore"
    if not ignore.exists():
        ignore_temp = ignore.with_name(f".gitignore.{uuid.uuid4().hex}.tmp")
        ignore_temp.write_text(GITIGNORE, encoding="utf-8")
        os.replace(ignore_temp, ignore)
    if marker.is_file():
        return
    temp = marker.with_name(marker.name + ".tmp")
    temp.write_text(json.dumps({"project_id": project_id}), encoding="utf-8")
    os.replace(temp, marker)
