"""A network link in user space: a TCP proxy that delays each direction by a fixed time.

The kernel here has no netem, and loopback costs a request nothing but CPU. Put this in
front of a server and every byte arrives `rtt / 2` after it was sent, in each direction, so
one request-answer exchange costs one round trip more, as on a real link; a new connection
costs one round trip before its first byte (the TCP handshake). `--rate-mbit` caps each
direction's bandwidth as well. The benchmark starts one in front of the replica and one in
front of rclone's webdav server, so both tools go through the same link.

    python -m pfb_bench.netem --listen 8001 --target 127.0.0.1:8000 --rtt-ms 50

Bytes are forwarded as they arrive (no store-and-forward of whole messages): a chunk read
at time t is written at t + rtt/2, in order. Each connection's pending bytes are bounded
(`MAX_PENDING`); past it the proxy stops reading, so a fast sender feels back-pressure as
over a real link, and the proxy's memory stays small.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import signal
import time

READ_SIZE = 256 * 1024
MAX_PENDING = 16 * 1024 * 1024  # per direction of one connection


class _Pipe:
    """One direction of one connection: read, hold for `delay` seconds, write."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        delay: float,
        rate: float | None,
    ) -> None:
        self.reader, self.writer, self.delay, self.rate = reader, writer, delay, rate
        self.queue: collections.deque[tuple[float, bytes]] = collections.deque()
        self.pending = 0
        self.arrived = asyncio.Event()
        self.room = asyncio.Event()
        self.room.set()

    async def pump_in(self) -> None:
        try:
            while True:
                await self.room.wait()
                data = await self.reader.read(READ_SIZE)
                self.queue.append((time.monotonic() + self.delay, data))
                self.pending += len(data)
                if self.pending >= MAX_PENDING:
                    self.room.clear()
                self.arrived.set()
                if not data:
                    return
        except (ConnectionError, OSError):
            self.queue.append((time.monotonic() + self.delay, b""))
            self.arrived.set()

    async def pump_out(self) -> None:
        free_at = time.monotonic()  # the bandwidth cap: when the link is free again
        try:
            while True:
                while not self.queue:
                    self.arrived.clear()
                    await self.arrived.wait()
                due, data = self.queue.popleft()
                self.pending -= len(data)
                if self.pending < MAX_PENDING:
                    self.room.set()
                if self.rate:
                    free_at = max(free_at, due - self.delay) + len(data) / self.rate
                    due = max(due, free_at + self.delay)
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if self.writer.can_write_eof():
                        self.writer.write_eof()
                    return
                self.writer.write(data)
                await self.writer.drain()
        except (ConnectionError, OSError):
            return


async def _serve_one(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    target: tuple[str, int],
    delay: float,
    rate: float | None,
) -> None:
    upstream_writer = None
    try:
        await asyncio.sleep(2 * delay)  # the handshake: one round trip before any data
        upstream_reader, upstream_writer = await asyncio.open_connection(*target)
        up = _Pipe(client_reader, upstream_writer, delay, rate)
        down = _Pipe(upstream_reader, client_writer, delay, rate)
        await asyncio.gather(up.pump_in(), up.pump_out(), down.pump_in(), down.pump_out())
    except (ConnectionError, OSError):
        pass
    finally:
        for writer in (client_writer, upstream_writer):
            if writer is not None:
                writer.close()
                with contextlib.suppress(ConnectionError, OSError):
                    await writer.wait_closed()


async def serve(
    listen: int, target: tuple[str, int], rtt_ms: float, rate_mbit: float | None
) -> None:
    delay = rtt_ms / 2000.0
    rate = rate_mbit * 1e6 / 8 if rate_mbit else None

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _serve_one(reader, writer, target, delay, rate)

    server = await asyncio.start_server(handle, "127.0.0.1", listen, limit=READ_SIZE)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"netem: 127.0.0.1:{listen} -> {target[0]}:{target[1]}, rtt {rtt_ms} ms", flush=True)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="pfb_bench.netem", description=__doc__)
    parser.add_argument("--listen", type=int, required=True, help="port on 127.0.0.1")
    parser.add_argument("--target", required=True, help="host:port to forward to")
    parser.add_argument("--rtt-ms", type=float, required=True, help="round-trip time to add")
    parser.add_argument("--rate-mbit", type=float, help="bandwidth cap per direction")
    args = parser.parse_args(argv)
    host, _, port = args.target.rpartition(":")
    asyncio.run(serve(args.listen, (host, int(port)), args.rtt_ms, args.rate_mbit))


if __name__ == "__main__":
    main()
