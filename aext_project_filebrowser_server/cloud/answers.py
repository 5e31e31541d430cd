"""Reading the cloud's answers: HTTP statuses and transport failures as typed `CloudError`s,
JSON bodies as pydantic models, listing pages item by item.

Strict where the evidence is firm, tolerant where it is not (`CLOUD_API_EVIDENCE.md`):
unknown fields are ignored; one project listing entry that does not fit is left out, logged
and counted in `CloudNotes` (shown by `GET health`) instead of failing the whole page; a file
listing entry that does not fit is kept as an `UnfitFile` when its path is known (the sync
leaves that path alone), and refuses the listing when it is not; 401, and
403 with the error code `auth_required`, mean "log in again" (anaconda-auth treats both
alike). No message ever contains the credential.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from ..schemas.files import CloudFile, UnfitFile
from .errors import (
    AlreadyExists,
    AuthRequired,
    CloudError,
    CloudUnavailable,
    Forbidden,
    InvalidCloudResponse,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
    ProjectNotFound,
    RateLimited,
)
from .session import CloudClient, SkippedItem

M = TypeVar("M", bound=BaseModel)
log = logging.getLogger(__name__)

ERROR_BODY_MAX = 64 * 1024
_INVALID_REQUEST_STATUSES = {400, 405, 411, 413, 414, 415, 422}


class Page(BaseModel, Generic[M]):
    """One page of a listing: `{"items", "num_items", "next_page_url"}`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    items: list[M]
    num_items: int | None = None
    next_page_url: str | None = None


class _RawPage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    items: list[Any]
    num_items: int | None = None
    next_page_url: str | None = None


def redact(client: CloudClient, text: str) -> str:
    for secret in {client.api_key, client.bearer()}:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


def parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def error_body(content: bytes) -> tuple[str | None, str | None]:
    """(code, message) from an `{"error": {"code", "message"}}` body, tolerating anything."""
    try:
        data = json.loads(content)
    except ValueError:  # includes JSONDecodeError and UnicodeDecodeError
        return None, None
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):
        code = err.get("code")
        message = err.get("message")
        return (
            code if isinstance(code, str) and code else None,
            message if isinstance(message, str) and message else None,
        )
    if isinstance(err, str):
        return err, None
    return None, None


def status_error(
    client: CloudClient,
    method: str,
    url: httpx.URL,
    status: int,
    headers: httpx.Headers,
    content: bytes,
    not_found: type[NotFound],
) -> CloudError:
    code, server_message = error_body(content)
    text = f"{method} {url.path}: HTTP {status}"
    if code:
        text += f" {code}"
    if server_message:
        text += f": {server_message[:500]}"
    text = redact(client, text)
    if status == 401 or (status == 403 and code == "auth_required"):
        return AuthRequired(text, status=status, code=code)
    if status == 403:
        return Forbidden(text, status=status, code=code)
    if status == 404:
        cls = not_found
        if code and "project" in code:
            cls = ProjectNotFound
        return cls(text, status=status, code=code)
    if status == 409:
        return AlreadyExists(text, status=status, code=code)
    if status == 412:
        return PreconditionFailed(text, status=status, code=code)
    if status == 429:
        return RateLimited(
            text,
            status=status,
            code=code,
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )
    if status in _INVALID_REQUEST_STATUSES:
        return InvalidRequest(text, status=status, code=code)
    if status >= 500:
        # 503 means "not processed, try later" by the API's contract; other 5xx leave the
        # outcome unknown.
        return CloudUnavailable(
            text, status=status, code=code, processed=False if status == 503 else None
        )
    if 300 <= status < 400:
        location = headers.get("Location", "")
        return InvalidCloudResponse(
            redact(client, f"{text}: unexpected redirect to {location[:200]}"), status=status
        )
    return CloudError(text, status=status, code=code or f"http_{status}")


def transport_error(client: CloudClient, method: str, url: str, exc: Exception) -> CloudError:
    path = httpx.URL(url).path
    detail = str(exc) or type(exc).__name__
    text = redact(client, f"{method} {path}: cannot reach the cloud ({detail})")
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        # Nothing was sent: the request provably was not processed.
        return CloudUnavailable(text, processed=False)
    if isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
        return CloudUnavailable(text + "; the request may or may not have been processed")
    # UnsupportedProtocol, LocalProtocolError, ProxyError...: not transient.
    return CloudError(text, code="transport_error")


async def read_capped(resp: httpx.Response, limit: int = ERROR_BODY_MAX) -> bytes:
    buf = bytearray()
    async for chunk in resp.aiter_bytes():
        buf += chunk
        if len(buf) >= limit:
            break
    return bytes(buf[:limit])


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)[:5]
    )


def parse_model(client: CloudClient, resp: httpx.Response, model: type[M]) -> M:
    # Straight from the bytes: a third faster on a listing of 10,000 files than decoding to
    # Python objects first. Only an answer it refuses takes the slow path below, which says
    # what is wrong (not JSON at all, or which fields).
    try:
        return model.model_validate_json(resp.content)
    except ValidationError:
        pass
    where = f"{resp.request.method} {resp.request.url.path}"
    try:
        data = resp.json()
    except ValueError as exc:
        snippet = resp.content[:80].decode("utf-8", "replace")
        raise InvalidCloudResponse(
            redact(
                client,
                f"{where}: the cloud answered non-JSON (HTTP {resp.status_code}): {snippet!r}",
            ),
            status=resp.status_code,
        ) from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidCloudResponse(
            redact(
                client,
                f"{where}: unexpected answer from the cloud ({exc.error_count()} problem(s): "
                f"{_problems(exc)})",
            ),
            status=resp.status_code,
        ) from None


def parse_page(
    client: CloudClient, resp: httpx.Response, item: type[M], *, tolerant: bool = True
) -> Page[M]:
    """A listing page whose entries that do not fit `item` are left out and reported.

    The whole page is validated at once first (the fast path); only a page with a bad entry
    is read again entry by entry. A page that is not a page at all still raises, and so
    does any bad entry when not `tolerant` (file listings: a left-out file would read as
    "deleted in the cloud").
    """
    page_model: type[Page[M]] = Page[item]  # type: ignore[valid-type]
    try:
        return page_model.model_validate_json(resp.content)
    except ValidationError:
        if not tolerant:
            return parse_model(client, resp, page_model)
    raw = parse_model(client, resp, _RawPage)
    where = f"{resp.request.method} {resp.request.url.path}"
    items: list[M] = []
    for index, value in enumerate(raw.items):
        try:
            items.append(item.model_validate(value))
        except ValidationError as exc:
            _note_skipped(client, f"{where} item {index}", _problems(exc))
    return page_model(items=items, num_items=raw.num_items, next_page_url=raw.next_page_url)


def _note_skipped(client: CloudClient, where: str, reason: str) -> None:
    reason = redact(client, reason)[:300]
    log.warning("left out a cloud listing entry that does not fit (%s): %s", where, reason)
    notes = client.notes
    notes.skipped_items += 1
    notes.last_skipped = SkippedItem(where, reason, datetime.now(timezone.utc))


def parse_file_page(client: CloudClient, resp: httpx.Response) -> Page[CloudFile]:
    """A file listing page; an entry that does not fit becomes an `UnfitFile`.

    Leaving such an entry out would read as "deleted in the cloud" (the local copy moved to
    the trash, or a new upload over it), so it is kept as a stand-in under its path, which
    the sync then leaves alone on both sides and shows as unsyncable with the reason. An
    entry whose path cannot be known (no `path` or `key` string) refuses the whole page:
    no stand-in can protect a path nobody knows, and every local file would then be at
    risk of reading as deleted. Directory entries that do not fit are left out, as all
    directory entries are.
    """
    page_model = Page[CloudFile]
    try:
        return page_model.model_validate_json(resp.content)
    except ValidationError:
        pass
    raw = parse_model(client, resp, _RawPage)
    where = f"{resp.request.method} {resp.request.url.path}"
    items: list[CloudFile] = []
    for index, value in enumerate(raw.items):
        try:
            items.append(CloudFile.model_validate(value))
            continue
        except ValidationError as exc:
            reason = redact(client, _problems(exc))[:300]
        if isinstance(value, dict) and value.get("type") == "directory":
            continue
        path = _entry_path(value)
        if path is None:
            raise InvalidCloudResponse(
                f"{where} item {index}: a file entry without a path ({reason}); the listing "
                "is refused, as a file left out would read as deleted in the cloud",
                status=resp.status_code,
            )
        log.warning("a cloud file entry does not fit (%s item %d): %s", where, index, reason)
        unfit = UnfitFile.model_construct(path=path, file_version_id="-", reason=reason)
        items.append(unfit)
    return page_model(items=items, num_items=raw.num_items, next_page_url=raw.next_page_url)


def _entry_path(value: Any) -> str | None:
    """The path of a file listing entry, in either shape, when it is a non-empty string."""
    if not isinstance(value, dict):
        return None
    for field in ("path", "key"):
        path = value.get(field)
        if isinstance(path, str) and path:
            return path
    return None
