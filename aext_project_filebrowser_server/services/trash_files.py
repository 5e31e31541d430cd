"""The project's own trash on disk: what is in it, and putting one file back.

Syncs and conflict resolution never unlink a user's file: they move it to
`<folder>/.aext-project/trash/<stamp>/<relative path>` (`sync.local_files.move_to_trash`,
`conflicts`), where `<stamp>` is the UTC second it happened (`20261202-011500`). Everything
here is blocking file work: call it in a worker thread.

A trash path is trusted only when it is exactly that shape and leads, after resolving every
symlink, to the same place inside the project's own trash: a link in the trash (or a trash
folder that is itself a link) could otherwise hand out, or move, a file from anywhere.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import ServiceError
from .project_folders import checked_relative_path, invalid_path, path_inside
from .sync.ignore import EXTENSION_FOLDER
from .sync.local_files import fsync_directory
from .sync.names import _fit, _split_extension

TRASH_PARTS = (EXTENSION_FOLDER, "trash")
_STAMP = re.compile(r"\d{8}-\d{6}")
_MAX_NAMES = 1000


@dataclass(frozen=True)
class TrashedFile:
    """A regular file in the trash: its original project path, where it is, when and size."""

    path: str
    trash_path: str
    deleted_at: datetime
    size: int


def _stamp_time(name: str) -> datetime | None:
    if not _STAMP.fullmatch(name):
        return None
    try:
        return datetime.strptime(name, "%Y%m%d-%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _trash_folder(root: Path) -> Path | None:
    """The project's trash folder, or None when missing or not where it claims to be."""
    trash = root.joinpath(*TRASH_PARTS)
    try:
        if trash.resolve() != root.resolve().joinpath(*TRASH_PARTS) or not trash.is_dir():
            return None
    except (OSError, RuntimeError):
        return None
    return trash


def list_trash(root: Path) -> list[TrashedFile]:
    """Every regular file in the project's trash (links, folders and sockets are not files
    anyone could restore; folders whose name is no stamp were not made by us: both skipped)."""
    trash = _trash_folder(root)
    if trash is None:
        return []
    found: list[TrashedFile] = []
    with os.scandir(trash) as stamps:
        stamp_folders = [(s.name, s.path) for s in stamps if s.is_dir(follow_symlinks=False)]
    for name, folder in stamp_folders:
        when = _stamp_time(name)
        if when is None:
            continue
        for where, _dirs, files in os.walk(folder):  # never follows links to folders
            for file_name in files:
                full = os.path.join(where, file_name)
                try:
                    st = os.lstat(full)
                except OSError:
                    continue
                if not stat.S_ISREG(st.st_mode):
                    continue
                relative = Path(full).relative_to(folder).as_posix()
                trash_path = "/".join((*TRASH_PARTS, name, relative))
                found.append(TrashedFile(relative, trash_path, when, st.st_size))
    return found


def trashed_source(root: Path, trash_path: str) -> tuple[Path, str]:
    """The trash file at `trash_path` and its original project path; 400 `invalid_path` for
    anything that is not a file inside the project's own trash, 404 when it is not there."""
    parts = trash_path.split("/")
    if len(parts) < 4 or tuple(parts[:2]) != TRASH_PARTS or _stamp_time(parts[2]) is None:
        raise invalid_path(trash_path, f"not in the project trash ({'/'.join(TRASH_PARTS)}/)")
    original = "/".join(parts[3:])
    try:
        checked_relative_path(original)
    except ServiceError as exc:
        raise invalid_path(trash_path, exc.message) from None
    source = root.joinpath(*parts)
    try:
        leads_to = source.resolve()
    except (OSError, RuntimeError) as exc:
        raise invalid_path(trash_path, str(exc)) from None
    if leads_to != root.resolve().joinpath(*parts):
        raise invalid_path(trash_path, "a link leads out of the project trash")
    try:
        st = os.lstat(source)
    except (FileNotFoundError, NotADirectoryError):
        raise ServiceError(404, "not_found", f"nothing in the trash at {trash_path!r}") from None
    if not stat.S_ISREG(st.st_mode):
        raise invalid_path(trash_path, "not a regular file")
    return source, original


def restored_name(path: str, now: datetime, counter: int) -> str:
    """`data (restored 2026-12-02 01-15).csv` next to `path` (then `... 01-15 2).csv`...)."""
    folder, _, name = path.rpartition("/")
    stem, extension = _split_extension(name)
    label = f" (restored {now:%Y-%m-%d %H-%M}" + (f" {counter}" if counter > 1 else "") + ")"
    candidate = _fit(stem, label + extension)
    return f"{folder}/{candidate}" if folder else candidate


def _link_or_rename(source: Path, target: Path) -> bool:
    """Move `source` to `target` unless something is there; False when it was taken."""
    try:
        os.link(source, target)  # refuses an existing target, atomically
    except FileExistsError:
        return False
    except OSError:  # no hard links on this file system: rename after a last check
        if os.path.lexists(target):
            return False
        os.rename(source, target)
        return True
    os.unlink(source)  # the bytes are safe under the restored name
    return True


def restore_from_trash(root: Path, trash_path: str, now: datetime) -> tuple[str, str]:
    """Move a trash file back to its original path, or next to it under a new name when
    the path is taken (by a file, folder or link): nothing is overwritten or removed.
    Returns `(original path, where it is now)`."""
    source, original = trashed_source(root, trash_path)
    for counter in range(_MAX_NAMES + 1):
        candidate = original if counter == 0 else restored_name(original, now, counter)
        target = path_inside(root, candidate)
        if os.path.lexists(target):
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            folder = original.rpartition("/")[0]
            raise ServiceError(
                409, "path_blocked", f"{folder!r} is a file now; move it to restore {original!r}"
            ) from None
        if _link_or_rename(source, target):
            fsync_directory(target.parent)
            return original, candidate
    raise ServiceError(409, "path_blocked", f"no free name next to {original!r}")
