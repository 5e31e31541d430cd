"""Sending requests to the Project API, with retries (exponential backoff with jitter,
through `stamina`).

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

Exhausted retries raise the last error: `RateLimited` for 429, `CloudUnavailable` otherwise.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import stamina
from pydantic import BaseModel

from . import pacing
from .answers import Page, parse_model, parse_page, status_error, transport_error
from .credentials import refresh_credential
from .errors import (
    AuthRequired,
    CloudUnavailable,
    InvalidCloudResponse,
    NotFound,
    ProjectNotFound,
    RateLimited,
)
from .session import CloudClient, RetryPolicy, resolve_next_page

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# Answers larger than this are parsed in a worker thread, not on the event loop.
_PARSE_INLINE_MAX = 256 * 1024


class Replay(enum.Enum):
    """May a request be repeated after a failure whose outcome is unknown?"""

    ALWAYS = "always"  # idempotent
    IF_UNPROCESSED = "if_unprocessed"  # only after failures that prove it was not processed


@dataclass
class RetryLog:
    """What the failed attempts of one logical request revealed."""

    ambiguous: bool = False  # some attempt may have taken effect on the server
    attempts: int = 0


async def retrying(
    client: CloudClient,
    replay: Replay,
    op: Callable[[], Awaitable[T]],
    *,
    log: RetryLog | None = None,
    policy: RetryPolicy | None = None,
) -> T:
    """`op` with backoff (see the module docstring). When the cloud refuses the login and
    a new one can be read (the user ran `anaconda login` again), it is tried once more:
    the refused request changed nothing."""
    try:
        return await _with_backoff(client, replay, op, log, policy)
    except AuthRequired:
        if not await refresh_credential(client.credential):
            raise
    return await _with_backoff(client, replay, op, log, policy)


async def _with_backoff(
    client: CloudClient,
    replay: Replay,
    op: Callable[[], Awaitable[T]],
    log: RetryLog | None,
    policy: RetryPolicy | None,
) -> T:
    policy = policy or client.retry
    log = log if log is not None else RetryLog()
    started = time.monotonic()

    def should_retry(exc: Exception) -> bool | float:
        if isinstance(exc, CloudUnavailable) and exc.processed is None:
            log.ambiguous = True
        if isinstance(exc, RateLimited) or (
            isinstance(exc, CloudUnavailable) and exc.status == 503
        ):
            pacing.report_throttled(getattr(exc, "retry_after", None))  # the run slows down
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


def auth_headers(client: CloudClient, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    bearer = client.bearer()
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    if extra:
        headers.update(extra)
    return headers


async def send_once(
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
        with pacing.waiting_on_cloud():
            resp = await client.http.request(
                method,
                url,
                params=params,
                json=json_body,
                content=content,
                headers=auth_headers(client, headers) if auth else dict(headers or {}),
            )
    except httpx.TransportError as exc:
        raise transport_error(client, method, url, exc) from None
    if resp.status_code >= 300:
        raise status_error(
            client,
            method,
            resp.request.url,
            resp.status_code,
            resp.headers,
            resp.content,
            not_found,
        )
    return resp


async def json_request(
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
        resp = await send_once(
            client, method, url, params=params, json_body=json_body, not_found=not_found
        )
        if len(resp.content) > _PARSE_INLINE_MAX:  # a big listing: tens of ms of CPU
            return await asyncio.to_thread(parse_model, client, resp, model)
        return parse_model(client, resp, model)

    return await retrying(client, replay, once)


async def pages(
    client: CloudClient,
    url: str,
    params: Mapping[str, str | int] | None,
    item: type[M],
    not_found: type[NotFound] = ProjectNotFound,
    *,
    tolerant: bool = True,
    parse: Callable[[CloudClient, httpx.Response], Page[M]] | None = None,
) -> AsyncIterator[list[M]]:
    """Every page of a paginated listing, following `next_page_url`; any failing page
    raises, so a listing never silently ends early. A single entry that does not fit is
    left out and reported when `tolerant` (see `answers.parse_page`), else it fails.
    `parse` replaces `parse_page` for listings that read their pages their own way."""
    seen = {url}
    next_params: Mapping[str, str | int] | None = params
    read_page = parse or functools.partial(parse_page, item=item, tolerant=tolerant)

    async def fetch(
        page_url: str, page_params: Mapping[str, str | int] | None
    ) -> tuple[list[M], str | None]:
        resp = await send_once(client, "GET", page_url, params=page_params, not_found=not_found)
        if len(resp.content) > _PARSE_INLINE_MAX:  # a big listing: tens of ms of CPU
            page = await asyncio.to_thread(read_page, client, resp)
        else:
            page = read_page(client, resp)
        return page.items, page.next_page_url

    while True:
        items, link = await retrying(
            client, Replay.ALWAYS, functools.partial(fetch, url, next_params)
        )
        yield items
        if not link:
            return
        url = resolve_next_page(client, url, link)
        if url in seen:
            raise InvalidCloudResponse(
                "the cloud's next_page_url repeats an earlier page; listing aborted"
            )
        seen.add(url)
        next_params = None  # next_page_url is an opaque, complete link
