"""The pacer's rules, on its own clock-free inputs: growth while operation times stay
flat, back-off when they rise, halving and a pause on 429/503, the cap, and the network
clock counting overlapping requests once."""

from __future__ import annotations

import asyncio
import time

from aext_project_filebrowser_server.cloud import pacing
from aext_project_filebrowser_server.cloud.pacing import MIN_WINDOW, START, Pacer


def feed(pacer: Pacer, seconds: float, windows: int = 1) -> None:
    for _ in range(windows):
        for _ in range(max(MIN_WINDOW, pacer.limit)):
            pacer.observe(seconds)


def test_starts_small_and_doubles_while_times_stay_flat() -> None:
    pacer = Pacer(cap=32)
    assert pacer.limit == START
    seen = [pacer.limit]
    for _ in range(4):
        feed(pacer, 0.050)
        seen.append(pacer.limit)
    assert seen == [4, 8, 16, 32, 32]  # never past the cap


def test_a_cap_below_the_start_is_the_limit() -> None:
    assert Pacer(cap=1).limit == 1
    pacer = Pacer(cap=2)
    feed(pacer, 0.01, windows=3)
    assert pacer.limit == 2


def test_rising_times_shrink_the_limit_then_it_grows_slowly() -> None:
    pacer = Pacer(cap=64)
    feed(pacer, 0.050, windows=2)  # 4 -> 8 -> 16
    assert pacer.limit == 16
    feed(pacer, 0.200)  # a queue: 4x the baseline
    assert pacer.limit == 12
    feed(pacer, 0.100)  # 2x: in between, hold
    assert pacer.limit == 12
    feed(pacer, 0.050)  # flat again, but after a queue: +25 %, not x2
    assert pacer.limit == 15


def test_loopback_noise_within_the_slack_still_counts_as_flat() -> None:
    pacer = Pacer(cap=64)
    feed(pacer, 0.001)
    feed(pacer, 0.003)  # 3x, but within 1.5x + 2 ms
    assert pacer.limit == 16


def test_throttling_halves_and_pauses_new_operations() -> None:
    async def scenario() -> tuple[int, float]:
        pacer = Pacer(cap=32)
        feed(pacer, 0.01, windows=2)  # 16
        pacer.throttled(0.2)
        started = time.monotonic()
        async with pacer.slot():
            waited = time.monotonic() - started
        return pacer.limit, waited

    limit, waited = asyncio.run(scenario())
    assert limit == 8
    assert waited >= 0.19


def test_never_more_in_flight_than_the_limit() -> None:
    async def scenario() -> int:
        pacer = Pacer(cap=3)
        busy = peak = 0

        async def one() -> None:
            nonlocal busy, peak
            async with pacer.slot():
                busy += 1
                peak = max(peak, busy)
                await asyncio.sleep(0.01)
                busy -= 1

        await asyncio.gather(*(one() for _ in range(12)))
        assert pacer.max_in_flight == peak
        return peak

    assert asyncio.run(scenario()) == 3


def test_the_network_clock_counts_overlapping_requests_once() -> None:
    async def scenario() -> float:
        pacer = Pacer(cap=8)
        pacing.CURRENT.set(pacer)

        async def request(delay: float) -> None:
            with pacing.waiting_on_cloud():
                await asyncio.sleep(delay)

        await asyncio.gather(request(0.1), request(0.1), request(0.05))
        await asyncio.sleep(0.1)  # no request: not counted
        await request(0.05)
        return pacer.network_wait_s

    waited = asyncio.run(scenario())
    assert 0.14 <= waited < 0.2


def test_without_a_run_the_hooks_do_nothing() -> None:
    pacing.report_throttled(1.0)
    with pacing.waiting_on_cloud():
        pass
