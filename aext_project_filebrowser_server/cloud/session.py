"""The `CloudClient` value: one pooled httpx client, where the Project API is, and as whom.

    client = make_cloud_client("https://anaconda.com", api_key)
    try:
        async for project in list_projects(client, owner_me=True):
            ...
    finally:
        await aclose(client)

One `CloudClient` (HTTP/1.1 keep-alive) is meant to live as long as the Jupyter server.
Every request has connect/read/write/pool timeouts. This module also builds the API's URLs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from .._version import __version__
from .credentials import Credential
from .errors import InvalidCloudResponse, InvalidRequest
from .pools import pooled_transport
from .transfer import CloudTransport

DEFAULT_API_VERSION = "2023.11.28"
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)


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


@dataclass
class SkippedItem:
    """One listing entry the client could not read and left out (see `CloudNotes`)."""

    where: str
    reason: str
    at: datetime


@dataclass
class CloudNotes:
    """What this cloud taught the client about itself while it ran, for `GET health`.

    `skipped_items` counts listing entries that did not fit the schema and were left out
    (the rest of the page was used); `last_skipped` says which and why. `files_page_size`
    is a lower page-size cap the cloud asked for (see `list_files`); `preconditions`
    whether it refuses stale writes (see `services.write_guard`).
    """

    skipped_items: int = 0
    last_skipped: SkippedItem | None = None
    files_page_size: int | None = None
    # Whether the cloud honours If-Match, and when that was found (services.write_guard).
    preconditions: bool | None = None
    preconditions_checked_at: datetime | None = None


@dataclass(frozen=True)
class CloudClient:
    """A connection to the Project API: the pooled httpx client, where, and as whom.

    Create with `make_cloud_client`, close with `aclose`. The credential is kept out of
    `repr`. `credential`, when set, holds the key or token and where it came from (an
    anaconda-auth login can be read again: see `cloud.credentials`); else `api_key` is it.
    """

    http: httpx.AsyncClient
    base_url: str
    api_key: str = field(repr=False)
    api_version: str = DEFAULT_API_VERSION
    retry: RetryPolicy = RetryPolicy()
    notes: CloudNotes = field(default_factory=CloudNotes, repr=False, compare=False)
    credential: Credential | None = field(default=None, repr=False, compare=False)

    def bearer(self) -> str:
        """The key or token to send now ("" when not logged in)."""
        return self.credential.value if self.credential is not None else self.api_key


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
    credential: Credential | None = None,
) -> CloudClient:
    """A client for the Project API at `base_url` (e.g. `https://anaconda.com`).

    `retry_policy` overrides `retry_attempts` / `retry_timeout` (tests pass tiny waits).
    `transport` replaces the pooled network transport (e.g. `httpx.MockTransport` in tests).
    `credential`, when given, is the bearer of every request instead of `api_key`.
    """
    base = base_url.rstrip("/")
    parsed = httpx.URL(base)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"cloud base URL must be an http(s) URL, got {base_url!r}")
    policy = retry_policy or RetryPolicy(attempts=retry_attempts, timeout=retry_timeout)
    if transport is None:
        ssl_context = httpx.create_ssl_context()  # one for all pools
        transport = pooled_transport(  # pools of a few connections: see `pools`
            max_connections,
            # each reads the socket in large pieces (see CloudTransport); retries are ours
            lambda limits: CloudTransport(limits=limits, retries=0, ssl_context=ssl_context),
        )
    http = httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        # Redirects are followed by hand, without the credential: see cloud.downloads.
        follow_redirects=False,
        headers={
            "Api-Version": api_version,
            "User-Agent": f"aext-project-filebrowser-server/{__version__}",
            "Accept": "application/json",
        },
    )
    return CloudClient(
        http=http,
        base_url=base,
        api_key=api_key,
        api_version=api_version,
        retry=policy,
        credential=credential,
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


# --- URLs -----------------------------------------------------------------------------------


def seg(value: str) -> str:
    return quote(value, safe="")


def projects_url(client: CloudClient, *parts: str) -> str:
    return "/".join([f"{client.base_url}/api/projects", *parts])


def project_url(client: CloudClient, project_id: str, *parts: str) -> str:
    if not project_id:
        raise InvalidRequest("project id must not be empty", code="invalid_request")
    return projects_url(client, seg(project_id), *parts)


def encode_file_path(path: str) -> str:
    """A project-relative POSIX path, percent-encoded segment by segment (`/` kept)."""
    parts = path.split("/")
    if not path or any(p in ("", ".", "..") for p in parts) or "\x00" in path:
        raise InvalidRequest(
            f"invalid project file path {path!r}: must be relative, with no empty, '.' or "
            "'..' segments",
            code="invalid_path",
        )
    return "/".join(seg(p) for p in parts)


def file_url(client: CloudClient, project_id: str, path: str, *extra: str) -> str:
    return project_url(client, project_id, "files", encode_file_path(path), *extra)


def resolve_next_page(client: CloudClient, current: str, link: str) -> str:
    """`next_page_url` resolved against the current page. It must stay on the API's host
    (the credential is sent with it). A plain-`http` link to that host is what a server
    behind a TLS-terminating proxy writes: it is read as the API's own scheme and port, so
    the credential never travels unencrypted."""
    nxt = httpx.URL(current).join(link)
    base = httpx.URL(client.base_url)
    same = (nxt.scheme, nxt.host, nxt.port) == (base.scheme, base.host, base.port)
    downgraded = nxt.scheme == "http" and base.scheme == "https" and nxt.host == base.host
    if not (same or downgraded):
        raise InvalidCloudResponse(
            f"next_page_url points outside the cloud API ({nxt.scheme}://{nxt.host}); refusing "
            "to follow it"
        )
    return str(nxt.copy_with(scheme=base.scheme, port=base.port))


def quote_etag(version_id: str) -> str:
    v = version_id.strip()
    if v.startswith('"') or v.startswith("W/"):
        return v
    return f'"{v}"'
