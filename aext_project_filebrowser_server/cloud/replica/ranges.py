"""Parsing a single-range `Range: bytes=…` request header (RFC 9110 §14).

Only one range is served: a header with several ranges, another unit or bad syntax is
ignored (the whole body is sent with 200, as the RFC allows). A syntactically valid range
that starts past the end of the file is `416` (`RangeNotSatisfiable`).
"""

from __future__ import annotations

import re

from .errors import RangeNotSatisfiable

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte positions to send, or None for the whole body."""
    if not header:
        return None
    m = _RANGE.fullmatch(header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None
    unsatisfiable = RangeNotSatisfiable(
        f"the file has {size} bytes", {"Content-Range": f"bytes */{size}"}
    )
    if not m.group(1):  # suffix range: the last N bytes
        suffix = int(m.group(2))
        if suffix == 0 or size == 0:
            raise unsatisfiable
        return max(0, size - suffix), size - 1
    first = int(m.group(1))
    if m.group(2) and int(m.group(2)) < first:
        return None
    if first >= size:
        raise unsatisfiable
    last = int(m.group(2)) if m.group(2) else size - 1
    return first, min(last, size - 1)
