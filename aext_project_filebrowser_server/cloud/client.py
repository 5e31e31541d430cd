"""Async client for the cloud Project API (§2 of the design): plain async functions that take
a small frozen `CloudClient` value.

    client = make_cloud_client("https://anaconda.com", api_key)
    try:
        async for project in list_projects(client, owner_me=True):
            ...
    finally:
        await aclose(client)

One `CloudClient` (one pooled `httpx.AsyncClient`, HTTP/1.1 keep-alive) is meant to live as
long as the Jupyter server. Every request has connect/read/write/pool timeouts. Every answer
is validated into a pydantic model; anything unusable raises `InvalidCloudResponse`, never a
`KeyError`. Errors are the typed `CloudError` subclasses of `cloud.errors`; no message ever
contains the API key.

Retries (exponential backoff with jitter, through `stamina`)
------------------------------------------------------------
Transient failures are: connection errors, timeouts, 5xx, and 429 (whose `Retry-After` is
honoured, capped by `RetryPolicy.retry_after_max`, and never slept past the total budget).
The budget is `RetryPolicy.attempts` attempts and `RetryPolicy.timeout` seconds (no new
attempt starts after it; a running transfer is bounded by the httpx timeouts instead).

Whether a failed request is repeated depends on what repeating it could do:

* Idempotent requests are retried after any transient failure: GET; DELETE (a repeat after
  an ambiguous failure that answers 404 is success); PUT of a file *with* a precondition
  (`If-Match` / `If-None-Match: *`: a repeat can never create a second revision; a 412 after
  an ambiguous attempt is checked against the newest revision and adopted when it holds our
  bytes); PATCH of a project, because this client only ever PATCHes absolute values (title,
  whole metadata), never increments; POST of permissions, which sets absolute values too.
* Other requests (POST create project, PUT of a file without a precondition) are retried
  only when the failure proves the request was not processed: the connection could not be
  made (connect error / connect or pool timeout: nothing was sent), or the server answered
  429 or 503 (refused before processing, by the API's contract). After an ambiguous failure
  (connection dropped or read timeout after the request was sent, another 5xx) they are not
  repeated: `create_project` then looks the project up by its `name` (a random slug the
  caller chose, so it identifies this request) and returns it if the create did happen;
  otherwise `CloudUnavailable` is raised with `processed=None` ("outcome unknown").
  Uploads without a precondition would risk a duplicate revision, so the sync engine always
  sends one; they remain possible for callers that accept that.

Exhausted retries raise the last error: `RateLimited` for 429, `CloudUnavailable` otherwise.
"""

from __future__ import annotations

import asyncio
import email.utils
import enum
import json
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
import stamina
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._version import __version__
from ..schemas.files import CloudFile, CloudFileVersion, UploadResult
from ..schemas.projects import CloudProject, ProjectOwner
from .errors import (
    AlreadyExists,
    AuthRequired,
    CloudError,
    CloudUnavailable,
    FileNotFound,
    Forbidden,
    InvalidCloudResponse,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
    ProjectNotFound,
    RateLimited,
)
from .transfer import CloudTransport, DownloadSink, MultipartFileBody, sha256_file

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_TIMEOUT",
    "CloudAccount",
    "CloudClient",
    "CloudOrganization",
    "CloudPermissions",
    "CloudUser",
    "DownloadResult",
    "PermissionGrant",
    "RetryPolicy",
    "aclose",
    "create_project",
    "delete_file",
    "delete_project",
    "download_file",
    "get_account",
    "get_permissions",
    "get_project",
    "healthz",
    "list_all_projects",
    "list_file_versions",
    "list_files",
    "list_projects",
    "make_cloud_client",
    "open_cloud_client",
    "set_permissions",
    "update_project",
    "upload_file",
]

DEFAULT_API_VERSION = "2023.11.28"
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)
PAGE_LIMIT = 1000
# A project's file listing is read whole by every sync: one page of up to the cloud's
# maximum (10,000 entries) instead of pages of 1,000 saves a round trip per 1,000 files.
FILES_PAGE_LIMIT = 10_000
# Answers larger than this are parsed in a worker thread, not on the event loop.
_PARSE_INLINE_MAX = 256 * 1024
_ERROR_BODY_MAX = 64 * 1024

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """The retry budget of one logical request.

    `attempts` counts the first try; `timeout` (seconds) bounds the time spent before a new
    attempt may start. Backoff before attempt n+1 is
    `min(wait_max, wait_initial * 2**(n-1) + uniform(0, wait_jitter))`, or the server's
    `Retry-After` (capped at `retry_after_max`) after a 429.
    """

    attempts: int = 5
    timeout: float = 60.0
    wait_initial: float = 0.2
    wait_max: float = 10.0
    wait_jitter: float = 1.0
    retry_after_max: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if self.timeout <= 0:
            raise ValueError("RetryPolicy.timeout must be positive")


NO_RETRY = RetryPolicy(attempts=1)


@dataclass(frozen=True)
class CloudClient:
    """A connection to the Project API: the pooled httpx client, where, and as whom.

    Create with `make_cloud_client`, close with `aclose`. The API key is kept out of `repr`.
    """

    http: httpx.AsyncClient
    base_url: str
    api_key: str = field(repr=False)
    api_version: str = DEFAULT_API_VERSION
    retry: RetryPolicy = RetryPolicy()
    # What this cloud taught us about itself (e.g. a lower page-size cap); see `list_files`.
    learned: dict[str, int] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class DownloadResult:
    """What `download_file` wrote: its verified sha256, size, and the revision's id
    (from `ETag`; None only if the server sent no ETag)."""

    sha256: str
    size: int
    file_version_id: str | None


class CloudUser(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1)
    name: str | None = None
    email: str | None = None


class CloudOrganization(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1)
    name: str | None = None


class CloudAccount(BaseModel):
    """`GET /api/account`: who the API key belongs to, and their organizations."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    user: CloudUser
    organizations: tuple[CloudOrganization, ...] = ()


class PermissionGrant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    type: str = Field(min_length=1)  # "user" | "organization"
    id: str = Field(min_length=1)
    role: str = Field(min_length=1)


class CloudPermissions(BaseModel):
    """`GET/POST /api/projects/{id}/permissions`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    is_public: bool = False
    grants: tuple[PermissionGrant, ...] = ()


class _Page(BaseModel, Generic[M]):
    model_config = ConfigDict(frozen=True, extra="ignore")

    items: list[M]
    num_items: int | None = None
    next_page_url: str | None = None


class _Health(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    status: str


# ---------------------------------------------------------------------------------------------
# Lifecycle
# ---------------------------------------------------------------------------------------------


def make_cloud_client(
    base_url: str,
    api_key: str,
    api_version: str = DEFAULT_API_VERSION,
    *,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
    retry_attempts: int = 5,
    retry_timeout: float = 60.0,
    retry_policy: RetryPolicy | None = None,
    max_connections: int = 16,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CloudClient:
    """A client for the Project API at `base_url` (e.g. `https://anaconda.com`).

    `retry_policy` overrides `retry_attempts` / `retry_timeout` (tests pass tiny waits).
    `transport` replaces the pooled network transport (e.g. `httpx.MockTransport` in tests).
    """
    base = base_url.rstrip("/")
    parsed = httpx.URL(base)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"cloud base URL must be an http(s) URL, got {base_url!r}")
    policy = retry_policy or RetryPolicy(attempts=retry_attempts, timeout=retry_timeout)
    if transport is None:
        transport = CloudTransport(  # reads the socket in large pieces: see its docstring
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=30.0,
            ),
            retries=0,  # retries are ours: see the module docstring
        )
    http = httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        follow_redirects=False,
        headers={
            "Api-Version": api_version,
            "User-Agent": f"aext-project-filebrowser-server/{__version__}",
            "Accept": "application/json",
        },
    )
    return CloudClient(
        http=http, base_url=base, api_key=api_key, api_version=api_version, retry=policy
    )


async def aclose(client: CloudClient) -> None:
    """Close the client's connection pool."""
    await client.http.aclose()


@asynccontextmanager
async def open_cloud_client(
    base_url: str, api_key: str, api_version: str = DEFAULT_API_VERSION, **kwargs: Any
) -> AsyncIterator[CloudClient]:
    """`make_cloud_client` as an async context manager that closes the client on exit."""
    client = make_cloud_client(base_url, api_key, api_version, **kwargs)
    try:
        yield client
    finally:
        await aclose(client)


# ---------------------------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------------------------


def _seg(value: str) -> str:
    return quote(value, safe="")


def _projects_url(client: CloudClient, *parts: str) -> str:
    return "/".join([f"{client.base_url}/api/projects", *parts])


def _project_url(client: CloudClient, project_id: str, *parts: str) -> str:
    if not project_id:
        raise InvalidRequest("project id must not be empty", code="invalid_request")
    return _projects_url(client, _seg(project_id), *parts)


def encode_file_path(path: str) -> str:
    """A project-relative POSIX path, percent-encoded segment by segment (`/` kept)."""
    parts = path.split("/")
    if not path or any(p in ("", ".", "..") for p in parts) or "\x00" in path:
        raise InvalidRequest(
            f"invalid project file path {path!r}: must be relative, with no empty, '.' or "
            "'..' segments",
            code="invalid_path",
        )
    return "/".join(_seg(p) for p in parts)


def _file_url(client: CloudClient, project_id: str, path: str, *extra: str) -> str:
    return _project_url(client, project_id, "files", encode_file_path(path), *extra)


def _resolve_next_page(client: CloudClient, current: str, link: str) -> str:
    """`next_page_url` resolved against the current page; it must stay on the API's origin
    (the API key is sent with it)."""
    nxt = httpx.URL(current).join(link)
    base = httpx.URL(client.base_url)
    if (nxt.scheme, nxt.host, nxt.port) != (base.scheme, base.host, base.port):
        raise InvalidCloudResponse(
            f"next_page_url points outside the cloud API ({nxt.scheme}://{nxt.host}); refusing "
            "to follow it"
        )
    return str(nxt)


def _quote_etag(version_id: str) -> str:
    v = version_id.strip()
    if v.startswith('"') or v.startswith("W/"):
        return v
    return f'"{v}"'


def _unquote_etag(etag: str | None) -> str | None:
    if etag is None:
        return None
    v = etag.strip()
    if v.startswith("W/"):
        v = v[2:]
    if len(v) >= 2 and v[0] == v[-1] == '"':
        v = v[1:-1]
    return v or None


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def _redact(client: CloudClient, text: str) -> str:
    key = client.api_key
    if key and len(key) >= 4:
        text = text.replace(key, "[redacted]")
    return text


def _parse_retry_after(value: str | None) -> float | None:
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


def _error_body(content: bytes) -> tuple[str | None, str | None]:
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


_INVALID_REQUEST_STATUSES = {400, 405, 411, 413, 414, 415, 422}


def _status_error(
    client: CloudClient,
    method: str,
    url: httpx.URL,
    status: int,
    headers: httpx.Headers,
    content: bytes,
    not_found: type[NotFound],
) -> CloudError:
    code, server_message = _error_body(content)
    text = f"{method} {url.path}: HTTP {status}"
    if code:
        text += f" {code}"
    if server_message:
        text += f": {server_message[:500]}"
    text = _redact(client, text)
    if status == 401:
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
            retry_after=_parse_retry_after(headers.get("Retry-After")),
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
            _redact(client, f"{text}: unexpected redirect to {location[:200]}"), status=status
        )
    return CloudError(text, status=status, code=code or f"http_{status}")


def _transport_error(client: CloudClient, method: str, url: str, exc: Exception) -> CloudError:
    path = httpx.URL(url).path
    detail = str(exc) or type(exc).__name__
    text = _redact(client, f"{method} {path}: cannot reach the cloud ({detail})")
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        # Nothing was sent: the request provably was not processed.
        return CloudUnavailable(text, processed=False)
    if isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
        return CloudUnavailable(text + "; the request may or may not have been processed")
    # UnsupportedProtocol, LocalProtocolError, ProxyError...: not transient.
    return CloudError(text, code="transport_error")


async def _read_capped(resp: httpx.Response, limit: int = _ERROR_BODY_MAX) -> bytes:
    buf = bytearray()
    async for chunk in resp.aiter_bytes():
        buf += chunk
        if len(buf) >= limit:
            break
    return bytes(buf[:limit])


def _parse_model(client: CloudClient, resp: httpx.Response, model: type[M]) -> M:
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
            _redact(
                client,
                f"{where}: the cloud answered non-JSON (HTTP {resp.status_code}): {snippet!r}",
            ),
            status=resp.status_code,
        ) from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False)[:5]
        )
        raise InvalidCloudResponse(
            _redact(
                client,
                f"{where}: unexpected answer from the cloud ({exc.error_count()} problem(s): "
                f"{problems})",
            ),
            status=resp.status_code,
        ) from None


# ---------------------------------------------------------------------------------------------
# Sending, with retries
# ---------------------------------------------------------------------------------------------


class Replay(enum.Enum):
    """May a request be repeated after a failure whose outcome is unknown?"""

    ALWAYS = "always"  # idempotent
    IF_UNPROCESSED = "if_unprocessed"  # only after failures that prove it was not processed


@dataclass
class _RetryLog:
    """What the failed attempts of one logical request revealed."""

    ambiguous: bool = False  # some attempt may have taken effect on the server
    attempts: int = 0


async def _retrying(
    client: CloudClient,
    replay: Replay,
    op: Callable[[], Awaitable[T]],
    *,
    log: _RetryLog | None = None,
    policy: RetryPolicy | None = None,
) -> T:
    policy = policy or client.retry
    log = log if log is not None else _RetryLog()
    started = time.monotonic()

    def should_retry(exc: Exception) -> bool | float:
        if isinstance(exc, CloudUnavailable) and exc.processed is None:
            log.ambiguous = True
        if isinstance(exc, RateLimited):
            if exc.retry_after is None:
                return True
            wait = min(exc.retry_after, policy.retry_after_max)
            if time.monotonic() - started + wait > policy.timeout:
                return False  # the server asks us to wait longer than our budget allows
            return wait
        if isinstance(exc, CloudUnavailable):
            return replay is Replay.ALWAYS or exc.processed is False
        return False

    async for attempt in stamina.retry_context(
        on=should_retry,
        attempts=policy.attempts,
        timeout=policy.timeout,
        wait_initial=policy.wait_initial,
        wait_max=policy.wait_max,
        wait_jitter=policy.wait_jitter,
    ):
        with attempt:
            log.attempts += 1
            return await op()
    raise AssertionError("unreachable")  # pragma: no cover


def _headers(client: CloudClient, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {client.api_key}"} if client.api_key else {}
    if extra:
        headers.update(extra)
    return headers


async def _send_once(
    client: CloudClient,
    method: str,
    url: str,
    *,
    params: Mapping[str, str | int] | None = None,
    json_body: Any = None,
    content: Any = None,
    headers: Mapping[str, str] | None = None,
    auth: bool = True,
    not_found: type[NotFound] = ProjectNotFound,
) -> httpx.Response:
    """One HTTP exchange; the body is read. Any failure is a `CloudError`."""
    try:
        resp = await client.http.request(
            method,
            url,
            params=params,
            json=json_body,
            content=content,
            headers=_headers(client, headers) if auth else dict(headers or {}),
        )
    except httpx.TransportError as exc:
        raise _transport_error(client, method, url, exc) from None
    if resp.status_code >= 300:
        raise _status_error(
            client,
            method,
            resp.request.url,
            resp.status_code,
            resp.headers,
            resp.content,
            not_found,
        )
    return resp


async def _json_request(
    client: CloudClient,
    method: str,
    url: str,
    model: type[M],
    *,
    replay: Replay = Replay.ALWAYS,
    params: Mapping[str, str | int] | None = None,
    json_body: Any = None,
    not_found: type[NotFound] = ProjectNotFound,
) -> M:
    async def once() -> M:
        resp = await _send_once(
            client, method, url, params=params, json_body=json_body, not_found=not_found
        )
        if len(resp.content) > _PARSE_INLINE_MAX:  # a big listing: tens of ms of CPU
            return await asyncio.to_thread(_parse_model, client, resp, model)
        return _parse_model(client, resp, model)

    return await _retrying(client, replay, once)


async def _pages(
    client: CloudClient,
    url: str,
    params: Mapping[str, str | int] | None,
    item: type[M],
    not_found: type[NotFound] = ProjectNotFound,
) -> AsyncIterator[list[M]]:
    """Every page of a paginated listing, following `next_page_url`; any failing page
    raises, so a listing never silently ends early."""
    page_model: type[_Page[M]] = _Page[item]  # type: ignore[valid-type]
    seen = {url}
    next_params: Mapping[str, str | int] | None = params
    while True:
        page = await _json_request(
            client, "GET", url, page_model, params=next_params, not_found=not_found
        )
        yield page.items
        if not page.next_page_url:
            return
        url = _resolve_next_page(client, url, page.next_page_url)
        if url in seen:
            raise InvalidCloudResponse(
                "the cloud's next_page_url repeats an earlier page; listing aborted"
            )
        seen.add(url)
        next_params = None  # next_page_url is an opaque, complete link


# ---------------------------------------------------------------------------------------------
# Operations: service and account
# ---------------------------------------------------------------------------------------------


async def healthz(client: CloudClient) -> bool:
    """True when `GET /api/projects/healthz` (no auth, no retries) says `{"status": "ok"}`."""

    async def once() -> bool:
        resp = await _send_once(client, "GET", _projects_url(client, "healthz"), auth=False)
        return _parse_model(client, resp, _Health).status == "ok"

    return await _retrying(client, Replay.ALWAYS, once, policy=NO_RETRY)


async def get_account(client: CloudClient) -> CloudAccount:
    """The user the API key belongs to and their organizations."""
    return await _json_request(
        client, "GET", f"{client.base_url}/api/account", CloudAccount, not_found=NotFound
    )


# ---------------------------------------------------------------------------------------------
# Operations: projects
# ---------------------------------------------------------------------------------------------


async def list_projects(
    client: CloudClient,
    *,
    owner_me: bool = False,
    tag: str | None = None,
    name: str | None = None,
    page_size: int = PAGE_LIMIT,
) -> AsyncIterator[CloudProject]:
    """Every project visible to the user (only their own with `owner_me`), optionally
    filtered by tag / name, over all pages (`page_size` per request). A failing page
    raises."""
    params: dict[str, str | int] = {"limit": page_size}
    if owner_me:
        params["owner"] = "me"
    if tag is not None:
        params["tag"] = tag
    if name is not None:
        params["name"] = name
    # The trailing slash is the form the public Anaconda clients use.
    async for items in _pages(client, _projects_url(client, ""), params, CloudProject):
        for project in items:
            yield project


async def list_all_projects(
    client: CloudClient,
    *,
    owner_me: bool = False,
    tag: str | None = None,
    name: str | None = None,
    page_size: int = PAGE_LIMIT,
) -> list[CloudProject]:
    """`list_projects` collected into a list (complete, or an exception)."""
    return [
        p
        async for p in list_projects(
            client, owner_me=owner_me, tag=tag, name=name, page_size=page_size
        )
    ]


async def get_project(client: CloudClient, project_id: str) -> CloudProject:
    return await _json_request(client, "GET", _project_url(client, project_id), CloudProject)


async def create_project(
    client: CloudClient,
    title: str,
    name: str,
    metadata: Mapping[str, Any] | None = None,
    owner: ProjectOwner | None = None,
) -> CloudProject:
    """Create a project. `name` must be a fresh random slug: it identifies this request.

    Retried only when the failure proves nothing was created (see the module docstring).
    After an ambiguous failure the project is looked up by `name` and returned if the
    create did happen; otherwise `CloudUnavailable` (`outcome_unknown`) is raised.
    """
    body: dict[str, Any] = {"title": title, "name": name, "metadata": dict(metadata or {})}
    if owner is not None:
        body["owner"] = {"type": owner.type, "id": owner.id}
    log = _RetryLog()

    async def once() -> CloudProject:
        resp = await _send_once(client, "POST", _projects_url(client), json_body=body)
        return _parse_model(client, resp, CloudProject)

    try:
        return await _retrying(client, Replay.IF_UNPROCESSED, once, log=log)
    except CloudUnavailable as exc:
        if not log.ambiguous:
            raise
        try:
            candidates = await list_all_projects(client, owner_me=owner is None, name=name)
        except CloudError:
            raise exc from None
        found = [
            p
            for p in candidates
            if p.name == name
            and (owner is None or (p.owner.type, p.owner.id) == (owner.type, owner.id))
        ]
        if len(found) == 1:
            return found[0]
        raise


async def update_project(
    client: CloudClient,
    project_id: str,
    *,
    title: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> CloudProject:
    """PATCH a project's title and/or metadata keys (the cloud merges the given metadata
    keys into the stored ones). These are absolute values, so repeating the PATCH gives the
    same result and it is retried as idempotent. With neither given, the current project is
    returned."""
    body: dict[str, Any] = {}
    if title is not None:
        body["title"] = title
    if metadata is not None:
        body["metadata"] = dict(metadata)
    if not body:
        return await get_project(client, project_id)
    return await _json_request(
        client, "PATCH", _project_url(client, project_id), CloudProject, json_body=body
    )


async def delete_project(client: CloudClient, project_id: str) -> None:
    """Delete a project. A 404 after an ambiguous earlier attempt counts as done."""
    log = _RetryLog()

    async def once() -> None:
        try:
            await _send_once(client, "DELETE", _project_url(client, project_id))
        except NotFound:
            if not log.ambiguous:
                raise

    await _retrying(client, Replay.ALWAYS, once, log=log)


async def get_permissions(client: CloudClient, project_id: str) -> CloudPermissions:
    return await _json_request(
        client, "GET", _project_url(client, project_id, "permissions"), CloudPermissions
    )


async def set_permissions(
    client: CloudClient,
    project_id: str,
    *,
    is_public: bool | None = None,
    users: list[str] | None = None,
    organizations: list[str] | None = None,
    role: str | None = None,
) -> CloudPermissions:
    """Make a project public/private and/or set the role of users / organizations (ids) to
    `role` (`role=None` with grantees revokes their grants). These are absolute settings,
    so the POST is retried as idempotent."""
    body: dict[str, Any] = {}
    if is_public is not None:
        body["is_public"] = is_public
    if users is not None:
        body["users"] = list(users)
    if organizations is not None:
        body["organizations"] = list(organizations)
    if role is not None:
        body["role"] = role
    return await _json_request(
        client,
        "POST",
        _project_url(client, project_id, "permissions"),
        CloudPermissions,
        json_body=body,
    )


# ---------------------------------------------------------------------------------------------
# Operations: files
# ---------------------------------------------------------------------------------------------


async def list_files(
    client: CloudClient, project_id: str, *, page_size: int | None = None
) -> list[CloudFile]:
    """The complete file listing of a project (every page). If any page fails this raises:
    a partial listing is never returned.

    Pages of `FILES_PAGE_LIMIT` save a round trip per 1,000 files, but the only public
    evidence about the real cloud is pages of 1,000: if it refuses the larger limit (400),
    the listing is asked again in pages of `PAGE_LIMIT`, and the client remembers that."""
    size = page_size or client.learned.get("files_page_size", FILES_PAGE_LIMIT)
    try:
        return await _all_files(client, project_id, size)
    except InvalidRequest:
        if page_size is not None or size <= PAGE_LIMIT:
            raise
        client.learned["files_page_size"] = PAGE_LIMIT
        return await _all_files(client, project_id, PAGE_LIMIT)


async def _all_files(client: CloudClient, project_id: str, page_size: int) -> list[CloudFile]:
    files: list[CloudFile] = []
    async for items in _pages(
        client, _project_url(client, project_id, "files"), {"limit": page_size}, CloudFile
    ):
        files.extend(items)
    return files


async def list_file_versions(
    client: CloudClient, project_id: str, path: str
) -> list[CloudFileVersion]:
    """Every revision of a file, newest first."""
    versions: list[CloudFileVersion] = []
    async for items in _pages(
        client,
        _file_url(client, project_id, path, "versions"),
        None,
        CloudFileVersion,
        not_found=FileNotFound,
    ):
        versions.extend(items)
    return versions


async def _newest_version(
    client: CloudClient, project_id: str, path: str
) -> CloudFileVersion | None:
    try:
        versions = await list_file_versions(client, project_id, path)
    except FileNotFound:
        return None
    return versions[0] if versions else None


async def upload_file(
    client: CloudClient,
    project_id: str,
    path: str,
    local_file: Path,
    *,
    if_match: str | None = None,
    if_none_match: bool = False,
    expected_sha256: str | None = None,
) -> UploadResult:
    """Upload `local_file` as `path` in the project, streamed from disk (see
    `MultipartFileBody`).

    `if_match=<file_version_id>` replaces only that revision; `if_none_match=True` creates
    only if the path is absent; either failing raises `PreconditionFailed`. With a
    precondition the upload is retried as idempotent (see the module docstring); without,
    only after failures that prove it was not processed.

    `expected_sha256`: the hash the caller recorded for the file; if the bytes read while
    uploading differ (or the size changes), the upload is aborted before the server can
    commit it and `LocalFileChanged` is raised.
    """
    if if_match is not None and if_none_match:
        raise ValueError("if_match and if_none_match are mutually exclusive")
    url = _file_url(client, project_id, path)
    conditions: dict[str, str] = {}
    if if_match is not None:
        conditions["If-Match"] = _quote_etag(if_match)
    if if_none_match:
        conditions["If-None-Match"] = "*"
    replay = Replay.ALWAYS if conditions else Replay.IF_UNPROCESSED
    filename = PurePosixPath(path).name
    log = _RetryLog()

    async def adopt_if_ours(sent_sha256: str | None) -> UploadResult | None:
        ours = sent_sha256 or expected_sha256 or await asyncio.to_thread(sha256_file, local_file)
        newest = await _newest_version(client, project_id, path)
        if newest is None or newest.deleted or newest.sha256 != ours:
            return None
        return UploadResult(
            url=url, project_id=project_id, name=path, file_version_id=newest.file_version_id
        )

    async def once() -> UploadResult:
        async with MultipartFileBody(
            local_file, field="files", filename=filename, expected_sha256=expected_sha256
        ) as body:
            try:
                resp = await _send_once(
                    client, "PUT", url, content=body, headers={**conditions, **body.headers}
                )
            except PreconditionFailed:
                # Our own earlier attempt may have succeeded with its answer lost.
                if log.ambiguous and (adopted := await adopt_if_ours(body.sha256)):
                    return adopted
                raise
        return _parse_model(client, resp, UploadResult)

    return await _retrying(client, replay, once, log=log)


async def download_file(
    client: CloudClient,
    project_id: str,
    path: str,
    dest: Path,
    *,
    version: str | None = None,
    durable: bool = True,
) -> DownloadResult:
    """Stream a file (its current revision, or `version`) to `dest`, a temporary path the
    caller then moves into place. The sha256 is computed on the way and checked against
    `X-Checksum-Sha256` and the length against `Content-Length`; a mismatch raises
    `InvalidCloudResponse`. On any failure the partial `dest` is deleted; on success it is
    fsynced before returning, unless `durable=False` (the caller fsyncs it later, or only
    reads it). Interrupted downloads are restarted (GET is idempotent)."""
    url = _file_url(client, project_id, path)
    params = {"version": version} if version is not None else None
    headers = _headers(client, {"Accept-Encoding": "identity", "Accept": "*/*"})

    async def once() -> DownloadResult:
        try:
            async with client.http.stream("GET", url, params=params, headers=headers) as resp:
                if resp.status_code >= 300:
                    content = await _read_capped(resp)
                    raise _status_error(
                        client,
                        "GET",
                        resp.request.url,
                        resp.status_code,
                        resp.headers,
                        content,
                        FileNotFound,
                    )
                return await _receive(client, resp, dest, durable)
        except httpx.TransportError as exc:
            raise _transport_error(client, "GET", url, exc) from None

    return await _retrying(client, Replay.ALWAYS, once)


async def _receive(
    client: CloudClient, resp: httpx.Response, dest: Path, durable: bool
) -> DownloadResult:
    where = f"GET {resp.request.url.path}"
    encoded = resp.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
    expected_size: int | None = None
    if not encoded and (length := resp.headers.get("Content-Length")) is not None:
        try:
            expected_size = int(length)
        except ValueError:
            raise InvalidCloudResponse(
                f"{where}: bad Content-Length {length[:40]!r}", status=resp.status_code
            ) from None
    expected_sha = resp.headers.get("X-Checksum-Sha256")
    version_id = _unquote_etag(resp.headers.get("ETag"))
    async with DownloadSink(dest, durable=durable) as sink:
        # Content-Encoding is decoded (we ask for identity; a server may still compress).
        # Pieces come as received (no re-chunking copy): the sink batches them.
        async for chunk in resp.aiter_bytes():
            await sink.write(chunk)
        await sink.close()
        if expected_size is not None and sink.size != expected_size:
            raise InvalidCloudResponse(
                _redact(
                    client,
                    f"{where}: received {sink.size} bytes, Content-Length said {expected_size}",
                ),
                status=resp.status_code,
            )
        if expected_sha is not None and sink.sha256 != expected_sha.strip().lower():
            raise InvalidCloudResponse(
                _redact(
                    client,
                    f"{where}: downloaded bytes hash to {sink.sha256}, the cloud announced "
                    f"{expected_sha[:80]}",
                ),
                status=resp.status_code,
            )
        sink.keep()
    return DownloadResult(sha256=sink.sha256, size=sink.size, file_version_id=version_id)


async def delete_file(
    client: CloudClient, project_id: str, path: str, *, if_match: str | None = None
) -> None:
    """Delete a file (its current revision; history is kept by the cloud).

    `if_match=<file_version_id>` deletes only if that is still the current revision
    (`PreconditionFailed` otherwise). After an ambiguous earlier attempt, a 404, or a 412
    while the file is in fact gone, counts as done."""
    url = _file_url(client, project_id, path)
    headers = {"If-Match": _quote_etag(if_match)} if if_match is not None else None
    log = _RetryLog()

    async def once() -> None:
        try:
            await _send_once(client, "DELETE", url, headers=headers, not_found=FileNotFound)
        except NotFound:
            if not log.ambiguous:
                raise
        except PreconditionFailed:
            if not log.ambiguous:
                raise
            newest = await _newest_version(client, project_id, path)
            if newest is not None and not newest.deleted:
                raise

    await _retrying(client, Replay.ALWAYS, once, log=log)
