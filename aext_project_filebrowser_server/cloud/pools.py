"""Several small connection pools behind one httpx transport.

httpcore's pool looks at every one of its connections each time it hands a request to one
(expiry, idleness, a readability poll of each idle socket). With 32 files in flight over a
slow link that scan, done for every request, cost more of the Jupyter server's CPU than the
uploads themselves (py-spy during a 2,000-file push through a 50 ms link: a fifth of the
samples in `is_socket_readable`, `getpeername`, `is_idle`, `has_expired`). Pools of at most
`SHARD_CONNECTIONS` keep the scan short; requests go to them in turn, and each pool keeps
its connections alive across the run as before.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import httpx

SHARD_CONNECTIONS = 8


class ShardedTransport(httpx.AsyncBaseTransport):
    """Round-robin over `shards` transports (each with its own pool)."""

    def __init__(self, shards: list[httpx.AsyncBaseTransport]) -> None:
        if not shards:
            raise ValueError("at least one transport")
        self._shards = shards
        self._next = itertools.cycle(range(len(shards)))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._shards[next(self._next)].handle_async_request(request)

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()


def pooled_transport(
    max_connections: int, make: Callable[[httpx.Limits], httpx.AsyncBaseTransport]
) -> httpx.AsyncBaseTransport:
    """One transport for `max_connections`: a single pool when that is small, else pools of
    `SHARD_CONNECTIONS`. `make` builds one pool's transport from its limits."""
    count = max(1, math.ceil(max_connections / SHARD_CONNECTIONS))
    per_shard = math.ceil(max_connections / count)
    limits = httpx.Limits(
        max_connections=per_shard, max_keepalive_connections=per_shard, keepalive_expiry=30.0
    )
    if count == 1:
        return make(limits)
    return ShardedTransport([make(limits) for _ in range(count)])
