"""Sending a file revision's bytes: `ETag`, checksum, `Last-Modified`, `Range`, streamed.

Shared by the API's file route and, in the evidence dialect, the storage route a download
is redirected to (`storage_handlers`), which answers like object storage: its own `ETag`,
no checksum header.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from .base import ReplicaHandler
from .blobs import blob_path
from .errors import BlobMissing
from .file_store import RevisionRecord
from .ranges import parse_range
from .serialize import http_date

CHUNK_SIZE = 64 * 1024


def parse_etags(value: str | None) -> frozenset[str] | None:
    """Version ids from an `If-Match`/`If-None-Match` value: quoted or not, `W/` dropped."""
    if value is None or not value.strip():
        return None
    tags = set()
    for part in value.split(","):
        tag = part.strip()
        tag = tag[2:] if tag.startswith("W/") else tag
        tag = tag.strip('"')
        if tag:
            tags.add(tag)
    return frozenset(tags)


async def send_revision(
    handler: ReplicaHandler,
    revision: RevisionRecord,
    content: bytes | None,
    path: str,
    *,
    send_body: bool,
    storage: bool = False,
) -> None:
    """Answer with `revision` (its bytes in `content`, or in its blob file). `storage`:
    answer as object storage does (an `ETag` of its own, no `X-Checksum-Sha256`)."""
    assert revision.sha256 is not None
    blob = blob_path(handler.state.data_dir, revision.sha256)
    if content is None and not blob.exists():
        raise BlobMissing(f"the stored body of version {revision.version_id} is missing")
    if storage:
        etag = '"' + hashlib.md5(revision.sha256.encode(), usedforsecurity=False).hexdigest() + '"'
    else:
        etag = f'"{revision.version_id}"'
        handler.set_header("X-Checksum-Sha256", revision.sha256)
    handler.set_header("ETag", etag)
    handler.set_header("Last-Modified", http_date(revision.created_at))
    handler.set_header("Accept-Ranges", "bytes")
    handler.set_header("Content-Type", mimetypes.guess_type(path)[0] or "application/octet-stream")
    if_none_match = parse_etags(handler.request.headers.get("If-None-Match"))
    if if_none_match and ("*" in if_none_match or etag.strip('"') in if_none_match):
        handler.set_status(304)
        handler.finish()
        return
    size = revision.size
    if_range = handler.request.headers.get("If-Range")
    byte_range = None
    if if_range is None or if_range.strip() == etag:
        byte_range = parse_range(handler.request.headers.get("Range"), size)
    first, last = byte_range or (0, size - 1)
    if byte_range is not None:
        handler.set_status(206)
        handler.set_header("Content-Range", f"bytes {first}-{last}/{size}")
    handler.set_header("Content-Length", str(last - first + 1))
    if send_body and content is not None:
        handler.write(content[first : last + 1])
    elif send_body:
        await _send_blob(handler, blob, first, last - first + 1)
    handler.finish()


async def _send_blob(handler: ReplicaHandler, blob: Path, offset: int, length: int) -> None:
    """Stream `length` bytes from `offset`, one chunk in memory at a time."""
    with blob.open("rb") as f:
        f.seek(offset)
        remaining = length
        while remaining > 0:
            chunk = f.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                raise BlobMissing("the stored body is shorter than recorded")
            remaining -= len(chunk)
            handler.write(chunk)
            await handler.flush()
