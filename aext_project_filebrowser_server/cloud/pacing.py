"""How many file operations a run keeps in flight, and how long it waited on the network.

On loopback a request costs only CPU, and a few in flight keep both ends busy. Through a
link with a 50 ms round trip each file costs at least one round trip, so 4 in flight move
at most 80 small files a second whatever the bandwidth. The run cannot know the link, so
it measures: `Pacer` starts with `START` operations in flight and, every window of
completions (at least `MIN_WINDOW`, at least the current limit), compares the window's
median operation time with the lowest median seen so far (the baseline):

- flat (within `FLAT` times the baseline, plus `SLACK_S` for loopback's noise): the link
  has room; the limit doubles (before any sign of a queue) or grows by a quarter (after);
- rising (more than `RISING` times the baseline): a queue is building at one end (the
  cloud, the link or this machine's CPU); the limit shrinks by a quarter;
- in between: it stays.

A 429 or 503 from the cloud halves the limit at once and no new operation starts before
the server's `Retry-After` (the request itself is retried by `sending`). The limit never
exceeds the `sync_concurrency` setting (the cap) and never drops below 1.

The pacer of the run in progress is found through a context variable, so the cloud layer
reports throttling and request times without knowing which run it serves; tasks the run
starts inherit it. `network_wait_s` is the wall time during which at least one request of
the run was waiting on the cloud (sent, answer not fully read): the run's summary reports
it next to the run's duration.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

START = 4
MIN_WINDOW = 8
FLAT = 1.5
RISING = 2.5
SLACK_S = 0.002
DEFAULT_RETRY_AFTER_S = 1.0
MAX_PAUSE_S = 60.0


@dataclass
class Pacer:
    """One run's in-flight limit (see the module docstring). `cap` >= 1."""

    cap: int
    limit: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    throttled_times: int = 0
    network_wait_s: float = 0.0
    _window: list[float] = field(default_factory=list)
    _baseline: float | None = None
    _congested: bool = False
    _resume_at: float = 0.0
    _requests: int = 0
    _waiting_since: float = 0.0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def __post_init__(self) -> None:
        self.cap = max(1, self.cap)
        self.limit = min(self.cap, self.limit or START)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the `limit` places for an operation; its time feeds the limit."""
        await self._acquire()
        started = time.monotonic()
        try:
            yield
        finally:
            self.in_flight -= 1
            self.observe(time.monotonic() - started)
            await self._wake()

    async def _acquire(self) -> None:
        async with self._changed:
            while True:
                now = time.monotonic()
                if now >= self._resume_at and self.in_flight < self.limit:
                    break
                pause = self._resume_at - now if now < self._resume_at else None
                with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), pause)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    async def _wake(self) -> None:
        """Wake as many waiting operations as may start now (not all of them: with 32
        waiting, waking every one on each completion cost more CPU than the transfers)."""
        async with self._changed:
            self._changed.notify(max(0, self.limit - self.in_flight))

    def observe(self, seconds: float) -> None:
        """One operation took `seconds`; at the end of a window, adjust the limit."""
        self._window.append(seconds)
        if len(self._window) < max(MIN_WINDOW, self.limit):
            return
        typical = statistics.median(self._window)
        self._window.clear()
        baseline = self._baseline if self._baseline is not None else typical
        self._baseline = min(baseline, typical)
        if typical <= baseline * FLAT + SLACK_S:
            grown = self.limit + max(1, self.limit // 4) if self._congested else self.limit * 2
            self.limit = min(self.cap, grown)
        elif typical > baseline * RISING:
            self._congested = True
            self.limit = max(1, self.limit - max(1, self.limit // 4))

    def throttled(self, retry_after: float | None) -> None:
        """The cloud answered 429 or 503: halve the limit, start nothing before it allows."""
        self.throttled_times += 1
        self._congested = True
        self.limit = max(1, self.limit // 2)
        self._window.clear()
        pause = min(MAX_PAUSE_S, retry_after if retry_after else DEFAULT_RETRY_AFTER_S)
        self._resume_at = max(self._resume_at, time.monotonic() + pause)

    @contextlib.contextmanager
    def request(self) -> Iterator[None]:
        """Count the time a request waits on the cloud (overlapping requests once)."""
        if self._requests == 0:
            self._waiting_since = time.monotonic()
        self._requests += 1
        try:
            yield
        finally:
            self._requests -= 1
            if self._requests == 0:
                self.network_wait_s += time.monotonic() - self._waiting_since


CURRENT: ContextVar[Pacer | None] = ContextVar("aext_project_pacer", default=None)


def report_throttled(retry_after: float | None) -> None:
    """Called by the cloud layer on a 429 or 503: tells the run in progress, if any."""
    pacer = CURRENT.get()
    if pacer is not None:
        pacer.throttled(retry_after)


@contextlib.contextmanager
def waiting_on_cloud() -> Iterator[None]:
    """Wraps one request: its time counts as the run's network wait."""
    pacer = CURRENT.get()
    if pacer is None:
        yield
        return
    with pacer.request():
        yield
