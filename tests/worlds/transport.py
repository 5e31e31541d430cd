"""The sync's httpx transport in the worlds: counts each project's requests, runs mid-sync
edits at a chosen request, and injects the client-side faults of `ClientFaults`.

One transport (one connection pool) serves every world of a test; what it does to a request
depends only on the project in its URL, so worlds running side by side do not disturb each
other. A fault's fate is a hash of the world's fault seed, the method, the URL path and how
many times that method and path were requested before in this pass, so it is the same
whichever order concurrent operations happen to send their requests in.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from .generate import ClientFaults

_PROJECT = re.compile(r"^/api/projects/([^/]+)/")

Hook = Callable[[], Awaitable[None]]


@dataclass
class Channel:
    """What happens to one project's requests during the current pass."""

    faults: ClientFaults | None = None
    hooks: dict[int, Hook] = field(default_factory=dict)  # request number -> edits to make
    requests: int = 0
    seen: Counter[tuple[str, str]] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)

    def reset(self, faults: ClientFaults | None, hooks: dict[int, Hook]) -> None:
        self.faults, self.hooks, self.requests = faults, dict(hooks), 0
        self.seen.clear()

    async def run_remaining_hooks(self) -> None:
        """Edits whose request never came are made when the pass ends."""
        for number in sorted(self.hooks):
            await self.hooks.pop(number)()


def _fate(faults: ClientFaults, method: str, path: str, nth: int) -> str | None:
    digest = hashlib.sha256(f"{faults.seed}|{method}|{path}|{nth}".encode()).digest()
    roll = int.from_bytes(digest[:8], "big") / 2**64
    if roll >= faults.rate:
        return None
    return faults.kinds[digest[8] % len(faults.kinds)]


class WorldTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=8), retries=0
        )
        self.channels: dict[str, Channel] = {}

    def channel(self, project_id: str) -> Channel:
        return self.channels.setdefault(project_id, Channel())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        match = _PROJECT.match(request.url.path)
        channel = self.channels.get(match.group(1)) if match else None
        if channel is None:
            return await self._inner.handle_async_request(request)
        channel.requests += 1
        hook = channel.hooks.pop(channel.requests, None)
        if hook is not None:
            await hook()
        fate = None
        if channel.faults is not None:
            key = (request.method, request.url.path)
            fate = _fate(channel.faults, *key, channel.seen[key])
            channel.seen[key] += 1
        if fate is None:
            return await self._inner.handle_async_request(request)
        channel.injected[fate] += 1
        if fate == "refuse":
            raise httpx.ConnectError("injected: connection refused", request=request)
        if fate == "unavailable":
            return httpx.Response(
                503, json={"error": {"code": "unavailable", "message": "injected"}}
            )
        response = await self._inner.handle_async_request(request)
        await response.aread()  # the replica did the work; now lose or spoil the answer
        await response.aclose()
        if fate == "lose_answer":
            raise httpx.ReadError("injected: connection dropped before the answer", request=request)
        return httpx.Response(500, json={"error": {"code": "internal", "message": "injected"}})

    async def aclose(self) -> None:
        await self._inner.aclose()
