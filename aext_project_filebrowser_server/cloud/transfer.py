"""Streaming helpers for file transfers: a multipart upload body read from disk in chunks and
a download sink that hashes, writes and fsyncs, both keeping file I/O off the event loop.

Memory use is bounded by one chunk (256 KiB by default) whatever the file size: the upload
body is an async iterator that reads the next chunk in a worker thread only when httpx asks
for it, and the download sink writes each received chunk in a worker thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import IO

from ..crashpoints import crash_point
from .errors import LocalFileChanged

__all__ = ["CHUNK_SIZE", "DownloadSink", "MultipartFileBody", "sha256_file"]

CHUNK_SIZE = 256 * 1024


def _html5_quote(value: str) -> str:
    """Encode a form-data parameter value as browsers do (WHATWG HTML multipart rules)."""
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def _read_and_hash(f: IO[bytes], size: int, hasher: hashlib._Hash) -> bytes:
    data = f.read(size)
    hasher.update(data)
    return data


def sha256_file(path: Path, chunk_size: int = CHUNK_SIZE) -> str:
    """The hex sha256 of a file, read in chunks (blocking: call it in a worker thread)."""
    hasher = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            hasher.update(chunk)
    return hasher.hexdigest()


class MultipartFileBody:
    """A `multipart/form-data` body with one file part, streamed from disk.

    Use as an async context manager (it opens the file, in a worker thread, and closes it),
    then pass it as httpx `content=` with `headers` (which include the exact
    `Content-Length`, so the request is not chunked). Iterating reads the file in
    `chunk_size` pieces off the event loop and hashes them; `sha256` is the hex digest of
    the bytes sent, available once the iteration completed.

    If the file's length changes while it is sent, or its hash differs from
    `expected_sha256`, iteration raises `LocalFileChanged` *before* the closing boundary,
    so the server receives an incomplete body and commits nothing.
    """

    def __init__(
        self,
        path: Path,
        *,
        field: str,
        filename: str,
        content_type: str = "application/octet-stream",
        expected_sha256: str | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.path = path
        self.chunk_size = chunk_size
        self.expected_sha256 = expected_sha256
        self.boundary = secrets.token_hex(16)
        self._head = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_html5_quote(field)}"; '
            f'filename="{_html5_quote(filename)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._file: IO[bytes] | None = None
        self.file_size = -1
        self.sha256: str | None = None
        self._iterated = False

    async def __aenter__(self) -> MultipartFileBody:
        def _open() -> tuple[IO[bytes], int]:
            f = open(self.path, "rb")  # noqa: SIM115 - closed in __aexit__
            try:
                return f, os.fstat(f.fileno()).st_size
            except BaseException:
                f.close()
                raise

        self._file, self.file_size = await asyncio.to_thread(_open)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            f, self._file = self._file, None
            await asyncio.to_thread(f.close)

    @property
    def content_length(self) -> int:
        return len(self._head) + self.file_size + len(self._tail)

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Content-Length": str(self.content_length),
        }

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        f = self._file
        if f is None:
            raise RuntimeError("MultipartFileBody iterated outside its `async with` block")
        if self._iterated:
            raise RuntimeError("MultipartFileBody can be sent only once; open a new one")
        self._iterated = True
        hasher = hashlib.sha256()
        yield self._head
        remaining = self.file_size
        while remaining > 0:
            chunk = await asyncio.to_thread(
                _read_and_hash, f, min(self.chunk_size, remaining), hasher
            )
            if not chunk:
                raise LocalFileChanged(
                    f"{self.path.name}: the file shrank while it was being uploaded"
                )
            remaining -= len(chunk)
            yield chunk
            crash_point("mid_upload")
        if await asyncio.to_thread(f.read, 1):
            raise LocalFileChanged(f"{self.path.name}: the file grew while it was being uploaded")
        digest = hasher.hexdigest()
        if self.expected_sha256 is not None and digest != self.expected_sha256.lower():
            raise LocalFileChanged(
                f"{self.path.name}: the file changed since it was hashed "
                f"(expected sha256 {self.expected_sha256}, read {digest})"
            )
        self.sha256 = digest
        yield self._tail


def _write_and_hash(f: IO[bytes], data: bytes, hasher: hashlib._Hash) -> None:
    hasher.update(data)
    f.write(data)


def _finish(f: IO[bytes]) -> None:
    f.flush()
    os.fsync(f.fileno())
    f.close()


class DownloadSink:
    """Writes a download to `dest` chunk by chunk in a worker thread, hashing on the way.

    `async with DownloadSink(dest) as sink: await sink.write(chunk) ...; await sink.commit()`.
    `commit` flushes and fsyncs the file. Leaving the block without `commit` (an error, a
    verification failure) closes and deletes the partial `dest`.
    """

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.size = 0
        self._hasher = hashlib.sha256()
        self._file: IO[bytes] | None = None
        self._committed = False

    @property
    def sha256(self) -> str:
        return self._hasher.hexdigest()

    async def __aenter__(self) -> DownloadSink:
        self._file = await asyncio.to_thread(open, self.dest, "wb")
        return self

    async def write(self, data: bytes) -> None:
        if self._file is None:
            raise RuntimeError("DownloadSink used outside its `async with` block")
        await asyncio.to_thread(_write_and_hash, self._file, data, self._hasher)
        self.size += len(data)
        crash_point("mid_download")

    async def commit(self) -> None:
        """Flush and fsync the downloaded file; it is kept when the block exits."""
        if self._file is None:
            raise RuntimeError("DownloadSink used outside its `async with` block")
        f, self._file = self._file, None
        await asyncio.to_thread(_finish, f)
        self._committed = True

    def _discard(self) -> None:
        if self._file is not None:
            f, self._file = self._file, None
            f.close()
        self.dest.unlink(missing_ok=True)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            # Shielded so that a cancelled download still removes its partial file.
            await asyncio.shield(asyncio.to_thread(self._discard))
