"""Streaming helpers for file transfers: a multipart upload body read from disk in chunks and
a download sink that hashes, writes and (optionally) fsyncs, both keeping file I/O off the
event loop.

Memory use is bounded by a few chunks whatever the file size. A file that fits in one chunk
costs one worker-thread call each way (open, read or write, hash, close together): with
thousands of small files the thread hops, not the bytes, were the cost. Files of
`LARGE_FILE` or more are uploaded in `LARGE_CHUNK_SIZE` pieces, the next piece read while
the current one is on the wire; downloads are hashed and written in `DOWNLOAD_BATCH` batches
while the next batch arrives. So the disk and the network work at the same time.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import ssl
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpcore
import httpx

from ..crashpoints import crash_point
from .errors import LocalFileChanged

__all__ = [
    "CHUNK_SIZE",
    "DOWNLOAD_BATCH",
    "NETWORK_READ_SIZE",
    "CloudTransport",
    "DownloadSink",
    "MultipartFileBody",
    "chunk_size_for",
    "sha256_file",
]

CHUNK_SIZE = 256 * 1024
LARGE_CHUNK_SIZE = 2 * 1024 * 1024
LARGE_FILE = 16 * 1024 * 1024
# A download is hashed and written in batches of this many bytes (one thread hop each).
DOWNLOAD_BATCH = 4 * 1024 * 1024
# The most a cloud connection asks its socket for at once (see `CloudTransport`).
NETWORK_READ_SIZE = 256 * 1024


def chunk_size_for(size: int | None) -> int:
    """The piece size for a transfer of `size` bytes (None: unknown): big files in big
    pieces, so a 1 GiB file costs 512 thread hops rather than 4,096."""
    return LARGE_CHUNK_SIZE if size is not None and size >= LARGE_FILE else CHUNK_SIZE


def _html5_quote(value: str) -> str:
    """Encode a form-data parameter value as browsers do (WHATWG HTML multipart rules)."""
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def _read_and_hash(f: IO[bytes], size: int, hasher: hashlib._Hash) -> bytes:
    data = f.read(size)
    hasher.update(data)
    return data


def _read_whole(f: IO[bytes], size: int) -> tuple[bytes, str]:
    """A file expected to hold `size` bytes, read with one byte more (to see if it grew),
    and its sha256: a small upload's only worker-thread call."""
    data = f.read(size + 1)
    return data, hashlib.sha256(data).hexdigest()


async def _settle(pending: asyncio.Future[Any] | None) -> None:
    """Wait until a worker-thread call is over (even if the caller is being cancelled, the
    thread runs on), so its file is never closed under it. Its error is dropped: whoever
    awaited it first has seen it, or the transfer is being abandoned anyway."""
    if pending is not None:
        await asyncio.wait([pending])
        if not pending.cancelled():
            pending.exception()


def sha256_file(path: Path, chunk_size: int = CHUNK_SIZE) -> str:
    """The hex sha256 of a file, read in chunks (blocking: call it in a worker thread)."""
    hasher = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            hasher.update(chunk)
    return hasher.hexdigest()


class MultipartFileBody:
    """A `multipart/form-data` body with one file part, streamed from disk.

    Use as an async context manager (it opens the file in a worker thread, and closes it),
    then pass it as httpx `content=` with `headers` (which include the exact
    `Content-Length`, so the request is not chunked). A file of at most one chunk is read
    and hashed whole when the block is entered (one thread hop; at most one chunk held);
    a bigger one is read and hashed while iterating, in `chunk_size` pieces (by default
    `chunk_size_for` its size), the next one read while the current one is sent.
    `sha256` is the hex digest of the bytes sent, available once the iteration completed.

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
        chunk_size: int | None = None,
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
        self._whole: tuple[bytes, str] | None = None
        self._reading: asyncio.Future[bytes] | None = None
        self._entered = False
        self.file_size = -1
        self.sha256: str | None = None
        self._iterated = False

    async def __aenter__(self) -> MultipartFileBody:
        def _open() -> tuple[IO[bytes] | None, int, tuple[bytes, str] | None]:
            f = open(self.path, "rb")  # noqa: SIM115 - closed here or in __aexit__
            try:
                size = os.fstat(f.fileno()).st_size
                if size > (self.chunk_size or chunk_size_for(size)):
                    return f, size, None
                whole = _read_whole(f, size)
            except BaseException:
                f.close()
                raise
            f.close()
            return None, size, whole

        # A small file is read, hashed and closed right here: one thread hop in all.
        self._file, self.file_size, self._whole = await asyncio.to_thread(_open)
        if self.chunk_size is None:
            self.chunk_size = chunk_size_for(self.file_size)
        self._entered = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._entered = False
        self._whole = None
        await _settle(self._reading)  # a read ahead of an aborted send
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

    def _check(self, digest: str) -> None:
        if self.expected_sha256 is not None and digest != self.expected_sha256.lower():
            raise LocalFileChanged(
                f"{self.path.name}: the file changed since it was hashed "
                f"(expected sha256 {self.expected_sha256}, read {digest})"
            )
        self.sha256 = digest

    async def _iterate(self) -> AsyncIterator[bytes]:
        if not self._entered:
            raise RuntimeError("MultipartFileBody iterated outside its `async with` block")
        if self._iterated:
            raise RuntimeError("MultipartFileBody can be sent only once; open a new one")
        self._iterated = True
        if self._whole is not None:
            data, digest = self._whole
            if len(data) != self.file_size:
                how = "shrank" if len(data) < self.file_size else "grew"
                raise LocalFileChanged(
                    f"{self.path.name}: the file {how} while it was being uploaded"
                )
            self._check(digest)
            # The request's headers are on the wire, its body is not: mid-upload.
            crash_point("mid_upload")
            yield self._head + data + self._tail
            return
        f, chunk_size = self._file, self.chunk_size
        assert f is not None and chunk_size is not None  # set together by __aenter__
        # Bigger files: the head, the file in pieces (each read while the previous one is
        # sent), then the tail once the whole file checked out.
        hasher = hashlib.sha256()

        def read_ahead(remaining: int) -> asyncio.Future[bytes]:
            return asyncio.ensure_future(
                asyncio.to_thread(_read_and_hash, f, min(chunk_size, remaining), hasher)
            )

        reading = self._reading = read_ahead(self.file_size)
        yield self._head
        remaining = self.file_size
        while remaining > 0:
            # Shielded: a cancelled send must not cancel the wait for the thread, which
            # keeps reading (`__aexit__` waits for it before closing the file).
            chunk = await asyncio.shield(reading)
            if not chunk:
                raise LocalFileChanged(
                    f"{self.path.name}: the file shrank while it was being uploaded"
                )
            remaining -= len(chunk)
            if remaining > 0:
                reading = self._reading = read_ahead(remaining)
            yield chunk
            crash_point("mid_upload")
        if await asyncio.to_thread(f.read, 1):
            raise LocalFileChanged(f"{self.path.name}: the file grew while it was being uploaded")
        self._check(hasher.hexdigest())
        yield self._tail


class DownloadSink:
    """Writes a download to `dest` in worker threads, hashing on the way.

    `async with DownloadSink(dest) as sink: await sink.write(piece) ...; await sink.close()`,
    then check `size` / `sha256` and call `keep()`. Leaving the block without `keep` (an
    error, a verification failure, a cancel) deletes `dest`.

    Pieces (as the network delivers them, up to a few hundred KiB) are gathered until they
    hold `batch` bytes; the batch is then hashed and written, piece by piece without joining
    them, in one worker-thread call, while the next batch is received. hashlib and the file
    write release the GIL for pieces this large, so hashing and writing overlap with the
    event loop. `close` writes what is left, flushes, fsyncs when `durable` and closes the
    file in one worker-thread call: a download of at most one batch costs a single thread
    hop, and memory stays at two batches. `durable=False` leaves the fsync to the caller
    (the sync executor fsyncs a whole group of downloaded files at once, before it records
    their bases).
    """

    def __init__(self, dest: Path, *, durable: bool = True, batch: int = DOWNLOAD_BATCH) -> None:
        self.dest = dest
        self.durable = durable
        self.batch = batch
        self.size = 0
        self._hasher = hashlib.sha256()
        self._file: IO[bytes] | None = None
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._writing: asyncio.Future[None] | None = None
        self._entered = False
        self._closed = False
        self._kept = False

    @property
    def sha256(self) -> str:
        return self._hasher.hexdigest()

    async def __aenter__(self) -> DownloadSink:
        self._entered = True
        return self

    def _opened(self) -> IO[bytes]:
        if self._file is None:
            self._file = open(self.dest, "wb")  # noqa: SIM115 - closed by _close or _discard
        return self._file

    def _write(self, pieces: list[bytes]) -> None:
        f = self._opened()
        for piece in pieces:
            self._hasher.update(piece)
            f.write(piece)

    def _close(self, last: list[bytes]) -> None:
        self._write(last)
        f = self._opened()
        f.flush()
        if self.durable:
            os.fsync(f.fileno())
        self._file = None
        f.close()

    def _take_pending(self) -> list[bytes]:
        pieces, self._pending, self._pending_size = self._pending, [], 0
        return pieces

    def _check_open(self) -> None:
        if not self._entered or self._closed:
            raise RuntimeError("DownloadSink used outside its `async with` block")

    async def _wait_writing(self) -> None:
        if self._writing is not None:
            # Shielded: a cancel must not abandon the thread, which keeps writing
            # (`__aexit__` waits for it before deleting the file).
            await asyncio.shield(self._writing)
            self._writing = None

    async def write(self, data: bytes) -> None:
        self._check_open()
        if data:
            self._pending.append(data)
            self._pending_size += len(data)
            self.size += len(data)
        if self._pending_size >= self.batch:
            await self._wait_writing()
            pieces = self._take_pending()
            self._writing = asyncio.ensure_future(asyncio.to_thread(self._write, pieces))
        crash_point("mid_download")

    async def close(self) -> None:
        """Write what is left, flush, fsync (when `durable`) and close the file; `size`
        and `sha256` then describe the whole download."""
        self._check_open()
        await self._wait_writing()
        await asyncio.to_thread(self._close, self._take_pending())
        self._closed = True

    def keep(self) -> None:
        """Keep the (closed, verified) file when the block exits."""
        if not self._closed:
            raise RuntimeError("DownloadSink.keep() before close()")
        self._kept = True

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
        self._take_pending()
        if not self._kept:
            # Shielded so that a cancelled download still removes its partial file.
            await asyncio.shield(self._abandon())

    async def _abandon(self) -> None:
        await _settle(self._writing)
        await asyncio.to_thread(self._discard)


class _LargeReadStream(httpcore.AsyncNetworkStream):
    """A connection's socket stream that asks for at least `read_size` bytes per read."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, read_size: int) -> None:
        self._inner = inner
        self._read_size = read_size

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max(max_bytes, self._read_size), timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        inner = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _LargeReadStream(inner, self._read_size)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _LargeReadBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend, read_size: int) -> None:
        self._inner = inner
        self._read_size = read_size

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        return _LargeReadStream(stream, self._read_size)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options
        )
        return _LargeReadStream(stream, self._read_size)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class CloudTransport(httpx.AsyncHTTPTransport):
    """httpx's pooled transport, whose connections read the socket in pieces of up to
    `read_size` bytes rather than httpcore's fixed 64 KiB (`READ_NUM_BYTES`).

    A 1 GiB download took ~16,000 reads through httpcore, h11 and anyio, each 256 KiB
    socket receive split into four (and the rest copied at each split): the client was
    CPU-bound. asyncio receives at most 256 KiB per `recv`, so reads of that size take each
    received piece whole. Memory stays bounded by `read_size` per connection.

    httpx has no parameter for httpcore's network backend, so the connection pool it built
    is replaced by one with the same settings and a backend wrapping anyio's. Nothing global
    is patched.
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits,
        retries: int = 0,
        read_size: int = NETWORK_READ_SIZE,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        # One SSL context for both pools (the one httpx builds is replaced below), and for
        # every pool of a `pools.ShardedTransport`: each loads the CA bundle, ~1 MiB of
        # every user's server.
        ssl_context = ssl_context or httpx.create_ssl_context()
        super().__init__(verify=ssl_context, limits=limits, retries=retries)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            retries=retries,
            network_backend=_LargeReadBackend(httpcore.AnyIOBackend(), read_size),
        )
