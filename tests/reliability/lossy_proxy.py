"""An HTTP proxy in front of the replica that loses answers *after* the work was done.

The replica's own faults (5xx, 429, dropped connections) strike before a request is
processed, so a retry can never repeat work. Real networks also lose the answer of a
request the server did process; that is what makes a retried upload dangerous (a second
revision). `LossyProxy` forwards each request to the replica and, for a seeded fraction of
writes (`loss` of PUT/DELETE), closes the client's connection instead of answering.

It also counts what it saw (requests, statuses, connections the replica dropped, answers
it lost) for the suites' figures. It runs on the test's event loop.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import httpx
from tornado import httpserver, web
from tornado.http1connection import HTTP1Connection
from tornado.testing import bind_unused_port

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
    "server",
    "date",
}


class LossyProxy:
    """A class: it owns a listening socket, an HTTP client and counters."""

    def __init__(self, upstream: str, *, loss: float = 0.0, seed: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self.loss = loss
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()
        self.client = httpx.AsyncClient(timeout=60.0)
        app = web.Application([(r"/.*", _Forward, {"proxy": self})])
        sock, self.port = bind_unused_port()
        self.server = httpserver.HTTPServer(app)
        self.server.add_sockets([sock])
        self.url = f"http://127.0.0.1:{self.port}"

    async def close(self) -> None:
        self.server.stop()
        await self.server.close_all_connections()
        await self.client.aclose()


class _Forward(web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "HEAD", "PUT", "DELETE", "POST", "PATCH")  # type: ignore[assignment]

    def initialize(self, proxy: LossyProxy) -> None:
        self.proxy = proxy

    async def _forward(self) -> None:
        proxy, request = self.proxy, self.request
        proxy.counts["requests"] += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers.pop("Host", None)
        try:
            answer = await proxy.client.request(
                request.method or "GET",
                f"{proxy.upstream}{request.uri}",
                headers=headers,
                content=request.body if request.body else None,
            )
        except httpx.TransportError:
            proxy.counts["dropped by the replica"] += 1
            self._drop()
            return
        proxy.counts[f"HTTP {answer.status_code}"] += 1
        write = request.method in ("PUT", "DELETE")
        if write and answer.status_code < 300 and proxy.rng.random() < proxy.loss:
            proxy.counts["answers lost after the work was done"] += 1
            self._drop()
            return
        self.set_status(answer.status_code)
        for name, value in answer.headers.multi_items():
            if name.lower() not in _HOP_BY_HOP:
                self.add_header(name, value)
        if answer.status_code not in (204, 304) and request.method != "HEAD":
            self.write(answer.content)

    def _drop(self) -> None:
        connection = self.request.connection
        if isinstance(connection, HTTP1Connection):
            connection.close()
        self._finished = True

    async def get(self, *args: Any) -> None:
        await self._forward()

    async def head(self, *args: Any) -> None:
        await self._forward()

    async def put(self, *args: Any) -> None:
        await self._forward()

    async def delete(self, *args: Any) -> None:
        await self._forward()

    async def post(self, *args: Any) -> None:
        await self._forward()

    async def patch(self, *args: Any) -> None:
        await self._forward()
