"""Receiving a multipart/form-data upload as a stream, into memory or a temp file.

Tornado hands the body over chunk by chunk (`@stream_request_body`); each chunk goes through
python-multipart's push parser, and the bytes of the `files` part are hashed on the way and
spooled: kept in memory up to `INLINE_MAX_BYTES` (256 KiB), then moved to a temp file in
`DATA/tmp/` that receives the rest. Memory per upload is therefore bounded whatever the file
size, and small files (the common case, hundreds per second during a sync) never touch the
file system: they are stored in the DB with their revision (see `blobs`). Other form fields
are skipped; a second `files` part, a missing one or a truncated body is a
`400 invalid_request` (reported once the body has been read).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from .blobs import INLINE_MAX_BYTES
from .errors import InvalidRequest

FILE_FIELD = b"files"


@dataclass(frozen=True)
class ReceivedFile:
    """An upload: in `tmp_path` if it was spooled to disk, else in `content`."""

    sha256: str
    size: int
    tmp_path: Path | None = None
    content: bytes = b""


def multipart_boundary(content_type: str | None) -> bytes:
    """The boundary of a multipart/form-data Content-Type, or `InvalidRequest`."""
    kind, params = parse_options_header(content_type or "")
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidRequest(
            "uploads must be multipart/form-data with the file in a part named 'files'"
        )
    return boundary


class MultipartFileReceiver:
    """Push-parses one upload body (a class: it is the parser's callback state)."""

    def __init__(self, boundary: bytes, tmp_dir: Path) -> None:
        self._tmp_dir = tmp_dir
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )
        self._field = bytearray()
        self._value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._spool = bytearray()
        self._file: IO[bytes] | None = None
        self._tmp_path: Path | None = None
        self._hash = hashlib.sha256()
        self._size = 0
        self._in_file_part = False
        self._file_parts = 0
        self._ended = False
        self.error: InvalidRequest | None = None

    # -- parser callbacks --------------------------------------------------------------
    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[bytes(self._field).lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()

    def _on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition"))
        self._in_file_part = params.get(b"name") == FILE_FIELD
        if not self._in_file_part:
            return
        self._file_parts += 1
        if self._file_parts > 1:
            raise InvalidRequest("only one part named 'files' is allowed per upload")

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file_part:
            return
        chunk = memoryview(data)[start:end]  # no copy; not kept beyond this call
        self._hash.update(chunk)
        self._size += len(chunk)
        if self._file is not None:
            self._file.write(chunk)
            return
        self._spool += chunk
        if len(self._spool) > INLINE_MAX_BYTES:
            fd, name = tempfile.mkstemp(dir=self._tmp_dir, prefix="upload-")
            self._tmp_path = Path(name)
            self._file = os.fdopen(fd, "wb")
            self._file.write(self._spool)
            self._spool = bytearray()

    def _on_part_end(self) -> None:
        self._in_file_part = False

    def _on_end(self) -> None:
        self._ended = True

    # -- driving -----------------------------------------------------------------------
    def feed(self, chunk: bytes) -> None:
        """Parse one body chunk; the first error is kept in `error` and later chunks ignored."""
        if self.error is not None:
            return
        try:
            self._parser.write(chunk)
        except InvalidRequest as e:
            self.error = e
        except MultipartParseError as e:
            self.error = InvalidRequest(f"malformed multipart body: {e}")

    def finish(self) -> ReceivedFile:
        """Close the temp file and describe it; raises the parse error, if any."""
        if self._file is not None:
            self._file.close()
        if self.error is None and not self._ended:
            self.error = InvalidRequest("the multipart body is truncated")
        if self.error is None and self._file_parts == 0:
            self.error = InvalidRequest("the upload has no part named 'files'")
        if self.error is not None:
            self.discard()
            raise self.error
        return ReceivedFile(self._hash.hexdigest(), self._size, self._tmp_path, bytes(self._spool))

    def discard(self) -> None:
        """Remove the temp file (an aborted or refused upload)."""
        if self._file is not None:
            self._file.close()
        if self._tmp_path is not None:
            self._tmp_path.unlink(missing_ok=True)
