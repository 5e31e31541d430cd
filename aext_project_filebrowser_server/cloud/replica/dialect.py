"""The replica's two dialects: `ours` (the API as our design guessed it) and `evidence`
(the API as `CLOUD_API_EVIDENCE.md` says the real cloud behaves).

The client and the replica were built on the same guesses, so tests against `ours` alone
cannot tell a right guess from a wrong one. With `--dialect evidence` the replica:

- writes timestamps as naive ISO strings (`2025-11-13T13:29:47.246655`) and `owner.name`
  null, with `metadata.user_client` `"unknown"` unless a client set it;
- lists files in the real product's file model (`key`, `name`, `type`,
  `details.file_version_id`), with a directory entry before the first file of each folder
  on a page, and no hash, size or time;
- caps every page at 1,000 entries and counts `num_items` per page;
- accepts names with `_`, and generates one for the literal name `"<random>"`;
- ignores `If-Match` / `If-None-Match` (nothing shows that the real cloud honours them);
- answers a missing or invalid login with 403 `auth_required`, not 401;
- answers a download with a redirect to a storage route (`/_storage/...`, signed, short
  lived) that refuses any `Authorization` header, sends no `X-Checksum-Sha256`, and whose
  `ETag` is the storage's own, not a file version id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime
from typing import Any, Literal, get_args

Dialect = Literal["ours", "evidence"]
DIALECTS: tuple[str, ...] = get_args(Dialect)
EVIDENCE_PAGE_MAX = 1000
STORAGE_LINK_TTL_S = 300


def parse_dialect(value: str) -> Dialect:
    if value == "ours":
        return "ours"
    if value == "evidence":
        return "evidence"
    raise ValueError(f"unknown dialect {value!r}: one of {', '.join(DIALECTS)}")


def naive_iso(at: datetime) -> str:
    """A UTC time as the real product stored it: no offset, no `Z`."""
    return at.replace(tzinfo=None).isoformat(timespec="microseconds")


def file_model_json(project_id: str, path: str, version_id: str) -> dict[str, Any]:
    """One file as the real product modelled it (no hash, size or time)."""
    return {
        "key": path,
        "name": path.rsplit("/", 1)[-1],
        "type": "file",
        "project_id": project_id,
        "details": {"file_version_id": version_id, "metadata": {}},
        "status": "synced",
        "metadata": {},
    }


def directory_json(project_id: str, path: str) -> dict[str, Any]:
    return {
        "key": path,
        "name": path.rsplit("/", 1)[-1],
        "type": "directory",
        "project_id": project_id,
        "contents": [],
        "details": None,
        "status": "synced",
        "metadata": {},
    }


def with_directories(project_id: str, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The file entries of a page, each folder announced once before its first file."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for entry in files:
        parts = entry["key"].split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            if folder not in seen:
                seen.add(folder)
                out.append(directory_json(project_id, folder))
        out.append(entry)
    return out


def new_storage_secret() -> bytes:
    return secrets.token_bytes(32)


def sign_storage_link(
    secret: bytes, user_id: str, project_id: str, path: str, version_id: str
) -> str:
    """A presigned-URL token naming one revision, valid for `STORAGE_LINK_TTL_S`."""
    claims = [user_id, project_id, path, version_id, int(time.time()) + STORAGE_LINK_TTL_S]
    raw = json.dumps(claims, separators=(",", ":")).encode("utf-8")
    body = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    mac = hmac.new(secret, body.encode("ascii"), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def read_storage_link(secret: bytes, token: str) -> tuple[str, str, str, str] | None:
    """(user_id, project_id, path, version_id) of a valid, unexpired token, else None."""
    body, _, mac = token.partition(".")
    good = hmac.new(secret, body.encode("ascii", "replace"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, good):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        user_id, project_id, path, version_id, expires = claims
    except (ValueError, TypeError):
        return None
    if not isinstance(expires, int) or expires < time.time():
        return None
    return str(user_id), str(project_id), str(path), str(version_id)
