"""Opaque pagination cursors and the `next_page_url` links that carry them.

A cursor is the URL-safe base64 of a small JSON array holding the last item's sort key
(projects: `[created_at, id]`; files: `[path]`). Clients must treat it as opaque and simply
follow `next_page_url`, which repeats the request's other query arguments.
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import InvalidRequest


def encode_cursor(key: list[str]) -> str:
    raw = json.dumps(key, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[str]:
    """The sort key in `cursor`; `InvalidRequest` if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidRequest("invalid cursor") from None
    if not isinstance(key, list) or len(key) != length or not all(isinstance(k, str) for k in key):
        raise InvalidRequest("invalid cursor")
    return key


def next_page_url(full_url: str, cursor: str) -> str:
    """`full_url` with its `cursor` query argument replaced."""
    parts = urlsplit(full_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "cursor"]
    query.append(("cursor", cursor))
    return urlunsplit(parts._replace(query=urlencode(query)))


def parse_limit(raw: str | None, default: int, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise InvalidRequest("limit must be an integer") from None
    if not 1 <= limit <= maximum:
        raise InvalidRequest(f"limit must be between 1 and {maximum}")
    return limit
