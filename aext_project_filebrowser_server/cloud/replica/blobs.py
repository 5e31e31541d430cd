"""Content-addressed file bodies, named by their sha256: small ones in the DB, large ones here.

A body of at most `INLINE_MAX_BYTES` (256 KiB, which is also what an upload keeps in memory)
is a row of the `blobs` table, inserted in the same SQLite transaction as the revision that
points at it (`file_store.add_revision`). Small files are most of a sync, and as files each
cost a create, a write, an fsync, a rename and a directory fsync — 3 to 5 ms of waiting on this
kind of disk, which capped a client at a few hundred PUTs a second — while one transaction
makes the bytes and their revision durable together (see `storage` for what a commit
guarantees), and a GET reads them with the revision in one query.

Larger bodies are files `DATA/blobs/ab/abcdef…`. Uploads stream into `DATA/tmp/` (same file
system, so the final rename is atomic). Storing one is fsync(temp) → `os.replace` →
fsync(directory), in that order, so a blob name that exists always has its complete bytes,
even after a power cut; the DB row pointing at a blob is committed only after the blob is in
place, so no crash can leave a revision whose bytes are missing. Identical content is
written once: if the blob already exists the temp file is simply removed. Blobs are never
deleted (revisions are kept forever and different projects may share a blob).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

INLINE_MAX_BYTES = 256 * 1024


def blob_path(data_dir: Path, sha256: str) -> Path:
    return data_dir / "blobs" / sha256[:2] / sha256


def tmp_dir(data_dir: Path) -> Path:
    return data_dir / "tmp"


def clear_tmp(data_dir: Path) -> None:
    """Remove uploads left half-written by a previous process, and make sure the dir exists."""
    tmp = tmp_dir(data_dir)
    tmp.mkdir(parents=True, exist_ok=True)
    for leftover in tmp.iterdir():
        leftover.unlink(missing_ok=True)


def _fsync_path(path: Path, flags: int = os.O_RDONLY) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _place(tmp_path: Path, final: Path) -> None:
    """Rename a synced temp file to its blob name and make the rename durable."""
    try:
        os.replace(tmp_path, final)
    except FileNotFoundError:  # first blob of this prefix (or tmp_path vanished: re-raised)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_path, final)
    _fsync_path(final.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


def store_blob(data_dir: Path, tmp_path: Path, sha256: str) -> None:
    """Move a finished upload into place under its hash (blocking: run it in a thread)."""
    final = blob_path(data_dir, sha256)
    if final.exists():
        tmp_path.unlink(missing_ok=True)
        return
    _fsync_path(tmp_path)
    _place(tmp_path, final)


def store_bytes(data_dir: Path, content: bytes, sha256: str | None = None) -> str:
    """Store an in-memory body as a blob file (seeding a large file); returns its sha256."""
    sha256 = sha256 or hashlib.sha256(content).hexdigest()
    final = blob_path(data_dir, sha256)
    if final.exists():
        return sha256
    fd, name = tempfile.mkstemp(dir=tmp_dir(data_dir), prefix="small-")
    try:
        _write_all(fd, content)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(name)
        raise
    os.close(fd)
    _place(Path(name), final)
    return sha256


def _write_all(fd: int, content: bytes) -> None:
    view = memoryview(content)
    while view:
        view = view[os.write(fd, view) :]
