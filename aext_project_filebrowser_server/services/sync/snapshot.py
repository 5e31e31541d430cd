"""The local snapshot: walk a project folder and hash only what changed since last time.

Runs in a worker thread (never on the event loop). For each file the (size, mtime_ns,
inode) triple is compared with the store's stat cache; only files whose triple moved are
re-hashed, so a no-change check costs about one `stat` per file. A file that changes while
it is hashed is hashed again, and reported as unreadable if it keeps changing, so a wrong
hash is never recorded. Symlinks are not followed out of the project: links to folders are
skipped, links to files are read only when they resolve inside the project.

Files are keyed by the NFC form of their name (`file_names.name_key`) and keep their name
on disk in `LocalFile.path`. A name the cloud cannot hold (bytes that are not UTF-8, a
control character...) is not hashed and never reaches the stat cache (SQLite and JSON hold
only valid Unicode): it is listed in `unsyncable` with the reason, and so are two names
that share one NFC form.
"""

from __future__ import annotations

import hashlib
import os
import stat as stat_module
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from ...store.files import FileRecord
from . import file_names
from .file_names import display_name, local_name_problem, name_key
from .ignore import EXTENSION_FOLDER, PROJECTIGNORE, IgnoreRules, ignore_rules, is_ignored
from .states import LocalFile, LocalSnapshot
from .unsyncable import TWO_LOCAL_SPELLINGS

CHUNK = 1024 * 1024
MARKER_NAME = "project.json"
HASH_ATTEMPTS = 3
# How long after a file's last write a stat can vouch for its content. File systems keep
# mtimes in ticks (FAT: 2 s; HFS+, ext3 and many network mounts: 1 s; others a clock tick),
# so a second same-size write in the tick of the first leaves size, mtime and inode as they
# were ("racily clean", as git calls it) and the edit would never be seen. A row for a file
# read less than this long after its last write keeps no mtime: the next snapshot hashes it
# again. (Found by the randomized worlds, tests/worlds, with coarse mtimes: an edit made in
# the same second as the sync never synced, or a stale plan was retried forever.)
RACY_WINDOW_NS = 2_000_000_000


@dataclass(frozen=True)
class SnapshotResult:
    """The snapshot plus the stat-cache rows that changed (to be saved by the caller)."""

    snapshot: LocalSnapshot
    cache_updates: tuple[FileRecord, ...]
    rules: IgnoreRules
    hashed: int


def marker_path(root: Path) -> Path:
    """The file that tells a project folder apart from an empty or unmounted one."""
    return root / EXTENSION_FOLDER / MARKER_NAME


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def cacheable_mtime(st: os.stat_result, read_from_ns: int) -> int | None:
    """`st`'s mtime for the stat cache, or None when the file was written too shortly before
    `read_from_ns` (when reading its content began) for the stat to vouch for the content."""
    return st.st_mtime_ns if read_from_ns - st.st_mtime_ns > RACY_WINDOW_NS else None


def _stat_key(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _walk(root: Path, rules: IgnoreRules) -> Iterator[tuple[str, os.stat_result]]:
    """(relative posix path, stat) for every regular file not ignored."""
    resolved_root = root.resolve()
    stack = [""]
    while stack:
        prefix = stack.pop()
        try:
            entries = list(os.scandir(root / prefix if prefix else root))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for entry in entries:
            rel = f"{prefix}{entry.name}"
            is_link = entry.is_symlink()
            if entry.is_dir(follow_symlinks=False):
                if not is_ignored(rules, rel + "/"):
                    stack.append(rel + "/")
                continue
            if is_ignored(rules, rel):
                continue
            try:
                if is_link:
                    target = Path(entry.path).resolve()
                    if not target.is_relative_to(resolved_root) or not target.is_file():
                        continue
                    st = target.stat()
                else:
                    st = entry.stat(follow_symlinks=False)
            except (OSError, RuntimeError):
                # RuntimeError: Python < 3.13's resolve() on a symlink loop (`a -> b -> a`).
                # A link the walk cannot follow is skipped like any other unreadable entry.
                continue
            if stat_module.S_ISREG(st.st_mode):
                yield rel, st


def _hash_stable(path: Path, before: os.stat_result) -> tuple[str, os.stat_result] | None:
    """Hash a file, making sure it did not change while it was read."""
    for _ in range(HASH_ATTEMPTS):
        try:
            digest = sha256_file(path)
            after = path.stat()
        except OSError:
            return None
        if _stat_key(after) == _stat_key(before):
            return digest, after
        before = after
    return None


def read_rules(root: Path) -> IgnoreRules:
    try:
        text = (root / PROJECTIGNORE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = None
    return ignore_rules(text)


def take_snapshot(
    root: Path, cache: Mapping[str, FileRecord], hash_workers: int = 2
) -> SnapshotResult:
    """Snapshot `root` against the stat cache `cache` (the store's rows by path)."""
    rules = read_rules(root)
    named, unsyncable = _by_key(_walk(root, rules))
    files: dict[str, LocalFile] = {}
    to_hash: list[tuple[str, str, os.stat_result]] = []
    for key, (rel, st) in named.items():
        row = cache.get(key)
        if (
            row is not None
            and row.local_sha256
            and (
                row.local_size,
                row.local_mtime_ns,
                row.local_inode,
            )
            == _stat_key(st)
        ):
            files[key] = LocalFile(rel, st.st_size, st.st_mtime_ns, st.st_ino, row.local_sha256)
        else:
            to_hash.append((key, rel, st))

    unreadable: list[str] = []
    updates: list[FileRecord] = []
    hashing_from = time.time_ns()
    with ThreadPoolExecutor(max_workers=hash_workers) as pool:
        results = pool.map(lambda item: _hash_stable(root / item[1], item[2]), to_hash)
        for (key, rel, _), result in zip(to_hash, results, strict=True):
            if result is None:
                unreadable.append(key)
                continue
            digest, st = result
            files[key] = LocalFile(rel, st.st_size, st.st_mtime_ns, st.st_ino, digest)
            previous = cache.get(key) or FileRecord(path=key, status="new_local")
            updates.append(
                replace(
                    previous,
                    local_size=st.st_size,
                    local_mtime_ns=cacheable_mtime(st, hashing_from),
                    local_inode=st.st_ino,
                    local_sha256=digest,
                )
            )
    snapshot = LocalSnapshot(
        files=files,
        marker_present=marker_path(root).is_file(),
        unreadable=tuple(sorted(unreadable)),
        unsyncable=unsyncable,
        case_insensitive=file_names.folder_is_case_insensitive(root),
    )
    return SnapshotResult(snapshot, tuple(updates), rules, len(to_hash))


def _by_key(
    walked: Iterator[tuple[str, os.stat_result]],
) -> tuple[dict[str, tuple[str, os.stat_result]], dict[str, str]]:
    """The walked files by key, and the names left alone (as shown) with their reason."""
    named: dict[str, tuple[str, os.stat_result]] = {}
    spellings: dict[str, list[str]] = {}
    unsyncable: dict[str, str] = {}
    for rel, st in walked:
        problem = local_name_problem(rel)
        if problem is not None:
            unsyncable[display_name(rel)] = problem
            continue
        key = name_key(rel)
        if key in named or key in spellings:
            spellings.setdefault(key, [named.pop(key)[0]] if key in named else []).append(rel)
            continue
        named[key] = (rel, st)
    for names in spellings.values():
        unsyncable.update(dict.fromkeys(names, TWO_LOCAL_SPELLINGS))
    return named, unsyncable
