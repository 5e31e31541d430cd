"""Project folders on disk: readable unique names, creation with the marker, trash, paths.

Folder names come from project titles: `Sales forecast`, then `Sales forecast (2)`... They
are safe on Linux, macOS and Windows file systems (no separators or reserved characters, no
control characters, no leading dot that would hide the folder, no reserved device names,
at most 100 bytes) and unique ignoring case. A deleted project's folder goes to a trash
folder under the Jupyter data directory, outside the notebook tree: nothing is ever deleted.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import Collection
from datetime import datetime, timezone
from pathlib import Path

from jupyter_core.paths import jupyter_data_dir

from .errors import ServiceError
from .sync.ignore import EXTENSION_FOLDER
from .sync.local_files import resolve_inside, write_marker
from .sync.snapshot import marker_path

MAX_FOLDER_BYTES = 100
MAX_PATH_BYTES = 1024
UNTITLED = "Untitled project"
_UNSAFE = frozenset('/\\:*?"<>|')
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
_MAX_ATTEMPTS = 1000


def folder_name(title: str) -> str:
    """A filesystem-safe, readable folder name for a project title."""
    text = "".join(_safe_char(ch) for ch in unicodedata.normalize("NFC", title))
    text = " ".join(text.split()).strip(" .")
    text = text.encode()[:MAX_FOLDER_BYTES].decode(errors="ignore").rstrip(" .")
    if not text:
        return UNTITLED
    if text.split(".")[0].strip().lower() in _RESERVED:
        return f"{text} project"
    return text


def _safe_char(ch: str) -> str:
    if ch in _UNSAFE:
        return "-"
    return " " if unicodedata.category(ch).startswith("C") else ch


def project_slug(title: str) -> str:
    """A random cloud `name` for a new project: `sales-forecast-1f2e3d4c`."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:40].strip("-")
    return f"{stem or 'project'}-{secrets.token_hex(4)}"


def _candidates(name: str) -> list[str]:
    suffixes = [""] + [f" ({n})" for n in range(2, _MAX_ATTEMPTS + 1)]
    return [name + suffix for suffix in suffixes]


def reserve_folder(root: Path, title: str, taken: Collection[str]) -> Path:
    """Create a new, empty folder under `root` with a free name made from `title`.

    `taken`: absolute paths the store already uses (the folder may have been removed by
    hand; its name stays reserved). The folder is reserved by `mkdir`, so two requests can
    never get the same one. Raises OSError when `root` cannot hold it.
    """
    root.mkdir(parents=True, exist_ok=True)
    used = {entry.name.casefold() for entry in root.iterdir()}
    used |= {Path(path).name.casefold() for path in taken if Path(path).parent == root}
    for candidate in _candidates(folder_name(title)):
        if candidate.casefold() in used:
            continue
        folder = root / candidate
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(f"no free folder name for {title!r} under {root}")


def make_project_folder(root: Path, title: str, project_id: str, taken: Collection[str]) -> Path:
    """Create a new folder for a project under `root` (see `reserve_folder`) with its marker."""
    folder = reserve_folder(root, title, taken)
    try:
        write_marker(marker_path(folder), project_id)
    except BaseException:
        remove_new_folder(folder)
        raise
    return folder


def remove_new_folder(folder: Path) -> None:
    """Undo `make_project_folder`: drop our own files; leave anything a user put there."""
    shutil.rmtree(folder / EXTENSION_FOLDER, ignore_errors=True)
    with contextlib.suppress(OSError):  # not empty any more: the user's files stay
        folder.rmdir()


def trash_root() -> Path:
    """Where deleted projects' folders go: outside the notebook tree, restorable by hand."""
    return Path(jupyter_data_dir()) / "aext_project_filebrowser" / "trash"


def move_folder_to_trash(folder: Path, now: datetime | None = None) -> Path | None:
    """Move a project folder into the trash; returns where, or None if it was not there."""
    if not folder.is_dir():
        return None
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    trash = trash_root()
    trash.mkdir(parents=True, exist_ok=True)
    destination = trash / f"{stamp}-{folder.name}"
    counter = 1
    while destination.exists():
        counter += 1
        destination = trash / f"{stamp}-{folder.name} ({counter})"
    # A rename when on the same file system; otherwise copied, then removed (shutil.move).
    shutil.move(os.fspath(folder), os.fspath(destination))
    return destination


def invalid_path(path: str, why: str) -> ServiceError:
    return ServiceError(400, "invalid_path", f"invalid file path {path[:200]!r}: {why}")


def checked_relative_path(path: str) -> str:
    """A project-relative POSIX path, or 400 invalid_path (traversal, absolute, NUL...)."""
    if not path:
        raise invalid_path(path, "empty")
    if "\x00" in path or "\\" in path:
        raise invalid_path(path, "NUL and backslash are not allowed")
    if path.startswith("/"):
        raise invalid_path(path, "must be relative to the project folder")
    if len(path.encode(errors="replace")) > MAX_PATH_BYTES:
        raise invalid_path(path, f"longer than {MAX_PATH_BYTES} bytes")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise invalid_path(path, "empty, '.' and '..' segments are not allowed")
    if EXTENSION_FOLDER in parts:
        raise invalid_path(path, f"{EXTENSION_FOLDER}/ belongs to the extension")
    return path


def path_inside(root: Path, path: str) -> Path:
    """`root/path` after `checked_relative_path`, refusing symlinks that lead outside."""
    checked = checked_relative_path(path)
    try:
        return resolve_inside(root, checked)
    except (ValueError, OSError) as exc:
        raise invalid_path(path, str(exc)) from None
